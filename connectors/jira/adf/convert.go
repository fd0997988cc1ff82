package adf

import (
	"strings"
	"time"

	"github.com/tandem-sync/tandem/connectors/jira/wiki"
)

// FromWiki converts wiki markup into an ADF document.
func FromWiki(w string) *Node { return FromDoc(wiki.Parse(w)) }

// ToWiki renders an ADF document as wiki markup.
func ToWiki(n *Node) string { return wiki.Render(ToDoc(n)) }

// FromMarkdown converts Markdown into an ADF document.
func FromMarkdown(md string) *Node { return FromDoc(wiki.ParseMarkdown(md)) }

// ToMarkdown renders an ADF document as canonical Markdown.
func ToMarkdown(n *Node) string { return wiki.RenderMarkdown(ToDoc(n)) }

// FromDoc builds an ADF document from the neutral tree. Soft line breaks
// travel as "\n" inside text nodes, so that they stay distinct from
// hardBreak nodes and a wiki round trip is exact.
func FromDoc(d *wiki.Doc) *Node {
	root := &Node{Type: "doc", Version: 1, Content: []*Node{}}
	for _, b := range d.Blocks {
		root.Content = append(root.Content, fromBlock(b)...)
	}
	return root
}

func fromBlock(b wiki.Block) []*Node {
	switch b.Kind {
	case wiki.Paragraph:
		return paragraphs(b.Inlines)
	case wiki.Heading:
		return []*Node{{Type: "heading", Attrs: map[string]any{"level": b.Level}, Content: fromInlines(b.Inlines)}}
	case wiki.Rule:
		return []*Node{{Type: "rule"}}
	case wiki.CodeBlock:
		n := &Node{Type: "codeBlock"}
		if b.Lang != "" {
			n.Attrs = map[string]any{"language": b.Lang}
		}
		if b.Code != "" {
			n.Content = []*Node{{Type: "text", Text: b.Code}}
		}
		return []*Node{n}
	case wiki.Quote:
		n := &Node{Type: "blockquote"}
		for _, c := range b.Blocks {
			n.Content = append(n.Content, fitted(fromBlock(c), only["blockquote"])...)
		}
		return []*Node{n}
	case wiki.BulletList, wiki.OrderedList:
		return fromList(b)
	case wiki.Table:
		t := &Node{Type: "table", Attrs: map[string]any{"isNumberColumnEnabled": false, "layout": "default"}}
		for _, r := range b.Rows {
			row := &Node{Type: "tableRow"}
			for _, c := range r.Cells {
				typ := "tableCell"
				if c.Header {
					typ = "tableHeader"
				}
				row.Content = append(row.Content, &Node{Type: typ, Attrs: map[string]any{}, Content: paragraphs(c.Inlines)})
			}
			t.Content = append(t.Content, row)
		}
		return []*Node{t}
	}
	return nil
}

// paragraphs writes a paragraph. ADF media are blocks, so an image splits
// the paragraph around it (an image inside a link stays a link).
func paragraphs(ins []wiki.Inline) []*Node {
	var out []*Node
	start := 0
	for i, in := range ins {
		if in.Kind != wiki.Image || in.Marks&wiki.Link != 0 {
			continue
		}
		if part := trimBreaks(ins[start:i]); len(part) > 0 {
			out = append(out, &Node{Type: "paragraph", Content: fromInlines(part)})
		}
		out = append(out, mediaSingle(in))
		start = i + 1
	}
	if part := trimBreaks(ins[start:]); len(part) > 0 || len(out) == 0 {
		out = append(out, &Node{Type: "paragraph", Content: fromInlines(part)})
	}
	return out
}

func trimBreaks(ins []wiki.Inline) []wiki.Inline {
	for len(ins) > 0 && ins[0].Kind != wiki.Text && ins[0].Kind != wiki.Mention {
		ins = ins[1:]
	}
	for len(ins) > 0 && ins[len(ins)-1].Kind != wiki.Text && ins[len(ins)-1].Kind != wiki.Mention {
		ins = ins[:len(ins)-1]
	}
	return ins
}

