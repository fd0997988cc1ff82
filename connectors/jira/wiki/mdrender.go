package wiki

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// RenderMarkdown renders a Doc as canonical Markdown (see doc.go). A Doc
// not yet in normal form is normalized in place first.
func RenderMarkdown(d *Doc) string {
	d.ensureNormal()
	// Render optimistically, check the whole text with one parse, and only
	// when it reads differently check paragraph by paragraph.
	r := mdR{fast: true}
	var b strings.Builder
	b.Grow(256)
	r.mdBlocks(&b, d.Blocks)
	if s := b.String(); plainDoc(d, mdRisky) || EqualDocs(ParseMarkdown(s), d) {
		return s
	}
	r.fast = false
	b.Reset()
	r.mdBlocks(&b, d.Blocks)
	return b.String()
}

// mdR carries the rendering mode: fast renders every paragraph in its
// nicest form without checking it.
type mdR struct{ fast bool }

// Canonical rewrites Markdown into the canonical form that ToMarkdown emits.
func Canonical(md string) string {
	return RenderMarkdown(ParseMarkdown(md))
}

func (r *mdR) mdBlocks(b *strings.Builder, bs []Block) {
	for i, bl := range bs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		r.mdBlock(b, bl)
	}
}

func (r *mdR) mdBlock(b *strings.Builder, bl Block) {
	switch bl.Kind {
	case Paragraph:
		b.WriteString(r.mdParagraph(bl.Inlines))
	case Heading:
		b.WriteString(r.mdHeading(bl.Level, bl.Inlines))
	case Rule:
		b.WriteString("---")
	case CodeBlock:
		mdCode(b, bl)
	case Quote:
		var inner strings.Builder
		r.mdBlocks(&inner, bl.Blocks)
		prefixLines(b, inner.String(), "> ", ">")
	case BulletList, OrderedList:
		r.mdList(b, bl)
	case Table:
		r.mdTable(b, bl)
	}
}

// prefixLines writes s with first/other prefixes on each line; blank lines
// get blank (trimmed) prefixes.
func prefixLines(b *strings.Builder, s, prefix, blank string) {
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		if line == "" {
			b.WriteString(blank)
			continue
		}
		b.WriteString(prefix)
		b.WriteString(line)
	}
}

func mdCode(b *strings.Builder, bl Block) {
	fenceCh := byte('`')
	if strings.ContainsAny(bl.Lang, "`") {
		fenceCh = '~'
	}
	n := max(3, longestRun(bl.Code, fenceCh)+1)
	fence := strings.Repeat(string(fenceCh), n)
	b.WriteString(fence)
	b.WriteString(bl.Lang)
	b.WriteByte('\n')
	if bl.Code != "" {
		b.WriteString(bl.Code)
		b.WriteByte('\n')
	}
	b.WriteString(fence)
}

func longestRun(s string, c byte) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}

func (r *mdR) mdList(b *strings.Builder, bl Block) {
	for i, it := range bl.Items {
		if i > 0 {
			b.WriteByte('\n')
		}
		marker := "- "
		if bl.Kind == OrderedList {
			marker = strconv.Itoa(i+1) + ". "
		}
		if it.Task {
			if it.Checked {
				marker += "[x] "
			} else {
				marker += "[ ] "
			}
		}
		var inner strings.Builder
		for j, cb := range it.Blocks {
			if j > 0 {
				b := &inner
				b.WriteByte('\n')
				// A quote would swallow the next line lazily.
				if it.Blocks[j-1].Kind == Quote {
					b.WriteByte('\n')
				}
			}
			r.mdBlock(&inner, cb)
		}
		s := inner.String()
		if s == "" {
			b.WriteString(strings.TrimRight(marker, " "))
			continue
		}
		indent := strings.Repeat(" ", len(marker))
		if it.Task {
			// Continuation lines align with the item text, not the box.
			indent = strings.Repeat(" ", len(marker)-4)
		}
		// A check box must be followed by text, so another first block
		// starts on the next line.
		boxAlone := it.Task && it.Blocks[0].Kind != Paragraph
		if boxAlone {
			b.WriteString(strings.TrimRight(marker, " "))
		}
		if !it.Task {
			s = unbox(s)
		}
		for k, line := range strings.Split(s, "\n") {
			switch {
			case k == 0 && !boxAlone:
				b.WriteString(marker)
			case line == "":
				b.WriteByte('\n')
				continue
			default:
				b.WriteByte('\n')
				b.WriteString(indent)
			}
			b.WriteString(line)
		}
	}
}

