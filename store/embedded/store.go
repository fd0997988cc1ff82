package embedded

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/store"
)

const (
	journalName = "state.journal"
	lockName    = "LOCK"
	// compactMin is the journal size below which the store never compacts
	// while running; above it, it compacts once the journal is twice its
	// size after the last compaction.
	compactMin = 4 << 20
	// tokenBits is how many low bits of a fencing token count Locks within
	// one epoch.
	tokenBits = 32
)

var (
	// ErrInUse is returned by Open when another process (or another Store
	// in this process) has the data dir open.
	ErrInUse = errors.New("data dir in use by another process")
	// ErrClosed is returned by every method after Close.
	ErrClosed = errors.New("store closed")
)

// Store is the single-node state store. Its methods are safe for concurrent
// use. They serialise on one mutex, and every write returns only once its
// record is fsynced; concurrent writers share fsyncs (group commit), so a
// reader may briefly see a write whose fsync is still under way.
type Store struct {
	dir  string
	lock *os.File // holds the flock on the data dir

	mu       sync.Mutex
	f        journalFile // the journal, opened for append; swapped under mu and smu
	size     int64       // journal bytes
	compSize int64       // journal bytes right after the last compaction
	compMin  int64       // compactMin; tests lower it
	noSync   bool        // skip fsyncs: tests of logic only, never durability
	broken   error       // a write failed and could not be undone: refuse writes
	closed   bool

	// Group commit: writers append under mu, then wait in syncTo, where
	// one fsync covers every append made before it. written counts bytes
	// appended since Open (compaction does not reset it); synced, under
	// smu, is how much of that is durable.
	smu        sync.Mutex
	written    atomic.Int64
	synced     int64
	syncFailed atomic.Pointer[error] // an fsync failed: refuse writes

	meta       meta
	tokens     int64 // Locks handed out in this epoch
	links      map[string]backlog.Link
	jira       map[string]string // Jira issue id -> link id
	bases      map[string]backlog.Snapshot
	cursors    map[string]string
	conflicts  map[string]conflictEntry
	byLink     map[string]map[string]bool // link id -> its conflict ids (each pass lists its link's)
	deliveries map[string]time.Time       // delivery id -> expiry
	dirty      map[string]int64
	locks      map[string]held
	seenAdds   int // SeenDelivery inserts since the last sweep
}

// journalFile is what the store needs of the open journal (an *os.File;
// tests put failures in between).
type journalFile interface {
	Write(b []byte) (int, error)
	Sync() error
	Truncate(size int64) error
	Close() error
}

type conflictEntry struct {
	c   backlog.Conflict
	seq int64 // insertion order, the tie-break among equal times
}

type held struct {
	token   int64
	expires time.Time
}

var (
	_ store.State          = (*Store)(nil)
	_ store.ConflictPruner = (*Store)(nil)
)

// Open opens (creating it if needed) the store in dir. It takes an
// exclusive lock on the dir, replays the journal, drops a torn last record
// if a crash left one, compacts, and starts a new token epoch.
func Open(dir string) (*Store, error) { return open(dir, false) }

func open(dir string, noSync bool) (*Store, error) {
	if dir == "" {
		return nil, errors.New("opening embedded store: empty data dir")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data dir: %w", err)
	}
	lf, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening data dir lock: %w", err)
	}
	if err := flock(lf); err != nil {
		lf.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("opening embedded store in %s: %w", dir, ErrInUse)
		}
		return nil, fmt.Errorf("locking data dir %s: %w", dir, err)
	}
	s := &Store{dir: dir, lock: lf, compMin: compactMin, noSync: noSync}
	s.reset()
	if err := s.load(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("opening embedded store in %s: %w", dir, err)
	}
	return s, nil
}

func (s *Store) reset() {
	s.meta = meta{}
	s.links = map[string]backlog.Link{}
	s.jira = map[string]string{}
	s.bases = map[string]backlog.Snapshot{}
	s.cursors = map[string]string{}
	s.conflicts = map[string]conflictEntry{}
	s.byLink = map[string]map[string]bool{}
	s.deliveries = map[string]time.Time{}
	s.dirty = map[string]int64{}
	s.locks = map[string]held{}
}