// fitted rewrites blocks that a parent cannot hold: a heading becomes a
// bold paragraph, a quote gives up its content, a rule is dropped, a table
// becomes one paragraph per row.
func fitted(ns []*Node, allowed map[string]bool) []*Node {
	out := ns[:0:0]
	for _, n := range ns {
		if allowed[n.Type] {
			out = append(out, n)
			continue
		}
		switch n.Type {
		case "heading":
			p := &Node{Type: "paragraph"}
			for _, c := range n.Content {
				if c.Type == "text" && !hasMark(c, "code") && !hasMark(c, "strong") {
					c.Marks = append(c.Marks, Mark{Type: "strong"})
				}
				p.Content = append(p.Content, c)
			}
			out = append(out, p)
		case "blockquote":
			out = append(out, fitted(n.Content, allowed)...)
		case "table":
			for _, row := range n.Content {
				p := &Node{Type: "paragraph"}
				for i, cell := range row.Content {
					if i > 0 {
						p.Content = append(p.Content, &Node{Type: "text", Text: " | "})
					}
					for _, cp := range cell.Content {
						if cp.Type != "mediaSingle" {
							p.Content = append(p.Content, cp.Content...)
							continue
						}
						for _, m := range cp.Content {
							u := strAttr(m.Attrs, "url")
							t := strAttr(m.Attrs, "alt")
							if t == "" {
								t = u
							}
							if t != "" && u != "" {
								p.Content = append(p.Content, &Node{Type: "text", Text: t,
									Marks: []Mark{{Type: "link", Attrs: map[string]any{"href": u}}}})
							}
						}
					}
				}
				out = append(out, p)
			}
		}
	}
	return out
}

func hasMark(n *Node, typ string) bool {
	for _, m := range n.Marks {
		if m.Type == typ {
			return true
		}
	}
	return false
}

// taskShaped reports whether a bullet list can be an ADF taskList: every
// item a task holding at most one paragraph (without images, as task items
// hold inline content only) and nested task lists.
func taskShaped(b wiki.Block) bool {
	if b.Kind != wiki.BulletList {
		return false
	}
	for _, it := range b.Items {
		if !it.Task {
			return false
		}
		for i, c := range it.Blocks {
			switch {
			case i == 0 && c.Kind == wiki.Paragraph && !hasImage(c.Inlines):
			case taskShaped(c):
			default:
				return false
			}
		}
	}
	return true
}

func fromList(b wiki.Block) []*Node {
	if taskShaped(b) {
		return []*Node{taskList(b)}
	}
	typ := "bulletList"
	if b.Kind == wiki.OrderedList {
		typ = "orderedList"
	}
	l := &Node{Type: typ}
	if typ == "orderedList" {
		l.Attrs = map[string]any{"order": 1}
	}
	for _, it := range b.Items {
		li := &Node{Type: "listItem"}
		for _, c := range it.Blocks {
			li.Content = append(li.Content, fitted(fromBlock(c), only["listItem"])...)
		}
		if it.Task {
			// A check box in a plain list (ADF task lists hold only tasks):
			// keep it as a ballot box character, read back by boxedItem.
			box := boxOpen
			if it.Checked {
				box = boxDone
			}
			if len(li.Content) > 0 && li.Content[0].Type == "paragraph" && len(it.Blocks) > 0 && it.Blocks[0].Kind == wiki.Paragraph {
				p := li.Content[0]
				p.Content = append([]*Node{{Type: "text", Text: box + " "}}, p.Content...)
			} else {
				li.Content = append([]*Node{{Type: "paragraph", Content: []*Node{{Type: "text", Text: box}}}}, li.Content...)
			}
		}
		if len(li.Content) == 0 || li.Content[0].Type == "bulletList" || li.Content[0].Type == "orderedList" || li.Content[0].Type == "taskList" {
			// ADF wants something before a nested list.
			li.Content = append([]*Node{{Type: "paragraph"}}, li.Content...)
		}
		l.Content = append(l.Content, li)
	}
	return []*Node{l}
}

