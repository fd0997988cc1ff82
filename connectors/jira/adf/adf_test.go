package adf

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"not json", `{`, "decoding"},
		{"not a doc", `{"type":"paragraph","version":1}`, `root node is "paragraph"`},
		{"no version", `{"type":"doc","content":[]}`, "doc version 0, want 1"},
		{"version 2", `{"type":"doc","version":2,"content":[]}`, "doc version 2"},
		{"unknown field", `{"type":"doc","version":1,"content":[],"extra":1}`, "unknown field"},
		{"trailing data", `{"type":"doc","version":1,"content":[]} {}`, "trailing data"},
		{"unknown node", `{"type":"doc","version":1,"content":[{"type":"widget"}]}`, `doc.content[0]: unknown node type "widget"`},
		{"unknown mark", `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"x","marks":[{"type":"blink"}]}]}]}`,
			`doc.content[0].content[0].marks[0]: unknown mark type "blink"`},
		{"empty text", `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":""}]}]}`, "text node without text"},
		{"text at block level", `{"type":"doc","version":1,"content":[{"type":"text","text":"x"}]}`, "doc cannot hold text"},
		{"paragraph in paragraph", `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"paragraph"}]}]}`, "paragraph cannot hold paragraph"},
		{"list holds paragraph", `{"type":"doc","version":1,"content":[{"type":"bulletList","content":[{"type":"paragraph"}]}]}`, "bulletList cannot hold paragraph"},
		{"heading level", `{"type":"doc","version":1,"content":[{"type":"heading","attrs":{"level":7}}]}`, "heading level must be 1..6"},
		{"link without href", `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"x","marks":[{"type":"link"}]}]}]}`, "link mark without href"},
		{"mention without id", `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"mention","attrs":{}}]}]}`, "mention without id"},
		{"rule with content", `{"type":"doc","version":1,"content":[{"type":"rule","content":[{"type":"text","text":"x"}]}]}`, "rule node cannot have content"},
		{"version on child", `{"type":"doc","version":1,"content":[{"type":"rule","version":1}]}`, "version is only allowed on doc"},
		{"null node", `{"type":"doc","version":1,"content":[null]}`, "null node"},
		{"code block holds mention", `{"type":"doc","version":1,"content":[{"type":"codeBlock","content":[{"type":"mention","attrs":{"id":"a"}}]}]}`, "codeBlock can only hold text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse(%s) = %+v, want error", tt.in, n)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %q does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestParseDeepNesting(t *testing.T) {
	s := `{"type":"doc","version":1,"content":[` + strings.Repeat(`{"type":"panel","content":[`, 100) +
		`{"type":"paragraph"}` + strings.Repeat(`]}`, 100) + `]}`
	if _, err := Parse([]byte(s)); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Fatalf("err = %v, want a nesting error", err)
	}
}

// The examples in Jira's own OpenAPI description are valid documents.
// testdata/openapi-examples.json holds every ADF document found in the
// examples of apis/jira/platform.openapi.json, deduplicated.
func TestParseOpenAPIExamples(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "openapi-examples.json"))
	if err != nil {
		t.Fatal(err)
	}
	var docs []json.RawMessage
	if err := json.Unmarshal(b, &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatal("no examples")
	}
	for i, d := range docs {
		n, err := Parse(d)
		if err != nil {
			t.Errorf("example %d: %v", i, err)
			continue
		}
		if ToWiki(n) == "" {
			t.Errorf("example %d: empty wiki", i)
		}
	}
}

// TestRichGolden reads a document using most node types and renders it as
// wiki markup and Markdown.
func TestRichGolden(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "rich.json"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []struct {
		file string
		got  string
	}{{"rich.wiki", ToWiki(n)}, {"rich.md", ToMarkdown(n)}} {
		path := filepath.Join("testdata", g.file)
		if *update {
			if err := os.WriteFile(path, []byte(g.got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if g.got != string(want) {
			t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", g.file, g.got, want)
		}
	}
}

func TestFromWikiJSON(t *testing.T) {
	n := FromWiki("h1. Title\n\nSome *bold* [link|https://x.io]\\\\next\nsoft\n\n* [ ] task\n\n{code:go}\nx\n{code}")
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"doc","version":1,"content":[` +
		`{"type":"heading","attrs":{"level":1},"content":[{"type":"text","text":"Title"}]},` +
		`{"type":"paragraph","content":[{"type":"text","text":"Some "},{"type":"text","text":"bold","marks":[{"type":"strong"}]},` +
		`{"type":"text","text":" "},{"type":"text","text":"link","marks":[{"type":"link","attrs":{"href":"https://x.io"}}]},` +
		`{"type":"hardBreak"},{"type":"text","text":"next\nsoft"}]},` +
		`{"type":"taskList","attrs":{"localId":""},"content":[{"type":"taskItem","attrs":{"localId":"","state":"TODO"},"content":[{"type":"text","text":"task"}]}]},` +
		`{"type":"codeBlock","attrs":{"language":"go"},"content":[{"type":"text","text":"x"}]}]}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
	if _, err := Parse(b); err != nil {
		t.Errorf("own output does not parse: %v", err)
	}
	if got := string(mustJSON(t, FromWiki(""))); got != `{"type":"doc","version":1,"content":[]}` {
		t.Errorf("empty doc JSON = %s", got)
	}
}

func TestToWikiTolerant(t *testing.T) {
	if got := ToWiki(nil); got != "" {
		t.Errorf("ToWiki(nil) = %q", got)
	}
	// Not a doc, unknown types, nil children: text survives.
	n := &Node{Type: "paragraph", Content: []*Node{nil, {Type: "text", Text: "a"}, {Type: "sparkle", Text: "b"}}}
	if got := ToWiki(n); got != "ab" {
		t.Errorf("ToWiki = %q, want %q", got, "ab")
	}
}

func TestMarkdownRoundTrip(t *testing.T) {
	md := "# T\n\n- [ ] a\n- b\n\n1. one\n   - [x] done\n\n| h |\n| --- |\n| c<br>d |"
	if got := ToMarkdown(FromMarkdown(md)); got != md {
		t.Errorf("got\n%s\nwant\n%s", got, md)
	}
}

func mustJSON(t *testing.T, n *Node) []byte {
	t.Helper()
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
