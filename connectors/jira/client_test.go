package jira

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

func TestNew(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: -1})
	if e.c.rankField != sandbox.RankField || e.c.projectKey != "TAN" || e.c.projectID != "10000" || e.c.issueType != "Story" || len(e.c.statuses) != 5 {
		t.Errorf("loaded %+v", e.c)
	}
	if e.c.Site() == "" || e.c.Side() != backlog.Jira {
		t.Error("site/side")
	}
	recorder.mu.Lock()
	n := len(recorder.reqs)
	recorder.mu.Unlock()
	if n < 4 {
		t.Errorf("%d requests recorded: the fidelity recorder is not wired", n)
	}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"bad token", Config{URL: e.url, Email: sandbox.BotEmail, Token: "nope", Project: "TAN"}},
		{"unknown project", Config{URL: e.url, Email: sandbox.BotEmail, Token: sandbox.BotToken, Project: "NOPE"}},
		{"missing token", Config{URL: e.url, Email: sandbox.BotEmail, Project: "TAN"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.HTTPClient = &http.Client{Transport: recorder}
			if _, err := New(ctx(t), tc.cfg); err == nil {
				t.Fatal("New succeeded")
			}
		})
	}
}

func TestGetMapping(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: -1})
	mk := func(fields map[string]any) string {
		id, _, err := e.sb.UserCreate("alice@example.com", fields)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	plain := mk(map[string]any{"summary": "Plain"})
	rich := mk(map[string]any{
		"summary": "Rich", "description": "Some *bold* text", "priority": map[string]string{"name": "Highest"},
		"labels": []string{"x", "a"}, "assignee": map[string]string{"accountId": "5b109f2e9729b51b54dc274d"}, "duedate": "2027-01-02",
	})
	started := mk(map[string]any{"summary": "Started", "priority": map[string]string{"name": "Lowest"}})
	if err := e.sb.UserTransition("bob@example.com", started, "In Progress"); err != nil {
		t.Fatal(err)
	}
	wont := mk(map[string]any{"summary": "Won't", "priority": map[string]string{"name": "Low"}})
	if err := e.sb.UserTransition("bob@example.com", wont, "Won't Do"); err != nil {
		t.Fatal(err)
	}
	ref, err := e.c.Create(ctx(t), backlog.Item{Title: "Twin", Origin: backlog.Ref{Side: backlog.Linear, ID: "lin-1"}, Priority: backlog.PriorityHigh})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id   string
		want backlog.Item
	}{
		{plain, backlog.Item{Title: "Plain", Status: backlog.StatusValue{Name: "To Do", Category: backlog.CategoryTodo}, Priority: backlog.PriorityMedium}},
		{rich, backlog.Item{Title: "Rich", Description: "Some **bold** text", Status: backlog.StatusValue{Name: "To Do", Category: backlog.CategoryTodo},
			Priority: backlog.PriorityHighest, Labels: []string{"a", "x"}, Assignee: "bob@example.com", DueDate: "2027-01-02"}},
		{started, backlog.Item{Title: "Started", Status: backlog.StatusValue{Name: "In Progress", Category: backlog.CategoryStarted}, Priority: backlog.PriorityLowest}},
		{wont, backlog.Item{Title: "Won't", Status: backlog.StatusValue{Name: "Won't Do", Category: backlog.CategoryCanceled}, Priority: backlog.PriorityLow}},
		{ref.ID, backlog.Item{Title: "Twin", Status: backlog.StatusValue{Name: "To Do", Category: backlog.CategoryTodo}, Priority: backlog.PriorityHigh,
			Origin: backlog.Ref{Side: backlog.Linear, ID: "lin-1"}}},
	} {
		t.Run(tc.want.Title, func(t *testing.T) {
			got, err := e.c.Get(ctx(t), tc.id)
			if err != nil {
				t.Fatal(err)
			}
			view, _ := e.sb.Issue(tc.id)
			if got.Ref.ID != tc.id || got.Ref.Key != view.Key || got.Ref.Side != backlog.Jira {
				t.Errorf("ref %+v", got.Ref)
			}
			if !got.UpdatedAt.Equal(view.Updated) || got.Rank != view.Rank || !strings.HasPrefix(got.Rank, "0|") {
				t.Errorf("updated %v/%v rank %q/%q", got.UpdatedAt, view.Updated, got.Rank, view.Rank)
			}
			got.Ref, got.UpdatedAt, got.Rank = backlog.Ref{}, time.Time{}, ""
			for _, f := range backlog.AllFields {
				if got.Get(f) != tc.want.Get(f) {
					t.Errorf("%s = %q, want %q", f, got.Get(f), tc.want.Get(f))
				}
			}
			if got.Origin != tc.want.Origin {
				t.Errorf("origin %+v, want %+v", got.Origin, tc.want.Origin)
			}
		})
	}
}

