package metrics

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tandem-sync/tandem/budget"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/reconcile"
)

// Metrics holds every collector on its own registry (no global state, so
// tests and several in-process daemons don't collide).
type Metrics struct {
	reg          *prometheus.Registry
	propagations *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	conflicts    *prometheus.CounterVec
	creates      *prometheus.CounterVec
	matches      *prometheus.CounterVec
	apiCalls     *prometheus.CounterVec
	apiErrors    *prometheus.CounterVec
	rateWaits    *prometheus.CounterVec
	rateWaitSecs *prometheus.CounterVec
	passes       *prometheus.CounterVec
}

// Gauges are read at scrape time.
type Gauges struct {
	QueueDepth    func() float64
	SyncLag       func() float64 // seconds the oldest waiting key has waited
	Links         func() float64
	OpenConflicts func() float64
}

// New registers every collector.
func New(g Gauges) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.propagations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_propagations_total", Help: "Field values written to one side because the other changed, by direction and field.",
	}, []string{"direction", "field"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "tandem_propagation_latency_seconds",
		Help:    "From the source item's last update to the write on the other side, by direction and field.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
	}, []string{"direction", "field"})
	m.conflicts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_conflicts_total", Help: "Fields changed on both sides to different values, by field and policy.",
	}, []string{"field", "policy"})
	m.creates = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_twins_created_total", Help: "Twins created, by the side they were created on.",
	}, []string{"side"})
	m.matches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_matches_total", Help: "Unlinked issues found to have a twin already (outcome matched) or several candidates (outcome ambiguous), by signal.",
	}, []string{"outcome", "signal"})
	m.apiCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_api_calls_total", Help: "HTTP requests to each tool, by connector, method and status class.",
	}, []string{"connector", "method", "code"})
	m.apiErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_api_errors_total", Help: "Failed requests to each tool (transport errors and non-2xx answers), by connector.",
	}, []string{"connector"})
	m.rateWaits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_rate_limit_waits_total", Help: "Waits before retrying a call, by connector and reason (rate_limit, error).",
	}, []string{"connector", "reason"})
	m.rateWaitSecs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_retry_wait_seconds_total", Help: "Seconds spent waiting before retries, by connector and reason.",
	}, []string{"connector", "reason"})
	m.passes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_sync_passes_total", Help: "Sync passes run, by outcome (ok, error).",
	}, []string{"outcome"})
	m.reg.MustRegister(m.propagations, m.latency, m.conflicts, m.creates, m.matches, m.apiCalls, m.apiErrors, m.rateWaits, m.rateWaitSecs, m.passes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gauge := func(name, help string, f func() float64) {
		if f != nil {
			m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
		}
	}
	gauge("tandem_queue_depth", "Keys waiting, being synced or scheduled for retry.", g.QueueDepth)
	gauge("tandem_sync_lag_seconds", "How long the oldest waiting key has waited.", g.SyncLag)
	gauge("tandem_links", "Linked pairs.", g.Links)
	gauge("tandem_open_conflicts", "Conflicts waiting for a person's decision.", g.OpenConflicts)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Observe feeds a sync event (a reconcile.Syncer Observe hook).
func (m *Metrics) Observe(e reconcile.Event, sourceUpdated time.Time) {
	switch e.Kind {
	case reconcile.EventPatched:
		dir := string(e.To.Other()) + "_to_" + string(e.To)
		for _, f := range e.Fields {
			m.propagations.WithLabelValues(dir, string(f)).Inc()
			if !sourceUpdated.IsZero() && e.At.After(sourceUpdated) {
				m.latency.WithLabelValues(dir, string(f)).Observe(e.At.Sub(sourceUpdated).Seconds())
			}
		}
	case reconcile.EventCreated:
		m.creates.WithLabelValues(string(e.To)).Inc()
	case reconcile.EventMatched, reconcile.EventAmbiguous:
		m.matches.WithLabelValues(string(e.Kind), string(e.Signal)).Inc()
	case reconcile.EventConflict:
		if e.Conflict != nil {
			m.conflicts.WithLabelValues(string(e.Conflict.Field), string(e.Conflict.Policy)).Inc()
		}
	}
}

// Pass counts one sync pass.
func (m *Metrics) Pass(err error) {
	if err != nil {
		m.passes.WithLabelValues("error").Inc()
		return
	}
	m.passes.WithLabelValues("ok").Inc()
}

// RetryWait is a connectors.RetryPolicy OnWait hook.
func (m *Metrics) RetryWait(side backlog.Side, err error, wait time.Duration) {
	reason := "error"
	var rl *connectors.RateLimitError
	if errors.As(err, &rl) {
		reason = "rate_limit"
	}
	m.rateWaits.WithLabelValues(string(side), reason).Inc()
	m.rateWaitSecs.WithLabelValues(string(side), reason).Add(wait.Seconds())
}

// Transport counts the requests made through next for one connector.
func (m *Metrics) Transport(side backlog.Side, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(r)
		code := "error"
		if err == nil {
			code = strconv.Itoa(resp.StatusCode/100) + "xx"
		}
		m.apiCalls.WithLabelValues(string(side), r.Method, code).Inc()
		if err != nil || resp.StatusCode >= 300 {
			m.apiErrors.WithLabelValues(string(side)).Inc()
		}
		return resp, err
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// WatchBudget exports a tool's budget governor: what is left and the size
// of its budget, and its calls and waits by purpose.
func (m *Metrics) WatchBudget(tool string, snap func() budget.Snapshot) {
	l := prometheus.Labels{"tool": tool}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tandem_api_budget_remaining", Help: "Requests left of the tool's rate budget (its headers', or the configured one's).", ConstLabels: l},
			func() float64 { return snap().Remaining }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tandem_api_budget_limit", Help: "Requests in the tool's rate budget (0: unknown, unlimited).", ConstLabels: l},
			func() float64 { return float64(snap().Limit) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tandem_api_complexity_remaining", Help: "Complexity points left of the tool's budget (Linear; 0 where the tool reports none).", ConstLabels: l},
			func() float64 { return snap().ComplexityRemaining }),
	)
	for _, p := range budget.Purposes() {
		pl := prometheus.Labels{"tool": tool, "purpose": p.String()}
		m.reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tandem_api_calls_by_purpose_total", Help: "Requests to the tool by purpose (webhook, poll, order, backfill).", ConstLabels: pl},
				func() float64 { return float64(snap().Calls[p]) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tandem_api_budget_waits_total", Help: "Requests the budget governor held back to keep budget for more urgent purposes, by purpose.", ConstLabels: pl},
				func() float64 { return float64(snap().Waits[p]) }),
		)
	}
}
