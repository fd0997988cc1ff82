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
	"strings"
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

// Reserve is the share of a budget purpose p leaves to the ones before
// it (0 for webhook passes).
func Reserve(p Purpose) float64 {
	if p < 0 || p >= nPurposes {
		return reserve[Poll]
	}
	return reserve[p]
}

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
	// Bucket names the rate-limit bucket a request spends from, when the
	// tool keeps one per endpoint (Jira's burst limits are per endpoint
	// and method: JiraBucket); nil: one bucket for every request
	// (Linear's).
	Bucket func(method, path string) string
	// Now and Sleep are the clock (tests fake them).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	mu           sync.Mutex
	buckets      map[string]*meter // requests, from the headers, by Bucket
	complexity   meter             // Linear's complexity points, from the headers
	cost         float64           // complexity a call is expected to cost
	level        float64           // own count of the configured budget, used when no headers
	levelAt      time.Time
	blockedUntil time.Time
	calls        [nPurposes]int64
	waits        [nPurposes]int64
}

// meter is one budget the answers report (requests or complexity points):
// what was left when last seen, how fast it comes back, and what calls
// not yet answered have spent of it since (an answer's count does not
// include requests still in flight, so they are taken off it).
type meter struct {
	limit     int
	remaining float64
	rate      float64 // comes back at, a second
	seen      time.Time
	inflight  float64
}

func (m *meter) known() bool { return m.limit > 0 }

// left is what is left at now.
func (m *meter) left(now time.Time) float64 {
	l := m.remaining + m.rate*now.Sub(m.seen).Seconds()
	return min(l, float64(m.limit))
}

// spend takes n at now.
func (m *meter) spend(n float64, now time.Time) {
	m.remaining, m.seen = m.left(now)-n, now
	m.inflight += n
}

// answered is an answer to a call that spent n: its headers (when ok)
// report limit and remaining, coming back whole by reset (zero: not
// named).
func (m *meter) answered(n float64, ok bool, limit, remaining int, reset, now time.Time, assumedRefill time.Duration) {
	m.inflight = max(m.inflight-n, 0)
	if !ok || limit <= 0 {
		return
	}
	switch {
	case !reset.IsZero() && reset.After(now) && remaining < limit:
		// A leaky bucket coming back evenly until the reset.
		m.rate = float64(limit-remaining) / reset.Sub(now).Seconds()
	case !reset.IsZero():
		if m.rate == 0 || m.limit != limit {
			m.rate = float64(limit) / 3600
		}
	default:
		// No reset named (Jira's burst limit): assume the limit comes
		// back over assumedRefill, as Jira's per-second bucket does.
		m.rate = float64(limit) / assumedRefill.Seconds()
	}
	m.limit, m.remaining, m.seen = limit, float64(remaining)-m.inflight, now
}

// delay is how long a call needing n must wait so that more than reserve
// of the limit stays (≤ 0: none).
func (m *meter) delay(n, reserve float64, now time.Time) time.Duration {
	if !m.known() {
		return 0
	}
	keep := reserve * float64(m.limit)
	need := keep + n - m.left(now)
	if need <= 0 {
		return 0
	}
	if m.rate <= 0 {
		return maxStep
	}
	return time.Duration(need / m.rate * float64(time.Second))
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

// JiraBucket is Jira's bucket naming: one per HTTP method and endpoint,
// the issue keys and ids in the path made one ("/rest/api/3/issue/TAN-12/
// transitions" and ".../TAN-13/transitions" share a bucket).
func JiraBucket(method, path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if i > 0 && parts[i-1] == "api" {
			continue // the API's version
		}
		if isKeyOrID(p) {
			parts[i] = "{}"
		}
	}
	return method + " " + strings.Join(parts, "/")
}

func isKeyOrID(s string) bool {
	if s == "" {
		return false
	}
	digits, dash := 0, -1
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '-':
			if dash >= 0 {
				return false
			}
			dash = i
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r == '_':
			if dash >= 0 {
				return false // letters after the dash: a word, not a key
			}
		default:
			return false
		}
	}
	if dash < 0 {
		return digits == len(s) // an id
	}
	return dash > 0 && digits > 0 && dash < len(s)-1 // KEY-123
}

// ticket is one call let through: what it spent, to be settled by its
// answer.
type ticket struct {
	bucket string
	cost   float64 // complexity points counted in flight
	n      float64 // requests counted in flight (1 or 0)
}

// Wait returns when a call of purpose p may go, counting it; or ctx's
// error.
func (g *Governor) Wait(ctx context.Context, p Purpose) error {
	t, err := g.wait(ctx, p, "")
	if err == nil {
		// The caller reports the answer by Observe, if at all: nothing is
		// left in flight.
		g.mu.Lock()
		if m := g.buckets[t.bucket]; m != nil {
			m.inflight = max(m.inflight-t.n, 0)
		}
		g.complexity.inflight = max(g.complexity.inflight-t.cost, 0)
		g.mu.Unlock()
	}
	return err
}

func (g *Governor) wait(ctx context.Context, p Purpose, bucket string) (ticket, error) {
	waited := false
	for {
		g.mu.Lock()
		d := g.delayLocked(p, bucket)
		if d <= 0 {
			t := g.spendLocked(p, bucket)
			g.mu.Unlock()
			return t, nil
		}
		if !waited {
			g.waits[p]++
			waited = true
		}
		g.mu.Unlock()
		if err := g.sleep(ctx, min(d, maxStep)); err != nil {
			return ticket{}, err
		}
	}
}

