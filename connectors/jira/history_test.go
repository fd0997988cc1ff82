package jira

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

const changelogOp = "GET /rest/api/2/issue/{}/changelog"

func (e *env) changelogCalls() int {
	return e.sb.Requests(sandbox.BotEmail).ByOperation[changelogOp]
}

func wantChange(t *testing.T, e *env, id string, f backlog.Field, want backlog.Change) {
	t.Helper()
	got, err := e.c.FieldChange(ctx(t), id, f)
	if err != nil {
		t.Fatalf("FieldChange(%s, %s): %v", id, f, err)
	}
	if !got.At.Equal(want.At) || got.By != want.By {
		t.Errorf("FieldChange(%s, %s) = %v by %q, want %v by %q", id, f, got.At, got.By, want.At, want.By)
	}
}

// TestFieldChangeWhoAndWhen: alice edits the title, bob the priority, the
// bot moves the status; each field reports its own person and time, fields
// never changed report none, and a short log costs one request.
func TestFieldChangeWhoAndWhen(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	e := newEnv(t, sandbox.Options{Now: clk.now})
	const key = "TAN-3" // To Do, Medium, never edited since the seed
	id := mustIssue(t, e, key).ID

	clk.advance(time.Minute)
	tTitle := clk.now()
	if err := e.sb.UserEdit("alice@example.com", key, map[string]any{"summary": "Reset password by mail"}); err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Minute)
	tPrio := clk.now()
	if err := e.sb.UserEdit("bob@example.com", key, map[string]any{"priority": map[string]string{"name": "High"}}); err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Minute)
	tStatus := clk.now()
	if err := e.c.Apply(ctx(t), id, backlog.Patch{backlog.Status: backlog.EncodeStatus(backlog.StatusValue{Name: "In Progress", Category: backlog.CategoryStarted})}); err != nil {
		t.Fatal(err)
	}

	e.sb.ResetCounts()
	wantChange(t, e, id, backlog.Title, backlog.Change{At: tTitle, By: "alice@example.com"})
	if n := e.changelogCalls(); n != 1 {
		t.Errorf("a short changelog took %d requests", n)
	}
	wantChange(t, e, id, backlog.Priority, backlog.Change{At: tPrio, By: "bob@example.com"})
	wantChange(t, e, id, backlog.Status, backlog.Change{At: tStatus, By: sandbox.BotEmail})
	for _, f := range []backlog.Field{backlog.Description, backlog.Labels, backlog.Assignee, backlog.DueDate,
		backlog.Estimate, backlog.Parent, backlog.Sprint, backlog.Comments, backlog.Rank} {
		wantChange(t, e, id, f, backlog.Change{})
	}

	// A later title edit wins; by key works as by id.
	clk.advance(time.Minute)
	tTitle2 := clk.now()
	if err := e.sb.UserEdit("carol@example.com", key, map[string]any{"summary": "Reset the password by mail"}); err != nil {
		t.Fatal(err)
	}
	wantChange(t, e, key, backlog.Title, backlog.Change{At: tTitle2, By: "carol@example.com"})
	wantChange(t, e, id, backlog.Priority, backlog.Change{At: tPrio, By: "bob@example.com"})

	// Bob hides his email: his display name stands in.
	e.sb.HideEmail("bob@example.com", true)
	wantChange(t, e, id, backlog.Priority, backlog.Change{At: tPrio, By: "Bob Example"})
}

func mustIssue(t *testing.T, e *env, key string) sandbox.IssueView {
	t.Helper()
	iv, ok := e.sb.Issue(key)
	if !ok {
		t.Fatalf("no issue %s", key)
	}
	return iv
}

func TestFieldChangeUnknownIssue(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	for _, id := range []string{"99999", "TAN-999"} {
		_, err := e.c.FieldChange(ctx(t), id, backlog.Title)
		if !errors.Is(err, connectors.ErrNotFound) {
			t.Errorf("FieldChange(%s) = %v, want ErrNotFound", id, err)
		}
	}
	// A field the changelog never records answers without asking Jira.
	if ch, err := e.c.FieldChange(ctx(t), "99999", backlog.Comments); err != nil || !ch.At.IsZero() {
		t.Errorf("comments: %v %v", ch, err)
	}
}

