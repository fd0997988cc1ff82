package connectors

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/tandem-sync/tandem/backlog"
)

// RetryPolicy bounds the retries of one call.
type RetryPolicy struct {
	Attempts int           // total tries, default 5
	Base     time.Duration // first backoff, default 100 ms
	Max      time.Duration // largest backoff and largest rate-limit wait honoured in-call, default 30 s
	// OnWait, when set, is told about every wait (for metrics).
	OnWait func(side backlog.Side, err error, wait time.Duration)
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 5
	}
	if p.Base <= 0 {
		p.Base = 100 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 30 * time.Second
	}
	return p
}

// WithRetry wraps c so every call is retried on transient errors with
// jittered exponential backoff, and waits out rate limits (up to p.Max per
// wait). Permanent errors and ErrNotFound return at once. Waits watch ctx.
// Optional capabilities of c (Webhooks, Registrar) are not carried over:
// use c itself for those.
func WithRetry(c Connector, p RetryPolicy) Connector {
	return &retrying{c: c, p: p.withDefaults()}
}

type retrying struct {
	c Connector
	p RetryPolicy
}

func (r *retrying) do(ctx context.Context, f func() error) error {
	var err error
	for attempt := 0; attempt < r.p.Attempts; attempt++ {
		if err = f(); err == nil || IsPermanent(err) || ctx.Err() != nil {
			return err
		}
		if attempt == r.p.Attempts-1 {
			break
		}
		wait := r.p.Base << attempt
		if wait > r.p.Max || wait <= 0 {
			wait = r.p.Max
		}
		wait = wait/2 + rand.N(wait/2+1)
		var rl *RateLimitError
		if errors.As(err, &rl) {
			if rl.RetryAfter > r.p.Max {
				return err // too long to hold a worker: let the caller requeue
			}
			wait = max(rl.RetryAfter, wait)
		}
		if r.p.OnWait != nil {
			r.p.OnWait(r.c.Side(), err, wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
	return err
}

func (r *retrying) Side() backlog.Side { return r.c.Side() }

func (r *retrying) Changed(ctx context.Context, cursor string) (Page, error) {
	var p Page
	err := r.do(ctx, func() (err error) { p, err = r.c.Changed(ctx, cursor); return err })
	return p, err
}

func (r *retrying) Get(ctx context.Context, id string) (backlog.Item, error) {
	var it backlog.Item
	err := r.do(ctx, func() (err error) { it, err = r.c.Get(ctx, id); return err })
	return it, err
}

// Create is retried like the rest: Connector.Create is idempotent for a
// given origin, so a retry after a lost answer finds the twin.
func (r *retrying) Create(ctx context.Context, it backlog.Item) (backlog.Ref, error) {
	var ref backlog.Ref
	err := r.do(ctx, func() (err error) { ref, err = r.c.Create(ctx, it); return err })
	return ref, err
}

func (r *retrying) Apply(ctx context.Context, id string, p backlog.Patch) error {
	return r.do(ctx, func() error { return r.c.Apply(ctx, id, p) })
}

func (r *retrying) Project(f backlog.Field, v backlog.Value) backlog.Value {
	return r.c.Project(f, v)
}

// MaxGet is the wrapped connector's (0 when it cannot read in batches).
func (r *retrying) MaxGet() int {
	if g, ok := r.c.(BatchGetter); ok {
		return g.MaxGet()
	}
	return 0
}

// GetMany forwards to the wrapped connector's batch read, retried like Get.
func (r *retrying) GetMany(ctx context.Context, ids []string) (map[string]backlog.Item, error) {
	g, ok := r.c.(BatchGetter)
	if !ok {
		return nil, Permanent(errors.New(string(r.c.Side()) + " cannot read in batches"))
	}
	var out map[string]backlog.Item
	err := r.do(ctx, func() (err error) { out, err = g.GetMany(ctx, ids); return err })
	return out, err
}

// MaxCreate is the wrapped connector's (0 when it cannot create in
// batches).
func (r *retrying) MaxCreate() int {
	if c, ok := r.c.(BatchCreator); ok {
		return c.MaxCreate()
	}
	return 0
}

// CreateMany forwards to the wrapped connector's batch create. A batch
// that failed as a whole is retried (CreateMany is idempotent per origin,
// as Create is); one that failed in part is returned, so the caller
// retries only the failed items.
func (r *retrying) CreateMany(ctx context.Context, items []backlog.Item) ([]backlog.Ref, error) {
	c, ok := r.c.(BatchCreator)
	if !ok {
		return nil, Permanent(errors.New(string(r.c.Side()) + " cannot create in batches"))
	}
	var refs []backlog.Ref
	var partial error
	err := r.do(ctx, func() error {
		var err error
		refs, err = c.CreateMany(ctx, items)
		var be *BatchError
		if errors.As(err, &be) {
			partial = err
			return nil
		}
		return err
	})
	if err != nil {
		return refs, err
	}
	return refs, partial
}

// OwnWrite forwards to the wrapped connector (ok false when it cannot
// tell).
func (r *retrying) OwnWrite(id, version string) (string, bool) {
	if o, ok := r.c.(OwnWrites); ok {
		return o.OwnWrite(id, version)
	}
	return "", false
}

// Created forwards to the wrapped connector (none when it cannot).
func (r *retrying) Created(ids []string) map[string]backlog.Item {
	if c, ok := r.c.(CreatedReader); ok {
		return c.Created(ids)
	}
	return nil
}
