package wiki

import (
	"os"
	"path/filepath"
	"testing"
)

func addSeeds(f *testing.F, wiki bool) {
	f.Helper()
	for _, s := range []string{
		"", "h1. T\n\n*b* _i_ -s- +u+ ^x^ ~y~ {{m}} [l|http://x] [~accountid:a] !i.png!",
		"* a\n** b\n*# c\n# d\n- e", "||h||\n|c|", "{code:go}\nx\n{code}", "{quote}\nq\n{quote}\nbq. b",
		"a\\\\b \\* {*}x{*}y &#92;", "{panel:title=T}\nbody\n{panel}", "**bold** _em_ `c` ~~s~~",
		"- [ ] t\n- [x] d", "| a | b |\n| --- | --- |\n| 1 | 2 |", "```js\nx\n```", "> q\n>\n> r",
	} {
		f.Add(s)
	}
	ext := ".md"
	if wiki {
		ext = ".wiki"
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*"+ext))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
}

// FuzzToMarkdown: any wiki markup converts without panic, to canonical
// Markdown that survives a trip through wiki markup unchanged.
func FuzzToMarkdown(f *testing.F) {
	addSeeds(f, true)
	f.Fuzz(func(t *testing.T, w string) {
		if len(w) > 4096 {
			return
		}
		md := ToMarkdown(w)
		if c := Canonical(md); c != md {
			t.Fatalf("ToMarkdown output is not canonical\nwiki: %q\nmd:   %q\ncanon:%q", w, md, c)
		}
		w1 := FromMarkdown(md)
		if back := ToMarkdown(w1); back != md {
			t.Fatalf("not stable\nwiki: %q\nmd:   %q\nwiki1:%q\nback: %q", w, md, w1, back)
		}
	})
}

// FuzzFromMarkdown: any Markdown converts without panic, to wiki markup
// that reads back as the canonical form and settles after one round.
func FuzzFromMarkdown(f *testing.F) {
	addSeeds(f, false)
	f.Fuzz(func(t *testing.T, md string) {
		if len(md) > 4096 {
			return
		}
		w := FromMarkdown(md)
		m := ToMarkdown(w)
		if c := Canonical(md); m != c {
			t.Fatalf("round trip differs from Canonical\nmd:   %q\nwiki: %q\ngot:  %q\nwant: %q", md, w, m, c)
		}
		if w2 := FromMarkdown(m); w2 != w {
			t.Fatalf("wiki not stable\nmd:   %q\nwiki: %q\nwiki2:%q", md, w, w2)
		}
	})
}
