package adf

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchWiki is about 20 KB of wiki markup made from the wiki package's
// golden inputs.
func benchWiki(b *testing.B) string {
	b.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "wiki", "testdata", "golden", "*.wiki"))
	var sb strings.Builder
	for sb.Len() < 20<<10 {
		n := 0
		for _, f := range files {
			if strings.HasSuffix(f, ".md.wiki") {
				continue
			}
			s, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			sb.Write(s)
			sb.WriteString("\n\n")
			n++
		}
		if n == 0 {
			b.Fatal("no inputs")
		}
	}
	return sb.String()
}

func BenchmarkFromWiki(b *testing.B) {
	w := benchWiki(b)
	b.SetBytes(int64(len(w)))
	b.ReportAllocs()
	for b.Loop() {
		FromWiki(w)
	}
}

func BenchmarkToWiki(b *testing.B) {
	n := FromWiki(benchWiki(b))
	b.ReportAllocs()
	for b.Loop() {
		ToWiki(n)
	}
}

func BenchmarkParse(b *testing.B) {
	raw, err := json.Marshal(FromWiki(benchWiki(b)))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}
