package reconcile

import "github.com/tandem-sync/tandem/backlog"

// Order mirroring: the side named order master holds the sequence; the
// mirror side gets the fewest moves that give its linked items the same
// relative order. Items outside a longest increasing subsequence (LIS) of
// the mirror's order, measured in master positions, are the only ones
// moved; everything else, linked or not, keeps its place.

// Move is backlog.Move: IDs are the ids used in the sequences given to
// PlanOrder.
type Move = backlog.Move

// PlanOrder returns the moves that make the relative order of the linked
// items in mirror equal to master. master lists the linked items in the
// master's order; mirror lists every item of the mirror side in its current
// order (items not in master are unlinked and are never moved; items of
// master missing from mirror are ignored). Consecutive moved items (in
// master order) share a Move of up to maxBatch IDs (maxBatch < 1 means 1).
// The number of moved IDs is exactly n − LIS.
func PlanOrder(master, mirror []string, maxBatch int) []Move {
	if maxBatch < 1 {
		maxBatch = 1
	}
	pos := make(map[string]int, len(master))
	for i, id := range master {
		pos[id] = i
	}
	// The linked items of the mirror, as master positions, in mirror order.
	var seq []int
	present := make([]bool, len(master))
	for _, id := range mirror {
		if p, ok := pos[id]; ok && !present[p] {
			present[p] = true
			seq = append(seq, p)
		}
	}
	keep := make([]bool, len(master))
	for _, i := range lis(seq) {
		keep[seq[i]] = true
	}
	// Walk the master order; a run of moved items goes after the nearest
	// placed predecessor, or before the next kept item when it has none.
	var moves []Move
	prev := "" // last placed item in master order
	for i := 0; i < len(master); {
		if !present[i] || keep[i] {
			if present[i] {
				prev = master[i]
			}
			i++
			continue
		}
		j := i
		var run []string
		for j < len(master) && (!present[j] || !keep[j]) && len(run) < maxBatch {
			if present[j] {
				run = append(run, master[j])
			}
			j++
		}
		m := Move{IDs: run, After: prev}
		if prev == "" {
			for k := j; k < len(master); k++ {
				if present[k] && keep[k] {
					m.Before = master[k]
					break
				}
			}
		}
		moves = append(moves, m)
		prev = run[len(run)-1]
		i = j
	}
	return moves
}

// lis returns the indices into seq of one longest strictly increasing
// subsequence, in O(n log n).
func lis(seq []int) []int {
	if len(seq) == 0 {
		return nil
	}
	tails := []int{}              // tails[k]: index of the smallest tail of an increasing run of length k+1
	prev := make([]int, len(seq)) // predecessor index in the run
	for i, v := range seq {
		lo, hi := 0, len(tails)
		for lo < hi {
			mid := (lo + hi) / 2
			if seq[tails[mid]] < v {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		if lo > 0 {
			prev[i] = tails[lo-1]
		} else {
			prev[i] = -1
		}
		if lo == len(tails) {
			tails = append(tails, i)
		} else {
			tails[lo] = i
		}
	}
	out := make([]int, len(tails))
	for k, i := len(tails)-1, tails[len(tails)-1]; k >= 0; k, i = k-1, prev[i] {
		out[k] = i
	}
	return out
}

// ApplyMoves returns order after the moves, as a tool applying them in
// sequence would leave it.
func ApplyMoves(order []string, moves []Move) []string {
	out := append([]string(nil), order...)
	for _, m := range moves {
		moving := make(map[string]bool, len(m.IDs))
		for _, id := range m.IDs {
			moving[id] = true
		}
		rest := out[:0:0]
		for _, id := range out {
			if !moving[id] {
				rest = append(rest, id)
			}
		}
		at := len(rest)
		for i, id := range rest {
			if m.After != "" && id == m.After {
				at = i + 1
				break
			}
			if m.After == "" && id == m.Before {
				at = i
				break
			}
		}
		out = append(append(append([]string{}, rest[:at]...), m.IDs...), rest[at:]...)
	}
	return out
}
