// Package wikitest holds rapid generators of messy rich text for the tests
// of packages wiki and adf.
package wikitest

import (
	"strings"

	"pgregory.net/rapid"
)

// String grammars for messy input: fragments of real notation glued
// together, so that unusual combinations come up.

var wikiStarts = []string{"", "", "", "h1. ", "h3. ", "bq. ", "* ", "** ", "*** ", "# ", "## ", "*# ", "#* ", "- ",
	"||", "|", "----", "{code}", "{code:java}", "{noformat}", "{quote}", "{panel:title=T}", "{panel}", "  ", "* [ ] ", "* [x] "}

var wikiInline = []string{"word", "word", "other", " ", " ", "*b*", "_i_", "-s-", "+u+", "^x^", "~y~", "{{m}}", "{{a}b}}",
	"[t|http://x.io]", "[http://y.io]", "[~accountid:q1]", "!i.png!", "!j.png|alt=J!", "\\\\", "\\*", "{*}", "{_}",
	"|", "||", "{color:red}", "{color}", "&#92;", "&#x41;", "[", "]", "!", "{", "}", "\\", "\t", "*", "_", "-", "+",
	"{code}", "{quote}", "{toc}", "x_y", "a-b", "C++", "`", "<b>", "#", "1."}

// Wiki draws wiki markup glued from fragments of real notation.
func Wiki(t *rapid.T) string {
	var b strings.Builder
	for i := rapid.IntRange(0, 12).Draw(t, "wlines"); i > 0; i-- {
		b.WriteString(rapid.SampledFrom(wikiStarts).Draw(t, "wstart"))
		for j := rapid.IntRange(0, 6).Draw(t, "wfrags"); j > 0; j-- {
			b.WriteString(rapid.SampledFrom(wikiInline).Draw(t, "wfrag"))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

var mdStarts = []string{"", "", "", "# ", "## ", "> ", "> > ", "- ", "* ", "+ ", "  - ", "    - ", "1. ", "2) ", "    ",
	"```", "~~~js", "---", "***", "| a | b |", "|---|---|", "| - |", "- [ ] ", "- [x] ", "===", "<div>", "  ", "\t"}

var mdInline = []string{"word", "word", "other", " ", " ", "**b**", "__b__", "*i*", "_i_", "~~s~~", "~t~", "`c`", "``d`e``",
	"[l](http://x.io)", "[l2](<http://y z>)", "<http://y.io>", "<a@b.io>", "![a](i.png)", "<ins>", "</ins>", "<sup>", "</sup>",
	"<br>", "<br/>", "<span>", "\\", "\\*", "&amp;", "&#42;", "&copy;", "*", "**", "_", "[", "]", "<", ">", "|", "!", "{", "}",
	"[~accountid:q1]", "  ", "a_b_c", "#", "1.", "h1. ", "{code}", "\\\\"}

// Markdown draws Markdown glued from fragments of real notation.
func Markdown(t *rapid.T) string {
	var b strings.Builder
	for i := rapid.IntRange(0, 12).Draw(t, "mlines"); i > 0; i-- {
		b.WriteString(rapid.SampledFrom(mdStarts).Draw(t, "mstart"))
		for j := rapid.IntRange(0, 6).Draw(t, "mfrags"); j > 0; j-- {
			b.WriteString(rapid.SampledFrom(mdInline).Draw(t, "mfrag"))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
