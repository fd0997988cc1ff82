package sandbox

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/tandem-sync/tandem/connectors/linear/sandbox/gql"
)

// Budget is Linear's rate limiting of one API key's user: a request budget
// and a complexity budget, each a leaky bucket that refills continuously
// at Limit/Period (not all at once on the hour), as Linear's
// rate-limiting guide describes (linear.app/developers/rate-limiting).
type Budget struct {
	Requests   int           // requests per Period
	Complexity int           // complexity points per Period
	Period     time.Duration // the refill period
}

// Linear's documented figures. API keys: 2,500 requests an hour per user
// (developers.linear.app's rate-limiting page; a live 2026 report of a
// key exhausting "its 2500/hr quota", vanillagreencom/kendex#1018; some
// summaries of the current page say 5,000, older pages 1,500) and
// 250,000 complexity points an hour; one query may cost at most 10,000
// points (Linear refuses more with "Query too complex").
const (
	DefaultRequests      = 2500
	DefaultComplexity    = 250_000
	MaxQueryComplexity   = 10_000
	defaultBudgetPeriod  = time.Hour
	complexityHeaderName = "X-Complexity"
)

// DefaultBudget is Linear's budget for an API key.
func DefaultBudget() *Budget {
	return &Budget{Requests: DefaultRequests, Complexity: DefaultComplexity, Period: defaultBudgetPeriod}
}

func (b Budget) withDefaults() Budget {
	if b.Requests <= 0 {
		b.Requests = DefaultRequests
	}
	if b.Complexity <= 0 {
		b.Complexity = DefaultComplexity
	}
	if b.Period <= 0 {
		b.Period = defaultBudgetPeriod
	}
	return b
}

// bucket is a leaky bucket: level tokens at time at, refilling at
// limit/period up to limit.
type bucket struct {
	level float64
	at    time.Time
}

func (k *bucket) fill(limit int, period time.Duration, now time.Time) {
	if k.at.IsZero() {
		k.level, k.at = float64(limit), now
		return
	}
	if d := now.Sub(k.at); d > 0 {
		k.level = math.Min(float64(limit), k.level+float64(limit)*d.Seconds()/period.Seconds())
		k.at = now
	}
}

// after is how long until the bucket holds n tokens (0 if it does).
func (k *bucket) after(n float64, limit int, period time.Duration) time.Duration {
	if k.level >= n {
		return 0
	}
	return time.Duration((n - k.level) / float64(limit) * float64(period))
}

// keyBudget is one user's two buckets.
type keyBudget struct{ requests, complexity bucket }

// snapshot is what one answer reports in its headers.
type snapshot struct {
	reqLimit, reqRemaining int
	reqReset               time.Time
	cxLimit, cxRemaining   int
	cxReset                time.Time
	complexity             int // this request's cost, rounded up
	retryAfter             time.Duration
	limited                bool
}

// budgetFor returns the user's buckets, refilled to now; the caller holds
// s.mu.
func (s *Server) budgetFor(email string, now time.Time) *keyBudget {
	b := s.budgets[email]
	if b == nil {
		b = &keyBudget{}
		s.budgets[email] = b
	}
	lim := s.limits()
	b.requests.fill(lim.Requests, lim.Period, now)
	b.complexity.fill(lim.Complexity, lim.Period, now)
	return b
}

// snap reports b's state; the caller holds s.mu. Reset is when a bucket is
// full again.
func (s *Server) snap(b *keyBudget, now time.Time) snapshot {
	lim := s.limits()
	full := func(k *bucket, limit int) time.Time {
		return now.Add(k.after(float64(limit), limit, lim.Period))
	}
	return snapshot{
		reqLimit: lim.Requests, reqRemaining: int(math.Floor(b.requests.level)), reqReset: full(&b.requests, lim.Requests),
		cxLimit: lim.Complexity, cxRemaining: int(math.Floor(b.complexity.level)), cxReset: full(&b.complexity, lim.Complexity),
	}
}

// chargeRequest takes one request from the user's budget, or says when
// there is one to take. With budgets off it charges nothing and reports
// full budgets.
func (s *Server) chargeRequest(email string) (snapshot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	if s.budget == nil {
		return s.unlimited(now), true
	}
	b := s.budgetFor(email, now)
	lim := s.limits()
	if b.requests.level < 1 {
		sn := s.snap(b, now)
		sn.limited, sn.retryAfter = true, b.requests.after(1, lim.Requests, lim.Period)
		return sn, false
	}
	b.requests.level--
	return s.snap(b, now), true
}

// chargeComplexity takes cost points from the user's budget, or says when
// they will be there.
func (s *Server) chargeComplexity(email string, cost float64) (snapshot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	n := math.Ceil(cost)
	if s.budget == nil {
		sn := s.unlimited(now)
		sn.complexity = int(n)
		return sn, true
	}
	b := s.budgetFor(email, now)
	lim := s.limits()
	if b.complexity.level < n {
		sn := s.snap(b, now)
		sn.complexity = int(n)
		sn.limited, sn.retryAfter = true, b.complexity.after(n, lim.Complexity, lim.Period)
		return sn, false
	}
	b.complexity.level -= n
	sn := s.snap(b, now)
	sn.complexity = int(n)
	return sn, true
}

// unlimited is the report of a sandbox without budgets: the default limits,
// all of them left.
func (s *Server) unlimited(now time.Time) snapshot {
	lim := s.limits()
	return snapshot{reqLimit: lim.Requests, reqRemaining: lim.Requests, reqReset: now,
		cxLimit: lim.Complexity, cxRemaining: lim.Complexity, cxReset: now}
}

// writeBudget sets Linear's rate-limit headers (resets in epoch
// milliseconds) and, on a refusal, Retry-After in seconds.
func writeBudget(h http.Header, sn snapshot) {
	h.Set("X-RateLimit-Requests-Limit", strconv.Itoa(sn.reqLimit))
	h.Set("X-RateLimit-Requests-Remaining", strconv.Itoa(max(sn.reqRemaining, 0)))
	h.Set("X-RateLimit-Requests-Reset", strconv.FormatInt(sn.reqReset.UnixMilli(), 10))
	h.Set("X-RateLimit-Complexity-Limit", strconv.Itoa(sn.cxLimit))
	h.Set("X-RateLimit-Complexity-Remaining", strconv.Itoa(max(sn.cxRemaining, 0)))
	h.Set("X-RateLimit-Complexity-Reset", strconv.FormatInt(sn.cxReset.UnixMilli(), 10))
	h.Set(complexityHeaderName, strconv.Itoa(sn.complexity))
	if sn.limited {
		h.Set("Retry-After", strconv.Itoa(int(max((sn.retryAfter+time.Second-1)/time.Second, 1))))
	}
}

// queryTooComplex is Linear's refusal of a query above
// MaxQueryComplexity, as Linear words it (HTTP 400).
func queryTooComplex(c float64) *gql.Error {
	e := linearError("INPUT_ERROR", "invalid input", "Query too complex",
		fmt.Sprintf("The query is too complex. Complexity: %v. Maximum allowed complexity: %d.", c, MaxQueryComplexity), 400)
	e.Extensions["http"] = map[string]any{"status": 400}
	return e
}

// limits is the budget in force, or the default one when budgets are off.
func (s *Server) limits() Budget {
	if s.budget == nil {
		return Budget{}.withDefaults()
	}
	return *s.budget
}
