package sandbox

import (
	"math/big"
	"strings"
)

// Ranks are LexoRank-like: the stored form is a base-36 digit string of at
// least six digits; the wire form is "0|" + the first six digits + ":" + the
// rest, as in "0|i0000f:" or "0|i0000f:i". Comparing the digit strings
// bytewise gives the order.

const rankDigits = "0123456789abcdefghijklmnopqrstuvwxyz"

// rankStep spaces newly appended issues.
var rankStep = big.NewInt(36 * 36 * 36)

func formatRank(d string) string {
	if len(d) < 6 {
		d += strings.Repeat("0", 6-len(d))
	}
	return "0|" + d[:6] + ":" + d[6:]
}

func rankToInt(d string, width int) *big.Int {
	d += strings.Repeat("0", width-len(d))
	n := new(big.Int)
	for _, c := range d {
		n.Mul(n, big.NewInt(36))
		n.Add(n, big.NewInt(int64(strings.IndexRune(rankDigits, c))))
	}
	return n
}

func intToRank(n *big.Int, width int) string {
	b := make([]byte, width)
	v := new(big.Int).Set(n)
	m := new(big.Int)
	for i := width - 1; i >= 0; i-- {
		v.DivMod(v, big.NewInt(36), m)
		b[i] = rankDigits[m.Int64()]
	}
	return string(b[:6]) + strings.TrimRight(string(b[6:]), "0")
}

// rankLast returns a rank after every live issue: after the highest rank
// ever given out (a deleted issue's rank is still a valid lower bound), so
// appending is O(1) and seeding thousands of issues stays fast. It adds
// rankStep at the highest rank's width; when that width is used up it
// appends six digits (the highest rank followed by more digits sorts
// after it), which leaves room for another 36³ appends, rather than
// halving the gap to the end, which would add a digit every few issues.
func (s *Server) rankLast() string {
	max := s.maxRank
	if max == "" {
		return "i00000"
	}
	w := max6(len(max))
	n := rankToInt(max, w)
	for {
		top := new(big.Int).Exp(big.NewInt(36), big.NewInt(int64(w)), nil)
		if m := new(big.Int).Add(n, rankStep); m.Cmp(top) < 0 {
			return intToRank(m, w)
		}
		n.Mul(n, new(big.Int).Exp(big.NewInt(36), big.NewInt(6), nil))
		w += 6
	}
}

// setRank gives is rank r and keeps s.maxRank; the caller holds s.mu.
func (s *Server) setRank(is *issue, r string) {
	is.Rank = r
	if r > s.maxRank {
		s.maxRank = r
	}
}

func max6(n int) int {
	if n < 6 {
		return 6
	}
	return n
}

// ranksBetween returns k increasing ranks strictly between lo and hi ("" for
// lo means the start, for hi the end).
func ranksBetween(lo, hi string, k int) []string {
	if lo == "" {
		lo = "000000"
	}
	hiSet := hi != ""
	w := max6(max(len(lo), len(hi)))
	for {
		a := rankToInt(lo, w)
		var b *big.Int
		if hiSet {
			b = rankToInt(hi, w)
		} else {
			b = rankToInt("zzzzzz", 6)
			b.Add(b, big.NewInt(1))
			for i := 6; i < w; i++ {
				b.Mul(b, big.NewInt(36))
			}
		}
		gap := new(big.Int).Sub(b, a)
		if gap.Cmp(big.NewInt(int64(k+1))) > 0 {
			step := new(big.Int).Div(gap, big.NewInt(int64(k+1)))
			out := make([]string, k)
			cur := new(big.Int).Set(a)
			for i := range out {
				cur.Add(cur, step)
				out[i] = intToRank(cur, w)
			}
			return out
		}
		w++
	}
}
