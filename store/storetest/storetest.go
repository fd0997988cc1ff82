package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/store"
)

// Short TTLs keep the suite fast; the margins below must absorb a loaded
// two-core machine, so expiry tests wait well past the ttl and "still held"
// checks use ttls far longer than the test's own runtime.
const (
	shortTTL = 200 * time.Millisecond
	longTTL  = 30 * time.Second
	pastTTL  = 450 * time.Millisecond // wait after shortTTL before expecting expiry
)

// Run runs the conformance suite. open must return a fresh, empty store,
// isolated from every other store it returned; the suite closes it when the
// sub-test ends (open may register its own cleanup, which then runs after
// Close).
func Run(t *testing.T, open func(t *testing.T) store.State) {
	t.Helper()
	fresh := func(t *testing.T) store.State {
		t.Helper()
		s := open(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.State)
	}{
		{"Links", testLinks},
		{"LinkJiraArrivesLater", testLinkJiraLater},
		{"LinkIndexSteal", testLinkIndexSteal},
		{"LinkInvalid", testLinkInvalid},
		{"DeleteLink", testDeleteLink},
		{"Bases", testBases},
		{"BaseFencing", testBaseFencing},
		{"Cursors", testCursors},
		{"LockExclusive", testLockExclusive},
		{"LockExpiry", testLockExpiry},
		{"LockExtend", testLockExtend},
		{"LockKeep", testLockKeep},
		{"UnlockLost", testUnlockLost},
		{"LockInvalid", testLockInvalid},
		{"Conflicts", testConflicts},
		{"ConflictFilters", testConflictFilters},
		{"Deliveries", testDeliveries},
		{"Dirty", testDirty},
		{"ConcurrentLock", testConcurrentLock},
		{"ConcurrentDirty", testConcurrentDirty},
		{"ConcurrentLinks", testConcurrentLinks},
		{"CanceledContext", testCanceled},
		{"PruneConflicts", testPrune},
	}
	// Sub-tests run in parallel: each has its own store, and most of the
	// suite's time is spent sleeping past ttls.
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, fresh(t))
		})
	}
}

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// late skips the test when a check that needed to happen within ttl of
// start failed after most of ttl had passed: on an overloaded machine that
// failure says nothing about the store. Call it only on the failure path.
func late(t *testing.T, start time.Time, ttl time.Duration) {
	t.Helper()
	if d := time.Since(start); d >= ttl*3/4 {
		t.Skipf("timing check inconclusive: %v passed of a %v ttl (machine overloaded)", d, ttl)
	}
}

func jiraRef(id string) backlog.Ref {
	return backlog.Ref{Side: backlog.Jira, ID: id, Key: "PROJ-" + id}
}

func linearRef(id string) backlog.Ref {
	return backlog.Ref{Side: backlog.Linear, ID: id, Key: "ENG-" + id}
}

func link(linID, jiraID string) backlog.Link {
	l := backlog.Link{Linear: linearRef(linID), Created: t0}
	if jiraID == "" {
		l.Pending = backlog.Jira
	} else {
		l.Jira = jiraRef(jiraID)
	}
	return l
}

func sameLink(a, b backlog.Link) bool {
	return a.Jira == b.Jira && a.Linear == b.Linear && a.Pending == b.Pending && a.Created.Equal(b.Created) && a.Kind == b.Kind
}

