package jira

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

const (
	aliceID = "5b10a2844c20165700ede21g"
	bobID   = "5b109f2e9729b51b54dc274d"
)

// logBuf collects log lines for assertions.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

// logTo makes the connector log into buf as well as the test output.
func logTo(t *testing.T, buf *logBuf) func(*sandbox.Server, *Config) {
	return func(_ *sandbox.Server, cfg *Config) {
		cfg.Log = slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), buf), nil))
	}
}

// TestApplyFields writes each field through Apply, including removals,
// and checks the sandbox's issue and what Get reads back (which must be
// what Project predicts).
func TestApplyFields(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	const epic = "TAN-9" // the seeded epic
	epicView, _ := e.sb.Issue(epic)
	id, _, err := e.sb.UserCreate("alice@example.com", map[string]any{"summary": "fields", "labels": []string{"keep", "old"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		patch backlog.Patch
		check func(v sandbox.IssueView) bool
		want  backlog.Snapshot // canonical values Get must read
	}{
		{"assignee set", backlog.Patch{backlog.Assignee: "alice@example.com"}, func(v sandbox.IssueView) bool { return v.Assignee == "alice@example.com" },
			backlog.Snapshot{backlog.Assignee: "alice@example.com"}},
		{"assignee other case", backlog.Patch{backlog.Assignee: "Bob@Example.com"}, func(v sandbox.IssueView) bool { return v.Assignee == "bob@example.com" },
			backlog.Snapshot{backlog.Assignee: "bob@example.com"}},
		{"assignee cleared", backlog.Patch{backlog.Assignee: ""}, func(v sandbox.IssueView) bool { return v.Assignee == "" },
			backlog.Snapshot{backlog.Assignee: ""}},
		{"labels added and removed", backlog.Patch{backlog.Labels: "+new\n-old"}, func(v sandbox.IssueView) bool { return strings.Join(v.Labels, ",") == "keep,new" },
			backlog.Snapshot{backlog.Labels: "keep\nnew"}},
		{"label with a space skipped", backlog.Patch{backlog.Labels: "+has space\n+ok"}, func(v sandbox.IssueView) bool { return strings.Join(v.Labels, ",") == "keep,new,ok" },
			backlog.Snapshot{backlog.Labels: "keep\nnew\nok"}},
		{"labels all removed", backlog.Patch{backlog.Labels: "-keep\n-new\n-ok"}, func(v sandbox.IssueView) bool { return len(v.Labels) == 0 },
			backlog.Snapshot{backlog.Labels: ""}},
		{"estimate", backlog.Patch{backlog.Estimate: "5"}, func(v sandbox.IssueView) bool { return v.StoryPoints != nil && *v.StoryPoints == 5 },
			backlog.Snapshot{backlog.Estimate: "5"}},
		{"estimate fraction", backlog.Patch{backlog.Estimate: "0.5"}, func(v sandbox.IssueView) bool { return v.StoryPoints != nil && *v.StoryPoints == 0.5 },
			backlog.Snapshot{backlog.Estimate: "0.5"}},
		{"estimate cleared", backlog.Patch{backlog.Estimate: ""}, func(v sandbox.IssueView) bool { return v.StoryPoints == nil },
			backlog.Snapshot{backlog.Estimate: ""}},
		{"due date", backlog.Patch{backlog.DueDate: "2027-02-28"}, func(v sandbox.IssueView) bool { return v.DueDate == "2027-02-28" },
			backlog.Snapshot{backlog.DueDate: "2027-02-28"}},
		{"due date unset", backlog.Patch{backlog.DueDate: ""}, func(v sandbox.IssueView) bool { return v.DueDate == "" },
			backlog.Snapshot{backlog.DueDate: ""}},
		{"parent", backlog.Patch{backlog.Parent: backlog.Value(epicView.ID)}, func(v sandbox.IssueView) bool { return v.Parent == epic },
			backlog.Snapshot{backlog.Parent: backlog.Value(epicView.ID)}},
		{"parent removed", backlog.Patch{backlog.Parent: ""}, func(v sandbox.IssueView) bool { return v.Parent == "" },
			backlog.Snapshot{backlog.Parent: ""}},
		{"sprint", backlog.Patch{backlog.Sprint: "TAN Sprint 2"}, func(v sandbox.IssueView) bool { return slices.Equal(v.Sprints, []string{"TAN Sprint 2"}) },
			backlog.Snapshot{backlog.Sprint: "TAN Sprint 2"}},
		{"sprint changed", backlog.Patch{backlog.Sprint: "TAN Sprint 3"}, func(v sandbox.IssueView) bool { return slices.Equal(v.Sprints, []string{"TAN Sprint 3"}) },
			backlog.Snapshot{backlog.Sprint: "TAN Sprint 3"}},
		{"sprint removed", backlog.Patch{backlog.Sprint: ""}, func(v sandbox.IssueView) bool { return len(v.Sprints) == 0 },
			backlog.Snapshot{backlog.Sprint: ""}},
		{"closed sprint means backlog", backlog.Patch{backlog.Sprint: "TAN Sprint 1"}, func(v sandbox.IssueView) bool { return len(v.Sprints) == 0 },
			backlog.Snapshot{backlog.Sprint: ""}},
		{"everything at once", backlog.Patch{
			backlog.Assignee: "alice@example.com", backlog.Labels: "+x", backlog.Estimate: "3", backlog.DueDate: "2027-01-01",
			backlog.Parent: backlog.Value(epicView.ID), backlog.Sprint: "TAN Sprint 2", backlog.Title: "all", backlog.Priority: "high",
		}, func(v sandbox.IssueView) bool {
			return v.Assignee == "alice@example.com" && slices.Equal(v.Labels, []string{"x"}) && *v.StoryPoints == 3 && v.DueDate == "2027-01-01" &&
				v.Parent == epic && slices.Equal(v.Sprints, []string{"TAN Sprint 2"}) && v.Summary == "all" && v.Priority == "High"
		}, backlog.Snapshot{backlog.Assignee: "alice@example.com", backlog.Labels: "x", backlog.Estimate: "3", backlog.DueDate: "2027-01-01",
			backlog.Parent: backlog.Value(epicView.ID), backlog.Sprint: "TAN Sprint 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := e.c.Apply(ctx(t), id, tc.patch); err != nil {
				t.Fatal(err)
			}
			v, _ := e.sb.Issue(id)
			if !tc.check(v) {
				t.Errorf("after %q: %+v", tc.patch, v)
			}
			got, err := e.c.Get(ctx(t), id)
			if err != nil {
				t.Fatal(err)
			}
			for f, want := range tc.want {
				if g := got.Get(f); g != want {
					t.Errorf("Get %s = %q, want %q", f, g, want)
				}
				if f == backlog.Labels {
					continue // a patch carries a delta, not the value
				}
				if p := e.c.Project(f, tc.patch[f]); p != want {
					t.Errorf("Project(%s, %q) = %q, but Get reads %q", f, tc.patch[f], p, want)
				}
			}
		})
	}
}

// TestLabelDeltaKeepsConcurrentLabels: a label someone added between our
// read and our write survives the write.
func TestLabelDeltaKeepsConcurrentLabels(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: -1})
	id, _, _ := e.sb.UserCreate("alice@example.com", map[string]any{"summary": "l", "labels": []string{"a"}})
	if err := e.sb.UserEdit("bob@example.com", id, map[string]any{"labels": []string{"a", "human"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Apply(ctx(t), id, backlog.Patch{backlog.Labels: backlog.LabelPatch("a", "b")}); err != nil {
		t.Fatal(err)
	}
	if v, _ := e.sb.Issue(id); strings.Join(v.Labels, ",") != "b,human" {
		t.Errorf("labels %v, want b,human", v.Labels)
	}
}

// TestGetFields reads fields people set in Jira.
func TestGetFields(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	epic, _ := e.sb.Issue("TAN-9")
	id, _, err := e.sb.UserCreate("alice@example.com", map[string]any{
		"summary": "read me", "assignee": map[string]string{"accountId": bobID}, "labels": []string{"z", "a"},
		sandbox.StoryPointsField: 13, "duedate": "2027-05-06", "parent": map[string]string{"key": "TAN-9"},
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, want backlog.Snapshot) {
		t.Helper()
		got, err := e.c.Get(ctx(t), id)
		if err != nil {
			t.Fatal(err)
		}
		for f, w := range want {
			if g := got.Get(f); g != w {
				t.Errorf("%s: %s = %q, want %q", name, f, g, w)
			}
		}
	}
	check("created", backlog.Snapshot{backlog.Assignee: "bob@example.com", backlog.Labels: "a\nz", backlog.Estimate: "13",
		backlog.DueDate: "2027-05-06", backlog.Parent: backlog.Value(epic.ID), backlog.Sprint: ""})
	if err := e.sb.UserSprint("alice@example.com", id, "TAN Sprint 2"); err != nil {
		t.Fatal(err)
	}
	check("in the active sprint", backlog.Snapshot{backlog.Sprint: "TAN Sprint 2"})
	e.sb.CloseSprint("TAN Sprint 2")
	check("its sprint closed", backlog.Snapshot{backlog.Sprint: "TAN Sprint 2"})
	if err := e.sb.UserSprint("alice@example.com", id, "TAN Sprint 3"); err != nil {
		t.Fatal(err)
	}
	check("closed and future sprints", backlog.Snapshot{backlog.Sprint: "TAN Sprint 3"})
	if err := e.sb.UserEdit("alice@example.com", id, map[string]any{"assignee": nil, "labels": []string{}, sandbox.StoryPointsField: nil, "duedate": nil, "parent": nil}); err != nil {
		t.Fatal(err)
	}
	check("cleared", backlog.Snapshot{backlog.Assignee: "", backlog.Labels: "", backlog.Estimate: "", backlog.DueDate: "", backlog.Parent: ""})
}

// TestUnknownAssignee: an email with no Jira account is written as
// unassigned, never as someone else, and logged once.
func TestUnknownAssignee(t *testing.T) {
	var logs logBuf
	e := newEnvWith(t, sandbox.Options{SeedIssues: -1}, logTo(t, &logs))
	id, _, _ := e.sb.UserCreate("alice@example.com", map[string]any{"summary": "u", "assignee": map[string]string{"accountId": aliceID}})
	if got := e.c.Project(backlog.Assignee, "nobody@example.com"); got != "" {
		t.Errorf("Project(unknown) = %q", got)
	}
	// Prefixes of real emails and display names are not matches.
	for _, who := range []string{"nobody@example.com", "alice@example", "Alice Example", "nobody@example.com"} {
		if err := e.c.Apply(ctx(t), id, backlog.Patch{backlog.Assignee: backlog.Value(who)}); err != nil {
			t.Fatal(err)
		}
		if v, _ := e.sb.Issue(id); v.Assignee != "" {
			t.Fatalf("%q assigned %q", who, v.Assignee)
		}
	}
	if n := logs.count(`email=nobody@example.com`); n != 1 {
		t.Errorf("unknown email logged %d times, want once", n)
	}
}

// TestHiddenEmail: Jira hides Bob's email; an override in Config.Users
// names him both ways, and without one he reads as unassigned (logged
// once) and cannot be assigned by email.
func TestHiddenEmail(t *testing.T) {
	var logs logBuf
	e := newEnvWith(t, sandbox.Options{SeedIssues: -1}, func(sb *sandbox.Server, cfg *Config) {
		sb.HideEmail("bob@example.com", true)
		sb.HideEmail("carol@example.com", true)
		cfg.Users = map[string]string{"Bob.Private@example.com": bobID}
		logTo(t, &logs)(sb, cfg)
	})
	id, _, _ := e.sb.UserCreate("alice@example.com", map[string]any{"summary": "h"})
	if err := e.c.Apply(ctx(t), id, backlog.Patch{backlog.Assignee: "bob.private@example.com"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := e.sb.Issue(id); v.Assignee != "bob@example.com" {
		t.Fatalf("override not used: %q", v.Assignee)
	}
	got, _ := e.c.Get(ctx(t), id)
	if got.Assignee != "bob.private@example.com" || e.c.Project(backlog.Assignee, "bob.private@example.com") != "bob.private@example.com" {
		t.Errorf("read %q", got.Assignee)
	}
	if err := e.c.Apply(ctx(t), id, backlog.Patch{backlog.Assignee: "carol@example.com"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := e.sb.Issue(id); v.Assignee != "" {
		t.Fatalf("carol's hidden email matched: %q", v.Assignee)
	}
	_ = e.sb.UserEdit("alice@example.com", id, map[string]any{"assignee": map[string]string{"accountId": "5b10ac8d82e05b22cc7d4ef6"}})
	for range 2 {
		if got, _ := e.c.Get(ctx(t), id); got.Assignee != "" {
			t.Errorf("hidden email read as %q", got.Assignee)
		}
	}
	if n := logs.count("accountId=5b10ac8d82e05b22cc7d4ef6"); n != 1 {
		t.Errorf("hidden assignee logged %d times, want once", n)
	}
}

// TestApplyCallCounts: every field but status and sprint goes in one edit;
// the sprint costs one Agile call; the status its transitions.
func TestApplyCallCounts(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	epic, _ := e.sb.Issue("TAN-9")
	id, _, _ := e.sb.UserCreate("alice@example.com", map[string]any{"summary": "calls", "labels": []string{"old"}})
	all := backlog.Patch{
		backlog.Title: "t", backlog.Description: "d", backlog.Priority: "low", backlog.Assignee: "alice@example.com",
		backlog.Labels: "+n\n-old", backlog.Estimate: "2", backlog.DueDate: "2027-01-02", backlog.Parent: backlog.Value(epic.ID),
	}
	for _, tc := range []struct {
		name   string
		patch  backlog.Patch
		writes map[string]int
	}{
		{"one edit for eight fields", all, map[string]int{"PUT /rest/api/2/issue/{}": 1}},
		{"sprint alone", backlog.Patch{backlog.Sprint: "TAN Sprint 2"}, map[string]int{"POST /rest/agile/1.0/sprint/{}/issue": 1}},
		{"sprint removed", backlog.Patch{backlog.Sprint: ""}, map[string]int{"POST /rest/agile/1.0/backlog/issue": 1}},
		{"fields, sprint and status", backlog.Patch{backlog.Title: "t2", backlog.Labels: "+m", backlog.Sprint: "TAN Sprint 3", backlog.Status: "started:In Progress"},
			map[string]int{"PUT /rest/api/2/issue/{}": 1, "POST /rest/agile/1.0/sprint/{}/issue": 1, "POST /rest/api/2/issue/{}/transitions": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.sb.ResetCounts()
			if err := e.c.Apply(ctx(t), id, tc.patch); err != nil {
				t.Fatal(err)
			}
			n := e.sb.Requests(sandbox.BotEmail)
			total := 0
			for op, want := range tc.writes {
				total += want
				if n.ByOperation[op] != want {
					t.Errorf("%s: %d calls, want %d (%v)", op, n.ByOperation[op], want, n.ByOperation)
				}
			}
			if n.Writes != total {
				t.Errorf("%d writes, want %d: %v", n.Writes, total, n.ByOperation)
			}
		})
	}
}

// TestCreateAllFields: one create call carries every field it can; the
// sprint follows through the Agile API; Get reads what Project predicts.
func TestCreateAllFields(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	epic, _ := e.sb.Issue("TAN-9")
	story, _ := e.sb.Issue("TAN-3")
	est := 8.0
	for _, tc := range []struct {
		name     string
		it       backlog.Item
		wantType string
		ops      map[string]int
	}{
		{"story under an epic", backlog.Item{Title: "all", Assignee: "carol@example.com", Labels: []string{"b", "a", "bad label"}, Estimate: &est,
			DueDate: "2027-07-07", Parent: epic.ID, Sprint: "TAN Sprint 2", Priority: backlog.PriorityHigh},
			"Story", map[string]int{"POST /rest/api/2/issue": 1, "POST /rest/agile/1.0/sprint/{}/issue": 1}},
		{"sub-task under a story", backlog.Item{Title: "sub", Parent: story.ID},
			"Sub-task", map[string]int{"POST /rest/api/2/issue": 1}},
		{"unknown sprint and assignee", backlog.Item{Title: "x", Sprint: "Cycle 9", Assignee: "zed@example.com"},
			"Story", map[string]int{"POST /rest/api/2/issue": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.it.Origin = backlog.Ref{Side: backlog.Linear, ID: "create-" + tc.name}
			e.sb.ResetCounts()
			ref, err := e.c.Create(ctx(t), tc.it)
			if err != nil {
				t.Fatal(err)
			}
			n := e.sb.Requests(sandbox.BotEmail)
			for op, want := range tc.ops {
				if n.ByOperation[op] != want {
					t.Errorf("%s: %d calls, want %d", op, n.ByOperation[op], want)
				}
			}
			if v, _ := e.sb.Issue(ref.ID); v.Type != tc.wantType {
				t.Errorf("type %s, want %s", v.Type, tc.wantType)
			}
			got, err := e.c.Get(ctx(t), ref.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []backlog.Field{backlog.Title, backlog.Assignee, backlog.Labels, backlog.Estimate, backlog.DueDate, backlog.Parent, backlog.Sprint} {
				if want := e.c.Project(f, tc.it.Get(f)); got.Get(f) != want {
					t.Errorf("%s reads %q, Project predicted %q", f, got.Get(f), want)
				}
			}
		})
	}
}

// TestApplyRefusedField: a parent Jira's hierarchy refuses does not keep
// the other fields of the patch from being written; Apply reports the
// refusal as permanent.
func TestApplyRefusedField(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	other, _ := e.sb.Issue("TAN-4") // a story: not a valid parent of a story
	id, _, _ := e.sb.UserCreate("alice@example.com", map[string]any{"summary": "before"})
	e.sb.ResetCounts()
	err := e.c.Apply(ctx(t), id, backlog.Patch{backlog.Title: "after", backlog.Parent: backlog.Value(other.ID), backlog.Estimate: "3"})
	if !connectors.IsPermanent(err) || !strings.Contains(err.Error(), "parent") {
		t.Fatalf("refused parent: %v", err)
	}
	v, _ := e.sb.Issue(id)
	if v.Summary != "after" || v.Parent != "" || v.StoryPoints == nil || *v.StoryPoints != 3 {
		t.Errorf("after a refused parent: %+v", v)
	}
	if n := e.sb.Requests(sandbox.BotEmail).ByOperation["PUT /rest/api/2/issue/{}"]; n != 2 {
		t.Errorf("%d edits, want 2", n)
	}
	// A patch of only the refused field is a refusal too.
	err = e.c.Apply(ctx(t), id, backlog.Patch{backlog.Parent: backlog.Value(other.ID)})
	var refused *connectors.RefusedError
	if !connectors.IsPermanent(err) || !errors.As(err, &refused) || !slices.Equal(refused.Fields, []backlog.Field{backlog.Parent}) {
		t.Errorf("parent alone: %v", err)
	}
}

// TestApplySubtaskSprint: a sub-task cannot change sprint; the status of
// the same patch is still written and the refusal is permanent.
func TestApplySubtaskSprint(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	story, _ := e.sb.Issue("TAN-3")
	ref, err := e.c.Create(ctx(t), backlog.Item{Title: "sub", Parent: story.ID, Origin: backlog.Ref{Side: backlog.Linear, ID: "sub-1"}})
	if err != nil {
		t.Fatal(err)
	}
	err = e.c.Apply(ctx(t), ref.ID, backlog.Patch{backlog.Sprint: "TAN Sprint 2", backlog.Status: "started:In Progress"})
	if !connectors.IsPermanent(err) {
		t.Fatalf("sprint of a sub-task: %v", err)
	}
	if v, _ := e.sb.Issue(ref.ID); v.Status != "In Progress" || v.Type != "Sub-task" {
		t.Errorf("status not written after the refused sprint: %+v", v)
	}
}
