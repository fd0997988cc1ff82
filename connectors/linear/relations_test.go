package linear

import (
	"slices"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

// TestRelationsReadWrite: relations read from both ends, similar ones are
// not read, a read with more relations than the page still sees all, and
// Apply creates and deletes relations in the direction the type says.
func TestRelationsReadWrite(t *testing.T) {
	s, c := setup(t, sandbox.Options{SeedIssues: 20})
	id := func(key string) string {
		v, _ := s.Issue(key)
		return v.ID
	}
	e1, e2, e3 := id("ENG-1"), id("ENG-2"), id("ENG-3")
	for _, r := range [][3]string{{"ENG-1", "blocks", "ENG-2"}, {"ENG-3", "duplicate", "ENG-1"}, {"ENG-1", "similar", "ENG-4"}} {
		if _, err := s.UserRelate(sandbox.AliceEmail, r[0], r[1], r[2]); err != nil {
			t.Fatal(err)
		}
	}
	read := func(id string) backlog.Value {
		t.Helper()
		it, err := c.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return it.Get(backlog.Relations)
	}
	want := backlog.EncodeRelations([]backlog.Relation{{Type: backlog.RelBlocks, To: e2}, {Type: backlog.RelDuplicatedBy, To: e3}})
	if got := read(e1); got != want {
		t.Errorf("ENG-1 relations %q, want %q", got, want)
	}
	if got := read(e2); got != backlog.Value("blocked_by:"+e1) {
		t.Errorf("ENG-2 relations %q", got)
	}
	// ENG-2 is blocked by ENG-1 no more, and duplicates ENG-3.
	if err := c.Apply(t.Context(), e2, backlog.Patch{backlog.Relations: backlog.Value("+duplicates:" + e3 + "\n-blocked_by:" + e1)}); err != nil {
		t.Fatal(err)
	}
	rs := s.Relations("ENG-2")
	if len(rs) != 1 || rs[0].Type != "duplicate" || rs[0].Issue != "ENG-2" || rs[0].RelatedIssue != "ENG-3" {
		t.Errorf("ENG-2 relations in linear: %+v", rs)
	}
	// Adding what is there already makes nothing.
	if err := c.Apply(t.Context(), e3, backlog.Patch{backlog.Relations: backlog.Value("+duplicated_by:" + e2)}); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Relations("ENG-3")); n != 2 {
		t.Errorf("ENG-3 has %d relations, want 2", n)
	}
	// More relations than one read's page.
	all := s.Issues()
	var wantMany []backlog.Relation
	for _, v := range all[4:] {
		if _, err := s.UserRelate(sandbox.AliceEmail, "ENG-4", "related", v.Identifier); err != nil {
			t.Fatal(err)
		}
		wantMany = append(wantMany, backlog.Relation{Type: backlog.RelRelated, To: v.ID})
	}
	if len(wantMany) <= relationsPage {
		t.Fatalf("only %d relations: the test needs more than a page", len(wantMany))
	}
	got, err := c.GetMany(t.Context(), []string{id("ENG-4")})
	if err != nil {
		t.Fatal(err)
	}
	if g := got[id("ENG-4")].Get(backlog.Relations); g != backlog.EncodeRelations(wantMany) {
		t.Errorf("ENG-4 relations %q, want %q", g, backlog.EncodeRelations(wantMany))
	}
	if g := read(id("ENG-4")); g != backlog.EncodeRelations(wantMany) {
		t.Errorf("ENG-4 relations by Get %q", g)
	}
}

// TestChangedReportsRelations: a relation made or deleted after the
// cursor reports both its issues, once.
func TestChangedReportsRelations(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	s, c := setup(t, sandbox.Options{Now: clk.now})
	drain := func(cursor string) (string, []string) {
		t.Helper()
		var ids []string
		for {
			p, err := c.Changed(t.Context(), cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range p.Refs {
				ids = append(ids, r.Key)
			}
			cursor = p.Next
			if !p.More {
				return cursor, ids
			}
		}
	}
	cursor, _ := drain("")
	clk.advance(time.Minute)
	cursor, ids := drain(cursor)
	if len(ids) != 0 {
		t.Fatalf("idle pass reported %v", ids)
	}
	rid, err := s.UserRelate(sandbox.AliceEmail, "ENG-5", "blocks", "ENG-6")
	if err != nil {
		t.Fatal(err)
	}
	clk.advance(2 * time.Second)
	cursor, ids = drain(cursor)
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"ENG-5", "ENG-6"}) {
		t.Errorf("after a relation: %v, want ENG-5 and ENG-6", ids)
	}
	clk.advance(2 * time.Second)
	if cursor, ids = drain(cursor); len(ids) != 0 {
		t.Errorf("the relation reported again: %v", ids)
	}
	clk.advance(time.Minute)
	if err := s.UserUnrelate(sandbox.AliceEmail, rid); err != nil {
		t.Fatal(err)
	}
	clk.advance(2 * time.Second)
	_, ids = drain(cursor)
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"ENG-5", "ENG-6"}) {
		t.Errorf("after deleting the relation: %v, want ENG-5 and ENG-6", ids)
	}
}
