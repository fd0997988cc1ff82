package wiki

import (
	"strings"
	"testing"
	"time"
)

func TestToMarkdown(t *testing.T) {
	tests := []struct {
		name, wiki, md string
	}{
		{"empty", "", ""},
		{"headings", "h1. One\n\nh3. Three *bold*", "# One\n\n### Three **bold**"},
		{"heading without blank line", "h2. Title\nbody text", "## Title\n\nbody text"},
		{"inline marks", "*b* _i_ -s- +u+ ^sup^ ~sub~ {{mono}}",
			"**b** _i_ ~~s~~ <ins>u</ins> <sup>sup</sup> <sub>sub</sub> `mono`"},
		{"nested marks", "*bold _and italic_*", "**bold _and italic_**"},
		{"brace marks inside words", "in{*}side{*}word", "in**side**word"},
		{"no marks inside words", "snake_case_name a-b-c 2*3*4", "snake_case_name a-b-c 2\\*3\\*4"},
		{"marks need non-space edges", "a * b * c and - dash -", "a * b * c and - dash -"},
		{"links", "[Example|https://example.com] and [https://go.dev]",
			"[Example](https://example.com) and <https://go.dev>"},
		{"link with marks", "[*bold* text|http://x.y/z]", "[**bold** text](http://x.y/z)"},
		{"link with tooltip", "[t|http://a.b|tip]", "[t](http://a.b)"},
		{"not a link", "[just brackets] and [a|]", "\\[just brackets] and \\[a\\|]"},
		{"mention", "ping [~accountid:5b10ac8d82e05b22cc7d4ef5] now", "ping [~accountid:5b10ac8d82e05b22cc7d4ef5] now"},
		{"image", "!screen.png|thumbnail! and !http://x/y.gif|alt=Y!", "![](screen.png) and ![Y](http://x/y.gif)"},
		{"escapes", "\\*not bold\\* \\{x\\} \\[y\\]", "\\*not bold\\* {x} \\[y]"},
		{"line breaks", "one\\\\two\nthree", "one\\\ntwo\nthree"},
		{"bullets", "* a\n* b\n** b1\n** b2\n* c", "- a\n- b\n  - b1\n  - b2\n- c"},
		{"dash bullets", "- a\n- b", "- a\n- b"},
		{"numbered", "# one\n# two\n## two.one", "1. one\n2. two\n   1. two.one"},
		{"mixed lists", "* a\n*# a1\n*# a2\n* b", "- a\n  1. a1\n  2. a2\n- b"},
		{"list continuation line", "* first line\ncontinued", "- first line\n  continued"},
		{"tasks", "* [ ] todo\n* [x] done", "- [ ] todo\n- [x] done"},
		{"code", "{code:java}\nint x = 1;\n{code}", "```java\nint x = 1;\n```"},
		{"code with params", "{code:title=A.java|language=java}\nx\n{code}", "```java\nx\n```"},
		{"code keeps markup", "{code}\n*not bold* h1. {{x}}\n{code}", "```\n*not bold* h1. {{x}}\n```"},
		{"noformat", "{noformat}\n  indented\n\nblank above\n{noformat}", "```\n  indented\n\nblank above\n```"},
		{"code on one line", "{code:go}x := 1{code}", "```go\nx := 1\n```"},
		{"code with backticks", "{noformat}\n```\n{noformat}", "````\n```\n````"},
		{"bq", "bq. a quote", "> a quote"},
		{"quote macro", "{quote}\nfirst\n\nsecond\n{quote}", "> first\n>\n> second"},
		{"panel", "{panel:title=Note}\nbody\n{panel}", "> **Note**\n>\n> body"},
		{"rule", "a\n\n----\n\nb", "a\n\n---\n\nb"},
		{"table", "||h1||h2||\n|a|b|\n|c|[x|http://x.io]|",
			"| h1 | h2 |\n| --- | --- |\n| a | b |\n| c | [x](http://x.io) |"},
		{"table without header", "|a|b|", "|  |  |\n| --- | --- |\n| a | b |"},
		{"header column", "||k|v|", "|  |  |\n| --- | --- |\n| **k** | v |"},
		{"table cell break", "||h||\n|a\\\\b|", "| h |\n| --- |\n| a<br>b |"},
		{"color", "{color:red}warning{color} text", "warning text"},
		{"unknown macro stays", "{toc} and {anchor:x}", "{toc} and {anchor:x}"},
		{"unclosed code stays text", "{code}\nnot closed", "{code}\nnot closed"},
		{"markdown specials", "# not a heading", "1. not a heading"},
		{"literal markdown specials", "\\# hash, 1986. year, <tag>, a_b, `tick`",
			"\\# hash, 1986. year, \\<tag>, a_b, \\`tick\\`"},
		{"entities", "a &#92; b", "a \\\\ b"},
		{"crlf", "a\r\nb\r\n\r\nc", "a\nb\n\nc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ToMarkdown(tt.wiki); got != tt.md {
				t.Errorf("ToMarkdown(%q)\n got %q\nwant %q", tt.wiki, got, tt.md)
			}
		})
	}
}