func hasImage(ins []wiki.Inline) bool {
	for _, in := range ins {
		if in.Kind == wiki.Image {
			return true
		}
	}
	return false
}

func taskList(b wiki.Block) *Node {
	l := &Node{Type: "taskList", Attrs: map[string]any{"localId": ""}}
	for _, it := range b.Items {
		state := "TODO"
		if it.Checked {
			state = "DONE"
		}
		ti := &Node{Type: "taskItem", Attrs: map[string]any{"localId": "", "state": state}}
		var nested []*Node
		for i, c := range it.Blocks {
			if i == 0 && c.Kind == wiki.Paragraph {
				ti.Content = fromInlines(c.Inlines)
				continue
			}
			nested = append(nested, taskList(c))
		}
		l.Content = append(l.Content, ti)
		l.Content = append(l.Content, nested...)
	}
	return l
}

func mediaSingle(in wiki.Inline) *Node {
	attrs := map[string]any{"type": "external", "url": in.Text}
	if in.Alt != "" {
		attrs["alt"] = in.Alt
	}
	return &Node{Type: "mediaSingle", Attrs: map[string]any{"layout": "center"},
		Content: []*Node{{Type: "media", Attrs: attrs}}}
}

func fromInlines(ins []wiki.Inline) []*Node {
	var out []*Node
	for _, in := range ins {
		switch in.Kind {
		case wiki.Text:
			out = appendText(out, in.Text, marksOf(in))
		case wiki.SoftBreak:
			out = appendText(out, "\n", nil)
		case wiki.HardBreak:
			out = append(out, &Node{Type: "hardBreak"})
		case wiki.Mention:
			id := strings.TrimPrefix(in.Text, "accountid:")
			out = append(out, &Node{Type: "mention", Attrs: map[string]any{"id": id}})
		case wiki.Image:
			// ADF media is block-level; inside text, an image becomes a link.
			// Inside a link it keeps that link; alone it links to itself.
			t := in
			t.Kind, t.Text = wiki.Text, in.Alt
			if t.Text == "" {
				t.Text = in.Text
			}
			if in.Marks&wiki.Link == 0 {
				t.Marks, t.Href = in.Marks|wiki.Link, in.Text
			}
			out = appendText(out, t.Text, marksOf(t))
		}
	}
	return out
}

// appendText adds a text node, merging a soft break into its neighbours when
// the marks agree.
func appendText(out []*Node, text string, marks []Mark) []*Node {
	if n := len(out); n > 0 && out[n-1].Type == "text" && sameMarks(out[n-1].Marks, marks) {
		out[n-1].Text += text
		return out
	}
	return append(out, &Node{Type: "text", Text: text, Marks: marks})
}

func sameMarks(a, b []Mark) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || strAttr(a[i].Attrs, "href") != strAttr(b[i].Attrs, "href") ||
			strAttr(a[i].Attrs, "type") != strAttr(b[i].Attrs, "type") {
			return false
		}
	}
	return true
}

// marksOf lists ADF marks for an inline. ADF lets code combine only with
// link, so code drops the others.
func marksOf(in wiki.Inline) []Mark {
	var ms []Mark
	m := in.Marks
	if m&wiki.Code != 0 {
		m &= wiki.Code | wiki.Link
	}
	if m&wiki.Link != 0 {
		ms = append(ms, Mark{Type: "link", Attrs: map[string]any{"href": in.Href}})
	}
	if m&wiki.Strong != 0 {
		ms = append(ms, Mark{Type: "strong"})
	}
	if m&wiki.Em != 0 {
		ms = append(ms, Mark{Type: "em"})
	}
	if m&wiki.Strike != 0 {
		ms = append(ms, Mark{Type: "strike"})
	}
	if m&wiki.Underline != 0 {
		ms = append(ms, Mark{Type: "underline"})
	}
	switch {
	case m&wiki.Sup != 0:
		ms = append(ms, Mark{Type: "subsup", Attrs: map[string]any{"type": "sup"}})
	case m&wiki.Sub != 0:
		ms = append(ms, Mark{Type: "subsup", Attrs: map[string]any{"type": "sub"}})
	}
	if m&wiki.Code != 0 {
		ms = append(ms, Mark{Type: "code"})
	}
	return ms
}

