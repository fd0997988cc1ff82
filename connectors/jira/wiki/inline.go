package wiki

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Shared machinery for the two inline renderers: both walk flat runs and
// open and close marks with a stack, so that marks nest properly.

func lastRune(b *strings.Builder) rune {
	s := b.String()
	if s == "" {
		return 0
	}
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func isAlnum(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') ||
		r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

func isSpace(r rune) bool {
	return r == 0 || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r >= utf8.RuneSelf && unicode.IsSpace(r)
}

func isASCIIPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

// eqInlines compares inline slices.
func eqInlines(a, b []Inline) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// hasDelimMarks reports whether any inline carries a mark written with
// delimiters whose validity depends on neighbouring characters.
func hasDelimMarks(ins []Inline) bool {
	for _, in := range ins {
		if in.Marks&^(Link|Code) != 0 {
			return true
		}
	}
	return false
}

// plainDoc reports whether a Doc holds nothing whose rendering depends on
// context: no marks, mentions or images, and no character from risky in
// any text. Such a Doc needs no read-back check, which halves the cost of
// converting the common plain description.
func plainDoc(d *Doc, risky string) bool {
	return plainBlocks(d.Blocks, risky)
}

func plainBlocks(bs []Block, risky string) bool {
	for i := range bs {
		b := &bs[i]
		if !plainInlines(b.Inlines, risky) || !plainBlocks(b.Blocks, risky) {
			return false
		}
		for _, it := range b.Items {
			if !plainBlocks(it.Blocks, risky) {
				return false
			}
		}
		for ri, r := range b.Rows {
			for _, c := range r.Cells {
				// A header cell outside a header row is written bold.
				if !plainInlines(c.Inlines, risky) || c.Header != (ri == 0 && b.Rows[0].Cells[0].Header) {
					return false
				}
			}
		}
	}
	return true
}

func plainInlines(ins []Inline, risky string) bool {
	for _, in := range ins {
		if in.Marks != 0 || in.Kind == Mention || in.Kind == Image || strings.ContainsAny(in.Text, risky) {
			return false
		}
	}
	return true
}

// Characters whose escaping depends on their neighbours, per notation.
const (
	mdRisky   = "\\`*_[]<>!&~|#-+=()"
	wikiRisky = "\\*_-+^~{}[]|!&#"
)
