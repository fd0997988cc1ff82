package embedded

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/store"
)

func journal(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, journalName))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fill writes n links and one dirty mark per link, so the journal ends with
// a known record.
func fill(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := t.Context()
	for i := range n {
		l := backlog.Link{Linear: backlog.Ref{Side: backlog.Linear, ID: fmt.Sprint("lin-", i)}, Jira: backlog.Ref{Side: backlog.Jira, ID: fmt.Sprint(i)}}
		if err := s.SaveLink(ctx, l); err != nil {
			t.Fatal(err)
		}
		if _, err := s.MarkDirty(ctx, fmt.Sprint("k", i)); err != nil {
			t.Fatal(err)
		}
	}
}

// captureLog sends the default slog logger to a buffer until the test ends.
// Tests using it must not be parallel.
func captureLog(t *testing.T) *bytes.Buffer {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return &buf
}

// TestTornTail cuts the journal at every byte of its last record, as a
// crash during that append would: Open must succeed, keep every earlier
// record, drop the torn one, and the store must work afterwards.
func TestTornTail(t *testing.T) {
	dir := t.TempDir()
	s := openTemp(t, dir)
	fill(t, s, 3)
	s.Close()
	full := journal(t, dir)
	lastStart := bytes.LastIndexByte(full[:len(full)-1], '\n') + 1
	if !strings.Contains(string(full[lastStart:]), `"op":"dirty"`) || !strings.Contains(string(full[lastStart:]), `"k2"`) {
		t.Fatalf("last record is not the last mark: %s", full[lastStart:])
	}
	logged := captureLog(t)
	for cut := lastStart + 1; cut < len(full); cut++ {
		logged.Reset()
		if err := os.WriteFile(filepath.Join(dir, journalName), full[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(dir)
		if err != nil {
			t.Fatalf("cut at %d of %d: Open: %v", cut, len(full), err)
		}
		if want := fmt.Sprintf("offset=%d bytes=%d", lastStart, cut-lastStart); !strings.Contains(logged.String(), want) {
			t.Fatalf("cut at %d: repair not logged with %q: %s", cut, want, logged.String())
		}
		ctx := t.Context()
		d, err := s.Dirty(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := d["k2"]; ok || d["k0"] == 0 || d["k1"] == 0 {
			t.Fatalf("cut at %d: dirty = %v, want k0 and k1 only", cut, d)
		}
		if ls, _ := s.Links(ctx); len(ls) != 3 {
			t.Fatalf("cut at %d: %d links survived, want 3", cut, len(ls))
		}
		// The store appends cleanly after the repair.
		seq, err := s.MarkDirty(ctx, "after")
		if err != nil {
			t.Fatal(err)
		}
		if seq <= d["k1"] {
			t.Fatalf("cut at %d: seq after repair %d not larger than %d", cut, seq, d["k1"])
		}
		s.Close()
		s = openTemp(t, dir)
		if d, _ := s.Dirty(ctx); d["after"] != seq {
			t.Fatalf("cut at %d: mark made after the repair lost: %v", cut, d)
		}
		s.Close()
	}
}

// TestDamagedTail covers tails a crash can leave besides a clean cut:
// zeros (an extent allocated but never written) and a checksum mismatch.
func TestDamagedTail(t *testing.T) {
	for name, tail := range map[string][]byte{
		"zeros":         make([]byte, 300),
		"zeros+newline": append(make([]byte, 40), '\n'),
		"bad checksum":  []byte("00000000 {\"op\":\"dirty\",\"key\":\"x\",\"seq\":99}\n"),
		"two lines":     []byte("garbage\nmore garbage"),
	} {
		t.Run(name, func(t *testing.T) {
			logged := captureLog(t)
			dir := t.TempDir()
			s := openTemp(t, dir)
			fill(t, s, 2)
			s.Close()
			f, err := os.OpenFile(filepath.Join(dir, journalName), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(tail)
			f.Close()
			s, err = Open(dir)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			d, _ := s.Dirty(t.Context())
			if len(d) != 2 || d["x"] != 0 {
				t.Fatalf("dirty = %v, want k0 and k1", d)
			}
			if !strings.Contains(logged.String(), "torn record") {
				t.Fatalf("repair not logged: %q", logged.String())
			}
		})
	}
}

// TestDamageBeforeGoodRecord: damage followed by an intact record is not a
// torn write; Open must refuse rather than drop the later record.
func TestDamageBeforeGoodRecord(t *testing.T) {
	dir := t.TempDir()
	s := openTemp(t, dir)
	fill(t, s, 3)
	s.Close()
	full := journal(t, dir)
	lines := bytes.SplitAfter(full, []byte{'\n'})
	if !bytes.Contains(lines[1], []byte("lin-0")) {
		t.Fatalf("line 2 is not the first link: %s", lines[1])
	}
	lines[1] = bytes.Replace(lines[1], []byte("lin-"), []byte("LIN-"), 1) // checksum now wrong
	if err := os.WriteFile(filepath.Join(dir, journalName), bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir)
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("Open = %v, want a refusal naming line 2", err)
	}
	// The journal was left untouched for the operator.
	if !bytes.Equal(journal(t, dir), bytes.Join(lines, nil)) {
		t.Fatal("refused Open modified the journal")
	}
}

func TestUnknownOpRefused(t *testing.T) {
	dir := t.TempDir()
	line, err := encode(nil, record{Op: "teleport", Key: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, journalName), line, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "teleport") {
		t.Fatalf("Open = %v, want an unknown-op error", err)
	}
}

func TestDataDirExclusive(t *testing.T) {
	dir := t.TempDir()
	s := openTemp(t, dir)
	_, err := Open(dir)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second Open = %v, want ErrInUse naming %s", err, dir)
	}
	s.Close()
	s2, err := Open(dir)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s2.Close()
}

func TestClosed(t *testing.T) {
	s := openTemp(t, t.TempDir())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.MarkDirty(t.Context(), "k"); !errors.Is(err, ErrClosed) {
		t.Fatalf("MarkDirty after Close: %v, want ErrClosed", err)
	}
}

// TestCompaction: a journal grown by rewrites of the same keys shrinks
// back to the live state, at Open and while running, and nothing is lost.
func TestCompaction(t *testing.T) {
	dir := t.TempDir()
	s := openTemp(t, dir)
	ctx := t.Context()
	l, err := s.Lock(ctx, "pass", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	const compMin = 256 << 10
	s.mu.Lock()
	s.compMin = compMin
	s.mu.Unlock()
	big := backlog.Snapshot{backlog.Description: backlog.Value(strings.Repeat("x", 8<<10))}
	// Rewrite one base for three times compMin in all.
	for i := range 3 * compMin / (8 << 10) {
		big[backlog.Title] = backlog.Value(fmt.Sprint(i))
		if err := s.SaveBase(ctx, l, "lin-a", big); err != nil {
			t.Fatal(err)
		}
	}
	if s.size > compMin+(32<<10) {
		t.Fatalf("journal %d bytes after writing %d: running compaction did not happen", s.size, s.written.Load())
	}
	want := big[backlog.Title]
	fill(t, s, 2)
	s.Close()
	s = openTemp(t, dir)
	defer s.Close()
	if n := len(journal(t, dir)); n > 2*(8<<10) {
		t.Fatalf("journal %d bytes after reopen, want about one base", n)
	}
	b, err := s.Base(ctx, "lin-a")
	if err != nil || b[backlog.Title] != want {
		t.Fatalf("Base after compactions = %q, %v; want title %q", b[backlog.Title], err, want)
	}
	if d, _ := s.Dirty(ctx); len(d) != 2 {
		t.Fatalf("dirty after compactions = %v", d)
	}
	if _, err := os.Stat(filepath.Join(dir, journalName+".tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("compaction left its temp file: %v", err)
	}
}

// TestTokensAcrossRestarts: fencing tokens keep growing across restarts
// even though no Lock writes to disk.
func TestTokensAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	var last int64
	for range 4 {
		s := openTemp(t, dir)
		for range 3 {
			l, err := s.Lock(t.Context(), "k", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if l.Token <= last {
				t.Fatalf("token %d not larger than %d", l.Token, last)
			}
			last = l.Token
			s.Unlock(t.Context(), l)
		}
		s.Close()
	}
}

// faultyFile fails the next Write or Sync when told to.
type faultyFile struct {
	journalFile
	failWrite, failSync bool
}

var errInjected = errors.New("injected disk failure")

func (f *faultyFile) Write(b []byte) (int, error) {
	if f.failWrite {
		f.failWrite = false
		// Half the record reaches the file, as in a full disk.
		n, _ := f.journalFile.Write(b[:len(b)/2])
		return n, errInjected
	}
	return f.journalFile.Write(b)
}

func (f *faultyFile) Sync() error {
	if f.failSync {
		return errInjected
	}
	return f.journalFile.Sync()
}

func inject(s *Store) *faultyFile {
	s.mu.Lock()
	defer s.mu.Unlock()
	ff := &faultyFile{journalFile: s.f}
	s.f = ff
	return ff
}

// TestWriteFailure: a failed append errors, leaves memory unchanged, and is
// cut off the journal, so later appends and a reopen are clean.
func TestWriteFailure(t *testing.T) {
	dir := t.TempDir()
	s := openTemp(t, dir)
	ctx := t.Context()
	if _, err := s.MarkDirty(ctx, "before"); err != nil {
		t.Fatal(err)
	}
	ff := inject(s)
	ff.failWrite = true
	if _, err := s.MarkDirty(ctx, "lost"); !errors.Is(err, errInjected) {
		t.Fatalf("MarkDirty on a failing write: err = %v", err)
	}
	if d, _ := s.Dirty(ctx); d["lost"] != 0 {
		t.Fatalf("failed MarkDirty changed memory: %v", d)
	}
	lock, _ := s.Lock(ctx, "k", time.Minute)
	ff.failWrite = true
	if err := s.SaveBase(ctx, lock, "x", backlog.Snapshot{}); !errors.Is(err, errInjected) {
		t.Fatalf("SaveBase on a failing write: err = %v", err)
	}
	if _, err := s.Base(ctx, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("failed SaveBase changed memory: %v", err)
	}
	if _, err := s.MarkDirty(ctx, "after"); err != nil {
		t.Fatalf("MarkDirty after the failures: %v", err)
	}
	s.Close()
	// No torn half-record was left between the good ones.
	logged := captureLog(t)
	s = openTemp(t, dir)
	defer s.Close()
	if logged.Len() > 0 {
		t.Fatalf("reopen had to repair the journal: %s", logged)
	}
	if d, _ := s.Dirty(ctx); len(d) != 2 || d["before"] == 0 || d["after"] == 0 {
		t.Fatalf("dirty after reopen = %v, want before and after", d)
	}
}

// TestSyncFailureIsFinal: after a failed fsync the page cache may hold
// writes the disk lost, so the store refuses every later write.
func TestSyncFailureIsFinal(t *testing.T) {
	s := openTemp(t, t.TempDir())
	defer s.Close()
	ctx := t.Context()
	ff := inject(s)
	ff.failSync = true
	if _, err := s.MarkDirty(ctx, "k"); !errors.Is(err, errInjected) {
		t.Fatalf("MarkDirty with a failing fsync: err = %v", err)
	}
	ff.failSync = false
	if err := s.SaveCursor(ctx, "jira", "x"); err == nil || !strings.Contains(err.Error(), "failed fsync") {
		t.Fatalf("write after a failed fsync: err = %v, want a refusal", err)
	}
	if _, err := s.Dirty(ctx); err != nil {
		t.Fatalf("reads still work: %v", err)
	}
}

// TestGroupCommitDurable: marks made concurrently (sharing fsyncs) are all
// on disk after Close.
func TestGroupCommitDurable(t *testing.T) {
	dir := t.TempDir()
	s := openTemp(t, dir)
	ctx := t.Context()
	var wg sync.WaitGroup
	seqs := make([]int64, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 8 {
				seq, err := s.MarkDirty(ctx, fmt.Sprint("k", g*8+i))
				if err != nil {
					t.Error(err)
					return
				}
				seqs[g*8+i] = seq
			}
		})
	}
	wg.Wait()
	s.Close()
	s = openTemp(t, dir)
	defer s.Close()
	d, _ := s.Dirty(ctx)
	for i, seq := range seqs {
		if d[fmt.Sprint("k", i)] != seq {
			t.Fatalf("k%d: dirty seq %d after reopen, want %d", i, d[fmt.Sprint("k", i)], seq)
		}
	}
}

// FuzzReplay: no journal content makes replay panic, and whatever it
// accepts, a journal made of its own intact records replays the same.
func FuzzReplay(f *testing.F) {
	var seed []byte
	for _, r := range []record{
		{Op: opMeta, Meta: &meta{Epoch: 3, DirtySeq: 7, ConflictSeq: 2}},
		{Op: opLink, Link: &backlog.Link{Linear: backlog.Ref{Side: backlog.Linear, ID: "l"}, Jira: backlog.Ref{Side: backlog.Jira, ID: "1"}}},
		{Op: opDirty, Key: "k", Seq: 8},
		{Op: opClean, Key: "k", Seq: 8},
		{Op: opBase, Key: "l", Base: backlog.Snapshot{backlog.Title: "t"}},
	} {
		seed, _ = encode(seed, r)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)-5])
	f.Add([]byte("00000000 {}\n"))
	f.Add([]byte("\n\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &Store{}
		s.reset()
		var good []byte
		res, err := replay(bytes.NewReader(data), func(r record) error {
			good, _ = encode(good, r)
			return s.apply(r, time.Now())
		})
		if err != nil {
			return
		}
		if res.good+res.torn != int64(len(data)) {
			t.Fatalf("good %d + torn %d != %d bytes", res.good, res.torn, len(data))
		}
		s2 := &Store{}
		s2.reset()
		if _, err := replay(bytes.NewReader(good), func(r record) error { return s2.apply(r, time.Now()) }); err != nil {
			t.Fatalf("re-encoded journal does not replay: %v", err)
		}
		if len(s2.links) != len(s.links) || len(s2.dirty) != len(s.dirty) || s2.meta != s.meta {
			t.Fatalf("re-encoded journal replays differently")
		}
	})
}

