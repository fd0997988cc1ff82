package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/reconcile"
)

// TestPlanByCLI: on a synced installation the plan has nothing to do
// (exit 0); a new Jira issue makes it exit 1 and name the twin to create,
// in text and JSON.
func TestPlanByCLI(t *testing.T) {
	e := redisWorld(t, "plan", false)
	ctx := t.Context()
	if _, _, err := e.Settle(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "plan")
	if code != 0 || !strings.Contains(out, "already linked:      24 pairs") || !strings.Contains(out, "twins to create:     0 in linear, 0 in jira") {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errs)
	}
	// Polls are off (an hour apart): the new issue stays unlinked.
	_, key, err := e.Jira.UserCreate("alice@example.com", map[string]any{"summary": "Planned"})
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, "plan")
	if code != 1 || !strings.Contains(out, "twins to create:     1 in linear, 0 in jira") || !strings.Contains(out, "twins to create in linear, of jira: "+key) {
		t.Fatalf("plan with a new issue: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "plan", "--json")
	var rep reconcile.PlanReport
	if code != 1 || json.Unmarshal([]byte(out), &rep) != nil || len(rep.CreateInLinear) != 1 || rep.CreateInLinear[0].Key != key {
		t.Fatalf("plan --json: exit %d %s", code, out)
	}
}
