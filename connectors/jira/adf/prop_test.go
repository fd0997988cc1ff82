package adf

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/tandem-sync/tandem/connectors/jira/wiki"
	"github.com/tandem-sync/tandem/connectors/jira/wiki/wikitest"
	"pgregory.net/rapid"
)

// lossy reports content that ADF cannot carry as is: code text that is
// also strong, em, … (ADF allows code only with link); images that do not
// stand alone in their paragraph or sit in a heading (ADF media are blocks); quotes inside list items, and headings, tables or rules inside
// quotes (ADF's content rules forbid them).
func lossy(d *wiki.Doc) bool {
	inl := func(ins []wiki.Inline, heading bool) bool {
		for _, in := range ins {
			if in.Marks&wiki.Code != 0 && in.Marks&^(wiki.Code|wiki.Link) != 0 {
				return true
			}
			if in.Kind == wiki.Image && (len(ins) > 1 || heading) {
				return true
			}
		}
		return false
	}
	var blocks func(bs []wiki.Block, inItem, inQuote bool) bool
	blocks = func(bs []wiki.Block, inItem, inQuote bool) bool {
		for _, b := range bs {
			switch {
			case inItem && b.Kind == wiki.Quote,
				inQuote && (b.Kind == wiki.Heading || b.Kind == wiki.Table || b.Kind == wiki.Rule):
				return true
			}
			if inl(b.Inlines, b.Kind == wiki.Heading) || blocks(b.Blocks, inItem, inQuote || b.Kind == wiki.Quote) {
				return true
			}
			for _, it := range b.Items {
				if blocks(it.Blocks, true, inQuote) {
					return true
				}
			}
			for _, r := range b.Rows {
				for _, c := range r.Cells {
					if inl(c.Inlines, false) {
						return true
					}
				}
			}
		}
		return false
	}
	return blocks(d.Blocks, false, false)
}

// Wiki markup made from canonical Markdown survives a trip through ADF,
// including its JSON form.
func TestPropWikiThroughADF(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		md := wiki.Canonical(wikitest.Markdown(t))
		if lossy(wiki.ParseMarkdown(md)) {
			t.Skip("not expressible in ADF as is")
		}
		w := wiki.FromMarkdown(md)
		n := FromWiki(w)
		if got := ToWiki(n); got != w {
			t.Fatalf("ToWiki(FromWiki(w)) != w\nmd:\n%s\nwiki:\n%s\ngot:\n%s", md, w, got)
		}
		b, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		n2, err := Parse(b)
		if err != nil {
			t.Fatalf("own JSON rejected: %v\n%s", err, b)
		}
		if got := ToWiki(n2); got != w {
			t.Fatalf("JSON round trip changed the wiki\nwiki:\n%s\ngot:\n%s", w, got)
		}
		if got := ToMarkdown(n2); got != md {
			t.Fatalf("ADF to Markdown differs\nmd:\n%s\ngot:\n%s", md, got)
		}
		checkShape(t, b)
	})
}

// Any wiki markup gives a valid ADF document, and its wiki form settles.
func TestPropAnyWikiValidADF(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := wikitest.Wiki(t)
		n := FromWiki(w)
		b, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(b); err != nil {
			t.Fatalf("FromWiki(%q) is not valid ADF: %v\n%s", w, err, b)
		}
		checkShape(t, b)
		w1 := ToWiki(n)
		if w2 := ToWiki(FromWiki(w1)); w2 != w1 {
			t.Fatalf("not stable\nwiki: %q\nonce: %q\ntwice:%q", w, w1, w2)
		}
	})
}

// checkShape reads the JSON generically: the doc has version 1 and a
// content array, every node a type, marks sit on text nodes as arrays.
func checkShape(t *rapid.T, b []byte) {
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	if root["version"] != float64(1) {
		t.Fatalf("version = %v", root["version"])
	}
	if _, ok := root["content"].([]any); !ok {
		t.Fatalf("doc content is %T", root["content"])
	}
	var walk func(map[string]any)
	walk = func(m map[string]any) {
		typ, _ := m["type"].(string)
		if typ == "" {
			t.Fatalf("node without type: %v", m)
		}
		if marks, ok := m["marks"]; ok {
			arr, ok := marks.([]any)
			if !ok || len(arr) == 0 || typ != "text" {
				t.Fatalf("bad marks on %s: %v", typ, marks)
			}
			for _, mk := range arr {
				if mm, _ := mk.(map[string]any); mm["type"] == nil {
					t.Fatalf("mark without type: %v", mk)
				}
			}
		}
		if typ == "text" {
			if s, _ := m["text"].(string); s == "" {
				t.Fatalf("text node without text")
			}
		}
		if c, ok := m["content"].([]any); ok {
			for _, ch := range c {
				cm, _ := ch.(map[string]any)
				walk(cm)
			}
		}
	}
	walk(root)
}

// FuzzFromWiki: any wiki markup gives ADF that Parse accepts, and whose
// wiki form settles after one round.
func FuzzFromWiki(f *testing.F) {
	for _, s := range []string{"", "h1. T\n\n* [ ] a\n* b\n\n||h||\n|c !i.png! d|", "{code:go}\nx\n{code}", "{quote}\nq\n{quote}",
		"*{{c}}* [t|http://x] [~accountid:a] !i.png|alt=x!", "# a\n#* [x] b\n#* c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, w string) {
		if len(w) > 4096 {
			return
		}
		n := FromWiki(w)
		if _, err := Parse(mustMarshal(n)); err != nil {
			t.Fatalf("FromWiki(%q) is not valid ADF: %v", w, err)
		}
		w1 := ToWiki(n)
		if w2 := ToWiki(FromWiki(w1)); w2 != w1 {
			t.Fatalf("not stable\nwiki: %q\nonce: %q\ntwice:%q", w, w1, w2)
		}
	})
}

func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "rich.json")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"type":"doc","version":1,"content":[]}`))
	f.Add([]byte(`{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"x","marks":[{"type":"strong"}]}]}]}`))
	f.Add(mustMarshal(FromWiki("h1. T\n\n* [ ] a\n\n||h||\n|c|\n\n{code:go}\nx\n{code}\n\n[~accountid:q] [l|http://x]")))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := Parse(b)
		if err != nil {
			return
		}
		w := ToWiki(n)
		_ = ToMarkdown(n)
		back := FromWiki(w)
		if _, err := Parse(mustMarshal(back)); err != nil {
			t.Fatalf("FromWiki(ToWiki(doc)) is not valid ADF: %v\nwiki: %q", err, w)
		}
	})
}

func mustMarshal(n *Node) []byte {
	b, err := json.Marshal(n)
	if err != nil {
		panic(err)
	}
	return b
}
