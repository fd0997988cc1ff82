package sandbox

import (
	"slices"
	"time"
)

// The updatedAt index: every issue (archived and trashed ones too), by
// updatedAt then id, so an issues query bounded by updatedAt gte/gt (the
// poller's query) reads only the issues from the bound, not the whole
// workspace. Every change of an issue's updatedAt goes through touch.

func cmpUpdated(a, b *issue) int {
	if c := a.updatedAt.Compare(b.updatedAt); c != 0 {
		return c
	}
	return cmpString(a.id, b.id)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (w *world) indexUpdated(i *issue) {
	at, _ := slices.BinarySearchFunc(w.byUpdated, i, cmpUpdated)
	w.byUpdated = slices.Insert(w.byUpdated, at, i)
}

func (w *world) unindexUpdated(i *issue) {
	if at, ok := slices.BinarySearchFunc(w.byUpdated, i, cmpUpdated); ok && w.byUpdated[at] == i {
		w.byUpdated = slices.Delete(w.byUpdated, at, at+1)
		return
	}
	// Not where its time says: an update that skipped touch. Stay correct.
	if at := slices.Index(w.byUpdated, i); at >= 0 {
		w.byUpdated = slices.Delete(w.byUpdated, at, at+1)
	}
}

// touch sets i.updatedAt and moves i in the index; it also re-indexes
// i's text (every update of an issue comes through here).
func (w *world) touch(i *issue, t time.Time) {
	w.indexText(i)
	if i.updatedAt.Equal(t) {
		return
	}
	w.unindexUpdated(i)
	i.updatedAt = t
	w.indexUpdated(i)
}

// updatedFrom returns the issues updated at or after t, oldest first.
func (w *world) updatedFrom(t time.Time) []*issue {
	at, _ := slices.BinarySearchFunc(w.byUpdated, t, func(i *issue, t time.Time) int {
		if i.updatedAt.Before(t) {
			return -1
		}
		return 1
	})
	return w.byUpdated[at:]
}

// updatedBound reads a lower bound of updatedAt that every issue matching
// filter f satisfies: a top-level updatedAt gte or gt (top-level keys are
// ANDed). ok is false when f has none.
func (s *Server) updatedBound(f map[string]any) (t time.Time, ok bool) {
	cmp := asMap(f["updatedAt"])
	for _, op := range []string{"gte", "gt"} {
		if v, has := cmp[op]; has && v != nil {
			bt, err := parseTime(v, s.now())
			if err != nil {
				return time.Time{}, false
			}
			if !ok || bt.After(t) {
				t, ok = bt, true
			}
		}
	}
	return t, ok
}
