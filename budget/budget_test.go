package budget

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// fakeClock advances only when a waiter sleeps.
type fakeClock struct {
	t      time.Time
	slept  time.Duration
	cancel bool
}

func (c *fakeClock) now() time.Time { return c.t }
func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.t = c.t.Add(d)
	c.slept += d
	return nil
}

func newGov(perHour int) (*Governor, *fakeClock) {
	c := &fakeClock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	return &Governor{PerHour: perHour, Now: c.now, Sleep: c.sleep}, c
}

// spendable counts the calls of p that go without waiting.
func spendable(t *testing.T, g *Governor, c *fakeClock, p Purpose, max int) int {
	t.Helper()
	for n := 0; n < max; n++ {
		before := c.slept
		if err := g.Wait(t.Context(), p); err != nil {
			t.Fatal(err)
		}
		if c.slept != before {
			return n
		}
	}
	return max
}

func TestConfiguredBudgetKeepsReservesInPriorityOrder(t *testing.T) {
	cases := []struct {
		p    Purpose
		free int // calls of a fresh 1,000/h budget that go at once
	}{
		{Backfill, 700}, // stops at 30 % left
		{Order, 850},
		{Poll, 950},
		{Webhook, 1000}, // down to the last request
	}
	for _, tc := range cases {
		t.Run(tc.p.String(), func(t *testing.T) {
			g, c := newGov(1000)
			if n := spendable(t, g, c, tc.p, 2000); n != tc.free {
				t.Fatalf("%d calls went at once, want %d", n, tc.free)
			}
		})
	}
}

func TestBackfillWaitsWhileWebhooksGo(t *testing.T) {
	g, c := newGov(100)
	if n := spendable(t, g, c, Backfill, 1000); n != 70 {
		t.Fatalf("backfill spent %d, want 70", n)
	}
	// The backfill had to wait: 30 left; a webhook pass goes at once.
	before := c.slept
	if err := g.Wait(t.Context(), Webhook); err != nil || c.slept != before {
		t.Fatalf("webhook waited %v (%v)", c.slept-before, err)
	}
	sn := g.Snapshot()
	if sn.Calls[Backfill] != 71 || sn.Calls[Webhook] != 1 || sn.Waits[Backfill] != 1 || sn.Waits[Webhook] != 0 {
		t.Fatalf("snapshot %+v", sn)
	}
}

func TestHeadersOverrideTheConfiguredBudget(t *testing.T) {
	g, c := newGov(0)
	// No budget known: nothing waits.
	if n := spendable(t, g, c, Backfill, 50); n != 50 {
		t.Fatalf("unknown budget held back after %d", n)
	}
	h := http.Header{}
	h.Set("X-RateLimit-Requests-Limit", "1000")
	h.Set("X-RateLimit-Requests-Remaining", "90")
	h.Set("X-RateLimit-Requests-Reset", strconv.FormatInt(c.t.Add(time.Hour).UnixMilli(), 10))
	g.Observe(200, h)
	sn := g.Snapshot()
	if sn.Limit != 1000 || sn.Remaining != 90 || !sn.Low() {
		t.Fatalf("snapshot %+v", sn)
	}
	// 90 left: under the order and backfill reserves, above the poll's.
	if n := spendable(t, g, c, Poll, 200); n != 40 {
		t.Fatalf("poll spent %d of 90 left, want 40 (5 %% reserve)", n)
	}
	// Waiting let the bucket refill at (1000-90)/1h.
	if c.slept <= 0 || c.slept > 10*time.Second {
		t.Fatalf("slept %v", c.slept)
	}
	// Past the reset the budget is whole again.
	c.t = c.t.Add(2 * time.Hour)
	if sn := g.Snapshot(); sn.Remaining != 1000 {
		t.Fatalf("after reset: %+v", sn)
	}
}

func TestRetryAfterStopsEveryPurpose(t *testing.T) {
	g, c := newGov(0)
	h := http.Header{}
	h.Set("Retry-After", "3")
	g.Observe(http.StatusTooManyRequests, h)
	if err := g.Wait(t.Context(), Webhook); err != nil {
		t.Fatal(err)
	}
	if c.slept != 3*time.Second {
		t.Fatalf("webhook waited %v, want the Retry-After", c.slept)
	}
	// A 429 with no Retry-After still pauses.
	g.Observe(http.StatusTooManyRequests, http.Header{})
	before := c.slept
	if err := g.Wait(t.Context(), Webhook); err != nil || c.slept == before {
		t.Fatalf("429 without Retry-After did not pause (%v)", err)
	}
}

