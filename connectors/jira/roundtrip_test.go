package jira

import (
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
}

// TestProjectPredictsReadBack checks the Project contract against the
// sandbox: after Create or Apply, Get reads back exactly what Project
// predicted, field by field.
func TestProjectPredictsReadBack(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: -1})
	cats := []backlog.Category{backlog.CategoryBacklog, backlog.CategoryTodo, backlog.CategoryStarted, backlog.CategoryDone, backlog.CategoryCanceled}
	levels := []backlog.PriorityLevel{backlog.PriorityNone, backlog.PriorityHighest, backlog.PriorityHigh, backlog.PriorityMedium, backlog.PriorityLow, backlog.PriorityLowest}
	n := 0
	bg := t.Context()
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
		for _, f := range backlog.SyncedFields {
			if want := e.c.Project(f, it.Get(f)); got.Get(f) != want {
				t.Fatalf("after create, %s reads back %q; Project predicted %q (wrote %q)", f, got.Get(f), want, it.Get(f))
			}
		}
		// Apply one field and read it back.
		f := rapid.SampledFrom([]backlog.Field{backlog.Title, backlog.Description, backlog.Priority}).Draw(t, "field")
		var v backlog.Value
		switch f {
		case backlog.Title:
			v = backlog.Value(rapid.StringMatching(`[A-Za-z][A-Za-z ]{0,30}`).Draw(t, "newTitle"))
		case backlog.Description:
			v = backlog.Value(rapid.SampledFrom(markdownSamples).Draw(t, "newDesc"))
		case backlog.Priority:
			v = backlog.Value(rapid.SampledFrom(levels).Draw(t, "newPriority"))
		}
		if err := e.c.Apply(bg, ref.ID, backlog.Patch{f: v}); err != nil {
			t.Fatalf("apply %s=%q: %v", f, v, err)
		}
		got, err = e.c.Get(bg, ref.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := e.c.Project(f, v); got.Get(f) != want {
			t.Fatalf("after apply, %s reads back %q; Project predicted %q (wrote %q)", f, got.Get(f), want, v)
		}
	})
}
