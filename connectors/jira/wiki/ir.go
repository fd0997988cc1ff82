package wiki

import "strings"

// Doc is the neutral rich-text tree that every conversion goes through:
// Markdown and wiki markup are parsed into a Doc and rendered from one, and
// package adf maps it to and from ADF. It is deliberately close to ADF: inline
// content is a flat run of text with a mark set, not a tree of spans.
type Doc struct {
	Blocks []Block

	normal bool // set by Normalize
}

func (d *Doc) ensureNormal() {
	if !d.normal {
		d.Normalize()
	}
}

// EqualDocs reports whether two Docs have the same content.
func EqualDocs(a, b *Doc) bool { return eqBlocks(a.Blocks, b.Blocks) }

func eqBlocks(a, b []Block) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.Kind != y.Kind || x.Level != y.Level || x.Lang != y.Lang || x.Code != y.Code ||
			!eqInlines(x.Inlines, y.Inlines) || !eqBlocks(x.Blocks, y.Blocks) ||
			len(x.Items) != len(y.Items) || len(x.Rows) != len(y.Rows) {
			return false
		}
		for j := range x.Items {
			p, q := &x.Items[j], &y.Items[j]
			if p.Task != q.Task || p.Checked != q.Checked || !eqBlocks(p.Blocks, q.Blocks) {
				return false
			}
		}
		for j := range x.Rows {
			p, q := x.Rows[j].Cells, y.Rows[j].Cells
			if len(p) != len(q) {
				return false
			}
			for k := range p {
				if p[k].Header != q[k].Header || !eqInlines(p[k].Inlines, q[k].Inlines) {
					return false
				}
			}
		}
	}
	return true
}

// BlockKind names a block node.
type BlockKind uint8

// Block kinds.
const (
	Paragraph BlockKind = iota + 1
	Heading
	BulletList
	OrderedList
	CodeBlock
	Quote
	Rule
	Table
)

// Block is one block node. Which fields matter depends on Kind.
type Block struct {
	Kind    BlockKind
	Level   int      // Heading: 1..6
	Lang    string   // CodeBlock: language, "" for none
	Code    string   // CodeBlock: content without a trailing newline
	Inlines []Inline // Paragraph, Heading
	Items   []Item   // BulletList, OrderedList
	Blocks  []Block  // Quote
	Rows    []Row    // Table
}

// Item is a list item. Task items carry a check box.
type Item struct {
	Task    bool
	Checked bool
	Blocks  []Block
}

// Row is a table row.
type Row struct {
	Cells []Cell
}

// Cell is a table cell; its content is inline only, as in GFM tables.
type Cell struct {
	Header  bool
	Inlines []Inline
}

// InlineKind names an inline node.
type InlineKind uint8

// Inline kinds.
const (
	Text InlineKind = iota + 1
	SoftBreak
	HardBreak
	Mention // Text holds the Jira user reference, e.g. "accountid:5b10…"
	Image   // Text holds the source, Alt the alternative text
)

// Marks is a set of inline marks.
type Marks uint16

// Inline marks, in their canonical nesting order (outermost first).
const (
	Link Marks = 1 << iota
	Strong
	Em
	Strike
	Underline
	Sup
	Sub
	Code
)

// markOrder lists the marks in canonical nesting order.
var markOrder = [...]Marks{Link, Strong, Em, Strike, Underline, Sup, Sub, Code}

// Inline is one inline node.
type Inline struct {
	Kind  InlineKind
	Text  string
	Alt   string // Image
	Marks Marks
	Href  string // when Marks has Link
}

func (in Inline) sameMarks(o Inline) bool {
	return in.Marks == o.Marks && in.Href == o.Href
}

// Normalize puts a Doc into the normal form that both renderers assume:
// adjacent text with equal marks merged, empty text and empty paragraphs
// dropped, line-edge spaces and trailing breaks trimmed, adjacent lists of the
// same kind merged, list items shaped as wiki markup can express them.
func (d *Doc) Normalize() {
	d.Blocks = normBlocks(d.Blocks, false, 0)
	d.normal = true
}