// unbox keeps an item that starts with a link such as [x](url) from reading
// as a task item: the one-character text is written as a reference.
func unbox(s string) string {
	if len(s) >= 4 && s[0] == '[' && s[2] == ']' && s[3] == '(' {
		switch s[1] {
		case 'x', 'X', ' ':
			return "[&#" + strconv.Itoa(int(s[1])) + ";" + s[2:]
		}
	}
	return s
}

func (r *mdR) mdTable(b *strings.Builder, bl Block) {
	rows := bl.Rows
	header := true
	for _, c := range rows[0].Cells {
		if !c.Header {
			header = false
		}
	}
	width := len(rows[0].Cells)
	writeRow := func(cells []Cell, isHeader bool) {
		b.WriteByte('|')
		for _, c := range cells {
			ins := c.Inlines
			if c.Header && !isHeader {
				ins = mergeTexts(boldAll(ins))
			}
			s := r.mdCell(ins)
			b.WriteByte(' ')
			b.WriteString(s)
			b.WriteString(" |")
		}
	}
	if header {
		writeRow(rows[0].Cells, true)
		rows = rows[1:]
	} else {
		writeRow(make([]Cell, width), true)
	}
	b.WriteString("\n|")
	for range width {
		b.WriteString(" --- |")
	}
	for _, row := range rows {
		b.WriteByte('\n')
		writeRow(row.Cells, false)
	}
}

// Inline rendering. Each paragraph, heading and cell is rendered in the
// nicest mode first and checked by parsing it back; if the reading differs
// (emphasis delimiters are context-sensitive in CommonMark), it is rendered
// again with HTML tags for emphasis and, last, with every punctuation
// character escaped.

type mdMode int

const (
	mdNice mdMode = iota
	mdTags
	mdParanoid
)

func (r *mdR) mdParagraph(ins []Inline) string {
	var s string
	for mode := mdNice; mode <= mdParanoid; mode++ {
		s = mdInlines(ins, mode, ctxPara)
		if r.fast || !mdNeedsCheck(ins, mode) {
			return s
		}
		d := ParseMarkdown(s)
		if len(d.Blocks) == 1 && d.Blocks[0].Kind == Paragraph && eqInlines(d.Blocks[0].Inlines, ins) {
			return s
		}
	}
	return s
}

func (r *mdR) mdHeading(level int, ins []Inline) string {
	prefix := strings.Repeat("#", level)
	var s string
	for mode := mdNice; mode <= mdParanoid; mode++ {
		s = prefix
		if body := mdInlines(ins, mode, ctxHeading); body != "" {
			s += " " + body
		}
		if r.fast || !mdNeedsCheck(ins, mode) {
			return s
		}
		d := ParseMarkdown(s)
		if len(d.Blocks) == 1 && d.Blocks[0].Kind == Heading && eqInlines(d.Blocks[0].Inlines, ins) {
			return s
		}
	}
	return s
}

func (r *mdR) mdCell(ins []Inline) string {
	var s string
	for mode := mdNice; mode <= mdParanoid; mode++ {
		s = mdInlines(ins, mode, ctxCell)
		if r.fast || !mdNeedsCheck(ins, mode) {
			return s
		}
		d := ParseMarkdown("| " + s + " |\n| --- |")
		if len(d.Blocks) == 1 && d.Blocks[0].Kind == Table && len(d.Blocks[0].Rows) == 1 &&
			len(d.Blocks[0].Rows[0].Cells) == 1 && eqInlines(d.Blocks[0].Rows[0].Cells[0].Inlines, ins) {
			return s
		}
		if len(ins) == 0 {
			return s
		}
	}
	return s
}

// mdNeedsCheck decides whether a rendering must be verified: only text
// whose reading depends on context (emphasis, underscores, entities…).
func mdNeedsCheck(ins []Inline, mode mdMode) bool {
	if mode == mdParanoid {
		return false
	}
	if hasDelimMarks(ins) {
		return true
	}
	for _, in := range ins {
		if in.Kind == Text && strings.ContainsAny(in.Text, "_&!~:[]") {
			return true
		}
		if in.Kind == Mention || in.Kind == Image {
			return true
		}
	}
	return false
}

