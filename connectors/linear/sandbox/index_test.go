package sandbox

import (
	"slices"
	"testing"
	"time"
)

// TestUpdatedIndexAgreesWithScan: an issues query bounded by updatedAt
// (answered from the index) finds what the same filter nested in an
// "and" (answered by a scan) finds, after edits, archiving and trashing
// moved issues in the index.
func TestUpdatedIndexAgreesWithScan(t *testing.T) {
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := New(Options{SeedIssues: 40, Now: func() time.Time { return clock }})
	t.Cleanup(func() { _ = s.Close() })
	for n, id := range []string{"ENG-3", "ENG-17", "ENG-5"} {
		clock = clock.Add(time.Duration(n+1) * time.Minute)
		if err := s.UserUpdate(AliceEmail, id, map[string]any{"title": "edited " + id}); err != nil {
			t.Fatal(err)
		}
	}
	clock = clock.Add(time.Minute)
	if err := s.UserDelete(AliceEmail, "ENG-9"); err != nil {
		t.Fatal(err)
	}
	const q = `query($f: IssueFilter) { issues(filter: $f, first: 250, includeArchived: true, orderBy: updatedAt) { nodes { identifier } } }`
	ids := func(f map[string]any) []string {
		d := mustOK(t, post(t, s, BotKey, q, map[string]any{"f": f}))
		var out []string
		for _, n := range dig(d, "issues", "nodes").([]any) {
			out = append(out, n.(map[string]any)["identifier"].(string))
		}
		return out
	}
	newest := s.opts.Now()
	for _, c := range []struct {
		name string
		cmp  map[string]any
		want int
	}{
		{"recent edits", map[string]any{"gte": newest.Add(-10 * time.Minute).Format(time.RFC3339Nano)}, 4},
		{"strictly after the second edit", map[string]any{"gt": newest.Add(-4 * time.Minute).Format(time.RFC3339Nano)}, 2},
		{"a window", map[string]any{"gte": newest.Add(-10 * time.Minute).Format(time.RFC3339Nano), "lt": newest.Format(time.RFC3339Nano)}, 3},
		{"a duration", map[string]any{"gte": "-P1D"}, 4},
		{"everything", map[string]any{"gte": "2000-01-01"}, 40},
		{"nothing", map[string]any{"gt": newest.Format(time.RFC3339Nano)}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			indexed := ids(map[string]any{"updatedAt": c.cmp})
			scanned := ids(map[string]any{"and": []any{map[string]any{"updatedAt": c.cmp}}})
			if !slices.Equal(indexed, scanned) || len(indexed) != c.want {
				t.Errorf("index %v, scan %v, want %d issues", indexed, scanned, c.want)
			}
		})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.w.byUpdated) != len(s.w.issues) || !slices.IsSortedFunc(s.w.byUpdated, cmpUpdated) {
		t.Errorf("index holds %d of %d issues, sorted %v", len(s.w.byUpdated), len(s.w.issues), slices.IsSortedFunc(s.w.byUpdated, cmpUpdated))
	}
}