// ToDoc reads an ADF tree into the neutral tree. It accepts any tree, not
// only what Parse lets through: unknown nodes give up their text.
func ToDoc(n *Node) *wiki.Doc {
	d := &wiki.Doc{}
	if n != nil {
		if n.Type == "doc" {
			d.Blocks = toBlocks(n.Content)
		} else {
			d.Blocks = toBlocks([]*Node{n})
		}
	}
	d.Normalize()
	return d
}

func toBlocks(ns []*Node) []wiki.Block {
	var out []wiki.Block
	var pending []wiki.Inline // inline nodes met at block level
	flush := func() {
		if len(pending) > 0 {
			out = append(out, wiki.Block{Kind: wiki.Paragraph, Inlines: pending})
			pending = nil
		}
	}
	for _, n := range ns {
		if n == nil {
			continue
		}
		if rules[n.Type].group&gInline != 0 {
			pending = append(pending, toInlines([]*Node{n})...)
			continue
		}
		flush()
		out = append(out, toBlock(n)...)
	}
	flush()
	return out
}

func toBlock(n *Node) []wiki.Block {
	switch n.Type {
	case "paragraph", "decisionItem", "caption":
		return []wiki.Block{{Kind: wiki.Paragraph, Inlines: toInlines(n.Content)}}
	case "heading":
		l, _ := intAttr(n.Attrs, "level")
		return []wiki.Block{{Kind: wiki.Heading, Level: min(max(l, 1), 6), Inlines: toInlines(n.Content)}}
	case "rule":
		return []wiki.Block{{Kind: wiki.Rule}}
	case "codeBlock":
		var b strings.Builder
		for _, c := range n.Content {
			if c != nil {
				b.WriteString(c.Text)
			}
		}
		return []wiki.Block{{Kind: wiki.CodeBlock, Lang: strAttr(n.Attrs, "language"), Code: b.String()}}
	case "blockquote", "panel", "expand", "nestedExpand", "bodiedExtension":
		var inner []wiki.Block
		if t := strAttr(n.Attrs, "title"); t != "" {
			inner = append(inner, wiki.Block{Kind: wiki.Paragraph, Inlines: []wiki.Inline{{Kind: wiki.Text, Text: t, Marks: wiki.Strong}}})
		}
		inner = append(inner, toBlocks(n.Content)...)
		return []wiki.Block{{Kind: wiki.Quote, Blocks: inner}}
	case "bulletList", "orderedList", "decisionList":
		b := wiki.Block{Kind: wiki.BulletList}
		if n.Type == "orderedList" {
			b.Kind = wiki.OrderedList
		}
		for _, c := range n.Content {
			if c == nil {
				continue
			}
			if c.Type == "listItem" {
				b.Items = append(b.Items, boxedItem(toBlocks(c.Content)))
			} else {
				b.Items = append(b.Items, wiki.Item{Blocks: toBlocks([]*Node{c})})
			}
		}
		return []wiki.Block{b}
	case "taskList":
		return []wiki.Block{fromTaskList(n)}
	case "table":
		b := wiki.Block{Kind: wiki.Table}
		for _, r := range n.Content {
			if r == nil {
				continue
			}
			var row wiki.Row
			for _, c := range r.Content {
				if c == nil {
					continue
				}
				row.Cells = append(row.Cells, wiki.Cell{Header: c.Type == "tableHeader", Inlines: flatten(toBlocks(c.Content))})
			}
			b.Rows = append(b.Rows, row)
		}
		return []wiki.Block{b}
	case "mediaSingle", "mediaGroup":
		var out []wiki.Block
		for _, c := range n.Content {
			if c == nil {
				continue
			}
			if c.Type == "media" {
				out = append(out, wiki.Block{Kind: wiki.Paragraph, Inlines: []wiki.Inline{media(c)}})
			} else {
				out = append(out, toBlock(c)...)
			}
		}
		return out
	case "media":
		return []wiki.Block{{Kind: wiki.Paragraph, Inlines: []wiki.Inline{media(n)}}}
	case "blockCard", "embedCard":
		u := strAttr(n.Attrs, "url")
		return []wiki.Block{{Kind: wiki.Paragraph, Inlines: []wiki.Inline{{Kind: wiki.Text, Text: u, Marks: wiki.Link, Href: u}}}}
	case "extension":
		return []wiki.Block{{Kind: wiki.Paragraph, Inlines: []wiki.Inline{{Kind: wiki.Text, Text: "{" + strAttr(n.Attrs, "extensionKey") + "}"}}}}
	}
	// layoutSection, layoutColumn, listItem out of place, unknown: content.
	if len(n.Content) > 0 {
		return toBlocks(n.Content)
	}
	if n.Text != "" {
		return []wiki.Block{{Kind: wiki.Paragraph, Inlines: []wiki.Inline{{Kind: wiki.Text, Text: n.Text}}}}
	}
	return nil
}