func TestWaitEndsWithItsContext(t *testing.T) {
	g, _ := newGov(0)
	h := http.Header{}
	h.Set("Retry-After", "60")
	g.Observe(http.StatusTooManyRequests, h)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := g.Wait(ctx, Webhook); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestForSharesOneGovernorPerCredential(t *testing.T) {
	a := For("linear", "https://api.linear.app", "key-1", 100)
	if For("linear", "https://api.linear.app", "key-1", 999) != a {
		t.Fatal("same key, two governors")
	}
	if For("linear", "https://api.linear.app", "key-2", 100) == a || For("jira", "https://api.linear.app", "key-1", 100) == a {
		t.Fatal("different credentials share a governor")
	}
	if a.PerHour != 100 {
		t.Fatalf("PerHour = %d, want the first caller's", a.PerHour)
	}
}

func TestPurposeOf(t *testing.T) {
	if p := PurposeOf(t.Context()); p != Other {
		t.Fatalf("no purpose: %v", p)
	}
	for _, p := range Purposes() {
		if got := PurposeOf(WithPurpose(t.Context(), p)); got != p {
			t.Fatalf("%v round-trips as %v", p, got)
		}
	}
	if Purpose(99).String() != "poll" {
		t.Fatal("an unknown purpose is not named as a poll")
	}
}

func TestTransportLearnsAndCountsByPurpose(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Limit", "100")
		w.Header().Set("X-RateLimit-Remaining", "42")
	}))
	defer srv.Close()
	g := &Governor{}
	cl := &http.Client{Transport: g.Transport(nil)}
	for _, p := range []Purpose{Webhook, Backfill, Webhook} {
		req, _ := http.NewRequestWithContext(WithPurpose(t.Context(), p), http.MethodGet, srv.URL, nil)
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if p == Backfill {
			break // 42 left of 100 is above the backfill's 30 % reserve
		}
	}
	sn := g.Snapshot()
	if sn.Limit != 100 || sn.Calls[Webhook] != 1 || sn.Calls[Backfill] != 1 {
		t.Fatalf("snapshot %+v", sn)
	}
	if sn.Remaining > 43 {
		t.Fatalf("remaining %v, want at most the header's 42", sn.Remaining)
	}
}

