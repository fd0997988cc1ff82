package jira

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

func TestGetMany(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 3})
	one, err := e.c.Get(ctx(t), "10001")
	if err != nil {
		t.Fatal(err)
	}
	three, err := e.c.Get(ctx(t), "TAN-3")
	if err != nil {
		t.Fatal(err)
	}
	e.sb.ResetCounts()
	got, err := e.c.GetMany(ctx(t), []string{"TAN-3", "99999", "10001"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !reflect.DeepEqual(got["10001"], one) || !reflect.DeepEqual(got["TAN-3"], three) {
		t.Fatalf("GetMany %+v\nGet %+v %+v", got, one, three)
	}
	if _, ok := got["99999"]; ok {
		t.Fatal("a missing id was answered")
	}
	if cnt := e.sb.Requests(sandbox.BotEmail); cnt.Reads != 1 || cnt.Writes != 0 || cnt.ByOperation["POST /rest/api/2/issue/bulkfetch"] != 1 {
		t.Fatalf("calls: %+v", cnt)
	}
	if _, err := e.c.GetMany(ctx(t), make([]string, e.c.MaxGet()+1)); err == nil || !connectors.IsPermanent(err) {
		t.Fatalf("over MaxGet: %v", err)
	}
}

func TestCreateMany(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: -1})
	var items []backlog.Item
	for k := range 3 {
		items = append(items, backlog.Item{Title: fmt.Sprint("Batch ", k), Priority: backlog.PriorityHigh,
			Origin: backlog.Ref{Side: backlog.Linear, ID: fmt.Sprintf("6f1c9a52-0000-4000-8000-00000000010%d", k)}})
	}
	e.sb.ResetCounts()
	refs, err := e.c.CreateMany(ctx(t), items)
	if err != nil {
		t.Fatal(err)
	}
	for k, r := range refs {
		v, ok := e.sb.Issue(r.ID)
		if !ok || v.Summary != items[k].Title || v.Key != r.Key || v.Priority != "High" {
			t.Fatalf("created %d: %+v (ref %+v)", k, v, r)
		}
		if want := fmt.Sprintf(`{"id":%q,"side":"linear"}`, items[k].Origin.ID); string(v.Properties[OriginProperty]) != want {
			t.Fatalf("marker %s", v.Properties[OriginProperty])
		}
	}
	// One twin scan and one bulk create for the batch.
	cnt := e.sb.Requests(sandbox.BotEmail)
	if cnt.ByOperation["POST /rest/api/2/issue/bulk"] != 1 || cnt.ByOperation["GET /rest/api/2/search/jql"] != 1 || cnt.Reads+cnt.Writes != 2 {
		t.Fatalf("first batch calls: %+v", cnt)
	}
	// Again (same client): every twin is known, nothing is sent.
	e.sb.ResetCounts()
	again, err := e.c.CreateMany(ctx(t), items)
	if err != nil || !reflect.DeepEqual(again, refs) {
		t.Fatalf("second batch: %+v %v, want %+v", again, err, refs)
	}
	if cnt := e.sb.Requests(sandbox.BotEmail); cnt.Writes != 0 {
		t.Fatalf("second batch calls: %+v", cnt)
	}
	// A restarted process finds them with one scan, and creates the new
	// one (and an item twice in the batch once).
	other, err := New(ctx(t), Config{URL: e.url, Email: sandbox.BotEmail, Token: sandbox.BotToken, Project: "TAN", HTTPClient: &http.Client{Transport: recorder}})
	if err != nil {
		t.Fatal(err)
	}
	fresh := backlog.Item{Title: "Fresh", Origin: backlog.Ref{Side: backlog.Linear, ID: "fresh"}}
	e.sb.ResetCounts()
	got, err := other.CreateMany(ctx(t), append(append([]backlog.Item{fresh}, items...), fresh))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got[1:4], refs) || got[0].ID == "" || got[4] != got[0] {
		t.Fatalf("restarted batch: %+v, first %+v", got, refs)
	}
	if n := len(e.sb.Issues()); n != 4 {
		t.Fatalf("%d issues, want 4", n)
	}
	if cnt := e.sb.Requests(sandbox.BotEmail); cnt.ByOperation["POST /rest/api/2/issue/bulk"] != 1 || cnt.ByOperation["GET /rest/api/2/search/jql"] != 1 {
		t.Fatalf("restarted batch calls: %+v", cnt)
	}
	if _, err := e.c.CreateMany(ctx(t), make([]backlog.Item, e.c.MaxCreate()+1)); err == nil || !connectors.IsPermanent(err) {
		t.Fatalf("over MaxCreate: %v", err)
	}
}

