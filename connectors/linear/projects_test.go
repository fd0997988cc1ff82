package linear

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

func epics(cfg *Config) { cfg.EpicsAsProjects = true }

func refIDs(refs []backlog.Ref) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.ID)
	}
	return out
}

// TestProjectItems: with epics as projects the team's projects are items
// of KindEpic; polls list them on their first page (no extra call), and
// Get, Apply and Create speak projects for their ids.
func TestProjectItems(t *testing.T) {
	s, c := setup(t, sandbox.Options{}, epics)
	launch := s.Projects()[0]

	refs, cursor, pages := drain(t, t.Context(), c, "")
	if !slices.Contains(refIDs(refs), launch.ID) {
		t.Fatalf("first poll %v lacks the team's project %s", refIDs(refs), launch.ID)
	}
	if got := s.Requests(sandbox.BotEmail); got.Reads+got.Writes != pages {
		t.Errorf("poll of %d pages made %d calls, want one a page", pages, got.Reads+got.Writes)
	}

	it, err := c.Get(t.Context(), launch.ID)
	if err != nil {
		t.Fatal(err)
	}
	if it.Kind != backlog.KindEpic || it.Title != "Q4 Launch" || it.Status.Category != backlog.CategoryTodo || !it.CommentsRead {
		t.Errorf("Get(project) = %+v", it)
	}
	// An issue in the project has it as its parent.
	var member string
	for _, r := range refs {
		if v, ok := s.Issue(r.ID); ok && v.ProjectID == launch.ID && v.ParentID == "" {
			member = r.ID
			break
		}
	}
	if member == "" {
		t.Fatal("no seeded issue in the project")
	}
	if mi, err := c.Get(t.Context(), member); err != nil || mi.Parent != launch.ID {
		t.Errorf("Get(member).Parent = %q, %v; want the project %s", mi.Parent, err, launch.ID)
	}

	// Apply writes the project's fields.
	p := backlog.Patch{backlog.Title: "Q4 Launch, renamed", backlog.Description: "The **launch**.",
		backlog.Status: "started:In Progress", backlog.DueDate: "2026-12-24"}
	if err := c.Apply(t.Context(), launch.ID, p); err != nil {
		t.Fatal(err)
	}
	v, _ := s.Project(launch.ID)
	if v.Name != "Q4 Launch, renamed" || v.Content != "The **launch**." || v.StatusType != "started" || v.TargetDate != "2026-12-24" {
		t.Errorf("after Apply: %+v", v)
	}
	// The next poll reports the project once, by its new version.
	refs, cursor, _ = drain(t, t.Context(), c, cursor)
	if !slices.Contains(refIDs(refs), launch.ID) {
		t.Errorf("poll after the edit %v lacks the project", refIDs(refs))
	}

	// Moving an issue out of the project and into another.
	if err := c.Apply(t.Context(), member, backlog.Patch{backlog.Parent: ""}); err != nil {
		t.Fatal(err)
	}
	if mv, _ := s.Issue(member); mv.ProjectID != "" {
		t.Errorf("after clearing the parent the issue is in project %q", mv.ProjectID)
	}
	ref, err := c.Create(t.Context(), backlog.Item{Kind: backlog.KindEpic, Ref: backlog.Ref{ID: "5c3e2f0a-7b1d-4e8a-9c2b-1f0e3d4c5b6a"},
		Title: "Billing revamp", Description: "All of billing.", Status: backlog.StatusValue{Category: backlog.CategoryTodo, Name: "To Do"}})
	if err != nil {
		t.Fatal(err)
	}
	if nv, ok := s.Project(ref.ID); !ok || nv.Name != "Billing revamp" || nv.StatusType != "planned" || !slices.Equal(nv.Teams, []string{"ENG"}) {
		t.Errorf("created project %+v", nv)
	}
	// A retry of the same create finds it.
	if again, err := c.Create(t.Context(), backlog.Item{Kind: backlog.KindEpic, Ref: ref, Title: "Billing revamp"}); err != nil || again.ID != ref.ID {
		t.Errorf("retried create: %v, %v", again, err)
	}
	if err := c.Apply(t.Context(), member, backlog.Patch{backlog.Parent: backlog.Value(ref.ID)}); err != nil {
		t.Fatal(err)
	}
	if mv, _ := s.Issue(member); mv.ProjectID != ref.ID || mv.ParentID != "" {
		t.Errorf("after moving: project %q parent %q, want project %s", mv.ProjectID, mv.ParentID, ref.ID)
	}
	// A new issue under the project is created in it.
	child, err := c.Create(t.Context(), backlog.Item{Title: "Invoices as PDF", Parent: ref.ID, Priority: backlog.PriorityNone})
	if err != nil {
		t.Fatal(err)
	}
	if cv, _ := s.Issue(child.ID); cv.ProjectID != ref.ID || cv.ParentID != "" {
		t.Errorf("new child: project %q parent %q", cv.ProjectID, cv.ParentID)
	}

	// A client started later (nothing seen) still reads the project.
	c2, err := connect(t, s, sandbox.BotKey, epics)
	if err != nil {
		t.Fatal(err)
	}
	if it, err := c2.Get(t.Context(), ref.ID); err != nil || it.Kind != backlog.KindEpic {
		t.Errorf("fresh client Get(project) = %+v, %v", it, err)
	}
	if _, err := c2.Get(t.Context(), "00000000-0000-4000-8000-000000000000"); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("Get(nothing) = %v, want ErrNotFound", err)
	}
}

