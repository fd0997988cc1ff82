package sandbox

import (
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestRanksBetween(t *testing.T) {
	digits := rapid.StringOfN(rapid.SampledFrom([]rune(rankDigits)), 6, 10, -1)
	rapid.Check(t, func(t *rapid.T) {
		a := strings.TrimRight(digits.Draw(t, "a"), "0")
		b := strings.TrimRight(digits.Draw(t, "b"), "0")
		if len(a) < 6 {
			a += strings.Repeat("0", 6-len(a))
		}
		if len(b) < 6 {
			b += strings.Repeat("0", 6-len(b))
		}
		if a == b {
			t.Skip("equal bounds")
		}
		if a > b {
			a, b = b, a
		}
		if rapid.Bool().Draw(t, "open end") {
			b = ""
		}
		k := rapid.IntRange(1, 50).Draw(t, "k")
		out := ranksBetween(a, b, k)
		if len(out) != k {
			t.Fatalf("%d ranks, want %d", len(out), k)
		}
		prev := a
		for _, r := range out {
			if r <= prev || (b != "" && r >= b) {
				t.Fatalf("rank %q not strictly between %q and %q (prev %q)", r, a, b, prev)
			}
			if len(r) < 6 || strings.HasSuffix(r[6:], "0") {
				t.Fatalf("rank %q not canonical", r)
			}
			if !strings.HasPrefix(formatRank(r), "0|") || formatRank(r)[8] != ':' {
				t.Fatalf("wire form %q", formatRank(r))
			}
			prev = r
		}
	})
}