func (s *Store) path() string { return filepath.Join(s.dir, journalName) }

// load replays the journal, then compacts it with a bumped epoch: the
// compacted journal is both the cleanup and the durable epoch bump.
func (s *Store) load() error {
	f, err := os.Open(s.path())
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("opening journal: %w", err)
	default:
		now := time.Now()
		res, err := replay(f, func(r record) error { return s.apply(r, now) })
		f.Close()
		if err != nil {
			return err
		}
		if res.torn > 0 {
			// Compaction below rewrites the journal without the tail.
			slog.Warn("embedded store: dropping a torn record at the end of the journal",
				"dir", s.dir, "offset", res.good, "bytes", res.torn)
		}
	}
	s.meta.Epoch++
	return s.compact()
}

// apply replays one record onto the in-memory state.
func (s *Store) apply(r record, now time.Time) error {
	switch r.Op {
	case opMeta:
		if r.Meta == nil {
			return errors.New("meta record without meta")
		}
		s.meta.Epoch = max(s.meta.Epoch, r.Meta.Epoch)
		s.meta.DirtySeq = max(s.meta.DirtySeq, r.Meta.DirtySeq)
		s.meta.ConflictSeq = max(s.meta.ConflictSeq, r.Meta.ConflictSeq)
	case opLink:
		if r.Link == nil || r.Link.ID() == "" {
			return errors.New("link record without a link id")
		}
		s.putLink(*r.Link)
	case opUnlink:
		s.dropLink(r.Key)
	case opUnindex:
		delete(s.jira, r.Key)
	case opBase:
		s.bases[r.Key] = orEmpty(r.Base)
	case opCursor:
		s.putCursor(r.Key, r.Value)
	case opConflict:
		if r.Conflict == nil || r.Conflict.ID == "" {
			return errors.New("conflict record without an id")
		}
		s.putConflict(conflictEntry{c: *r.Conflict, seq: r.Seq})
		s.meta.ConflictSeq = max(s.meta.ConflictSeq, r.Seq)
	case opDropConf:
		s.dropConflict(r.Key)
	case opSeen:
		if r.Until.After(now) {
			s.deliveries[r.Key] = r.Until
		} else {
			delete(s.deliveries, r.Key)
		}
	case opForget:
		delete(s.deliveries, r.Key)
	case opDirty:
		s.dirty[r.Key] = r.Seq
		s.meta.DirtySeq = max(s.meta.DirtySeq, r.Seq)
	case opClean:
		if s.dirty[r.Key] == r.Seq {
			delete(s.dirty, r.Key)
		}
	}
	return nil
}

// putLink stores l and moves its Jira index entry. An entry is removed
// only while it still points at this link: another link may have claimed
// that Jira id since.
func (s *Store) putLink(l backlog.Link) {
	id := l.ID()
	if old, ok := s.links[id]; ok && old.Jira.ID != "" && old.Jira.ID != l.Jira.ID && s.jira[old.Jira.ID] == id {
		delete(s.jira, old.Jira.ID)
	}
	s.links[id] = l
	if l.Jira.ID != "" {
		s.jira[l.Jira.ID] = id
	}
}

func (s *Store) dropLink(id string) {
	if old, ok := s.links[id]; ok && old.Jira.ID != "" && s.jira[old.Jira.ID] == id {
		delete(s.jira, old.Jira.ID)
	}
	delete(s.links, id)
	delete(s.bases, id)
}

// putConflict stores a conflict record and keeps the per-link index.
func (s *Store) putConflict(e conflictEntry) {
	id := e.c.ID
	if old, ok := s.conflicts[id]; ok && old.c.LinkID != e.c.LinkID {
		s.unindexConflict(old.c)
	}
	s.conflicts[id] = e
	ids := s.byLink[e.c.LinkID]
	if ids == nil {
		ids = map[string]bool{}
		s.byLink[e.c.LinkID] = ids
	}
	ids[id] = true
}

