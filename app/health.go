package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/tandem-sync/tandem/budget"
)

// health remembers how the last call to one tool went, so readiness can
// report the tool without calling it on every probe.
type health struct {
	mu      sync.Mutex
	okAt    time.Time
	failAt  time.Time
	lastErr string
}

func (h *health) transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return rtFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(r)
		h.mu.Lock()
		defer h.mu.Unlock()
		switch {
		case err != nil:
			h.failAt, h.lastErr = time.Now(), err.Error()
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode >= 500:
			h.failAt, h.lastErr = time.Now(), fmt.Sprintf("%s %s: %s", r.Method, r.URL.Path, resp.Status)
		default: // 2xx, other 4xx and 429 all mean the tool answers
			h.okAt = time.Now()
		}
		return resp, err
	})
}

// state reports whether the tool answered last time, and how.
func (h *health) state() (bool, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.okAt.IsZero() && h.failAt.IsZero():
		return true, "no calls yet"
	case h.failAt.After(h.okAt):
		return false, "failing since " + h.failAt.UTC().Format(time.RFC3339) + ": " + h.lastErr
	default:
		return true, "ok, last answer " + time.Since(h.okAt).Round(time.Millisecond).String() + " ago"
	}
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// ready answers /readyz: 200 when the daemon runs, the state store answers
// and both tools answered their last call; 503 otherwise, with the reasons.
func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	type check struct {
		OK     bool   `json:"ok"`
		Detail string `json:"detail"`
	}
	checks := map[string]check{}
	_, err := a.State.Cursor(r.Context(), "poll:jira")
	checks["store"] = check{OK: err == nil, Detail: "ok"}
	if err != nil {
		checks["store"] = check{Detail: err.Error()}
	}
	ok, msg := a.jiraHealth.state()
	checks["jira"] = check{OK: ok, Detail: msg}
	ok, msg = a.linearHealth.state()
	checks["linear"] = check{OK: ok, Detail: msg}
	// A tool whose budget is nearly spent still syncs, slowly, the urgent
	// work first: reported, not a failure.
	for tool, g := range map[string]interface{ Snapshot() budget.Snapshot }{"jira_budget": a.JiraBudget, "linear_budget": a.LinearBudget} {
		sn := g.Snapshot()
		c := check{OK: true, Detail: "ok"}
		switch {
		case sn.Limit == 0:
			c.Detail = "no budget known"
		case sn.Low():
			c.Detail = fmt.Sprintf("nearly spent: %.0f of %d requests left; webhook passes first, backfill waits", sn.Remaining, sn.Limit)
		default:
			c.Detail = fmt.Sprintf("%.0f of %d requests left", sn.Remaining, sn.Limit)
		}
		checks[tool] = c
	}
	running := a.running.Load()
	checks["daemon"] = check{OK: running, Detail: map[bool]string{true: "running", false: "not running"}[running]}
	code := http.StatusOK
	for _, c := range checks {
		if !c.OK {
			code = http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(checks)
}

// timed bounds each request sent through next, its answer's body
// included, to d (0: no bound), as http.Client.Timeout would, but from
// the moment it is sent.
func timed(next http.RoundTripper, d time.Duration) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if d <= 0 {
		return next
	}
	return rtFunc(func(r *http.Request) (*http.Response, error) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		resp, err := next.RoundTrip(r.WithContext(ctx))
		if err != nil {
			cancel()
			return nil, err
		}
		resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
		return resp, nil
	})
}

// cancelBody ends its request's timeout when the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
