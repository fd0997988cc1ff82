package linear

import (
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/tandem-sync/tandem/backlog"
)

func testCatalog() *catalog {
	return &catalog{
		teamID: "team",
		states: []state{
			{ID: "s-backlog", Name: "Backlog", Type: "backlog", Position: 0},
			{ID: "s-todo", Name: "Todo", Type: "unstarted", Position: 1},
			{ID: "s-prog", Name: "In Progress", Type: "started", Position: 2},
			{ID: "s-review", Name: "In Review", Type: "started", Position: 3},
			{ID: "s-done", Name: "Done", Type: "completed", Position: 4},
			{ID: "s-cancel", Name: "Canceled", Type: "canceled", Position: 5},
		},
		users:   map[string]string{"alice@example.com": "u-alice"},
		labels:  map[string]string{"bug": "l-bug"},
		lnames:  map[string]string{"bug": "Bug"},
		cycles:  map[string]string{"cycle 2": "c-2"},
		emailOf: map[string]string{"u-alice": "alice@example.com"},
	}
}

func TestStatusMapping(t *testing.T) {
	c := testCatalog()
	cases := []struct{ in, want, stateID string }{
		{"started:In Review", "started:In Review", "s-review"},
		{"started:in review", "started:In Review", "s-review"}, // case-insensitive name
		{"done:Closed", "done:Done", "s-done"},                 // no such name: first state of the category
		{"todo:Selected for Development", "todo:Todo", "s-todo"},
		{"started:Doing", "started:In Progress", "s-prog"}, // first by position
		{"canceled:Won't do", "canceled:Canceled", "s-cancel"},
		{"backlog:Icebox", "backlog:Backlog", "s-backlog"},
		{"done:Backlog", "backlog:Backlog", "s-backlog"}, // the name wins over the category
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := c.project(backlog.Status, backlog.Value(tc.in)); string(got) != tc.want {
				t.Errorf("Project = %q, want %q", got, tc.want)
			}
			in, _, err := c.updateInput(backlog.Patch{backlog.Status: backlog.Value(tc.in)})
			if err != nil || in["stateId"] != tc.stateID {
				t.Errorf("stateId = %v (%v), want %s", in["stateId"], err, tc.stateID)
			}
		})
	}
	for typ, want := range map[string]backlog.Category{"backlog": "backlog", "unstarted": "todo", "started": "started",
		"completed": "done", "canceled": "canceled", "triage": "backlog", "somethingNew": "backlog"} {
		if got := categoryOf(typ); got != want {
			t.Errorf("categoryOf(%s) = %s, want %s", typ, got, want)
		}
	}
}

func TestPriorityMapping(t *testing.T) {
	c := testCatalog()
	cases := []struct {
		level  backlog.PriorityLevel
		linear int
		back   backlog.PriorityLevel
	}{
		{backlog.PriorityNone, 0, backlog.PriorityNone},
		{backlog.PriorityHighest, 1, backlog.PriorityHighest},
		{backlog.PriorityHigh, 2, backlog.PriorityHigh},
		{backlog.PriorityMedium, 3, backlog.PriorityMedium},
		{backlog.PriorityLow, 4, backlog.PriorityLow},
		{backlog.PriorityLowest, 4, backlog.PriorityLow}, // Linear has no Lowest
	}
	for _, tc := range cases {
		if got := priorityToLinear(tc.level); got != tc.linear {
			t.Errorf("priorityToLinear(%s) = %d, want %d", tc.level, got, tc.linear)
		}
		if got := priorityFromLinear(float64(tc.linear)); got != tc.back {
			t.Errorf("priorityFromLinear(%d) = %s, want %s", tc.linear, got, tc.back)
		}
		if got := c.project(backlog.Priority, backlog.Value(tc.level)); got != backlog.Value(tc.back) {
			t.Errorf("Project(%s) = %s, want %s", tc.level, got, tc.back)
		}
	}
}

func TestProjectLabels(t *testing.T) {
	c := testCatalog()
	if got := c.project(backlog.Labels, "new\nbug\nBUG"); got != "Bug\nnew" {
		t.Fatalf("labels projected to %q", got)
	}
}

