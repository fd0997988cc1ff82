package reconcile

import (
	"context"
	"slices"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/iteration"
)

// Iterations pairs Jira sprints with Linear cycles (iteration.Directory).
// Canonically a sprint is a name; the syncer translates a Jira sprint's
// name into its cycle's name for Linear and back, so a sprint and a cycle
// that are the same iteration by their dates count as the same value.
// Names the pairing does not know pass unchanged (then each connector
// matches by name, as before).
type Iterations interface {
	// Ensure makes the pairing current enough for these names, reading
	// the tools only when a name is unknown or the lists are old.
	Ensure(ctx context.Context, names ...string) error
	Pairing() iteration.Pairing
}

// syncsSprint says whether sprints are translated in this syncer.
func (s *Syncer) syncsSprint() bool {
	return s.Iterations != nil && s.Directions[backlog.Sprint] != DirectionOff && slices.Contains(s.fields(), backlog.Sprint)
}

// ensureSprints readies the pairing for the sprint or cycle names given.
func (s *Syncer) ensureSprints(ctx context.Context, names ...backlog.Value) error {
	if !s.syncsSprint() {
		return nil
	}
	ns := make([]string, 0, len(names))
	for _, n := range names {
		if n != "" {
			ns = append(ns, string(n))
		}
	}
	if len(ns) == 0 {
		return nil
	}
	return s.Iterations.Ensure(ctx, ns...)
}

// sprintToSide names a sprint value as side holds it: a Jira sprint's
// cycle for Linear, a cycle's sprint for Jira.
func (s *Syncer) sprintToSide(side backlog.Side, v backlog.Value) backlog.Value {
	if v == "" || !s.syncsSprint() {
		return v
	}
	p := s.Iterations.Pairing()
	if side == backlog.Linear {
		if c, ok := p.CycleFor(string(v)); ok {
			return backlog.Value(c)
		}
		if p.Unpaired(string(v)) {
			return "" // no cycle (reported once by the pairing, not again by Linear's connector)
		}
		return v
	}
	if sp, ok := p.SprintFor(string(v)); ok {
		return backlog.Value(sp)
	}
	return v
}

// sprintSeenKey is the base entry that remembers the sprint value a side
// held after the last pass, as that side read it.
func sprintSeenKey(side backlog.Side) backlog.Field {
	return backlog.Field("sprint-seen:" + string(side))
}

// sprintInputs guards against a moved pairing. The base holds one sprint
// name; a side "changed" when its value differs from that name as the side
// would hold it. When the pairing changes under an unchanged item (a cycle
// is created for a sprint, a sprint is scheduled over a cycle), the base's
// projection moves while the side still holds what it held: that is no
// edit. So a side whose value is the one it held after the last pass is
// given to Merge as unchanged (its value replaced by the projection), and
// it is named in moved: the pass then writes it the base's value where it
// can now hold it (sprintCatchUp).
func (s *Syncer) sprintInputs(base backlog.Snapshot, jira, linear backlog.Item, pj, pl Projector) (mj, ml backlog.Item, moved map[backlog.Side]bool) {
	mj, ml = jira, linear
	if !s.syncsSprint() {
		return mj, ml, nil
	}
	b, ok := base[backlog.Sprint]
	if !ok {
		return mj, ml, nil
	}
	moved = map[backlog.Side]bool{}
	for _, x := range []struct {
		side backlog.Side
		it   *backlog.Item
		proj Projector
	}{{backlog.Jira, &mj, pj}, {backlog.Linear, &ml, pl}} {
		seen, had := base[sprintSeenKey(x.side)]
		cur := backlog.Value(x.it.Sprint)
		if want := x.proj.apply(backlog.Sprint, b); had && cur == seen && cur != want {
			x.it.Sprint = string(want)
			moved[x.side] = true
		}
	}
	return mj, ml, moved
}

// sprintCatchUp writes the base's sprint to the sides whose pairing moved
// where they do not hold it yet, then records what each side holds after
// the pass (sprintSeenKey). Patches are canonical here (renamed for each
// side when applied).
func (s *Syncer) sprintCatchUp(out *Output, moved map[backlog.Side]bool, jira, linear backlog.Item, pj, pl Projector) {
	if !s.syncsSprint() {
		return
	}
	want, ok := out.Base[backlog.Sprint]
	for _, x := range []struct {
		side backlog.Side
		it   backlog.Item
		proj Projector
	}{{backlog.Jira, jira, pj}, {backlog.Linear, linear, pl}} {
		p := out.Patch(x.side)
		cur := backlog.Value(x.it.Sprint)
		if _, patched := p[backlog.Sprint]; ok && moved[x.side] && !patched && x.proj.apply(backlog.Sprint, want) != cur {
			p[backlog.Sprint] = want
		}
		seen := cur
		if v, patched := p[backlog.Sprint]; patched {
			seen = x.proj.apply(backlog.Sprint, v)
		}
		out.Base[sprintSeenKey(x.side)] = seen
	}
}
