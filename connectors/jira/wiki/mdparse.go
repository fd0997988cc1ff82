package wiki

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

var (
	mdOnce   sync.Once
	mdParser parser.Parser
)

func markdownParser() parser.Parser {
	mdOnce.Do(func() {
		md := goldmark.New(goldmark.WithExtensions(
			extension.Table,
			extension.Strikethrough,
			extension.TaskList,
		))
		mdParser = md.Parser()
	})
	return mdParser
}

// ParseMarkdown parses CommonMark with GFM tables, strikethrough and task
// lists into a normalized Doc.
func ParseMarkdown(md string) *Doc {
	src := []byte(cleanInput(md))
	root := markdownParser().Parse(text.NewReader(src))
	c := mdConv{src: src}
	d := &Doc{Blocks: c.blocks(root)}
	d.Normalize()
	return d
}

type mdConv struct {
	src []byte
	// open counts of marks opened by inline HTML tags.
	html [16]int
}

func (c *mdConv) blocks(parent ast.Node) []Block {
	var out []Block
	for n := parent.FirstChild(); n != nil; n = n.NextSibling() {
		out = c.block(out, n)
	}
	return out
}

func (c *mdConv) lines(n ast.Node) string {
	var b strings.Builder
	ls := n.Lines()
	for i := 0; i < ls.Len(); i++ {
		s := ls.At(i)
		b.Write(s.Value(c.src))
	}
	return b.String()
}

func (c *mdConv) block(out []Block, n ast.Node) []Block {
	switch n := n.(type) {
	case *ast.Paragraph, *ast.TextBlock:
		return append(out, Block{Kind: Paragraph, Inlines: c.inlines(n, nil)})
	case *ast.Heading:
		return append(out, Block{Kind: Heading, Level: n.Level, Inlines: c.inlines(n, nil)})
	case *ast.ThematicBreak:
		return append(out, Block{Kind: Rule})
	case *ast.FencedCodeBlock:
		lang := ""
		if n.Info != nil {
			lang = string(n.Language(c.src))
			lang = string(util.UnescapePunctuations([]byte(lang)))
		}
		return append(out, Block{Kind: CodeBlock, Lang: lang, Code: c.lines(n)})
	case *ast.CodeBlock:
		return append(out, Block{Kind: CodeBlock, Code: c.lines(n)})
	case *ast.Blockquote:
		return append(out, Block{Kind: Quote, Blocks: c.blocks(n)})
	case *ast.List:
		b := Block{Kind: BulletList}
		if n.IsOrdered() {
			b.Kind = OrderedList
		}
		for it := n.FirstChild(); it != nil; it = it.NextSibling() {
			item := Item{}
			if p := it.FirstChild(); p != nil {
				if cb, ok := p.FirstChild().(*east.TaskCheckBox); ok {
					item.Task, item.Checked = true, cb.IsChecked
				}
			}
			item.Blocks = c.blocks(it)
			b.Items = append(b.Items, item)
		}
		return append(out, b)
	case *ast.HTMLBlock:
		// Raw HTML has no wiki form; keep it readable as text.
		var s strings.Builder
		s.WriteString(c.lines(n))
		if n.HasClosure() {
			s.Write(n.ClosureLine.Value(c.src))
		}
		var ins []Inline
		for i, l := range strings.Split(strings.TrimRight(s.String(), "\n"), "\n") {
			if i > 0 {
				ins = append(ins, Inline{Kind: SoftBreak})
			}
			ins = append(ins, Inline{Kind: Text, Text: l})
		}
		return append(out, Block{Kind: Paragraph, Inlines: ins})
	case *east.Table:
		b := Block{Kind: Table}
		for r := n.FirstChild(); r != nil; r = r.NextSibling() {
			_, header := r.(*east.TableHeader)
			var row Row
			for cell := r.FirstChild(); cell != nil; cell = cell.NextSibling() {
				row.Cells = append(row.Cells, Cell{Header: header, Inlines: c.inlines(cell, nil)})
			}
			b.Rows = append(b.Rows, row)
		}
		// A header row of empty cells stands for "no header" in wiki tables.
		if len(b.Rows) > 0 && allEmpty(b.Rows[0]) && len(b.Rows) > 1 {
			b.Rows = b.Rows[1:]
		}
		return append(out, b)
	case *ast.LinkReferenceDefinition:
		return out
	}
	// Unknown block: keep its text.
	if n.Type() == ast.TypeBlock && n.FirstChild() != nil {
		return append(out, c.blocks(n)...)
	}
	return out
}

