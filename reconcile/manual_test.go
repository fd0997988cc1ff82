package reconcile

import (
	"errors"
	"testing"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/store"
)

func TestLinkAndUnlinkByHand(t *testing.T) {
	s, j, l, _, lf, _ := newMatchSyncer(t, "", false)
	jx, lx := newLinks(backlog.Jira), newLinks(backlog.Linear)
	s.JiraLinks, s.LinearLinks = jx, lx
	a := j.put(jiraItem("100", "TAN-1", "Checkout"))
	b := l.put(linearItem("lin-1", "ENG-1", "Checkout, linear wording", ""))
	c := l.put(linearItem("lin-2", "ENG-2", "Something else", ""))
	link, err := s.LinkByHand(t.Context(), "100", "lin-1")
	if err != nil || link.ID() != "lin-1" || link.Jira.ID != "100" {
		t.Fatalf("%+v %v", link, err)
	}
	// Its first pass merges by policy and cross-links the twins.
	mustSync(t, s, a)
	if it, _ := l.Get(t.Context(), "lin-1"); it.Title != "Checkout" {
		t.Fatalf("linear title %q", it.Title)
	}
	if jx.count() != 1 || lx.count() != 1 {
		t.Fatalf("cross-links jira %d linear %d", jx.count(), lx.count())
	}
	// Linking again is a no-op; linking one of them elsewhere is refused.
	if again, err := s.LinkByHand(t.Context(), "100", "lin-1"); err != nil || again.Created != link.Created {
		t.Fatalf("%+v %v", again, err)
	}
	if _, err := s.LinkByHand(t.Context(), "100", "lin-2"); !errors.Is(err, ErrLinked) {
		t.Fatalf("relinking a linked item: %v", err)
	}
	if _, err := s.LinkByHand(t.Context(), "404", "lin-2"); err == nil {
		t.Fatal("a missing issue was linked")
	}
	// Unlink: the pair stops, its cross-links go, and neither item is
	// matched or twinned, though the Linear side still carries a signal.
	lf.attach["lin-1"] = []string{testJiraURL + "/browse/TAN-1"}
	un, err := s.UnlinkByHand(t.Context(), backlog.Linear, "lin-1")
	if err != nil || un.Stopped != UnlinkedByHand {
		t.Fatalf("%+v %v", un, err)
	}
	if jx.count() != 0 || lx.count() != 0 {
		t.Fatalf("cross-links left: jira %d linear %d", jx.count(), lx.count())
	}
	j.edit("100", func(it *backlog.Item) { it.Title = "Edited in Jira" })
	for _, r := range []backlog.Ref{a, b} {
		if res := mustSync(t, s, r); res.Writes != 0 {
			t.Fatalf("%s: %+v", r.ID, res)
		}
	}
	if it, _ := l.Get(t.Context(), "lin-1"); it.Title != "Checkout" || len(l.items) != 2 || len(j.items) != 1 {
		t.Fatalf("an unlinked pair synced or got twins: %q, %d, %d", it.Title, len(l.items), len(j.items))
	}
	if _, err := s.UnlinkByHand(t.Context(), backlog.Jira, "100"); err != nil {
		t.Fatalf("unlinking twice: %v", err)
	}
	if _, err := s.UnlinkByHand(t.Context(), backlog.Linear, "lin-2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unlinking an unlinked item: %v", err)
	}
	// Linking by hand replaces the unlinked record.
	link, err = s.LinkByHand(t.Context(), "100", "lin-2")
	if err != nil || link.ID() != "lin-2" {
		t.Fatalf("%+v %v", link, err)
	}
	if _, err := s.State.Link(t.Context(), "lin-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the unlinked record stays: %v", err)
	}
	mustSync(t, s, c)
	if it, _ := l.Get(t.Context(), "lin-2"); it.Title != "Edited in Jira" {
		t.Fatalf("lin-2 title %q", it.Title)
	}
}
