package jira

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// budget keeps the rate-limit headers of Jira's last answer that carried
// them.
type budget struct {
	mu               sync.Mutex
	remaining, limit int
	reset            time.Time
}

// headerRecorder is a RoundTripper that notes Jira's rate-limit headers.
type headerRecorder struct {
	base   http.RoundTripper
	budget *budget
}

func (r *headerRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err == nil {
		r.budget.record(resp.Header, time.Now())
	}
	return resp, err
}

// record reads X-RateLimit-Limit and -Remaining and, on a 429,
// X-RateLimit-Reset (ISO 8601, to the minute) or else Retry-After; an
// answer without them changes nothing.
func (b *budget) record(h http.Header, now time.Time) {
	limit, lerr := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Limit")))
	rem, rerr := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Remaining")))
	var reset time.Time
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		for _, layout := range []string{"2006-01-02T15:04Z07:00", "2006-01-02T15:04Z", time.RFC3339} {
			if t, err := time.Parse(layout, v); err == nil {
				reset = t
				break
			}
		}
	}
	if reset.IsZero() {
		if s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && s >= 0 {
			reset = now.Add(time.Duration(s) * time.Second)
		}
	}
	if lerr != nil && rerr != nil && reset.IsZero() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if lerr == nil {
		b.limit = limit
	}
	if rerr == nil {
		b.remaining = rem
	}
	b.reset = reset
}

// Budget reports the rate-limit budget Jira's last answer with rate-limit
// headers announced: X-RateLimit-Remaining of X-RateLimit-Limit (Jira's
// burst limit is per endpoint and method, so this is the last endpoint
// called), and, after a 429, when it resets (zero otherwise). All zero
// before such an answer. Safe for concurrent use.
func (c *Client) Budget() (remaining, limit int, reset time.Time) {
	if c.budget == nil {
		return 0, 0, time.Time{}
	}
	c.budget.mu.Lock()
	defer c.budget.mu.Unlock()
	return c.budget.remaining, c.budget.limit, c.budget.reset
}