// normBlocks normalizes a block sequence; depth is the list nesting level.
func normBlocks(bs []Block, inQuote bool, depth int) []Block {
	// In place, unless a nested quote dissolves into more blocks.
	out := bs[:0]
	if inQuote {
		for _, b := range bs {
			if b.Kind == Quote {
				out = make([]Block, 0, len(bs)+4)
				break
			}
		}
	}
	for _, b := range bs {
		if b.Kind == Quote && inQuote {
			// Wiki quotes do not nest: the inner one dissolves.
			out = append(out, normBlocks(b.Blocks, true, depth)...)
			continue
		}
		switch b.Kind {
		case Paragraph:
			b.Inlines = normInlines(b.Inlines, true)
			if len(b.Inlines) == 0 {
				continue
			}
		case Heading:
			b.Level = min(max(b.Level, 1), 6)
			b.Inlines = normInlines(b.Inlines, false)
		case BulletList, OrderedList:
			// Empty items carry nothing, and Markdown cannot always write
			// them (an empty item cannot interrupt a paragraph).
			b.Items = normItems(b.Items, inQuote, depth+1)
			if len(b.Items) == 0 {
				continue
			}
			if n := len(out); n > 0 && out[n-1].Kind == b.Kind {
				out[n-1].Items = append(out[n-1].Items, b.Items...)
				continue
			}
		case Quote:
			b.Blocks = normBlocks(b.Blocks, true, depth)
			if len(b.Blocks) == 0 {
				continue
			}
		case Table:
			rows := b.Rows[:0]
			for _, r := range b.Rows {
				if len(r.Cells) == 0 {
					continue
				}
				for i := range r.Cells {
					r.Cells[i].Inlines = normCell(r.Cells[i].Inlines)
				}
				rows = append(rows, r)
			}
			b.Rows = rows
			if len(rows) == 0 {
				continue
			}
			padRows(b.Rows)
		case CodeBlock:
			b.Code = strings.TrimRight(cleanInput(b.Code), "\n")
			b.Lang = cleanLang(b.Lang)
			// Wiki code macros cannot hold their own closing tag: such code
			// goes into {noformat} (losing the language), and code holding
			// both tags has "{code}" broken up.
			if strings.Contains(b.Code, "{code}") {
				if strings.Contains(b.Code, "{noformat}") {
					b.Code = strings.ReplaceAll(b.Code, "{code}", "{code }")
				} else {
					b.Lang = ""
				}
			}
		}
		out = append(out, b)
	}
	return out
}

// padRows makes every row as wide as the widest one.
func padRows(rows []Row) {
	w := 0
	for _, r := range rows {
		w = max(w, len(r.Cells))
	}
	for i := range rows {
		for len(rows[i].Cells) < w {
			rows[i].Cells = append(rows[i].Cells, Cell{Header: i == 0 && rows[i].Cells[0].Header})
		}
	}
}

// normItems normalizes the items of a list at nesting level depth. Past
// maxListDepth, nested items join the list itself, as the wiki reader clamps
// deeper markers.
func normItems(items []Item, inQuote bool, depth int) []Item {
	out := make([]Item, 0, len(items))
	for _, it := range items {
		it.Blocks = normItem(it.Blocks, inQuote, depth)
		var lifted []Item
		if depth >= maxListDepth {
			keep := it.Blocks[:0:0]
			for _, b := range it.Blocks {
				if b.Kind == BulletList || b.Kind == OrderedList {
					lifted = append(lifted, b.Items...)
					continue
				}
				keep = append(keep, b)
			}
			it.Blocks = keep
		}
		// Empty items carry nothing, and Markdown cannot always write them
		// (an empty item cannot interrupt a paragraph).
		if len(it.Blocks) > 0 || it.Task {
			out = append(out, it)
		}
		out = append(out, lifted...)
	}
	return out
}