// An element Jira refuses is named; the others are made and moved to
// their status.
func TestCreateManyPartial(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: -1})
	items := []backlog.Item{
		{Title: "Good", Origin: backlog.Ref{Side: backlog.Linear, ID: "a"}, Status: backlog.StatusValue{Name: "In Progress", Category: backlog.CategoryStarted}},
		{Title: "", Origin: backlog.Ref{Side: backlog.Linear, ID: "b"}}, // Jira refuses an empty summary
		{Title: "No origin"},
	}
	refs, err := e.c.CreateMany(ctx(t), items)
	var be *connectors.BatchError
	if !errors.As(err, &be) || len(be.Failed) != 2 || be.Failed[1] == nil || be.Failed[2] == nil || !be.Permanent() {
		t.Fatalf("partial: %v", err)
	}
	if refs[0].ID == "" || refs[1] != (backlog.Ref{}) || refs[2] != (backlog.Ref{}) {
		t.Fatalf("refs %+v", refs)
	}
	if v, _ := e.sb.Issue(refs[0].ID); v.Status != "In Progress" || len(e.sb.Issues()) != 1 {
		t.Fatalf("good one %+v, %d issues", v, len(e.sb.Issues()))
	}
}

// TestCreateManyTransitionsFromCache: once the first twin has shown where a
// new issue begins and the way to Done (To Do → In Progress → In Review →
// Done), later twins take the first step in their create call and the
// others without reading the issue: no GET per twin, one transition call
// less per twin.
func TestCreateManyTransitionsFromCache(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: -1})
	batch := func(from int) []backlog.Item {
		var items []backlog.Item
		for k := from; k < from+3; k++ {
			items = append(items, backlog.Item{Title: fmt.Sprint("Done twin ", k), Status: backlog.StatusValue{Category: "done", Name: "Done"},
				Origin: backlog.Ref{Side: backlog.Linear, ID: fmt.Sprintf("6f1c9a52-0000-4000-8000-0000000002%02d", k)}})
		}
		return items
	}
	check := func(refs []backlog.Ref) {
		t.Helper()
		for _, r := range refs {
			if v, ok := e.sb.Issue(r.ID); !ok || v.Status != "Done" {
				t.Fatalf("twin %s: %+v", r.Key, v)
			}
		}
	}
	refs, err := e.c.CreateMany(ctx(t), batch(0))
	if err != nil {
		t.Fatal(err)
	}
	check(refs)
	e.sb.ResetCounts()
	refs, err = e.c.CreateMany(ctx(t), batch(3))
	if err != nil {
		t.Fatal(err)
	}
	check(refs)
	cnt := e.sb.Requests(sandbox.BotEmail)
	if n := cnt.ByOperation["GET /rest/api/2/issue/{}"]; n != 0 {
		t.Errorf("%d issue reads for twins of a known workflow, want 0: %v", n, cnt.ByOperation)
	}
	if n := cnt.ByOperation["POST /rest/api/2/issue/{}/transitions"]; n != 2*3 {
		t.Errorf("%d transition calls for 3 twins, want 6 (the first step is in the create): %v", n, cnt.ByOperation)
	}
	// A workflow that changed under the cache costs a detour, never a
	// twin left behind: the next twin's cached step is refused, it is made
	// on its own and walked there by reading.
	st, ok := e.c.flows.startOf(e.c.issueType)
	if !ok {
		t.Fatalf("no start learned for %s", e.c.issueType)
	}
	st.st = status{ID: "10001", Name: "In Review", Category: "indeterminate"}
	e.c.flows.learnStart(e.c.issueType, st)
	e.sb.ResetCounts()
	refs, err = e.c.CreateMany(ctx(t), batch(6))
	if err != nil {
		t.Fatal(err)
	}
	check(refs)
	if n := e.sb.Requests(sandbox.BotEmail).ByOperation["POST /rest/api/2/issue"]; n == 0 {
		t.Error("no twin was made on its own after its cached step was refused")
	}
}
