package main

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/demo"
	"github.com/tandem-sync/tandem/store"
)

const adminToken = "cli-test-admin-token-0123456789"

// conflictWorld is a running Tandem with the manual policy and one open
// conflict on a title.
func conflictWorld(t *testing.T) (*demo.Env, backlog.Link, backlog.Conflict) {
	t.Helper()
	ctx := t.Context()
	e, err := demo.StartEnv(ctx, demo.EnvOptions{DataDir: t.TempDir(), Webhooks: true, PollEvery: time.Hour,
		Policy: "manual", AdminToken: adminToken, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	if _, _, err := e.Settle(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	l, err := e.Pick(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.RetitleBoth(ctx, l, "Jira wording", "Linear wording"); err != nil {
		t.Fatal(err)
	}
	var open []backlog.Conflict
	if _, err := demo.WaitFor(ctx, 10*time.Second, func() bool {
		open, _ = e.App.State.Conflicts(ctx, store.ConflictFilter{OpenOnly: true})
		return len(open) == 1
	}); err != nil {
		t.Fatalf("no open conflict: %v", err)
	}
	return e, l, open[0]
}

// TestConflictsResolveByCLI: a manual conflict is held open (both sides
// keep their values), listed and shown by the CLI, then settled with
// --take linear through the daemon's admin API, and both sides end equal.
func TestConflictsResolveByCLI(t *testing.T) {
	e, l, c := conflictWorld(t)
	t.Setenv("TANDEM_ADMIN_TOKEN", adminToken)
	t.Setenv("TANDEM_ADMIN_URL", "http://"+e.App.Addr())

	time.Sleep(300 * time.Millisecond)
	if e.JiraIssue(l).Summary != "Jira wording" || e.LinearIssue(l).Title != "Linear wording" {
		t.Fatal("a manual conflict must leave both sides as they are")
	}
	code, out, errs := run(t, "conflicts", "list", "--open", "--json")
	if code != 0 {
		t.Fatalf("list: %d %s", code, errs)
	}
	var listed []backlog.Conflict
	if err := json.Unmarshal([]byte(out), &listed); err != nil || len(listed) != 1 || listed[0].ID != c.ID {
		t.Fatalf("list --json: %v %q", err, out)
	}
	code, out, _ = run(t, "conflicts", "list")
	if code != 0 || !strings.Contains(out, c.ID) || !strings.Contains(out, "OPEN") {
		t.Fatalf("list table: %q", out)
	}
	code, out, _ = run(t, "conflicts", "show", c.ID)
	if code != 0 || !strings.Contains(out, `"Jira wording"`) || !strings.Contains(out, `"Linear wording"`) || !strings.Contains(out, "alice@example.com") || !strings.Contains(out, "bob@example.com") {
		t.Fatalf("show: %q", out)
	}
	if code, _, errs := run(t, "conflicts", "resolve", c.ID); code != 2 {
		t.Fatalf("resolve without a choice: exit %d %s", code, errs)
	}
	code, out, errs = run(t, "conflicts", "resolve", c.ID, "--take", "linear")
	if code != 0 || !strings.Contains(out, "admin API") {
		t.Fatalf("resolve: %d %q %s", code, out, errs)
	}
	if _, err := demo.WaitFor(t.Context(), 10*time.Second, func() bool {
		return e.JiraIssue(l).Summary == "Linear wording" && e.LinearIssue(l).Title == "Linear wording"
	}); err != nil {
		t.Fatalf("decision not applied: jira %q", e.JiraIssue(l).Summary)
	}
	if code, _, errs := run(t, "conflicts", "resolve", c.ID, "--take", "jira"); code == 0 || !strings.Contains(errs, "already settled") {
		t.Fatalf("second resolve: %d %s", code, errs)
	}
	got, _ := e.App.State.Conflict(t.Context(), c.ID)
	if got.Open() || got.Took != "linear" || !strings.HasPrefix(got.SettledBy, "cli") {
		t.Fatalf("record = %+v", got)
	}
	if _, err := demo.WaitFor(t.Context(), 5*time.Second, func() bool {
		got, _ = e.App.State.Conflict(t.Context(), c.ID)
		return got.Applied
	}); err != nil {
		t.Fatalf("record never marked applied: %+v", got)
	}
}
