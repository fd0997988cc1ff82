package linear

import (
	"reflect"
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
		users:     map[string]string{"alice@example.com": "u-alice", "bob@example.com": "u-bob", "robert@corp.example": "u-bob"},
		labels:    map[string]string{"bug": "l-bug", "backend": "l-backend"},
		lnames:    map[string]string{"bug": "Bug", "backend": "Backend"},
		labelByID: map[string]string{"l-bug": "Bug", "l-backend": "Backend"},
		cycles:    map[string]cycleRef{"cycle 2": {"c-2", "Cycle 2"}, "hardening": {"c-3", "Hardening"}},
		emailOf:   map[string]string{"u-alice": "alice@example.com", "u-bob": "robert@corp.example"},
		est:       estimation{Type: "fibonacci"},
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
			in, err := c.updateInput(backlog.Patch{backlog.Status: backlog.Value(tc.in)})
			if err != nil || in.fields["stateId"] != tc.stateID {
				t.Errorf("stateId = %v (%v), want %s", in.fields["stateId"], err, tc.stateID)
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

// TestFieldMapping: each field both ways, removal included: the input a
// patch writes, what Project predicts, and the notes it reports.
func TestFieldMapping(t *testing.T) {
	cases := []struct {
		name  string
		f     backlog.Field
		v     backlog.Value
		cat   func(*catalog)
		want  map[string]any // input written (nil: not checked); a nil value is an explicit null
		proj  backlog.Value  // Project(f, v); for labels v read as a set (checked when want is nil)
		notes int
	}{
		{name: "assignee", f: backlog.Assignee, v: "Alice@Example.com", want: map[string]any{"assigneeId": "u-alice"}, proj: "alice@example.com"},
		{name: "assignee override", f: backlog.Assignee, v: "robert@corp.example", want: map[string]any{"assigneeId": "u-bob"}, proj: "robert@corp.example"},
		{name: "assignee own email of an overridden user", f: backlog.Assignee, v: "bob@example.com", want: map[string]any{"assigneeId": "u-bob"}, proj: "robert@corp.example"},
		{name: "assignee cleared", f: backlog.Assignee, v: "", want: map[string]any{"assigneeId": nil}, proj: ""},
		{name: "assignee unknown", f: backlog.Assignee, v: "carol@example.com", want: map[string]any{"assigneeId": nil}, proj: "", notes: 1},
		{name: "label added", f: backlog.Labels, v: "+bug", want: map[string]any{"addedLabelIds": []string{"l-bug"}}},
		{name: "label removed", f: backlog.Labels, v: "-Backend", want: map[string]any{"removedLabelIds": []string{"l-backend"}}},
		{name: "labels both", f: backlog.Labels, v: "+BUG\n-backend", want: map[string]any{"addedLabelIds": []string{"l-bug"}, "removedLabelIds": []string{"l-backend"}}},
		{name: "label missing skipped", f: backlog.Labels, v: "+new\n-gone", want: map[string]any{}, notes: 1},
		{name: "labels set projected", f: backlog.Labels, v: "new\nbug\nBUG", proj: "Bug"},
		{name: "labels set projected, created", f: backlog.Labels, v: "new\nbug", cat: func(c *catalog) { c.createLabels = true }, proj: "Bug\nnew"},
		{name: "labels none", f: backlog.Labels, v: "", proj: ""},
		{name: "estimate on scale", f: backlog.Estimate, v: "5", want: map[string]any{"estimate": 5}, proj: "5"},
		{name: "estimate rounded", f: backlog.Estimate, v: "4", want: map[string]any{"estimate": 5}, proj: "5", notes: 1},
		{name: "estimate fraction", f: backlog.Estimate, v: "2.4", want: map[string]any{"estimate": 2}, proj: "2", notes: 1},
		{name: "estimate above scale", f: backlog.Estimate, v: "40", want: map[string]any{"estimate": 8}, proj: "8", notes: 1},
		{name: "estimate unset", f: backlog.Estimate, v: "", want: map[string]any{"estimate": nil}, proj: ""},
		{name: "estimate off", f: backlog.Estimate, v: "3", cat: func(c *catalog) { c.est.Type = "notUsed" }, want: map[string]any{"estimate": nil}, proj: "", notes: 1},
		{name: "due date", f: backlog.DueDate, v: "2026-01-02", want: map[string]any{"dueDate": "2026-01-02"}, proj: "2026-01-02"},
		{name: "due date unset", f: backlog.DueDate, v: "", want: map[string]any{"dueDate": nil}, proj: ""},
		{name: "parent", f: backlog.Parent, v: "p-1", want: map[string]any{"parentId": "p-1"}, proj: "p-1"},
		{name: "parent removed", f: backlog.Parent, v: "", want: map[string]any{"parentId": nil}, proj: ""},
		{name: "cycle by name", f: backlog.Sprint, v: "hardening", want: map[string]any{"cycleId": "c-3"}, proj: "Hardening"},
		{name: "cycle by number name", f: backlog.Sprint, v: "Cycle 2", want: map[string]any{"cycleId": "c-2"}, proj: "Cycle 2"},
		{name: "cycle removed", f: backlog.Sprint, v: "", want: map[string]any{"cycleId": nil}, proj: ""},
		{name: "cycle unknown", f: backlog.Sprint, v: "Sprint 9", want: map[string]any{"cycleId": nil}, proj: "", notes: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testCatalog()
			if tc.cat != nil {
				tc.cat(c)
			}
			if tc.want != nil {
				in, err := c.updateInput(backlog.Patch{tc.f: tc.v})
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(in.fields, tc.want) {
					t.Errorf("input = %#v, want %#v", in.fields, tc.want)
				}
				if len(in.notes) != tc.notes {
					t.Errorf("notes = %v, want %d", in.notes, tc.notes)
				}
			}
			if tc.f != backlog.Labels || tc.want == nil {
				if got := c.project(tc.f, tc.v); got != tc.proj {
					t.Errorf("Project = %q, want %q", got, tc.proj)
				}
			}
		})
	}
}

func TestEstimateScales(t *testing.T) {
	cases := []struct {
		est  estimation
		in   []float64
		want []float64
	}{
		{estimation{Type: "exponential"}, []float64{0, 1, 3, 5, 6, 12, 40}, []float64{1, 1, 4, 4, 8, 16, 16}},
		{estimation{Type: "exponential", Extended: true, AllowZero: true}, []float64{0, 0.4, 40, 100}, []float64{0, 0, 32, 64}},
		{estimation{Type: "fibonacci"}, []float64{0, 4, 6.4, 6.6, 13}, []float64{1, 5, 5, 8, 8}},
		{estimation{Type: "fibonacci", Extended: true}, []float64{13, 17, 30}, []float64{13, 21, 21}},
		{estimation{Type: "linear"}, []float64{-3, 2.5, 4, 9}, []float64{1, 3, 4, 5}},
		{estimation{Type: "linear", Extended: true, AllowZero: true}, []float64{0.2, 6.4, 9}, []float64{0, 6, 7}},
		{estimation{Type: "tShirt"}, []float64{1, 4, 20}, []float64{1, 5, 8}},
		{estimation{Type: "tShirt", Extended: true}, []float64{20}, []float64{21}},
	}
	for _, tc := range cases {
		for k, in := range tc.in {
			got, ok := tc.est.nearest(in)
			if !ok || got != tc.want[k] {
				t.Errorf("%+v: nearest(%g) = %g, %v; want %g", tc.est, in, got, ok, tc.want[k])
			}
		}
	}
	if _, ok := (estimation{Type: "notUsed"}).nearest(3); ok {
		t.Error("notUsed has a scale")
	}
}

func TestUpdateInput(t *testing.T) {
	c := testCatalog()
	c.createLabels = true
	in, err := c.updateInput(backlog.Patch{
		backlog.Title: "T", backlog.Description: "", backlog.Priority: "lowest", backlog.Assignee: "Alice@Example.com",
		backlog.Labels: "+bug\n+new", backlog.Estimate: "2.6", backlog.DueDate: "2026-01-02", backlog.Parent: "p",
		backlog.Sprint: "Cycle 2", backlog.Rank: "12.5",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"title": "T", "description": "", "priority": 4, "assigneeId": "u-alice",
		"addedLabelIds": []string{"l-bug"}, "estimate": 3, "dueDate": "2026-01-02", "parentId": "p", "cycleId": "c-2", "sortOrder": 12.5}
	if !reflect.DeepEqual(in.fields, want) {
		t.Errorf("input = %#v\nwant %#v", in.fields, want)
	}
	if !slices.Equal(in.missing, []string{"new"}) {
		t.Errorf("missing = %v", in.missing)
	}
	for name, p := range map[string]backlog.Patch{
		"empty title": {backlog.Title: " "}, "bad status": {backlog.Status: "nope"}, "bad priority": {backlog.Priority: "urgentish"},
		"bad estimate": {backlog.Estimate: "many"}, "bad date": {backlog.DueDate: "tomorrow"}, "bad rank": {backlog.Rank: "0|hzzzz:"},
	} {
		if _, err := c.updateInput(p); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestToItem(t *testing.T) {
	c := testCatalog()
	desc, due, name := "# Hi", "2026-03-04", "Sprint 7"
	est := 2.0
	n := issueNode{ID: "id", Identifier: "ENG-9", Title: "T", Description: &desc, Priority: 3, Estimate: &est, DueDate: &due,
		SortOrder: -12.25, UpdatedAt: "2026-11-01T10:00:00.123Z", State: state{Name: "In Review", Type: "started"}}
	n.Assignee = &struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}{"u-carol", "Carol@Example.com"}
	n.LabelIDs = []string{"l-bug", "l-backend", "l-gone"} // a label id no longer known is left out
	n.Cycle = &struct {
		Name   *string `json:"name"`
		Number float64 `json:"number"`
	}{&name, 7}
	it, err := c.toItem(n)
	if err != nil {
		t.Fatal(err)
	}
	if it.Title != "T" || it.Description != desc || it.Priority != backlog.PriorityMedium || it.Status.Name != "In Review" ||
		it.Assignee != "carol@example.com" || !slices.Equal(it.Labels, []string{"Backend", "Bug"}) || *it.Estimate != 2 ||
		it.DueDate != due || it.Sprint != "Sprint 7" || it.Rank != "-12.25" || it.UpdatedAt.Nanosecond() != 123e6 {
		t.Fatalf("%+v", it)
	}
	n.Assignee.ID = "u-bob" // an overridden user reads as the override's email
	if it, _ := c.toItem(n); it.Assignee != "robert@corp.example" {
		t.Fatalf("overridden assignee: %q", it.Assignee)
	}
	n.Cycle.Name = nil
	if it, _ := c.toItem(n); it.Sprint != "Cycle 7" {
		t.Fatalf("unnamed cycle: %q", it.Sprint)
	}
	n.UpdatedAt = "yesterday"
	if _, err := c.toItem(n); err == nil {
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
		if _, err := c.updateInput(backlog.Patch{backlog.Status: p}); err != nil {
			t.Fatalf("projected status %q not writable: %v", p, err)
		}
		pr := backlog.Value(rapid.SampledFrom([]string{"none", "highest", "high", "medium", "low", "lowest"}).Draw(t, "prio"))
		pp := c.project(backlog.Priority, pr)
		if c.project(backlog.Priority, pp) != pp || pp == "lowest" {
			t.Fatalf("priority %q -> %q", pr, pp)
		}
		f := rapid.Float64Range(-1e6, 1e6).Draw(t, "rank")
		in, err := c.updateInput(backlog.Patch{backlog.Rank: backlog.Value(formatRank(f))})
		if err != nil || in.fields["sortOrder"] != f {
			t.Fatalf("rank %v round trip: %v %v", f, in.fields["sortOrder"], err)
		}
		// Every other field: idempotent, and the projected value writes
		// without a note (it is representable as it is).
		c.createLabels = rapid.Bool().Draw(t, "create labels")
		c.est = estimation{Type: rapid.SampledFrom([]string{"notUsed", "exponential", "fibonacci", "linear", "tShirt"}).Draw(t, "scale"),
			AllowZero: rapid.Bool().Draw(t, "zero"), Extended: rapid.Bool().Draw(t, "extended")}
		it := backlog.Item{
			Assignee: rapid.SampledFrom([]string{"", "ALICE@example.com", "bob@example.com", "robert@corp.example", "x@y"}).Draw(t, "assignee"),
			Labels:   rapid.SliceOf(rapid.SampledFrom([]string{"bug", "Bug", "BACKEND", "new", "New", "zz"})).Draw(t, "labels"),
			DueDate:  rapid.SampledFrom([]string{"", "2026-02-28"}).Draw(t, "due"),
			Parent:   rapid.SampledFrom([]string{"", "p-1"}).Draw(t, "parent"),
			Sprint:   rapid.SampledFrom([]string{"", "cycle 2", "Hardening", "nope"}).Draw(t, "sprint"),
		}
		if rapid.Bool().Draw(t, "has estimate") {
			e := rapid.Float64Range(-10, 100).Draw(t, "estimate")
			it.Estimate = &e
		}
		for _, f := range []backlog.Field{backlog.Assignee, backlog.Labels, backlog.Estimate, backlog.DueDate, backlog.Parent, backlog.Sprint} {
			v := it.Get(f)
			p := c.project(f, v)
			if pp := c.project(f, p); pp != p {
				t.Fatalf("%s: %q -> %q -> %q", f, v, p, pp)
			}
			w := p
			if f == backlog.Labels {
				w = backlog.LabelPatch("", p)
			}
			in, err := c.updateInput(backlog.Patch{f: w})
			if err != nil {
				t.Fatalf("%s: projected %q not writable: %v", f, p, err)
			}
			if len(in.notes) > 0 {
				t.Fatalf("%s: projected %q still noted: %v", f, p, in.notes)
			}
		}
	})
}

// FuzzFieldValue: any value of any field (they come from the other tool)
// maps to input or a clear error, never a panic, and Project of it is a
// fixed point.
func FuzzFieldValue(f *testing.F) {
	for _, v := range []string{"", "Alice@Example.com", "+bug\n-Backend", "+\n-", "4.5", "1e308", "NaN", "-0", "2026-02-30",
		"Cycle 2", "started:In Review", "lowest", "12.5", "\x00"} {
		for k := range backlog.AllFields {
			f.Add(k, v)
		}
	}
	c := testCatalog()
	f.Fuzz(func(t *testing.T, k int, v string) {
		if k < 0 || k >= len(backlog.AllFields) {
			return
		}
		field := backlog.AllFields[k]
		if _, err := c.updateInput(backlog.Patch{field: backlog.Value(v)}); err != nil && err.Error() == "" {
			t.Fatal("an error without a message")
		}
		p := c.project(field, backlog.Value(v))
		if pp := c.project(field, p); pp != p {
			t.Fatalf("%s: %q -> %q -> %q", field, v, p, pp)
		}
	})
}
