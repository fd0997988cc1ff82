package sandbox

import (
	"testing"
	"time"
)

// TestSeedIsInThePast: however large the seeded backlog, no issue was
// created or updated after the server's now (a Linear updatedAt is never
// ahead of its clock; a sync that trusts versions would skip real edits).
func TestSeedIsInThePast(t *testing.T) {
	for _, n := range []int{12, 720, 5000} {
		s := New(Options{SeedIssues: n})
		now := time.Now()
		s.mu.Lock()
		for _, i := range s.w.issues {
			if i.updatedAt.After(now) || i.createdAt.After(now) {
				t.Errorf("seed %d: issue %s updated %s, after now %s", n, i.title, i.updatedAt, now)
				break
			}
		}
		s.mu.Unlock()
	}
}
