package jira

import (
	"errors"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

// TestBudgetAndBurstLimit: the client reports the burst budget Jira
// announces and maps its 429 to a RateLimitError with Jira's Retry-After.
func TestBudgetAndBurstLimit(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 2, RateLimit: &sandbox.Burst{Rate: 0.25, Burst: 5}})
	if _, err := e.c.Get(ctx(t), "TAN-1"); err != nil {
		t.Fatal(err)
	}
	rem, limit, _ := e.c.Budget()
	if limit != 5 || rem < 0 || rem >= 5 {
		t.Fatalf("budget %d of %d", rem, limit)
	}
	var rl *connectors.RateLimitError
	for range 10 {
		_, err := e.c.Get(ctx(t), "TAN-1")
		if err == nil {
			continue
		}
		if !errors.As(err, &rl) {
			t.Fatalf("not a rate limit: %v", err)
		}
		break
	}
	if rl == nil {
		t.Fatal("a burst of 5 never ran out")
	}
	// A token every 4 s: Retry-After is 4 (or 3, a moment later).
	if rl.RetryAfter < 3*time.Second || rl.RetryAfter > 4*time.Second {
		t.Errorf("RetryAfter %s", rl.RetryAfter)
	}
	rem, limit, reset := e.c.Budget()
	if rem != 0 || limit != 5 || reset.IsZero() {
		t.Errorf("after the 429: %d of %d, reset %s", rem, limit, reset)
	}
}

func TestBudgetBeforeAnyAnswer(t *testing.T) {
	var c Client
	if rem, limit, reset := c.Budget(); rem != 0 || limit != 0 || !reset.IsZero() {
		t.Fatalf("%d %d %s", rem, limit, reset)
	}
}
