package jira

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/tandem-sync/tandem/backlog"
)

func testClient() *Client {
	return &Client{
		projectKey: "TAN",
		statuses: []status{
			{"10000", "To Do", "new"}, {"3", "In Progress", "indeterminate"}, {"10001", "In Review", "indeterminate"},
			{"10002", "Done", "done"}, {"10003", "Won't Do", "done"},
		},
		priorities: map[string]bool{"highest": true, "high": true, "medium": true, "low": true, "lowest": true},
	}
}

func TestSitePriority(t *testing.T) {
	c := testClient()
	c.priorities = map[string]bool{"high": true, "medium": true, "low": true} // a site without Highest and Lowest
	for _, tc := range []struct {
		in   backlog.PriorityLevel
		want backlog.Value
	}{
		{backlog.PriorityHighest, "high"},
		{backlog.PriorityHigh, "high"},
		{backlog.PriorityNone, "medium"},
		{backlog.PriorityLowest, "low"},
	} {
		if got := c.Project(backlog.Priority, backlog.Value(tc.in)); got != tc.want {
			t.Errorf("Project(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	c.priorities = map[string]bool{"p1": true}
	if got := c.Project(backlog.Priority, "high"); got != "none" {
		t.Errorf("site with none of the five: %s", got)
	}
}

func TestCategoryOf(t *testing.T) {
	for _, tc := range []struct {
		key, name string
		want      backlog.Category
	}{
		{"new", "To Do", backlog.CategoryTodo},
		{"new", "Backlog", backlog.CategoryTodo},
		{"indeterminate", "In Progress", backlog.CategoryStarted},
		{"done", "Done", backlog.CategoryDone},
		{"done", "Won't Do", backlog.CategoryCanceled},
		{"done", "Won’t do", backlog.CategoryCanceled},
		{"done", "Cancelled", backlog.CategoryCanceled},
		{"undefined", "Odd", backlog.CategoryTodo},
	} {
		if got := categoryOf(tc.key, tc.name); got != tc.want {
			t.Errorf("categoryOf(%s, %s) = %s, want %s", tc.key, tc.name, got, tc.want)
		}
	}
}

// TestProjectIdempotent: what Jira reads back, written again, reads back the
// same (the reconciler relies on it to reach a fixed point).
func TestProjectIdempotent(t *testing.T) {
	c := testClient()
	cats := []backlog.Category{backlog.CategoryBacklog, backlog.CategoryTodo, backlog.CategoryStarted, backlog.CategoryDone, backlog.CategoryCanceled}
	levels := []backlog.PriorityLevel{backlog.PriorityNone, backlog.PriorityHighest, backlog.PriorityHigh, backlog.PriorityMedium, backlog.PriorityLow, backlog.PriorityLowest}
	rapid.Check(t, func(t *rapid.T) {
		var f backlog.Field
		var v backlog.Value
		switch rapid.IntRange(0, 2).Draw(t, "field") {
		case 0:
			f = backlog.Status
			name := rapid.SampledFrom([]string{"To Do", "in progress", "In Review", "Done", "Won't Do", "Shipped", "Todo", ""}).Draw(t, "name")
			v = backlog.EncodeStatus(backlog.StatusValue{Name: name, Category: rapid.SampledFrom(cats).Draw(t, "cat")})
		case 1:
			f = backlog.Priority
			v = backlog.Value(rapid.SampledFrom(levels).Draw(t, "level"))
		default:
			f = backlog.Title
			v = backlog.Value(rapid.String().Draw(t, "title"))
		}
		once := c.Project(f, v)
		if twice := c.Project(f, once); twice != once {
			t.Fatalf("Project(%s) not idempotent: %q -> %q -> %q", f, v, once, twice)
		}
		if f == backlog.Status {
			sv, err := backlog.DecodeStatus(once)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, s := range c.statuses {
				found = found || s.Name == sv.Name
			}
			if !found {
				t.Fatalf("status %q projects to %q, not a Jira status", v, once)
			}
		}
	})
}