func allEmpty(r Row) bool {
	for _, c := range r.Cells {
		if len(normInlines(append([]Inline(nil), c.Inlines...), false)) > 0 {
			return false
		}
	}
	return true
}

// inlineState is the mark context while walking inline nodes.
type inlineState struct {
	marks Marks
	href  string
}

func (c *mdConv) inlines(parent ast.Node, st *inlineState) []Inline {
	top := st == nil
	if top {
		st = &inlineState{}
		c.html = [16]int{}
	}
	var out []Inline
	for n := parent.FirstChild(); n != nil; n = n.NextSibling() {
		out = c.inline(out, n, st)
	}
	if top {
		out = splitMentions(out)
	}
	return out
}

func (c *mdConv) cur(st *inlineState) Inline {
	m := st.marks
	for i, k := range c.html {
		if k > 0 {
			m |= 1 << i
		}
	}
	in := Inline{Kind: Text, Marks: m}
	if m&Link != 0 {
		in.Href = st.href
	}
	return in
}

// unescapeMD resolves backslash escapes and character references in one
// pass, as CommonMark reads them: an escaped "&" starts no reference.
//
// With keep set, an escaped "[" becomes escBracket+'b' (and a literal
// escBracket becomes escBracket+'s'), so that "\\[~x]" is not taken for a
// mention; unmarkBrackets turns both back.
func unescapeMD(b []byte, keep bool) string {
	if bytes.IndexByte(b, '\\') < 0 && bytes.IndexByte(b, '&') < 0 && (!keep || !bytes.ContainsRune(b, escBracket)) {
		return string(b)
	}
	var out strings.Builder
	out.Grow(len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '\\' && i+1 < len(b) && util.IsPunct(b[i+1]):
			if keep && b[i+1] == '[' {
				out.WriteRune(escBracket)
				out.WriteByte('b')
				i++
				continue
			}
			out.WriteByte(b[i+1])
			i++
			continue
		case keep && c == 0xEE && bytes.HasPrefix(b[i:], []byte(string(escBracket))):
			out.WriteRune(escBracket)
			out.WriteByte('s')
			i += 2
			continue
		case c == '&':
			if s, n := mdEntity(b[i:]); n > 0 {
				out.WriteString(s)
				i += n - 1
				continue
			}
		}
		out.WriteByte(c)
	}
	return out.String()
}

// mdEntity decodes an HTML entity or numeric reference at the start of b.
func mdEntity(b []byte) (string, int) {
	end := bytes.IndexByte(b, ';')
	if end < 2 || end > 40 {
		return "", 0
	}
	name := b[1:end]
	if name[0] == '#' {
		num := name[1:]
		base := 10
		if len(num) > 0 && (num[0] == 'x' || num[0] == 'X') {
			num, base = num[1:], 16
		}
		if len(num) == 0 || len(num) > 7 {
			return "", 0
		}
		v, err := strconv.ParseUint(string(num), base, 32)
		if err != nil {
			return "", 0
		}
		if v == 0 || v > utf8.MaxRune || v >= 0xD800 && v <= 0xDFFF {
			v = utf8.RuneError
		}
		if v == '\f' || v == '\v' {
			v = ' ' // as cleanInput does
		}
		return string(rune(v)), end + 1
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return "", 0
		}
	}
	if e, ok := util.LookUpHTML5EntityByName(string(name)); ok {
		return string(e.Characters), end + 1
	}
	return "", 0
}

