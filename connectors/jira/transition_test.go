package jira

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

const (
	transitionOp = "POST /rest/api/2/issue/{}/transitions"
	searchOp     = "GET /rest/api/2/search/jql"
)

// statusPath reads the statuses an issue went through from its changelog.
func statusPath(t *testing.T, e *env, id string) []string {
	t.Helper()
	var res struct {
		Values []struct {
			Items []struct {
				FieldID    string `json:"fieldId"`
				ToString   string `json:"toString"`
				FromString string `json:"fromString"`
			} `json:"items"`
		} `json:"values"`
	}
	if err := e.c.call(ctx(t), "changelog", http.MethodGet, "rest/api/2/issue/"+id+"/changelog?maxResults=100", nil, &res); err != nil {
		t.Fatal(err)
	}
	var path []string
	for _, h := range res.Values {
		for _, it := range h.Items {
			if it.FieldID == "status" {
				if len(path) == 0 {
					path = append(path, it.FromString)
				}
				path = append(path, it.ToString)
			}
		}
	}
	return path
}

func newStory(t *testing.T, e *env, status string) string {
	t.Helper()
	id, _, err := e.sb.UserCreate("alice@example.com", map[string]any{"summary": "walker"})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range map[string][]string{"In Progress": {"In Progress"}, "Done": {"In Progress", "In Review", "Done"}}[status] {
		if err := e.sb.UserTransition("alice@example.com", id, st); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func TestMultiStepTransitions(t *testing.T) {
	e := newEnv(t, sandbox.Options{}) // the default backlog has issues in every status
	for _, tc := range []struct {
		name, from, to string
		path           string
	}{
		{"forward", "To Do", "done:Done", "To Do,In Progress,In Review,Done"},
		{"reopen", "Done", "started:In Progress", "Done,To Do,In Progress"},
		{"back", "In Progress", "todo:To Do", "In Progress,To Do"},
		{"by category", "To Do", "canceled:Dropped", "To Do,Won't Do"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := newStory(t, e, tc.from)
			before := len(statusPath(t, e, id))
			e.sb.ResetCounts()
			if err := e.c.Apply(ctx(t), id, backlog.Patch{backlog.Status: backlog.Value(tc.to)}); err != nil {
				t.Fatal(err)
			}
			path := statusPath(t, e, id)
			if before > 0 {
				path = path[before-1:]
			}
			if strings.Join(path, ",") != tc.path {
				t.Errorf("path %v, want %s", path, tc.path)
			}
			if n := e.sb.Requests(sandbox.BotEmail).ByOperation[transitionOp]; n != strings.Count(tc.path, ",") {
				t.Errorf("%d transitions for path %s", n, tc.path)
			}
		})
	}
	// The cache knows the workflow now: the same walk costs no search.
	id := newStory(t, e, "To Do")
	e.sb.ResetCounts()
	if err := e.c.Apply(ctx(t), id, backlog.Patch{backlog.Status: "done:Done"}); err != nil {
		t.Fatal(err)
	}
	if n := e.sb.Requests(sandbox.BotEmail).ByOperation; n[searchOp] != 0 || n[transitionOp] != 3 {
		t.Errorf("warm walk made %v", n)
	}
}

func TestTransitionUnreachable(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.sb.RemoveTransition("Done") // In Review no longer leads to Done
	id := newStory(t, e, "To Do")
	err := e.c.Apply(ctx(t), id, backlog.Patch{backlog.Status: "done:Done"})
	if !connectors.IsPermanent(err) || !strings.Contains(err.Error(), `from "To Do" to "Done"`) {
		t.Fatalf("err %v", err)
	}
	// Every status could be seen through another issue: the issue did not
	// wander.
	if v, _ := e.sb.Issue(id); v.Status != "To Do" || v.Changelog != 0 {
		t.Errorf("issue moved: %+v", v)
	}
	// A sink: nothing leaves Won't Do once Reopen is gone.
	e.sb.RemoveTransition("Reopen")
	if err := e.sb.UserTransition("alice@example.com", id, "Won't Do"); err != nil {
		t.Fatal(err)
	}
	err = e.c.Apply(ctx(t), id, backlog.Patch{backlog.Status: "todo:To Do"})
	if !connectors.IsPermanent(err) || !strings.Contains(err.Error(), `from "Won't Do" to "To Do"`) {
		t.Errorf("sink: %v", err)
	}
}

func TestTransitionAlone(t *testing.T) {
	// No other issue shows the workflow: the issue steps through the
	// statuses itself, never into a done-category one but the target.
	e := newEnv(t, sandbox.Options{SeedIssues: -1})
	id := newStory(t, e, "To Do")
	if err := e.c.Apply(ctx(t), id, backlog.Patch{backlog.Status: "done:Done"}); err != nil {
		t.Fatal(err)
	}
	if p := strings.Join(statusPath(t, e, id), ","); p != "To Do,In Progress,In Review,Done" {
		t.Errorf("path %s", p)
	}
	// Unreachable and unseen: it may walk, but stays out of done statuses
	// and stops.
	e2 := newEnv(t, sandbox.Options{SeedIssues: -1})
	e2.sb.RemoveTransition("Done")
	id2 := newStory(t, e2, "To Do")
	err := e2.c.Apply(ctx(t), id2, backlog.Patch{backlog.Status: "done:Done"})
	if !connectors.IsPermanent(err) || !strings.Contains(err.Error(), `from "To Do" to "Done"`) {
		t.Fatalf("err %v", err)
	}
	for _, st := range statusPath(t, e2, id2) {
		if st == "Won't Do" || st == "Done" {
			t.Errorf("walked into %s", st)
		}
	}
	if n := e2.sb.Requests(sandbox.BotEmail).ByOperation[transitionOp]; n > maxHops {
		t.Errorf("%d transitions", n)
	}
}

func TestTransitionStaleCache(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	id := newStory(t, e, "To Do")
	story := "10001"
	inProgress := status{ID: "3", Name: "In Progress", Category: "indeterminate"}
	done := status{ID: "10002", Name: "Done", Category: "done"}
	inReview := status{ID: "10001", Name: "In Review", Category: "indeterminate"}
	// A cache that promises In Progress -> Done costs a detour only.
	e.c.flows.learn(flowKey{story, "3"}, []edge{{ID: "99", Name: "gone", To: done}})
	if err := e.c.Apply(ctx(t), id, backlog.Patch{backlog.Status: "done:Done"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := e.sb.Issue(id); v.Status != "Done" {
		t.Errorf("status %s", v.Status)
	}
	// A cache that says In Review is a dead end is dropped and read again.
	id = newStory(t, e, "To Do")
	e.c.flows.learn(flowKey{story, "10001"}, []edge{{ID: "51", To: inProgress}})
	e.c.flows.learn(flowKey{story, "3"}, []edge{{ID: "21", To: inReview}})
	if err := e.c.Apply(ctx(t), id, backlog.Patch{backlog.Status: "done:Done"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := e.sb.Issue(id); v.Status != "Done" {
		t.Errorf("status %s", v.Status)
	}
}

// graph is a test workflow: status i has transitions to the listed ones.
type graph [][]int

func (g graph) status(i int) status {
	return status{ID: fmt.Sprint(i), Name: fmt.Sprint("S", i), Category: []string{"new", "indeterminate", "done"}[i%3]}
}

func (g graph) flows(known func(int) bool) *workflows {
	w := &workflows{}
	for i, outs := range g {
		if !known(i) {
			continue
		}
		var es []edge
		for _, j := range outs {
			es = append(es, edge{ID: fmt.Sprint(i, ">", j), To: g.status(j)})
		}
		w.learn(flowKey{"t", g.status(i).ID}, es)
	}
	return w
}

// dist is the reference BFS: transitions from a to b through no status in
// avoid, -1 when unreachable.
func (g graph) dist(a, b int, avoid map[string]bool) int {
	d := map[int]int{a: 0}
	q := []int{a}
	for len(q) > 0 {
		n := q[0]
		q = q[1:]
		if n == b {
			return d[n]
		}
		for _, m := range g[n] {
			if _, ok := d[m]; ok || (avoid[g.status(m).ID] && m != b) {
				continue
			}
			d[m] = d[n] + 1
			q = append(q, m)
		}
	}
	return -1
}

func TestPlanShortestPath(t *testing.T) {
	all := func(int) bool { return true }
	// A chain 0 -> 1 -> ... -> 8 with a loop back from every status.
	chain := make(graph, 9)
	for i := range 8 {
		chain[i] = []int{i + 1, 0}
	}
	w := chain.flows(all)
	if e, _ := w.plan("t", chain.status(0), chain.status(6), nil, maxHops); e == nil || e.To.ID != "1" {
		t.Errorf("6 hops: %+v", e)
	}
	if e, _ := w.plan("t", chain.status(0), chain.status(7), nil, maxHops); e != nil {
		t.Errorf("7 hops within a budget of %d: %+v", maxHops, e)
	}
	// Unknown statuses come back as the frontier, nearest first.
	w = chain.flows(func(i int) bool { return i < 3 })
	e, frontier := w.plan("t", chain.status(0), chain.status(6), nil, maxHops)
	if e != nil || len(frontier) != 1 || frontier[0].st.ID != "3" || frontier[0].depth != 3 || frontier[0].first.To.ID != "1" {
		t.Errorf("frontier %+v, %+v", frontier, e)
	}
	// The probe never steps into a done status: 2 and 5 are done.
	if p := probe([]reach{{st: chain.status(2), first: edge{To: chain.status(2)}, depth: 1}}, chain.status(4)); p != nil {
		t.Errorf("probe into done: %+v", p)
	}
	if p := probe([]reach{
		{st: chain.status(3), first: edge{ID: "a", To: chain.status(1)}, depth: 2},
		{st: chain.status(4), first: edge{ID: "b", To: chain.status(1)}, depth: 3},
	}, chain.status(7)); p == nil || p.ID != "b" {
		t.Errorf("probe prefers the target's category: %+v", p)
	}
}

// TestPlanProperty: on random workflows, plan's first transition starts a
// shortest path, and plan finds one exactly when one exists within the
// budget.
func TestPlanProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(2, 10).Draw(rt, "n")
		g := make(graph, n)
		for i := range g {
			g[i] = rapid.SliceOfNDistinct(rapid.IntRange(0, n-1), 0, 3, rapid.ID[int]).Draw(rt, fmt.Sprint("out", i))
			g[i] = slices.DeleteFunc(g[i], func(j int) bool { return j == i })
		}
		from := rapid.IntRange(0, n-1).Draw(rt, "from")
		to := rapid.IntRange(0, n-1).Filter(func(x int) bool { return x != from }).Draw(rt, "to")
		avoid := map[string]bool{g.status(from).ID: true}
		for i := range n {
			if i != to && rapid.IntRange(0, 5).Draw(rt, fmt.Sprint("avoid", i)) == 0 {
				avoid[g.status(i).ID] = true
			}
		}
		budget := rapid.IntRange(1, maxHops).Draw(rt, "budget")
		w := g.flows(func(int) bool { return true })
		e, frontier := w.plan("t", g.status(from), g.status(to), avoid, budget)
		d := g.dist(from, to, avoid)
		if len(frontier) != 0 {
			rt.Fatalf("frontier %v with every status known", frontier)
		}
		if d < 0 || d > budget {
			if e != nil {
				rt.Fatalf("path %+v where none exists within %d (dist %d)", e, budget, d)
			}
			return
		}
		if e == nil {
			rt.Fatalf("no path, want one of %d", d)
		}
		var next int
		fmt.Sscan(e.To.ID, &next)
		if !slices.Contains(g[from], next) {
			rt.Fatalf("first transition %+v does not leave %d", e, from)
		}
		if got := g.dist(next, to, avoid); got != d-1 {
			rt.Fatalf("first step to %d leaves %d steps, want %d", next, got, d-1)
		}
	})
}

// TestLogThroughConfig: the connector logs through Config.Log at its
// level, never through slog.Default.
func TestLogThroughConfig(t *testing.T) {
	var def bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&def, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })

	e := newEnv(t, sandbox.Options{SeedIssues: -1})
	e.sb.RemoveTransition("Done")
	newClient := func(level slog.Level) (*Client, *bytes.Buffer) {
		var buf bytes.Buffer
		c, err := New(ctx(t), Config{
			URL: e.url, Email: sandbox.BotEmail, Token: sandbox.BotToken, Project: "TAN",
			HTTPClient: &http.Client{Transport: recorder},
			Log:        slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level})),
		})
		if err != nil {
			t.Fatal(err)
		}
		return c, &buf
	}
	info, infoBuf := newClient(slog.LevelInfo)
	warn, warnBuf := newClient(slog.LevelWarn)
	it := backlog.Item{Title: "logged", Status: backlog.StatusValue{Name: "Done", Category: backlog.CategoryDone}, Origin: backlog.Ref{Side: backlog.Linear, ID: "log-1"}}
	if _, err := info.Create(ctx(t), it); err != nil {
		t.Fatal(err)
	}
	it.Origin.ID = "log-2"
	if _, err := warn.Create(ctx(t), it); err != nil {
		t.Fatal(err)
	}
	if s := infoBuf.String(); !strings.Contains(s, "level=INFO msg=\"jira: transition on the way") || !strings.Contains(s, "level=WARN msg=\"jira twin not moved") {
		t.Errorf("info logger got %q", s)
	}
	if s := warnBuf.String(); strings.Contains(s, "level=INFO") || !strings.Contains(s, "level=WARN msg=\"jira twin not moved") {
		t.Errorf("warn logger got %q", s)
	}
	if def.Len() != 0 {
		t.Errorf("slog.Default got %q", def.String())
	}
}
