package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/budget"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/reconcile"
	"github.com/tandem-sync/tandem/store"
)

// Syncer is the pass the workers run (reconcile.Syncer).
type Syncer interface {
	Sync(ctx context.Context, ref backlog.Ref) (reconcile.Result, error)
}

// BatchSyncer is the optional capability of running the passes of many
// keys of one side together (reconcile.Syncer.SyncMany), so that a
// backfill reads and creates in batches.
type BatchSyncer interface {
	SyncMany(ctx context.Context, refs []reconcile.Hinted) []reconcile.Outcome
	// BatchSize is how many keys of side one SyncMany takes (≤ 1: none).
	BatchSize(side backlog.Side) int
}

// OrderSyncer is the order pass (reconcile.OrderSyncer).
type OrderSyncer interface {
	Sync(ctx context.Context) (reconcile.OrderResult, error)
}

// OrderKey is the queue key of the whole-backlog order pass.
const OrderKey = "order"

// Side is one tool as the daemon drives it.
type Side struct {
	// Conn polls (usually wrapped in connectors.WithRetry).
	Conn connectors.Connector
	// Hooks verifies webhook deliveries; nil disables the endpoint.
	Hooks connectors.Webhooks
}

// Daemon wires webhooks and pollers to the workers. Set the fields, then
// call Run; Handler may be served before Run starts.
type Daemon struct {
	Syncer Syncer
	State  store.State
	Jira   Side
	Linear Side
	// Order, when set, mirrors backlog order; its passes run under the key
	// OrderKey, triggered by order hints in webhooks and after every poll.
	Order     OrderSyncer
	PollEvery time.Duration // default 30 s
	Workers   int           // default 4
	Log       *slog.Logger
	// Retention bounds the conflict log (settled, applied records only),
	// enforced at start and every PruneEvery (default 10 min) when the
	// store can prune (store.ConflictPruner). Zero values: no bound.
	RetainAge   time.Duration
	RetainCount int
	PruneEvery  time.Duration
	// Progress, when set (a terminal), shows the initial backfill's
	// progress as one line rewritten in place; otherwise it is logged.
	Progress io.Writer
	// Budgets are the tools' budget governors' snapshots, by tool name:
	// the backfill's expected finish allows for what their budgets let
	// it spend, not only for the rate so far.
	Budgets map[string]func() budget.Snapshot
	// ProgressEvery is how often backfill progress is reported (default
	// 2 s).
	ProgressEvery time.Duration
	// OnPass, when set, is told about every pass and its outcome.
	OnPass func(key string, err error, took time.Duration)
	// DedupeTTL is how long a webhook delivery id is remembered (default
	// 24 h: Linear retries for up to about 7 h).
	DedupeTTL time.Duration
	// OrderCheckEvery is the safety net of order mirroring: a whole order
	// pass at least this often (default 1 h), for a reorder no webhook and
	// no poll reported. Other order passes run only when one did.
	OrderCheckEvery time.Duration

	once  sync.Once
	q     *queue
	ready atomic.Bool
	stats Stats
	// versions remembers the item versions pollers queued, so overlapping
	// poll windows do not queue an unchanged item again.
	versionsMu sync.Mutex
	versions   map[string]string
	// polling counts poll rounds in progress (a round pages until More is
	// false).
	polling atomic.Int64
	// fullJira and fullLinear are set once a side's poller has read a
	// round to its last page.
	fullJira, fullLinear atomic.Bool
	// orderChecked is when the last order pass was asked for (unix nanos).
	orderChecked atomic.Int64
	// hints are the item versions the reports queued since a key's last
	// pass began (see hint).
	hintsMu sync.Mutex
	hints   map[string]versionHint
	// orderDeferred is when the waiting order pass was first put off
	// (UnixNano; 0: not put off).
	orderDeferred atomic.Int64
}

// versionHint is what the reports of a key said about its version: the
// one version they all named, or that a report named none or another one (a comment event, an
// admin's request), in which case the pass must read.
type versionHint struct {
	vs      []string // the distinct versions reported
	unknown bool
}