func (c *mdConv) inline(out []Inline, n ast.Node, st *inlineState) []Inline {
	switch n := n.(type) {
	case *ast.Text:
		in := c.cur(st)
		v := n.Segment.Value(c.src)
		if n.IsRaw() {
			in.Text = string(v)
		} else {
			in.Text = unescapeMD(v, true)
		}
		out = append(out, in)
		if n.HardLineBreak() {
			out = append(out, Inline{Kind: HardBreak})
		} else if n.SoftLineBreak() {
			out = append(out, Inline{Kind: SoftBreak})
		}
	case *ast.String:
		in := c.cur(st)
		in.Text = string(n.Value)
		out = append(out, in)
	case *ast.CodeSpan:
		in := c.cur(st)
		in.Marks |= Code
		var b bytes.Buffer
		for t := n.FirstChild(); t != nil; t = t.NextSibling() {
			if tn, ok := t.(*ast.Text); ok {
				v := tn.Segment.Value(c.src)
				if bytes.HasSuffix(v, []byte("\n")) {
					v = append(v[:len(v):len(v)][:len(v)-1], ' ')
				}
				b.Write(v)
			}
		}
		in.Text = b.String()
		out = append(out, in)
	case *ast.Emphasis:
		m := Em
		if n.Level >= 2 {
			m = Strong
		}
		saved := st.marks
		st.marks |= m
		for ch := n.FirstChild(); ch != nil; ch = ch.NextSibling() {
			out = c.inline(out, ch, st)
		}
		st.marks = saved
	case *east.Strikethrough:
		saved := st.marks
		st.marks |= Strike
		for ch := n.FirstChild(); ch != nil; ch = ch.NextSibling() {
			out = c.inline(out, ch, st)
		}
		st.marks = saved
	case *ast.Link:
		saved, savedHref := st.marks, st.href
		st.marks |= Link
		st.href = normHref(unescapeMD(n.Destination, false))
		start := len(out)
		for ch := n.FirstChild(); ch != nil; ch = ch.NextSibling() {
			out = c.inline(out, ch, st)
		}
		if !hasText(out[start:]) {
			in := c.cur(st)
			in.Text = st.href
			out = append(out, in)
		}
		st.marks, st.href = saved, savedHref
	case *ast.AutoLink:
		in := c.cur(st)
		url := string(n.URL(c.src))
		if n.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(url), "mailto:") {
			url = "mailto:" + url
		}
		in.Marks |= Link
		in.Href = normHref(url)
		in.Text = string(n.Label(c.src))
		out = append(out, in)
	case *ast.Image:
		var alt strings.Builder
		for ch := n.FirstChild(); ch != nil; ch = ch.NextSibling() {
			for _, t := range c.inline(nil, ch, &inlineState{}) {
				alt.WriteString(t.Text)
			}
		}
		in := c.cur(st)
		in.Kind = Image
		in.Text = normHref(unescapeMD(n.Destination, false))
		in.Alt = unmarkBrackets(alt.String())
		out = append(out, in)
	case *ast.RawHTML:
		var b strings.Builder
		for i := 0; i < n.Segments.Len(); i++ {
			s := n.Segments.At(i)
			b.Write(s.Value(c.src))
		}
		raw := b.String()
		if tag, closing, ok := htmlTag(raw); ok {
			switch {
			case tag == "br" && !closing:
				return append(out, Inline{Kind: HardBreak})
			case htmlMarks[tag] != 0:
				i := bitIndex(htmlMarks[tag])
				if closing {
					if c.html[i] > 0 {
						c.html[i]--
					}
				} else {
					c.html[i]++
				}
				return out
			}
		}
		in := c.cur(st)
		in.Text = raw
		out = append(out, in)
	case *east.TaskCheckBox:
		// Recorded on the item.
	default:
		for ch := n.FirstChild(); ch != nil; ch = ch.NextSibling() {
			out = c.inline(out, ch, st)
		}
	}
	return out
}

func hasText(ins []Inline) bool {
	for _, in := range ins {
		if in.Kind != Text || in.Text != "" {
			return true
		}
	}
	return false
}

var htmlMarks = map[string]Marks{
	"ins": Underline, "u": Underline,
	"sup": Sup, "sub": Sub,
	"del": Strike, "s": Strike, "strike": Strike,
	"strong": Strong, "b": Strong,
	"em": Em, "i": Em,
}

func bitIndex(m Marks) int {
	for i := 0; i < 16; i++ {
		if m == 1<<i {
			return i
		}
	}
	return 0
}

