package jira

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

var markdownSamples = []string{
	"",
	"Plain text.",
	"Some **bold** and _italic_ text.",
	"- one\n- two\n- three",
	"1. first\n2. second",
	"Use `go test` here.",
	"```go\nfmt.Println(1)\n```",
	"See [the docs](https://example.com/docs).",
	"# Title\n\nBody paragraph.",
	"> quoted",
	"a ~~strike~~ word",
	"| a | b |\n| --- | --- |\n| 1 | 2 |",
	"cc [@Alice](mailto:alice@example.com) and [@Nobody](mailto:nobody@example.com)",
	"- ask [@Dave D](mailto:dave@example.com)\n- `[@Bob](mailto:bob@example.com)`",
	"> [@Bob Example](mailto:Bob@Example.com) [~accountid:5b10a2844c20165700ede21g]",
}

// TestProjectPredictsReadBack checks the Project contract against the
// sandbox: after Create or Apply, Get reads back exactly what Project
// predicted, for every field.
func TestProjectPredictsReadBack(t *testing.T) {
	e := newEnvWith(t, sandbox.Options{SeedIssues: -1}, func(sb *sandbox.Server, cfg *Config) {
		sb.HideEmail("carol@example.com", true)
		cfg.Users = map[string]string{"dave@example.com": "5b10ac8d82e05b22cc7d4ef6"} // carol's account
	})
	bg := t.Context()
	epicID, _, err := e.sb.UserCreate("alice@example.com", map[string]any{"summary": "epic", "issuetype": map[string]string{"name": "Epic"}})
	if err != nil {
		t.Fatal(err)
	}
	storyID, _, err := e.sb.UserCreate("alice@example.com", map[string]any{"summary": "story"})
	if err != nil {
		t.Fatal(err)
	}
	cats := []backlog.Category{backlog.CategoryBacklog, backlog.CategoryTodo, backlog.CategoryStarted, backlog.CategoryDone, backlog.CategoryCanceled}
	levels := []backlog.PriorityLevel{backlog.PriorityNone, backlog.PriorityHighest, backlog.PriorityHigh, backlog.PriorityMedium, backlog.PriorityLow, backlog.PriorityLowest}
	people := []string{"", "alice@example.com", "Bob@Example.com", "carol@example.com", "dave@example.com", "nobody@example.com"}
	labelPool := []string{"a", "b", "infra", "has space", "UI", "x-y"}
	sprints := []string{"", "TAN Sprint 1", "TAN Sprint 2", "TAN Sprint 3", "Cycle 7"}
	labels := func(t *rapid.T, name string) []string {
		return rapid.SliceOfNDistinct(rapid.SampledFrom(labelPool), 0, 4, rapid.ID).Draw(t, name)
	}
	estimate := func(t *rapid.T, name string) *float64 {
		if rapid.Bool().Draw(t, name+"Unset") {
			return nil
		}
		f := rapid.SampledFrom([]float64{0, 1, 2.5, 13, 0.1, 1e6}).Draw(t, name)
		if rapid.Bool().Draw(t, name+"Random") {
			f = rapid.Float64Range(0, 1000).Draw(t, name+"Float")
		}
		return &f
	}
	date := func(t *rapid.T, name string) string {
		if rapid.Bool().Draw(t, name+"Unset") {
			return ""
		}
		return fmt.Sprintf("%04d-%02d-%02d", rapid.IntRange(2000, 2099).Draw(t, name+"Y"), rapid.IntRange(1, 12).Draw(t, name+"M"), rapid.IntRange(1, 28).Draw(t, name+"D"))
	}
	fields := []backlog.Field{backlog.Title, backlog.Description, backlog.Status, backlog.Priority, backlog.Assignee, backlog.Labels,
		backlog.Estimate, backlog.DueDate, backlog.Parent, backlog.Sprint}
	n := 0
	rapid.Check(t, func(t *rapid.T) {
		n++
		title := rapid.StringMatching(`[A-Za-z][A-Za-z0-9 .,!?'-]{0,40}`).Draw(t, "title")
		desc := rapid.SampledFrom(markdownSamples).Draw(t, "desc")
		if extra := rapid.StringMatching(`[a-z ]{0,20}`).Draw(t, "extra"); desc != "" && strings.TrimSpace(extra) != "" {
			desc += "\n\n" + strings.TrimSpace(extra)
		}
		it := backlog.Item{
			Title:       title,
			Description: desc,
			Priority:    rapid.SampledFrom(levels).Draw(t, "priority"),
			Status:      backlog.StatusValue{Name: rapid.SampledFrom([]string{"To Do", "In Progress", "Todo", "Backlog"}).Draw(t, "status"), Category: rapid.SampledFrom(cats[:3]).Draw(t, "cat")},
			Assignee:    rapid.SampledFrom(people).Draw(t, "assignee"),
			Labels:      labels(t, "labels"),
			Estimate:    estimate(t, "estimate"),
			DueDate:     date(t, "due"),
			Parent:      rapid.SampledFrom([]string{"", epicID, storyID}).Draw(t, "parent"),
			Sprint:      rapid.SampledFrom(sprints).Draw(t, "sprint"),
			Origin:      backlog.Ref{Side: backlog.Linear, ID: "rt-" + strconv.Itoa(n)},
		}
		ref, err := e.c.Create(bg, it)
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		got, err := e.c.Get(bg, ref.ID)
		if err != nil {
			t.Fatal(err)
		}
		subtask := it.Parent == storyID
		for _, f := range fields {
			want := e.c.Project(f, it.Get(f))
			if f == backlog.Sprint && subtask {
				want = "" // a sub-task shows its parent's sprint, and the story has none
			}
			if got.Get(f) != want {
				t.Fatalf("after create, %s reads back %q; Project predicted %q (wrote %q)", f, got.Get(f), want, it.Get(f))
			}
		}
		// Apply a few fields and read them back.
		pick := rapid.SliceOfNDistinct(rapid.SampledFrom(fields[:len(fields)]), 1, 5, func(f backlog.Field) backlog.Field { return f }).Draw(t, "fields")
		p := backlog.Patch{}
		target := got
		for _, f := range pick {
			var v backlog.Value
			switch f {
			case backlog.Title:
				v = backlog.Value(rapid.StringMatching(`[A-Za-z][A-Za-z ]{0,30}`).Draw(t, "newTitle"))
			case backlog.Description:
				v = backlog.Value(rapid.SampledFrom(markdownSamples).Draw(t, "newDesc"))
			case backlog.Priority:
				v = backlog.Value(rapid.SampledFrom(levels).Draw(t, "newPriority"))
			case backlog.Status:
				v = backlog.EncodeStatus(backlog.StatusValue{Name: rapid.SampledFrom([]string{"To Do", "In Progress", "In Review", "Done"}).Draw(t, "newStatus"), Category: rapid.SampledFrom(cats).Draw(t, "newCat")})
			case backlog.Assignee:
				v = backlog.Value(rapid.SampledFrom(people).Draw(t, "newAssignee"))
			case backlog.Labels:
				var tmp backlog.Item
				tmp.Labels = labels(t, "newLabels")
				v = tmp.Get(backlog.Labels)
			case backlog.Estimate:
				var tmp backlog.Item
				tmp.Estimate = estimate(t, "newEstimate")
				v = tmp.Get(backlog.Estimate)
			case backlog.DueDate:
				v = backlog.Value(date(t, "newDue"))
			case backlog.Parent:
				if subtask {
					continue // a sub-task keeps its parent
				}
				v = backlog.Value(rapid.SampledFrom([]string{"", epicID}).Draw(t, "newParent"))
			case backlog.Sprint:
				if subtask {
					continue // a sub-task moves with its parent
				}
				v = backlog.Value(rapid.SampledFrom(sprints).Draw(t, "newSprint"))
			}
			if err := target.Set(f, v); err != nil {
				t.Fatal(err)
			}
			if f == backlog.Labels {
				p[f] = backlog.LabelPatch(got.Get(f), v)
			} else {
				p[f] = v
			}
		}
		if err := e.c.Apply(bg, ref.ID, p); err != nil {
			t.Fatalf("apply %q: %v", p, err)
		}
		after, err := e.c.Get(bg, ref.ID)
		if err != nil {
			t.Fatal(err)
		}
		for f := range p {
			if want := e.c.Project(f, target.Get(f)); after.Get(f) != want {
				t.Fatalf("after apply, %s reads back %q; Project predicted %q (wrote %q)", f, after.Get(f), want, p[f])
			}
		}
	})
}
