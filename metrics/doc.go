// Package metrics defines Tandem's Prometheus metrics and the small hooks
// the rest of the program calls to feed them: sync events, API calls per
// connector (an http.RoundTripper), retry waits and queue state. It owns
// the registry and /metrics, nothing else.
package metrics