func (s *Store) dropConflict(id string) {
	if e, ok := s.conflicts[id]; ok {
		s.unindexConflict(e.c)
		delete(s.conflicts, id)
	}
}

func (s *Store) unindexConflict(c backlog.Conflict) {
	if ids := s.byLink[c.LinkID]; ids != nil {
		delete(ids, c.ID)
		if len(ids) == 0 {
			delete(s.byLink, c.LinkID)
		}
	}
}

func (s *Store) putCursor(name, value string) {
	if value == "" {
		delete(s.cursors, name)
	} else {
		s.cursors[name] = value
	}
}

func orEmpty(b backlog.Snapshot) backlog.Snapshot {
	if b == nil {
		return backlog.Snapshot{}
	}
	return maps.Clone(b)
}

// compact writes the whole state to a new journal and renames it over the
// old one, so a crash leaves either the old journal or the new, complete
// one. The caller holds s.mu (or is Open).
func (s *Store) compact() error {
	var buf []byte
	var err error
	add := func(r record) {
		if err == nil {
			buf, err = encode(buf, r)
		}
	}
	m := s.meta
	add(record{Op: opMeta, Meta: &m})
	for _, id := range slices.Sorted(maps.Keys(s.links)) {
		l := s.links[id]
		add(record{Op: opLink, Link: &l})
	}
	// Replaying the links indexes each Jira id under the last of them that
	// names it. Where that is not what the index says (two links named one
	// id, or the one that owned it moved away), restore it: save its owner
	// again, or drop the entry.
	claimed := map[string]int{}
	for _, l := range s.links {
		if l.Jira.ID != "" {
			claimed[l.Jira.ID]++
		}
	}
	for _, jid := range slices.Sorted(maps.Keys(claimed)) {
		l, owned := s.links[s.jira[jid]]
		switch {
		case !owned:
			add(record{Op: opUnindex, Key: jid})
		case claimed[jid] > 1:
			add(record{Op: opLink, Link: &l})
		}
	}
	for _, id := range slices.Sorted(maps.Keys(s.bases)) {
		add(record{Op: opBase, Key: id, Base: s.bases[id]})
	}
	for _, name := range slices.Sorted(maps.Keys(s.cursors)) {
		add(record{Op: opCursor, Key: name, Value: s.cursors[name]})
	}
	entries := slices.SortedFunc(maps.Values(s.conflicts), func(a, b conflictEntry) int { return cmp.Compare(a.seq, b.seq) })
	for _, e := range entries {
		c := e.c
		add(record{Op: opConflict, Seq: e.seq, Conflict: &c})
	}
	now := time.Now()
	for id, until := range s.deliveries {
		if until.After(now) {
			add(record{Op: opSeen, Key: id, Until: until})
		} else {
			delete(s.deliveries, id)
		}
	}
	for k, seq := range s.dirty {
		add(record{Op: opDirty, Key: k, Seq: seq})
	}
	if err != nil {
		return err
	}

	tmp := s.path() + ".tmp"
	tf, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("compacting journal: %w", err)
	}
	if _, err := tf.Write(buf); err != nil {
		tf.Close()
		return fmt.Errorf("compacting journal: %w", err)
	}
	if !s.noSync {
		if err := tf.Sync(); err != nil {
			tf.Close()
			return fmt.Errorf("compacting journal: %w", err)
		}
	}
	if err := tf.Close(); err != nil {
		return fmt.Errorf("compacting journal: %w", err)
	}
	if err := os.Rename(tmp, s.path()); err != nil {
		return fmt.Errorf("compacting journal: %w", err)
	}
	if err := syncDir(s.dir, s.noSync); err != nil {
		return fmt.Errorf("compacting journal: %w", err)
	}
	f, err := os.OpenFile(s.path(), os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("reopening journal: %w", err)
	}
	// The new journal holds every change applied so far, durably; writers
	// still waiting for an fsync of the old file are covered by it.
	s.smu.Lock()
	if s.f != nil {
		s.f.Close()
	}
	s.f, s.size, s.compSize = f, int64(len(buf)), int64(len(buf))
	s.synced = s.written.Load()
	s.smu.Unlock()
	return nil
}