// maxHinted is how many distinct versions a hint keeps; more, and the
// pass reads.
const maxHinted = 8

// Stats are running counters, read with Snapshot.
type Stats struct {
	Passes, Failures, Deliveries, Duplicates, Polls atomic.Int64
	// Rounds counts poll rounds read to their last page (both sides).
	Rounds atomic.Int64
}

// StatsSnapshot is a copy of Stats.
type StatsSnapshot struct {
	Passes, Failures, Deliveries, Duplicates, Polls, Rounds int64
	Queue                                                   int
}

// Stats returns the current counters.
func (d *Daemon) Stats() StatsSnapshot {
	d.init()
	return StatsSnapshot{
		Passes: d.stats.Passes.Load(), Failures: d.stats.Failures.Load(),
		Deliveries: d.stats.Deliveries.Load(), Duplicates: d.stats.Duplicates.Load(),
		Polls: d.stats.Polls.Load(), Rounds: d.stats.Rounds.Load(), Queue: d.q.Len(),
	}
}

func (d *Daemon) init() {
	d.once.Do(func() {
		d.q = newQueue()
		if d.Log == nil {
			d.Log = slog.Default()
		}
		if d.PollEvery <= 0 {
			d.PollEvery = 30 * time.Second
		}
		if d.Workers <= 0 {
			d.Workers = 4
		}
		if d.DedupeTTL <= 0 {
			d.DedupeTTL = 24 * time.Hour
		}
		if d.OrderCheckEvery <= 0 {
			d.OrderCheckEvery = time.Hour
		}
	})
}

// Run replays the durable dirty set, then runs workers and pollers until
// ctx ends. It returns nil on a clean stop.
func (d *Daemon) Run(ctx context.Context) error {
	d.init()
	dirty, err := d.State.Dirty(ctx)
	if err != nil {
		return fmt.Errorf("reading dirty keys: %w", err)
	}
	for key, seq := range dirty {
		d.q.Add(key, seq)
	}
	if len(dirty) > 0 {
		d.Log.Info("resuming unfinished work", "keys", len(dirty))
	}
	// A twin whose creation was cut short: finish it (the create is
	// idempotent), whatever the dirty set says.
	links, err := d.State.Links(ctx)
	if err != nil {
		return fmt.Errorf("reading links: %w", err)
	}
	for _, l := range links {
		if l.Pending == "" {
			continue
		}
		if err := d.Enqueue(ctx, l.Ref(l.Pending.Other())); err != nil {
			return err
		}
		d.Log.Info("resuming twin creation", "link", l.ID(), "pending", l.Pending)
	}
	var wg sync.WaitGroup
	for n := range d.Workers {
		// With two workers or more, one takes webhook keys only: a
		// person's edit never waits behind a backfill's passes (which may
		// themselves wait for budget).
		urgentOnly := d.Workers >= 2 && n == 0
		wg.Go(func() { d.work(ctx, urgentOnly) })
	}
	for _, s := range []Side{d.Jira, d.Linear} {
		wg.Go(func() { d.poll(ctx, s.Conn) })
	}
	wg.Go(func() {
		d.progress(ctx, d.ProgressEvery, func() bool { return d.fullJira.Load() && d.fullLinear.Load() })
	})
	if p, ok := d.State.(store.ConflictPruner); ok && (d.RetainAge > 0 || d.RetainCount > 0) {
		wg.Go(func() { d.prune(ctx, p) })
	}
	d.ready.Store(true)
	<-ctx.Done()
	d.ready.Store(false)
	d.q.Close()
	wg.Wait()
	return nil
}

// OldestWait is how long the longest-waiting key has waited for a worker.
func (d *Daemon) OldestWait() time.Duration {
	d.init()
	return d.q.OldestWait()
}

// Idle reports whether no key is waiting, being synced or scheduled, and
// no poll round is paging.
func (d *Daemon) Idle() bool {
	d.init()
	return d.q.Len() == 0 && d.polling.Load() == 0
}

