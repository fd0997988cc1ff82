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
		return v
	}
	if sp, ok := p.SprintFor(string(v)); ok {
		return backlog.Value(sp)
	}
	return v
}
