package sandbox

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Burst is Jira Cloud's burst rate limit, the one that governs API-token
// traffic (developer.atlassian.com/cloud/jira/platform/rate-limiting: the
// points-based hourly quota applies to Forge, Connect and OAuth apps only):
// a token bucket per endpoint and HTTP method, holding Burst requests and
// refilled at Rate a second. Atlassian does not publish the figures.
type Burst struct {
	Rate  float64 // requests a second, per endpoint and method
	Burst int     // the bucket's size; 0: Rate rounded up
}

// DefaultBurst is a limit of the order Jira Cloud applies to one endpoint
// (its figures are unpublished; 10 a second with a burst of 100 keeps the
// daemon's steady state well inside and makes a runaway loop show).
func DefaultBurst() *Burst { return &Burst{Rate: 10, Burst: 100} }

func (b Burst) size() int {
	if b.Burst > 0 {
		return b.Burst
	}
	return max(int(math.Ceil(b.Rate)), 1)
}

type tokens struct {
	level float64
	at    time.Time
}

// take spends one token of the route's bucket, or says how long until
// there is one; the caller holds s.mu.
func (s *Server) take(route string, now time.Time) (remaining int, wait time.Duration) {
	b := *s.opts.RateLimit
	size := b.size()
	t := s.buckets[route]
	if t == nil {
		t = &tokens{level: float64(size), at: now}
		s.buckets[route] = t
	}
	if d := now.Sub(t.at); d > 0 {
		t.level = math.Min(float64(size), t.level+b.Rate*d.Seconds())
		t.at = now
	}
	if t.level < 1 {
		if b.Rate <= 0 {
			return 0, time.Hour
		}
		return 0, time.Duration((1 - t.level) / b.Rate * float64(time.Second))
	}
	t.level--
	return int(t.level), 0
}

// limitHeaders sets the headers Jira Cloud sends with its rate limits:
// X-RateLimit-Limit and -Remaining, X-RateLimit-NearLimit below a fifth
// left, and on a 429 Retry-After (whole seconds), X-RateLimit-Reset (the
// request time plus Retry-After, ISO 8601 to the minute, as documented)
// and RateLimit-Reason.
func limitHeaders(h http.Header, limit, remaining int, wait time.Duration, now time.Time, reason string) {
	if limit > 0 {
		h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		if remaining*5 < limit {
			h.Set("X-RateLimit-NearLimit", "true")
		}
	}
	if wait > 0 {
		secs := int(max((wait+time.Second-1)/time.Second, 1))
		h.Set("Retry-After", strconv.Itoa(secs))
		h.Set("X-RateLimit-Reset", now.Add(time.Duration(secs)*time.Second).UTC().Format("2006-01-02T15:04Z"))
		h.Set("RateLimit-Reason", reason)
	}
}
