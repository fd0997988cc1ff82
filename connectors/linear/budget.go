package linear

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// budget keeps the rate-limit headers of Linear's last answer.
type budget struct {
	mu                   sync.Mutex
	seen                 bool
	reqRemaining, reqMax int
	reqReset             time.Time
	cxRemaining, cxMax   int
	cxReset              time.Time
}

// record reads Linear's X-RateLimit-Requests-* and -Complexity-* headers
// (resets in epoch milliseconds); an answer without them changes nothing.
func (b *budget) record(h http.Header) {
	rr, rok := headerInt(h, "X-RateLimit-Requests-Remaining")
	rl, _ := headerInt(h, "X-RateLimit-Requests-Limit")
	cr, cok := headerInt(h, "X-RateLimit-Complexity-Remaining")
	cl, _ := headerInt(h, "X-RateLimit-Complexity-Limit")
	if !rok && !cok {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seen = true
	if rok {
		b.reqRemaining, b.reqMax, b.reqReset = rr, rl, epochHeader(h, "X-RateLimit-Requests-Reset")
	}
	if cok {
		b.cxRemaining, b.cxMax, b.cxReset = cr, cl, epochHeader(h, "X-RateLimit-Complexity-Reset")
	}
}

// Budget reports the rate-limit budget Linear's last answer announced:
// of its two budgets (requests and complexity points, per user, refilled
// continuously), the one with the smaller share left, and when that one is
// full again. All zero before the first answer. Safe for concurrent use.
func (c *Client) Budget() (remaining, limit int, reset time.Time) {
	b := c.budget
	if b == nil {
		return 0, 0, time.Time{}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.seen {
		return 0, 0, time.Time{}
	}
	// Compare remaining/limit shares without dividing.
	if b.cxMax > 0 && (b.reqMax <= 0 || b.cxRemaining*b.reqMax < b.reqRemaining*b.cxMax) {
		return b.cxRemaining, b.cxMax, b.cxReset
	}
	return b.reqRemaining, b.reqMax, b.reqReset
}

func headerInt(h http.Header, name string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get(name)))
	return n, err == nil
}

// epochHeader reads an epoch time in milliseconds (or seconds, for small
// values); zero when absent.
func epochHeader(h http.Header, name string) time.Time {
	v, err := strconv.ParseInt(strings.TrimSpace(h.Get(name)), 10, 64)
	if err != nil || v <= 0 {
		return time.Time{}
	}
	if v < 1e12 {
		return time.Unix(v, 0)
	}
	return time.UnixMilli(v)
}