func TestProject(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: -1})
	for _, tc := range []struct {
		f    backlog.Field
		v    backlog.Value
		want backlog.Value
	}{
		{backlog.Status, "started:In Progress", "started:In Progress"},
		{backlog.Status, "started:in review", "started:In Review"},
		{backlog.Status, "started:Doing", "started:In Progress"},
		{backlog.Status, "todo:Todo", "todo:To Do"},
		{backlog.Status, "backlog:Backlog", "todo:To Do"},
		{backlog.Status, "done:Shipped", "done:Done"},
		{backlog.Status, "canceled:Canceled", "canceled:Won't Do"},
		{backlog.Status, "canceled:Duplicate", "canceled:Won't Do"},
		{backlog.Status, "", ""},
		{backlog.Priority, "highest", "highest"},
		{backlog.Priority, "lowest", "lowest"},
		{backlog.Priority, "none", "medium"},
		{backlog.Title, "two\nlines", "two lines"},
		{backlog.Title, backlog.Value(strings.Repeat("é", 300)), backlog.Value(strings.Repeat("é", 255))},
		{backlog.Description, "", ""},
		{backlog.Labels, "a\nb", "a\nb"},
	} {
		t.Run(string(tc.f)+"="+string(tc.v), func(t *testing.T) {
			if got := e.c.Project(tc.f, tc.v); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCreateIdempotentAndStatus(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: -1})
	it := backlog.Item{
		Title: "From Linear", Description: "Hello **world**", Priority: backlog.PriorityLow,
		Status: backlog.StatusValue{Name: "In Progress", Category: backlog.CategoryStarted},
		Origin: backlog.Ref{Side: backlog.Linear, ID: "6f1c9a52-0000-4000-8000-000000000001"},
	}
	ref, err := e.c.Create(ctx(t), it)
	if err != nil {
		t.Fatal(err)
	}
	view, _ := e.sb.Issue(ref.ID)
	if view.Summary != "From Linear" || view.Status != "In Progress" || view.Priority != "Low" || view.Type != "Story" || view.Description == "" {
		t.Errorf("created %+v", view)
	}
	if string(view.Properties[OriginProperty]) != `{"id":"6f1c9a52-0000-4000-8000-000000000001","side":"linear"}` {
		t.Errorf("marker %s", view.Properties[OriginProperty])
	}
	again, err := e.c.Create(ctx(t), it)
	if err != nil || again.ID != ref.ID {
		t.Fatalf("second create: %v %+v, want %+v", err, again, ref)
	}
	if n := len(e.sb.Issues()); n != 1 {
		t.Errorf("%d issues after two creates", n)
	}
	// A status no single transition reaches from To Do: the twin gets
	// there in several steps, stepping through statuses no other issue
	// shows (the backlog is empty).
	it2 := it
	it2.Origin.ID = "other"
	it2.Status = backlog.StatusValue{Name: "Done", Category: backlog.CategoryDone}
	ref2, err := e.c.Create(ctx(t), it2)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := e.sb.Issue(ref2.ID); v.Status != "Done" {
		t.Errorf("status %s", v.Status)
	}
	// A restarted process (empty cache) finds the twins by their markers,
	// also one created after its first scan.
	other, err := New(ctx(t), Config{URL: e.url, Email: sandbox.BotEmail, Token: sandbox.BotToken, Project: "TAN", HTTPClient: &http.Client{Transport: recorder}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := other.Create(ctx(t), it); err != nil || got.ID != ref.ID {
		t.Fatalf("restarted create: %+v %v, want %+v", got, err, ref)
	}
	it3 := it
	it3.Origin.ID = "third"
	ref3, err := e.c.Create(ctx(t), it3)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := other.Create(ctx(t), it3); err != nil || got.ID != ref3.ID {
		t.Fatalf("create after scan: %+v %v, want %+v", got, err, ref3)
	}
	if n := len(e.sb.Issues()); n != 3 {
		t.Errorf("%d issues, want 3", n)
	}
	if _, err := e.c.Create(ctx(t), backlog.Item{Title: "no origin"}); !connectors.IsPermanent(err) {
		t.Errorf("create without origin: %v", err)
	}
}

func TestApply(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: -1})
	id, _, err := e.sb.UserCreate("alice@example.com", map[string]any{"summary": "Start", "description": "old"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		patch backlog.Patch
		check func(v sandbox.IssueView) bool
	}{
		{"title", backlog.Patch{backlog.Title: "New title"}, func(v sandbox.IssueView) bool { return v.Summary == "New title" }},
		{"description", backlog.Patch{backlog.Description: "# Head\n\n- one\n- two"}, func(v sandbox.IssueView) bool { return strings.Contains(v.Description, "h1. Head") }},
		{"description cleared", backlog.Patch{backlog.Description: ""}, func(v sandbox.IssueView) bool { return v.Description == "" }},
		{"priority", backlog.Patch{backlog.Priority: "highest"}, func(v sandbox.IssueView) bool { return v.Priority == "Highest" }},
		{"priority none", backlog.Patch{backlog.Priority: "none"}, func(v sandbox.IssueView) bool { return v.Priority == "Medium" }},
		{"labels", backlog.Patch{backlog.Labels: "+b\n+a"}, func(v sandbox.IssueView) bool { return strings.Join(v.Labels, ",") == "a,b" }},
		{"due date", backlog.Patch{backlog.DueDate: "2027-03-04"}, func(v sandbox.IssueView) bool { return v.DueDate == "2027-03-04" }},
		{"due date cleared", backlog.Patch{backlog.DueDate: ""}, func(v sandbox.IssueView) bool { return v.DueDate == "" }},
		{"status one step", backlog.Patch{backlog.Status: "started:In Progress"}, func(v sandbox.IssueView) bool { return v.Status == "In Progress" }},
		{"status same", backlog.Patch{backlog.Status: "started:In Progress"}, func(v sandbox.IssueView) bool { return v.Status == "In Progress" }},
		{"status by category", backlog.Patch{backlog.Status: "started:Code Review", backlog.Title: "both"}, func(v sandbox.IssueView) bool {
			return v.Status == "In Progress" && v.Summary == "both"
		}},
		{"status next", backlog.Patch{backlog.Status: "started:In Review"}, func(v sandbox.IssueView) bool { return v.Status == "In Review" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := e.c.Apply(ctx(t), id, tc.patch); err != nil {
				t.Fatal(err)
			}
			v, _ := e.sb.Issue(id)
			if !tc.check(v) {
				t.Errorf("after %v: %+v", tc.patch, v)
			}
		})
	}
	// Two steps: In Review -> In Progress -> To Do.
	if err := e.c.Apply(ctx(t), id, backlog.Patch{backlog.Status: "todo:To Do"}); err != nil {
		t.Errorf("two-step status: %v", err)
	}
	if v, _ := e.sb.Issue(id); v.Status != "To Do" {
		t.Errorf("status %s after two steps", v.Status)
	}
	if err := e.c.Apply(ctx(t), id, backlog.Patch{backlog.Rank: "0|x"}); !connectors.IsPermanent(err) {
		t.Errorf("unsupported field: %v", err)
	}
	// No echo: an Apply of nothing writes nothing.
	e.sb.ResetCounts()
	if err := e.c.Apply(ctx(t), id, backlog.Patch{}); err != nil {
		t.Fatal(err)
	}
	if n := e.sb.Requests(sandbox.BotEmail); n.Reads+n.Writes != 0 {
		t.Errorf("empty patch made requests: %+v", n)
	}
	e.c.Apply(ctx(t), id, backlog.Patch{backlog.Title: "x", backlog.Priority: "low"})
	if n := e.sb.Requests(sandbox.BotEmail); n.Writes != 1 || n.Reads != 0 {
		t.Errorf("two fields took %+v, want one write", n)
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 2})
	_, err := e.c.Get(ctx(t), "TAN-99")
	if !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("404: %v", err)
	}
	e.sb.RateLimit(1, 7*time.Second)
	_, err = e.c.Get(ctx(t), "TAN-1")
	var rl *connectors.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second || rl.Side != backlog.Jira {
		t.Errorf("429: %v", err)
	}
	err = e.c.Apply(ctx(t), "TAN-1", backlog.Patch{backlog.Title: ""})
	if !connectors.IsPermanent(err) || !strings.Contains(err.Error(), "You must specify a summary") {
		t.Errorf("400: %v", err)
	}
	e.sb.Fail(1, 403)
	if _, err := e.c.Get(ctx(t), "TAN-1"); !connectors.IsPermanent(err) {
		t.Errorf("403: %v", err)
	}
	e.sb.Fail(1, 503)
	_, err = e.c.Get(ctx(t), "TAN-1")
	if err == nil || connectors.IsPermanent(err) || errors.As(err, &rl) {
		t.Errorf("503 must be transient: %v", err)
	}
	e.sb.Fail(1, 500)
	if _, err := e.c.Changed(ctx(t), ""); err == nil || connectors.IsPermanent(err) {
		t.Errorf("500 on search: %v", err)
	}
	if _, err := e.c.Changed(ctx(t), "{not json"); !connectors.IsPermanent(err) {
		t.Errorf("bad cursor: %v", err)
	}
	if d := retryAfter("Wed, 21 Oct 2015 07:28:00 GMT"); d != 0 {
		t.Errorf("past date: %v", d)
	}
	if d := retryAfter(""); d != time.Minute {
		t.Errorf("missing: %v", d)
	}
}

