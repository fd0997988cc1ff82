package wiki

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// TestGolden converts realistic descriptions: X.wiki to X.wiki.md and X.md
// to X.md.wiki, and checks that each output survives the trip back.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range files {
		var conv func(string) string
		var out string
		switch {
		case strings.HasSuffix(in, ".wiki") && !strings.HasSuffix(in, ".md.wiki"):
			conv, out = ToMarkdown, in+".md"
		case strings.HasSuffix(in, ".md") && !strings.HasSuffix(in, ".wiki.md"):
			conv, out = FromMarkdown, in+".wiki"
		default:
			continue
		}
		n++
		t.Run(filepath.Base(in), func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got := conv(string(src))
			if *update {
				if err := os.WriteFile(out, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", in, out, got, want)
			}
			// Whichever direction, the Markdown side is canonical and the
			// wiki side settles.
			md, w := got, string(src)
			if strings.HasSuffix(in, ".md") {
				md, w = Canonical(string(src)), got
			}
			if back := ToMarkdown(FromMarkdown(md)); back != md {
				t.Errorf("Markdown does not survive the round trip:\n%s\n---\n%s", md, back)
			}
			w1 := FromMarkdown(ToMarkdown(w))
			if w2 := FromMarkdown(ToMarkdown(w1)); w2 != w1 {
				t.Errorf("wiki does not settle:\n%s\n---\n%s", w1, w2)
			}
		})
	}
	if n < 4 {
		t.Fatalf("found %d golden inputs, want at least 4", n)
	}
}
