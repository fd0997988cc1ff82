package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/budget"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/store"
)

// A backfill (the first start against a full tool, or many new issues at
// once) is where one-by-one passes cost the most: each new item is read,
// its twin created and read back, one call each. SyncMany takes the new
// items of one side together: one batch read of the sources, one batch
// create of the twins, one batch read of the twins back. The exactly-once
// guarantee is the one-by-one pass's: every pending link is saved before
// the create call, and the creates are idempotent per origin, so a crash
// anywhere is resumed by finishCreate without a second twin.

// Hinted is a ref with the version its reports named ("" when none or
// when they disagreed), as WithVersion takes it.
type Hinted struct {
	Ref     backlog.Ref
	Version string
}

// Outcome is one ref's result of SyncMany: what Sync would have returned.
type Outcome struct {
	Result Result
	Err    error
}

func batchGetter(c connectors.Connector) (connectors.BatchGetter, bool) {
	g, ok := c.(connectors.BatchGetter)
	return g, ok && g.MaxGet() > 1
}

func batchCreator(c connectors.Connector) (connectors.BatchCreator, bool) {
	b, ok := c.(connectors.BatchCreator)
	return b, ok && b.MaxCreate() > 1
}

// BatchSize is how many refs of side one SyncMany takes: what one batch
// read of side and one batch create on the other side take, or 1 when
// either tool cannot batch.
func (s *Syncer) BatchSize(side backlog.Side) int {
	g, gok := batchGetter(s.conn(side))
	c, cok := batchCreator(s.conn(side.Other()))
	if !gok || !cok {
		return 1
	}
	return min(g.MaxGet(), c.MaxCreate())
}

// SyncMany runs the passes of refs, which are all of one side. Unlinked
// items, a backfill's, are read and get their twins in batches; linked
// ones run their passes one by one as Sync runs them. The outcomes are in
// the order of refs.
func (s *Syncer) SyncMany(ctx context.Context, refs []Hinted) []Outcome {
	out := make([]Outcome, len(refs))
	if len(refs) == 0 {
		return out
	}
	side := refs[0].Ref.Side
	g, gok := batchGetter(s.conn(side))
	c, cok := batchCreator(s.conn(side.Other()))
	var fresh []int
	for i, h := range refs {
		if !gok || !cok || h.Ref.Side != side || len(fresh) == min(g.MaxGet(), c.MaxCreate()) {
			out[i] = s.one(ctx, h)
			continue
		}
		l, err := s.State.LinkBy(ctx, h.Ref)
		_, ours := s.origins.of(h.Ref.ID)
		switch {
		case errors.Is(err, store.ErrNotFound) && side == backlog.Jira && ours:
			out[i] = s.one(ctx, h) // a twin we made, its link being saved
		case errors.Is(err, store.ErrNotFound):
			fresh = append(fresh, i)
		case err != nil:
			out[i].Err = fmt.Errorf("looking up link of %s: %w", h.Ref, err)
		case l.Pending == side.Other():
			// A twin still to make (a batch that failed, a crash): made
			// in the batch too; the create is idempotent.
			fresh = append(fresh, i)
		default:
			out[i] = s.one(ctx, h)
		}
	}
	if len(fresh) > 1 && budget.PurposeOf(ctx) != budget.Webhook {
		// New items in numbers: a backfill, spending the budget last.
		ctx = budget.WithPurpose(ctx, budget.Backfill)
	}
	if len(fresh) > 0 {
		s.backfill(ctx, side, g, c, refs, fresh, out)
	}
	return out
}

func (s *Syncer) one(ctx context.Context, h Hinted) Outcome {
	res, err := s.Sync(WithVersion(ctx, h.Version), h.Ref)
	return Outcome{res, err}
}

// pendingTwin is one item of a batch create: its link, locked and saved
// as pending, the source and the twin to make.
type pendingTwin struct {
	at    int // index in SyncMany's refs
	lease store.Lease
	link  backlog.Link
	src   backlog.Item
	twin  backlog.Item
}