func TestUpdateInput(t *testing.T) {
	c := testCatalog()
	in, missing, err := c.updateInput(backlog.Patch{
		backlog.Title: "T", backlog.Description: "", backlog.Priority: "lowest", backlog.Assignee: "Alice@Example.com",
		backlog.Labels: "bug\nnew", backlog.Estimate: "2.6", backlog.DueDate: "2026-01-02", backlog.Parent: "p",
		backlog.Sprint: "Cycle 2", backlog.Rank: "12.5",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"title": "T", "description": "", "priority": 4, "assigneeId": "u-alice",
		"labelIds": []string{"l-bug"}, "estimate": 3, "dueDate": "2026-01-02", "parentId": "p", "cycleId": "c-2", "sortOrder": 12.5}
	for k, v := range want {
		if k == "labelIds" {
			if !slices.Equal(in[k].([]string), v.([]string)) {
				t.Errorf("%s = %v, want %v", k, in[k], v)
			}
			continue
		}
		if in[k] != v {
			t.Errorf("%s = %v (%T), want %v", k, in[k], in[k], v)
		}
	}
	if !slices.Equal(missing, []string{"new"}) {
		t.Errorf("missing = %v", missing)
	}
	for name, p := range map[string]backlog.Patch{
		"empty title": {backlog.Title: " "}, "bad status": {backlog.Status: "nope"}, "bad priority": {backlog.Priority: "urgentish"},
		"bad estimate": {backlog.Estimate: "many"}, "bad date": {backlog.DueDate: "tomorrow"}, "bad rank": {backlog.Rank: "0|hzzzz:"},
	} {
		if _, _, err := c.updateInput(p); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	in, _, _ = c.updateInput(backlog.Patch{backlog.Assignee: "", backlog.Sprint: "Cycle 9", backlog.Parent: "", backlog.Estimate: "", backlog.DueDate: ""})
	for _, k := range []string{"assigneeId", "cycleId", "parentId", "estimate", "dueDate"} {
		if v, ok := in[k]; !ok || v != nil {
			t.Errorf("%s = %v, want explicit null", k, v)
		}
	}
}

func TestToItem(t *testing.T) {
	desc, due, name := "# Hi", "2026-03-04", "Sprint 7"
	est := 2.0
	n := issueNode{ID: "id", Identifier: "ENG-9", Title: "T", Description: &desc, Priority: 3, Estimate: &est, DueDate: &due,
		SortOrder: -12.25, UpdatedAt: "2026-11-01T10:00:00.123Z", State: state{Name: "In Review", Type: "started"}}
	n.Assignee = &struct {
		Email string `json:"email"`
	}{"Bob@Example.com"}
	n.Labels.Nodes = []struct {
		Name string `json:"name"`
	}{{"b"}, {"a"}}
	n.Cycle = &struct {
		Name   *string `json:"name"`
		Number float64 `json:"number"`
	}{&name, 7}
	it, err := toItem(n)
	if err != nil {
		t.Fatal(err)
	}
	if it.Title != "T" || it.Description != desc || it.Priority != backlog.PriorityMedium || it.Status.Name != "In Review" ||
		it.Assignee != "bob@example.com" || !slices.Equal(it.Labels, []string{"a", "b"}) || *it.Estimate != 2 ||
		it.DueDate != due || it.Sprint != "Sprint 7" || it.Rank != "-12.25" || it.UpdatedAt.Nanosecond() != 123e6 {
		t.Fatalf("%+v", it)
	}
	n.Cycle.Name = nil
	if it, _ := toItem(n); it.Sprint != "Cycle 7" {
		t.Fatalf("unnamed cycle: %q", it.Sprint)
	}
	n.UpdatedAt = "yesterday"
	if _, err := toItem(n); err == nil {
		t.Fatal("bad updatedAt accepted")
	}
}

// TestProjectIsIdempotent: projecting a projected value changes nothing,
// and every projected status and priority is writable.
func TestProjectIsIdempotent(t *testing.T) {
	c := testCatalog()
	rapid.Check(t, func(t *rapid.T) {
		cat := rapid.SampledFrom([]backlog.Category{"backlog", "todo", "started", "done", "canceled"}).Draw(t, "cat")
		name := rapid.SampledFrom([]string{"Backlog", "todo", "In Review", "Closed", "x", ""}).Draw(t, "name")
		v := backlog.EncodeStatus(backlog.StatusValue{Name: name, Category: cat})
		p := c.project(backlog.Status, v)
		if c.project(backlog.Status, p) != p {
			t.Fatalf("status %q -> %q -> %q", v, p, c.project(backlog.Status, p))
		}
		if _, _, err := c.updateInput(backlog.Patch{backlog.Status: p}); err != nil {
			t.Fatalf("projected status %q not writable: %v", p, err)
		}
		pr := backlog.Value(rapid.SampledFrom([]string{"none", "highest", "high", "medium", "low", "lowest"}).Draw(t, "prio"))
		pp := c.project(backlog.Priority, pr)
		if c.project(backlog.Priority, pp) != pp || pp == "lowest" {
			t.Fatalf("priority %q -> %q", pr, pp)
		}
		f := rapid.Float64Range(-1e6, 1e6).Draw(t, "rank")
		in, _, err := c.updateInput(backlog.Patch{backlog.Rank: backlog.Value(formatRank(f))})
		if err != nil || in["sortOrder"] != f {
			t.Fatalf("rank %v round trip: %v %v", f, in["sortOrder"], err)
		}
	})
}
