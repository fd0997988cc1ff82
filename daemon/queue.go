package daemon

import (
	"context"
	"slices"
	"sync"
	"time"
)

// queue is a work queue of keys with per-key coalescing: a key added while
// it waits is not added twice, and a key added while a worker holds it is
// handed out again once that worker is done, never to two workers at once.
// Each key carries the largest dirty-mark sequence number seen, so the
// worker can clear exactly the mark it has served.
type queue struct {
	mu         sync.Mutex
	cond       *sync.Cond
	order      []string
	waiting    map[string]int64     // key -> seq, keys in order
	since      map[string]time.Time // key -> when it started waiting
	processing map[string]bool
	again      map[string]int64 // added while processing
	timers     map[string]*time.Timer
	urgent     map[string]bool // keys a webhook queued, until handed out
	closed     bool
}

func newQueue() *queue {
	q := &queue{waiting: map[string]int64{}, since: map[string]time.Time{}, processing: map[string]bool{}, again: map[string]int64{}, timers: map[string]*time.Timer{}, urgent: map[string]bool{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Add queues key with mark sequence seq.
func (q *queue) Add(key string, seq int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.addLocked(key, seq)
}

// AddUrgent is Add for a key that goes before the keys waiting (a
// webhook's: a person is waiting for it), after the urgent ones already
// there.
func (q *queue) AddUrgent(key string, seq int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.addUrgentLocked(key, seq)
}

func (q *queue) addUrgentLocked(key string, seq int64) {
	q.urgent[key] = true
	if s, ok := q.waiting[key]; ok {
		// Already waiting: move it up.
		q.order = slices.DeleteFunc(q.order, func(k string) bool { return k == key })
		delete(q.waiting, key)
		seq = max(seq, s)
	}
	q.addLocked(key, seq)
}

func (q *queue) addLocked(key string, seq int64) {
	if q.closed {
		return
	}
	if q.processing[key] {
		if s, ok := q.again[key]; !ok || seq > s {
			q.again[key] = seq
		}
		return
	}
	if s, ok := q.waiting[key]; ok {
		if seq > s {
			q.waiting[key] = seq
		}
		return
	}
	q.waiting[key] = seq
	q.since[key] = time.Now()
	if q.urgent[key] {
		// After the urgent keys at the front, before the rest.
		i := 0
		for i < len(q.order) && q.urgent[q.order[i]] {
			i++
		}
		q.order = slices.Insert(q.order, i, key)
	} else {
		q.order = append(q.order, key)
	}
	// Every waiter: a Signal could wake only the worker kept for urgent
	// keys, which waits on, and the key would sit unserved.
	q.cond.Broadcast()
}

// AddAfter queues key after d (a retry or a requeue); a second AddAfter of a
// key with a timer pending keeps the earlier timer. An urgent key (a
// webhook's, requeued behind a lock or a failure) stays urgent: it goes
// before the waiting keys again when the timer fires.
func (q *queue) AddAfter(key string, seq int64, d time.Duration, urgent bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	if _, ok := q.timers[key]; ok {
		return
	}
	q.timers[key] = time.AfterFunc(d, func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		delete(q.timers, key)
		if urgent {
			q.addUrgentLocked(key, seq)
			return
		}
		q.addLocked(key, seq)
	})
}

// Get blocks until a key is ready or ctx ends / the queue closes. The key
// comes with its mark sequence and whether a webhook queued it.
func (q *queue) Get(ctx context.Context) (queued, bool) {
	return q.get(ctx, false)
}

// GetUrgent is Get for urgent keys only (a worker kept for webhooks, so
// that a person's edit is never stuck behind a backfill).
func (q *queue) GetUrgent(ctx context.Context) (queued, bool) {
	return q.get(ctx, true)
}

func (q *queue) get(ctx context.Context, urgentOnly bool) (queued, bool) {
	stop := context.AfterFunc(ctx, func() {
		q.mu.Lock()
		q.cond.Broadcast()
		q.mu.Unlock()
	})
	defer stop()
	q.mu.Lock()
	defer q.mu.Unlock()
	ready := func() bool { return len(q.order) > 0 && (!urgentOnly || q.urgent[q.order[0]]) }
	for !ready() && !q.closed && ctx.Err() == nil {
		q.cond.Wait()
	}
	if !ready() {
		return queued{}, false
	}
	key := q.order[0]
	q.order = q.order[1:]
	return q.takeLocked(key), true
}

// takeLocked hands key out: it leaves the waiting keys and is held until
// Done.
func (q *queue) takeLocked(key string) queued {
	out := queued{key: key, seq: q.waiting[key], urgent: q.urgent[key]}
	delete(q.waiting, key)
	delete(q.since, key)
	delete(q.urgent, key)
	q.processing[key] = true
	return out
}

// More hands out, without waiting, up to max further ready keys that
// match, in queue order, each held as Get holds it (Done releases it).
// Keys that do not match keep their place.
func (q *queue) More(max int, match func(key string) bool) []queued {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []queued
	keep := q.order[:0:0]
	for i, key := range q.order {
		if len(out) == max {
			keep = append(keep, q.order[i:]...)
			break
		}
		if !match(key) {
			keep = append(keep, key)
			continue
		}
		out = append(out, q.takeLocked(key))
	}
	q.order = keep
	return out
}

// queued is a key handed out with its mark sequence, and whether a
// webhook queued it (its pass spends as budget.Webhook).
type queued struct {
	key    string
	seq    int64
	urgent bool
}

// Done releases key; if it was added meanwhile it is queued again.
func (q *queue) Done(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, key)
	if seq, ok := q.again[key]; ok {
		delete(q.again, key)
		q.addLocked(key, seq)
	}
	q.cond.Broadcast()
}

// Len counts keys waiting, being processed or scheduled.
func (q *queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.order) + len(q.processing) + len(q.timers)
}

// Waiting counts the keys waiting for a worker.
func (q *queue) Waiting() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.order)
}

// OldestWait is how long the longest-waiting key has waited (0 when none
// waits).
func (q *queue) OldestWait() time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.order) == 0 {
		return 0
	}
	return time.Since(q.since[q.order[0]])
}

// Close wakes every Get and stops the timers.
func (q *queue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	for k, t := range q.timers {
		t.Stop()
		delete(q.timers, k)
	}
	q.cond.Broadcast()
}
