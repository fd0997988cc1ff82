package wiki

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuin/goldmark/text"
)

// benchInput repeats the golden inputs of one notation to about 20 KB, the
// size of a long Jira description.
func benchInput(b *testing.B, ext string) string {
	b.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*"+ext))
	var parts []string
	for _, f := range files {
		if strings.HasSuffix(f, ".wiki.md") || strings.HasSuffix(f, ".md.wiki") {
			continue
		}
		s, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		parts = append(parts, string(s))
	}
	if len(parts) == 0 {
		b.Fatal("no golden inputs")
	}
	var sb strings.Builder
	for sb.Len() < 20<<10 {
		for _, p := range parts {
			sb.WriteString(p)
			sb.WriteString("\n\n")
		}
	}
	return sb.String()
}

func BenchmarkToMarkdown(b *testing.B) {
	w := benchInput(b, ".wiki")
	b.SetBytes(int64(len(w)))
	b.ReportAllocs()
	for b.Loop() {
		ToMarkdown(w)
	}
}

func BenchmarkFromMarkdown(b *testing.B) {
	md := benchInput(b, ".md")
	b.SetBytes(int64(len(md)))
	b.ReportAllocs()
	for b.Loop() {
		FromMarkdown(md)
	}
}

// BenchmarkGoldmarkParse is the floor for the Markdown side: goldmark's
// parse of the same input, without conversion.
func BenchmarkGoldmarkParse(b *testing.B) {
	md := benchInput(b, ".md")
	b.SetBytes(int64(len(md)))
	b.ReportAllocs()
	for b.Loop() {
		markdownParser().Parse(text.NewReader([]byte(md)))
	}
}

func BenchmarkParse(b *testing.B) {
	w := benchInput(b, ".wiki")
	b.SetBytes(int64(len(w)))
	b.ReportAllocs()
	for b.Loop() {
		Parse(w)
	}
}

// BenchmarkPlainRoundTrip converts a 20 KB description of plain paragraphs
// and lists, the common case, both ways.
func BenchmarkPlainRoundTrip(b *testing.B) {
	var sb strings.Builder
	for sb.Len() < 20<<10 {
		sb.WriteString("When the user opens the settings page, the list of teams loads slowly.\nIt takes about 3 seconds on a good connection.\n\n")
		sb.WriteString("* first step\n* second step\n** detail\n\n")
	}
	w := sb.String()
	b.SetBytes(int64(len(w)))
	b.ReportAllocs()
	for b.Loop() {
		FromMarkdown(ToMarkdown(w))
	}
}
