package demo

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

// openSprint is the sprint a Jira issue is in now ("" in the backlog): the
// last of its Sprint field when no sprint was closed.
func openSprint(v jirasb.IssueView) string {
	if len(v.Sprints) == 0 {
		return ""
	}
	return v.Sprints[len(v.Sprints)-1]
}

// TestSprintsByDates runs in the sandboxes' default world, where no sprint
// and cycle share a name: Jira's active "TAN Sprint 2" is Linear's current
// unnamed "Cycle 2" by their dates, the future "TAN Sprint 3" (no dates
// yet) the next cycle ("Hardening") by order. A sprint scheduled while the
// daemon runs, after every cycle, gets a cycle of its own
// (linear.create_cycles). Each row is a person's edit on one side; the
// other side must show it and the edited side gets no write (no echo).
func TestSprintsByDates(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts EnvOptions
	}{
		{"webhooks", EnvOptions{Webhooks: true, PollEvery: time.Hour}},
		{"polling", EnvOptions{Webhooks: false, PollEvery: 250 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) { sprintsByDates(t, tc.opts) })
	}
}

func sprintsByDates(t *testing.T, o EnvOptions) {
	dir := t.TempDir()
	mapping := filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(mapping, []byte("linear:\n  create_cycles: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o.MappingFile, o.DataDir = mapping, filepath.Join(dir, "store")
	e := start(t, o)
	ctx := t.Context()
	if _, _, err := e.Settle(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	var ls []backlog.Link
	var skip []string
	for range 4 {
		l, err := e.Pick(ctx, func(v jirasb.IssueView) bool {
			return v.Type != "Epic" && v.Type != "Sub-task" && v.Parent == ""
		}, skip...)
		if err != nil {
			t.Fatal(err)
		}
		ls, skip = append(ls, l), append(skip, l.ID())
	}
	_, cycleIDs := linearCatalog(t, e)
	if cycleIDs["Cycle 2"] == "" || cycleIDs["Hardening"] == "" {
		t.Fatalf("linear seed cycles %v", cycleIDs)
	}
	// Tandem's own cycles, for the create_cycles rows: after the last one.
	cycles := e.Linear.Cycles("ENG")
	last := cycles[len(cycles)-1].EndsAt
	const sprint4 = "TAN Sprint 4"

	J := func(l backlog.Link) jirasb.IssueView { return e.JiraIssue(l) }
	L := func(l backlog.Link) linearsb.IssueView { return e.LinearIssue(l) }
	jiraSprint := func(k int, name string) func(*Env, []backlog.Link) error {
		return func(e *Env, ls []backlog.Link) error { return e.Jira.UserSprint(Alice, ls[k].Jira.ID, name) }
	}
	linearCycle := func(k int, name string) func(*Env, []backlog.Link) error {
		return func(e *Env, ls []backlog.Link) error {
			var id any
			if name != "" {
				_, ids := linearCatalog(t, e)
				if ids[name] == "" {
					return fmt.Errorf("no linear cycle %q: %v", name, ids)
				}
				id = ids[name]
			}
			return e.Linear.UserUpdate(Bob, ls[k].Linear.ID, map[string]any{"cycleId": id})
		}
	}
	inCycle := func(k int, name string) func(*Env, []backlog.Link) bool {
		return func(e *Env, ls []backlog.Link) bool { return L(ls[k]).Cycle == name }
	}
	inSprint := func(k int, name string) func(*Env, []backlog.Link) bool {
		return func(e *Env, ls []backlog.Link) bool { return openSprint(J(ls[k])) == name }
	}
	rows := []fieldRow{
		{name: "active sprint to the current unnamed cycle", side: backlog.Jira, link: 0, edit: jiraSprint(0, "TAN Sprint 2"), want: inCycle(0, "Cycle 2")},
		{name: "future sprint to the next cycle", side: backlog.Jira, link: 0, edit: jiraSprint(0, "TAN Sprint 3"), want: inCycle(0, "Hardening")},
		{name: "back to the backlog", side: backlog.Jira, link: 0, edit: jiraSprint(0, ""), want: inCycle(0, "")},
		{name: "current cycle to the active sprint", side: backlog.Linear, link: 1, edit: linearCycle(1, "Cycle 2"), want: inSprint(1, "TAN Sprint 2")},
		{name: "next cycle to the future sprint", side: backlog.Linear, link: 1, edit: linearCycle(1, "Hardening"), want: inSprint(1, "TAN Sprint 3")},
		{name: "cycle removed", side: backlog.Linear, link: 1, edit: linearCycle(1, ""), want: inSprint(1, "")},
		{name: "a new scheduled sprint gets a new cycle (create_cycles)", side: backlog.Jira, link: 2,
			edit: func(e *Env, ls []backlog.Link) error {
				// Scheduled on the board while Tandem runs: no restart.
				e.Jira.AddScheduledSprint(sprint4, jirasb.SprintFuture, last, last.Add(14*24*time.Hour))
				return e.Jira.UserSprint(Alice, ls[2].Jira.ID, sprint4)
			},
			want: inCycle(2, sprint4)},
		{name: "the created cycle to its sprint", side: backlog.Linear, link: 3, edit: linearCycle(3, sprint4), want: inSprint(3, sprint4)},
	}
	for i := range rows {
		r := &rows[i]
		k := r.link
		if r.side == backlog.Jira {
			r.show = func(e *Env, ls []backlog.Link) string { return fmt.Sprintf("linear %+v", L(ls[k])) }
		} else {
			r.show = func(e *Env, ls []backlog.Link) string { return fmt.Sprintf("jira %+v", J(ls[k])) }
		}
	}
	settleQuiet(t, e)
	for _, r := range rows {
		t.Run(string(r.side)+"/"+strings.ReplaceAll(r.name, " ", "_"), func(t *testing.T) {
			writes := func() (int, int) {
				return e.Jira.Requests(jirasb.BotEmail).Writes, e.Linear.Requests(linearsb.BotEmail).Writes
			}
			j0, l0 := writes()
			if err := r.edit(e, ls); err != nil {
				t.Fatalf("edit: %v", err)
			}
			if _, err := WaitFor(ctx, 10*time.Second, func() bool { return r.want(e, ls) }); err != nil {
				t.Fatalf("not propagated: %s: %v", r.show(e, ls), err)
			}
			settleQuiet(t, e)
			j1, l1 := writes()
			edited, other := j1-j0, l1-l0
			if r.side == backlog.Linear {
				edited, other = other, edited
			}
			if edited != 0 {
				t.Errorf("tandem wrote %d times back to the edited %s side (echo)\njira ops %v\nlinear ops %v", edited, r.side,
					e.Jira.Requests(jirasb.BotEmail).ByOperation, e.Linear.Requests(linearsb.BotEmail).ByOperation)
			}
			if other == 0 {
				t.Errorf("no write on the other side, yet it shows the value")
			}
			if !r.want(e, ls) {
				t.Errorf("value did not hold after settling: %s", r.show(e, ls))
			}
		})
	}
	// One cycle was made, once, named and dated as the sprint.
	var made []linearsb.CycleView
	for _, c := range e.Linear.Cycles("ENG") {
		if c.Name == sprint4 {
			made = append(made, c)
		}
	}
	if len(made) != 1 || !made[0].StartsAt.Equal(last) || !made[0].EndsAt.Equal(last.Add(14*24*time.Hour)) {
		t.Errorf("cycles named %q: %+v", sprint4, made)
	}
	if n := e.Linear.Requests(linearsb.BotEmail).ByOperation["cycleCreate"]; n != 1 {
		t.Errorf("%d cycleCreate calls, want 1", n)
	}
	// Idle: polls (or nothing) and no sprint or cycle list read.
	settleQuiet(t, e)
	e.Jira.ResetCounts()
	e.Linear.ResetCounts()
	time.Sleep(time.Second)
	settleQuiet(t, e)
	jops, lops := e.Jira.Requests(jirasb.BotEmail).ByOperation, e.Linear.Requests(linearsb.BotEmail).ByOperation
	if jops["GET /rest/agile/1.0/board"]+jops["GET /rest/agile/1.0/board/{}/sprint"] != 0 || lops["team"]+lops["cycles"] != 0 {
		t.Errorf("an idle daemon read sprints or cycles: jira %v linear %v", jops, lops)
	}
	if !o.Webhooks && (len(jops) == 0 || len(lops) == 0) {
		t.Errorf("no polls counted while idle: jira %v linear %v", jops, lops)
	}
	rep, err := e.App.Syncer.Diff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.InSync() {
		t.Fatalf("not in sync after the edits: %+v", rep)
	}
}

// TestSprintCycleMadeLater: without create_cycles a sprint scheduled after
// every cycle leaves its issues out of any cycle in Linear; when a person
// makes a cycle over its dates and moves another issue into it, both
// issues end up in the sprint and the cycle (the first one's Jira side is
// not cleared).
func TestSprintCycleMadeLater(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts EnvOptions
	}{
		{"webhooks", EnvOptions{Webhooks: true, PollEvery: time.Hour}},
		{"polling", EnvOptions{Webhooks: false, PollEvery: 250 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) { sprintCycleMadeLater(t, tc.opts) })
	}
}

func sprintCycleMadeLater(t *testing.T, o EnvOptions) {
	o.DataDir = filepath.Join(t.TempDir(), "store")
	logs := &syncBuffer{}
	o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e := start(t, o)
	ctx := t.Context()
	if _, _, err := e.Settle(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	a, err := e.Pick(ctx, func(v jirasb.IssueView) bool { return v.Type != "Epic" && v.Type != "Sub-task" && v.Parent == "" })
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Pick(ctx, func(v jirasb.IssueView) bool { return v.Type != "Epic" && v.Type != "Sub-task" && v.Parent == "" }, a.ID())
	if err != nil {
		t.Fatal(err)
	}
	cycles := e.Linear.Cycles("ENG")
	from := cycles[len(cycles)-1].EndsAt
	to := from.Add(14 * 24 * time.Hour)
	e.Jira.AddScheduledSprint("TAN Sprint 5", jirasb.SprintFuture, from, to)
	if err := e.Jira.UserSprint(Alice, a.Jira.ID, "TAN Sprint 5"); err != nil {
		t.Fatal(err)
	}
	settleQuiet(t, e)
	if got := e.LinearIssue(a).Cycle; got != "" {
		t.Fatalf("linear twin in cycle %q before any cycle covers the sprint", got)
	}
	// Another issue into the sprint, and edits of both: still one warning.
	if err := e.Jira.UserSprint(Alice, b.Jira.ID, "TAN Sprint 5"); err != nil {
		t.Fatal(err)
	}
	settleQuiet(t, e)
	for _, l := range []backlog.Link{a, b} {
		if err := e.Jira.UserEdit(Alice, l.Jira.ID, map[string]any{"summary": "moved to sprint 5 " + l.Jira.Key}); err != nil {
			t.Fatal(err)
		}
	}
	settleQuiet(t, e)
	if n := strings.Count(logs.String(), "TAN Sprint 5"); n != 1 || !strings.Contains(logs.String(), "level=WARN") {
		t.Fatalf("%d log lines name the sprint, want one warning:\n%s", n, logs)
	}
	if n := e.Linear.Requests(linearsb.BotEmail).ByOperation["cycleCreate"]; n != 0 {
		t.Fatalf("%d cycles created without create_cycles", n)
	}
	// A person makes the cycle (unnamed: "Cycle 4") and moves b into it.
	id, err := e.Linear.UserCreateCycle(linearsb.BobEmail, "ENG", "", from, to)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Linear.UserUpdate(Bob, b.Linear.ID, map[string]any{"cycleId": id}); err != nil {
		t.Fatal(err)
	}
	// The cycle may be met within 10 s of the read that found the sprint:
	// then it is read (and both pairs synced) when those are up.
	if _, err := WaitFor(ctx, 30*time.Second, func() bool {
		return openSprint(e.JiraIssue(b)) == "TAN Sprint 5" && e.LinearIssue(a).Cycle == "Cycle 4"
	}); err != nil {
		t.Fatalf("jira b %v, linear a %q: %v", e.JiraIssue(b).Sprints, e.LinearIssue(a).Cycle, err)
	}
	settleQuiet(t, e)
	if s := openSprint(e.JiraIssue(a)); s != "TAN Sprint 5" {
		t.Errorf("jira a left its sprint: %q", s)
	}
	if c := e.LinearIssue(b).Cycle; c != "Cycle 4" {
		t.Errorf("linear b in %q", c)
	}
	rep, err := e.App.Syncer.Diff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.InSync() {
		t.Fatalf("not in sync: %+v", rep)
	}
}

// syncBuffer is a bytes.Buffer safe for the daemon's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
