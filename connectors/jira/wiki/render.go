package wiki

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Render writes a Doc as Jira wiki markup. A Doc not yet in normal form is
// normalized in place first.
func Render(d *Doc) string {
	d.ensureNormal()
	r := wR{fast: true}
	var b strings.Builder
	b.Grow(256)
	r.wBlocks(&b, d.Blocks)
	if s := b.String(); plainDoc(d, wikiRisky) || EqualDocs(Parse(s), d) {
		return s
	}
	r.fast = false
	b.Reset()
	r.wBlocks(&b, d.Blocks)
	return b.String()
}

// wR carries the rendering mode, as mdR does.
type wR struct{ fast bool }

func (r *wR) wBlocks(b *strings.Builder, bs []Block) {
	for i, bl := range bs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		r.wBlock(b, bl, "")
	}
}

// wBlock writes one block; prefix is the list marker string when the block
// is a nested list.
func (r *wR) wBlock(b *strings.Builder, bl Block, prefix string) {
	switch bl.Kind {
	case Paragraph:
		b.WriteString(r.wParagraph(bl.Inlines))
	case Heading:
		b.WriteString(r.wHeading(bl.Level, bl.Inlines))
	case Rule:
		b.WriteString("----")
	case CodeBlock:
		wCode(b, bl)
	case Quote:
		// "bq." would end a list, so items use the macro.
		if prefix == "" && len(bl.Blocks) == 1 && bl.Blocks[0].Kind == Paragraph && !hasBreak(bl.Blocks[0].Inlines) {
			b.WriteString("bq. ")
			b.WriteString(r.wParagraph(bl.Blocks[0].Inlines))
			return
		}
		b.WriteString("{quote}\n")
		r.wBlocks(b, bl.Blocks)
		b.WriteString("\n{quote}")
	case BulletList, OrderedList:
		r.wList(b, bl, prefix)
	case Table:
		r.wTable(b, bl)
	}
}

func hasBreak(ins []Inline) bool {
	for _, in := range ins {
		if in.Kind == SoftBreak || in.Kind == HardBreak {
			return true
		}
	}
	return false
}

func wCode(b *strings.Builder, bl Block) {
	code := bl.Code
	name := "noformat"
	if bl.Lang != "" || strings.Contains(code, "{noformat}") {
		name = "code"
	}
	if name == "code" && strings.Contains(code, "{code}") {
		if !strings.Contains(code, "{noformat}") {
			name = "noformat"
		} else {
			// Neither macro can hold this text verbatim; break the tag.
			code = strings.ReplaceAll(code, "{code}", "{code }")
		}
	}
	b.WriteByte('{')
	b.WriteString(name)
	if name == "code" && bl.Lang != "" {
		b.WriteByte(':')
		b.WriteString(bl.Lang)
	}
	b.WriteString("}\n")
	if code != "" {
		b.WriteString(code)
		b.WriteByte('\n')
	}
	b.WriteByte('{')
	b.WriteString(name)
	b.WriteByte('}')
}

func (r *wR) wList(b *strings.Builder, bl Block, prefix string) {
	mark := "*"
	if bl.Kind == OrderedList {
		mark = "#"
	}
	p := prefix + mark
	for i, it := range bl.Items {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p)
		b.WriteByte(' ')
		if it.Task {
			if it.Checked {
				b.WriteString("[x] ")
			} else {
				b.WriteString("[ ] ")
			}
		}
		for j, cb := range it.Blocks {
			switch {
			case j == 0 && cb.Kind == Paragraph:
				b.WriteString(r.wParagraph(cb.Inlines))
				continue
			case j == 0:
				// The marker line stays empty; the block follows.
			}
			b.WriteByte('\n')
			if cb.Kind == BulletList || cb.Kind == OrderedList {
				r.wList(b, cb, p)
				continue
			}
			r.wBlock(b, cb, p)
		}
	}
	trimLineEnd(b)
}

// trimLineEnd drops spaces left at the end of the output.
func trimLineEnd(b *strings.Builder) {
	s := b.String()
	t := strings.TrimRight(s, " ")
	if len(t) != len(s) {
		b.Reset()
		b.WriteString(t)
	}
}

func (r *wR) wTable(b *strings.Builder, bl Block) {
	for i, row := range bl.Rows {
		if i > 0 {
			b.WriteByte('\n')
		}
		last := false
		for _, c := range row.Cells {
			if c.Header {
				b.WriteString("||")
			} else {
				b.WriteByte('|')
			}
			s := r.wCell(c.Inlines)
			if s == "" {
				s = " "
			}
			b.WriteString(s)
			last = c.Header
		}
		if last {
			b.WriteString("||")
		} else {
			b.WriteByte('|')
		}
	}
}

