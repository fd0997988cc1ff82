package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/store"
	"github.com/tandem-sync/tandem/store/embedded"
)

// memConn is an in-memory tool behind the Connector interface; it counts
// writes. Its Create is idempotent by origin, as the contract demands.
type memConn struct {
	side   backlog.Side
	mu     sync.Mutex
	items  map[string]backlog.Item
	next   int
	writes int
}

func newMem(side backlog.Side) *memConn {
	return &memConn{side: side, items: map[string]backlog.Item{}}
}

func (m *memConn) Side() backlog.Side { return m.side }
func (m *memConn) Changed(context.Context, string) (connectors.Page, error) {
	return connectors.Page{}, nil
}
func (m *memConn) Get(_ context.Context, id string) (backlog.Item, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[id]
	if !ok {
		return backlog.Item{}, connectors.ErrNotFound
	}
	return it, nil
}
func (m *memConn) Create(_ context.Context, it backlog.Item) (backlog.Ref, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, x := range m.items {
		if x.Origin == it.Origin {
			return x.Ref, nil
		}
	}
	id := it.Ref.ID
	if id == "" {
		m.next++
		id = fmt.Sprint(10000 + m.next)
	}
	it.Ref = backlog.Ref{Side: m.side, ID: id, Key: "K-" + id}
	m.items[id] = it
	m.writes++
	return it.Ref, nil
}
func (m *memConn) Apply(_ context.Context, id string, p backlog.Patch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[id]
	if !ok {
		return connectors.ErrNotFound
	}
	it, err := p.Apply(it)
	if err != nil {
		return err
	}
	m.items[id] = it
	m.writes++
	return nil
}
func (m *memConn) Project(_ backlog.Field, v backlog.Value) backlog.Value { return v }

func (m *memConn) put(it backlog.Item) backlog.Ref {
	m.mu.Lock()
	defer m.mu.Unlock()
	it.Ref.Side = m.side
	m.items[it.Ref.ID] = it
	return it.Ref
}

func (m *memConn) edit(id string, f func(*backlog.Item)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it := m.items[id]
	f(&it)
	m.items[id] = it
}

func newSyncer(t *testing.T, pol backlog.Policy) (*Syncer, *memConn, *memConn, store.State) {
	st, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	j, l := newMem(backlog.Jira), newMem(backlog.Linear)
	return &Syncer{Jira: j, Linear: l, State: st, Site: "jira.example", Policies: Policies{Default: pol},
		Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return time.Unix(1_800_000_000, 0) }}, j, l, st
}