// syncDir makes a rename in dir durable. Windows cannot fsync a directory
// (and does not need to: NTFS journals the rename).
func syncDir(dir string, skip bool) error {
	if skip || runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// write appends records without waiting for the disk and returns the
// append's end as counted by written; the caller holds s.mu, changes memory
// only after write succeeded, and then passes the end to finish. A failed
// append is cut off again so the journal never holds a torn record before
// a good one; if even that fails the store refuses further writes.
func (s *Store) write(recs ...record) (int64, error) {
	if s.broken != nil {
		return 0, fmt.Errorf("journal unusable after an earlier failure: %w", s.broken)
	}
	if p := s.syncFailed.Load(); p != nil {
		return 0, fmt.Errorf("journal unusable after a failed fsync: %w", *p)
	}
	var buf []byte
	for _, r := range recs {
		var err error
		if buf, err = encode(buf, r); err != nil {
			return 0, err
		}
	}
	if _, err := s.f.Write(buf); err != nil {
		if terr := s.f.Truncate(s.size); terr != nil {
			s.broken = errors.Join(err, terr)
		}
		return 0, fmt.Errorf("appending to journal: %w", err)
	}
	s.size += int64(len(buf))
	return s.written.Add(int64(len(buf))), nil
}

// finish ends a write begun under s.mu: it compacts if due, releases s.mu
// and waits until the append ending at end is durable.
func (s *Store) finish(end int64) error {
	s.maybeCompact()
	s.mu.Unlock()
	return s.syncTo(end)
}

// syncTo returns once the journal is durable up to end. Whoever gets smu
// first fsyncs everything appended so far; writers queued behind it find
// their bytes covered and return without an fsync of their own. A failed
// fsync is final: after it the page cache may hold writes the disk never
// got, so the store refuses writes and a restart replays what is on disk.
func (s *Store) syncTo(end int64) error {
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.synced >= end {
		return nil
	}
	if p := s.syncFailed.Load(); p != nil {
		return fmt.Errorf("syncing journal: %w", *p)
	}
	target := s.written.Load()
	if s.noSync {
		s.synced = target
		return nil
	}
	if err := s.f.Sync(); err != nil {
		s.syncFailed.Store(&err)
		return fmt.Errorf("syncing journal: %w", err)
	}
	s.synced = target
	return nil
}

// maybeCompact compacts once the journal has doubled since the last
// compaction (and is past compactMin). A failure is logged, not returned:
// the append that preceded it is durable, and the old journal still works.
func (s *Store) maybeCompact() {
	if s.size < s.compMin || s.size < 2*s.compSize {
		return
	}
	if err := s.compact(); err != nil {
		slog.Warn("embedded store: compaction failed, will retry", "dir", s.dir, "err", err)
		s.compSize = s.size // back off until the journal doubles again
	}
}

// update runs fn under s.mu and then waits until what fn appended is
// durable. fn appends with write, applies its change to memory only once
// write succeeded, and returns the append's end (0 when it wrote nothing).
func (s *Store) update(ctx context.Context, fn func() (int64, error)) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	end, err := fn()
	if err != nil || end == 0 {
		s.mu.Unlock()
		return err
	}
	return s.finish(end)
}

// updateLazy is update without the wait: the append becomes durable with
// the next fsync (any writer's, or Close). For records whose loss in a
// crash is harmless.
func (s *Store) updateLazy(ctx context.Context, fn func() (int64, error)) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	_, err := fn()
	if err == nil {
		s.maybeCompact()
	}
	s.mu.Unlock()
	return err
}

// begin takes the mutex and checks the store is usable.
func (s *Store) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	return nil
}