// Enqueue durably marks ref dirty and queues it.
func (d *Daemon) Enqueue(ctx context.Context, ref backlog.Ref) error {
	return d.enqueueVersion(ctx, ref, "")
}

// enqueueVersion is Enqueue with the item version the report named ("" when
// it named none): the pass skips a version it synced already.
func (d *Daemon) enqueueVersion(ctx context.Context, ref backlog.Ref, version string) error {
	return d.enqueue(ctx, ref, version, false)
}

// enqueue is enqueueVersion; urgent keys (a webhook's) go before the
// keys waiting, and their pass spends the budget as budget.Webhook.
func (d *Daemon) enqueue(ctx context.Context, ref backlog.Ref, version string, urgent bool) error {
	key := ref.String()
	if err := d.enqueueKeys(ctx, []string{key}, []string{version}, urgent); err != nil {
		return fmt.Errorf("marking %s dirty: %w", key, err)
	}
	return nil
}

// enqueueKeys durably marks keys dirty, in one durable write
// (store.MarkDirtyMany), and queues them, each with the version its
// report named ("" for none).
func (d *Daemon) enqueueKeys(ctx context.Context, keys, versions []string, urgent bool) error {
	d.init()
	for k, key := range keys {
		d.hint(key, versions[k])
	}
	seqs, err := store.MarkDirtyMany(ctx, d.State, keys)
	if err != nil {
		return err
	}
	for k, key := range keys {
		if urgent {
			d.q.AddUrgent(key, seqs[k])
		} else {
			d.q.Add(key, seqs[k])
		}
	}
	return nil
}

// enqueuePage durably marks and queues a poll page's changes, but the
// versions an earlier round queued already: one durable write for the
// page, not one per change.
func (d *Daemon) enqueuePage(ctx context.Context, page connectors.Page) error {
	d.init()
	var keys, versions []string
	for _, ref := range page.Refs {
		v := page.Versions[ref.ID]
		if v != "" && d.polled(ref.String()) == v {
			continue // this version was queued by an earlier round
		}
		keys, versions = append(keys, ref.String()), append(versions, v)
	}
	if len(keys) == 0 {
		return nil
	}
	if err := d.enqueueKeys(ctx, keys, versions, false); err != nil {
		return fmt.Errorf("marking %d polled changes dirty: %w", len(keys), err)
	}
	for k, key := range keys {
		if versions[k] != "" {
			d.rememberPolled(key, versions[k])
		}
	}
	return nil
}

// purpose is the budget purpose of a pass: a webhook's keys spend as
// webhook passes, the rest as polls.
func purpose(urgent bool) budget.Purpose {
	if urgent {
		return budget.Webhook
	}
	return budget.Poll
}

// EnqueueOrder durably asks for an order pass (no-op without Order).
func (d *Daemon) EnqueueOrder(ctx context.Context) error {
	d.init()
	if d.Order == nil {
		return nil
	}
	seq, err := d.State.MarkDirty(ctx, OrderKey)
	if err != nil {
		return fmt.Errorf("marking order pass: %w", err)
	}
	d.orderChecked.Store(time.Now().UnixNano())
	d.q.Add(OrderKey, seq)
	return nil
}

func (d *Daemon) work(ctx context.Context, urgentOnly bool) {
	t := newTries()
	get := d.q.Get
	if urgentOnly {
		get = d.q.GetUrgent
	}
	for {
		k, ok := get(ctx)
		if !ok {
			return
		}
		if !urgentOnly {
			if batch := d.batch(k); len(batch) > 1 {
				d.passMany(ctx, batch, t)
				for _, b := range batch {
					d.q.Done(b.key)
				}
				continue
			}
		}
		d.pass(ctx, k, t)
		d.q.Done(k.key)
	}
}

