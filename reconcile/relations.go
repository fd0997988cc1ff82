package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/store"
)

// Relations (blocks, duplicates, related) are a set per item, merged like
// labels. A connector reads each relation with the other item's id on its
// own side; the canonical value names the other item by its link id, the
// same on both sides, so only relations between linked pairs are merged.
// A relation to an item outside the sync (no link, a stopped pair) is
// taken out before the merge: it is never written, never deleted, and
// `tandem diff` lists it. A relation to an item whose twin is still being
// made waits (the pass is retried).

func (s *Syncer) syncsRelations() bool {
	return slices.Contains(s.fields(), backlog.Relations) && s.Directions[backlog.Relations] != DirectionOff
}

// canonRelations rewrites it.Relations to link ids, taking out the
// relations to items outside the sync (returned) and to items whose twin
// is pending (wait is set).
func (s *Syncer) canonRelations(ctx context.Context, it *backlog.Item) (outside []backlog.Relation, wait bool, err error) {
	if len(it.Relations) == 0 {
		return nil, false, nil
	}
	var in []backlog.Relation
	for _, r := range it.Relations {
		l, err := s.State.LinkBy(ctx, backlog.Ref{Side: it.Ref.Side, ID: r.To})
		switch {
		case errors.Is(err, store.ErrNotFound):
			outside = append(outside, r)
			continue
		case err != nil:
			return nil, false, fmt.Errorf("looking up the link of %s:%s (a relation of %s): %w", it.Ref.Side, r.To, it.Ref, err)
		case l.Pending != "":
			wait = true
			continue
		case l.Stopped != "" || l.Ref(it.Ref.Side.Other()).ID == "" || l.Kind == backlog.KindEpic:
			// An epic held as a Linear project takes no issue relation.
			outside = append(outside, r)
			continue
		}
		in = append(in, backlog.Relation{Type: r.Type, To: l.ID()})
	}
	it.Relations = in
	return outside, wait, nil
}

// canonBothRelations is canonRelations of a pair.
func (s *Syncer) canonBothRelations(ctx context.Context, jira, linear *backlog.Item) (wait bool, err error) {
	if !s.syncsRelations() {
		return false, nil
	}
	for _, it := range []*backlog.Item{jira, linear} {
		_, w, err := s.canonRelations(ctx, it)
		if err != nil {
			return false, err
		}
		wait = wait || w
	}
	return wait, nil
}

// localRelations rewrites the patches' Relations lines from link ids into
// each side's ids. A line whose other item has no id there any more (its
// link went away meanwhile) is dropped; wait says so.
func (s *Syncer) localRelations(ctx context.Context, out *Output) (wait bool, err error) {
	for _, side := range []backlog.Side{backlog.Jira, backlog.Linear} {
		p := out.Patch(side)
		v, ok := p[backlog.Relations]
		if !ok {
			continue
		}
		add, remove := backlog.ParseSetPatch(v)
		var lines []string
		for _, group := range []struct {
			sign  string
			lines []string
		}{{"+", add}, {"-", remove}} {
			for _, line := range group.lines {
				r, err := backlog.ParseRelation(line)
				if err != nil {
					return false, err
				}
				l, err := s.State.Link(ctx, r.To)
				if errors.Is(err, store.ErrNotFound) || (err == nil && (l.Pending != "" || l.Ref(side).ID == "")) {
					wait = true
					continue
				}
				if err != nil {
					return false, fmt.Errorf("looking up link %s (a relation): %w", r.To, err)
				}
				lines = append(lines, group.sign+backlog.Relation{Type: r.Type, To: l.Ref(side).ID}.String())
			}
		}
		if len(lines) == 0 {
			delete(p, backlog.Relations)
			continue
		}
		p[backlog.Relations] = backlog.Value(strings.Join(lines, "\n"))
	}
	return wait, nil
}

