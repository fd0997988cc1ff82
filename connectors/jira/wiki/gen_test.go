package wiki

import (
	"fmt"
	"strings"

	"pgregory.net/rapid"
)

// Generators for the canonical subset: documents built as trees, then put
// into normal form, so that rendering them gives canonical Markdown.

var wordRunes = []rune("abcdefghxyzABCXYZ0123456789éß中" + "*_-+^~{}[]|!#&\\<>`'.,:;()?=@%\"/")

func genWord(t *rapid.T, label string) string {
	// Mostly letters, sometimes punctuation, so escaping is exercised
	// without drowning the structure.
	n := rapid.IntRange(1, 8).Draw(t, label+"len")
	var b strings.Builder
	for i := 0; i < n; i++ {
		if rapid.IntRange(0, 5).Draw(t, label+"kind") == 0 {
			b.WriteRune(rapid.SampledFrom(wordRunes[27:]).Draw(t, label+"p"))
		} else {
			b.WriteRune(rapid.SampledFrom(wordRunes[:27]).Draw(t, label+"c"))
		}
	}
	return b.String()
}

var genMarks = rapid.SampledFrom([]Marks{
	0, 0, 0, 0, Strong, Em, Strike, Code, Underline, Sup, Sub, Link,
	Strong | Em, Strong | Link, Em | Strike, Code | Link, Strong | Underline,
})

var hrefs = []string{"https://example.com", "https://example.com/a_b?c=d&e=f#x", "http://x.io/%7Cpipe", "mailto:a@b.c"}

// genInlines draws words separated by single spaces, each with a mark set.
func genInlines(t *rapid.T, lines int, breaks bool) []Inline {
	var out []Inline
	nl := rapid.IntRange(1, lines).Draw(t, "lines")
	for l := 0; l < nl; l++ {
		if l > 0 {
			if breaks && rapid.Bool().Draw(t, "hard") {
				out = append(out, Inline{Kind: HardBreak})
			} else {
				out = append(out, Inline{Kind: SoftBreak})
			}
		}
		nw := rapid.IntRange(1, 5).Draw(t, "words")
		for w := 0; w < nw; w++ {
			if w > 0 {
				out = append(out, Inline{Kind: Text, Text: " "})
			}
			switch rapid.IntRange(0, 30).Draw(t, "special") {
			case 29:
				out = append(out, Inline{Kind: Mention, Text: "accountid:5b10" + rapid.SampledFrom([]string{"a", "b", "c"}).Draw(t, "m") + "x"})
				continue
			case 30:
				out = append(out, Inline{Kind: Image, Text: "https://img.example/" + rapid.SampledFrom([]string{"a.png", "b c.gif"}).Draw(t, "src"),
					Alt: rapid.SampledFrom([]string{"", "logo", "a b"}).Draw(t, "alt")})
				continue
			}
			m := genMarks.Draw(t, "marks")
			in := Inline{Kind: Text, Text: genWord(t, "w"), Marks: m}
			if m&Link != 0 {
				in.Href = rapid.SampledFrom(hrefs).Draw(t, "href")
			}
			out = append(out, in)
		}
	}
	return out
}

func genCode(t *rapid.T) Block {
	var lines []string
	for i := rapid.IntRange(0, 3).Draw(t, "codelines"); i > 0; i-- {
		lines = append(lines, rapid.SampledFrom([]string{"", "  indented", "x := `y`", "```", "*not* _marks_", "h1. no", "{{x}}", "\\\\ back"}).Draw(t, "codeline")+genWord(t, "cw"))
	}
	return Block{Kind: CodeBlock, Lang: rapid.SampledFrom([]string{"", "go", "java", "c++", "objective-c"}).Draw(t, "lang"), Code: strings.Join(lines, "\n")}
}

func genList(t *rapid.T, depth int) Block {
	b := Block{Kind: rapid.SampledFrom([]BlockKind{BulletList, OrderedList}).Draw(t, "listkind")}
	tasks := b.Kind == BulletList && rapid.IntRange(0, 3).Draw(t, "tasks") == 0
	for i := rapid.IntRange(1, 3).Draw(t, "items"); i > 0; i-- {
		it := Item{Task: tasks}
		if tasks {
			it.Checked = rapid.Bool().Draw(t, "checked")
		}
		it.Blocks = []Block{{Kind: Paragraph, Inlines: genInlines(t, 2, true)}}
		if !tasks && rapid.IntRange(0, 4).Draw(t, "itemcode") == 0 {
			it.Blocks = append(it.Blocks, genCode(t))
		}
		if depth < 3 && rapid.IntRange(0, 2).Draw(t, "nest") == 0 {
			nested := genList(t, depth+1)
			if tasks {
				nested = genTaskList(t)
			}
			it.Blocks = append(it.Blocks, nested)
		}
		b.Items = append(b.Items, it)
	}
	return b
}

