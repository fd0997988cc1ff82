package demo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

// TestEpicsAsProjects runs with parent.jira_epics: linear_projects: the
// seeded Jira epic becomes a Linear project and the seeded Linear project
// a Jira epic, each with its children; then a person renames, describes,
// dates and moves an epic or project on one side, moves issues in and out
// of it, and makes a new one, and the other side shows it with no write
// back to the edited side (no echo), by webhooks and by polling.
func TestEpicsAsProjects(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts EnvOptions
	}{
		// Order mirrored too: an epic's project is in no issue order.
		{"webhooks", EnvOptions{Webhooks: true, PollEvery: time.Hour, OrderMaster: "jira"}},
		{"polling", EnvOptions{Webhooks: false, PollEvery: 250 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) { epicsAsProjects(t, tc.opts) })
	}
}

func epicEnv(t *testing.T, o EnvOptions) *Env {
	t.Helper()
	dir := t.TempDir()
	mapping := filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(mapping, []byte("parent:\n  jira_epics: linear_projects\nlinear:\n  create_labels: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o.MappingFile = mapping
	o.DataDir = filepath.Join(dir, "store")
	e := start(t, o)
	if _, _, err := e.Settle(t.Context(), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return e
}

func epicsAsProjects(t *testing.T, o EnvOptions) {
	e := epicEnv(t, o)
	ctx := t.Context()
	linkOf := func(side backlog.Side, id string) backlog.Link {
		t.Helper()
		l, err := e.App.State.LinkBy(ctx, backlog.Ref{Side: side, ID: id})
		if err != nil {
			t.Fatalf("no link of %s %s: %v", side, id, err)
		}
		return l
	}

	// The seeded Jira epic ⇄ a project; its children ⇄ the project's issues.
	var jepic jirasb.IssueView
	for _, v := range e.Jira.Issues() {
		if v.Type == "Epic" {
			jepic = v
		}
	}
	if jepic.ID == "" {
		t.Fatal("the jira seed has no epic")
	}
	el := linkOf(backlog.Jira, jepic.ID)
	proj, ok := e.Linear.Project(el.Linear.ID)
	if el.Kind != backlog.KindEpic || !ok || proj.Name != jepic.Summary {
		t.Fatalf("epic %s: link %+v, project %+v", jepic.Key, el, proj)
	}
	for _, v := range e.Jira.Issues() {
		if v.Parent == jepic.Key {
			if lv := e.LinearIssue(linkOf(backlog.Jira, v.ID)); lv.ProjectID != proj.ID {
				t.Errorf("child %s of the epic is in project %q in linear, want %s", v.Key, lv.ProjectID, proj.ID)
			}
		}
	}
	// The seeded Linear project ⇄ a Jira epic; its issues ⇄ the epic's children.
	var launch linearsb.ProjectView
	for _, p := range e.Linear.Projects() {
		if p.Name == "Q4 Launch" {
			launch = p
		}
	}
	ll := linkOf(backlog.Linear, launch.ID)
	lepic := e.JiraIssue(ll)
	if ll.Kind != backlog.KindEpic || lepic.Type != "Epic" || lepic.Summary != "Q4 Launch" {
		t.Fatalf("project Q4 Launch: link %+v, jira %+v", ll, lepic)
	}
	members := 0
	for _, l := range mustLinks(t, e) {
		if l.Kind == backlog.KindEpic {
			continue
		}
		if lv := e.LinearIssue(l); lv.ProjectID == launch.ID && lv.ParentID == "" {
			members++
			if jv := e.JiraIssue(l); jv.Parent != lepic.Key {
				t.Errorf("%s in Q4 Launch has jira parent %q, want %s", lv.Identifier, jv.Parent, lepic.Key)
			}
		}
	}
	if members == 0 {
		t.Fatal("no seeded issue in Q4 Launch")
	}

	// Two plain issues to move in and out.
	var movers []backlog.Link
	var skip []string
	for range 2 {
		l, err := e.Pick(ctx, func(v jirasb.IssueView) bool {
			return v.Type != "Epic" && v.Type != "Sub-task" && v.Parent == ""
		}, skip...)
		if err != nil {
			t.Fatal(err)
		}
		if e.LinearIssue(l).ProjectID != "" {
			skip = append(skip, l.ID())
			continue
		}
		movers, skip = append(movers, l), append(skip, l.ID())
	}
	if len(movers) < 2 {
		t.Fatal("not two issues outside any epic")
	}
	P := func() linearsb.ProjectView { v, _ := e.Linear.Project(el.Linear.ID); return v }
	J := func(l backlog.Link) jirasb.IssueView { return e.JiraIssue(l) }
	var newJiraEpic, newProject string
	rows := []fieldRow{
		{name: "epic renamed", side: backlog.Jira,
			edit: func(e *Env, _ []backlog.Link) error {
				return e.Jira.UserEdit(Alice, jepic.ID, map[string]any{"summary": "PDF renderer, take two"})
			},
			want: func(*Env, []backlog.Link) bool { return P().Name == "PDF renderer, take two" }},
		{name: "project renamed", side: backlog.Linear,
			edit: func(e *Env, _ []backlog.Link) error {
				return e.Linear.UserUpdateProject(Bob, launch.ID, map[string]any{"name": "Q4 Launch (web)"})
			},
			want: func(*Env, []backlog.Link) bool { return J(ll).Summary == "Q4 Launch (web)" }},
		{name: "epic described", side: backlog.Jira,
			edit: func(e *Env, _ []backlog.Link) error {
				return e.Jira.UserEdit(Alice, jepic.ID, map[string]any{"description": "Move to the *new* engine."})
			},
			want: func(*Env, []backlog.Link) bool { return P().Content == "Move to the **new** engine." }},
		{name: "project target date", side: backlog.Linear,
			edit: func(e *Env, _ []backlog.Link) error {
				return e.Linear.UserUpdateProject(Bob, el.Linear.ID, map[string]any{"targetDate": "2026-11-30"})
			},
			want: func(*Env, []backlog.Link) bool { return J(el).DueDate == "2026-11-30" }},
		{name: "epic started", side: backlog.Jira,
			edit: func(e *Env, _ []backlog.Link) error { return e.Jira.UserTransition(Alice, jepic.ID, "In Progress") },
			want: func(*Env, []backlog.Link) bool { return P().StatusType == "started" }},
		{name: "project back to planned", side: backlog.Linear,
			edit: func(e *Env, _ []backlog.Link) error {
				return e.Linear.UserUpdateProject(Bob, el.Linear.ID, map[string]any{"statusId": statusIDOf(t, e, "planned")})
			},
			want: func(*Env, []backlog.Link) bool { return J(el).Status == "To Do" }},
		{name: "issue into the epic", side: backlog.Jira,
			edit: func(e *Env, _ []backlog.Link) error {
				return e.Jira.UserEdit(Alice, movers[0].Jira.ID, map[string]any{"parent": map[string]any{"key": jepic.Key}})
			},
			want: func(e *Env, _ []backlog.Link) bool { return e.LinearIssue(movers[0]).ProjectID == el.Linear.ID }},
		{name: "issue into the project", side: backlog.Linear,
			edit: func(e *Env, _ []backlog.Link) error {
				return e.Linear.UserUpdate(Bob, movers[1].Linear.ID, map[string]any{"projectId": el.Linear.ID})
			},
			want: func(*Env, []backlog.Link) bool { return J(movers[1]).Parent == jepic.Key }},
		{name: "issue out of the epic", side: backlog.Jira,
			edit: func(e *Env, _ []backlog.Link) error {
				return e.Jira.UserEdit(Alice, movers[0].Jira.ID, map[string]any{"parent": nil})
			},
			want: func(e *Env, _ []backlog.Link) bool { return e.LinearIssue(movers[0]).ProjectID == "" }},
		{name: "issue out of the project", side: backlog.Linear,
			edit: func(e *Env, _ []backlog.Link) error {
				return e.Linear.UserUpdate(Bob, movers[1].Linear.ID, map[string]any{"projectId": nil})
			},
			want: func(*Env, []backlog.Link) bool { return J(movers[1]).Parent == "" }},
		{name: "new epic", side: backlog.Jira,
			edit: func(e *Env, _ []backlog.Link) error {
				id, _, err := e.Jira.UserCreate(Alice, map[string]any{"summary": "Self-serve billing", "issuetype": map[string]any{"name": "Epic"}})
				newJiraEpic = id
				return err
			},
			want: func(*Env, []backlog.Link) bool {
				for _, p := range e.Linear.Projects() {
					if p.Name == "Self-serve billing" {
						return true
					}
				}
				return false
			}},
		{name: "new project", side: backlog.Linear,
			edit: func(e *Env, _ []backlog.Link) error {
				id, err := e.Linear.UserCreateProject(Bob, "ENG", map[string]any{"name": "Mobile app"})
				newProject = id
				return err
			},
			want: func(*Env, []backlog.Link) bool {
				for _, v := range e.Jira.Issues() {
					if v.Summary == "Mobile app" && v.Type == "Epic" {
						return true
					}
				}
				return false
			}},
	}
	for _, r := range rows {
		r.show = func(*Env, []backlog.Link) string {
			return fmt.Sprintf("project %+v\njira epic %+v\nmovers jira %+v %+v\nlinear %+v %+v", P(), J(el),
				J(movers[0]), J(movers[1]), e.LinearIssue(movers[0]), e.LinearIssue(movers[1]))
		}
		t.Run(string(r.side)+"/"+strings.ReplaceAll(r.name, " ", "_"), func(t *testing.T) { runFieldRow(t, e, r, nil) })
	}
	// A Jira link to the epic is outside what Linear can hold (a project
	// takes no issue relation): left alone, and no pass fails on it.
	if _, err := e.Jira.UserLink(Alice, "Blocks", J(movers[1]).Key, jepic.Key); err != nil {
		t.Fatal(err)
	}
	settleQuiet(t, e)
	if rs := e.Linear.Relations(movers[1].Linear.ID); len(rs) != 0 {
		t.Errorf("a relation to the epic reached linear: %+v", rs)
	}
	if f := e.App.Daemon.Stats().Failures; f != 0 {
		t.Errorf("%d passes failed", f)
	}
	// After a restart the links keep their kind, and an issue moves into
	// a project the new connector has not read yet.
	if err := e.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if l := linkOf(backlog.Jira, jepic.ID); l.Kind != backlog.KindEpic {
		t.Errorf("after the restart the epic's link is %+v", l)
	}
	runFieldRow(t, e, fieldRow{name: "issue into the epic after a restart", side: backlog.Jira,
		edit: func(e *Env, _ []backlog.Link) error {
			return e.Jira.UserEdit(Alice, movers[0].Jira.ID, map[string]any{"parent": map[string]any{"key": lepic.Key}})
		},
		want: func(e *Env, _ []backlog.Link) bool { return e.LinearIssue(movers[0]).ProjectID == launch.ID },
		show: func(e *Env, _ []backlog.Link) string { return fmt.Sprintf("%+v", e.LinearIssue(movers[0])) }}, nil)
	// The new pairs are linked as epic pairs.
	if l := linkOf(backlog.Jira, newJiraEpic); l.Kind != backlog.KindEpic {
		t.Errorf("new epic's link %+v", l)
	}
	if l := linkOf(backlog.Linear, newProject); l.Kind != backlog.KindEpic {
		t.Errorf("new project's link %+v", l)
	}
	rep, err := e.App.Syncer.Diff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.InSync() {
		t.Fatalf("not in sync after the edits: %+v", rep)
	}
	if o.Webhooks {
		return
	}
	// Polling, a round reads Linear once: the projects ride on the issues'
	// query (epicless polls cost the same).
	settleQuiet(t, e)
	e.Linear.ResetCounts()
	r0 := e.App.Daemon.Stats().Rounds
	if _, err := WaitFor(ctx, 10*time.Second, func() bool { return e.App.Daemon.Stats().Rounds >= r0+6 }); err != nil {
		t.Fatal(err)
	}
	rounds := (e.App.Daemon.Stats().Rounds - r0) / 2
	if l := e.Linear.Requests(linearsb.BotEmail); l.Writes != 0 || l.Reads > int(rounds)+1 {
		t.Errorf("%d poll rounds cost linear %d reads, %d writes: %v", rounds, l.Reads, l.Writes, l.ByOperation)
	}
}

func mustLinks(t *testing.T, e *Env) []backlog.Link {
	t.Helper()
	ls, err := e.App.State.Links(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// statusIDOf is the workspace's project status of a type, as a person's
// client reads it.
func statusIDOf(t *testing.T, e *Env, typ string) string {
	t.Helper()
	for _, s := range e.Linear.ProjectStatuses() {
		if s.Type == typ {
			return s.ID
		}
	}
	t.Fatalf("no project status of type %s", typ)
	return ""
}