// batch gathers, when the Syncer runs batches, the ready keys of key's
// side that one SyncMany takes with key; a single key otherwise.
func (d *Daemon) batch(k queued) []queued {
	one := []queued{k}
	bs, ok := d.Syncer.(BatchSyncer)
	if !ok || k.key == OrderKey {
		return one
	}
	ref, err := backlog.ParseRef(k.key)
	if err != nil {
		return one
	}
	n := bs.BatchSize(ref.Side)
	if n <= 1 {
		return one
	}
	prefix := string(ref.Side) + ":"
	return append(one, d.q.More(n-1, func(k string) bool { return strings.HasPrefix(k, prefix) })...)
}

// passMany runs the passes of keys of one side in one SyncMany.
func (d *Daemon) passMany(ctx context.Context, batch []queued, t *tries) {
	start := time.Now()
	refs := make([]reconcile.Hinted, 0, len(batch))
	var keep []queued
	urgent := false
	for _, b := range batch {
		ref, err := backlog.ParseRef(b.key)
		if err != nil {
			d.Log.Error("dropping malformed key", "key", b.key, "err", err)
			d.clear(ctx, b.key, b.seq)
			continue
		}
		refs = append(refs, reconcile.Hinted{Ref: ref, Version: d.takeHint(b.key)})
		keep = append(keep, b)
		urgent = urgent || b.urgent
	}
	// The batch's calls spend as its most urgent key's would; a backfill
	// batch marks its own (reconcile.Syncer.SyncMany).
	outs := d.Syncer.(BatchSyncer).SyncMany(budget.WithPurpose(ctx, purpose(urgent)), refs)
	for i, b := range keep {
		d.settle(ctx, b, refs[i].Version, outs[i].Result, outs[i].Err, t, start)
	}
}

func (d *Daemon) pass(ctx context.Context, k queued, t *tries) {
	key, seq := k.key, k.seq
	start := time.Now()
	var res reconcile.Result
	var err error
	var version string
	if key == OrderKey {
		if d.Order == nil {
			d.clear(ctx, key, seq)
			return
		}
		if d.deferOrder() {
			d.q.AddAfter(key, seq, orderDeferStep, false)
			return
		}
		var or reconcile.OrderResult
		or, err = d.Order.Sync(budget.WithPurpose(ctx, budget.Order))
		res.RequeueAfter = or.RequeueAfter
	} else {
		ref, perr := backlog.ParseRef(key)
		if perr != nil {
			d.Log.Error("dropping malformed key", "key", key, "err", perr)
			d.clear(ctx, key, seq)
			return
		}
		version = d.takeHint(key)
		res, err = d.Syncer.Sync(reconcile.WithVersion(budget.WithPurpose(ctx, purpose(k.urgent)), version), ref)
	}
	d.settle(ctx, k, version, res, err, t, start)
}

// settle does what a pass's outcome asks for the key: clear its dirty
// mark, or queue it again (a retry, or a link another pass held). A key
// queued again keeps the version its reports named.
func (d *Daemon) settle(ctx context.Context, k queued, version string, res reconcile.Result, err error, t *tries, start time.Time) {
	key, seq := k.key, k.seq
	log := d.Log.With("key", key)
	d.stats.Passes.Add(1)
	if d.OnPass != nil {
		d.OnPass(key, err, time.Since(start))
	}
	switch {
	case ctx.Err() != nil:
		return // stopping; the dirty mark stays for the next start
	case err != nil && connectors.IsPermanent(err):
		d.stats.Failures.Add(1)
		log.Error("sync failed permanently; waiting for the next change", "err", err)
		t.forget(key)
		d.clear(ctx, key, seq)
	case err != nil:
		d.stats.Failures.Add(1)
		t.failed[key]++
		wait := backoff(t.failed[key])
		var rl *connectors.RateLimitError
		if errors.As(err, &rl) && rl.RetryAfter > wait {
			wait = rl.RetryAfter
		}
		log.Warn("sync failed; retrying", "err", err, "attempt", t.failed[key], "in", wait)
		d.hint(key, version)
		d.q.AddAfter(key, seq, wait, k.urgent)
	case res.RequeueAfter > 0:
		// A key requeued behind a lock keeps its urgency, so a webhook's
		// edit is not sent behind a backfill's keys; it waits longer each
		// time the lock is still held, so it never spins on it.
		t.locked[key]++
		d.hint(key, version)
		d.q.AddAfter(key, seq, requeueWait(res.RequeueAfter, t.locked[key], k.urgent), k.urgent)
	default:
		t.forget(key)
		d.clear(ctx, key, seq)
	}
	if res.Created > 0 && err == nil {
		// A new twin needs its place in the manual order.
		if err := d.EnqueueOrder(ctx); err != nil {
			log.Warn("asking for an order pass", "err", err)
		}
	}
}