func wantLink(t *testing.T, what string, got backlog.Link, err error, want backlog.Link) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !sameLink(got, want) {
		t.Fatalf("%s = %+v, want %+v", what, got, want)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func testLinks(t *testing.T, s store.State) {
	ctx := t.Context()
	if ls, err := s.Links(ctx); err != nil || len(ls) != 0 {
		t.Fatalf("Links on empty store = %v, %v; want none", ls, err)
	}
	_, err := s.Link(ctx, "nope")
	wantErr(t, "Link(unknown)", err, store.ErrNotFound)
	_, err = s.LinkBy(ctx, jiraRef("1"))
	wantErr(t, "LinkBy(unknown jira)", err, store.ErrNotFound)
	_, err = s.LinkBy(ctx, linearRef("nope"))
	wantErr(t, "LinkBy(unknown linear)", err, store.ErrNotFound)

	want := map[string]backlog.Link{}
	for i := range 5 {
		l := link(fmt.Sprintf("lin-%d", i), fmt.Sprintf("%d", 1000+i))
		if i == 3 {
			l.Kind = backlog.KindEpic // an epic ⇄ project pair keeps its kind
		}
		must(t, "SaveLink", s.SaveLink(ctx, l))
		want[l.ID()] = l
	}
	for id, l := range want {
		got, err := s.Link(ctx, id)
		wantLink(t, "Link("+id+")", got, err, l)
		got, err = s.LinkBy(ctx, l.Jira)
		wantLink(t, "LinkBy("+l.Jira.String()+")", got, err, l)
		got, err = s.LinkBy(ctx, l.Linear)
		wantLink(t, "LinkBy("+l.Linear.String()+")", got, err, l)
		// Only the id names the ref; the informative key does not matter.
		got, err = s.LinkBy(ctx, backlog.Ref{Side: backlog.Jira, ID: l.Jira.ID})
		wantLink(t, "LinkBy(jira id without key)", got, err, l)
	}
	// A Jira id is not a Linear id: refs are looked up on their own side.
	_, err = s.LinkBy(ctx, backlog.Ref{Side: backlog.Linear, ID: "1000"})
	wantErr(t, "LinkBy(jira id as linear ref)", err, store.ErrNotFound)
	_, err = s.LinkBy(ctx, backlog.Ref{Side: backlog.Jira, ID: "lin-0"})
	wantErr(t, "LinkBy(linear id as jira ref)", err, store.ErrNotFound)

	ls, err := s.Links(ctx)
	must(t, "Links", err)
	if len(ls) != len(want) {
		t.Fatalf("Links returned %d links, want %d: %+v", len(ls), len(want), ls)
	}
	for _, l := range ls {
		if w, ok := want[l.ID()]; !ok || !sameLink(l, w) {
			t.Fatalf("Links returned %+v, want %+v", l, w)
		}
	}

	// Replacing a link keeps one copy.
	l := want["lin-2"]
	l.Created = t0.Add(time.Hour)
	must(t, "SaveLink(replace)", s.SaveLink(ctx, l))
	got, err := s.Link(ctx, "lin-2")
	wantLink(t, "Link after replace", got, err, l)
	if ls, _ := s.Links(ctx); len(ls) != len(want) {
		t.Fatalf("Links after replace: %d links, want %d", len(ls), len(want))
	}
}

func testLinkJiraLater(t *testing.T, s store.State) {
	ctx := t.Context()
	pending := link("lin-a", "")
	must(t, "SaveLink(pending)", s.SaveLink(ctx, pending))
	got, err := s.Link(ctx, "lin-a")
	wantLink(t, "Link(pending)", got, err, pending)
	got, err = s.LinkBy(ctx, pending.Linear)
	wantLink(t, "LinkBy(linear) while pending", got, err, pending)
	_, err = s.LinkBy(ctx, backlog.Ref{Side: backlog.Jira, ID: ""})
	wantErr(t, "LinkBy(empty jira ref)", err, store.ErrNotFound)

	// The Jira twin exists now.
	done := link("lin-a", "77")
	must(t, "SaveLink(with jira)", s.SaveLink(ctx, done))
	got, err = s.LinkBy(ctx, jiraRef("77"))
	wantLink(t, "LinkBy(jira) after update", got, err, done)

	// Re-pointed at another Jira issue: the old index entry must go.
	moved := link("lin-a", "78")
	must(t, "SaveLink(moved)", s.SaveLink(ctx, moved))
	_, err = s.LinkBy(ctx, jiraRef("77"))
	wantErr(t, "LinkBy(old jira ref)", err, store.ErrNotFound)
	got, err = s.LinkBy(ctx, jiraRef("78"))
	wantLink(t, "LinkBy(new jira ref)", got, err, moved)

	// Back to pending (a failed create rolled back): no Jira index at all.
	must(t, "SaveLink(pending again)", s.SaveLink(ctx, pending))
	_, err = s.LinkBy(ctx, jiraRef("78"))
	wantErr(t, "LinkBy(jira ref of a pending link)", err, store.ErrNotFound)
	if ls, err := s.Links(ctx); err != nil || len(ls) != 1 {
		t.Fatalf("Links = %v, %v; want exactly one link", ls, err)
	}
}

// testLinkIndexSteal: when a second link claims a Jira id, the newest save
// wins the index, and removing the first link must not remove the index
// entry that now belongs to the second.
func testLinkIndexSteal(t *testing.T, s store.State) {
	ctx := t.Context()
	a, b := link("lin-a", "5"), link("lin-b", "5")
	must(t, "SaveLink(a)", s.SaveLink(ctx, a))
	must(t, "SaveLink(b)", s.SaveLink(ctx, b))
	got, err := s.LinkBy(ctx, jiraRef("5"))
	wantLink(t, "LinkBy after b claimed it", got, err, b)

	a2 := link("lin-a", "6")
	must(t, "SaveLink(a re-pointed)", s.SaveLink(ctx, a2))
	got, err = s.LinkBy(ctx, jiraRef("5"))
	wantLink(t, "LinkBy(5) after a moved away", got, err, b)

	must(t, "SaveLink(a back on 5)", s.SaveLink(ctx, link("lin-a", "5")))
	must(t, "SaveLink(b re-claims 5)", s.SaveLink(ctx, b))
	must(t, "DeleteLink(a)", s.DeleteLink(ctx, "lin-a"))
	got, err = s.LinkBy(ctx, jiraRef("5"))
	wantLink(t, "LinkBy(5) after a deleted", got, err, b)
}

func testLinkInvalid(t *testing.T, s store.State) {
	ctx := t.Context()
	if err := s.SaveLink(ctx, backlog.Link{Jira: jiraRef("1")}); err == nil {
		t.Fatal("SaveLink with no Linear id succeeded, want an error")
	}
	if ls, _ := s.Links(ctx); len(ls) != 0 {
		t.Fatalf("invalid link was stored: %+v", ls)
	}
	if _, err := s.LinkBy(ctx, backlog.Ref{Side: "github", ID: "1"}); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LinkBy(unknown side): err = %v, want a validation error", err)
	}
}

func testDeleteLink(t *testing.T, s store.State) {
	ctx := t.Context()
	l, other := link("lin-a", "1"), link("lin-b", "2")
	must(t, "SaveLink", s.SaveLink(ctx, l))
	must(t, "SaveLink(other)", s.SaveLink(ctx, other))
	lease, err := s.Lock(ctx, "link:lin-a", longTTL)
	must(t, "Lock", err)
	must(t, "SaveBase", s.SaveBase(ctx, lease, "lin-a", backlog.Snapshot{backlog.Title: "x"}))
	must(t, "SaveBase(other)", s.SaveBase(ctx, lease, "lin-b", backlog.Snapshot{backlog.Title: "y"}))

	must(t, "DeleteLink", s.DeleteLink(ctx, "lin-a"))
	_, err = s.Link(ctx, "lin-a")
	wantErr(t, "Link after delete", err, store.ErrNotFound)
	_, err = s.LinkBy(ctx, l.Jira)
	wantErr(t, "LinkBy(jira) after delete", err, store.ErrNotFound)
	_, err = s.LinkBy(ctx, l.Linear)
	wantErr(t, "LinkBy(linear) after delete", err, store.ErrNotFound)
	_, err = s.Base(ctx, "lin-a")
	wantErr(t, "Base after delete", err, store.ErrNotFound)

	// The neighbour is untouched.
	got, err := s.LinkBy(ctx, other.Jira)
	wantLink(t, "LinkBy(other)", got, err, other)
	if b, err := s.Base(ctx, "lin-b"); err != nil || b[backlog.Title] != "y" {
		t.Fatalf("Base(other) = %v, %v; want title y", b, err)
	}
	if ls, _ := s.Links(ctx); len(ls) != 1 || ls[0].ID() != "lin-b" {
		t.Fatalf("Links after delete = %+v, want only lin-b", ls)
	}
	// Deleting is idempotent.
	must(t, "DeleteLink(again)", s.DeleteLink(ctx, "lin-a"))
	must(t, "DeleteLink(unknown)", s.DeleteLink(ctx, "never"))
}

