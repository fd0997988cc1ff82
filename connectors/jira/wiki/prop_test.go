package wiki

import (
	"testing"

	"github.com/tandem-sync/tandem/connectors/jira/wiki/wikitest"
	"pgregory.net/rapid"
)

// For canonical Markdown, going through wiki markup changes nothing.
func TestPropCanonicalRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := genDoc(t)
		md := RenderMarkdown(d)
		if got := dump(ParseMarkdown(md)); got != dump(d) {
			t.Fatalf("Markdown does not read back as the tree\nmd:\n%s\ngot:\n%s\nwant:\n%s", md, got, dump(d))
		}
		if c := Canonical(md); c != md {
			t.Fatalf("generated Markdown is not canonical\nmd:\n%s\ncanonical:\n%s", md, c)
		}
		w := FromMarkdown(md)
		if got := dump(Parse(w)); got != dump(d) {
			t.Fatalf("wiki does not read back as the tree\nmd:\n%s\nwiki:\n%s\ngot:\n%s\nwant:\n%s", md, w, got, dump(d))
		}
		if back := ToMarkdown(w); back != md {
			t.Fatalf("round trip changed the Markdown\nmd:\n%s\nwiki:\n%s\nback:\n%s", md, w, back)
		}
	})
}

// Wiki markup settles after one round through Markdown.
func TestPropWikiIdempotent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := wikitest.Wiki(t)
		once := FromMarkdown(ToMarkdown(w))
		twice := FromMarkdown(ToMarkdown(once))
		if once != twice {
			t.Fatalf("not stable\nwiki:\n%s\nonce:\n%s\ntwice:\n%s", w, once, twice)
		}
	})
}

// Any Markdown (not only canonical) converts to its canonical form, and
// Canonical is idempotent.
func TestPropCanonical(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		md := wikitest.Markdown(t)
		c := Canonical(md)
		if cc := Canonical(c); cc != c {
			t.Fatalf("Canonical not idempotent\nmd:\n%s\nonce:\n%s\ntwice:\n%s", md, c, cc)
		}
		if got := ToMarkdown(FromMarkdown(md)); got != c {
			t.Fatalf("round trip differs from Canonical\nmd:\n%q\nwiki:\n%q\ngot:\n%q\nwant:\n%q", md, FromMarkdown(md), got, c)
		}
	})
}