// mergeRelations is the set merge of relations. One-way, the target takes
// the source's adds and removes since the base, and keeps its own.
//
// Both items of a relation hold it (A blocks:B, B blocked_by:A) and a
// change shows at both, so both pairs' passes would write it, at the same
// time when the reports come together; a tool that does not refuse a
// second equal relation (Linear does not say it does) would get two. So
// only one end writes: the one holding blocks or duplicates, and for
// related the pair with the smaller link id (primary). The other end's
// pass writes nothing of that relation and leaves it out of the base,
// so it sees the primary's write as agreement rather than its own edit.
func mergeRelations(in Input, b, j, l backlog.Value, out *Output) {
	f := backlog.Relations
	self := in.Linear.Ref.ID // the link id
	base, jp, lp := b, backlog.Value(""), backlog.Value("")
	switch in.Directions[f] {
	case JiraToLinear:
		base = j
		lp = backlog.SetPatch(l, backlog.ApplySetPatch(l, backlog.SetPatch(b, j)))
	case LinearToJira:
		base = l
		jp = backlog.SetPatch(j, backlog.ApplySetPatch(j, backlog.SetPatch(b, l)))
	default:
		base = backlog.MergeSets(b, j, l)
		jp, lp = backlog.SetPatch(j, base), backlog.SetPatch(l, base)
	}
	var undo []string // SetPatch lines that take the base back where a write is left to the primary
	keep := func(p backlog.Value, target backlog.Side) backlog.Value {
		add, remove := backlog.ParseSetPatch(p)
		var lines []string
		for _, group := range []struct {
			sign, inverse string
			lines         []string
		}{{"+", "-", add}, {"-", "+", remove}} {
			for _, line := range group.lines {
				if primary(self, line) {
					lines = append(lines, group.sign+line)
					continue
				}
				undo = append(undo, group.inverse+line)
				if r, err := backlog.ParseRelation(line); err == nil {
					// The primary's pass writes it, from the side that holds it.
					out.Primaries = append(out.Primaries, backlog.Ref{Side: target.Other(), ID: r.To})
				}
			}
		}
		return backlog.Value(strings.Join(lines, "\n"))
	}
	jp, lp = keep(jp, backlog.Jira), keep(lp, backlog.Linear)
	out.Base[f] = backlog.ApplySetPatch(base, backlog.Value(strings.Join(undo, "\n")))
	if jp != "" {
		out.Jira[f] = jp
	}
	if lp != "" {
		out.Linear[f] = lp
	}
}

// primary says whether the item of link self writes the relation line
// ("<type>:<other link id>") it holds.
func primary(self, line string) bool {
	r, err := backlog.ParseRelation(line)
	if err != nil {
		return true
	}
	switch r.Type {
	case backlog.RelBlocks, backlog.RelDuplicates:
		return true
	case backlog.RelRelated:
		return self == "" || self < r.To
	}
	return false
}

// RelationOutside is a relation of a synced item to an item outside the
// sync, which Tandem leaves alone.
type RelationOutside struct {
	From backlog.Ref          `json:"from"`
	Type backlog.RelationType `json:"type"`
	To   backlog.Ref          `json:"to"`
}

// relationsToWrite says whether a new twin's source holds relations to
// linked items: the twin is made without them, so a full pass of the new
// pair must follow to add them.
func (s *Syncer) relationsToWrite(ctx context.Context, src backlog.Item) (bool, error) {
	if !s.syncsRelations() || len(src.Relations) == 0 {
		return false, nil
	}
	canon := src
	canon.Relations = slices.Clone(src.Relations)
	_, wait, err := s.canonRelations(ctx, &canon)
	return wait || len(canon.Relations) > 0, err
}

// passAfterCreate runs the full pass of a pair whose twin was just made
// (under the create's lease), adding what the create could not carry.
func (s *Syncer) passAfterCreate(ctx context.Context, lease store.Lease, linkID string, made Result) (Result, error) {
	link, err := s.State.Link(ctx, linkID)
	if err != nil {
		return made, fmt.Errorf("reading link %s: %w", linkID, err)
	}
	res, err := s.merge(ctx, lease, link, "")
	res.Writes += made.Writes
	res.Created += made.Created
	return res, err
}

// syncPrimaries runs the passes of the pairs that write the relations this
// pass left to them (see mergeRelations): refs name a link id and the side
// that holds the relation. A pair busy with another pass asks for a retry.
func (s *Syncer) syncPrimaries(ctx context.Context, refs []backlog.Ref) Result {
	var res Result
	depth, _ := ctx.Value(parentDepthKey{}).(int)
	if depth >= 5 {
		return res
	}
	seen := map[backlog.Ref]bool{}
	for _, r := range refs {
		if seen[r] {
			continue
		}
		seen[r] = true
		l, err := s.State.Link(ctx, r.ID)
		if err != nil || l.Pending != "" || l.Stopped != "" {
			continue
		}
		sub, err := s.Sync(context.WithValue(ctx, parentDepthKey{}, depth+1), l.Ref(r.Side))
		if err != nil {
			s.log().Warn("syncing the pair that writes a relation", "link", r.ID, "err", err)
			continue
		}
		res.Writes += sub.Writes
		if sub.RequeueAfter > 0 {
			res.RequeueAfter = max(res.RequeueAfter, sub.RequeueAfter)
		}
	}
	return res
}