func testBases(t *testing.T, s store.State) {
	ctx := t.Context()
	_, err := s.Base(ctx, "lin-a")
	wantErr(t, "Base(unknown)", err, store.ErrNotFound)

	lease, err := s.Lock(ctx, "link:lin-a", longTTL)
	must(t, "Lock", err)
	b1 := backlog.Snapshot{backlog.Title: "Fix login", backlog.Status: "started:In Progress", backlog.Description: "multi\nline *md* ü"}
	must(t, "SaveBase", s.SaveBase(ctx, lease, "lin-a", b1))
	got, err := s.Base(ctx, "lin-a")
	must(t, "Base", err)
	if !maps.Equal(got, b1) {
		t.Fatalf("Base = %v, want %v", got, b1)
	}
	// A base is replaced whole, not merged.
	b2 := backlog.Snapshot{backlog.Title: "Fix login (2)"}
	must(t, "SaveBase(replace)", s.SaveBase(ctx, lease, "lin-a", b2))
	got, err = s.Base(ctx, "lin-a")
	must(t, "Base", err)
	if !maps.Equal(got, b2) {
		t.Fatalf("Base after replace = %v, want %v", got, b2)
	}
	// An empty snapshot is a stored base, not a missing one.
	must(t, "SaveBase(empty)", s.SaveBase(ctx, lease, "lin-e", backlog.Snapshot{}))
	if got, err := s.Base(ctx, "lin-e"); err != nil || len(got) != 0 {
		t.Fatalf("Base(empty) = %v, %v; want empty, nil", got, err)
	}

	must(t, "Unlock", s.Unlock(ctx, lease))
	err = s.SaveBase(ctx, lease, "lin-a", backlog.Snapshot{backlog.Title: "late"})
	wantErr(t, "SaveBase after Unlock", err, store.ErrLockLost)
	err = s.SaveBase(ctx, store.Lease{Name: "never-taken", Token: 1}, "lin-a", backlog.Snapshot{backlog.Title: "forged"})
	wantErr(t, "SaveBase with a lease never taken", err, store.ErrLockLost)
	got, _ = s.Base(ctx, "lin-a")
	if !maps.Equal(got, b2) {
		t.Fatalf("refused SaveBase wrote anyway: Base = %v, want %v", got, b2)
	}
}

func testBaseFencing(t *testing.T, s store.State) {
	ctx := t.Context()
	start := time.Now()
	old, err := s.Lock(ctx, "link:x", shortTTL)
	must(t, "Lock", err)
	if err := s.SaveBase(ctx, old, "x", backlog.Snapshot{backlog.Title: "v1"}); err != nil {
		late(t, start, shortTTL)
		t.Fatalf("SaveBase(old): %v", err)
	}
	time.Sleep(pastTTL)

	// Expired and not yet taken: the lease is lost all the same.
	err = s.SaveBase(ctx, old, "x", backlog.Snapshot{backlog.Title: "stale-1"})
	wantErr(t, "SaveBase with an expired lease", err, store.ErrLockLost)

	cur, err := s.Lock(ctx, "link:x", longTTL)
	must(t, "Lock by new holder", err)
	if cur.Token <= old.Token {
		t.Fatalf("new token %d not larger than old %d", cur.Token, old.Token)
	}
	must(t, "SaveBase(new holder)", s.SaveBase(ctx, cur, "x", backlog.Snapshot{backlog.Title: "v2"}))
	err = s.SaveBase(ctx, old, "x", backlog.Snapshot{backlog.Title: "stale-2"})
	wantErr(t, "SaveBase by the stale holder", err, store.ErrLockLost)
	// A lease is name and token: the right token under another name fails.
	err = s.SaveBase(ctx, store.Lease{Name: "link:y", Token: cur.Token}, "x", backlog.Snapshot{backlog.Title: "stale-3"})
	wantErr(t, "SaveBase with the token under another name", err, store.ErrLockLost)
	got, err := s.Base(ctx, "x")
	must(t, "Base", err)
	if got[backlog.Title] != "v2" {
		t.Fatalf("Base title = %q, want the new holder's v2", got[backlog.Title])
	}
}

func testCursors(t *testing.T, s store.State) {
	ctx := t.Context()
	if c, err := s.Cursor(ctx, "jira"); err != nil || c != "" {
		t.Fatalf("Cursor(unknown) = %q, %v; want \"\", nil", c, err)
	}
	must(t, "SaveCursor", s.SaveCursor(ctx, "jira", "2026-11-26T12:00:00Z|10042"))
	must(t, "SaveCursor(linear)", s.SaveCursor(ctx, "linear", "abc"))
	must(t, "SaveCursor(overwrite)", s.SaveCursor(ctx, "jira", "2026-11-26T12:05:00Z|10050"))
	for name, want := range map[string]string{"jira": "2026-11-26T12:05:00Z|10050", "linear": "abc"} {
		if c, err := s.Cursor(ctx, name); err != nil || c != want {
			t.Fatalf("Cursor(%s) = %q, %v; want %q", name, c, err, want)
		}
	}
	must(t, "SaveCursor(reset)", s.SaveCursor(ctx, "linear", ""))
	if c, err := s.Cursor(ctx, "linear"); err != nil || c != "" {
		t.Fatalf("Cursor after reset = %q, %v; want \"\"", c, err)
	}
}