// Inline rendering tries, in order: plain delimiters with escaping that
// reads the neighbours; {*} brace delimiters everywhere; and brace
// delimiters with every punctuation character escaped. Each attempt is
// parsed back and kept if it reads as the input.

type wMode int

const (
	wNice wMode = iota
	wBrace
	wParanoid
)

func (r *wR) wParagraph(ins []Inline) string {
	var s string
	for mode := wNice; mode <= wParanoid; mode++ {
		s = wInlines(ins, mode, ctxPara)
		if r.fast {
			return s
		}
		d := Parse(s)
		if len(d.Blocks) == 1 && d.Blocks[0].Kind == Paragraph && eqInlines(d.Blocks[0].Inlines, ins) {
			return s
		}
	}
	return s
}

func (r *wR) wHeading(level int, ins []Inline) string {
	prefix := "h" + strconv.Itoa(level) + ". "
	var s string
	for mode := wNice; mode <= wParanoid; mode++ {
		s = prefix + wInlines(ins, mode, ctxHeading)
		if len(ins) == 0 || r.fast {
			return strings.TrimRight(s, " ")
		}
		d := Parse(s)
		if len(d.Blocks) == 1 && d.Blocks[0].Kind == Heading && eqInlines(d.Blocks[0].Inlines, ins) {
			return s
		}
	}
	return s
}

func (r *wR) wCell(ins []Inline) string {
	var s string
	for mode := wNice; mode <= wParanoid; mode++ {
		s = wInlines(ins, mode, ctxCell)
		if len(ins) == 0 || r.fast {
			return s
		}
		r := parseRow("|" + s + "|")
		if len(r.Cells) == 1 && eqInlines(normCell(r.Cells[0].Inlines), ins) {
			return s
		}
	}
	return s
}

type wWriter struct {
	b     strings.Builder
	mode  wMode
	ctx   int
	stack []Marks
	href  string
	// lineLen is the output length at the start of the current line.
	lineLen int
}

func wInlines(ins []Inline, mode wMode, ctx int) string {
	w := wWriter{mode: mode, ctx: ctx}
	for i, in := range ins {
		if w.shortLink(ins, i) {
			continue
		}
		w.transition(in, firstRune(ins, i))
		switch in.Kind {
		case Text:
			if in.Marks&Code != 0 {
				w.code(in.Text)
			} else {
				w.text(in.Text, w.after(ins, i))
			}
		case SoftBreak:
			w.b.WriteByte('\n')
			w.lineLen = w.b.Len()
		case HardBreak:
			w.b.WriteString("\\\\")
			if ctx == ctxPara {
				w.b.WriteByte('\n')
				w.lineLen = w.b.Len()
			} else {
				// Avoid a following character being read as escaped.
				w.lineLen = -1
			}
		case Mention:
			w.b.WriteString("[~")
			w.b.WriteString(in.Text)
			w.b.WriteByte(']')
		case Image:
			w.b.WriteByte('!')
			w.b.WriteString(in.Text)
			if in.Alt != "" {
				w.b.WriteString("|alt=")
				w.b.WriteString(in.Alt)
			}
			w.b.WriteByte('!')
		}
	}
	w.transition(Inline{}, 0)
	return w.b.String()
}

// shortLink writes a link whose text is its address as "[address]".
func (w *wWriter) shortLink(ins []Inline, i int) bool {
	in := ins[i]
	if in.Kind != Text || in.Marks != Link || in.Text != in.Href || !looksLikeURL(in.Href) {
		return false
	}
	if i > 0 && ins[i-1].Marks&Link != 0 && ins[i-1].Href == in.Href ||
		i+1 < len(ins) && ins[i+1].Marks&Link != 0 && ins[i+1].Href == in.Href {
		return false
	}
	w.transition(Inline{Kind: Text}, '[')
	w.b.WriteByte('[')
	w.b.WriteString(in.Href)
	w.b.WriteByte(']')
	return true
}

// firstRune is the first character the inline at i will print, as far as
// delimiter rules care: text gives its first rune, anything else markup.
func firstRune(ins []Inline, i int) rune {
	if i >= len(ins) {
		return 0
	}
	in := ins[i]
	switch in.Kind {
	case Text:
		if in.Marks&Code != 0 {
			return '{'
		}
		r, _ := utf8.DecodeRuneInString(in.Text)
		return r
	case Mention:
		return '['
	case Image:
		return '!'
	}
	return 0
}

