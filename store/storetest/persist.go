package storetest

import (
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/store"
)

// RunPersistent checks that a store's data survives Close and a reopen.
// location is called once per sub-test; it prepares a fresh, isolated place
// (a data dir, a key prefix) and returns a function that opens a store on
// it. That function is called several times: each returned store is closed
// by the suite before the next is opened.
func RunPersistent(t *testing.T, location func(t *testing.T) (open func() store.State)) {
	t.Helper()
	t.Run("SurvivesReopen", func(t *testing.T) { testReopen(t, location(t)) })
	t.Run("ManyReopens", func(t *testing.T) { testManyReopens(t, location(t)) })
}

func closeStore(t *testing.T, s store.State) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func testReopen(t *testing.T, open func() store.State) {
	ctx := t.Context()
	s := open()
	withJira, pending, gone := link("lin-a", "1"), link("lin-p", ""), link("lin-g", "3")
	for _, l := range []backlog.Link{withJira, pending, gone, link("lin-m", "4")} {
		must(t, "SaveLink", s.SaveLink(ctx, l))
	}
	moved := link("lin-m", "5") // the Jira side moved: index 4 must stay gone
	must(t, "SaveLink(moved)", s.SaveLink(ctx, moved))
	lease, err := s.Lock(ctx, "link:lin-a", longTTL)
	must(t, "Lock", err)
	base := backlog.Snapshot{backlog.Title: "persisted", backlog.Description: "line 1\nline 2 \"quoted\" \t tab"}
	must(t, "SaveBase", s.SaveBase(ctx, lease, "lin-a", base))
	must(t, "SaveBase(gone)", s.SaveBase(ctx, lease, "lin-g", base))
	must(t, "DeleteLink", s.DeleteLink(ctx, "lin-g"))
	must(t, "Unlock", s.Unlock(ctx, lease))
	must(t, "SaveCursor", s.SaveCursor(ctx, "jira", "c-1"))

	c := conflict("lin-a", backlog.Title, t0)
	c.ID, err = s.AddConflict(ctx, c)
	must(t, "AddConflict", err)
	c.SettledBy = "bob"
	must(t, "UpdateConflict", s.UpdateConflict(ctx, c))
	c2 := conflict("lin-a", backlog.Status, t0.Add(time.Minute))
	c2.ID, err = s.AddConflict(ctx, c2)
	must(t, "AddConflict", err)
	if p, ok := s.(store.ConflictPruner); ok {
		gone := conflict("lin-a", backlog.Priority, t0.Add(-time.Hour))
		gone.Applied = true
		_, err := s.AddConflict(ctx, gone)
		must(t, "AddConflict", err)
		if n, err := p.PruneConflicts(ctx, t0, 0); err != nil || n != 1 {
			t.Fatalf("PruneConflicts = %d, %v; want 1", n, err)
		}
	}

	if seen, err := s.SeenDelivery(ctx, "d-long", longTTL); err != nil || seen {
		t.Fatalf("SeenDelivery = %v, %v", seen, err)
	}
	if _, err := s.SeenDelivery(ctx, "d-short", shortTTL); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SeenDelivery(ctx, "d-forgot", longTTL); err != nil {
		t.Fatal(err)
	}
	must(t, "ForgetDelivery", s.ForgetDelivery(ctx, "d-forgot"))
	kept, err := s.MarkDirty(ctx, "kept")
	must(t, "MarkDirty", err)
	clearedSeq, err := s.MarkDirty(ctx, "cleared")
	must(t, "MarkDirty", err)
	must(t, "ClearDirty", s.ClearDirty(ctx, "cleared", clearedSeq))
	held, err := s.Lock(ctx, "held", longTTL)
	must(t, "Lock(held)", err)
	closeStore(t, s)
	time.Sleep(pastTTL) // let d-short expire across the restart

	s = open()
	t.Cleanup(func() { _ = s.Close() })
	got, err := s.Link(ctx, "lin-a")
	wantLink(t, "Link after reopen", got, err, withJira)
	got, err = s.LinkBy(ctx, withJira.Jira)
	wantLink(t, "LinkBy(jira) after reopen", got, err, withJira)
	got, err = s.Link(ctx, "lin-p")
	wantLink(t, "Link(pending) after reopen", got, err, pending)
	got, err = s.LinkBy(ctx, moved.Jira)
	wantLink(t, "LinkBy(moved) after reopen", got, err, moved)
	_, err = s.LinkBy(ctx, jiraRef("4"))
	wantErr(t, "LinkBy(old jira ref) after reopen", err, store.ErrNotFound)
	_, err = s.Link(ctx, "lin-g")
	wantErr(t, "Link(deleted) after reopen", err, store.ErrNotFound)
	_, err = s.LinkBy(ctx, gone.Jira)
	wantErr(t, "LinkBy(deleted) after reopen", err, store.ErrNotFound)
	_, err = s.Base(ctx, "lin-g")
	wantErr(t, "Base(deleted) after reopen", err, store.ErrNotFound)
	if ls, err := s.Links(ctx); err != nil || len(ls) != 3 {
		t.Fatalf("Links after reopen = %+v, %v; want 3", ls, err)
	}
	if b, err := s.Base(ctx, "lin-a"); err != nil || !maps.Equal(b, base) {
		t.Fatalf("Base after reopen = %v, %v; want %v", b, err, base)
	}
	if cur, err := s.Cursor(ctx, "jira"); err != nil || cur != "c-1" {
		t.Fatalf("Cursor after reopen = %q, %v", cur, err)
	}
	gc, err := s.Conflict(ctx, c.ID)
	wantConflict(t, "Conflict after reopen", gc, err, c)
	cs, err := s.Conflicts(ctx, store.ConflictFilter{})
	must(t, "Conflicts", err)
	if len(cs) != 2 || cs[0].ID != c2.ID || cs[1].ID != c.ID {
		t.Fatalf("Conflicts after reopen = %v, want [%s %s]", ids(cs), c2.ID, c.ID)
	}
	newID, err := s.AddConflict(ctx, conflict("lin-a", backlog.Title, t0))
	must(t, "AddConflict after reopen", err)
	if newID == c.ID || newID == c2.ID {
		t.Fatalf("AddConflict after reopen reused id %s", newID)
	}
	if seen, err := s.SeenDelivery(ctx, "d-long", longTTL); err != nil || !seen {
		t.Fatalf("SeenDelivery(d-long) after reopen = %v, %v; want true", seen, err)
	}
	if seen, err := s.SeenDelivery(ctx, "d-short", longTTL); err != nil || seen {
		t.Fatalf("SeenDelivery(d-short) after reopen and expiry = %v, %v; want false", seen, err)
	}
	if seen, err := s.SeenDelivery(ctx, "d-forgot", longTTL); err != nil || seen {
		t.Fatalf("SeenDelivery(d-forgot) after reopen = %v, %v; want false (forgotten)", seen, err)
	}
	d, err := s.Dirty(ctx)
	must(t, "Dirty", err)
	if want := map[string]int64{"kept": kept}; !maps.Equal(d, want) {
		t.Fatalf("Dirty after reopen = %v, want %v", d, want)
	}
	next, err := s.MarkDirty(ctx, "new")
	must(t, "MarkDirty after reopen", err)
	if next <= clearedSeq {
		t.Fatalf("MarkDirty after reopen = %d, not larger than %d before", next, clearedSeq)
	}
	// A lock still held at Close either survives (shared store) or is gone
	// with the process (single node); either way a new token is larger.
	l, err := s.Lock(ctx, "held", longTTL)
	switch {
	case errors.Is(err, store.ErrLocked):
	case err != nil:
		t.Fatalf("Lock(held) after reopen: %v", err)
	case l.Token <= held.Token:
		t.Fatalf("token after reopen %d not larger than %d before", l.Token, held.Token)
	}
	l, err = s.Lock(ctx, "link:lin-a", longTTL)
	must(t, "Lock after reopen", err)
	if l.Token <= lease.Token {
		t.Fatalf("token after reopen %d not larger than %d before", l.Token, lease.Token)
	}
}