// backfill gives the unlinked items refs[fresh] their twins, batched.
func (s *Syncer) backfill(ctx context.Context, side backlog.Side, g connectors.BatchGetter, c connectors.BatchCreator, refs []Hinted, fresh []int, out []Outcome) {
	ids := make([]string, len(fresh))
	for n, i := range fresh {
		ids[n] = refs[i].Ref.ID
	}
	items, err := g.GetMany(ctx, ids)
	if err != nil {
		for _, i := range fresh {
			out[i].Err = fmt.Errorf("reading %d %s items: %w", len(ids), side, err)
		}
		return
	}
	var batch []pendingTwin
	defer func() {
		for _, p := range batch {
			s.unlock(ctx, p.lease)
		}
	}()
	decided := s.matchFresh(ctx, refs, fresh, items, out)
	for _, i := range fresh {
		ref := refs[i].Ref
		src, ok := items[ref.ID]
		if !ok || decided[i] {
			continue // gone before we looked, or matched: nothing more to do
		}
		p, res, done, err := s.prepareTwin(ctx, src)
		if err != nil || done {
			out[i] = Outcome{res, err}
			continue
		}
		if p == nil {
			// Not a plain new item (a lost link, a parent without a twin):
			// the one-by-one pass, with what was read handed on.
			out[i] = s.adoptOne(ctx, ref, src)
			continue
		}
		p.at = i
		batch = append(batch, *p)
	}
	if len(batch) == 0 {
		return
	}
	twins := make([]backlog.Item, len(batch))
	for n, p := range batch {
		twins[n] = p.twin
	}
	made, err := c.CreateMany(ctx, twins)
	var be *connectors.BatchError
	if err != nil && !errors.As(err, &be) {
		// Nothing is known to be made: the pending links stay, and the
		// next pass of each finishes (or makes) its twin.
		for _, p := range batch {
			out[p.at].Err = fmt.Errorf("creating %d %s twins: %w", len(batch), side.Other(), err)
		}
		return
	}
	if side.Other() == backlog.Jira {
		for n, p := range batch {
			if n < len(made) && made[n].ID != "" {
				s.origins.note(made[n].ID, p.link.ID())
			}
		}
	}
	read := s.readBack(ctx, side.Other(), made)
	// The new pairs' cross-links, batched where the tool can, before any
	// link leaves pending (a failure resumes through finishCreate).
	var ok []int
	var fresh2 []backlog.Link
	for n, p := range batch {
		if be != nil {
			if _, failed := be.Failed[n]; failed {
				continue
			}
		}
		ok, fresh2 = append(ok, n), append(fresh2, filled(p.link, made[n]))
	}
	xws, xfail := s.crossLinkMany(ctx, fresh2)
	xwOf, xerrOf := map[int]int{}, map[int]error{}
	for k, n := range ok {
		xwOf[n] = xws[k]
		if err, bad := xfail[k]; bad {
			xerrOf[n] = err
		}
	}
	for n, p := range batch {
		if be != nil {
			if ferr, failed := be.Failed[n]; failed {
				out[p.at].Err = fmt.Errorf("creating %s twin of %s: %w", side.Other(), p.src.Ref, ferr)
				continue
			}
		}
		if err := xerrOf[n]; err != nil {
			out[p.at] = Outcome{Result{Writes: xwOf[n]}, err}
			continue
		}
		var twin *backlog.Item
		if t, ok := read[made[n].ID]; ok {
			twin = &t
		}
		got, differs, xw, err := s.created(ctx, p.lease, p.link, p.src, made[n], twin, true)
		xw += xwOf[n]
		if err != nil {
			out[p.at] = Outcome{Result{Writes: xw}, err}
			continue
		}
		out[p.at].Result = Result{Writes: 1 + xw, Created: 1}
		relations, err := s.relationsToWrite(ctx, p.src)
		if err != nil {
			out[p.at].Err = err
			continue
		}
		if differs || relations || s.extrasToCopy(p.src) {
			// The twin could not take everything at its create (Jira's
			// status needs a transition; relations wait for their
			// pairs), or the batch read does not say the source has no
			// comments or files: a merge of the new pair carries the rest, from
			// the two items in hand.
			link, err := s.State.Link(ctx, p.link.ID())
			if err != nil {
				out[p.at].Err = fmt.Errorf("reading link %s: %w", p.link.ID(), err)
				continue
			}
			res, err := s.mergeKnown(ctx, p.lease, link, "", p.src, got)
			res.Writes++
			res.Created++
			out[p.at] = Outcome{res, err}
		}
	}
}

