package reconcile

import (
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

func linkedOrder(order []string, linked map[string]bool) []string {
	var out []string
	for _, id := range order {
		if linked[id] {
			out = append(out, id)
		}
	}
	return out
}

// lisLenQuadratic is the textbook O(n²) LIS length, the oracle.
func lisLenQuadratic(seq []int) int {
	best := 0
	dp := make([]int, len(seq))
	for i := range seq {
		dp[i] = 1
		for j := range i {
			if seq[j] < seq[i] && dp[j]+1 > dp[i] {
				dp[i] = dp[j] + 1
			}
		}
		best = max(best, dp[i])
	}
	return best
}

func TestPlanOrderProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 60).Draw(t, "linked")
		u := rapid.IntRange(0, 20).Draw(t, "unlinked")
		batch := rapid.SampledFrom([]int{1, 3, 50}).Draw(t, "batch")
		master := make([]string, n)
		linked := map[string]bool{}
		for i := range master {
			master[i] = fmt.Sprintf("L%d", i)
			linked[master[i]] = true
		}
		master = rapid.Permutation(master).Draw(t, "master")
		mirror := slices.Clone(master)
		mirror = rapid.Permutation(mirror).Draw(t, "mirror")
		for i := range u {
			at := rapid.IntRange(0, len(mirror)).Draw(t, "at")
			mirror = slices.Insert(mirror, at, fmt.Sprintf("U%d", i))
		}
		moves := PlanOrder(master, mirror, batch)
		after := ApplyMoves(mirror, moves)

		if got := linkedOrder(after, linked); !slices.Equal(got, master) {
			t.Fatalf("after moves linked order %v, want %v (moves %+v)", got, master, moves)
		}
		pos := map[string]int{}
		for i, id := range master {
			pos[id] = i
		}
		var seq []int
		for _, id := range mirror {
			if p, ok := pos[id]; ok {
				seq = append(seq, p)
			}
		}
		moved := 0
		for _, m := range moves {
			moved += len(m.IDs)
			if len(m.IDs) == 0 || len(m.IDs) > batch {
				t.Fatalf("move of %d ids with batch %d", len(m.IDs), batch)
			}
		}
		if want := n - lisLenQuadratic(seq); moved != want {
			t.Fatalf("moved %d, want n-LIS = %d", moved, want)
		}
		if len(moves) > moved {
			t.Fatalf("%d calls for %d moved items", len(moves), moved)
		}
		// Unlinked items keep their order among themselves.
		isU := func(id string) bool { return !linked[id] }
		var ub, ua []string
		for _, id := range mirror {
			if isU(id) {
				ub = append(ub, id)
			}
		}
		for _, id := range after {
			if isU(id) {
				ua = append(ua, id)
			}
		}
		if !slices.Equal(ub, ua) {
			t.Fatalf("unlinked items reordered: %v -> %v", ub, ua)
		}
	})
}

func TestPlanOrderOneDragToTop(t *testing.T) {
	var master []string
	for i := range 500 {
		master = append(master, fmt.Sprint(i))
	}
	mirror := slices.Clone(master)
	// The owner drags the last item to the top of the master.
	master = append([]string{"499"}, master[:499]...)
	moves := PlanOrder(master, mirror, 50)
	if len(moves) != 1 || len(moves[0].IDs) != 1 || moves[0].IDs[0] != "499" || moves[0].Before != "0" {
		t.Fatalf("moves = %+v, want one move of 499 before 0", moves)
	}
}

func TestLIS(t *testing.T) {
	cases := []struct {
		seq  []int
		want int
	}{
		{nil, 0}, {[]int{1}, 1}, {[]int{3, 2, 1}, 1}, {[]int{1, 2, 3}, 3}, {[]int{2, 5, 3, 7, 11, 8, 10, 13, 6}, 6},
	}
	for _, tc := range cases {
		idx := lis(tc.seq)
		if len(idx) != tc.want {
			t.Errorf("lis(%v) = %v, length %d want %d", tc.seq, idx, len(idx), tc.want)
		}
		for k := 1; k < len(idx); k++ {
			if idx[k] <= idx[k-1] || tc.seq[idx[k]] <= tc.seq[idx[k-1]] {
				t.Errorf("lis(%v) = %v is not increasing", tc.seq, idx)
			}
		}
	}
}

func BenchmarkPlanOrder10k(b *testing.B) {
	const n = 10000
	master := make([]string, n)
	for i := range master {
		master[i] = fmt.Sprint(i)
	}
	mirror := slices.Clone(master)
	// 100 random-ish moves: swap pairs spread across the list.
	for i := 0; i < 100; i++ {
		a, c := (i*7919)%n, (i*104729+13)%n
		mirror[a], mirror[c] = mirror[c], mirror[a]
	}
	b.ReportAllocs()
	for b.Loop() {
		PlanOrder(master, mirror, 50)
	}
}