func genTaskList(t *rapid.T) Block {
	b := Block{Kind: BulletList}
	for i := rapid.IntRange(1, 2).Draw(t, "titems"); i > 0; i-- {
		b.Items = append(b.Items, Item{Task: true, Checked: rapid.Bool().Draw(t, "tchecked"),
			Blocks: []Block{{Kind: Paragraph, Inlines: genInlines(t, 1, false)}}})
	}
	return b
}

func genTable(t *rapid.T) Block {
	cols := rapid.IntRange(1, 3).Draw(t, "cols")
	b := Block{Kind: Table}
	for r := rapid.IntRange(1, 3).Draw(t, "rows"); r > 0; r-- {
		var row Row
		for c := 0; c < cols; c++ {
			row.Cells = append(row.Cells, Cell{Header: len(b.Rows) == 0, Inlines: genInlines(t, 2, true)})
		}
		b.Rows = append(b.Rows, row)
	}
	for i := range b.Rows[0].Cells {
		// Soft breaks do not exist in cells.
		b.Rows[0].Cells[i].Inlines = normCell(b.Rows[0].Cells[i].Inlines)
	}
	return b
}

func genBlock(t *rapid.T, inQuote bool) Block {
	kinds := []string{"p", "p", "p", "h", "list", "code", "rule", "table"}
	if !inQuote {
		kinds = append(kinds, "quote")
	}
	switch rapid.SampledFrom(kinds).Draw(t, "block") {
	case "h":
		return Block{Kind: Heading, Level: rapid.IntRange(1, 6).Draw(t, "level"), Inlines: genInlines(t, 1, false)}
	case "list":
		return genList(t, 0)
	case "code":
		return genCode(t)
	case "rule":
		return Block{Kind: Rule}
	case "table":
		return genTable(t)
	case "quote":
		q := Block{Kind: Quote}
		for i := rapid.IntRange(1, 3).Draw(t, "qblocks"); i > 0; i-- {
			q.Blocks = append(q.Blocks, genBlock(t, true))
		}
		return q
	}
	return Block{Kind: Paragraph, Inlines: genInlines(t, 3, true)}
}

func genDoc(t *rapid.T) *Doc {
	d := &Doc{}
	for i := rapid.IntRange(0, 6).Draw(t, "blocks"); i > 0; i-- {
		d.Blocks = append(d.Blocks, genBlock(t, false))
	}
	d.Normalize()
	return d
}

// dump prints a Doc for comparisons and failure messages.
func dump(d *Doc) string {
	var b strings.Builder
	dumpBlocks(&b, d.Blocks, "")
	return b.String()
}

func dumpBlocks(b *strings.Builder, bs []Block, ind string) {
	for _, bl := range bs {
		switch bl.Kind {
		case Paragraph:
			fmt.Fprintf(b, "%sP %s\n", ind, dumpInlines(bl.Inlines))
		case Heading:
			fmt.Fprintf(b, "%sH%d %s\n", ind, bl.Level, dumpInlines(bl.Inlines))
		case Rule:
			fmt.Fprintf(b, "%sRULE\n", ind)
		case CodeBlock:
			fmt.Fprintf(b, "%sCODE %q %q\n", ind, bl.Lang, bl.Code)
		case Quote:
			fmt.Fprintf(b, "%sQUOTE\n", ind)
			dumpBlocks(b, bl.Blocks, ind+"  ")
		case BulletList, OrderedList:
			fmt.Fprintf(b, "%sLIST %d\n", ind, bl.Kind)
			for _, it := range bl.Items {
				fmt.Fprintf(b, "%s- task=%v checked=%v\n", ind, it.Task, it.Checked)
				dumpBlocks(b, it.Blocks, ind+"    ")
			}
		case Table:
			fmt.Fprintf(b, "%sTABLE\n", ind)
			for _, r := range bl.Rows {
				for _, c := range r.Cells {
					fmt.Fprintf(b, "%s | h=%v %s\n", ind, c.Header, dumpInlines(c.Inlines))
				}
				fmt.Fprintf(b, "%s --\n", ind)
			}
		}
	}
}

func dumpInlines(ins []Inline) string {
	var parts []string
	for _, in := range ins {
		switch in.Kind {
		case Text:
			s := fmt.Sprintf("%q", in.Text)
			if in.Marks != 0 {
				s += fmt.Sprintf("/%b", in.Marks)
			}
			if in.Href != "" {
				s += "@" + in.Href
			}
			parts = append(parts, s)
		case SoftBreak:
			parts = append(parts, "SB")
		case HardBreak:
			parts = append(parts, "HB")
		case Mention:
			parts = append(parts, "@"+in.Text)
		case Image:
			parts = append(parts, fmt.Sprintf("IMG(%q,%q)", in.Text, in.Alt))
		}
	}
	return strings.Join(parts, " ")
}