// TestFieldChangeAcrossPages: 250 interleaved entries make three pages;
// a change on the last page costs two requests, one in the first page
// (read first, scanned last) three, and a field never changed three.
func TestFieldChangeAcrossPages(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	e := newEnv(t, sandbox.Options{SeedIssues: -1, Now: clk.now})
	id, _, err := e.sb.UserCreate("alice@example.com", map[string]any{"summary": "t0"})
	if err != nil {
		t.Fatal(err)
	}
	at := map[backlog.Field]backlog.Change{}
	edit := func(who string, f backlog.Field, fields map[string]any) {
		t.Helper()
		clk.advance(time.Second)
		if err := e.sb.UserEdit(who, id, fields); err != nil {
			t.Fatal(err)
		}
		at[f] = backlog.Change{At: clk.now(), By: who}
	}
	edit("carol@example.com", backlog.DueDate, map[string]any{"duedate": "2027-01-01"}) // entry 0
	for i := 1; i < 250; i++ {
		switch {
		case i == 150:
			edit("carol@example.com", backlog.Priority, map[string]any{"priority": map[string]string{"name": "Highest"}})
		case i%2 == 1:
			edit("alice@example.com", backlog.Title, map[string]any{"summary": fmt.Sprintf("t%d", i)})
		default:
			edit("bob@example.com", backlog.Labels, map[string]any{"labels": []string{fmt.Sprintf("l%d", i)}})
		}
	}
	if iv, _ := e.sb.Issue(id); iv.Changelog != 250 {
		t.Fatalf("changelog has %d entries", iv.Changelog)
	}
	for _, tc := range []struct {
		f     backlog.Field
		calls int
	}{
		{backlog.Title, 2},
		{backlog.Labels, 2},
		{backlog.Priority, 2},
		{backlog.DueDate, 3},
		{backlog.Description, 3},
	} {
		e.sb.ResetCounts()
		wantChange(t, e, id, tc.f, at[tc.f])
		if n := e.changelogCalls(); n != tc.calls {
			t.Errorf("%s took %d requests, want %d", tc.f, n, tc.calls)
		}
	}
	// Asking for more than Jira's cap: the answer's maxResults sets the
	// page size, and the result is the same.
	e.c.changelogMax = 150
	wantChange(t, e, id, backlog.DueDate, at[backlog.DueDate])
	wantChange(t, e, id, backlog.Priority, at[backlog.Priority])
}

// TestFieldChangeProperty: random edits by random people, read back with
// random page sizes, always give the newest change of each field as a
// model of the log says.
func TestFieldChangeProperty(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	e := newEnv(t, sandbox.Options{SeedIssues: -1, Now: clk.now})
	people := []string{"alice@example.com", "bob@example.com", "carol@example.com"}
	fields := []backlog.Field{backlog.Title, backlog.Priority, backlog.Labels, backlog.DueDate, backlog.Description}
	prios := []string{"Highest", "High", "Medium", "Low", "Lowest"}
	rapid.Check(t, func(rt *rapid.T) {
		id, _, err := e.sb.UserCreate("alice@example.com", map[string]any{"summary": "p"})
		if err != nil {
			rt.Fatal(err)
		}
		model := map[backlog.Field]backlog.Change{}
		n := rapid.IntRange(0, 40).Draw(rt, "edits")
		for i := range n {
			who := rapid.SampledFrom(people).Draw(rt, "who")
			f := rapid.SampledFrom(fields).Draw(rt, "field")
			var v map[string]any
			switch f {
			case backlog.Title:
				v = map[string]any{"summary": fmt.Sprintf("p%d", i)}
			case backlog.Priority:
				v = map[string]any{"priority": map[string]string{"name": prios[i%len(prios)]}}
			case backlog.Labels:
				v = map[string]any{"labels": []string{fmt.Sprintf("l%d", i)}}
			case backlog.DueDate:
				v = map[string]any{"duedate": time.Date(2027, 1, 1+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)}
			case backlog.Description:
				v = map[string]any{"description": fmt.Sprintf("d%d", i)}
			}
			clk.advance(time.Second)
			before, _ := e.sb.Issue(id)
			if err := e.sb.UserEdit(who, id, v); err != nil {
				rt.Fatal(err)
			}
			if after, _ := e.sb.Issue(id); after.Changelog > before.Changelog {
				model[f] = backlog.Change{At: clk.now(), By: who}
			}
		}
		e.c.changelogMax = rapid.IntRange(1, 12).Draw(rt, "page")
		defer func() { e.c.changelogMax = 0 }()
		for _, f := range fields {
			got, err := e.c.FieldChange(ctx(t), id, f)
			if err != nil {
				rt.Fatalf("%s: %v", f, err)
			}
			if want := model[f]; !got.At.Equal(want.At) || got.By != want.By {
				rt.Fatalf("%s = %v by %q, want %v by %q", f, got.At, got.By, want.At, want.By)
			}
		}
	})
}