func testLockExclusive(t *testing.T, s store.State) {
	ctx := t.Context()
	a, err := s.Lock(ctx, "k", longTTL)
	must(t, "Lock", err)
	if a.Name != "k" || a.Token <= 0 {
		t.Fatalf("Lock = %+v, want name k and a positive token", a)
	}
	_, err = s.Lock(ctx, "k", longTTL)
	wantErr(t, "second Lock", err, store.ErrLocked)
	b, err := s.Lock(ctx, "other", longTTL)
	must(t, "Lock(other name)", err)
	must(t, "Unlock(other)", s.Unlock(ctx, b))

	must(t, "Unlock", s.Unlock(ctx, a))
	c, err := s.Lock(ctx, "k", longTTL)
	must(t, "Lock after Unlock", err)
	if c.Token <= a.Token {
		t.Fatalf("token after Unlock %d not larger than %d", c.Token, a.Token)
	}
	// Tokens keep growing over many rounds.
	prev := c.Token
	must(t, "Unlock", s.Unlock(ctx, c))
	for i := range 20 {
		l, err := s.Lock(ctx, "k", longTTL)
		must(t, fmt.Sprintf("Lock round %d", i), err)
		if l.Token <= prev {
			t.Fatalf("round %d: token %d not larger than %d", i, l.Token, prev)
		}
		prev = l.Token
		must(t, "Unlock", s.Unlock(ctx, l))
	}
	// Unlocking twice is harmless.
	l, err := s.Lock(ctx, "k", longTTL)
	must(t, "Lock", err)
	must(t, "Unlock", s.Unlock(ctx, l))
	must(t, "Unlock(again)", s.Unlock(ctx, l))
}

func testLockExpiry(t *testing.T, s store.State) {
	ctx := t.Context()
	start := time.Now()
	a, err := s.Lock(ctx, "k", shortTTL)
	must(t, "Lock", err)
	if _, err = s.Lock(ctx, "k", shortTTL); !errors.Is(err, store.ErrLocked) {
		late(t, start, shortTTL)
		t.Fatalf("Lock before expiry: err = %v, want ErrLocked", err)
	}
	time.Sleep(pastTTL)
	b, err := s.Lock(ctx, "k", longTTL)
	must(t, "Lock after expiry", err)
	if b.Token <= a.Token {
		t.Fatalf("token after expiry %d not larger than %d", b.Token, a.Token)
	}
	err = s.Extend(ctx, a, longTTL)
	wantErr(t, "Extend of the expired lease", err, store.ErrLockLost)
	_, err = s.Lock(ctx, "k", longTTL)
	wantErr(t, "Lock while the new holder has it", err, store.ErrLocked)
}

func testLockExtend(t *testing.T, s store.State) {
	ctx := t.Context()
	start := time.Now()
	a, err := s.Lock(ctx, "k", 2*shortTTL)
	must(t, "Lock", err)
	if err := s.Extend(ctx, a, longTTL); err != nil {
		late(t, start, 2*shortTTL)
		t.Fatalf("Extend: %v", err)
	}
	time.Sleep(2*shortTTL + pastTTL)
	_, err = s.Lock(ctx, "k", longTTL)
	wantErr(t, "Lock after Extend, past the first ttl", err, store.ErrLocked)
	must(t, "SaveBase after Extend", s.SaveBase(ctx, a, "x", backlog.Snapshot{backlog.Title: "t"}))

	// Extend can also shorten.
	must(t, "Extend(short)", s.Extend(ctx, a, shortTTL))
	time.Sleep(pastTTL)
	err = s.Extend(ctx, a, longTTL)
	wantErr(t, "Extend after expiry", err, store.ErrLockLost)

	b, err := s.Lock(ctx, "k", longTTL)
	must(t, "Lock", err)
	must(t, "Unlock", s.Unlock(ctx, b))
	err = s.Extend(ctx, b, longTTL)
	wantErr(t, "Extend after Unlock", err, store.ErrLockLost)
	_, err = s.Lock(ctx, "k", shortTTL)
	must(t, "Lock after the refused Extend (the refused Extend must not re-take it)", err)
}

// testLockKeep: store.Keep holds a lock well past its ttl until stopped.
func testLockKeep(t *testing.T, s store.State) {
	ctx := t.Context()
	a, err := s.Lock(ctx, "k", shortTTL)
	must(t, "Lock", err)
	stop := store.Keep(ctx, s, a, shortTTL, nil)
	time.Sleep(4 * shortTTL)
	_, err = s.Lock(ctx, "k", longTTL)
	wantErr(t, "Lock while kept, past four ttls", err, store.ErrLocked)
	must(t, "SaveBase while kept", s.SaveBase(ctx, a, "x", backlog.Snapshot{backlog.Title: "t"}))
	stop()
	stop() // a second stop is harmless
	time.Sleep(shortTTL + pastTTL)
	b, err := s.Lock(ctx, "k", longTTL)
	must(t, "Lock after the keeping stopped and the ttl passed", err)
	// Keeping a lost lease ends by itself.
	stop = store.Keep(ctx, s, a, shortTTL, nil)
	time.Sleep(2 * shortTTL)
	stop()
	must(t, "Unlock by the new holder", s.Unlock(ctx, b))
}

func testUnlockLost(t *testing.T, s store.State) {
	ctx := t.Context()
	old, err := s.Lock(ctx, "k", shortTTL)
	must(t, "Lock", err)
	time.Sleep(pastTTL)
	cur, err := s.Lock(ctx, "k", longTTL)
	must(t, "Lock by new holder", err)
	must(t, "Unlock of the lost lease", s.Unlock(ctx, old))
	_, err = s.Lock(ctx, "k", longTTL)
	wantErr(t, "Lock after the stale Unlock", err, store.ErrLocked)
	must(t, "Extend by the new holder", s.Extend(ctx, cur, longTTL))
	must(t, "SaveBase by the new holder", s.SaveBase(ctx, cur, "x", backlog.Snapshot{backlog.Title: "ok"}))
	// A forged lease with a token nobody holds releases nothing either.
	must(t, "Unlock(forged)", s.Unlock(ctx, store.Lease{Name: "k", Token: cur.Token + 1000}))
	_, err = s.Lock(ctx, "k", longTTL)
	wantErr(t, "Lock after the forged Unlock", err, store.ErrLocked)
}