func TestJiraBucket(t *testing.T) {
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/rest/api/3/issue/TAN-12/transitions", "GET /rest/api/3/issue/{}/transitions"},
		{"POST", "/rest/api/3/issue/10042/transitions", "POST /rest/api/3/issue/{}/transitions"},
		{"GET", "/rest/api/3/search/jql", "GET /rest/api/3/search/jql"},
		{"PUT", "/rest/agile/1.0/issue/rank", "PUT /rest/agile/1.0/issue/rank"},
		{"GET", "/rest/api/3/issue/TAN-1/comment/10001", "GET /rest/api/3/issue/{}/comment/{}"},
		{"GET", "/rest/api/2/issue/createmeta", "GET /rest/api/2/issue/createmeta"},
		{"GET", "/rest/api/3/issue/A1B-22", "GET /rest/api/3/issue/{}"},
		{"GET", "/rest/api/3/issue/x-y", "GET /rest/api/3/issue/x-y"},
		{"GET", "/rest/api/3/issue/-12", "GET /rest/api/3/issue/-12"},
		{"GET", "/rest/api/3/issue/TAN-", "GET /rest/api/3/issue/TAN-"},
	} {
		if got := JiraBucket(tc.method, tc.path); got != tc.want {
			t.Errorf("JiraBucket(%s %s) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

// limited answers like Jira's burst limit: X-RateLimit-Limit/Remaining.
func burstHeader(limit, left int) http.Header {
	h := http.Header{}
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(left))
	return h
}

func TestBucketsAreSeparate(t *testing.T) {
	g, c := newGov(0)
	g.Bucket = JiraBucket
	ctx := t.Context()
	a, err := g.wait(ctx, Webhook, "GET /a")
	if err != nil {
		t.Fatal(err)
	}
	g.answered(a, 200, burstHeader(100, 0)) // /a is spent
	b, err := g.wait(ctx, Webhook, "GET /b")
	if err != nil || c.slept != 0 {
		t.Fatalf("a call of another endpoint waited %v (%v)", c.slept, err)
	}
	g.answered(b, 200, burstHeader(100, 99))
	if _, err := g.wait(ctx, Webhook, "GET /a"); err != nil {
		t.Fatal(err)
	}
	// 100 a 10 s: one comes back in 0.1 s.
	if c.slept <= 0 || c.slept > time.Second {
		t.Fatalf("the spent endpoint waited %v, want about 0.1 s", c.slept)
	}
}

// Answers of earlier calls report more left than there is while later
// calls are in flight; the governor counts those against the answer.
func TestInFlightCallsCountAgainstAnswers(t *testing.T) {
	g, c := newGov(0)
	ctx := t.Context()
	first, _ := g.wait(ctx, Webhook, "")
	g.answered(first, 200, burstHeader(10, 9))
	var inFlight []ticket
	for range 9 {
		tk, err := g.wait(ctx, Webhook, "")
		if err != nil {
			t.Fatal(err)
		}
		inFlight = append(inFlight, tk)
	}
	if c.slept != 0 {
		t.Fatalf("the first ten calls waited %v", c.slept)
	}
	// The first of the nine answers, counted before the other eight.
	g.answered(inFlight[0], 200, burstHeader(10, 8))
	before := c.slept
	if _, err := g.wait(ctx, Webhook, ""); err != nil {
		t.Fatal(err)
	}
	if c.slept == before {
		t.Fatal("an eleventh call went while eight calls in flight had spent what the answer reported left")
	}
}

func linearHeader(now time.Time, reqLeft, cxLeft, cost int) http.Header {
	h := http.Header{}
	h.Set("X-RateLimit-Requests-Limit", "2500")
	h.Set("X-RateLimit-Requests-Remaining", strconv.Itoa(reqLeft))
	h.Set("X-RateLimit-Requests-Reset", strconv.FormatInt(now.Add(time.Duration(float64(2500-reqLeft)/2500*float64(time.Hour))).UnixMilli(), 10))
	h.Set("X-RateLimit-Complexity-Limit", "250000")
	h.Set("X-RateLimit-Complexity-Remaining", strconv.Itoa(cxLeft))
	h.Set("X-RateLimit-Complexity-Reset", strconv.FormatInt(now.Add(time.Duration(float64(250000-cxLeft)/250000*float64(time.Hour))).UnixMilli(), 10))
	h.Set("X-Complexity", strconv.Itoa(cost))
	return h
}

func TestComplexityPacesCalls(t *testing.T) {
	g, c := newGov(0)
	ctx := t.Context()
	tk, _ := g.wait(ctx, Backfill, "")
	// Plenty of requests, but the complexity points are down to 80,000
	// (32 %) and a call costs 5,000: a backfill call must wait until
	// 75,000 + 5,000 are back above the 30 % reserve... it has that now.
	g.answered(tk, 200, linearHeader(c.t, 2400, 80_000, 5_000))
	if _, err := g.wait(ctx, Backfill, ""); err != nil || c.slept != 0 {
		t.Fatalf("waited %v with 80,000 points left (%v)", c.slept, err)
	}
	// That call is in flight: 75,000 left, at the reserve. The next
	// backfill call waits for 5,000 points (at 250,000 an hour: 72 s)...
	if _, err := g.wait(ctx, Backfill, ""); err != nil {
		t.Fatal(err)
	}
	if c.slept < 60*time.Second || c.slept > 90*time.Second {
		t.Fatalf("backfill waited %v for complexity, want about 72 s", c.slept)
	}
	// ...while a webhook call goes at once.
	before := c.slept
	if _, err := g.wait(ctx, Webhook, ""); err != nil || c.slept != before {
		t.Fatalf("webhook waited %v", c.slept-before)
	}
	if sn := g.Snapshot(); sn.ComplexityLimit != 250_000 || sn.ComplexityRemaining <= 0 {
		t.Fatalf("snapshot %+v", sn)
	}
}