// htmlTag recognizes simple tags like <br>, <br/>, <ins>, </ins>.
func htmlTag(raw string) (tag string, closing, ok bool) {
	if len(raw) < 3 || raw[0] != '<' || raw[len(raw)-1] != '>' {
		return "", false, false
	}
	s := raw[1 : len(raw)-1]
	if strings.HasPrefix(s, "/") {
		closing = true
		s = s[1:]
	}
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "/"))
	s = strings.ToLower(s)
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return "", false, false
		}
	}
	return s, closing, s != ""
}

// normHref makes a link target safe for both notations: characters that end
// a wiki link or a Markdown destination are percent-encoded.
func normHref(h string) string {
	if !strings.ContainsAny(h, " \t\n|[]<>()\\{}") {
		return h
	}
	var b strings.Builder
	for i := 0; i < len(h); i++ {
		switch ch := h[i]; ch {
		case ' ':
			b.WriteString("%20")
		case '\t':
			b.WriteString("%09")
		case '\n':
			b.WriteString("%0A")
		case '|':
			b.WriteString("%7C")
		case '[':
			b.WriteString("%5B")
		case ']':
			b.WriteString("%5D")
		case '<':
			b.WriteString("%3C")
		case '>':
			b.WriteString("%3E")
		case '(':
			b.WriteString("%28")
		case ')':
			b.WriteString("%29")
		case '\\':
			b.WriteString("%5C")
		case '{':
			b.WriteString("%7B")
		case '}':
			b.WriteString("%7D")
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// escBracket marks an escaped "[" while mentions are found.
const escBracket = '\uE000'

// unmarkBrackets undoes the marking done by unescapeMD.
func unmarkBrackets(s string) string {
	i := strings.IndexRune(s, escBracket)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		b.WriteString(s[:i])
		s = s[i+len(string(escBracket)):]
		if s != "" && s[0] == 'b' {
			b.WriteByte('[')
		} else {
			b.WriteRune(escBracket)
		}
		if s != "" {
			s = s[1:]
		}
		i = strings.IndexRune(s, escBracket)
	}
	b.WriteString(s)
	return b.String()
}

// splitMentions turns "[~accountid:…]" inside plain text into Mention nodes;
// Markdown has no mention syntax, so the wiki form is kept verbatim.
func splitMentions(ins []Inline) []Inline {
	found := false
	for _, in := range ins {
		if in.Kind == Text && (strings.Contains(in.Text, "[~") || strings.ContainsRune(in.Text, escBracket)) {
			found = true
			break
		}
	}
	if !found {
		return ins
	}
	defer func() {
		for i := range ins {
			if ins[i].Marks&Code == 0 {
				ins[i].Text = unmarkBrackets(ins[i].Text)
			}
		}
	}()
	ins = normInlines(ins, true)
	var out []Inline
	for _, in := range ins {
		if in.Kind != Text || in.Marks&Code != 0 || !strings.Contains(in.Text, "[~") {
			out = append(out, in)
			continue
		}
		s := in.Text
		for {
			i := strings.Index(s, "[~")
			if i < 0 {
				break
			}
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				break
			}
			ref := s[i+2 : i+j]
			if !validMention(ref) {
				t := in
				t.Text = s[:i+2]
				out = append(out, t)
				s = s[i+2:]
				continue
			}
			if i > 0 {
				t := in
				t.Text = s[:i]
				out = append(out, t)
			}
			out = append(out, Inline{Kind: Mention, Text: ref, Marks: in.Marks & Link, Href: in.Href})
			s = s[i+j+1:]
		}
		if s != "" {
			t := in
			t.Text = s
			out = append(out, t)
		}
	}
	ins = normInlines(out, true)
	return ins
}

func validMention(ref string) bool {
	if ref == "" || len(ref) > 128 || strings.EqualFold(ref, "accountid:") {
		return false
	}
	for _, r := range ref {
		if r == ' ' || r == '\t' || r == '[' || r == ']' || r == '|' || r == '\\' || r == '{' || r == '}' || r < ' ' {
			return false
		}
	}
	return true
}