// drain polls Changed until no more pages follow, calling between after each page.
func drain(t *testing.T, e *env, cur string, between func(page int)) (map[string]int, string) {
	t.Helper()
	seen := map[string]int{}
	for page := 0; ; page++ {
		if page > 100 {
			t.Fatal("Changed does not terminate")
		}
		p, err := e.c.Changed(ctx(t), cur)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Refs {
			seen[r.ID]++
		}
		cur = p.Next
		if between != nil {
			between(page)
		}
		if !p.More {
			return seen, cur
		}
	}
}

func TestChangedPaging(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	// 250 issues, one per minute (the sandbox seeds them a minute apart).
	e := newEnv(t, sandbox.Options{SeedIssues: 250, Now: clk.now})
	clk.advance(300 * time.Minute)
	var edited []string
	seen, cur := drain(t, e, "", func(page int) {
		if page == 0 {
			// Edit a seen and an unseen issue, delete an unseen one.
			for _, k := range []string{"TAN-5", "TAN-180"} {
				clk.advance(time.Second)
				if err := e.sb.UserEdit("alice@example.com", k, map[string]any{"summary": "edited " + k}); err != nil {
					t.Fatal(err)
				}
				v, _ := e.sb.Issue(k)
				edited = append(edited, v.ID)
			}
			if err := e.sb.UserDelete("bob@example.com", "TAN-150"); err != nil {
				t.Fatal(err)
			}
		}
	})
	for _, v := range e.sb.Issues() {
		if seen[v.ID] == 0 {
			t.Errorf("%s never seen", v.Key)
		}
	}
	if seen[edited[0]] < 2 {
		t.Errorf("TAN-5 edited after being seen was not seen again")
	}
	// Nothing changed: a poll returns only the overlap window.
	again, cur2 := drain(t, e, cur, nil)
	if len(again) > 3 {
		t.Errorf("quiet poll returned %d issues", len(again))
	}
	clk.advance(10 * time.Minute)
	if err := e.sb.UserEdit("bob@example.com", "TAN-1", map[string]any{"summary": "late"}); err != nil {
		t.Fatal(err)
	}
	v1, _ := e.sb.Issue("TAN-1")
	late, _ := drain(t, e, cur2, nil)
	if late[v1.ID] == 0 || len(late) > 3 { // plus the overlap minute
		t.Errorf("late edit: %v", late)
	}
}