// SaveLink implements store.State.
func (s *Store) SaveLink(ctx context.Context, l backlog.Link) error {
	if l.ID() == "" {
		return errors.New("saving link: empty Linear id")
	}
	err := s.update(ctx, func() (int64, error) {
		end, err := s.write(record{Op: opLink, Link: &l})
		if err == nil {
			s.putLink(l)
		}
		return end, err
	})
	if err != nil {
		return fmt.Errorf("saving link %s: %w", l.ID(), err)
	}
	return nil
}

// Link implements store.State.
func (s *Store) Link(ctx context.Context, id string) (backlog.Link, error) {
	if err := s.begin(ctx); err != nil {
		return backlog.Link{}, err
	}
	defer s.mu.Unlock()
	l, ok := s.links[id]
	if !ok {
		return backlog.Link{}, fmt.Errorf("link %s: %w", id, store.ErrNotFound)
	}
	return l, nil
}

// LinkBy implements store.State.
func (s *Store) LinkBy(ctx context.Context, r backlog.Ref) (backlog.Link, error) {
	if !r.Side.Valid() {
		return backlog.Link{}, fmt.Errorf("looking up link by %s: unknown side %q", r, r.Side)
	}
	if err := s.begin(ctx); err != nil {
		return backlog.Link{}, err
	}
	defer s.mu.Unlock()
	id := r.ID
	if r.Side == backlog.Jira {
		id = s.jira[r.ID]
	}
	l, ok := s.links[id]
	if r.ID == "" || !ok || l.Ref(r.Side).ID != r.ID {
		return backlog.Link{}, fmt.Errorf("link by %s: %w", r, store.ErrNotFound)
	}
	return l, nil
}

// Links implements store.State.
func (s *Store) Links(ctx context.Context) ([]backlog.Link, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	return slices.Collect(maps.Values(s.links)), nil
}

// DeleteLink implements store.State.
func (s *Store) DeleteLink(ctx context.Context, id string) error {
	err := s.update(ctx, func() (int64, error) {
		_, hasLink := s.links[id]
		_, hasBase := s.bases[id]
		if !hasLink && !hasBase {
			return 0, nil
		}
		end, err := s.write(record{Op: opUnlink, Key: id})
		if err == nil {
			s.dropLink(id)
		}
		return end, err
	})
	if err != nil {
		return fmt.Errorf("deleting link %s: %w", id, err)
	}
	return nil
}

// Base implements store.State.
func (s *Store) Base(ctx context.Context, linkID string) (backlog.Snapshot, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	b, ok := s.bases[linkID]
	if !ok {
		return nil, fmt.Errorf("base of %s: %w", linkID, store.ErrNotFound)
	}
	return maps.Clone(b), nil
}

// SaveBase implements store.State.
func (s *Store) SaveBase(ctx context.Context, lease store.Lease, linkID string, base backlog.Snapshot) error {
	err := s.update(ctx, func() (int64, error) {
		if !s.holds(lease, time.Now()) {
			return 0, fmt.Errorf("under lock %s (token %d): %w", lease.Name, lease.Token, store.ErrLockLost)
		}
		end, err := s.write(record{Op: opBase, Key: linkID, Base: base})
		if err == nil {
			s.bases[linkID] = orEmpty(base)
		}
		return end, err
	})
	if err != nil {
		return fmt.Errorf("saving base of %s: %w", linkID, err)
	}
	return nil
}

// Cursor implements store.State.
func (s *Store) Cursor(ctx context.Context, name string) (string, error) {
	if err := s.begin(ctx); err != nil {
		return "", err
	}
	defer s.mu.Unlock()
	return s.cursors[name], nil
}

// SaveCursor implements store.State.
func (s *Store) SaveCursor(ctx context.Context, name, value string) error {
	err := s.update(ctx, func() (int64, error) {
		if s.cursors[name] == value {
			return 0, nil
		}
		end, err := s.write(record{Op: opCursor, Key: name, Value: value})
		if err == nil {
			s.putCursor(name, value)
		}
		return end, err
	})
	if err != nil {
		return fmt.Errorf("saving cursor %s: %w", name, err)
	}
	return nil
}