func testLockInvalid(t *testing.T, s store.State) {
	ctx := t.Context()
	for _, ttl := range []time.Duration{0, -time.Second} {
		if _, err := s.Lock(ctx, "k", ttl); err == nil || errors.Is(err, store.ErrLocked) {
			t.Fatalf("Lock(ttl %v): err = %v, want a validation error", ttl, err)
		}
	}
	if _, err := s.Lock(ctx, "", longTTL); err == nil {
		t.Fatal("Lock with an empty name succeeded, want an error")
	}
	l, err := s.Lock(ctx, "k", longTTL)
	must(t, "Lock", err)
	if err := s.Extend(ctx, l, 0); err == nil {
		t.Fatal("Extend(ttl 0) succeeded, want an error")
	}
}

func normConflict(c backlog.Conflict) backlog.Conflict {
	c.JiraAt, c.LinearAt, c.At, c.SettledAt = c.JiraAt.UTC(), c.LinearAt.UTC(), c.At.UTC(), c.SettledAt.UTC()
	return c
}

func wantConflict(t *testing.T, what string, got backlog.Conflict, err error, want backlog.Conflict) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if g, w := normConflict(got), normConflict(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s =\n%+v\nwant\n%+v", what, g, w)
	}
}

func conflict(linkID string, f backlog.Field, at time.Time) backlog.Conflict {
	return backlog.Conflict{
		LinkID: linkID, Jira: jiraRef("1" + linkID), Linear: linearRef(linkID), Field: f,
		Base: "old", JiraVal: "from jira", LinVal: "from linear",
		JiraAt: at.Add(-2 * time.Minute), LinearAt: at.Add(-time.Minute),
		Policy: backlog.PolicyNewest, Decision: backlog.Linear, Value: "from linear", At: at,
		SettledBy: "policy", SettledAt: at,
	}
}

func ids(cs []backlog.Conflict) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func testConflicts(t *testing.T, s store.State) {
	ctx := t.Context()
	_, err := s.Conflict(ctx, "nope")
	wantErr(t, "Conflict(unknown)", err, store.ErrNotFound)
	if cs, err := s.Conflicts(ctx, store.ConflictFilter{}); err != nil || len(cs) != 0 {
		t.Fatalf("Conflicts on empty store = %v, %v", cs, err)
	}

	c1 := conflict("a", backlog.Title, t0)
	id1, err := s.AddConflict(ctx, c1)
	must(t, "AddConflict", err)
	id2, err := s.AddConflict(ctx, c1)
	must(t, "AddConflict(same content)", err)
	if id1 == "" || id2 == "" || id1 == id2 {
		t.Fatalf("AddConflict ids %q, %q: want two distinct non-empty ids", id1, id2)
	}
	c1.ID = id1
	got, err := s.Conflict(ctx, id1)
	wantConflict(t, "Conflict", got, err, c1)

	named := conflict("b", backlog.Status, t0.Add(time.Minute))
	named.ID = "chosen-id"
	id, err := s.AddConflict(ctx, named)
	must(t, "AddConflict(with id)", err)
	if id != "chosen-id" {
		t.Fatalf("AddConflict kept id %q, want chosen-id", id)
	}

	// An open manual conflict, settled later.
	open := conflict("c", backlog.Priority, t0.Add(2*time.Minute))
	open.Policy, open.Decision, open.Value, open.SettledBy, open.SettledAt = backlog.PolicyManual, "", "", "", time.Time{}
	open.ID, err = s.AddConflict(ctx, open)
	must(t, "AddConflict(open)", err)
	got, err = s.Conflict(ctx, open.ID)
	wantConflict(t, "Conflict(open)", got, err, open)
	if !got.Open() {
		t.Fatal("stored open conflict is not Open()")
	}
	settled := open
	settled.Decision, settled.Value, settled.SettledBy, settled.SettledAt = backlog.Jira, "from jira", "alice", t0.Add(time.Hour)
	must(t, "UpdateConflict", s.UpdateConflict(ctx, settled))
	got, err = s.Conflict(ctx, open.ID)
	wantConflict(t, "Conflict after update", got, err, settled)

	missing := settled
	missing.ID = "unknown-id"
	wantErr(t, "UpdateConflict(unknown)", s.UpdateConflict(ctx, missing), store.ErrNotFound)
	missing.ID = ""
	wantErr(t, "UpdateConflict(no id)", s.UpdateConflict(ctx, missing), store.ErrNotFound)
	if _, err := s.Conflict(ctx, "unknown-id"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused UpdateConflict created a record: err = %v", err)
	}

	all, err := s.Conflicts(ctx, store.ConflictFilter{})
	must(t, "Conflicts", err)
	// Newest first; the two records of the same instant, later add first.
	if got, want := ids(all), []string{open.ID, "chosen-id", id2, id1}; !slices.Equal(got, want) {
		t.Fatalf("Conflicts ids = %v, want %v", got, want)
	}
	// An update can move a record to another link.
	moved := settled
	moved.LinkID = "b"
	must(t, "UpdateConflict(move link)", s.UpdateConflict(ctx, moved))
	if cs, _ := s.Conflicts(ctx, store.ConflictFilter{LinkID: "c"}); len(cs) != 0 {
		t.Fatalf("Conflicts(link c) after the move = %v, want none", ids(cs))
	}
	if cs, _ := s.Conflicts(ctx, store.ConflictFilter{LinkID: "b"}); !slices.Equal(ids(cs), []string{open.ID, "chosen-id"}) {
		t.Fatalf("Conflicts(link b) after the move = %v, want [%s chosen-id]", ids(cs), open.ID)
	}
	must(t, "UpdateConflict(move back)", s.UpdateConflict(ctx, settled))

	// An update that moves At moves the record in the order.
	settled.At = t0.Add(-time.Hour)
	must(t, "UpdateConflict(move At)", s.UpdateConflict(ctx, settled))
	all, err = s.Conflicts(ctx, store.ConflictFilter{})
	must(t, "Conflicts", err)
	if got := ids(all); len(got) != 4 || got[0] != "chosen-id" || got[3] != open.ID {
		t.Fatalf("Conflicts after moving At = %v, want chosen-id first and %s last", got, open.ID)
	}
}

