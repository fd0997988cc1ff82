package sandbox

import (
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestCandidatesAgreeWithScan: whatever the edits, an issues filter
// evaluated on the issues the indexes narrow it to finds exactly what it
// finds on every issue, in the same order.
func TestCandidatesAgreeWithScan(t *testing.T) {
	words := []string{"TAN-1", "tan-12", "TAN-123", "Login", "LOGIN page", "crash", "émigré", "ab", "x"}
	rapid.Check(t, func(rt *rapid.T) {
		s := New(Options{SeedIssues: 12})
		defer s.Close()
		var urls []string
		for n := range rapid.IntRange(0, 25).Draw(rt, "edits") {
			id := fmt.Sprintf("ENG-%d", rapid.IntRange(1, 12).Draw(rt, "issue"))
			text := rapid.SampledFrom(words).Draw(rt, "word") + " " + rapid.SampledFrom(words).Draw(rt, "word2")
			switch rapid.IntRange(0, 3).Draw(rt, "op") {
			case 0:
				if err := s.UserUpdate(AliceEmail, id, map[string]any{"title": text}); err != nil {
					rt.Fatal(err)
				}
			case 1:
				if err := s.UserUpdate(AliceEmail, id, map[string]any{"description": text}); err != nil {
					rt.Fatal(err)
				}
			case 2:
				url := fmt.Sprintf("https://example.atlassian.net/browse/TAN-%d", n)
				if _, err := s.UserLinkURL(AliceEmail, id, url, "link"); err != nil {
					rt.Fatal(err)
				}
				urls = append(urls, url)
			case 3:
				if _, _, err := s.UserCreate(AliceEmail, map[string]any{"title": text}); err != nil {
					rt.Fatal(err)
				}
			}
		}
		urls = append(urls, "https://example.atlassian.net/browse/NONE")
		s.mu.Lock()
		defer s.mu.Unlock()
		ids := func() []any {
			var out []any
			for range rapid.IntRange(0, 3).Draw(rt, "ids") {
				i := rapid.SampledFrom(s.w.issues).Draw(rt, "id")
				out = append(out, rapid.SampledFrom([]string{i.id, i.identifier, "eng-" + fmt.Sprint(i.number)}).Draw(rt, "form"))
			}
			return out
		}
		var filter func(depth int) map[string]any
		filter = func(depth int) map[string]any {
			kinds := []string{"id", "idIn", "title", "titleIn", "description", "attachments", "priority"}
			if depth < 2 {
				kinds = append(kinds, "and", "or")
			}
			op := rapid.SampledFrom([]string{"eq", "contains", "containsIgnoreCase", "containsIgnoreCaseAndAccent"})
			switch rapid.SampledFrom(kinds).Draw(rt, "kind") {
			case "id":
				return map[string]any{"id": map[string]any{"eq": rapid.SampledFrom(append(ids(), "nope")).Draw(rt, "eq")}}
			case "idIn":
				return map[string]any{"id": map[string]any{"in": ids()}}
			case "title", "description":
				k := rapid.SampledFrom([]string{"title", "description"}).Draw(rt, "field")
				return map[string]any{k: map[string]any{op.Draw(rt, "op"): rapid.SampledFrom(words).Draw(rt, "needle")}}
			case "titleIn":
				var in []any
				for _, i := range ids() {
					in = append(in, s.w.issue(i.(string)).title)
				}
				return map[string]any{"title": map[string]any{"in": in}}
			case "attachments":
				var in []any
				for range rapid.IntRange(0, 3).Draw(rt, "urls") {
					in = append(in, rapid.SampledFrom(urls).Draw(rt, "url"))
				}
				return map[string]any{"attachments": map[string]any{"some": map[string]any{"url": map[string]any{"in": in}}}}
			case "priority":
				return map[string]any{"priority": map[string]any{"lte": 2}}
			}
			var list []any
			for range rapid.IntRange(0, 3).Draw(rt, "branches") {
				list = append(list, filter(depth+1))
			}
			return map[string]any{rapid.SampledFrom([]string{"and", "or"}).Draw(rt, "combine"): list}
		}
		f := filter(0)
		matches := func(base []*issue) []string {
			var out []string
			for _, i := range base {
				ok, err := s.matchIssue(f, i)
				if err != nil {
					rt.Fatalf("%v: %v", f, err)
				}
				if ok {
					out = append(out, i.identifier)
				}
			}
			return out
		}
		if got, want := matches(s.w.narrowIssues(f)), matches(s.w.issues); !slices.Equal(got, want) {
			rt.Fatalf("filter %v: narrowed %v, scan %v", f, got, want)
		}
	})
}

// TestCandidatesNarrow: the look-ups the Linear connector's matching and
// batch reads send are answered from the indexes, not by a scan.
func TestCandidatesNarrow(t *testing.T) {
	s := New(Options{SeedIssues: 300})
	t.Cleanup(func() { _ = s.Close() })
	if err := s.UserUpdate(AliceEmail, "ENG-7", map[string]any{"description": "Mirrors TAN-4242 in Jira"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserLinkURL(AliceEmail, "ENG-9", "https://acme.atlassian.net/browse/TAN-9", ""); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range []struct {
		f    map[string]any
		want []string
	}{
		{map[string]any{"and": []any{map[string]any{"team": map[string]any{"key": map[string]any{"eq": "ENG"}}},
			map[string]any{"or": []any{map[string]any{"title": map[string]any{"containsIgnoreCase": "tan-4242"}},
				map[string]any{"description": map[string]any{"containsIgnoreCase": "tan-4242"}}}}}}, []string{"ENG-7"}},
		{map[string]any{"id": map[string]any{"in": []any{"ENG-3", s.w.issue("ENG-5").id}}}, []string{"ENG-3", "ENG-5"}},
		{map[string]any{"attachments": map[string]any{"some": map[string]any{"url": map[string]any{"in": []any{"https://acme.atlassian.net/browse/TAN-9"}}}}}, []string{"ENG-9"}},
	} {
		var got []string
		for _, i := range s.w.narrowIssues(c.f) {
			got = append(got, i.identifier)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%v narrowed to %v, want %v", c.f, got, c.want)
		}
	}
}