func TestFromMarkdown(t *testing.T) {
	tests := []struct {
		name, md, wiki string
	}{
		{"empty", "", ""},
		{"paragraphs", "one\ntwo\n\nthree", "one\ntwo\n\nthree"},
		{"headings", "# One\n\nTwo\n===", "h1. One\n\nh1. Two"},
		{"marks", "**b** *i* _i_ ~~s~~ `c` <ins>u</ins> <sup>2</sup>", "*b* _i_ _i_ -s- {{c}} +u+ ^2^"},
		{"intraword", "foo**bar**baz", "foo{*}bar{*}baz"},
		{"code span with braces", "`a}}b`", "{{a\\}\\}b}}"},
		{"link", "[Go](https://go.dev) <https://x.io>", "[Go|https://go.dev] [https://x.io]"},
		{"link with pipe", "[a|b](http://x/?q=a|b)", "[a\\|b|http://x/?q=a%7Cb]"},
		{"image", "![logo](https://x/l.png)", "!https://x/l.png|alt=logo!"},
		{"hard break", "a  \nb\\\nc", "a\\\\\nb\\\\\nc"},
		{"lists", "* a\n* b\n  1. c\n  2. d", "* a\n* b\n*# c\n*# d"},
		{"loose list becomes tight", "- a\n\n- b", "* a\n* b"},
		{"tasks", "- [ ] a\n- [x] b", "* [ ] a\n* [x] b"},
		{"code", "```python\nprint(1)\n```", "{code:python}\nprint(1)\n{code}"},
		{"indented code", "    x\n    y", "{noformat}\nx\ny\n{noformat}"},
		{"code holding a code tag", "```\n{code}\n```", "{noformat}\n{code}\n{noformat}"},
		{"quote", "> one line", "bq. one line"},
		{"long quote", "> a\n>\n> b", "{quote}\na\n\nb\n{quote}"},
		{"rule", "---", "----"},
		{"table", "| a | b |\n|:--|--:|\n| 1 | 2 |", "||a||b||\n|1|2|"},
		{"table empty cell", "| a | b |\n| - | - |\n|  | 2 |", "||a||b||\n| |2|"},
		{"escaping", "5 * 3, -1, {x}, [y], a|b, wow!yes, C++", "5 * 3, \\-1, \\{x}, \\[y\\], a\\|b, wow\\!yes, C\\+\\+"},
		{"line starts", "\\- a\n\\* b\n\\# c\nh1. d\nbq. e", "\\- a\n\\* b\n\\# c\nh1\\. d\nbq\\. e"},
		{"backslash", "a\\\\b and end\\\\", "a\\b and end&#92;"},
		{"html block kept as text", "<div>\nhi\n</div>", "<div>\nhi\n</div>"},
		{"mention", "cc [~accountid:abc]", "cc [~accountid:abc]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FromMarkdown(tt.md); got != tt.wiki {
				t.Errorf("FromMarkdown(%q)\n got %q\nwant %q", tt.md, got, tt.wiki)
			}
		})
	}
}

