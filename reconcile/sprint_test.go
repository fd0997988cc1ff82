package reconcile

import (
	"context"
	"sync"
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

// sprintConn is a memConn whose side holds only the sprints (or cycles)
// it knows, as the connectors do: others read back as none.
type sprintConn struct {
	*memConn
	mu    sync.Mutex
	known map[string]bool
}

func (c *sprintConn) hold(v string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known[v] {
		return v
	}
	return ""
}

func (c *sprintConn) know(names ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range names {
		c.known[n] = true
	}
}

func (c *sprintConn) Project(f backlog.Field, v backlog.Value) backlog.Value {
	if f == backlog.Sprint {
		return backlog.Value(c.hold(string(v)))
	}
	return v
}

func (c *sprintConn) Create(ctx context.Context, it backlog.Item) (backlog.Ref, error) {
	it.Sprint = c.hold(it.Sprint)
	return c.memConn.Create(ctx, it)
}

func (c *sprintConn) Apply(ctx context.Context, id string, p backlog.Patch) error {
	if v, ok := p[backlog.Sprint]; ok {
		p[backlog.Sprint] = backlog.Value(c.hold(string(v)))
	}
	return c.memConn.Apply(ctx, id, p)
}

// mutableIterations is a pairing a test changes.
type mutableIterations struct {
	mu sync.Mutex
	p  iteration.Pairing
}

func (m *mutableIterations) Ensure(context.Context, ...string) error { return nil }
func (m *mutableIterations) Pairing() iteration.Pairing {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.p
}
func (m *mutableIterations) set(table map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.p = iteration.Match(nil, nil, table, time.Now())
}

// TestSprintPairingMovesUnderAnUnchangedItem: a sprint no cycle pairs with
// leaves the Linear twin out of any cycle; when a cycle is then made for it
// (create_cycles, or by hand), the twin joins it, and the Jira issue is
// not taken out of its sprint. The same the other way round; a person's
// removal afterwards still travels.
func TestSprintPairingMovesUnderAnUnchangedItem(t *testing.T) {
	s, jm, lm, _ := newSyncer(t, backlog.PolicyJira)
	j := &sprintConn{memConn: jm, known: map[string]bool{"TAN Sprint 2": true, "TAN Sprint 5": true}}
	l := &sprintConn{memConn: lm, known: map[string]bool{"Cycle 2": true, "Cycle 7": true}}
	s.Jira, s.Linear = j, l
	it := &mutableIterations{}
	it.set(map[string]string{"TAN Sprint 2": "Cycle 2"})
	s.Iterations = it
	lref := backlog.Ref{Side: backlog.Linear, ID: backlog.TwinID("jira.example", "1")}
	jref := j.put(backlog.Item{Ref: backlog.Ref{ID: "1"}, Title: "A", Sprint: "TAN Sprint 5"})
	mustSync(t, s, jref)
	get := func() (string, string) {
		ji, _ := j.Get(t.Context(), "1")
		li, _ := l.Get(t.Context(), lref.ID)
		return ji.Sprint, li.Sprint
	}
	if js, ls := get(); js != "TAN Sprint 5" || ls != "" {
		t.Fatalf("created: jira %q linear %q", js, ls)
	}
	mustSync(t, s, lref)
	mustSync(t, s, jref)
	// A cycle is made for the sprint.
	l.know("TAN Sprint 5")
	it.set(map[string]string{"TAN Sprint 2": "Cycle 2", "TAN Sprint 5": "TAN Sprint 5"})
	mustSync(t, s, lref)
	if js, ls := get(); js != "TAN Sprint 5" || ls != "TAN Sprint 5" {
		t.Fatalf("after the cycle was made: jira %q linear %q", js, ls)
	}
	writes := j.writes + l.writes
	mustSync(t, s, jref)
	mustSync(t, s, lref)
	if j.writes+l.writes != writes {
		t.Fatal("echo after the catch-up")
	}
	// Linear's "Cycle 7" has no sprint; then one is scheduled over it.
	l.edit(lref.ID, func(x *backlog.Item) { x.Sprint = "Cycle 7" })
	mustSync(t, s, lref)
	if js, ls := get(); js != "" || ls != "Cycle 7" {
		t.Fatalf("unpaired cycle: jira %q linear %q", js, ls)
	}
	mustSync(t, s, jref)
	j.know("TAN Sprint 7")
	it.set(map[string]string{"TAN Sprint 2": "Cycle 2", "TAN Sprint 5": "TAN Sprint 5", "TAN Sprint 7": "Cycle 7"})
	mustSync(t, s, jref)
	if js, ls := get(); js != "TAN Sprint 7" || ls != "Cycle 7" {
		t.Fatalf("after the sprint was scheduled: jira %q linear %q", js, ls)
	}
	// A person's change after that travels as usual.
	l.edit(lref.ID, func(x *backlog.Item) { x.Sprint = "" })
	mustSync(t, s, lref)
	if js, ls := get(); js != "" || ls != "" {
		t.Fatalf("removed in linear: jira %q linear %q", js, ls)
	}
	writes = j.writes + l.writes
	mustSync(t, s, jref)
	mustSync(t, s, lref)
	if j.writes+l.writes != writes {
		t.Fatal("echo after the removal")
	}
}