func testConflictFilters(t *testing.T, s store.State) {
	ctx := t.Context()
	var added []backlog.Conflict
	fields := []backlog.Field{backlog.Title, backlog.Status, backlog.Priority}
	// 30 records, 10 s apart, over three links and three fields; every third
	// one open. Two share one instant, so ties are exercised; two more lie
	// within one microsecond, the later add being the older, so an
	// implementation that orders by a coarser clock shows it.
	for i := range 30 {
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		switch i {
		case 7:
			at = added[6].At
		case 17:
			at = at.Add(500 * time.Nanosecond)
		case 18:
			at = added[17].At.Add(-400 * time.Nanosecond)
		}
		c := conflict(fmt.Sprintf("l%d", i%3), fields[(i/3)%3], at)
		switch i % 3 {
		case 0:
			c.Decision, c.SettledBy, c.SettledAt, c.Policy = "", "", time.Time{}, backlog.PolicyManual
		case 1:
			c.Applied = true
		}
		id, err := s.AddConflict(ctx, c)
		must(t, "AddConflict", err)
		c.ID = id
		added = append(added, c)
	}
	// The expected order: newest first; among equal times the later add first.
	newestFirst := slices.Clone(added)
	slices.Reverse(newestFirst)
	sort.SliceStable(newestFirst, func(i, j int) bool { return newestFirst[i].At.After(newestFirst[j].At) })

	cases := []struct {
		name string
		f    store.ConflictFilter
	}{
		{"all", store.ConflictFilter{}},
		{"open", store.ConflictFilter{OpenOnly: true}},
		{"unapplied", store.ConflictFilter{Unapplied: true}},
		{"unapplied+link+limit", store.ConflictFilter{Unapplied: true, LinkID: "l2", Limit: 3}},
		{"field", store.ConflictFilter{Field: backlog.Status}},
		{"link", store.ConflictFilter{LinkID: "l1"}},
		{"since", store.ConflictFilter{Since: t0.Add(200 * time.Second)}},
		{"since exact instant", store.ConflictFilter{Since: added[6].At}},
		{"since between", store.ConflictFilter{Since: t0.Add(205 * time.Second)}},
		{"since future", store.ConflictFilter{Since: t0.Add(time.Hour)}},
		{"limit", store.ConflictFilter{Limit: 5}},
		{"limit across tie", store.ConflictFilter{Limit: 23}},
		{"limit inside a microsecond", store.ConflictFilter{Limit: 12}},
		{"limit after a microsecond", store.ConflictFilter{Limit: 13}},
		{"limit beyond", store.ConflictFilter{Limit: 100}},
		{"open+link", store.ConflictFilter{OpenOnly: true, LinkID: "l0"}},
		{"field+since+limit", store.ConflictFilter{Field: backlog.Title, Since: t0.Add(50 * time.Second), Limit: 3}},
		{"open+field+limit", store.ConflictFilter{OpenOnly: true, Field: backlog.Priority, Limit: 2}},
		{"no match", store.ConflictFilter{LinkID: "nope"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for _, c := range newestFirst {
				if tc.f.Match(c) && (tc.f.Limit <= 0 || len(want) < tc.f.Limit) {
					want = append(want, c.ID)
				}
			}
			got, err := s.Conflicts(t.Context(), tc.f)
			must(t, "Conflicts", err)
			if !slices.Equal(ids(got), want) {
				t.Fatalf("Conflicts(%+v) =\n%v\nwant\n%v", tc.f, ids(got), want)
			}
			for _, c := range got {
				i := slices.IndexFunc(added, func(a backlog.Conflict) bool { return a.ID == c.ID })
				if !reflect.DeepEqual(normConflict(c), normConflict(added[i])) {
					t.Fatalf("listed record %+v differs from added %+v", c, added[i])
				}
			}
		})
	}
}

func testDeliveries(t *testing.T, s store.State) {
	ctx := t.Context()
	start := time.Now()
	seen, err := s.SeenDelivery(ctx, "d1", shortTTL)
	must(t, "SeenDelivery", err)
	if seen {
		t.Fatal("first SeenDelivery(d1) = true, want false")
	}
	seen, err = s.SeenDelivery(ctx, "d1", shortTTL)
	must(t, "SeenDelivery(again)", err)
	if !seen {
		late(t, start, shortTTL)
		t.Fatal("second SeenDelivery(d1) = false, want true")
	}
	if seen, _ := s.SeenDelivery(ctx, "d2", longTTL); seen {
		t.Fatal("SeenDelivery(d2) = true on first sight")
	}
	time.Sleep(pastTTL)
	seen, err = s.SeenDelivery(ctx, "d1", longTTL)
	must(t, "SeenDelivery after expiry", err)
	if seen {
		t.Fatal("SeenDelivery(d1) after its ttl = true, want false (expired)")
	}
	if seen, _ := s.SeenDelivery(ctx, "d2", longTTL); !seen {
		t.Fatal("SeenDelivery(d2) within its ttl = false, want true")
	}
	if seen, _ := s.SeenDelivery(ctx, "d1", longTTL); !seen {
		t.Fatal("SeenDelivery(d1) re-recorded = false, want true")
	}
	if _, err := s.SeenDelivery(ctx, "d3", 0); err == nil {
		t.Fatal("SeenDelivery(ttl 0) succeeded, want an error")
	}

	// A delivery that could not be queued is forgotten, so its retry counts.
	must(t, "ForgetDelivery", s.ForgetDelivery(ctx, "d2"))
	if seen, _ := s.SeenDelivery(ctx, "d2", longTTL); seen {
		t.Fatal("SeenDelivery(d2) after ForgetDelivery = true, want false")
	}
	if seen, _ := s.SeenDelivery(ctx, "d2", longTTL); !seen {
		t.Fatal("SeenDelivery(d2) recorded again = false, want true")
	}
	if seen, _ := s.SeenDelivery(ctx, "d1", longTTL); !seen {
		t.Fatal("ForgetDelivery(d2) forgot d1 too")
	}
	must(t, "ForgetDelivery(unknown)", s.ForgetDelivery(ctx, "never"))
}