// TestFieldMatch: which changelog items count as changes of which field,
// with the site's custom fields and for legacy entries without a fieldId.
func TestFieldMatch(t *testing.T) {
	h := historyFields{sprint: []string{"customfield_10020"}, estimate: []string{"customfield_10016", "customfield_10028"}, parent: []string{"customfield_10014"}}
	for _, tc := range []struct {
		f              backlog.Field
		field, fieldID string
		want           bool
	}{
		{backlog.Title, "summary", "summary", true},
		{backlog.Title, "summary", "", true},               // old entry
		{backlog.Title, "summary", "customfield_1", false}, // a custom field named summary
		{backlog.Title, "description", "description", false},
		{backlog.Description, "description", "description", true},
		{backlog.Status, "status", "status", true},
		{backlog.Status, "resolution", "resolution", false},
		{backlog.Priority, "priority", "priority", true},
		{backlog.Assignee, "assignee", "assignee", true},
		{backlog.Labels, "labels", "labels", true},
		{backlog.DueDate, "duedate", "duedate", true},
		{backlog.Sprint, "Sprint", "customfield_10020", true},
		{backlog.Sprint, "Sprint", "", true},
		{backlog.Sprint, "Sprint", "customfield_99999", false},
		{backlog.Estimate, "Story point estimate", "customfield_10016", true},
		{backlog.Estimate, "Story Points", "customfield_10028", true},
		{backlog.Estimate, "Story Points", "", true},
		{backlog.Estimate, "timeestimate", "timeestimate", false},
		{backlog.Parent, "IssueParentAssociation", "", true},
		{backlog.Parent, "Parent", "parent", true},
		{backlog.Parent, "Epic Link", "customfield_10014", true},
		{backlog.Parent, "Epic Link", "customfield_10555", true}, // legacy field of unknown id
		{backlog.Parent, "Parent Link", "customfield_10018", true},
		{backlog.Parent, "Link", "", false},
		{backlog.Rank, "Rank", "customfield_10019", false},
	} {
		m, ok := h.match(tc.f)
		if got := ok && m.matches(tc.field, tc.fieldID); got != tc.want {
			t.Errorf("%s vs item %q/%q: %v, want %v", tc.f, tc.field, tc.fieldID, got, tc.want)
		}
	}
	// New finds the sandbox's custom fields.
	e := newEnv(t, sandbox.Options{SeedIssues: -1})
	if fmt.Sprint(e.c.history.sprint, e.c.history.estimate) != fmt.Sprint([]string{sandbox.SprintField}, []string{sandbox.StoryPointsField}) {
		t.Errorf("custom fields found: %+v", e.c.history)
	}
}

func TestNewestChange(t *testing.T) {
	page := `{"startAt":0,"maxResults":100,"total":3,"isLast":true,"values":[
	 {"id":"1","author":{"accountId":"a","displayName":"Alice","emailAddress":"alice@example.com"},"created":"2026-11-26T09:00:00.000+0000","items":[{"field":"summary","fieldId":"summary"}]},
	 {"id":"2","created":"2026-11-26T10:00:00.000+0100","items":[{"field":"status","fieldId":"status"},{"field":"summary","fieldId":"summary"}]},
	 {"id":"3","author":{"accountId":"b","displayName":"Bob"},"created":"2026-11-26T11:00:00Z","items":[{"field":"priority","fieldId":"priority"}]}]}`
	p, err := decodeChangelogPage([]byte(page))
	if err != nil {
		t.Fatal(err)
	}
	var h historyFields
	for _, tc := range []struct {
		f    backlog.Field
		want backlog.Change
		ok   bool
	}{
		{backlog.Title, backlog.Change{At: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}, true}, // entry 2 has no author
		{backlog.Priority, backlog.Change{At: time.Date(2026, 11, 26, 11, 0, 0, 0, time.UTC), By: "Bob"}, true},
		{backlog.Labels, backlog.Change{}, false},
	} {
		m, _ := h.match(tc.f)
		got, ok, err := newestChange(p.Values, m)
		if err != nil || ok != tc.ok || !got.At.Equal(tc.want.At) || got.By != tc.want.By {
			t.Errorf("%s: %v %q %v %v", tc.f, got.At, got.By, ok, err)
		}
	}
	bad := []wireChangelog{{ID: "9", Created: "yesterday", Items: []wireChangeItem{{Field: "summary", FieldID: "summary"}}}}
	m, _ := h.match(backlog.Title)
	if _, _, err := newestChange(bad, m); err == nil {
		t.Error("an unreadable created time passed")
	}
}