// FuzzRecord reaches past the checksum: any JSON body with a correct
// checksum decodes to a known record or a clear error, and applies without
// panicking.
func FuzzRecord(f *testing.F) {
	f.Add([]byte(`{"op":"link","link":{"jira":{"side":"jira","id":"1"},"linear":{"side":"linear","id":"l"}}}`))
	f.Add([]byte(`{"op":"link"}`))
	f.Add([]byte(`{"op":"conflict","seq":3,"conflict":{"id":"c3","at":"2026-01-02T03:04:05Z"}}`))
	f.Add([]byte(`{"op":"meta","meta":{"epoch":-1}}`))
	f.Add([]byte(`{"op":"seen","key":"d","until":"9999-12-31T00:00:00Z"}`))
	f.Add([]byte(`{"op":"base","key":"l","base":{"title":1}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		line := fmt.Appendf(nil, "%08x ", crc32.Checksum(body, crcTable))
		line = append(line, body...)
		r, err := decode(line)
		if err != nil {
			return
		}
		s := &Store{}
		s.reset()
		_ = s.apply(r, time.Now())
	})
}

// TestDataDirExclusiveAcrossProcesses opens the dir from a child process
// (this test binary re-run) while this process holds it.
func TestDataDirExclusiveAcrossProcesses(t *testing.T) {
	if dir := os.Getenv("TANDEM_EMBEDDED_CHILD_DIR"); dir != "" {
		_, err := Open(dir)
		fmt.Printf("child open: %v\n", err)
		return
	}
	dir := t.TempDir()
	s := openTemp(t, dir)
	defer s.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDataDirExclusiveAcrossProcesses$")
	cmd.Env = append(os.Environ(), "TANDEM_EMBEDDED_CHILD_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "child open: ") || !strings.Contains(string(out), ErrInUse.Error()) {
		t.Fatalf("child could open the held dir, or failed otherwise:\n%s", out)
	}
}