// normItem shapes a list item the way wiki markup can carry it: first the
// non-list blocks (adjacent paragraphs joined by a hard break), then the
// nested lists; a non-list block after a nested list moves into that list's
// last item, where a wiki reader would put it.
func normItem(bs []Block, inQuote bool, depth int) []Block {
	bs = normBlocks(bs, inQuote, depth)
	var out []Block
	for _, b := range bs {
		switch b.Kind {
		case Heading:
			// Wiki list items cannot hold headings, tables or rules.
			b = Block{Kind: Paragraph, Inlines: normInlines(boldAll(b.Inlines), true)}
			if len(b.Inlines) == 0 {
				continue
			}
		case Table:
			b = tableAsParagraph(b)
			if len(b.Inlines) == 0 {
				continue
			}
		case Rule:
			continue
		}
		isList := b.Kind == BulletList || b.Kind == OrderedList
		n := len(out)
		var last *Block
		if n > 0 {
			last = &out[n-1]
		}
		switch {
		case last == nil:
			out = append(out, b)
		case isList && last.Kind == b.Kind:
			last.Items = append(last.Items, b.Items...)
		case !isList && (last.Kind == BulletList || last.Kind == OrderedList):
			sink(last, b)
		case b.Kind == Paragraph && last.Kind == Paragraph:
			joinParagraph(last, b)
		default:
			out = append(out, b)
		}
	}
	return out
}

// sink appends a non-list block to the deepest last item under list l.
func sink(l *Block, b Block) {
	for {
		it := &l.Items[len(l.Items)-1]
		n := len(it.Blocks)
		if n == 0 {
			it.Blocks = append(it.Blocks, b)
			return
		}
		last := &it.Blocks[n-1]
		switch {
		case last.Kind == BulletList || last.Kind == OrderedList:
			l = last
			continue
		case last.Kind == Paragraph && b.Kind == Paragraph:
			joinParagraph(last, b)
		default:
			it.Blocks = append(it.Blocks, b)
		}
		return
	}
}

func joinParagraph(p *Block, b Block) {
	p.Inlines = append(p.Inlines, Inline{Kind: HardBreak})
	p.Inlines = normInlines(append(p.Inlines, b.Inlines...), true)
}

func boldAll(ins []Inline) []Inline {
	out := make([]Inline, len(ins))
	for i, in := range ins {
		if in.Kind == Text && in.Marks&Code == 0 {
			in.Marks |= Strong
		}
		out[i] = in
	}
	return out
}

func tableAsParagraph(b Block) Block {
	var ins []Inline
	for ri, r := range b.Rows {
		if ri > 0 {
			ins = append(ins, Inline{Kind: HardBreak})
		}
		for ci, c := range r.Cells {
			if ci > 0 {
				ins = append(ins, Inline{Kind: Text, Text: " | "})
			}
			ins = append(ins, c.Inlines...)
		}
	}
	return Block{Kind: Paragraph, Inlines: normInlines(ins, true)}
}

// normCell keeps hard breaks (rendered as <br> in Markdown) but turns soft
// breaks into spaces: a cell is one line in both notations.
func normCell(ins []Inline) []Inline {
	for i := range ins {
		if ins[i].Kind == SoftBreak {
			ins[i] = Inline{Kind: Text, Text: " "}
		}
	}
	return normInlines(ins, true)
}

// normInlines merges and trims inline content. Lines (runs between breaks)
// lose their edge spaces, since neither Markdown nor wiki markup keeps them.
func normInlines(ins []Inline, breaks bool) []Inline {
	ins = splitLines(ins)
	out := ins[:0] // in place: every write is at or before the read
	for _, in := range ins {
		switch in.Kind {
		case Text:
			if in.Text == "" {
				continue
			}
		case SoftBreak, HardBreak:
			if !breaks {
				in = Inline{Kind: Text, Text: " "}
			} else {
				in.Marks, in.Href = 0, ""
			}
		case Image:
			in.Text = strings.ReplaceAll(normHref(in.Text), "!", "%21")
			in.Alt = cleanAlt(in.Alt)
			in.Marks &= Link
			if in.Text == "" {
				in = Inline{Kind: Text, Text: in.Alt, Marks: in.Marks, Href: in.Href}
				if in.Text == "" {
					continue
				}
			}
		case Mention:
			in.Marks &= Link
		}
		if in.Kind != SoftBreak && in.Kind != HardBreak {
			normLink(&in)
		}
		out = append(out, in)
	}
	trimLineEdges(out)
	// Drop emptied texts, breaks at the edges and doubled breaks (a hard
	// break wins).
	res := out[:0]
	for _, in := range out {
		if in.Kind == Text && in.Text == "" {
			continue
		}
		if in.Kind == SoftBreak || in.Kind == HardBreak {
			if len(res) == 0 {
				continue
			}
			if p := res[len(res)-1]; p.Kind == SoftBreak || p.Kind == HardBreak {
				if in.Kind == HardBreak {
					res[len(res)-1] = in
				}
				continue
			}
		}
		res = append(res, in)
	}
	for len(res) > 0 && (res[len(res)-1].Kind == SoftBreak || res[len(res)-1].Kind == HardBreak) {
		res = res[:len(res)-1]
	}
	return mergeTexts(res)
}

