package reconcile

import (
	"testing"

	"github.com/tandem-sync/tandem/backlog"
)

func TestMergeRelations(t *testing.T) {
	for _, tc := range []struct {
		name         string
		dir          Direction
		base, j, l   backlog.Value
		wantJ, wantL backlog.Value
		wantBase     backlog.Value
	}{
		{"added in jira", "", "", "blocks:A", "", "", "+blocks:A", "blocks:A"},
		{"removed in linear", "", "blocks:A\nrelated:B", "blocks:A\nrelated:B", "related:B", "-blocks:A", "", "related:B"},
		{"both added the same", "", "", "blocks:A", "blocks:A", "", "", "blocks:A"},
		{"each added one", "", "", "blocks:A", "duplicates:B", "+duplicates:B", "+blocks:A", "blocks:A\nduplicates:B"},
		{"one-way keeps the target's own", JiraToLinear, "", "blocks:A", "related:C", "", "+blocks:A", "blocks:A"},
		{"one-way: the target's own removal is not taken, nor undone", JiraToLinear, "blocks:A", "blocks:A", "", "", "", "blocks:A"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var j, l backlog.Item
			_ = j.Set(backlog.Relations, tc.j)
			_ = l.Set(backlog.Relations, tc.l)
			in := Input{Fields: []backlog.Field{backlog.Relations}, Base: backlog.Snapshot{backlog.Relations: tc.base}, Jira: j, Linear: l}
			if tc.dir != "" {
				in.Directions = map[backlog.Field]Direction{backlog.Relations: tc.dir}
			}
			out := Merge(in)
			if out.Jira[backlog.Relations] != tc.wantJ || out.Linear[backlog.Relations] != tc.wantL || out.Base[backlog.Relations] != tc.wantBase {
				t.Errorf("jira %q linear %q base %q; want %q %q %q", out.Jira[backlog.Relations], out.Linear[backlog.Relations], out.Base[backlog.Relations], tc.wantJ, tc.wantL, tc.wantBase)
			}
			if len(out.Conflicts) > 0 {
				t.Errorf("conflicts %v", out.Conflicts)
			}
		})
	}
}

// TestSyncRelations: a relation between linked pairs is translated through
// the links both ways; one to an item outside the sync is left alone on
// both sides and listed by Diff.
func TestSyncRelations(t *testing.T) {
	s, j, l, _ := newSyncer(t, backlog.PolicyJira)
	a := j.put(backlog.Item{Ref: backlog.Ref{ID: "100", Key: "TAN-1"}, Title: "A", Priority: backlog.PriorityNone})
	b := j.put(backlog.Item{Ref: backlog.Ref{ID: "101", Key: "TAN-2"}, Title: "B", Priority: backlog.PriorityNone})
	mustSync(t, s, a)
	mustSync(t, s, b)
	la, lb := backlog.TwinID(s.Site, "100"), backlog.TwinID(s.Site, "101")
	// Jira: A blocks B, and A relates to TAN-9, which is not synced.
	j.edit("100", func(it *backlog.Item) {
		it.Relations = []backlog.Relation{{Type: backlog.RelBlocks, To: "101"}, {Type: backlog.RelRelated, To: "999"}}
	})
	mustSync(t, s, a)
	got, _ := l.Get(t.Context(), la)
	if v := got.Get(backlog.Relations); v != backlog.Value("blocks:"+lb) {
		t.Fatalf("linear A relations %q, want blocks:%s only", v, lb)
	}
	// No echo: the next pass of either side writes nothing.
	before := j.writes + l.writes
	mustSync(t, s, backlog.Ref{Side: backlog.Linear, ID: la})
	mustSync(t, s, a)
	if n := j.writes + l.writes - before; n != 0 {
		t.Errorf("%d writes after the relation was mirrored, want 0", n)
	}
	rep, err := s.Diff(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.InSync() || len(rep.Outside) != 1 || rep.Outside[0].To.ID != "999" || rep.Outside[0].From.ID != "100" {
		t.Errorf("diff %+v, want in sync with one outside relation", rep)
	}
	// Linear removes it and adds "B duplicates A" on B.
	l.edit(la, func(it *backlog.Item) { it.Relations = nil })
	l.edit(lb, func(it *backlog.Item) {
		it.Relations = []backlog.Relation{{Type: backlog.RelDuplicates, To: la}}
	})
	mustSync(t, s, backlog.Ref{Side: backlog.Linear, ID: la})
	mustSync(t, s, backlog.Ref{Side: backlog.Linear, ID: lb})
	ja, _ := j.Get(t.Context(), "100")
	jb, _ := j.Get(t.Context(), "101")
	if v := ja.Get(backlog.Relations); v != "related:999" {
		t.Errorf("jira A relations %q: want only the outside one kept", v)
	}
	if v := jb.Get(backlog.Relations); v != "duplicates:100" {
		t.Errorf("jira B relations %q, want duplicates:100", v)
	}
}

// TestRelationsOfANewTwin: a new item's relations to linked items reach
// its twin in the pass that makes it.
func TestRelationsOfANewTwin(t *testing.T) {
	s, j, l, _ := newSyncer(t, backlog.PolicyJira)
	a := j.put(backlog.Item{Ref: backlog.Ref{ID: "100", Key: "TAN-1"}, Title: "A", Priority: backlog.PriorityNone})
	mustSync(t, s, a)
	// B is made blocked by A: both ends hold it, as in the tools. A's pass
	// runs first, while B has no twin: the relation is outside the sync.
	b := j.put(backlog.Item{Ref: backlog.Ref{ID: "101", Key: "TAN-2"}, Title: "B", Priority: backlog.PriorityNone,
		Relations: []backlog.Relation{{Type: backlog.RelBlockedBy, To: "100"}}})
	j.edit("100", func(it *backlog.Item) { it.Relations = []backlog.Relation{{Type: backlog.RelBlocks, To: "101"}} })
	mustSync(t, s, a)
	if got, _ := l.Get(t.Context(), backlog.TwinID(s.Site, "100")); len(got.Relations) != 0 {
		t.Fatalf("a relation to an unsynced item was written: %v", got.Relations)
	}
	// B's twin is made; A, which writes the relation (blocks), follows.
	mustSync(t, s, b)
	if got, _ := l.Get(t.Context(), backlog.TwinID(s.Site, "100")); got.Get(backlog.Relations) != backlog.Value("blocks:"+backlog.TwinID(s.Site, "101")) {
		t.Errorf("linear A relations %v", got.Relations)
	}
	// The memory tool does not show the other end by itself; the real
	// ones do.
	l.edit(backlog.TwinID(s.Site, "101"), func(it *backlog.Item) {
		it.Relations = []backlog.Relation{{Type: backlog.RelBlockedBy, To: backlog.TwinID(s.Site, "100")}}
	})
	got, err := l.Get(t.Context(), backlog.TwinID(s.Site, "101"))
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Get(backlog.Relations); v != backlog.Value("blocked_by:"+backlog.TwinID(s.Site, "100")) {
		t.Errorf("new twin's relations %q", v)
	}
}
