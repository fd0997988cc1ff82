// Package budget spends an API credential's rate budget in priority order.
//
// One Governor serves one credential (a Linear API key, a Jira site and
// account), however many connectors use it. It knows the budget from the
// answers' rate-limit headers (Linear: X-RateLimit-Requests-Limit,
// -Remaining and -Reset in epoch milliseconds; Jira: X-RateLimit-Limit and
// -Remaining, Retry-After on a 429) or, until they say, from the configured
// requests per hour, which it then counts itself as a leaky bucket. Each
// call names its purpose (WithPurpose); a purpose may spend only while more
// than its reserve is left: webhook-driven passes down to the last request,
// polls until 5 % is left, order passes until 15 %, backfills until 30 %,
// so the people and tools sharing the key, and the urgent work, always
// find budget. A 429 or Retry-After stops every purpose until it passes.
// Calls wait (honouring their context) rather than fail.
package budget

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Purpose is why a call is made; it sets the call's priority.
type Purpose int

// The purposes, most urgent first.
const (
	Webhook  Purpose = iota // a pass a webhook started
	Poll                    // a poll, and the passes it started
	Order                   // an order pass
	Backfill                // creating twins of many items
	nPurposes
)

// Other is a call with no purpose named; it spends like a poll.
const Other = Poll

var names = [nPurposes]string{"webhook", "poll", "order", "backfill"}

func (p Purpose) String() string {
	if p < 0 || p >= nPurposes {
		return "poll"
	}
	return names[p]
}

// Purposes lists every purpose, most urgent first.
func Purposes() []Purpose { return []Purpose{Webhook, Poll, Order, Backfill} }

// reserve is the share of the budget each purpose leaves to the ones
// before it.
var reserve = [nPurposes]float64{0, 0.05, 0.15, 0.30}

type purposeKey struct{}

// WithPurpose names the purpose of the calls made with ctx.
func WithPurpose(ctx context.Context, p Purpose) context.Context {
	return context.WithValue(ctx, purposeKey{}, p)
}

// PurposeOf is the purpose ctx names (Other when none).
func PurposeOf(ctx context.Context) Purpose {
	if p, ok := ctx.Value(purposeKey{}).(Purpose); ok && p >= 0 && p < nPurposes {
		return p
	}
	return Other
}

// Governor paces one credential's calls.
type Governor struct {
	// PerHour is the configured budget (requests an hour) used until the
	// answers' headers say; 0: no limit until they do.
	PerHour int
	// Now and Sleep are the clock (tests fake them).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	mu           sync.Mutex
	limit        int       // from headers (0: unknown)
	remaining    int       // from headers
	reset        time.Time // when the headers' budget is full again (zero: unknown)
	seen         time.Time // when the headers were read
	level        float64   // own count of the configured budget, used when no headers
	levelAt      time.Time
	blockedUntil time.Time
	calls        [nPurposes]int64
	waits        [nPurposes]int64
}