// TestRoundTripExamples checks hand-picked canonical Markdown that once
// broke a round trip.
func TestRoundTripExamples(t *testing.T) {
	for _, md := range []string{
		"**a**_b_",
		"a_b_",
		"_a_ **b _c_ d** ~~e~~",
		"x<ins> y</ins>",
		"[**a** b](http://x) `c`",
		"- a\n  ```go\n  x\n  ```\n  after\n- b",
		"1. a\n2. b\n   - c\n3. d",
		"> - a\n>   - b",
		"# Heading with `code` and [link](u)",
		"| a \\| b | `c` |\n| --- | --- |\n| **d** | e<br>f |",
		"text with \\_underscores\\_ and \\*stars\\*",
		"email [a@b.c](mailto:a@b.c)",
		"- [&#120;](http://x)\n- [&#88;](http://y)",
		"ends with backslash\\\\",
		"C\\+\\+ and 2^10 and H~2~O",
	} {
		w := FromMarkdown(md)
		if got := ToMarkdown(w); got != Canonical(md) {
			t.Errorf("round trip of %q via %q\n got %q\nwant %q", md, w, got, Canonical(md))
		}
	}
}

func TestCanonicalForms(t *testing.T) {
	tests := []struct{ in, want string }{
		{"* a\n+ b", "- a\n- b"},
		{"Title\n-----\n\ntext", "## Title\n\ntext"},
		{"__strong__ *em*", "**strong** _em_"},
		{"3) three\n4) four", "1. three\n2. four"},
		{"~~~js\nx\n~~~", "```js\nx\n```"},
		{"> > nested", "> nested"},
		{"a  \nb", "a\\\nb"},
	}
	for _, tt := range tests {
		if got := Canonical(tt.in); got != tt.want {
			t.Errorf("Canonical(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLargeInputDoesNotBlowUp(t *testing.T) {
	deep := strings.Repeat("*", 5000) + " deep"
	if got := ToMarkdown(deep); !strings.Contains(got, "deep") {
		t.Errorf("deep list lost its text: %q", got)
	}
	many := strings.Repeat("-a ", 5000)
	if got := FromMarkdown(ToMarkdown(many)); got == "" {
		t.Error("empty result")
	}
}

// Render and RenderMarkdown accept a hand-built tree that is not in normal
// form, and write what its normal form would give.
func TestRenderNormalizes(t *testing.T) {
	build := func() *Doc {
		return &Doc{Blocks: []Block{
			{Kind: Paragraph, Inlines: []Inline{{Kind: Text, Text: "  a"}, {Kind: Text, Text: "b "}, {Kind: HardBreak}}},
			{Kind: Paragraph},
			{Kind: BulletList, Items: []Item{{Blocks: []Block{{Kind: Paragraph, Inlines: []Inline{{Kind: Text, Text: "x", Marks: Strong}}}}}}},
			{Kind: BulletList, Items: []Item{{Blocks: []Block{{Kind: Paragraph, Inlines: []Inline{{Kind: Text, Text: "y\nz"}}}}}}},
			{Kind: Heading, Level: 9, Inlines: []Inline{{Kind: Text, Text: "h"}}},
		}}
	}
	if got, want := Render(build()), "ab\n\n* *x*\n* y\nz\n\nh6. h"; got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
	if got, want := RenderMarkdown(build()), "ab\n\n- **x**\n- y\n  z\n\n###### h"; got != want {
		t.Errorf("RenderMarkdown = %q, want %q", got, want)
	}
}

// Hostile input converts in bounded time: nothing quadratic in the size of
// a maximal Jira description (32,767 characters).
func TestHostileInputIsFast(t *testing.T) {
	const n = 32 << 10
	inputs := map[string]string{
		"braces":       strings.Repeat("{", n),
		"open quotes":  strings.Repeat("{quote}\n", n/8),
		"open code":    strings.Repeat("{code}\n", n/7),
		"brackets":     strings.Repeat("[a|", n/3),
		"bangs":        strings.Repeat("!a ", n/3),
		"stars":        strings.Repeat("*a ", n/3),
		"deep list":    strings.Repeat("*", n) + " x",
		"table pipes":  "|" + strings.Repeat("a|", n/2),
		"dash openers": strings.Repeat("-a ", n/3),
	}
	for name, w := range inputs {
		start := time.Now()
		md := ToMarkdown(w)
		FromMarkdown(md)
		d := time.Since(start)
		t.Logf("%s: %v", name, d)
		if d > 2*time.Second {
			t.Errorf("%s: %v for %d bytes", name, d, len(w))
		}
	}
}