func (s *Store) holds(l store.Lease, now time.Time) bool {
	h, ok := s.locks[l.Name]
	return ok && h.token == l.Token && now.Before(h.expires)
}

// Lock implements store.State. Tokens are epoch<<32 | n: the epoch grows
// durably at every Open, n in memory, so no Lock writes to disk.
func (s *Store) Lock(ctx context.Context, name string, ttl time.Duration) (store.Lease, error) {
	if name == "" {
		return store.Lease{}, errors.New("taking lock: empty name")
	}
	if ttl <= 0 {
		return store.Lease{}, fmt.Errorf("taking lock %s: ttl %v not positive", name, ttl)
	}
	if err := s.begin(ctx); err != nil {
		return store.Lease{}, err
	}
	defer s.mu.Unlock()
	now := time.Now()
	if h, ok := s.locks[name]; ok && now.Before(h.expires) {
		return store.Lease{}, fmt.Errorf("taking lock %s: %w", name, store.ErrLocked)
	}
	if s.tokens+1 >= 1<<tokenBits {
		// Four billion Locks in one epoch: start a new one, durably.
		m := s.meta
		m.Epoch++
		if _, err := s.write(record{Op: opMeta, Meta: &m}); err != nil {
			return store.Lease{}, fmt.Errorf("taking lock %s: %w", name, err)
		}
		if err := s.f.Sync(); err != nil { // rare enough to fsync under mu
			return store.Lease{}, fmt.Errorf("taking lock %s: syncing journal: %w", name, err)
		}
		s.meta.Epoch, s.tokens = m.Epoch, 0
	}
	s.tokens++
	token := s.meta.Epoch<<tokenBits | s.tokens
	s.locks[name] = held{token: token, expires: now.Add(ttl)}
	if len(s.locks) > 1024 {
		s.sweepLocks(now)
	}
	return store.Lease{Name: name, Token: token}, nil
}

func (s *Store) sweepLocks(now time.Time) {
	for name, h := range s.locks {
		if !now.Before(h.expires) {
			delete(s.locks, name)
		}
	}
}

// Extend implements store.State.
func (s *Store) Extend(ctx context.Context, lease store.Lease, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("extending lock %s: ttl %v not positive", lease.Name, ttl)
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	now := time.Now()
	if !s.holds(lease, now) {
		return fmt.Errorf("extending lock %s (token %d): %w", lease.Name, lease.Token, store.ErrLockLost)
	}
	s.locks[lease.Name] = held{token: lease.Token, expires: now.Add(ttl)}
	return nil
}

// Unlock implements store.State.
func (s *Store) Unlock(ctx context.Context, lease store.Lease) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if h, ok := s.locks[lease.Name]; ok && h.token == lease.Token {
		delete(s.locks, lease.Name)
	}
	return nil
}

// AddConflict implements store.State. Assigned ids are "c" and a counter
// that never repeats, even across restarts.
func (s *Store) AddConflict(ctx context.Context, c backlog.Conflict) (string, error) {
	err := s.update(ctx, func() (int64, error) {
		seq := s.meta.ConflictSeq + 1
		if c.ID == "" {
			for n := seq; ; n++ {
				id := "c" + strconv.FormatInt(n, 10)
				if _, taken := s.conflicts[id]; !taken {
					c.ID, seq = id, n
					break
				}
			}
		}
		end, err := s.write(record{Op: opConflict, Seq: seq, Conflict: &c})
		if err == nil {
			s.putConflict(conflictEntry{c: c, seq: seq})
			s.meta.ConflictSeq = seq
		}
		return end, err
	})
	if err != nil {
		return "", fmt.Errorf("adding conflict: %w", err)
	}
	return c.ID, nil
}