func testDirty(t *testing.T, s store.State) {
	ctx := t.Context()
	if d, err := s.Dirty(ctx); err != nil || len(d) != 0 {
		t.Fatalf("Dirty on empty store = %v, %v", d, err)
	}
	a1, err := s.MarkDirty(ctx, "jira:1")
	must(t, "MarkDirty", err)
	b1, err := s.MarkDirty(ctx, "linear:x")
	must(t, "MarkDirty", err)
	a2, err := s.MarkDirty(ctx, "jira:1")
	must(t, "MarkDirty(again)", err)
	if !(a1 < b1 && b1 < a2) {
		t.Fatalf("seqs %d, %d, %d not increasing", a1, b1, a2)
	}
	d, err := s.Dirty(ctx)
	must(t, "Dirty", err)
	if want := map[string]int64{"jira:1": a2, "linear:x": b1}; !maps.Equal(d, want) {
		t.Fatalf("Dirty = %v, want %v", d, want)
	}
	// A pass that started before the second mark must not clear it.
	must(t, "ClearDirty(old seq)", s.ClearDirty(ctx, "jira:1", a1))
	d, _ = s.Dirty(ctx)
	if d["jira:1"] != a2 {
		t.Fatalf("ClearDirty with an old seq removed the newer mark: %v", d)
	}
	must(t, "ClearDirty", s.ClearDirty(ctx, "jira:1", a2))
	must(t, "ClearDirty(unknown)", s.ClearDirty(ctx, "never", 1))
	d, _ = s.Dirty(ctx)
	if want := map[string]int64{"linear:x": b1}; !maps.Equal(d, want) {
		t.Fatalf("Dirty after clear = %v, want %v", d, want)
	}
	a3, err := s.MarkDirty(ctx, "jira:1")
	must(t, "MarkDirty after clear", err)
	if a3 <= a2 {
		t.Fatalf("seq after clear %d not larger than %d", a3, a2)
	}
	must(t, "ClearDirty(b)", s.ClearDirty(ctx, "linear:x", b1))
	must(t, "ClearDirty(a)", s.ClearDirty(ctx, "jira:1", a3))
	if d, _ := s.Dirty(ctx); len(d) != 0 {
		t.Fatalf("Dirty after clearing all = %v", d)
	}
	if _, err := s.MarkDirty(ctx, ""); err == nil {
		t.Fatal("MarkDirty(\"\") succeeded, want an error")
	}
}