// Ballot boxes stand for check boxes of tasks inside plain lists.
const (
	boxOpen = "\u2610"
	boxDone = "\u2611"
)

// boxedItem reads back a check box that fromList kept as a ballot box.
func boxedItem(bs []wiki.Block) wiki.Item {
	it := wiki.Item{Blocks: bs}
	if len(bs) == 0 || bs[0].Kind != wiki.Paragraph || len(bs[0].Inlines) == 0 {
		return it
	}
	first := &bs[0].Inlines[0]
	if first.Kind != wiki.Text || first.Marks != 0 {
		return it
	}
	for _, box := range []string{boxOpen, boxDone} {
		if rest, ok := strings.CutPrefix(first.Text, box); ok && (rest == "" || rest[0] == ' ') {
			it.Task, it.Checked = true, box == boxDone
			first.Text = strings.TrimLeft(rest, " ")
			return it
		}
	}
	return it
}

func fromTaskList(n *Node) wiki.Block {
	b := wiki.Block{Kind: wiki.BulletList}
	for _, c := range n.Content {
		if c == nil {
			continue
		}
		switch c.Type {
		case "taskItem", "blockTaskItem":
			it := wiki.Item{Task: true, Checked: strAttr(c.Attrs, "state") == "DONE"}
			if c.Type == "taskItem" {
				it.Blocks = []wiki.Block{{Kind: wiki.Paragraph, Inlines: toInlines(c.Content)}}
			} else {
				it.Blocks = toBlocks(c.Content)
			}
			b.Items = append(b.Items, it)
		case "taskList":
			nested := fromTaskList(c)
			if len(b.Items) == 0 {
				b.Items = append(b.Items, wiki.Item{Task: true})
			}
			last := &b.Items[len(b.Items)-1]
			last.Blocks = append(last.Blocks, nested)
		default:
			b.Items = append(b.Items, wiki.Item{Blocks: toBlocks([]*Node{c})})
		}
	}
	return b
}

func media(n *Node) wiki.Inline {
	src := strAttr(n.Attrs, "url")
	if src == "" {
		// An attachment: the wiki form names it; the id is what we have.
		src = strAttr(n.Attrs, "alt")
		if src == "" {
			src = strAttr(n.Attrs, "id")
		}
	}
	return wiki.Inline{Kind: wiki.Image, Text: src, Alt: strAttr(n.Attrs, "alt")}
}