func (d *Daemon) clear(ctx context.Context, key string, seq int64) {
	if err := d.State.ClearDirty(ctx, key, seq); err != nil {
		d.Log.Warn("clearing dirty mark", "key", key, "err", err)
	}
}

// backoff is 200 ms doubling to 1 min, with jitter.
// tries counts, per key, a worker's failed passes in a row and its passes
// in a row that found the key's link locked.
type tries struct {
	failed, locked map[string]int
}

func newTries() *tries { return &tries{failed: map[string]int{}, locked: map[string]int{}} }

func (t *tries) forget(key string) {
	delete(t.failed, key)
	delete(t.locked, key)
}

// requeueWait is how long a key whose link was locked waits before its next
// pass: what the pass asked for; for an urgent key, which keeps its place
// before the backfill's keys, doubled with each pass in a row that found the
// lock still held (up to 2 s), so that it does not spin on a lock a slow
// batch holds.
func requeueWait(asked time.Duration, n int, urgent bool) time.Duration {
	if !urgent || n <= 1 {
		return asked
	}
	return min(asked<<min(n-1, 8), 2*time.Second)
}

func backoff(n int) time.Duration {
	d := 200 * time.Millisecond << min(n-1, 9)
	if d > time.Minute {
		d = time.Minute
	}
	return d/2 + rand.N(d/2+1)
}

// poll runs one side's poller while this replica holds the side's poller
// lease. A page's refs are durably marked dirty before the cursor moves
// past them, so a crash between the two re-reads the page.
func (d *Daemon) poll(ctx context.Context, c connectors.Connector) {
	name := "poller:" + string(c.Side())
	ttl := max(3*d.PollEvery, 10*time.Second)
	var lease *store.Lease
	inRound := false
	defer func() {
		if inRound {
			d.polling.Add(-1)
		}
	}()
	log := d.Log.With("poller", c.Side())
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if lease != nil {
				_ = d.State.Unlock(context.WithoutCancel(ctx), *lease)
			}
			return
		case <-t.C:
		}
		if lease == nil {
			l, err := d.State.Lock(ctx, name, ttl)
			if err == nil {
				lease = &l
				log.Info("poller leader")
			} else if !errors.Is(err, store.ErrLocked) {
				log.Warn("taking poller lease", "err", err)
			}
		} else if err := d.State.Extend(ctx, *lease, ttl); err != nil {
			log.Warn("poller lease lost", "err", err)
			lease = nil
		}
		if lease == nil {
			t.Reset(d.PollEvery)
			continue
		}
		if !inRound {
			d.polling.Add(1)
			inRound = true
		}
		more, err := d.pollOnce(ctx, c)
		if !more || err != nil {
			d.polling.Add(-1)
			inRound = false
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("poll failed", "err", err)
		}
		if more && err == nil {
			t.Reset(0)
		} else {
			t.Reset(d.PollEvery)
		}
	}
}