func testConcurrentLock(t *testing.T, s store.State) {
	ctx := t.Context()
	for round := range 5 {
		const n = 16
		var (
			wg     sync.WaitGroup
			start  = make(chan struct{})
			mu     sync.Mutex
			wins   []store.Lease
			others []error
		)
		name := fmt.Sprintf("race-%d", round)
		for range n {
			wg.Go(func() {
				<-start
				l, err := s.Lock(ctx, name, longTTL)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					wins = append(wins, l)
				} else if !errors.Is(err, store.ErrLocked) {
					others = append(others, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(others) > 0 {
			t.Fatalf("round %d: unexpected errors: %v", round, others)
		}
		if len(wins) != 1 {
			t.Fatalf("round %d: %d goroutines won the lock, want exactly 1: %+v", round, len(wins), wins)
		}
	}
}

// testConcurrentDirty races markers against clearers that behave like sync
// passes (read the set, clear what they read). Afterwards every key's latest
// mark is either still in the set or was cleared with exactly its seq: a
// mark made during a pass is never lost.
func testConcurrentDirty(t *testing.T, s store.State) {
	ctx := t.Context()
	keys := []string{"k0", "k1", "k2", "k3"}
	var (
		mu      sync.Mutex
		maxMark = map[string]int64{}
		cleared = map[string]map[int64]bool{}
		errs    []error
		wg      sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	const markers, marks = 4, 40
	for m := range markers {
		wg.Go(func() {
			for i := range marks {
				k := keys[(m+i)%len(keys)]
				seq, err := s.MarkDirty(ctx, k)
				if err != nil {
					fail(err)
					return
				}
				mu.Lock()
				maxMark[k] = max(maxMark[k], seq)
				mu.Unlock()
			}
		})
	}
	done := make(chan struct{})
	var cwg sync.WaitGroup
	for range 2 {
		cwg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				d, err := s.Dirty(ctx)
				if err != nil {
					fail(err)
					return
				}
				for k, seq := range d {
					mu.Lock()
					if cleared[k] == nil {
						cleared[k] = map[int64]bool{}
					}
					cleared[k][seq] = true
					mu.Unlock()
					if err := s.ClearDirty(ctx, k, seq); err != nil {
						fail(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(done)
	cwg.Wait()
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	d, err := s.Dirty(ctx)
	must(t, "Dirty", err)
	var seqs []int64
	for _, k := range keys {
		if seq, ok := d[k]; ok {
			if seq != maxMark[k] {
				t.Errorf("key %s dirty with seq %d, want its latest mark %d", k, seq, maxMark[k])
			}
		} else if !cleared[k][maxMark[k]] {
			t.Errorf("key %s: latest mark %d lost (not dirty, never read by a clearer)", k, maxMark[k])
		}
		seqs = append(seqs, maxMark[k])
	}
	if slices.Contains(seqs, 0) {
		t.Fatalf("some key was never marked: %v", maxMark)
	}
}

// testConcurrentLinks saves links and moves their Jira refs from several
// goroutines; the indexes must end up consistent with the links.
func testConcurrentLinks(t *testing.T, s store.State) {
	ctx := t.Context()
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			id := fmt.Sprintf("lin-%d", g)
			for i := range 10 {
				if err := s.SaveLink(ctx, link(id, fmt.Sprintf("%d-%d", g, i))); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	ls, err := s.Links(ctx)
	must(t, "Links", err)
	if len(ls) != 8 {
		t.Fatalf("Links = %d links, want 8", len(ls))
	}
	for _, l := range ls {
		g := strings.TrimPrefix(l.ID(), "lin-")
		if want := g + "-9"; l.Jira.ID != want {
			t.Fatalf("link %s has jira %s, want %s", l.ID(), l.Jira.ID, want)
		}
		for i := range 9 {
			if _, err := s.LinkBy(ctx, jiraRef(fmt.Sprintf("%s-%d", g, i))); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("stale index %s-%d still resolves: err = %v", g, i, err)
			}
		}
	}
}

// testCanceled: a call whose context is already done fails and changes
// nothing.
func testCanceled(t *testing.T, s store.State) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.SaveLink(ctx, link("lin-a", "1")); err == nil {
		t.Fatal("SaveLink with a canceled context succeeded")
	}
	if _, err := s.MarkDirty(ctx, "k"); err == nil {
		t.Fatal("MarkDirty with a canceled context succeeded")
	}
	if _, err := s.Lock(ctx, "k", longTTL); err == nil {
		t.Fatal("Lock with a canceled context succeeded")
	}
	live := t.Context()
	if _, err := s.Link(live, "lin-a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("canceled SaveLink stored the link: err = %v", err)
	}
	if d, err := s.Dirty(live); err != nil || len(d) != 0 {
		t.Fatalf("canceled MarkDirty marked: %v, %v", d, err)
	}
	l, err := s.Lock(live, "k", longTTL)
	must(t, "Lock after the canceled Lock", err)
	must(t, "Unlock", s.Unlock(live, l))
}

// testPrune covers the optional store.ConflictPruner.
func testPrune(t *testing.T, s store.State) {
	p, ok := s.(store.ConflictPruner)
	if !ok {
		t.Skip("store has no ConflictPruner")
	}
	ctx := t.Context()
	add := func(c backlog.Conflict) string {
		t.Helper()
		id, err := s.AddConflict(ctx, c)
		must(t, "AddConflict", err)
		return id
	}
	old := t0.Add(-time.Hour)
	open := conflict("a", backlog.Title, old)
	open.Decision, open.SettledBy, open.SettledAt, open.Policy = "", "", time.Time{}, backlog.PolicyManual
	openID := add(open)
	pending := conflict("a", backlog.Status, old) // a person decided; not applied yet
	pendingID := add(pending)
	var applied []string // oldest first
	for i := range 8 {
		c := conflict(fmt.Sprint("l", i%2), backlog.Title, t0.Add(time.Duration(i)*time.Minute))
		c.Applied = true
		applied = append(applied, add(c))
	}
	oldApplied := conflict("a", backlog.Priority, old)
	oldApplied.Applied = true
	oldAppliedID := add(oldApplied)

	n, err := p.PruneConflicts(ctx, t0.Add(2*time.Minute), 0)
	must(t, "PruneConflicts(age)", err)
	if n != 3 { // oldApplied and the two applied before t0+2m
		t.Fatalf("PruneConflicts(age) dropped %d, want 3", n)
	}
	for _, id := range []string{oldAppliedID, applied[0], applied[1]} {
		_, err := s.Conflict(ctx, id)
		wantErr(t, "Conflict(pruned "+id+")", err, store.ErrNotFound)
	}
	for _, id := range []string{openID, pendingID, applied[2]} {
		_, err := s.Conflict(ctx, id)
		must(t, "Conflict(kept "+id+")", err)
	}

	n, err = p.PruneConflicts(ctx, time.Time{}, 2)
	must(t, "PruneConflicts(count)", err)
	if n != 4 {
		t.Fatalf("PruneConflicts(keep 2) dropped %d, want 4", n)
	}
	want := []string{applied[7], applied[6], openID, pendingID}
	all, err := s.Conflicts(ctx, store.ConflictFilter{})
	must(t, "Conflicts", err)
	if got := ids(all); !slices.Equal(got[:2], want[:2]) || len(got) != 4 || !slices.Contains(got, openID) || !slices.Contains(got, pendingID) {
		t.Fatalf("Conflicts after pruning = %v, want %v (the open and pending ones in any order at the end)", got, want)
	}
	// Per-link listings forget pruned records too.
	if cs, _ := s.Conflicts(ctx, store.ConflictFilter{LinkID: "l0"}); !slices.Equal(ids(cs), []string{applied[6]}) {
		t.Fatalf("Conflicts(link l0) after pruning = %v, want [%s]", ids(cs), applied[6])
	}
	pruned := all[0]
	pruned.ID = applied[3]
	wantErr(t, "UpdateConflict(pruned)", s.UpdateConflict(ctx, pruned), store.ErrNotFound)

	if n, err := p.PruneConflicts(ctx, t0.Add(time.Hour), 0); err != nil || n != 2 {
		t.Fatalf("PruneConflicts(all applied) = %d, %v; want 2", n, err)
	}
	if n, err := p.PruneConflicts(ctx, t0.Add(time.Hour), 1); err != nil || n != 0 {
		t.Fatalf("PruneConflicts again = %d, %v; want 0", n, err)
	}
	if all, _ := s.Conflicts(ctx, store.ConflictFilter{}); len(all) != 2 {
		t.Fatalf("open and pending records must survive any pruning: %v", ids(all))
	}
}
