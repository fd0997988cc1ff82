package jira

import (
	"slices"
	"testing"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

// TestScopeJQL: Config.JQL narrows Changed and Order to matching issues.
func TestScopeJQL(t *testing.T) {
	e := newEnvWith(t, sandbox.Options{}, func(sb *sandbox.Server, cfg *Config) {
		cfg.JQL = `labels = auth OR priority = Highest`
	})
	// Seeded: TAN-2 (bug, auth, Highest) and TAN-3 (auth) match.
	want := []string{"TAN-2", "TAN-3"}
	var keys []string
	cur := ""
	for range 10 {
		p, err := e.c.Changed(ctx(t), cur)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Refs {
			keys = append(keys, r.Key)
		}
		cur = p.Next
		if !p.More {
			break
		}
	}
	slices.Sort(keys)
	if !slices.Equal(slices.Compact(keys), want) {
		t.Errorf("Changed in scope: %v, want %v", keys, want)
	}
	ids, err := e.c.Order(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 {
		t.Errorf("Order in scope: %v", ids)
	}
	// An issue entering the scope shows up in the next poll.
	if err := e.sb.UserEdit("alice@example.com", "TAN-4", map[string]any{"labels": []string{"auth"}}); err != nil {
		t.Fatal(err)
	}
	p, err := e.c.Changed(ctx(t), cur)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range p.Refs {
		found = found || r.Key == "TAN-4"
		if r.Key != "TAN-2" && r.Key != "TAN-3" && r.Key != "TAN-4" {
			t.Errorf("out-of-scope %s listed", r.Key)
		}
	}
	if !found {
		t.Errorf("TAN-4 entered the scope but was not listed: %+v", p.Refs)
	}
}

// TestScopeJQLInvalid: New refuses a scope Jira cannot parse.
func TestScopeJQLInvalid(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: -1})
	cfg := e.c.cfg
	cfg.JQL = `labels = = nonsense (`
	if _, err := New(ctx(t), cfg); err == nil {
		t.Fatal("New accepted an unparsable scope")
	}
}

func TestMetadata(t *testing.T) {
	e := newEnvWith(t, sandbox.Options{}, func(sb *sandbox.Server, cfg *Config) {
		sb.HideEmail("bob@example.com", true)
	})
	if err := e.c.Apply(ctx(t), "TAN-3", backlog.Patch{backlog.Status: "started:In Progress"}); err != nil {
		t.Fatal(err)
	}
	m, err := e.c.Metadata(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if m.Project != "TAN" || m.IssueType != "Story" || m.SubtaskType != "Sub-task" || m.EstimateField != sandbox.StoryPointsField || m.SprintField != sandbox.SprintField {
		t.Errorf("basics: %+v", m)
	}
	if len(m.Statuses) != 5 || m.Statuses[4].Name != "Won't Do" || m.Statuses[4].Category != "canceled" {
		t.Errorf("statuses %+v", m.Statuses)
	}
	if !slices.Equal(m.Priorities, []string{"Highest", "High", "Medium", "Low", "Lowest"}) {
		t.Errorf("priorities %v", m.Priorities)
	}
	if !slices.Contains(m.Labels, "infra") || !slices.IsSorted(m.Labels) {
		t.Errorf("labels %v", m.Labels)
	}
	emails := map[string]string{}
	for _, u := range m.Users {
		emails[u.Name] = u.Email
	}
	if emails["Alice Example"] != "alice@example.com" || emails["Bob Example"] != "" || len(m.Users) != 4 {
		t.Errorf("users %+v", m.Users)
	}
	if len(m.Sprints) != 2 || m.Sprints[0].Name != "TAN Sprint 2" || m.Sprints[0].State != "active" {
		t.Errorf("sprints %+v", m.Sprints)
	}
	if len(m.Fields) != 3 {
		t.Errorf("custom fields %+v", m.Fields)
	}
	if len(m.Transitions) == 0 || !slices.ContainsFunc(m.Transitions, func(tr MetaTransition) bool { return tr.From == "To Do" && tr.To == "In Progress" }) {
		t.Errorf("transitions %+v", m.Transitions)
	}
}
