package sandbox

import (
	"slices"
	"time"
)

// The updated index: every live issue, by updated time then id, so a
// search bounded by `updated >= t` (the poller's query) reads only the
// issues at or after t, not the whole site. Every change of an issue's
// updated time goes through touch; the caller holds s.mu.

func cmpUpdated(a *issue, t time.Time, id int) int {
	if c := a.Updated.Compare(t); c != 0 {
		return c
	}
	return a.ID - id
}

// indexIssue adds a new issue to the updated index.
func (s *Server) indexIssue(is *issue) {
	i, _ := slices.BinarySearchFunc(s.byUpdated, is, func(a, b *issue) int { return cmpUpdated(a, b.Updated, b.ID) })
	s.byUpdated = slices.Insert(s.byUpdated, i, is)
}

// unindexIssue drops an issue from the updated index.
func (s *Server) unindexIssue(is *issue) {
	if i, ok := slices.BinarySearchFunc(s.byUpdated, is, func(a, b *issue) int { return cmpUpdated(a, b.Updated, b.ID) }); ok && s.byUpdated[i] == is {
		s.byUpdated = slices.Delete(s.byUpdated, i, i+1)
		return
	}
	// Not where its time says: an update that skipped touch. Stay correct.
	if i := slices.Index(s.byUpdated, is); i >= 0 {
		s.byUpdated = slices.Delete(s.byUpdated, i, i+1)
	}
}

// touch sets is's updated time and moves it in the index.
func (s *Server) touch(is *issue, t time.Time) {
	if is.Updated.Equal(t) {
		return
	}
	s.unindexIssue(is)
	is.Updated = t
	s.indexIssue(is)
}

// updatedFrom returns the live issues updated at or after t (all of them
// for the zero time), oldest first.
func (s *Server) updatedFrom(t time.Time) []*issue {
	if t.IsZero() {
		return s.byUpdated
	}
	i, _ := slices.BinarySearchFunc(s.byUpdated, t, func(a *issue, t time.Time) int {
		if a.Updated.Before(t) {
			return -1
		}
		return 1
	})
	return s.byUpdated[i:]
}