// testManyReopens writes a little in every life of the store, so every
// reopen reads what the earlier ones (and any compaction they did) left.
func testManyReopens(t *testing.T, open func() store.State) {
	ctx := t.Context()
	var lastToken, lastSeq int64
	const lives = 6
	for life := range lives {
		s := open()
		for i := range life {
			if _, err := s.Link(ctx, fmt.Sprintf("lin-%d", i)); err != nil {
				t.Fatalf("life %d: Link(lin-%d): %v", life, i, err)
			}
			if b, err := s.Base(ctx, fmt.Sprintf("lin-%d", i)); err != nil || b[backlog.Title] != backlog.Value(fmt.Sprint(i)) {
				t.Fatalf("life %d: Base(lin-%d) = %v, %v", life, i, b, err)
			}
		}
		if c, _ := s.Cursor(ctx, "jira"); life > 0 && c != fmt.Sprint(life-1) {
			t.Fatalf("life %d: cursor %q, want %d", life, c, life-1)
		}
		id := fmt.Sprintf("lin-%d", life)
		must(t, "SaveLink", s.SaveLink(ctx, link(id, fmt.Sprint(life))))
		l, err := s.Lock(ctx, "pass", longTTL)
		must(t, "Lock", err)
		if l.Token <= lastToken {
			t.Fatalf("life %d: token %d not larger than %d", life, l.Token, lastToken)
		}
		lastToken = l.Token
		must(t, "SaveBase", s.SaveBase(ctx, l, id, backlog.Snapshot{backlog.Title: backlog.Value(fmt.Sprint(life))}))
		must(t, "Unlock", s.Unlock(ctx, l))
		must(t, "SaveCursor", s.SaveCursor(ctx, "jira", fmt.Sprint(life)))
		seq, err := s.MarkDirty(ctx, "k")
		must(t, "MarkDirty", err)
		if seq <= lastSeq {
			t.Fatalf("life %d: dirty seq %d not larger than %d", life, seq, lastSeq)
		}
		lastSeq = seq
		closeStore(t, s)
	}
}
