package reconcile

import (
	"testing"

	"github.com/tandem-sync/tandem/backlog"
)

func TestEpicItem(t *testing.T) {
	est := 3.0
	it := backlog.Item{Ref: backlog.Ref{Side: backlog.Jira, ID: "1"}, Title: "Epic", Description: "d",
		Status: backlog.StatusValue{Category: backlog.CategoryStarted, Name: "In Review"}, Priority: backlog.PriorityHigh,
		Assignee: "a@b.c", Labels: []string{"x"}, Estimate: &est, DueDate: "2026-01-02", Parent: "9", Sprint: "S",
		Relations: []backlog.Relation{{Type: backlog.RelBlocks, To: "2"}}, Comments: []backlog.Comment{{ID: "c"}}}
	epicItem(&it)
	want := backlog.Item{Ref: it.Ref, Kind: backlog.KindEpic, Title: "Epic", Description: "d",
		Status: backlog.StatusValue{Category: backlog.CategoryStarted}, Priority: backlog.PriorityNone, DueDate: "2026-01-02",
		Comments: []backlog.Comment{}, CommentsRead: true}
	for _, f := range backlog.AllFields {
		if it.Get(f) != want.Get(f) {
			t.Errorf("%s: %q, want %q", f, it.Get(f), want.Get(f))
		}
	}
	if it.Kind != backlog.KindEpic || !it.CommentsRead || len(it.Comments) != 0 {
		t.Errorf("epicItem: %+v", it)
	}
}

func TestEpicProjector(t *testing.T) {
	id := func(f backlog.Field, v backlog.Value) backlog.Value { return "side:" + v }
	p := epicProjector(id)
	for _, tc := range []struct {
		f       backlog.Field
		in, out backlog.Value
	}{
		{backlog.Status, "todo:To Do", "todo:"},
		{backlog.Status, "done:", "done:"},
		{backlog.Status, "", ""},
		{backlog.Title, "x", "side:x"},
	} {
		if got := p(tc.f, tc.in); got != tc.out {
			t.Errorf("%s %q: %q, want %q", tc.f, tc.in, got, tc.out)
		}
	}
}