func TestChangedCrowdedWindow(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	e := newEnv(t, sandbox.Options{SeedIssues: -1, Now: clk.now})
	// 230 issues updated within the same minute: no update-based page can
	// get past them.
	for i := range 230 {
		if _, _, err := e.sb.UserCreate("alice@example.com", map[string]any{"summary": fmt.Sprint("bulk ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	clk.advance(time.Minute)
	var victims []string
	seen, cur := drain(t, e, "", func(page int) {
		if page == 2 {
			// Mid-walk: edit and delete issues already seen, which would shift
			// an offset-paged query.
			clk.advance(time.Minute)
			for _, k := range []string{"TAN-1", "TAN-2", "TAN-3"} {
				_ = e.sb.UserEdit("bob@example.com", k, map[string]any{"summary": "moved " + k})
			}
			_ = e.sb.UserDelete("bob@example.com", "TAN-4")
			v, _ := e.sb.Issue("TAN-1")
			victims = append(victims, v.ID)
		}
	})
	for _, v := range e.sb.Issues() {
		if seen[v.ID] == 0 {
			t.Errorf("%s never seen", v.Key)
		}
	}
	// The window is recent: the cursor holds it until it is old.
	clk.advance(10 * time.Minute)
	seen2, _ := drain(t, e, cur, nil)
	if seen2[victims[0]] == 0 {
		t.Errorf("edited issue not seen on the next poll")
	}
	var cu cursor
	if err := json.Unmarshal([]byte(cur), &cu); err != nil {
		t.Fatal(err)
	}
}

// TestChangedIdleAfterBurst: once Jira's clock is past a burst of edits
// (a backfill's last minute, more issues than a page), idle rounds list
// nothing in one call, rather than reading the burst's minute every round
// (or walking it, crowded, until our clock is past the skew margin).
func TestChangedIdleAfterBurst(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	e := newEnv(t, sandbox.Options{SeedIssues: -1, Now: clk.now})
	for _, n := range []int{60, 230} { // a page's worth, and a crowded minute
		for i := range n {
			if _, _, err := e.sb.UserCreate("alice@example.com", map[string]any{"summary": fmt.Sprint("bulk ", i)}); err != nil {
				t.Fatal(err)
			}
		}
		clk.advance(10 * time.Second)
	}
	_, cur := drain(t, e, "", nil)
	clk.advance(3 * time.Minute) // past the crowded window, by Jira's clock
	_, cur = drain(t, e, cur, nil)
	for round := range 3 {
		clk.advance(30 * time.Second)
		before := e.sb.Requests(sandbox.BotEmail).Reads
		seen, next := drain(t, e, cur, nil)
		if calls := e.sb.Requests(sandbox.BotEmail).Reads - before; len(seen) != 0 || calls != 1 {
			t.Fatalf("idle round %d: %d issues in %d calls", round, len(seen), calls)
		}
		cur = next
	}
}