func (d *Daemon) pollOnce(ctx context.Context, c connectors.Connector) (bool, error) {
	name := "poll:" + string(c.Side())
	cursor, err := d.State.Cursor(ctx, name)
	if err != nil {
		return false, fmt.Errorf("reading cursor: %w", err)
	}
	page, err := c.Changed(budget.WithPurpose(ctx, budget.Poll), cursor)
	if err != nil {
		return false, fmt.Errorf("listing changes: %w", err)
	}
	d.stats.Polls.Add(1)
	if err := d.enqueuePage(ctx, page); err != nil {
		return false, err
	}
	order := page.Order // a reorder, or an item not seen before
	if !page.More {
		d.stats.Rounds.Add(1)
		full := &d.fullLinear
		if c.Side() == backlog.Jira {
			full = &d.fullJira
		}
		// The first full round checks the order once; after that only a
		// reorder the poll or a webhook saw does, and the slow safety net
		// (OrderCheckEvery) for a move neither reported.
		if !full.Swap(true) || d.orderCheckDue() {
			order = true
		}
	}
	if order {
		if err := d.EnqueueOrder(ctx); err != nil {
			return false, err
		}
	}
	if page.Next != cursor {
		if err := d.State.SaveCursor(ctx, name, page.Next); err != nil {
			return false, fmt.Errorf("saving cursor: %w", err)
		}
	}
	return page.More, nil
}