// delayLocked is how long a call of purpose p must wait (≤ 0: none).
func (g *Governor) delayLocked(p Purpose, bucket string) time.Duration {
	now := g.now()
	if now.Before(g.blockedUntil) {
		return g.blockedUntil.Sub(now)
	}
	keep := Reserve(p)
	if m := g.buckets[bucket]; m != nil && m.known() {
		return max(m.delay(1, keep, now), g.complexity.delay(g.cost, keep, now))
	}
	d := g.complexity.delay(g.cost, keep, now)
	if g.PerHour <= 0 {
		return d
	}
	g.refillLocked(now)
	limit := float64(g.PerHour)
	if need := keep*limit + 1 - g.level; need > 0 {
		d = max(d, time.Duration(need/(limit/3600)*float64(time.Second)))
	}
	return d
}

func (g *Governor) refillLocked(now time.Time) {
	if g.levelAt.IsZero() {
		g.level, g.levelAt = float64(g.PerHour), now
		return
	}
	g.level = min(float64(g.PerHour), g.level+now.Sub(g.levelAt).Hours()*float64(g.PerHour))
	g.levelAt = now
}

func (g *Governor) spendLocked(p Purpose, bucket string) ticket {
	g.calls[p]++
	now := g.now()
	t := ticket{bucket: bucket, n: 1}
	if g.complexity.known() {
		t.cost = g.cost
		g.complexity.spend(t.cost, now)
	}
	if m := g.buckets[bucket]; m != nil && m.known() {
		m.spend(1, now)
		return t
	}
	if g.buckets == nil {
		g.buckets = map[string]*meter{}
	}
	if g.buckets[bucket] == nil {
		g.buckets[bucket] = &meter{}
	}
	g.buckets[bucket].inflight++
	if g.PerHour > 0 {
		g.refillLocked(now)
		g.level--
	}
	return t
}

// Observe reads an answer's rate-limit headers.
func (g *Governor) Observe(status int, h http.Header) {
	g.answered(ticket{}, status, h)
}

// answered settles t with its answer (nil h: the call failed without one).
func (g *Governor) answered(t ticket, status int, h http.Header) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.buckets == nil {
		g.buckets = map[string]*meter{}
	}
	m := g.buckets[t.bucket]
	if m == nil {
		m = &meter{}
		g.buckets[t.bucket] = m
	}
	limit, lok := headerInt(h, "X-RateLimit-Requests-Limit", "X-RateLimit-Limit")
	left, rok := headerInt(h, "X-RateLimit-Requests-Remaining", "X-RateLimit-Remaining")
	m.answered(t.n, lok && rok, limit, left, resetOf(h, "X-RateLimit-Requests-Reset"), now, burstRefill)
	cl, clok := headerInt(h, "X-RateLimit-Complexity-Limit")
	cr, crok := headerInt(h, "X-RateLimit-Complexity-Remaining")
	g.complexity.answered(t.cost, clok && crok, cl, cr, resetOf(h, "X-RateLimit-Complexity-Reset"), now, time.Hour)
	if c, ok := headerInt(h, "X-Complexity"); ok && c >= 0 {
		// Expect the dearest recent call again; forget it slowly.
		g.cost = max(float64(c), g.cost*0.9)
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

func resetOf(h http.Header, name string) time.Time {
	if ms, err := strconv.ParseInt(h.Get(name), 10, 64); err == nil && ms > 0 {
		return time.UnixMilli(ms)
	}
	return time.Time{}
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
	// ComplexityLimit and ComplexityRemaining are Linear's complexity
	// points (0: not reported).
	ComplexityLimit     int
	ComplexityRemaining float64
}

// Spent is the calls counted, all purposes.
func (s Snapshot) Spent() int64 {
	var n int64
	for _, c := range s.Calls {
		n += c
	}
	return n
}

// Low reports whether less than a tenth of a known budget (requests or
// complexity) is left.
func (s Snapshot) Low() bool {
	return (s.Limit > 0 && s.Remaining < float64(s.Limit)/10) ||
		(s.ComplexityLimit > 0 && s.ComplexityRemaining < float64(s.ComplexityLimit)/10)
}

// Snapshot reports the governor's state: of the budgets the answers
// report, the one with the smallest share left.
func (g *Governor) Snapshot() Snapshot {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	s := Snapshot{Calls: map[Purpose]int64{}, Waits: map[Purpose]int64{}}
	share := 2.0
	for _, m := range g.buckets {
		if !m.known() {
			continue
		}
		if l := m.left(now); l/float64(m.limit) < share {
			share = l / float64(m.limit)
			s.Limit, s.Remaining, s.PerSecond = m.limit, l, m.rate
		}
	}
	if s.Limit == 0 && g.PerHour > 0 {
		g.refillLocked(now)
		s.Limit, s.Remaining, s.PerSecond = g.PerHour, g.level, float64(g.PerHour)/3600
	}
	if m := g.complexity; m.known() {
		s.ComplexityLimit, s.ComplexityRemaining = m.limit, m.left(now)
	}
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
		bucket := ""
		if g.Bucket != nil {
			bucket = g.Bucket(r.Method, r.URL.Path)
		}
		t, err := g.wait(r.Context(), PurposeOf(r.Context()), bucket)
		if err != nil {
			return nil, err
		}
		resp, err := next.RoundTrip(r)
		if err != nil {
			g.answered(t, 0, nil)
			return nil, err
		}
		g.answered(t, resp.StatusCode, resp.Header)
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
	if tool == "jira" {
		g.Bucket = JiraBucket
	}
	registry[key] = g
	return g
}