// prepareTwin locks and saves the pending link of a new item src. It
// returns nil (and done false) when src is not a plain new item and
// needs the one-by-one pass, and done when src needs nothing (out of
// scope, archived, locked by another pass: res says when to come back).
func (s *Syncer) prepareTwin(ctx context.Context, src backlog.Item) (p *pendingTwin, res Result, done bool, err error) {
	if src.Ref.Side == backlog.Jira && src.Origin.Side == backlog.Linear && src.Origin.ID != "" {
		return nil, res, false, nil // a twin whose link was lost
	}
	if src.Kind == backlog.KindEpic {
		return nil, res, false, nil // an epic ⇄ project: one by one
	}
	if s.syncsParent() && src.Parent != "" {
		pv, err := s.canonParent(ctx, src.Ref.Side, src.Parent)
		if err != nil {
			return nil, res, true, err
		}
		if len(pv) > 0 && pv[0] == '?' {
			return nil, res, false, nil // its parent needs a twin first
		}
	}
	if sc := s.scope(src.Ref.Side); sc != nil {
		in, err := sc.InScope(ctx, src)
		if err != nil {
			return nil, res, true, fmt.Errorf("checking scope of %s: %w", src.Ref, err)
		}
		if !in {
			return nil, res, true, nil
		}
	}
	if src.Archived {
		return nil, res, true, nil
	}
	linkID := src.Ref.ID
	link := backlog.Link{Created: s.now()}
	if src.Ref.Side == backlog.Jira {
		linkID = backlog.TwinID(s.Site, src.Ref.ID)
		link.Jira, link.Linear, link.Pending = src.Ref, backlog.Ref{Side: backlog.Linear, ID: linkID}, backlog.Linear
	} else {
		link.Linear, link.Pending = src.Ref, backlog.Jira
	}
	lease, err := s.lock(ctx, "link:"+linkID, s.lockTTL())
	if errors.Is(err, store.ErrLocked) {
		return nil, Result{RequeueAfter: 50 * time.Millisecond}, true, nil
	}
	if err != nil {
		return nil, res, true, fmt.Errorf("locking link %s: %w", linkID, err)
	}
	// Another pass may have linked it between the look-up and the lock;
	// a pending link (a create cut short) is finished here.
	switch old, err := s.State.Link(ctx, linkID); {
	case errors.Is(err, store.ErrNotFound):
		if err := s.State.SaveLink(ctx, link); err != nil {
			s.unlock(ctx, lease)
			return nil, res, true, fmt.Errorf("saving pending link %s: %w", linkID, err)
		}
	case err != nil:
		s.unlock(ctx, lease)
		return nil, res, true, fmt.Errorf("reading link %s: %w", linkID, err)
	case old.Pending == link.Pending && old.Ref(src.Ref.Side).ID == src.Ref.ID:
		link = old
	default:
		s.unlock(ctx, lease)
		return nil, Result{RequeueAfter: time.Millisecond}, true, nil
	}
	twin, wait, err := s.twinOf(ctx, link, src)
	if err != nil || wait != nil {
		// The pending link is saved: its next pass creates the twin.
		s.unlock(ctx, lease)
		if err != nil {
			return nil, res, true, err
		}
		return nil, Result{RequeueAfter: max(wait.RequeueAfter, 50*time.Millisecond)}, true, nil
	}
	return &pendingTwin{lease: lease, link: link, src: src, twin: twin}, res, false, nil
}