// Inline contexts.
const (
	ctxPara = iota
	ctxHeading
	ctxCell
)

type mdWriter struct {
	b       strings.Builder
	mode    mdMode
	ctx     int
	stack   []Marks
	delims  []string
	href    string
	lineBeg bool
}

func mdInlines(ins []Inline, mode mdMode, ctx int) string {
	w := mdWriter{mode: mode, ctx: ctx, lineBeg: true}
	for i, in := range ins {
		if autolink(ins, i) {
			w.transition(Inline{Kind: Text})
			w.b.WriteByte('<')
			w.b.WriteString(in.Href)
			w.b.WriteByte('>')
			w.lineBeg = false
			continue
		}
		w.transition(in)
		switch in.Kind {
		case Text:
			if in.Marks&Code != 0 {
				w.code(in.Text)
			} else {
				w.text(in.Text, nextRune(ins, i))
			}
		case SoftBreak:
			w.b.WriteByte('\n')
			w.lineBeg = true
			continue
		case HardBreak:
			if ctx == ctxHeading {
				w.b.WriteByte(' ')
			} else if ctx == ctxCell {
				w.b.WriteString("<br>")
			} else {
				w.b.WriteString("\\\n")
			}
			w.lineBeg = true
			continue
		case Mention:
			w.b.WriteString("[~")
			w.b.WriteString(in.Text)
			w.b.WriteByte(']')
		case Image:
			w.b.WriteString("![")
			w.text(in.Alt, 0)
			w.b.WriteString("](")
			w.b.WriteString(in.Text)
			w.b.WriteByte(')')
		}
		w.lineBeg = false
	}
	w.transition(Inline{})
	return w.b.String()
}

func nextRune(ins []Inline, i int) rune {
	if i+1 < len(ins) && ins[i+1].Kind == HardBreak {
		return '\n'
	}
	if i+1 < len(ins) && ins[i+1].Kind == Text && ins[i+1].Marks == ins[i].Marks {
		r, _ := utf8.DecodeRuneInString(ins[i+1].Text)
		return r
	}
	return 0
}

// transition closes and opens marks to move from the current state to in's.
func (w *mdWriter) transition(in Inline) {
	want := in.Marks
	if in.Kind == SoftBreak || in.Kind == HardBreak {
		want = 0
	}
	// Close down to the first mark that is no longer wanted.
	keep := 0
	for keep < len(w.stack) {
		m := w.stack[keep]
		if want&m == 0 || (m == Link && in.Href != w.href) {
			break
		}
		keep++
	}
	for len(w.stack) > keep {
		top := len(w.stack) - 1
		w.closeMark(w.stack[top], w.delims[top])
		w.stack = w.stack[:top]
		w.delims = w.delims[:top]
	}
	have := Marks(0)
	for _, m := range w.stack {
		have |= m
	}
	for _, m := range markOrder {
		if want&m == 0 || have&m != 0 || m == Code {
			continue
		}
		d := w.openMark(m, in.Href)
		w.stack = append(w.stack, m)
		w.delims = append(w.delims, d)
		if m == Link {
			w.href = in.Href
		}
	}
}

func (w *mdWriter) openMark(m Marks, href string) string {
	tags := w.mode >= mdTags
	switch m {
	case Link:
		w.b.WriteByte('[')
		return href
	case Strong:
		if tags {
			w.b.WriteString("<strong>")
			return "</strong>"
		}
		w.b.WriteString("**")
		return "**"
	case Em:
		if tags {
			w.b.WriteString("<em>")
			return "</em>"
		}
		if isAlnum(lastRune(&w.b)) {
			w.b.WriteString("*")
			return "*"
		}
		w.b.WriteString("_")
		return "_"
	case Strike:
		if tags {
			w.b.WriteString("<del>")
			return "</del>"
		}
		w.b.WriteString("~~")
		return "~~"
	case Underline:
		w.b.WriteString("<ins>")
		return "</ins>"
	case Sup:
		w.b.WriteString("<sup>")
		return "</sup>"
	case Sub:
		w.b.WriteString("<sub>")
		return "</sub>"
	}
	return ""
}

func (w *mdWriter) closeMark(m Marks, d string) {
	if m == Link {
		w.b.WriteString("](")
		w.b.WriteString(d)
		w.b.WriteByte(')')
		return
	}
	w.b.WriteString(d)
}