func mustSync(t *testing.T, s *Syncer, r backlog.Ref) Result {
	t.Helper()
	res, err := s.Sync(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSyncCreatesLinearTwinOnce(t *testing.T) {
	s, j, l, st := newSyncer(t, backlog.PolicyJira)
	ref := j.put(backlog.Item{Ref: backlog.Ref{ID: "100", Key: "TAN-1"}, Title: "Login", Priority: backlog.PriorityHigh,
		Status: backlog.StatusValue{Name: "To Do", Category: backlog.CategoryTodo}})
	if res := mustSync(t, s, ref); res.Writes != 1 {
		t.Fatalf("writes = %d, want 1 (the create)", res.Writes)
	}
	twinID := backlog.TwinID("jira.example", "100")
	twin, err := l.Get(t.Context(), twinID)
	if err != nil {
		t.Fatalf("linear twin with the derived id: %v", err)
	}
	if twin.Title != "Login" || twin.Origin != ref {
		t.Fatalf("twin = %+v", twin)
	}
	link, err := st.LinkBy(t.Context(), backlog.Ref{Side: backlog.Linear, ID: twinID})
	if err != nil || link.Jira.ID != "100" || link.Pending != "" {
		t.Fatalf("link = %+v, %v", link, err)
	}
	// Both refs, again and again: nothing more is written.
	for range 3 {
		mustSync(t, s, ref)
		mustSync(t, s, twin.Ref)
	}
	if j.writes+l.writes != 1 {
		t.Fatalf("writes jira %d linear %d, want only the create", j.writes, l.writes)
	}
}

func TestSyncCreatesJiraTwinAndFindsItByOrigin(t *testing.T) {
	s, j, l, st := newSyncer(t, backlog.PolicyJira)
	lref := l.put(backlog.Item{Ref: backlog.Ref{ID: "lin-1", Key: "ENG-1"}, Title: "Dark mode"})
	mustSync(t, s, lref)
	link, err := st.Link(t.Context(), "lin-1")
	if err != nil || link.Jira.ID == "" {
		t.Fatalf("link = %+v, %v", link, err)
	}
	// Lose the link (as after a crash right after the create): the Jira
	// twin's origin marker relinks it, and nothing is created again.
	if err := st.DeleteLink(t.Context(), "lin-1"); err != nil {
		t.Fatal(err)
	}
	mustSync(t, s, link.Jira)
	mustSync(t, s, lref)
	if len(j.items) != 1 || j.writes != 1 {
		t.Fatalf("jira has %d items after %d writes, want the one twin", len(j.items), j.writes)
	}
	if _, err := st.LinkBy(t.Context(), link.Jira); err != nil {
		t.Fatalf("relinked by origin: %v", err)
	}
}

func TestSyncResumesPendingLink(t *testing.T) {
	s, j, l, st := newSyncer(t, backlog.PolicyJira)
	ref := j.put(backlog.Item{Ref: backlog.Ref{ID: "7"}, Title: "Resume me"})
	twinID := backlog.TwinID("jira.example", "7")
	// State left by a crash after the create call, before the link was
	// completed: a pending link, and the twin already made.
	if err := st.SaveLink(t.Context(), backlog.Link{Jira: ref, Linear: backlog.Ref{Side: backlog.Linear, ID: twinID}, Pending: backlog.Linear}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Create(t.Context(), backlog.Item{Ref: backlog.Ref{ID: twinID}, Title: "Resume me", Origin: ref}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, s, ref)
	if len(l.items) != 1 {
		t.Fatalf("linear has %d items, want 1", len(l.items))
	}
	link, err := st.Link(t.Context(), twinID)
	if err != nil || link.Pending != "" {
		t.Fatalf("link = %+v, %v", link, err)
	}
}

func TestSyncPropagatesAndLogsConflictOnce(t *testing.T) {
	s, j, l, st := newSyncer(t, backlog.PolicyJira)
	ref := j.put(backlog.Item{Ref: backlog.Ref{ID: "1"}, Title: "A", Description: "d"})
	mustSync(t, s, ref)
	lid := backlog.TwinID("jira.example", "1")
	l.edit(lid, func(it *backlog.Item) { it.Description = "from linear" })
	if res := mustSync(t, s, backlog.Ref{Side: backlog.Linear, ID: lid}); res.Writes != 1 {
		t.Fatalf("writes = %d", res.Writes)
	}
	if it, _ := j.Get(t.Context(), "1"); it.Description != "from linear" {
		t.Fatalf("jira description %q", it.Description)
	}
	j.edit("1", func(it *backlog.Item) { it.Title = "J" })
	l.edit(lid, func(it *backlog.Item) { it.Title = "L" })
	mustSync(t, s, ref)
	mustSync(t, s, ref)
	cs, err := st.Conflicts(t.Context(), store.ConflictFilter{})
	if err != nil || len(cs) != 1 || cs[0].Decision != backlog.Jira {
		t.Fatalf("conflicts = %+v, %v", cs, err)
	}
	if it, _ := l.Get(t.Context(), lid); it.Title != "J" {
		t.Fatalf("linear title %q, want Jira's", it.Title)
	}
}

func TestSyncManualHoldsUntilSettled(t *testing.T) {
	s, j, l, st := newSyncer(t, backlog.PolicyManual)
	ref := j.put(backlog.Item{Ref: backlog.Ref{ID: "1"}, Title: "A"})
	mustSync(t, s, ref)
	lid := backlog.TwinID("jira.example", "1")
	j.edit("1", func(it *backlog.Item) { it.Title = "J" })
	l.edit(lid, func(it *backlog.Item) { it.Title = "L" })
	for range 3 {
		if res := mustSync(t, s, ref); res.Writes != 0 {
			t.Fatalf("manual conflict wrote %d times", res.Writes)
		}
	}
	open, _ := st.Conflicts(t.Context(), store.ConflictFilter{OpenOnly: true})
	if len(open) != 1 {
		t.Fatalf("%d open conflicts, want 1 (logged once)", len(open))
	}
	// Other fields keep syncing while the title is held.
	j.edit("1", func(it *backlog.Item) { it.Description = "still flows" })
	mustSync(t, s, ref)
	if it, _ := l.Get(t.Context(), lid); it.Description != "still flows" || it.Title != "L" {
		t.Fatalf("linear = %+v", it)
	}
}

func TestSyncLockedLinkRequeues(t *testing.T) {
	s, j, _, st := newSyncer(t, backlog.PolicyJira)
	ref := j.put(backlog.Item{Ref: backlog.Ref{ID: "1"}, Title: "A"})
	mustSync(t, s, ref)
	lease, err := st.Lock(t.Context(), "link:"+backlog.TwinID("jira.example", "1"), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Unlock(t.Context(), lease)
	if res := mustSync(t, s, ref); res.RequeueAfter <= 0 {
		t.Fatal("a locked link must be requeued")
	}
}

func TestResolveWritesDecisionToBothSides(t *testing.T) {
	for _, tc := range []struct {
		d    Decision
		want string
	}{
		{Decision{Take: "jira", By: "cli"}, "J"},
		{Decision{Take: "linear", By: "api"}, "L"},
		{Decision{Take: "base", By: "ui"}, "A"},
		{Decision{Take: "value", Value: "Agreed", By: "ui"}, "Agreed"},
	} {
		t.Run(tc.d.Take, func(t *testing.T) {
			s, j, l, st := newSyncer(t, backlog.PolicyManual)
			ref := j.put(backlog.Item{Ref: backlog.Ref{ID: "1"}, Title: "A"})
			mustSync(t, s, ref)
			lid := backlog.TwinID("jira.example", "1")
			j.edit("1", func(it *backlog.Item) { it.Title = "J" })
			l.edit(lid, func(it *backlog.Item) { it.Title = "L" })
			mustSync(t, s, ref)
			open, _ := st.Conflicts(t.Context(), store.ConflictFilter{OpenOnly: true})
			if len(open) != 1 {
				t.Fatalf("%d open", len(open))
			}
			c, err := Resolve(t.Context(), st, open[0].ID, tc.d, time.Unix(1_800_000_100, 0))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Resolve(t.Context(), st, c.ID, tc.d, time.Now()); !errors.Is(err, ErrSettled) {
				t.Fatalf("second resolve: %v, want ErrSettled", err)
			}
			mustSync(t, s, ref)
			ji, _ := j.Get(t.Context(), "1")
			li, _ := l.Get(t.Context(), lid)
			if ji.Title != tc.want || li.Title != tc.want {
				t.Fatalf("jira %q linear %q, want %q on both", ji.Title, li.Title, tc.want)
			}
			got, _ := st.Conflict(t.Context(), c.ID)
			if !got.Applied || got.Open() || got.SettledBy != tc.d.By || got.Took != tc.d.Take {
				t.Fatalf("record = %+v", got)
			}
			// Settled and applied: later passes leave it alone, edits flow again.
			j.edit("1", func(it *backlog.Item) { it.Title = "after" })
			mustSync(t, s, ref)
			if li, _ := l.Get(t.Context(), lid); li.Title != "after" {
				t.Fatalf("title no longer syncs after the decision: %q", li.Title)
			}
		})
	}
}

func TestResolveRejectsBadDecisions(t *testing.T) {
	s, j, l, st := newSyncer(t, backlog.PolicyManual)
	ref := j.put(backlog.Item{Ref: backlog.Ref{ID: "1"}, Priority: backlog.PriorityLow})
	mustSync(t, s, ref)
	lid := backlog.TwinID("jira.example", "1")
	j.edit("1", func(it *backlog.Item) { it.Priority = backlog.PriorityHigh })
	l.edit(lid, func(it *backlog.Item) { it.Priority = backlog.PriorityMedium })
	mustSync(t, s, ref)
	open, _ := st.Conflicts(t.Context(), store.ConflictFilter{OpenOnly: true})
	if len(open) != 1 {
		t.Fatalf("%d open", len(open))
	}
	for _, d := range []Decision{{Take: "coin"}, {Take: "value", Value: "p0"}} {
		if _, err := Resolve(t.Context(), st, open[0].ID, d, time.Now()); !errors.Is(err, ErrBadDecision) {
			t.Errorf("%+v: err %v, want ErrBadDecision", d, err)
		}
	}
	if _, err := Resolve(t.Context(), st, "nope", Decision{Take: "jira"}, time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
}

// TestStatusNamesFromMapping: with "Code Review" (Jira) mapped to "In
// Review" (Linear), a status edit travels under the other side's name and
// comes back as no change.
func TestStatusNamesFromMapping(t *testing.T) {
	s, j, l, _ := newSyncer(t, backlog.PolicyJira)
	s.Statuses = map[string]string{"Code Review": "In Review"}
	ref := j.put(backlog.Item{Ref: backlog.Ref{ID: "1"}, Title: "A", Status: backlog.StatusValue{Name: "To Do", Category: backlog.CategoryTodo}})
	mustSync(t, s, ref)
	lid := backlog.TwinID("jira.example", "1")
	j.edit("1", func(it *backlog.Item) {
		it.Status = backlog.StatusValue{Name: "Code Review", Category: backlog.CategoryStarted}
	})
	mustSync(t, s, ref)
	if li, _ := l.Get(t.Context(), lid); li.Status.Name != "In Review" {
		t.Fatalf("linear status %q, want In Review", li.Status.Name)
	}
	writes := j.writes + l.writes
	mustSync(t, s, backlog.Ref{Side: backlog.Linear, ID: lid})
	if j.writes+l.writes != writes {
		t.Fatal("the mapped name came back as an edit")
	}
	l.edit(lid, func(it *backlog.Item) { it.Status = backlog.StatusValue{Name: "Todo", Category: backlog.CategoryTodo} })
	mustSync(t, s, ref)
	l.edit(lid, func(it *backlog.Item) {
		it.Status = backlog.StatusValue{Name: "In Review", Category: backlog.CategoryStarted}
	})
	mustSync(t, s, ref)
	if ji, _ := j.Get(t.Context(), "1"); ji.Status.Name != "Code Review" {
		t.Fatalf("jira status %q, want Code Review", ji.Status.Name)
	}
}

type scopeFunc func(backlog.Item) bool

func (f scopeFunc) InScope(_ context.Context, it backlog.Item) (bool, error) { return f(it), nil }

type deleter struct{ m *memConn }

func (d deleter) Delete(_ context.Context, id string) error {
	d.m.mu.Lock()
	defer d.m.mu.Unlock()
	delete(d.m.items, id)
	d.m.writes++
	return nil
}

// TestScopeAndDeletion: an item leaving the scope stops its pair (link
// kept, marked) and resumes when back; a deletion is marked, or mirrored
// when the mapping says so; a new out-of-scope item gets no twin.
func TestScopeAndDeletion(t *testing.T) {
	s, j, l, st := newSyncer(t, backlog.PolicyJira)
	s.JiraScope = scopeFunc(func(it backlog.Item) bool { return !slices.Contains(it.Labels, "private") })
	ref := j.put(backlog.Item{Ref: backlog.Ref{ID: "1"}, Title: "A"})
	mustSync(t, s, ref)
	lid := backlog.TwinID("jira.example", "1")

	j.edit("1", func(it *backlog.Item) { it.Labels = []string{"private"}; it.Title = "Secret" })
	mustSync(t, s, ref)
	link, _ := st.Link(t.Context(), lid)
	if link.Stopped != "out of scope in jira" {
		t.Fatalf("link = %+v", link)
	}
	if li, _ := l.Get(t.Context(), lid); li.Title != "A" {
		t.Fatalf("an out-of-scope edit was synced: %q", li.Title)
	}
	j.edit("1", func(it *backlog.Item) { it.Labels = nil })
	mustSync(t, s, ref)
	if link, _ := st.Link(t.Context(), lid); link.Stopped != "" {
		t.Fatalf("did not resume: %+v", link)
	}
	if li, _ := l.Get(t.Context(), lid); li.Title != "Secret" {
		t.Fatalf("after resuming: %q", li.Title)
	}

	// A new private issue gets no twin.
	p := j.put(backlog.Item{Ref: backlog.Ref{ID: "2"}, Title: "P", Labels: []string{"private"}})
	mustSync(t, s, p)
	if _, err := l.Get(t.Context(), backlog.TwinID("jira.example", "2")); err == nil {
		t.Fatal("an out-of-scope issue got a twin")
	}

	// Deleted in Jira, mapping "mark": the Linear twin stays.
	j.mu.Lock()
	delete(j.items, "1")
	j.mu.Unlock()
	// Jira's jira:issue_deleted names the deleted issue.
	mustSync(t, s, ref)
	if link, _ := st.Link(t.Context(), lid); link.Stopped != "deleted in jira" {
		t.Fatalf("link = %+v", link)
	}
	if _, err := l.Get(t.Context(), lid); err != nil {
		t.Fatal("mark must not delete the twin")
	}

	// Mapping "mirror": a deletion in Linear deletes the Jira twin.
	s.Deleted, s.JiraDeleter = "mirror", deleter{j}
	ref3 := j.put(backlog.Item{Ref: backlog.Ref{ID: "3"}, Title: "C"})
	mustSync(t, s, ref3)
	lid3 := backlog.TwinID("jira.example", "3")
	l.mu.Lock()
	delete(l.items, lid3)
	l.mu.Unlock()
	mustSync(t, s, backlog.Ref{Side: backlog.Linear, ID: lid3})
	if _, err := j.Get(t.Context(), "3"); err == nil {
		t.Fatal("mirror did not delete the Jira twin")
	}
	if link, _ := st.Link(t.Context(), lid3); link.Stopped != "deleted in linear, mirrored" {
		t.Fatalf("link = %+v", link)
	}
}

// refusing refuses writes of status, as Jira does for a status no
// workflow path reaches.
type refusing struct{ *memConn }

func (r refusing) Apply(ctx context.Context, id string, p backlog.Patch) error {
	rest := backlog.Patch{}
	for f, v := range p {
		if f != backlog.Status {
			rest[f] = v
		}
	}
	if err := r.memConn.Apply(ctx, id, rest); err != nil {
		return err
	}
	if _, ok := p[backlog.Status]; ok {
		return connectors.Refused(errors.New(`no transition leads from "To Do" to "Done"`), backlog.Status)
	}
	return nil
}

// TestRefusedStatusIsAnOpenConflict: a status Jira cannot reach becomes one
// open conflict that says so, the field is held (no retry storm), and the
// other fields of the same edit still sync.
func TestRefusedStatusIsAnOpenConflict(t *testing.T) {
	s, j, l, st := newSyncer(t, backlog.PolicyJira)
	s.Jira = refusing{j}
	ref := j.put(backlog.Item{Ref: backlog.Ref{ID: "1"}, Title: "A", Status: backlog.StatusValue{Name: "To Do", Category: backlog.CategoryTodo}})
	mustSync(t, s, ref)
	lid := backlog.TwinID("jira.example", "1")
	l.edit(lid, func(it *backlog.Item) {
		it.Status = backlog.StatusValue{Name: "Done", Category: backlog.CategoryDone}
		it.Title = "Shipped"
	})
	for range 3 {
		if _, err := s.Sync(t.Context(), backlog.Ref{Side: backlog.Linear, ID: lid}); err != nil {
			t.Fatal(err)
		}
	}
	ji, _ := j.Get(t.Context(), "1")
	if ji.Title != "Shipped" || ji.Status.Name != "To Do" {
		t.Fatalf("jira = %+v", ji)
	}
	open, _ := st.Conflicts(t.Context(), store.ConflictFilter{OpenOnly: true})
	if len(open) != 1 || open[0].Field != backlog.Status || !strings.Contains(open[0].Note, "no transition leads") {
		t.Fatalf("open conflicts = %+v", open)
	}
}
