package wiki

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxListDepth bounds list nesting; deeper markers are clamped. It keeps the
// renderers linear on hostile input such as a line of 10,000 asterisks.
const maxListDepth = 16

// Parse reads Jira wiki markup into a normalized Doc. It never fails: markup
// it does not understand (unknown macros, unclosed blocks) is kept as text.
func Parse(w string) *Doc {
	w = cleanInput(w)
	d := &Doc{Blocks: parseBlocks(w, 0)}
	d.Normalize()
	return d
}

// cleanInput unifies line endings, replaces NUL as CommonMark does, and
// turns form feeds and vertical tabs into spaces (the two notations treat
// them differently at line edges; in a description they mean nothing).
func cleanInput(s string) string {
	if strings.ContainsAny(s, "\r\x00\f\v") {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = cleanReplacer.Replace(s)
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

var cleanReplacer = strings.NewReplacer("\r", "\n", "\x00", "\uFFFD", "\f", " ", "\v", " ")

// blockMacros are the macros read as blocks; panels and admonitions become
// quotes, since Markdown has nothing closer.
var blockMacros = map[string]bool{
	"code": true, "noformat": true, "quote": true,
	"panel": true, "info": true, "note": true, "tip": true, "warning": true,
}

type listFrame struct {
	kind BlockKind
	list *Block
}

type blockParser struct {
	out   []Block
	para  []Inline
	rows  []Row
	root  *Block // open top-level list
	stack []listFrame
	depth int
	// unclosed records, per macro name, a position from which its closing
	// tag is known to be missing, so hostile input stays linear.
	unclosed map[string]int
}

func parseBlocks(s string, depth int) []Block {
	p := blockParser{depth: depth}
	pos := 0
	for pos <= len(s) {
		e := strings.IndexByte(s[pos:], '\n')
		if e < 0 {
			e = len(s)
		} else {
			e += pos
		}
		line := s[pos:e]
		t := strings.TrimLeft(line, " \t")
		next := e + 1
		switch {
		case trimSp(t) == "":
			p.flushAll()
		case t[0] == '{' && p.macro(s, pos+len(line)-len(t), &next):
		case headingLevel(t) > 0:
			p.flushAll()
			lvl := headingLevel(t)
			p.out = append(p.out, Block{Kind: Heading, Level: lvl, Inlines: parseInline(trimSp(t[3:]))})
		case strings.HasPrefix(t, "bq.") && (len(t) == 3 || t[3] == ' ' || t[3] == '\t'):
			p.flushAll()
			p.out = append(p.out, Block{Kind: Quote, Blocks: []Block{{Kind: Paragraph, Inlines: parseInline(trimSp(t[3:]))}}})
		case isRule(t):
			p.flushAll()
			p.out = append(p.out, Block{Kind: Rule})
		case t[0] == '|':
			p.flushPara()
			p.flushList()
			p.rows = append(p.rows, parseRow(trimSp(t)))
		default:
			if markers, rest, ok := listMarker(t); ok {
				p.flushPara()
				p.flushTable()
				p.listItem(markers, rest)
				break
			}
			p.flushTable()
			if p.root != nil {
				p.continueItem(parseInline(trimSp(t)))
				break
			}
			if len(p.para) > 0 {
				p.para = append(p.para, Inline{Kind: SoftBreak})
			}
			p.para = appendInline(p.para, trimSp(t))
		}
		pos = next
	}
	p.flushAll()
	return p.out
}

func headingLevel(t string) int {
	if len(t) >= 3 && t[0] == 'h' && t[1] >= '1' && t[1] <= '6' && t[2] == '.' &&
		(len(t) == 3 || t[3] == ' ' || t[3] == '\t') {
		return int(t[1] - '0')
	}
	return 0
}

func isRule(t string) bool {
	t = strings.TrimRight(t, " \t")
	return len(t) >= 4 && strings.Trim(t, "-") == ""
}

// listMarker recognizes "* ", "# ", "*#* " and "- " item starts.
func listMarker(t string) (markers, rest string, ok bool) {
	i := 0
	for i < len(t) && (t[i] == '*' || t[i] == '#') {
		i++
	}
	if i == 0 && len(t) > 0 && t[0] == '-' {
		i = 1
	}
	if i == 0 {
		return "", "", false
	}
	if i < len(t) && t[i] != ' ' && t[i] != '\t' {
		return "", "", false
	}
	if t[0] == '-' && i == 1 && len(t) == 1 {
		return "", "", false
	}
	return t[:i], trimSp(t[i:]), true
}

func (p *blockParser) flushPara() {
	if len(p.para) > 0 {
		p.out = append(p.out, Block{Kind: Paragraph, Inlines: p.para})
		p.para = nil
	}
}

func (p *blockParser) flushTable() {
	if len(p.rows) > 0 {
		p.out = append(p.out, Block{Kind: Table, Rows: p.rows})
		p.rows = nil
	}
}

func (p *blockParser) flushList() {
	if p.root != nil {
		p.out = append(p.out, *p.root)
		p.root, p.stack = nil, nil
	}
}

func (p *blockParser) flushAll() {
	p.flushPara()
	p.flushTable()
	p.flushList()
}

func kindOf(c byte) BlockKind {
	if c == '#' {
		return OrderedList
	}
	return BulletList
}

func (p *blockParser) listItem(markers, rest string) {
	if len(markers) > maxListDepth {
		markers = markers[:maxListDepth]
	}
	if p.root != nil && p.root.Kind != kindOf(markers[0]) {
		p.flushList()
	}
	if p.root == nil {
		p.root = &Block{Kind: kindOf(markers[0])}
		p.stack = []listFrame{{kind: p.root.Kind, list: p.root}}
	}
	// Reuse open levels whose kinds match, open the rest.
	keep := 1
	for keep < len(markers) && keep < len(p.stack) && p.stack[keep].kind == kindOf(markers[keep]) {
		keep++
	}
	p.stack = p.stack[:keep]
	for len(p.stack) < len(markers) {
		parent := p.stack[len(p.stack)-1].list
		if len(parent.Items) == 0 {
			parent.Items = append(parent.Items, Item{})
		}
		it := &parent.Items[len(parent.Items)-1]
		k := kindOf(markers[len(p.stack)])
		it.Blocks = append(it.Blocks, Block{Kind: k})
		p.stack = append(p.stack, listFrame{kind: k, list: &it.Blocks[len(it.Blocks)-1]})
	}
	l := p.stack[len(p.stack)-1].list
	item := Item{}
	if len(rest) >= 3 && rest[0] == '[' && rest[2] == ']' && (len(rest) == 3 || rest[3] == ' ') {
		switch rest[1] {
		case ' ':
			item.Task = true
		case 'x', 'X':
			item.Task, item.Checked = true, true
		}
		if item.Task {
			rest = trimSp(rest[3:])
		}
	}
	if ins := parseInline(rest); len(ins) > 0 {
		item.Blocks = []Block{{Kind: Paragraph, Inlines: ins}}
	}
	l.Items = append(l.Items, item)
}

// current returns the deepest open item.
func (p *blockParser) current() *Item {
	l := p.stack[len(p.stack)-1].list
	if len(l.Items) == 0 {
		l.Items = append(l.Items, Item{})
	}
	return &l.Items[len(l.Items)-1]
}

func (p *blockParser) continueItem(ins []Inline) {
	it := p.current()
	if n := len(it.Blocks); n > 0 && it.Blocks[n-1].Kind == Paragraph {
		b := &it.Blocks[n-1]
		b.Inlines = append(append(b.Inlines, Inline{Kind: SoftBreak}), ins...)
		return
	}
	it.Blocks = append(it.Blocks, Block{Kind: Paragraph, Inlines: ins})
}

func (p *blockParser) addBlock(b Block) {
	if p.root != nil {
		it := p.current()
		it.Blocks = append(it.Blocks, b)
		return
	}
	p.flushPara()
	p.flushTable()
	p.out = append(p.out, b)
}

// macro reads a block macro starting at s[at] ('{'). It reports false when
// the text there is not a closed block macro, and the line is read as text.
func (p *blockParser) macro(s string, at int, next *int) bool {
	name, params, end, ok := macroTag(s, at)
	if !ok || !blockMacros[name] {
		return false
	}
	closing := "{" + name + "}"
	bodyStart := end
	if from, ok := p.unclosed[name]; ok && bodyStart >= from {
		return false
	}
	var bodyEnd int
	if name == "code" || name == "noformat" {
		bodyEnd = strings.Index(s[bodyStart:], closing)
		if bodyEnd >= 0 {
			bodyEnd += bodyStart
		}
	} else {
		bodyEnd = findClosing(s, bodyStart, closing)
	}
	if bodyEnd < 0 {
		if p.unclosed == nil {
			p.unclosed = map[string]int{}
		}
		p.unclosed[name] = bodyStart
		return false
	}
	body := s[bodyStart:bodyEnd]
	after := bodyEnd + len(closing)
	// Skip the rest of the closing line when it is blank.
	rest := after
	for rest < len(s) && (s[rest] == ' ' || s[rest] == '\t') {
		rest++
	}
	if rest >= len(s) || s[rest] == '\n' {
		*next = rest + 1
	} else {
		// Text follows on the closing line: read it as a new line.
		*next = after
	}
	p.flushTable()
	switch name {
	case "code", "noformat":
		body = strings.TrimPrefix(body, "\n")
		body = strings.TrimSuffix(body, "\n")
		lang := ""
		if name == "code" {
			lang = codeLang(params)
		}
		p.addBlock(Block{Kind: CodeBlock, Lang: lang, Code: body})
	default:
		var inner []Block
		if title := macroParam(params, "title"); title != "" {
			inner = append(inner, Block{Kind: Paragraph, Inlines: boldAll(parseInline(title))})
		}
		if p.depth < 8 {
			inner = append(inner, parseBlocks(body, p.depth+1)...)
		} else {
			inner = append(inner, Block{Kind: Paragraph, Inlines: []Inline{{Kind: Text, Text: body}}})
		}
		p.addBlock(Block{Kind: Quote, Blocks: inner})
	}
	return true
}

// findClosing finds closing in s from i, skipping escaped tags and code
// and noformat bodies, so that a quoted code sample cannot end the quote.
func findClosing(s string, i int, closing string) int {
	for i < len(s) {
		k := strings.IndexByte(s[i:], '{')
		if k < 0 {
			return -1
		}
		k += i
		if escaped(s, k) {
			i = k + 1
			continue
		}
		if strings.HasPrefix(s[k:], closing) {
			return k
		}
		name, _, end, ok := macroTag(s, k)
		if ok && (name == "code" || name == "noformat") {
			if c := strings.Index(s[end:], "{"+name+"}"); c >= 0 {
				i = end + c + len(name) + 2
				continue
			}
		}
		i = k + 1
	}
	return -1
}

// escaped reports whether s[i] follows an odd run of backslashes.
func escaped(s string, i int) bool {
	n := 0
	for i > 0 && s[i-1] == '\\' {
		n++
		i--
	}
	return n%2 == 1
}

// macroTag reads "{name}" or "{name:params}" at s[at].
func macroTag(s string, at int) (name, params string, end int, ok bool) {
	if at >= len(s) || s[at] != '{' {
		return "", "", 0, false
	}
	i := at + 1
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	name = strings.ToLower(s[at+1 : i])
	if name == "" || i >= len(s) {
		return "", "", 0, false
	}
	if s[i] == '}' {
		return name, "", i + 1, true
	}
	if s[i] != ':' {
		return "", "", 0, false
	}
	j := strings.IndexAny(s[i:], "}\n")
	if j < 0 || s[i+j] != '}' {
		return "", "", 0, false
	}
	return name, s[i+1 : i+j], i + j + 1, true
}

// codeLang picks the language from {code} parameters: the first one without
// "=", or language=….
func codeLang(params string) string {
	for _, p := range strings.Split(params, "|") {
		p = trimSp(p)
		if p == "" {
			continue
		}
		if k, v, ok := strings.Cut(p, "="); ok {
			if trimSp(k) == "language" {
				return cleanLang(v)
			}
			continue
		}
		return cleanLang(p)
	}
	return ""
}

func macroParam(params, key string) string {
	for _, p := range strings.Split(params, "|") {
		if k, v, ok := strings.Cut(p, "="); ok && trimSp(k) == key {
			return trimSp(v)
		}
	}
	return ""
}

// cleanLang keeps the characters a language name can have in both
// notations.
func cleanLang(s string) string {
	ok := true
	for _, r := range s {
		if !langRune(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if langRune(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func langRune(r rune) bool {
	return isAlnum(r) || r == '+' || r == '#' || r == '.' || r == '_' || r == '-' || r == '/'
}

// parseRow splits a table line into cells. "||" starts a header cell, "|" a
// plain one; pipes inside links and monospace do not split.
func parseRow(t string) Row {
	var row Row
	i := 0
	for i < len(t) {
		if t[i] != '|' {
			break
		}
		header := i+1 < len(t) && t[i+1] == '|'
		if header {
			i += 2
		} else {
			i++
		}
		start := i
		for i < len(t) && t[i] != '|' {
			switch {
			case t[i] == '\\':
				i += 2
				continue
			case t[i] == '[':
				if _, n := link(t[i:]); n > 0 {
					i += n
					continue
				}
			case t[i] == '!':
				if _, n := image(t[i:]); n > 0 {
					i += n
					continue
				}
			case strings.HasPrefix(t[i:], "{{"):
				if j := strings.Index(t[i+2:], "}}"); j >= 0 {
					i += j + 4
					continue
				}
			}
			i++
		}
		if i > len(t) {
			i = len(t)
		}
		content := trimSp(t[start:i])
		if i >= len(t) && content == "" {
			break
		}
		row.Cells = append(row.Cells, Cell{Header: header, Inlines: parseInline(content)})
	}
	return row
}

// Inline parsing: a line is cut into tokens (literal text, mark delimiters,
// and atoms such as links, monospace, images), then delimiters are paired:
// each opener takes the nearest closer of its kind, as Jira's renderer does.

type tokKind uint8

const (
	tText tokKind = iota
	tDelim
	tAtom
)

type tok struct {
	kind  tokKind
	text  string // text, or a delimiter's literal form
	ch    byte
	open  bool
	close bool
	atoms []Inline
}

var delimMarks = [128]Marks{'*': Strong, '_': Em, '-': Strike, '+': Underline, '^': Sup, '~': Sub}

func parseInline(line string) []Inline { return appendInline(nil, line) }

// appendInline parses one line of inline markup onto dst.
func appendInline(dst []Inline, line string) []Inline {
	if line == "" {
		return dst
	}
	toks := tokenize(line)
	var closers *closerIndex
	for i, t := range toks {
		if t.kind == tDelim && t.close {
			if closers == nil {
				closers = &closerIndex{}
			}
			k := delimIndex(t.ch)
			closers[k] = append(closers[k], i)
		}
	}
	if dst == nil {
		dst = make([]Inline, 0, len(toks))
	}
	return resolve(toks, 0, len(toks), 0, closers, dst)
}

// closerIndex lists, per delimiter character, the tokens that can close.
type closerIndex [6][]int

func delimIndex(c byte) int {
	switch c {
	case '*':
		return 0
	case '_':
		return 1
	case '-':
		return 2
	case '+':
		return 3
	case '^':
		return 4
	}
	return 5
}

func resolve(toks []tok, lo, hi int, marks Marks, closers *closerIndex, out []Inline) []Inline {
	for i := lo; i < hi; i++ {
		t := toks[i]
		switch t.kind {
		case tText:
			out = append(out, Inline{Kind: Text, Text: t.text, Marks: marks})
		case tAtom:
			for _, a := range t.atoms {
				a.Marks |= marks
				out = append(out, a)
			}
		case tDelim:
			if t.open && closers != nil {
				cs := closers[delimIndex(t.ch)]
				k := sort.SearchInts(cs, i+2)
				if k < len(cs) && cs[k] < hi {
					j := cs[k]
					out = resolve(toks, i+1, j, marks|delimMarks[t.ch], closers, out)
					i = j
					continue
				}
			}
			out = append(out, Inline{Kind: Text, Text: t.text, Marks: marks})
		}
	}
	return out
}

// tokenizer collects tokens; literal text is kept as a slice of the line
// until an escape or reference forces a copy.
type tokenizer struct {
	s      string
	toks   []tok
	ps, pe int // pending literal range of s
	buf    []byte
	useBuf bool
}

func (z *tokenizer) raw(i, j int) {
	if !z.useBuf {
		if z.ps == z.pe {
			z.ps, z.pe = i, j
			return
		}
		if z.pe == i {
			z.pe = j
			return
		}
		z.buf = append(z.buf[:0], z.s[z.ps:z.pe]...)
		z.useBuf = true
	}
	z.buf = append(z.buf, z.s[i:j]...)
}

func (z *tokenizer) str(t string) {
	if !z.useBuf {
		z.buf = append(z.buf[:0], z.s[z.ps:z.pe]...)
		z.useBuf = true
	}
	z.buf = append(z.buf, t...)
}

func (z *tokenizer) flush() {
	switch {
	case z.useBuf:
		if len(z.buf) > 0 {
			z.toks = append(z.toks, tok{kind: tText, text: string(z.buf)})
		}
		z.buf, z.useBuf = z.buf[:0], false
	case z.pe > z.ps:
		z.toks = append(z.toks, tok{kind: tText, text: z.s[z.ps:z.pe]})
	}
	z.ps, z.pe = 0, 0
}

func (z *tokenizer) atom(ins ...Inline) {
	z.flush()
	z.toks = append(z.toks, tok{kind: tAtom, atoms: ins})
}

func tokenize(s string) []tok {
	z := tokenizer{s: s, toks: make([]tok, 0, 2+len(s)/32)}
	// No "{{" after the last "}}" can close: skip the scan (keeps a line of
	// braces linear).
	lastClose := strings.LastIndex(s, "}}")
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 < len(s) && s[i+1] == '\\' {
				z.atom(Inline{Kind: HardBreak})
				i += 2
				continue
			}
			if i+1 < len(s) && isASCIIPunct(s[i+1]) {
				z.raw(i+1, i+2)
				i += 2
				continue
			}
		case c == '&':
			if r, n := entity(s[i:]); n > 0 {
				z.str(string(r))
				i += n
				continue
			}
		case c == '{':
			if i+2 < lastClose && strings.HasPrefix(s[i:], "{{") {
				if code, n := monospace(s[i:]); n > 0 {
					if code != "" {
						z.atom(Inline{Kind: Text, Text: code, Marks: Code})
					}
					i += n
					continue
				}
			}
			if i+2 < len(s) && s[i+2] == '}' && s[i+1] < 128 && delimMarks[s[i+1]] != 0 {
				z.flush()
				z.toks = append(z.toks, tok{kind: tDelim, text: s[i : i+3], ch: s[i+1], open: true, close: true})
				i += 3
				continue
			}
			if strings.HasPrefix(s[i:], "{color") {
				if name, _, end, ok := macroTag(s, i); ok && name == "color" {
					// Colour has no Markdown form; the text stays.
					i = end
					continue
				}
			}
		case c == '[':
			if ins, n := link(s[i:]); n > 0 {
				z.atom(ins...)
				i += n
				continue
			}
		case c == '!':
			if in, n := image(s[i:]); n > 0 {
				z.atom(in)
				i += n
				continue
			}
		case c < 128 && delimMarks[c] != 0:
			prev, _ := utf8.DecodeLastRuneInString(s[:i])
			next, _ := utf8.DecodeRuneInString(s[i+1:])
			if i == 0 {
				prev = 0
			}
			if i+1 >= len(s) {
				next = 0
			}
			open := !isAlnum(prev) && next != 0 && !isSpace(next)
			cl := prev != 0 && !isSpace(prev) && !isAlnum(next)
			if open || cl {
				z.flush()
				z.toks = append(z.toks, tok{kind: tDelim, text: s[i : i+1], ch: c, open: open, close: cl})
				i++
				continue
			}
		}
		z.raw(i, i+1)
		i++
	}
	z.flush()
	return z.toks
}

// entity decodes a numeric character reference such as &#92; or &#x5C;.
func entity(s string) (rune, int) {
	if len(s) < 4 || s[1] != '#' {
		return 0, 0
	}
	i, base := 2, 10
	if s[2] == 'x' || s[2] == 'X' {
		i, base = 3, 16
	}
	j := i
	for j < len(s) && j-i < 8 && (s[j] >= '0' && s[j] <= '9' || base == 16 && (s[j] >= 'a' && s[j] <= 'f' || s[j] >= 'A' && s[j] <= 'F')) {
		j++
	}
	if j == i || j >= len(s) || s[j] != ';' {
		return 0, 0
	}
	v, err := strconv.ParseUint(s[i:j], base, 32)
	if err != nil || v == 0 || v > utf8.MaxRune || v >= 0xD800 && v <= 0xDFFF {
		return 0, 0
	}
	if v == '\f' || v == '\v' {
		v = ' ' // as cleanInput does
	}
	return rune(v), j + 1
}

// monospace reads "{{…}}" at the start of s; backslash escapes and
// character references work inside, marks do not.
func monospace(s string) (string, int) {
	var b strings.Builder
	for i := 2; i < len(s); {
		c := s[i]
		switch {
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			return b.String(), i + 2
		case c == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]):
			b.WriteByte(s[i+1])
			i += 2
			continue
		case c == '&':
			if r, n := entity(s[i:]); n > 0 {
				b.WriteRune(r)
				i += n
				continue
			}
		}
		b.WriteByte(c)
		i++
	}
	return "", 0
}

// link reads "[…]" at the start of s: a link, an anchor or attachment
// reference, or a user mention. Anything else is not a link.
func link(s string) ([]Inline, int) {
	end := -1
	for i := 1; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == '[' {
			return nil, 0
		}
		if s[i] == ']' {
			end = i
			break
		}
	}
	if end < 0 {
		return nil, 0
	}
	inner := s[1:end]
	if strings.HasPrefix(inner, "~") {
		if validMention(inner[1:]) {
			return []Inline{{Kind: Mention, Text: inner[1:]}}, end + 1
		}
		return nil, 0
	}
	bar := -1
	for i := 0; i < len(inner); i++ {
		if inner[i] == '\\' {
			i++
			continue
		}
		if inner[i] == '|' {
			bar = i
			break
		}
	}
	if bar < 0 {
		href := trimSp(inner)
		if !looksLikeURL(href) {
			return nil, 0
		}
		return []Inline{{Kind: Text, Text: href, Marks: Link, Href: href}}, end + 1
	}
	href := inner[bar+1:]
	if k := strings.IndexByte(href, '|'); k >= 0 {
		href = href[:k] // a tooltip follows
	}
	href = trimSp(href)
	if href == "" {
		return nil, 0
	}
	ins := parseInline(inner[:bar])
	if len(ins) == 0 {
		ins = []Inline{{Kind: Text, Text: href}}
	}
	for i := range ins {
		if ins[i].Kind == HardBreak || ins[i].Kind == SoftBreak {
			continue
		}
		ins[i].Marks |= Link
		ins[i].Href = href
	}
	return ins, end + 1
}

func looksLikeURL(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t") {
		return false
	}
	if s[0] == '#' || s[0] == '^' || strings.HasPrefix(strings.ToLower(s), "mailto:") {
		return len(s) > 1
	}
	i := strings.Index(s, "://")
	if i <= 0 {
		return false
	}
	for _, r := range s[:i] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// image reads "!src!" or "!src|params!" at the start of s.
func image(s string) (Inline, int) {
	end := strings.IndexByte(s[1:], '!')
	if end < 0 {
		return Inline{}, 0
	}
	end++
	body := s[1:end]
	src, params, _ := strings.Cut(body, "|")
	if src == "" || strings.ContainsAny(src, " \t") {
		return Inline{}, 0
	}
	in := Inline{Kind: Image, Text: src}
	for _, p := range strings.Split(params, ",") {
		if k, v, ok := strings.Cut(p, "="); ok && trimSp(k) == "alt" {
			in.Alt = trimSp(v)
		}
	}
	return in, end + 1
}

// trimSp trims spaces and tabs, the only white space both notations drop at
// line edges.
func trimSp(s string) string { return strings.Trim(s, " \t") }
