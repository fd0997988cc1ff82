package sandbox

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestBurstRateLimit: past the burst an endpoint answers 429 with Jira's
// headers; tokens come back at the rate; other endpoints have their own
// bucket.
func TestBurstRateLimit(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	_, c := newTestServer(t, Options{Now: clock, RateLimit: &Burst{Rate: 0.5, Burst: 3}})

	for i := range 3 {
		code, _, h := c.do(http.MethodGet, "/rest/api/3/issue/TAN-1", nil)
		if code != http.StatusOK {
			t.Fatalf("request %d: %d", i+1, code)
		}
		if h.Get("X-RateLimit-Limit") != "3" || h.Get("X-RateLimit-Remaining") != []string{"2", "1", "0"}[i] {
			t.Errorf("request %d: limit %q remaining %q", i+1, h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"))
		}
	}
	code, body, h := c.do(http.MethodGet, "/rest/api/3/issue/TAN-2", nil)
	if code != http.StatusTooManyRequests {
		t.Fatalf("past the burst: %d", code)
	}
	if h.Get("Retry-After") != "2" || h.Get("RateLimit-Reason") != "jira-burst-based" ||
		h.Get("X-RateLimit-Reset") != "2026-06-01T09:00Z" || h.Get("X-RateLimit-NearLimit") != "true" {
		t.Errorf("429 headers: %v", h)
	}
	if get(body, "errorMessages", 0) != "Rate limit exceeded." {
		t.Errorf("429 body: %v", body)
	}
	// Another endpoint (or method) has its own bucket.
	if code, _, _ := c.do(http.MethodGet, "/rest/api/3/myself", nil); code != http.StatusOK {
		t.Errorf("another endpoint: %d", code)
	}
	advance(time.Second) // half a token
	if code, _, _ := c.do(http.MethodGet, "/rest/api/3/issue/TAN-1", nil); code != http.StatusTooManyRequests {
		t.Errorf("half a token: %d", code)
	}
	advance(time.Second)
	if code, _, _ := c.do(http.MethodGet, "/rest/api/3/issue/TAN-1", nil); code != http.StatusOK {
		t.Errorf("a token back: %d", code)
	}
	advance(time.Hour) // refills to the burst, no further
	for i := range 4 {
		code, _, _ := c.do(http.MethodGet, "/rest/api/3/issue/TAN-1", nil)
		if want := []int{200, 200, 200, 429}[i]; code != want {
			t.Errorf("after an idle hour, request %d: %d, want %d", i+1, code, want)
		}
	}
}

// TestInjectedRateLimitHeaders: RateLimit(n, after) answers as Jira's quota
// limit does, without Options.RateLimit.
func TestInjectedRateLimitHeaders(t *testing.T) {
	s, c := newTestServer(t, Options{})
	s.RateLimit(1, 7*time.Second)
	code, _, h := c.do(http.MethodGet, "/rest/api/3/myself", nil)
	if code != http.StatusTooManyRequests || h.Get("Retry-After") != "7" || h.Get("RateLimit-Reason") != "jira-quota-global-based" || h.Get("X-RateLimit-Reset") == "" {
		t.Fatalf("%d %v", code, h)
	}
	if code, _, h := c.do(http.MethodGet, "/rest/api/3/myself", nil); code != http.StatusOK || h.Get("X-RateLimit-Limit") != "" {
		t.Fatalf("after the injected limit: %d %v", code, h)
	}
}
