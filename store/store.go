package store

import (
	"context"
	"errors"
	"time"

	"github.com/tandem-sync/tandem/backlog"
)

// State is the daemon's durable memory. All methods are safe for concurrent
// use, by goroutines and (for shared implementations) by several processes.
type State interface {
	// SaveLink creates or replaces the link named l.ID(), indexing it by
	// both refs (an empty Jira ref is not indexed).
	SaveLink(ctx context.Context, l backlog.Link) error
	// Link returns the link with id (a Linear issue id), or ErrNotFound.
	Link(ctx context.Context, id string) (backlog.Link, error)
	// LinkBy returns the link whose ref on side r.Side has id r.ID, or
	// ErrNotFound.
	LinkBy(ctx context.Context, r backlog.Ref) (backlog.Link, error)
	// Links lists every link, in no particular order.
	Links(ctx context.Context) ([]backlog.Link, error)
	// DeleteLink removes a link, its indexes and its base.
	DeleteLink(ctx context.Context, id string) error

	// Base returns the base snapshot of a link, or ErrNotFound.
	Base(ctx context.Context, linkID string) (backlog.Snapshot, error)
	// SaveBase stores the base snapshot, but only while lease is still the
	// current holder of its lock (fencing): otherwise ErrLockLost and
	// nothing is written.
	SaveBase(ctx context.Context, lease Lease, linkID string, base backlog.Snapshot) error

	// Cursor returns the saved poll cursor of name, "" when none.
	Cursor(ctx context.Context, name string) (string, error)
	// SaveCursor stores a poll cursor.
	SaveCursor(ctx context.Context, name, value string) error

	// Lock takes the named lock for ttl, or returns ErrLocked when another
	// holder has it. Every successful Lock of a name returns a larger
	// fencing token than the one before.
	Lock(ctx context.Context, name string, ttl time.Duration) (Lease, error)
	// Extend renews a held lock for ttl; ErrLockLost when it is no longer
	// held by lease.
	Extend(ctx context.Context, lease Lease, ttl time.Duration) error
	// Unlock releases the lock if lease still holds it; releasing a lost
	// lock is not an error.
	Unlock(ctx context.Context, lease Lease) error

	// AddConflict appends a conflict record, assigning its ID when empty,
	// and returns the ID.
	AddConflict(ctx context.Context, c backlog.Conflict) (string, error)
	// UpdateConflict replaces an existing record (settling it); ErrNotFound
	// when the ID is unknown.
	UpdateConflict(ctx context.Context, c backlog.Conflict) error
	// Conflict returns one record, or ErrNotFound.
	Conflict(ctx context.Context, id string) (backlog.Conflict, error)
	// Conflicts lists records matching f, newest first.
	Conflicts(ctx context.Context, f ConflictFilter) ([]backlog.Conflict, error)

	// SeenDelivery records a webhook delivery id for ttl and reports
	// whether it had been recorded before (a duplicate delivery).
	SeenDelivery(ctx context.Context, id string, ttl time.Duration) (bool, error)
	// ForgetDelivery removes a recorded delivery id, so that the sender's
	// retry of a delivery that could not be queued (MarkDirty failed after
	// SeenDelivery) is not dropped as a duplicate. Forgetting an unknown id
	// is not an error.
	ForgetDelivery(ctx context.Context, id string) error

	// MarkDirty durably records that key needs a sync pass and returns the
	// mark's sequence number. A webhook is acknowledged only after this
	// returns nil.
	MarkDirty(ctx context.Context, key string) (int64, error)
	// Dirty lists the keys marked and not yet cleared, with their latest
	// sequence numbers.
	Dirty(ctx context.Context) (map[string]int64, error)
	// ClearDirty removes key's mark if its sequence number is still seq (a
	// mark made during the pass survives).
	ClearDirty(ctx context.Context, key string, seq int64) error

	// Close releases the store's resources.
	Close() error
}

// ManyMarker is the optional capability of marking many keys dirty at
// once: what MarkDirty does for each key, in order, made durable together
// (one journal append and one fsync, one Redis round trip), so a poll's
// page of changes costs one durable write, not one per key. The seqs are
// the keys' in order. On an error none, some or all keys may be marked;
// the caller marks them again (a mark is idempotent but for its seq).
type ManyMarker interface {
	MarkDirtyMany(ctx context.Context, keys []string) ([]int64, error)
}

// MarkDirtyMany marks keys dirty with st's ManyMarker, or one by one (a
// single key always by MarkDirty).
func MarkDirtyMany(ctx context.Context, st State, keys []string) ([]int64, error) {
	if m, ok := st.(ManyMarker); ok && len(keys) > 1 {
		return m.MarkDirtyMany(ctx, keys)
	}
	seqs := make([]int64, 0, len(keys))
	for _, k := range keys {
		seq, err := st.MarkDirty(ctx, k)
		if err != nil {
			return nil, err
		}
		seqs = append(seqs, seq)
	}
	return seqs, nil
}

// Lease is a held lock.
type Lease struct {
	Name  string
	Token int64
}

// ConflictFilter narrows Conflicts. Zero values match everything.
type ConflictFilter struct {
	OpenOnly bool
	// Unapplied keeps only settled records whose value has not been
	// written to both sides yet (a person's decision waiting for a pass).
	Unapplied bool
	Field     backlog.Field
	LinkID    string
	Since     time.Time
	Limit     int
}

// Match reports whether c passes the filter (Limit aside).
func (f ConflictFilter) Match(c backlog.Conflict) bool {
	if f.OpenOnly && !c.Open() {
		return false
	}
	if f.Unapplied && (c.Open() || c.Applied) {
		return false
	}
	if f.Field != "" && c.Field != f.Field {
		return false
	}
	if f.LinkID != "" && c.LinkID != f.LinkID {
		return false
	}
	if !f.Since.IsZero() && c.At.Before(f.Since) {
		return false
	}
	return true
}

var (
	ErrNotFound = errors.New("not found")
	ErrLocked   = errors.New("locked by another holder")
	ErrLockLost = errors.New("lock lost")
)