// adoptOne is Sync for an unlinked item already read.
func (s *Syncer) adoptOne(ctx context.Context, ref backlog.Ref, src backlog.Item) Outcome {
	linkID := ref.ID
	if ref.Side == backlog.Jira {
		linkID = backlog.TwinID(s.Site, ref.ID)
		if src.Origin.Side == backlog.Linear && src.Origin.ID != "" {
			linkID = src.Origin.ID
			s.origins.note(ref.ID, linkID)
		}
	}
	lease, err := s.lock(ctx, "link:"+linkID, s.lockTTL())
	if errors.Is(err, store.ErrLocked) {
		return Outcome{Result: Result{RequeueAfter: 50 * time.Millisecond}}
	}
	if err != nil {
		return Outcome{Err: fmt.Errorf("locking link %s: %w", linkID, err)}
	}
	defer s.unlock(ctx, lease)
	res, err := s.syncLocked(ctx, lease, ref, linkID, &src)
	return Outcome{res, err}
}

// readBack reads the new twins made, in batches where the side can; a
// twin missing from the answer is read again by created, one by one.
func (s *Syncer) readBack(ctx context.Context, side backlog.Side, made []backlog.Ref) map[string]backlog.Item {
	var ids []string
	for _, r := range made {
		if r.ID != "" {
			ids = append(ids, r.ID)
		}
	}
	out := map[string]backlog.Item{}
	if cr, ok := s.conn(side).(connectors.CreatedReader); ok {
		for id, it := range cr.Created(ids) {
			out[id] = it
		}
		ids = slices.DeleteFunc(ids, func(id string) bool { _, ok := out[id]; return ok })
	}
	for id, it := range s.readBatched(ctx, side, ids) {
		out[id] = it
	}
	return out
}

func (s *Syncer) lockTTL() time.Duration {
	if s.LockTTL > 0 {
		return s.LockTTL
	}
	return 30 * time.Second
}

// lock takes a link's lock and keeps it renewed (store.Keep) until
// unlock, so a pass waiting for budget does not lose it.
func (s *Syncer) lock(ctx context.Context, name string, ttl time.Duration) (store.Lease, error) {
	lease, err := s.State.Lock(ctx, name, ttl)
	if err != nil {
		return lease, err
	}
	s.keepers.Store(lease, store.Keep(ctx, s.State, lease, ttl, s.log()))
	return lease, nil
}

func (s *Syncer) unlock(ctx context.Context, lease store.Lease) {
	if stop, ok := s.keepers.LoadAndDelete(lease); ok {
		stop.(func())()
	}
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.State.Unlock(uctx, lease); err != nil {
		s.log().Warn("unlocking", "lease", lease, "err", err)
	}
}

// matchFresh looks, in batches, for the existing twins of the plain new
// items among refs[fresh] (not those with a pending link: their create
// was decided) and runs the pass of each matched or ambiguous one. It
// marks those done in the returned set; a failed look-up is the outcome
// of every item it covered.
func (s *Syncer) matchFresh(ctx context.Context, refs []Hinted, fresh []int, items map[string]backlog.Item, out []Outcome) map[int]bool {
	done := map[int]bool{}
	if !s.Match.on() {
		return done
	}
	var at []int
	var srcs []backlog.Item
	for _, i := range fresh {
		src, ok := items[refs[i].Ref.ID]
		if !ok || src.Archived || src.Kind == backlog.KindEpic || src.Ref.Side == backlog.Jira && src.Origin.Side == backlog.Linear && src.Origin.ID != "" {
			continue
		}
		if l, err := s.State.LinkBy(ctx, src.Ref); err == nil && l.Pending != "" {
			continue
		}
		at, srcs = append(at, i), append(srcs, src)
	}
	ds, err := s.findTwins(ctx, srcs)
	if err != nil {
		for _, i := range at {
			out[i].Err, done[i] = err, true
		}
		return done
	}
	for n, d := range ds {
		if d.Matched() || len(d.Ambiguous) > 0 {
			out[at[n]], done[at[n]] = s.adoptDecided(ctx, srcs[n], d), true
		}
	}
	return done
}
