package main

import (
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/demo"
)

// TestDiff: in sync after the initial sync (exit 0); an edit Tandem has not
// seen yet is reported with the field (exit 1); in sync again once synced.
func TestDiff(t *testing.T) {
	e := redisWorld(t, "diff", true)
	ctx := t.Context()
	if _, _, err := e.Settle(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "diff")
	if code != 0 || !strings.Contains(out, "0 differ, 0 jira and 0 linear issues without a twin") {
		t.Fatalf("after the initial sync: exit %d\n%s%s", code, out, errs)
	}
	l, err := e.Pick(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Jira.PauseWebhooks(true)
	if err := e.Jira.UserEdit(demo.Alice, l.Jira.ID, map[string]any{"summary": "Not synced yet"}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, "diff")
	if code != 1 || !strings.Contains(out, "title") || !strings.Contains(out, `"Not synced yet"`) || !strings.Contains(out, "1 differ") {
		t.Fatalf("with an unsynced edit: exit %d\n%s", code, out)
	}
	if _, _, err := e.Jira.UserCreate(demo.Alice, map[string]any{"summary": "Brand new", "issuetype": map[string]any{"name": "Story"}}); err != nil {
		t.Fatal(err)
	}
	if code, out, _ = run(t, "diff"); code != 1 || !strings.Contains(out, "no twin in linear") {
		t.Fatalf("with an unlinked issue: exit %d\n%s", code, out)
	}
	e.Jira.PauseWebhooks(false)
	if err := e.App.Daemon.Enqueue(ctx, l.Jira); err != nil {
		t.Fatal(err)
	}
	// The poller (on demand) picks up the new issue.
	if err := e.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Settle(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.WaitFor(ctx, 10*time.Second, func() bool { return e.LinearIssue(l).Title == "Not synced yet" }); err != nil {
		t.Fatal(err)
	}
	code, out, errs = run(t, "diff")
	if code != 0 {
		t.Fatalf("after syncing: exit %d\n%s%s", code, out, errs)
	}
}