// Handler serves the webhook receivers and health checks.
func (d *Daemon) Handler() http.Handler {
	d.init()
	mux := http.NewServeMux()
	if d.Jira.Hooks != nil {
		mux.Handle("POST /webhooks/jira", d.webhook(backlog.Jira, d.Jira.Hooks))
	}
	if d.Linear.Hooks != nil {
		mux.Handle("POST /webhooks/linear", d.webhook(backlog.Linear, d.Linear.Hooks))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !d.ready.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		if _, err := d.State.Cursor(r.Context(), "poll:"+string(backlog.Jira)); err != nil {
			http.Error(w, "state store: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	return mux
}

// maxWebhookBody bounds a delivery; real ones are a few KB to a few hundred.
const maxWebhookBody = 4 << 20

// webhook acknowledges a delivery only once its refs are durably marked
// dirty: 200 then, 401 for a bad signature, 400 for a body we cannot read,
// 503 when the state store cannot take the work (the tool retries).
func (d *Daemon) webhook(side backlog.Side, hooks connectors.Webhooks) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log := d.Log.With("webhook", side)
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
		if err != nil {
			http.Error(w, "reading body: "+err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		dl, err := hooks.ParseWebhook(r.Header, body, time.Now())
		switch {
		case errors.Is(err, connectors.ErrUnauthorized):
			log.Warn("rejected delivery", "err", err)
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		case err != nil:
			log.Warn("unreadable delivery", "err", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		d.stats.Deliveries.Add(1)
		if dl.ID != "" {
			seen, err := d.State.SeenDelivery(r.Context(), string(side)+":"+dl.ID, d.DedupeTTL)
			if err != nil {
				log.Error("dedupe check failed", "err", err)
				http.Error(w, "state store unavailable", http.StatusServiceUnavailable)
				return
			}
			if seen {
				d.stats.Duplicates.Add(1)
				io.WriteString(w, "duplicate\n")
				return
			}
		}
		fail := func(what string, err error) {
			log.Error("queueing delivery", "what", what, "err", err)
			if dl.ID != "" {
				// Let the tool's retry of this delivery through.
				if ferr := d.State.ForgetDelivery(context.WithoutCancel(r.Context()), string(side)+":"+dl.ID); ferr != nil {
					log.Error("forgetting delivery id", "err", ferr)
				}
			}
			http.Error(w, "state store unavailable", http.StatusServiceUnavailable)
		}
		for _, ref := range dl.Refs {
			if err := d.enqueue(r.Context(), ref, dl.Versions[ref.ID], true); err != nil {
				fail(ref.String(), err)
				return
			}
		}
		if dl.Order {
			if err := d.EnqueueOrder(r.Context()); err != nil {
				fail("order pass", err)
				return
			}
		}
		io.WriteString(w, "ok\n")
	})
}

// prune enforces the conflict log's retention, on one replica at a time.
func (d *Daemon) prune(ctx context.Context, p store.ConflictPruner) {
	every := d.PruneEvery
	if every <= 0 {
		every = 10 * time.Minute
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		t.Reset(every)
		lease, err := d.State.Lock(ctx, "prune", every)
		if err != nil {
			continue // another replica prunes (or the store is down: next round)
		}
		var before time.Time
		if d.RetainAge > 0 {
			before = time.Now().Add(-d.RetainAge)
		}
		n, err := p.PruneConflicts(ctx, before, d.RetainCount)
		if err != nil {
			d.Log.Warn("pruning conflict log", "err", err)
		} else if n > 0 {
			d.Log.Info("pruned conflict log", "dropped", n, "max_age", d.RetainAge, "max_count", d.RetainCount)
		}
		// The lease expires by itself after one period, so a second
		// replica does not prune again at once.
		_ = lease
	}
}

func (d *Daemon) polled(key string) string {
	d.versionsMu.Lock()
	defer d.versionsMu.Unlock()
	return d.versions[key]
}

// maxVersions bounds the memory of polled versions; past it the memory
// starts over (costing one extra pass per item, never a missed change).
const maxVersions = 200000

func (d *Daemon) rememberPolled(key, v string) {
	d.versionsMu.Lock()
	defer d.versionsMu.Unlock()
	if d.versions == nil || len(d.versions) >= maxVersions {
		d.versions = map[string]string{}
	}
	d.versions[key] = v
}

// hint records a report's version for key's next pass (v may hold
// several, space-separated, as takeHint returns them).
func (d *Daemon) hint(key, v string) {
	d.hintsMu.Lock()
	defer d.hintsMu.Unlock()
	if d.hints == nil {
		d.hints = map[string]versionHint{}
	}
	h := d.hints[key]
	if v == "" {
		h.unknown = true // a report with no version: read
	}
	for _, x := range strings.Fields(v) {
		if !slices.Contains(h.vs, x) {
			h.vs = append(h.vs, x)
		}
	}
	if len(h.vs) > maxHinted {
		h.unknown, h.vs = true, nil
	}
	d.hints[key] = h
}

// takeHint returns the versions the reports since the last pass named,
// oldest first and space-separated ("" when one named none), and starts
// over for the next pass. The pass decides whether they are all synced
// or echoes of Tandem's own writes (reconcile.WithVersion).
func (d *Daemon) takeHint(key string) string {
	d.hintsMu.Lock()
	defer d.hintsMu.Unlock()
	h, ok := d.hints[key]
	delete(d.hints, key)
	if !ok || h.unknown || len(h.vs) == 0 {
		return ""
	}
	slices.SortStableFunc(h.vs, func(a, b string) int {
		ta, ea := time.Parse(time.RFC3339Nano, a)
		tb, eb := time.Parse(time.RFC3339Nano, b)
		if ea != nil || eb != nil {
			return 0
		}
		return ta.Compare(tb)
	})
	return strings.Join(h.vs, " ")
}

// An order pass lists both backlogs whole. While a backlog of item
// passes waits (a backfill), each of them may make a twin that needs
// placing, so the order pass waits for them, in steps of orderDeferStep,
// up to orderDeferMax, and places them all at once.
const (
	orderDeferStep = 500 * time.Millisecond
	orderDeferMax  = time.Minute
)

func (d *Daemon) deferOrder() bool {
	now := time.Now().UnixNano()
	if d.q.Waiting() <= 2*d.Workers {
		d.orderDeferred.Store(0)
		return false
	}
	since := d.orderDeferred.Load()
	if since == 0 {
		d.orderDeferred.Store(now)
		return true
	}
	if time.Duration(now-since) >= orderDeferMax {
		d.orderDeferred.Store(0)
		return false
	}
	return true
}

// orderCheckDue says whether the order safety net is due.
func (d *Daemon) orderCheckDue() bool {
	return d.Order != nil && time.Since(time.Unix(0, d.orderChecked.Load())) >= d.OrderCheckEvery
}