func (w *mdWriter) inLink() bool {
	for _, m := range w.stack {
		if m == Link {
			return true
		}
	}
	return false
}

func (w *mdWriter) code(s string) {
	n := 1
	for longestRun(s, '`') >= n {
		n++
	}
	fence := strings.Repeat("`", n)
	pad := strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") ||
		(strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ") && strings.Trim(s, " ") != "")
	w.b.WriteString(fence)
	if pad {
		w.b.WriteByte(' ')
	}
	if w.ctx == ctxCell {
		// GFM splits rows before reading code spans.
		s = strings.ReplaceAll(s, "|", "\\|")
	}
	w.b.WriteString(s)
	if pad {
		w.b.WriteByte(' ')
	}
	w.b.WriteString(fence)
}

// text writes literal text with Markdown escapes.
func (w *mdWriter) text(s string, next rune) {
	b := &w.b
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			b.WriteByte(c)
			continue
		}
		if w.mode == mdParanoid && !(c == '\\' && i == len(s)-1 && next == '\n') {
			if isASCIIPunct(c) {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
			continue
		}
		if c == '\\' && i == len(s)-1 && next == '\n' {
			// goldmark reads "\\\\\\" before a newline as one break.
			b.WriteString("&#92;")
			continue
		}
		esc := false
		switch c {
		case '\\', '`', '[', '<', '|':
			esc = true
		case ']':
			// Only a link's text can be closed early.
			esc = w.inLink()
		case '*', '_', '~':
			// Between two spaces a delimiter can neither open nor close; '_'
			// inside a word cannot either.
			spaced := i > 0 && i+1 < len(s) && s[i-1] == ' ' && s[i+1] == ' ' && !(w.lineBeg && strings.TrimLeft(s[:i], " ") == "")
			esc = !spaced
			if c == '_' && esc {
				prev, _ := utf8.DecodeLastRuneInString(s[:i])
				nx, _ := utf8.DecodeRuneInString(s[i+1:])
				esc = !(i > 0 && i+1 < len(s) && isAlnum(prev) && isAlnum(nx))
			}
		case '&':
			esc = looksLikeEntity(s[i+1:])
		case '!':
			esc = i+1 < len(s) && s[i+1] == '[' || i+1 == len(s) && next == '['
		case '#':
			esc = w.ctx == ctxHeading || (i == 0 && w.lineBeg && w.ctx == ctxPara)
		case '>', '-', '+', '=':
			esc = i == 0 && w.lineBeg && w.ctx == ctxPara
		case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			if i == 0 && w.lineBeg && w.ctx == ctxPara {
				j := i
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
				if j < len(s) && (s[j] == '.' || s[j] == ')') && (j+1 == len(s) || s[j+1] == ' ' || s[j+1] == '\t') {
					b.WriteString(s[i:j])
					b.WriteByte('\\')
					i = j - 1
					continue
				}
			}
		}
		if esc {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
}

func looksLikeEntity(s string) bool {
	i := 0
	if i < len(s) && s[i] == '#' {
		i++
	}
	j := i
	for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
		j++
	}
	return j > i && j < len(s) && s[j] == ';'
}

// autolink reports whether the inline at i is a whole link whose text is
// its absolute address, written "<address>".
func autolink(ins []Inline, i int) bool {
	in := ins[i]
	if in.Kind != Text || in.Marks != Link || in.Text != in.Href || !absoluteURI(in.Href) {
		return false
	}
	return !(i > 0 && ins[i-1].Marks&Link != 0 && ins[i-1].Href == in.Href ||
		i+1 < len(ins) && ins[i+1].Marks&Link != 0 && ins[i+1].Href == in.Href)
}

// absoluteURI matches CommonMark's autolink: a scheme of 2 to 32 characters,
// a colon, and no spaces, controls or angle brackets.
func absoluteURI(s string) bool {
	c := strings.IndexByte(s, ':')
	if c < 2 || c > 32 {
		return false
	}
	for i := 0; i < c; i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || i > 0 && (ch >= '0' && ch <= '9' || ch == '+' || ch == '.' || ch == '-')) {
			return false
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == '<' || s[i] == '>' || s[i] == 0x7f {
			return false
		}
	}
	return true
}