// FuzzChangelogPage: any body decodes or fails cleanly, and picking the
// newest change never panics.
func FuzzChangelogPage(f *testing.F) {
	f.Add([]byte(`{"total":1,"values":[{"id":"1","created":"2026-11-26T09:00:00.000+0000","items":[{"field":"summary","fieldId":"summary"}]}]}`))
	f.Add([]byte(`{"values":[{"author":null,"items":null}]}`))
	f.Add([]byte(`{"values":[{"created":"","items":[{"field":"Sprint"}]}]}`))
	f.Add([]byte(`[]`))
	h := historyFields{sprint: []string{"customfield_10020"}}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodeChangelogPage(body)
		if err != nil {
			return
		}
		for _, fd := range []backlog.Field{backlog.Title, backlog.Sprint, backlog.Parent, backlog.Estimate} {
			m, _ := h.match(fd)
			ch, ok, err := newestChange(p.Values, m)
			if err == nil && !ok && !ch.At.IsZero() {
				t.Fatalf("no change found but a time: %v", ch)
			}
		}
		_, _ = json.Marshal(p)
	})
}

// TestFieldChangeShortPages: a Jira answering fewer entries than asked
// (a lower cap than its maxResults says) still yields the newest change:
// FieldChange retries the window in smaller pages instead of skipping the
// entries it was not given.
func TestFieldChangeShortPages(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	sb := sandbox.New(sandbox.Options{SeedIssues: -1, Now: clk.now})
	const limit = 30
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/changelog") {
			sb.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		sb.ServeHTTP(rec, r)
		var p map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		if vals, ok := p["values"].([]any); ok && len(vals) > limit {
			p["values"], p["isLast"] = vals[:limit], false
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(p)
	}))
	t.Cleanup(func() { hs.Close(); _ = sb.Close() })
	c, err := New(t.Context(), Config{
		URL: hs.URL, Email: sandbox.BotEmail, Token: sandbox.BotToken, Project: "TAN",
		HTTPClient: &http.Client{Transport: recorder, Timeout: 10 * time.Second},
		Log:        slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := sb.UserCreate("alice@example.com", map[string]any{"summary": "t0"})
	if err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Second)
	if err := sb.UserEdit("carol@example.com", id, map[string]any{"labels": []string{"early"}}); err != nil {
		t.Fatal(err)
	}
	early := backlog.Change{At: clk.now(), By: "carol@example.com"}
	var last backlog.Change
	for i := range 150 {
		clk.advance(time.Second)
		who := []string{"alice@example.com", "bob@example.com", "carol@example.com"}[i%3]
		if err := sb.UserEdit(who, id, map[string]any{"summary": fmt.Sprintf("t%d", i+1)}); err != nil {
			t.Fatal(err)
		}
		last = backlog.Change{At: clk.now(), By: who}
	}
	clk.advance(time.Second)
	if err := sb.UserEdit("bob@example.com", id, map[string]any{"duedate": "2027-02-02"}); err != nil {
		t.Fatal(err)
	}
	due := backlog.Change{At: clk.now(), By: "bob@example.com"}
	for _, tc := range []struct {
		f    backlog.Field
		want backlog.Change
	}{{backlog.DueDate, due}, {backlog.Title, last}, {backlog.Labels, early}, {backlog.Priority, backlog.Change{}}} {
		got, err := c.FieldChange(ctx(t), id, tc.f)
		if err != nil || !got.At.Equal(tc.want.At) || got.By != tc.want.By {
			t.Errorf("%s = %v by %q (%v), want %v by %q", tc.f, got.At, got.By, err, tc.want.At, tc.want.By)
		}
	}
}

// TestFieldChangeNewFields: the changelog items the new fields leave in
// Jira (IssueParentAssociation without a fieldId, the Sprint and story
// points custom fields, labels, assignee, due date) are found.
func TestFieldChangeNewFields(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	e := newEnv(t, sandbox.Options{Now: clk.now})
	id := mustIssue(t, e, "TAN-4").ID
	epic := mustIssue(t, e, "TAN-9").ID
	at := map[backlog.Field]time.Time{}
	for _, step := range []struct {
		f backlog.Field
		v backlog.Value
	}{
		{backlog.Parent, backlog.Value(epic)},
		{backlog.Sprint, "TAN Sprint 2"},
		{backlog.Estimate, "21"},
		{backlog.Labels, "+new"},
		{backlog.Assignee, "carol@example.com"},
		{backlog.DueDate, "2027-03-03"},
	} {
		clk.advance(time.Minute)
		at[step.f] = clk.now()
		if err := e.c.Apply(ctx(t), id, backlog.Patch{step.f: step.v}); err != nil {
			t.Fatalf("%s: %v", step.f, err)
		}
	}
	for f, when := range at {
		wantChange(t, e, id, f, backlog.Change{At: when, By: sandbox.BotEmail})
	}
	// A parent removed by a person counts too.
	clk.advance(time.Minute)
	if err := e.sb.UserEdit("bob@example.com", id, map[string]any{"parent": nil}); err != nil {
		t.Fatal(err)
	}
	wantChange(t, e, id, backlog.Parent, backlog.Change{At: clk.now(), By: "bob@example.com"})
}
