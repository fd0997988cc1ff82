package backlog

import (
	"strings"
	"testing"
)

func TestLexoRankPosition(t *testing.T) {
	for _, c := range []struct {
		rank string
		ok   bool
	}{
		{"0|i0000f:", true}, {"1|hzzzzz:i", true}, {"0|000000:", true},
		{"", false}, {"i0000f", false}, {"0|", false}, {"x|i0000f:", false}, {"0|I0000F:", false}, {"10|i0000f:", false},
	} {
		if _, ok := LexoRankPosition(c.rank); ok != c.ok {
			t.Errorf("LexoRankPosition(%q) ok = %v, want %v", c.rank, ok, c.ok)
		}
	}
	// Jira's own sequence: a rank between two others, and a new bucket.
	seq := []string{"0|hzzzzr:", "0|hzzzzz:", "0|hzzzzz:i", "0|hzzzzz:r", "0|i00007:", "0|i0000f:", "1|000000:"}
	for k := 1; k < len(seq); k++ {
		a, _ := LexoRankPosition(seq[k-1])
		b, _ := LexoRankPosition(seq[k])
		if !(a < b) {
			t.Errorf("%s -> %v is not below %s -> %v", seq[k-1], a, seq[k], b)
		}
	}
}

// FuzzLexoRankPosition: never panics, and for two ranks of Jira's form
// (one bucket digit, six digits, a colon, a suffix) the positions never
// order the other way from the bytes.
func FuzzLexoRankPosition(f *testing.F) {
	f.Add("0|i0000f:", "0|i0000f:i")
	f.Add("0|hzzzzz:", "1|000000:")
	f.Fuzz(func(t *testing.T, a, b string) {
		pa, oka := LexoRankPosition(a)
		pb, okb := LexoRankPosition(b)
		if !oka || !okb || !jiraForm(a) || !jiraForm(b) {
			return
		}
		if a < b && pa > pb || b < a && pb > pa {
			t.Fatalf("%q -> %v and %q -> %v order the other way", a, pa, b, pb)
		}
	})
}

func jiraForm(r string) bool {
	return len(r) >= 9 && r[1] == '|' && r[8] == ':' && !strings.Contains(r[9:], ":") && !strings.Contains(r[2:8], ":")
}
