package connectors

import "sync"

// RankWatch remembers the manual-order key (Jira rank, Linear sortOrder)
// of the items a connector has seen, so that a poll can tell a reorder
// from any other edit (Page.Order) without listing the whole backlog. The
// zero value is ready; it is safe for concurrent use.
type RankWatch struct {
	mu sync.Mutex
	m  map[string]string
}

// maxWatched bounds the memory; past it the memory starts over (costing
// one order pass, never a missed reorder).
const maxWatched = 500000

// Saw notes item id's rank and reports whether it differs from the rank
// noted before. An item not seen before counts as moved: it is new, or
// this process has not seen it yet, and either way its place may need
// mirroring. An empty rank (the tool did not say) is not noted and
// reports false.
func (w *RankWatch) Saw(id, rank string) bool {
	if rank == "" {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil || len(w.m) >= maxWatched {
		w.m = map[string]string{}
	}
	old, ok := w.m[id]
	w.m[id] = rank
	return !ok || old != rank
}
