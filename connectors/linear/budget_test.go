package linear

import (
	"errors"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

// TestBudgetAndRefusal: the client reports the budget Linear announces
// and maps a refusal of an exhausted budget to a RateLimitError that
// waits as long as Linear says.
func TestBudgetAndRefusal(t *testing.T) {
	_, c := setup(t, sandbox.Options{Budget: &sandbox.Budget{Requests: 40, Complexity: sandbox.DefaultComplexity, Period: time.Hour}})
	if _, err := c.Get(t.Context(), "ENG-1"); err != nil {
		t.Fatal(err)
	}
	rem, limit, reset := c.Budget()
	if limit != 40 || rem <= 0 || rem >= 40 || !reset.After(time.Now()) {
		t.Fatalf("budget %d of %d, full at %s", rem, limit, reset)
	}
	var rl *connectors.RateLimitError
	for range 60 {
		_, err := c.Get(t.Context(), "ENG-1")
		if err == nil {
			continue
		}
		if !errors.As(err, &rl) {
			t.Fatalf("not a rate limit: %v", err)
		}
		break
	}
	if rl == nil {
		t.Fatal("40 requests an hour never ran out")
	}
	// One request refills in 90 s; Retry-After says so (rounded up).
	if rl.RetryAfter <= 80*time.Second || rl.RetryAfter > 90*time.Second {
		t.Errorf("RetryAfter %s, want about 90s", rl.RetryAfter)
	}
	if rem, limit, _ := c.Budget(); rem != 0 || limit != 40 {
		t.Errorf("budget after the refusal %d of %d", rem, limit)
	}
}

func TestBudgetBeforeAnyAnswer(t *testing.T) {
	var c Client
	if rem, limit, reset := c.Budget(); rem != 0 || limit != 0 || !reset.IsZero() {
		t.Fatalf("%d %d %s", rem, limit, reset)
	}
}