// UpdateConflict implements store.State.
func (s *Store) UpdateConflict(ctx context.Context, c backlog.Conflict) error {
	err := s.update(ctx, func() (int64, error) {
		e, ok := s.conflicts[c.ID]
		if !ok || c.ID == "" {
			return 0, store.ErrNotFound
		}
		end, err := s.write(record{Op: opConflict, Seq: e.seq, Conflict: &c})
		if err == nil {
			s.putConflict(conflictEntry{c: c, seq: e.seq})
		}
		return end, err
	})
	if err != nil {
		return fmt.Errorf("updating conflict %q: %w", c.ID, err)
	}
	return nil
}

// Conflict implements store.State.
func (s *Store) Conflict(ctx context.Context, id string) (backlog.Conflict, error) {
	if err := s.begin(ctx); err != nil {
		return backlog.Conflict{}, err
	}
	defer s.mu.Unlock()
	e, ok := s.conflicts[id]
	if !ok {
		return backlog.Conflict{}, fmt.Errorf("conflict %s: %w", id, store.ErrNotFound)
	}
	return e.c, nil
}

// Conflicts implements store.State: newest first, and among records of the
// same instant the one added last first.
func (s *Store) Conflicts(ctx context.Context, f store.ConflictFilter) ([]backlog.Conflict, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var es []conflictEntry
	if f.LinkID != "" {
		for id := range s.byLink[f.LinkID] {
			if e := s.conflicts[id]; f.Match(e.c) {
				es = append(es, e)
			}
		}
	} else {
		for _, e := range s.conflicts {
			if f.Match(e.c) {
				es = append(es, e)
			}
		}
	}
	sortNewestFirst(es)
	if f.Limit > 0 && len(es) > f.Limit {
		es = es[:f.Limit]
	}
	out := make([]backlog.Conflict, len(es))
	for i, e := range es {
		out[i] = e.c
	}
	return out, nil
}

func sortNewestFirst(es []conflictEntry) {
	slices.SortFunc(es, func(a, b conflictEntry) int {
		if c := b.c.At.Compare(a.c.At); c != 0 {
			return c
		}
		return cmp.Compare(b.seq, a.seq)
	})
}

// PruneConflicts implements store.ConflictPruner. The drops are one append.
func (s *Store) PruneConflicts(ctx context.Context, before time.Time, keep int) (int, error) {
	dropped := 0
	err := s.update(ctx, func() (int64, error) {
		var es []conflictEntry
		for _, e := range s.conflicts {
			if store.Prunable(e.c) {
				es = append(es, e)
			}
		}
		sortNewestFirst(es)
		var recs []record
		for i, e := range es {
			if (keep > 0 && i >= keep) || (!before.IsZero() && e.c.At.Before(before)) {
				recs = append(recs, record{Op: opDropConf, Key: e.c.ID})
			}
		}
		if len(recs) == 0 {
			return 0, nil
		}
		end, err := s.write(recs...)
		if err != nil {
			return 0, err
		}
		for _, r := range recs {
			s.dropConflict(r.Key)
		}
		dropped = len(recs)
		return end, nil
	})
	if err != nil {
		return 0, fmt.Errorf("pruning conflicts: %w", err)
	}
	return dropped, nil
}

// SeenDelivery implements store.State. It does not wait for an fsync: a
// delivery forgotten in a crash is at worst processed twice, which the
// level-triggered sync makes harmless, and the webhook's MarkDirty that
// follows fsyncs it anyway.
func (s *Store) SeenDelivery(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, fmt.Errorf("recording delivery %s: ttl %v not positive", id, ttl)
	}
	seen := false
	err := s.updateLazy(ctx, func() (int64, error) {
		now := time.Now()
		if until, ok := s.deliveries[id]; ok && now.Before(until) {
			seen = true
			return 0, nil
		}
		until := now.Add(ttl).Round(0) // wall clock only: it must mean the same after a restart
		end, err := s.write(record{Op: opSeen, Key: id, Until: until})
		if err != nil {
			return 0, err
		}
		s.deliveries[id] = until
		if s.seenAdds++; s.seenAdds >= 1024 {
			s.seenAdds = 0
			for d, u := range s.deliveries {
				if !now.Before(u) {
					delete(s.deliveries, d)
				}
			}
		}
		return end, nil
	})
	if err != nil {
		return false, fmt.Errorf("recording delivery %s: %w", id, err)
	}
	return seen, nil
}

