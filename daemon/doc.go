// Package daemon is Tandem's runtime: a work queue with per-key coalescing
// fed by webhooks, pollers and the durable dirty set; workers that run
// reconcile passes; the leader lease that keeps pollers on one replica; and
// the HTTP surface (webhook receivers, health). It owns goroutines and HTTP,
// and no sync logic: that is reconcile's.
package daemon
