package redis

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/store"
)

// replicas is a store.State that sends each call to the next of two
// clients in turn, as two daemon replicas would share the work.
type replicas struct {
	s [2]store.State
	n atomic.Uint64
}

func (r *replicas) next() store.State { return r.s[r.n.Add(1)%2] }

func (r *replicas) SaveLink(ctx context.Context, l backlog.Link) error {
	return r.next().SaveLink(ctx, l)
}
func (r *replicas) Link(ctx context.Context, id string) (backlog.Link, error) {
	return r.next().Link(ctx, id)
}
func (r *replicas) LinkBy(ctx context.Context, ref backlog.Ref) (backlog.Link, error) {
	return r.next().LinkBy(ctx, ref)
}
func (r *replicas) Links(ctx context.Context) ([]backlog.Link, error) { return r.next().Links(ctx) }
func (r *replicas) DeleteLink(ctx context.Context, id string) error {
	return r.next().DeleteLink(ctx, id)
}
func (r *replicas) Base(ctx context.Context, id string) (backlog.Snapshot, error) {
	return r.next().Base(ctx, id)
}
func (r *replicas) SaveBase(ctx context.Context, l store.Lease, id string, b backlog.Snapshot) error {
	return r.next().SaveBase(ctx, l, id, b)
}
func (r *replicas) Cursor(ctx context.Context, name string) (string, error) {
	return r.next().Cursor(ctx, name)
}
func (r *replicas) SaveCursor(ctx context.Context, name, v string) error {
	return r.next().SaveCursor(ctx, name, v)
}
func (r *replicas) Lock(ctx context.Context, name string, ttl time.Duration) (store.Lease, error) {
	return r.next().Lock(ctx, name, ttl)
}
func (r *replicas) Extend(ctx context.Context, l store.Lease, ttl time.Duration) error {
	return r.next().Extend(ctx, l, ttl)
}
func (r *replicas) Unlock(ctx context.Context, l store.Lease) error {
	return r.next().Unlock(ctx, l)
}
func (r *replicas) AddConflict(ctx context.Context, c backlog.Conflict) (string, error) {
	return r.next().AddConflict(ctx, c)
}
func (r *replicas) UpdateConflict(ctx context.Context, c backlog.Conflict) error {
	return r.next().UpdateConflict(ctx, c)
}
func (r *replicas) Conflict(ctx context.Context, id string) (backlog.Conflict, error) {
	return r.next().Conflict(ctx, id)
}
func (r *replicas) Conflicts(ctx context.Context, f store.ConflictFilter) ([]backlog.Conflict, error) {
	return r.next().Conflicts(ctx, f)
}
func (r *replicas) SeenDelivery(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	return r.next().SeenDelivery(ctx, id, ttl)
}
func (r *replicas) ForgetDelivery(ctx context.Context, id string) error {
	return r.next().ForgetDelivery(ctx, id)
}
func (r *replicas) MarkDirty(ctx context.Context, key string) (int64, error) {
	return r.next().MarkDirty(ctx, key)
}
func (r *replicas) Dirty(ctx context.Context) (map[string]int64, error) {
	return r.next().Dirty(ctx)
}
func (r *replicas) ClearDirty(ctx context.Context, key string, seq int64) error {
	return r.next().ClearDirty(ctx, key, seq)
}
func (r *replicas) PruneConflicts(ctx context.Context, before time.Time, keep int) (int, error) {
	return r.next().(store.ConflictPruner).PruneConflicts(ctx, before, keep)
}
func (r *replicas) Close() error { return errors.Join(r.s[0].Close(), r.s[1].Close()) }
