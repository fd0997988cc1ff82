package reconcile

import (
	"context"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/iteration"
)

// fixedIterations is a pairing that never changes; it counts Ensure calls
// and the names asked about.
type fixedIterations struct {
	p     iteration.Pairing
	calls int
	asked []string
}

func (f *fixedIterations) Ensure(_ context.Context, names ...string) error {
	f.calls++
	f.asked = append(f.asked, names...)
	return nil
}
func (f *fixedIterations) Pairing() iteration.Pairing { return f.p }

func defaultPairing() iteration.Pairing {
	now := time.Unix(1_800_000_000, 0)
	day := 24 * time.Hour
	return iteration.Match(
		[]iteration.Sprint{
			{ID: 2, Name: "TAN Sprint 2", State: iteration.Active, Start: now.Add(-7 * day), End: now.Add(7 * day)},
			{ID: 3, Name: "TAN Sprint 3", State: iteration.Future},
		},
		[]iteration.Cycle{
			{ID: "c2", Name: "Cycle 2", Number: 2, Start: now.Add(-day), End: now.Add(13 * day)},
			{ID: "c3", Name: "Hardening", Number: 3, Start: now.Add(13 * day), End: now.Add(27 * day)},
		}, nil, now)
}

func TestSprintNamesByPairing(t *testing.T) {
	s, j, l, _ := newSyncer(t, backlog.PolicyJira)
	it := &fixedIterations{p: defaultPairing()}
	s.Iterations = it
	// Created with the sprint: the twin is in the paired cycle.
	ref := j.put(backlog.Item{Ref: backlog.Ref{ID: "1"}, Title: "A", Sprint: "TAN Sprint 2"})
	mustSync(t, s, ref)
	lid := backlog.TwinID("jira.example", "1")
	if li, _ := l.Get(t.Context(), lid); li.Sprint != "Cycle 2" {
		t.Fatalf("linear twin's cycle %q, want Cycle 2", li.Sprint)
	}
	// Both sides read back as the same iteration: no edit, no write.
	writes := j.writes + l.writes
	mustSync(t, s, backlog.Ref{Side: backlog.Linear, ID: lid})
	mustSync(t, s, ref)
	if j.writes+l.writes != writes {
		t.Fatal("the paired names came back as an edit")
	}
	for _, tc := range []struct {
		side      backlog.Side
		to        string
		jira, lin string
	}{
		{backlog.Jira, "TAN Sprint 3", "TAN Sprint 3", "Hardening"},
		{backlog.Linear, "Cycle 2", "TAN Sprint 2", "Cycle 2"},
		{backlog.Linear, "", "", ""},
		{backlog.Jira, "TAN Sprint 3", "TAN Sprint 3", "Hardening"},
		// A name the pairing does not know passes as it is.
		{backlog.Linear, "Cycle 9", "Cycle 9", "Cycle 9"},
	} {
		if tc.side == backlog.Jira {
			j.edit("1", func(x *backlog.Item) { x.Sprint = tc.to })
			mustSync(t, s, ref)
		} else {
			l.edit(lid, func(x *backlog.Item) { x.Sprint = tc.to })
			mustSync(t, s, backlog.Ref{Side: backlog.Linear, ID: lid})
		}
		ji, _ := j.Get(t.Context(), "1")
		li, _ := l.Get(t.Context(), lid)
		if ji.Sprint != tc.jira || li.Sprint != tc.lin {
			t.Fatalf("%s set %q: jira %q linear %q, want %q %q", tc.side, tc.to, ji.Sprint, li.Sprint, tc.jira, tc.lin)
		}
		writes := j.writes + l.writes
		mustSync(t, s, ref)
		mustSync(t, s, backlog.Ref{Side: backlog.Linear, ID: lid})
		if j.writes+l.writes != writes {
			t.Fatalf("%s set %q: echo", tc.side, tc.to)
		}
	}
	if it.calls == 0 {
		t.Fatal("the pairing was never readied")
	}
	rep, err := s.Diff(t.Context())
	if err != nil || !rep.InSync() {
		t.Fatalf("diff %+v %v", rep, err)
	}
}

func TestSprintOffAsksNothing(t *testing.T) {
	s, j, l, _ := newSyncer(t, backlog.PolicyJira)
	it := &fixedIterations{p: defaultPairing()}
	s.Iterations = it
	s.Directions = map[backlog.Field]Direction{backlog.Sprint: DirectionOff}
	ref := j.put(backlog.Item{Ref: backlog.Ref{ID: "1"}, Title: "A", Sprint: "TAN Sprint 2"})
	mustSync(t, s, ref)
	// Items without sprints ask nothing either.
	s.Directions = nil
	ref2 := j.put(backlog.Item{Ref: backlog.Ref{ID: "2"}, Title: "B"})
	mustSync(t, s, ref2)
	mustSync(t, s, ref2)
	if it.calls != 0 {
		t.Fatalf("Ensure called %d times (%v)", it.calls, it.asked)
	}
	_ = l
}
