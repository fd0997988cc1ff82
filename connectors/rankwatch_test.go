package connectors

import "testing"

func TestRankWatch(t *testing.T) {
	var w RankWatch
	steps := []struct {
		id, rank string
		want     bool
	}{
		{"1", "0|a", true},  // first sight
		{"1", "0|a", false}, // same rank: another edit
		{"2", "0|b", true},
		{"1", "0|c", true}, // moved
		{"1", "0|c", false},
		{"2", "", false}, // rank unknown: not a move, not noted
		{"2", "0|b", false},
	}
	for i, s := range steps {
		if got := w.Saw(s.id, s.rank); got != s.want {
			t.Fatalf("step %d: Saw(%q, %q) = %v, want %v", i, s.id, s.rank, got, s.want)
		}
	}
}