func (g *Governor) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *Governor) sleep(ctx context.Context, d time.Duration) error {
	if g.Sleep != nil {
		return g.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// burstRefill is how long a budget whose answers name no reset is taken
// to need to come back whole (Jira's: 10 requests a second, bursts of
// 100).
const burstRefill = 10 * time.Second

// maxStep bounds one sleep, so a waiter sees new headers (another call's
// answer, or the reset) soon.
const maxStep = time.Second

// Wait returns when a call of purpose p may go, counting it; or ctx's
// error.
func (g *Governor) Wait(ctx context.Context, p Purpose) error {
	waited := false
	for {
		g.mu.Lock()
		d := g.delayLocked(p)
		if d <= 0 {
			g.spendLocked(p)
			g.mu.Unlock()
			return nil
		}
		if !waited {
			g.waits[p]++
			waited = true
		}
		g.mu.Unlock()
		if err := g.sleep(ctx, min(d, maxStep)); err != nil {
			return err
		}
	}
}

// delayLocked is how long a call of purpose p must wait (≤ 0: none).
func (g *Governor) delayLocked(p Purpose) time.Duration {
	now := g.now()
	if now.Before(g.blockedUntil) {
		return g.blockedUntil.Sub(now)
	}
	limit, left, refill := g.leftLocked(now)
	if limit <= 0 {
		return 0
	}
	keep := reserve[p] * float64(limit)
	if p == Webhook {
		keep = 0
	}
	if left > keep && left >= 1 {
		return 0
	}
	// Wait until enough is back: refill is requests per second.
	if refill > 0 {
		need := max(keep, 0) + 1 - left
		return time.Duration(need / refill * float64(time.Second))
	}
	return maxStep
}

// leftLocked is the budget's size, what is left of it now and how fast it
// comes back (requests a second).
func (g *Governor) leftLocked(now time.Time) (limit int, left, refill float64) {
	if g.limit > 0 {
		left = float64(g.remaining)
		if !g.reset.IsZero() {
			if !now.Before(g.reset) {
				return g.limit, float64(g.limit), 0
			}
			// Linear's budget is a leaky bucket: it comes back evenly
			// until the reset.
			span := g.reset.Sub(g.seen).Seconds()
			if span > 0 {
				refill = (float64(g.limit) - float64(g.remaining)) / span
				left += refill * now.Sub(g.seen).Seconds()
			}
		} else {
			// No reset named (Jira's burst limit): assume the limit comes
			// back over burstRefill, as Jira's per-second bucket does; the
			// next answer corrects it.
			refill = float64(g.limit) / burstRefill.Seconds()
			left += refill * now.Sub(g.seen).Seconds()
		}
		return g.limit, min(left, float64(g.limit)), refill
	}
	if g.PerHour <= 0 {
		return 0, 0, 0
	}
	g.refillLocked(now)
	return g.PerHour, g.level, float64(g.PerHour) / 3600
}

func (g *Governor) refillLocked(now time.Time) {
	if g.levelAt.IsZero() {
		g.level, g.levelAt = float64(g.PerHour), now
		return
	}
	g.level = min(float64(g.PerHour), g.level+now.Sub(g.levelAt).Hours()*float64(g.PerHour))
	g.levelAt = now
}

func (g *Governor) spendLocked(p Purpose) {
	g.calls[p]++
	if g.limit > 0 {
		// Fold the refill so far into the count, then spend one.
		now := g.now()
		_, left, _ := g.leftLocked(now)
		g.remaining, g.seen = max(int(left)-1, 0), now
		if !g.reset.IsZero() && !now.Before(g.reset) {
			g.reset = time.Time{}
		}
		return
	}
	if g.PerHour > 0 {
		g.refillLocked(g.now())
		g.level--
	}
}

// Observe reads an answer's rate-limit headers.
func (g *Governor) Observe(status int, h http.Header) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	limit, lok := headerInt(h, "X-RateLimit-Requests-Limit", "X-RateLimit-Limit")
	left, rok := headerInt(h, "X-RateLimit-Requests-Remaining", "X-RateLimit-Remaining")
	if lok && rok && limit > 0 {
		g.limit, g.remaining, g.seen = limit, left, now
		g.reset = time.Time{}
		if ms, err := strconv.ParseInt(h.Get("X-RateLimit-Requests-Reset"), 10, 64); err == nil && ms > 0 {
			g.reset = time.UnixMilli(ms)
		}
	}
	if ra := h.Get("Retry-After"); ra != "" {
		if secs, err := strconv.Atoi(ra); err == nil && secs >= 0 {
			g.blockedUntil = now.Add(time.Duration(secs) * time.Second)
		} else if t, err := http.ParseTime(ra); err == nil {
			g.blockedUntil = t
		}
	} else if status == http.StatusTooManyRequests {
		g.blockedUntil = now.Add(maxStep)
	}
}

func headerInt(h http.Header, names ...string) (int, bool) {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			if i, err := strconv.Atoi(v); err == nil {
				return i, true
			}
		}
	}
	return 0, false
}

// Snapshot is what a governor knows, for metrics and health.
type Snapshot struct {
	Limit     int     // requests in the budget (0: unknown, unlimited)
	Remaining float64 // left now
	Calls     map[Purpose]int64
	Waits     map[Purpose]int64 // calls that had to wait
	// PerSecond is the rate the budget comes back at (0: unknown).
	PerSecond float64
}

// Low reports whether less than a tenth of a known budget is left.
func (s Snapshot) Low() bool { return s.Limit > 0 && s.Remaining < float64(s.Limit)/10 }

// Snapshot reports the governor's state.
func (g *Governor) Snapshot() Snapshot {
	g.mu.Lock()
	defer g.mu.Unlock()
	limit, left, refill := g.leftLocked(g.now())
	s := Snapshot{Limit: limit, Remaining: left, PerSecond: refill, Calls: map[Purpose]int64{}, Waits: map[Purpose]int64{}}
	for _, p := range Purposes() {
		s.Calls[p], s.Waits[p] = g.calls[p], g.waits[p]
	}
	return s
}

// Transport paces the requests sent through next by the purpose their
// context names, and learns from the answers.
func (g *Governor) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		if err := g.Wait(r.Context(), PurposeOf(r.Context())); err != nil {
			return nil, err
		}
		resp, err := next.RoundTrip(r)
		if err == nil {
			g.Observe(resp.StatusCode, resp.Header)
		}
		return resp, err
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

var (
	registryMu sync.Mutex
	registry   = map[string]*Governor{}
)

// For is the governor of a credential: the same credential (the tool's
// address and the secret that identifies the account) always gets the
// same governor, so syncs sharing a key share its budget. perHour is the
// configured budget (the first caller's stands).
func For(tool, address, secret string, perHour int) *Governor {
	h := sha256.Sum256([]byte(tool + "\x00" + address + "\x00" + secret))
	key := hex.EncodeToString(h[:])
	registryMu.Lock()
	defer registryMu.Unlock()
	if g, ok := registry[key]; ok {
		return g
	}
	g := &Governor{PerHour: perHour}
	registry[key] = g
	return g
}
