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
	big := backlog.Snapshot{backlog.Description: backlog.Value(strings.Repeat("x", 64<<10))}
	// Rewrite one base until the journal passes compactMin twice over.
	for i := 0; s.size < 3*compactMin && i < 1000; i++ {
		big[backlog.Title] = backlog.Value(fmt.Sprint(i))
		if err := s.SaveBase(ctx, l, "lin-a", big); err != nil {
			t.Fatal(err)
		}
	}
	if s.size > 2*compactMin {
		t.Fatalf("journal %d bytes: running compaction did not happen", s.size)
	}
	want := big[backlog.Title]
	fill(t, s, 2)
	s.Close()
	s = openTemp(t, dir)
	defer s.Close()
	if n := len(journal(t, dir)); n > 2*(64<<10) {
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

// TestWriteFailure: when an append fails the call errors, memory is not
// changed, and the store does not pretend the write happened.
func TestWriteFailure(t *testing.T) {
	dir := t.TempDir()
	s := openTemp(t, dir)
	defer s.Close()
	ctx := t.Context()
	if _, err := s.MarkDirty(ctx, "before"); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	good := s.f
	bad, err := os.Open(filepath.Join(dir, journalName)) // read-only: writes fail
	if err != nil {
		t.Fatal(err)
	}
	s.f = bad
	s.mu.Unlock()
	if _, err := s.MarkDirty(ctx, "lost"); err == nil {
		t.Fatal("MarkDirty on a failing journal succeeded")
	}
	if d, _ := s.Dirty(ctx); d["lost"] != 0 {
		t.Fatalf("failed MarkDirty changed memory: %v", d)
	}
	lock, _ := s.Lock(ctx, "k", time.Minute)
	if err := s.SaveBase(ctx, lock, "x", backlog.Snapshot{}); err == nil {
		t.Fatal("SaveBase on a failing journal succeeded")
	}
	if _, err := s.Base(ctx, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("failed SaveBase changed memory: %v", err)
	}
	s.mu.Lock()
	s.f, s.broken = good, nil
	s.mu.Unlock()
	bad.Close()
	if _, err := s.MarkDirty(ctx, "after"); err != nil {
		t.Fatal(err)
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