// flatten turns cell blocks into inline content, one line per block.
func flatten(bs []wiki.Block) []wiki.Inline {
	var out []wiki.Inline
	add := func(ins []wiki.Inline) {
		if len(out) > 0 {
			out = append(out, wiki.Inline{Kind: wiki.HardBreak})
		}
		out = append(out, ins...)
	}
	for _, b := range bs {
		switch b.Kind {
		case wiki.Paragraph, wiki.Heading:
			add(b.Inlines)
		case wiki.CodeBlock:
			for _, l := range strings.Split(b.Code, "\n") {
				add([]wiki.Inline{{Kind: wiki.Text, Text: l, Marks: wiki.Code}})
			}
		case wiki.Quote:
			add(flatten(b.Blocks))
		case wiki.BulletList, wiki.OrderedList:
			for _, it := range b.Items {
				add(append([]wiki.Inline{{Kind: wiki.Text, Text: "• "}}, flatten(it.Blocks)...))
			}
		case wiki.Table:
			for _, r := range b.Rows {
				for _, c := range r.Cells {
					add(c.Inlines)
				}
			}
		}
	}
	return out
}

func toInlines(ns []*Node) []wiki.Inline {
	var out []wiki.Inline
	for _, n := range ns {
		if n == nil {
			continue
		}
		switch n.Type {
		case "text":
			in := wiki.Inline{Kind: wiki.Text, Text: n.Text}
			for _, m := range n.Marks {
				switch m.Type {
				case "strong":
					in.Marks |= wiki.Strong
				case "em":
					in.Marks |= wiki.Em
				case "code":
					in.Marks |= wiki.Code
				case "strike":
					in.Marks |= wiki.Strike
				case "underline":
					in.Marks |= wiki.Underline
				case "link":
					if h := strAttr(m.Attrs, "href"); h != "" {
						in.Marks |= wiki.Link
						in.Href = h
					}
				case "subsup":
					if strAttr(m.Attrs, "type") == "sub" {
						in.Marks |= wiki.Sub
					} else {
						in.Marks |= wiki.Sup
					}
				}
			}
			out = append(out, in)
		case "hardBreak":
			out = append(out, wiki.Inline{Kind: wiki.HardBreak})
		case "mention":
			id := strAttr(n.Attrs, "id")
			if id == "" {
				out = append(out, wiki.Inline{Kind: wiki.Text, Text: strAttr(n.Attrs, "text")})
				continue
			}
			out = append(out, wiki.Inline{Kind: wiki.Mention, Text: "accountid:" + id})
		case "emoji":
			t := strAttr(n.Attrs, "text")
			if t == "" {
				t = strAttr(n.Attrs, "shortName")
			}
			out = append(out, wiki.Inline{Kind: wiki.Text, Text: t})
		case "inlineCard":
			u := strAttr(n.Attrs, "url")
			out = append(out, wiki.Inline{Kind: wiki.Text, Text: u, Marks: wiki.Link, Href: u})
		case "status":
			out = append(out, wiki.Inline{Kind: wiki.Text, Text: strAttr(n.Attrs, "text"), Marks: wiki.Strong})
		case "date":
			out = append(out, wiki.Inline{Kind: wiki.Text, Text: dateText(n.Attrs["timestamp"])})
		case "mediaInline":
			out = append(out, media(n))
		default:
			if n.Text != "" {
				out = append(out, wiki.Inline{Kind: wiki.Text, Text: n.Text})
			}
			out = append(out, toInlines(n.Content)...)
		}
	}
	return out
}

// dateText renders an ADF date (milliseconds since the epoch, as a string).
func dateText(v any) string {
	var ms int64
	switch t := v.(type) {
	case string:
		for _, r := range t {
			if r < '0' || r > '9' {
				return t
			}
			ms = ms*10 + int64(r-'0')
		}
	case float64:
		ms = int64(t)
	default:
		return ""
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02")
}