// TestProjectsOffUnchanged: without the option a project is no item and
// an issue's project is not its parent.
func TestProjectsOffUnchanged(t *testing.T) {
	s, c := setup(t, sandbox.Options{})
	launch := s.Projects()[0]
	refs, _, _ := drain(t, t.Context(), c, "")
	if slices.Contains(refIDs(refs), launch.ID) {
		t.Error("the poll lists a project with the option off")
	}
	for _, r := range refs {
		if v, _ := s.Issue(r.ID); v.ProjectID != "" && v.ParentID == "" {
			it, err := c.Get(t.Context(), r.ID)
			if err != nil || it.Parent != "" {
				t.Errorf("Get(%s).Parent = %q, %v; want none", r.Key, it.Parent, err)
			}
			break
		}
	}
}

func TestProjectWebhook(t *testing.T) {
	const team = "team-1"
	body := func(typ string, teams []string) []byte {
		b, _ := json.Marshal(map[string]any{"action": "update", "type": typ, "webhookTimestamp": time.Now().UnixMilli(),
			"data":        map[string]any{"id": "p-1", "updatedAt": "2026-05-01T10:00:00.000Z", "teamIds": teams, "name": "X"},
			"updatedFrom": map[string]any{"name": "Y"}})
		return b
	}
	for _, tc := range []struct {
		name  string
		teams []string
		refs  int
	}{
		{"ours", []string{"other", team}, 1},
		{"another team's", []string{"other"}, 0},
	} {
		b := body("Project", tc.teams)
		d, err := parseWebhook([]byte(testSecret), team, "ENG", hdr(sign(testSecret, b)), b, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Refs) != tc.refs || (tc.refs == 1 && (d.Refs[0].ID != "p-1" || d.Versions["p-1"] == "")) {
			t.Errorf("%s: %+v", tc.name, d)
		}
	}
}

func TestProjectStatusMapping(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		cat  backlog.Category
		back string // the type the category writes
	}{
		{"backlog", backlog.CategoryTodo, "planned"},
		{"planned", backlog.CategoryTodo, "planned"},
		{"started", backlog.CategoryStarted, "started"},
		{"paused", backlog.CategoryStarted, "started"},
		{"completed", backlog.CategoryDone, "completed"},
		{"canceled", backlog.CategoryCanceled, "canceled"},
	} {
		if got := projectCategory(tc.typ); got != tc.cat {
			t.Errorf("projectCategory(%s) = %s, want %s", tc.typ, got, tc.cat)
		}
		if got := projectType(tc.cat); got != tc.back {
			t.Errorf("projectType(%s) = %s, want %s", tc.cat, got, tc.back)
		}
	}
	if got := projectType(backlog.CategoryBacklog); got != "planned" {
		t.Errorf("projectType(backlog) = %s, want planned", got)
	}
}

func TestParentInput(t *testing.T) {
	c := &Client{epics: true}
	c.projects.add("proj")
	for _, tc := range []struct {
		name   string
		in     map[string]any
		create bool
		want   map[string]any
	}{
		{"issue parent", map[string]any{"parentId": "iss"}, false, map[string]any{"parentId": "iss"}},
		{"project parent", map[string]any{"parentId": "proj"}, false, map[string]any{"projectId": "proj", "parentId": nil}},
		{"project parent on create", map[string]any{"parentId": "proj"}, true, map[string]any{"projectId": "proj"}},
		{"no parent", map[string]any{"parentId": nil}, false, map[string]any{"parentId": nil, "projectId": nil}},
		{"no parent on create", map[string]any{"parentId": nil}, true, map[string]any{}},
		{"parent untouched", map[string]any{"title": "x"}, false, map[string]any{"title": "x"}},
	} {
		in := maps.Clone(tc.in)
		c.parentInput(in, tc.create)
		if !maps.Equal(in, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, in, tc.want)
		}
	}
	off := &Client{}
	in := map[string]any{"parentId": "proj"}
	off.parentInput(in, false)
	if !maps.Equal(in, map[string]any{"parentId": "proj"}) {
		t.Errorf("option off: %v", in)
	}
}