// ForgetDelivery implements store.State.
func (s *Store) ForgetDelivery(ctx context.Context, id string) error {
	err := s.update(ctx, func() (int64, error) {
		if _, ok := s.deliveries[id]; !ok {
			return 0, nil
		}
		end, err := s.write(record{Op: opForget, Key: id})
		if err == nil {
			delete(s.deliveries, id)
		}
		return end, err
	})
	if err != nil {
		return fmt.Errorf("forgetting delivery %s: %w", id, err)
	}
	return nil
}

// MarkDirty implements store.State.
func (s *Store) MarkDirty(ctx context.Context, key string) (int64, error) {
	if key == "" {
		return 0, errors.New("marking dirty: empty key")
	}
	var seq int64
	err := s.update(ctx, func() (int64, error) {
		seq = s.meta.DirtySeq + 1
		end, err := s.write(record{Op: opDirty, Key: key, Seq: seq})
		if err == nil {
			s.dirty[key] = seq
			s.meta.DirtySeq = seq
		}
		return end, err
	})
	if err != nil {
		return 0, fmt.Errorf("marking %s dirty: %w", key, err)
	}
	return seq, nil
}

// MarkDirtyMany implements store.ManyMarker: one append, one fsync.
func (s *Store) MarkDirtyMany(ctx context.Context, keys []string) ([]int64, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	if slices.Contains(keys, "") {
		return nil, errors.New("marking dirty: empty key")
	}
	seqs := make([]int64, len(keys))
	err := s.update(ctx, func() (int64, error) {
		recs := make([]record, len(keys))
		for k, key := range keys {
			seqs[k] = s.meta.DirtySeq + 1 + int64(k)
			recs[k] = record{Op: opDirty, Key: key, Seq: seqs[k]}
		}
		end, err := s.write(recs...)
		if err == nil {
			for k, key := range keys {
				s.dirty[key] = seqs[k]
			}
			s.meta.DirtySeq = seqs[len(seqs)-1]
		}
		return end, err
	})
	if err != nil {
		return nil, fmt.Errorf("marking %d keys dirty: %w", len(keys), err)
	}
	return seqs, nil
}

// Dirty implements store.State.
func (s *Store) Dirty(ctx context.Context) (map[string]int64, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	return maps.Clone(s.dirty), nil
}

// ClearDirty implements store.State. The clear is not waited for: it is
// durable with the next fsync (any writer's). A clear lost to a power cut
// leaves the key marked, so it is synced once more, which a pass that
// finds nothing to do makes harmless; a lost mark would not be.
func (s *Store) ClearDirty(ctx context.Context, key string, seq int64) error {
	err := s.updateLazy(ctx, func() (int64, error) {
		if cur, ok := s.dirty[key]; !ok || cur != seq {
			return 0, nil
		}
		end, err := s.write(record{Op: opClean, Key: key, Seq: seq})
		if err == nil {
			delete(s.dirty, key)
		}
		return end, err
	})
	if err != nil {
		return fmt.Errorf("clearing dirty %s: %w", key, err)
	}
	return nil
}

// Close releases the journal and the data dir lock. Locks held in memory
// are released with it. Closing twice is harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	// Make every append durable before closing, so a writer that released
	// mu but has not reached syncTo yet finds its bytes covered.
	s.smu.Lock()
	var err error
	if s.synced < s.written.Load() && s.syncFailed.Load() == nil {
		if err = s.f.Sync(); err == nil {
			s.synced = s.written.Load()
		}
	}
	err = errors.Join(err, s.f.Close())
	s.smu.Unlock()
	return errors.Join(err, s.lock.Close())
}
