package admin

import (
	"sync"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/reconcile"
)

// Propagation is one write a sync pass made, as the API shows it.
type Propagation struct {
	At         time.Time       `json:"at"`
	Kind       string          `json:"kind"`
	LinkID     string          `json:"linkId"`
	Jira       backlog.Ref     `json:"jira"`
	Linear     backlog.Ref     `json:"linear"`
	To         backlog.Side    `json:"to,omitempty"`
	Fields     []backlog.Field `json:"fields,omitempty"`
	ConflictID string          `json:"conflictId,omitempty"`
}

// Feed keeps the most recent propagations in memory (a ring of Size).
type Feed struct {
	Size int // default 200

	mu   sync.Mutex
	ring []Propagation
	next int
	full bool
}

// Observe records a sync event; it is a reconcile.Syncer Observe hook.
func (f *Feed) Observe(e reconcile.Event) {
	p := Propagation{At: e.At, Kind: string(e.Kind), LinkID: e.LinkID, Jira: e.Jira, Linear: e.Linear, To: e.To, Fields: e.Fields}
	if e.Conflict != nil {
		p.ConflictID = e.Conflict.ID
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ring == nil {
		size := f.Size
		if size <= 0 {
			size = 200
		}
		f.ring = make([]Propagation, size)
	}
	f.ring[f.next] = p
	f.next = (f.next + 1) % len(f.ring)
	if f.next == 0 {
		f.full = true
	}
}

// Recent returns up to n propagations, newest first.
func (f *Feed) Recent(n int) []Propagation {
	f.mu.Lock()
	defer f.mu.Unlock()
	count := f.next
	if f.full {
		count = len(f.ring)
	}
	if n <= 0 || n > count {
		n = count
	}
	out := make([]Propagation, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, f.ring[(f.next-i+len(f.ring))%len(f.ring)])
	}
	return out
}
