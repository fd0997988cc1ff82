package sandbox

import (
	"testing"
	"time"
)

// TestSeedIsInThePast: however large the seeded project, no issue was
// created or updated after now.
func TestSeedIsInThePast(t *testing.T) {
	for _, n := range []int{12, 4320, 20000} {
		s := New(Options{SeedIssues: n})
		now := time.Now()
		s.mu.Lock()
		if len(s.byID) != n {
			t.Errorf("seed %d: %d issues", n, len(s.byID))
		}
		for _, is := range s.byID {
			if is.Updated.After(now) || is.Created.After(now) {
				t.Errorf("seed %d: %s updated %s, after now %s", n, is.Key, is.Updated, now)
				break
			}
		}
		s.mu.Unlock()
	}
}