// trimLineEdges trims spaces and tabs at both edges of every line (runs
// between breaks), through texts that trim away entirely; code keeps its
// spaces and stops the trimming.
func trimLineEdges(ins []Inline) {
	start := 0
	for i := 0; i <= len(ins); i++ {
		if i < len(ins) && ins[i].Kind != SoftBreak && ins[i].Kind != HardBreak {
			continue
		}
		for k := start; k < i; k++ {
			in := &ins[k]
			if in.Kind != Text || in.Marks&Code != 0 {
				break
			}
			if in.Text = strings.TrimLeft(in.Text, " \t"); in.Text != "" {
				break
			}
		}
		for k := i - 1; k >= start; k-- {
			in := &ins[k]
			if in.Kind != Text || in.Marks&Code != 0 {
				break
			}
			if in.Text = strings.TrimRight(in.Text, " \t"); in.Text != "" {
				break
			}
		}
		start = i + 1
	}
}

// mergeTexts joins adjacent texts with equal marks, in place, copying each
// run once (repeated += would be quadratic on long runs).
func mergeTexts(ins []Inline) []Inline {
	out := ins[:0]
	for i := 0; i < len(ins); {
		j := i + 1
		if ins[i].Kind == Text {
			for j < len(ins) && ins[j].Kind == Text && ins[j].sameMarks(ins[i]) {
				j++
			}
		}
		in := ins[i]
		if j-i > 1 {
			n := 0
			for k := i; k < j; k++ {
				n += len(ins[k].Text)
			}
			var b strings.Builder
			b.Grow(n)
			for k := i; k < j; k++ {
				b.WriteString(ins[k].Text)
			}
			in.Text = b.String()
		}
		out = append(out, in)
		i = j
	}
	return out
}

// splitLines turns newlines inside text into soft breaks (spaces in code),
// and cleans control characters as cleanInput does; text built in Go (from
// ADF, say) has not been through a parser.
func splitLines(ins []Inline) []Inline {
	split := false
	for _, in := range ins {
		if in.Kind == Text && strings.ContainsAny(in.Text, "\r\n\f\v\x00") {
			split = true
			break
		}
	}
	if !split {
		return ins
	}
	out := make([]Inline, 0, len(ins)+4)
	for _, in := range ins {
		if in.Kind != Text || !strings.ContainsAny(in.Text, "\r\n\f\v\x00") {
			out = append(out, in)
			continue
		}
		t := cleanInput(in.Text)
		if in.Marks&Code != 0 {
			in.Text = strings.ReplaceAll(t, "\n", " ")
			out = append(out, in)
			continue
		}
		for i, p := range strings.Split(t, "\n") {
			if i > 0 {
				out = append(out, Inline{Kind: SoftBreak})
			}
			c := in
			c.Text = p
			out = append(out, c)
		}
	}
	return out
}

// normLink makes href and the Link mark agree; a link to nowhere is text.
func normLink(in *Inline) {
	if in.Marks&Link != 0 {
		in.Href = normHref(in.Href)
	}
	if in.Href == "" {
		in.Marks &^= Link
	}
	if in.Marks&Link == 0 {
		in.Href = ""
	}
}

// cleanAlt drops from image alt text the characters that would end the
// wiki image parameters.
func cleanAlt(s string) string {
	if !strings.ContainsAny(s, "!|,=\n\r\\]{}") {
		return strings.TrimSpace(s)
	}
	s = strings.Map(func(r rune) rune {
		switch r {
		case '!', '|', ',', '=', '\n', '\r', '\\', ']', '{', '}':
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