// after is the character printed after the text at i, as far as escaping
// cares: its own next rune when the next inline continues without markup,
// '*' standing for any delimiter, '|' for a cell's end, 0 for a line end.
func (w *wWriter) after(ins []Inline, i int) rune {
	cur := ins[i]
	if i+1 >= len(ins) {
		switch {
		case cur.Marks != 0:
			return '*'
		case w.ctx == ctxCell:
			return '|'
		}
		return 0
	}
	n := ins[i+1]
	if n.Kind == Text && n.Marks == cur.Marks && n.Href == cur.Href {
		return firstRune(ins, i+1)
	}
	if cur.Marks != 0 {
		return '*'
	}
	switch n.Kind {
	case SoftBreak:
		return 0
	case HardBreak:
		return '\\'
	case Text:
		if n.Marks != 0 {
			return '*'
		}
	}
	return firstRune(ins, i+1)
}

func (w *wWriter) transition(in Inline, first rune) {
	want := in.Marks
	if in.Kind == SoftBreak || in.Kind == HardBreak {
		want = 0
	}
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
		w.closeMark(w.stack[top], first)
		w.stack = w.stack[:top]
	}
	have := Marks(0)
	for _, m := range w.stack {
		have |= m
	}
	for _, m := range markOrder {
		if want&m == 0 || have&m != 0 || m == Code {
			continue
		}
		w.openMark(m, in, first)
		w.stack = append(w.stack, m)
		if m == Link {
			w.href = in.Href
		}
	}
}

var markChar = map[Marks]byte{Strong: '*', Em: '_', Strike: '-', Underline: '+', Sup: '^', Sub: '~'}

func (w *wWriter) openMark(m Marks, in Inline, first rune) {
	if m == Link {
		w.b.WriteByte('[')
		return
	}
	c := markChar[m]
	if w.mode == wNice && !isAlnum(lastRune(&w.b)) && first != 0 && !isSpace(first) {
		w.b.WriteByte(c)
		return
	}
	w.b.WriteByte('{')
	w.b.WriteByte(c)
	w.b.WriteByte('}')
}

func (w *wWriter) closeMark(m Marks, next rune) {
	if m == Link {
		w.b.WriteByte('|')
		w.b.WriteString(w.href)
		w.b.WriteByte(']')
		return
	}
	c := markChar[m]
	last := lastRune(&w.b)
	if w.mode == wNice && last != 0 && !isSpace(last) && !isAlnum(next) {
		w.b.WriteByte(c)
		return
	}
	w.b.WriteByte('{')
	w.b.WriteByte(c)
	w.b.WriteByte('}')
}

func (w *wWriter) code(s string) {
	w.b.WriteString("{{")
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '}' || c == '{':
			w.b.WriteByte('\\')
		case c == '\\':
			if i+1 >= len(s) || isASCIIPunct(s[i+1]) {
				w.b.WriteString("&#92;")
				continue
			}
		case c == '&' && i+1 < len(s) && s[i+1] == '#':
			w.b.WriteByte('\\')
		case w.mode == wParanoid && isASCIIPunct(c):
			w.b.WriteByte('\\')
		}
		w.b.WriteByte(c)
	}
	w.b.WriteString("}}")
}

// text writes literal text, escaping what the wiki reader would otherwise
// take as markup. next is the character printed after s (0 for line end).
func (w *wWriter) text(s string, next rune) {
	b := &w.b
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			_, n := utf8.DecodeRuneInString(s[i:])
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		lineStart := b.Len() == w.lineLen
		nx := next
		if i+1 < len(s) {
			nx, _ = utf8.DecodeRuneInString(s[i+1:])
		}
		if c == '\\' {
			if nx == 0 || nx < utf8.RuneSelf && isASCIIPunct(byte(nx)) || w.mode == wParanoid {
				b.WriteString("&#92;")
			} else {
				b.WriteByte('\\')
			}
			i++
			continue
		}
		esc := false
		if w.mode == wParanoid {
			esc = isASCIIPunct(c)
		} else {
			switch c {
			case '{', '[', ']', '|':
				esc = true
			case '&':
				esc = nx == '#'
			case '!':
				esc = nx != 0 && !isSpace(nx) && nx != '!'
			case '#':
				esc = lineStart
			case '*', '_', '-', '+', '^', '~':
				if lineStart && (c == '*' || c == '-') {
					esc = true
					break
				}
				prev := lastRune(b)
				if lineStart {
					prev = 0
				}
				open := !isAlnum(prev) && nx != 0 && !isSpace(nx)
				cl := prev != 0 && !isSpace(prev) && !isAlnum(nx)
				esc = open || cl
			case 'h', 'b':
				if lineStart && (headingLevel(s[i:]+" ") > 0 || strings.HasPrefix(s[i:], "bq.")) {
					k := strings.IndexByte(s[i:], '.')
					b.WriteString(s[i : i+k])
					b.WriteString("\\.")
					i += k + 1
					continue
				}
			}
		}
		if esc {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
		i++
	}
}
