package sandbox

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func budgetServer(t *testing.T, b *Budget) (*Server, *testClock) {
	t.Helper()
	clk := &testClock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	s := New(Options{Budget: b, Now: clk.now})
	t.Cleanup(func() { _ = s.Close() })
	return s, clk
}

func header(t *testing.T, r gqlResp, name string) int {
	t.Helper()
	n, err := strconv.Atoi(r.Header.Get(name))
	if err != nil {
		t.Fatalf("%s: %q", name, r.Header.Get(name))
	}
	return n
}

func isRateLimited(r gqlResp) bool {
	return r.Status == 400 && len(r.Errors) == 1 && r.Errors[0].Extensions["code"] == "RATELIMITED"
}

const viewerQuery = `{ viewer { id name } }` // 1.2 points, charged 2

func TestBudgetHeaders(t *testing.T) {
	s, clk := budgetServer(t, DefaultBudget())
	r := post(t, s, BotKey, benchChangedQuery, map[string]any{"filter": map[string]any{}})
	mustOK(t, r)
	for name, want := range map[string]int{
		"X-RateLimit-Requests-Limit": DefaultRequests, "X-RateLimit-Requests-Remaining": DefaultRequests - 1,
		"X-RateLimit-Complexity-Limit": DefaultComplexity, "X-RateLimit-Complexity-Remaining": DefaultComplexity - 126,
		"X-Complexity": 126,
	} {
		if got := header(t, r, name); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	// Reset: when the bucket is full again, one request's refill away.
	wantReset := clk.now().Add(time.Hour / DefaultRequests).UnixMilli()
	if got := int64(header(t, r, "X-RateLimit-Requests-Reset")); got != wantReset {
		t.Errorf("requests reset %d, want %d", got, wantReset)
	}
	r = post(t, s, BotKey, viewerQuery, nil)
	if got := header(t, r, "X-Complexity"); got != 2 {
		t.Errorf("X-Complexity of 1.2 points = %d, want 2 (rounded up)", got)
	}
	if got := header(t, r, "X-RateLimit-Complexity-Remaining"); got != DefaultComplexity-128 {
		t.Errorf("complexity remaining %d, want %d", got, DefaultComplexity-128)
	}
	// Errors carry the headers too.
	r = post(t, s, "lin_api_nobody", viewerQuery, nil)
	if r.Header.Get("X-RateLimit-Requests-Limit") == "" || r.Header.Get("X-Complexity") == "" {
		t.Errorf("an authentication error without rate-limit headers: %v", r.Header)
	}
}

// TestBudgetRefillsContinuously: a drained request budget gives back one
// request every Period/Requests, not all of them on the hour.
func TestBudgetRefillsContinuously(t *testing.T) {
	s, clk := budgetServer(t, &Budget{Requests: 3, Complexity: 1000, Period: time.Hour})
	for range 3 {
		mustOK(t, post(t, s, BotKey, viewerQuery, nil))
	}
	r := post(t, s, BotKey, viewerQuery, nil)
	if !isRateLimited(r) {
		t.Fatalf("the 4th request of 3: %d %s", r.Status, r.Raw)
	}
	if got := header(t, r, "Retry-After"); got != 1200 {
		t.Errorf("Retry-After %d, want 1200 (one request refills in 20 minutes)", got)
	}
	if got := header(t, r, "X-RateLimit-Requests-Remaining"); got != 0 {
		t.Errorf("remaining %d when refused", got)
	}
	if got := s.Requests(BotEmail).RateLimited; got != 1 {
		t.Errorf("RateLimited count %d, want 1", got)
	}
	clk.add(10 * time.Minute)
	if r := post(t, s, BotKey, viewerQuery, nil); !isRateLimited(r) {
		t.Fatalf("half a request refilled, yet answered %d", r.Status)
	}
	clk.add(10 * time.Minute)
	mustOK(t, post(t, s, BotKey, viewerQuery, nil))
	if r := post(t, s, BotKey, viewerQuery, nil); !isRateLimited(r) {
		t.Fatalf("one request refilled, two answered")
	}
	// Another user's key has its own budget.
	mustOK(t, post(t, s, AliceKey, viewerQuery, nil))
	// A full hour refills the whole budget and no more.
	clk.add(5 * time.Hour)
	r = post(t, s, BotKey, viewerQuery, nil)
	mustOK(t, r)
	if got := header(t, r, "X-RateLimit-Requests-Remaining"); got != 2 {
		t.Errorf("remaining %d after a long idle, want 2 (the bucket caps at its limit)", got)
	}
}

func TestComplexityBudget(t *testing.T) {
	s, clk := budgetServer(t, &Budget{Requests: 100, Complexity: 130, Period: time.Hour})
	vars := map[string]any{"filter": map[string]any{}}
	mustOK(t, post(t, s, BotKey, benchChangedQuery, vars)) // 126 of 130
	r := post(t, s, BotKey, benchChangedQuery, vars)
	if !isRateLimited(r) {
		t.Fatalf("126 points with 4 left: %d %s", r.Status, r.Raw)
	}
	// 122 points missing at 130 an hour: 3378.5 s.
	if got := header(t, r, "Retry-After"); got != 3379 {
		t.Errorf("Retry-After %d, want 3379", got)
	}
	if got := header(t, r, "X-RateLimit-Complexity-Remaining"); got != 4 {
		t.Errorf("complexity remaining %d, want 4", got)
	}
	// Cheap queries still fit (2 points of the 4), leaving 2: 124 points
	// missing, 3433.8 s.
	mustOK(t, post(t, s, BotKey, viewerQuery, nil))
	clk.add(3433 * time.Second)
	if r := post(t, s, BotKey, benchChangedQuery, vars); !isRateLimited(r) {
		t.Fatalf("a second early: %d", r.Status)
	}
	clk.add(time.Second)
	mustOK(t, post(t, s, BotKey, benchChangedQuery, vars))
}

// TestQueryTooComplex: a query above 10,000 points is refused, as Linear
// refuses it, whether budgets are on or not.
func TestQueryTooComplex(t *testing.T) {
	const q = `{ issues(first: 250) { nodes { id comments(first: 50) { nodes { body } } } } }`
	for _, b := range []*Budget{nil, DefaultBudget()} {
		s, _ := budgetServer(t, b)
		r := post(t, s, BotKey, q, nil)
		if r.Status != 400 || len(r.Errors) != 1 || r.Errors[0].Message != "Query too complex" ||
			r.Errors[0].Extensions["code"] != "INPUT_ERROR" ||
			!strings.Contains(r.Errors[0].Extensions["userPresentableMessage"].(string), "Complexity: 14276. Maximum allowed complexity: 10000.") {
			t.Fatalf("budget %v: %d %s", b, r.Status, r.Raw)
		}
		if got := header(t, r, "X-Complexity"); got != 14276 {
			t.Errorf("X-Complexity %d", got)
		}
		if r.Data != nil {
			t.Errorf("a refused query answered data")
		}
	}
}

// TestBudgetOff: without a Budget nothing is charged or refused, and the
// headers report the default budgets full.
func TestBudgetOff(t *testing.T) {
	s, _ := budgetServer(t, nil)
	var r gqlResp
	for range 5 {
		r = mustOKResp(t, post(t, s, BotKey, viewerQuery, nil))
	}
	if got := header(t, r, "X-RateLimit-Requests-Remaining"); got != DefaultRequests {
		t.Errorf("remaining %d with budgets off", got)
	}
	if got := header(t, r, "X-Complexity"); got != 2 {
		t.Errorf("X-Complexity %d with budgets off, want the query's cost", got)
	}
	// The injected limit still answers RATELIMITED with its reset.
	s.RateLimit(1, 42*time.Second)
	r = post(t, s, BotKey, viewerQuery, nil)
	if !isRateLimited(r) || header(t, r, "Retry-After") != 42 || header(t, r, "X-RateLimit-Requests-Remaining") != 0 {
		t.Fatalf("injected limit: %d %v %s", r.Status, r.Header, r.Raw)
	}
}

func mustOKResp(t *testing.T, r gqlResp) gqlResp { t.Helper(); mustOK(t, r); return r }
