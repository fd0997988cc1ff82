package linear

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

// TestChangedNeverSkips: edits made while a pass is paging — to issues on
// pages already read, not read yet, or the page cursor's own issue — are
// all reported by the time a later pass ends.
func TestChangedNeverSkips(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 130).Draw(rt, "issues")
		clk := &fakeClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
		s := sandbox.New(sandbox.Options{SeedIssues: n, Now: clk.now})
		if _, err := s.Start("127.0.0.1:0"); err != nil {
			rt.Fatal(err)
		}
		defer s.Close()
		c, err := connect(t, s, sandbox.BotKey)
		if err != nil {
			rt.Fatal(err)
		}
		all := s.Issues()
		// pending[id] = an edit not yet reported by a page read after it.
		pending := map[string]bool{}
		seenFirst := map[string]bool{}
		editedFirst := map[string]bool{} // edited while the first pass ran
		cursor := ""
		passes := 0
		for step := 0; passes < 4; step++ {
			if step > 200 {
				rt.Fatal("too many pages")
			}
			p, err := c.Changed(t.Context(), cursor)
			if err != nil {
				rt.Fatal(err)
			}
			for _, r := range p.Refs {
				delete(pending, r.ID)
				if passes == 0 {
					seenFirst[r.ID] = true
				}
			}
			cursor = p.Next
			if !p.More {
				passes++
			}
			clk.advance(time.Duration(rapid.IntRange(0, 1500).Draw(rt, "tick")) * time.Millisecond)
			if passes >= 2 {
				continue // the last passes only drain
			}
			for range rapid.IntRange(0, 3).Draw(rt, "edits") {
				i := all[rapid.IntRange(0, len(all)-1).Draw(rt, "which")]
				if err := s.UserUpdate(sandbox.AliceEmail, i.ID, map[string]any{"title": fmt.Sprintf("edit %d", step)}); err != nil {
					rt.Fatal(err)
				}
				pending[i.ID] = true
				if passes == 0 {
					editedFirst[i.ID] = true
				}
			}
		}
		// An issue not edited meanwhile is reported by the first pass; an
		// edited one may move ahead of the pages and come with the next.
		for _, i := range all {
			if !seenFirst[i.ID] && !editedFirst[i.ID] {
				rt.Fatalf("the first pass skipped %s", i.Identifier)
			}
		}
		if len(pending) > 0 {
			rt.Fatalf("edits never reported: %v", pending)
		}
	})
}

// TestChangedIdleAfterBurst: once the clock is past a burst of edits (a
// backfill's last twins), idle rounds list nothing and need one page,
// rather than reading the burst again every round.
func TestChangedIdleAfterBurst(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	s, c := setup(t, sandbox.Options{SeedIssues: 300, Now: clk.now})
	for _, i := range s.Issues() {
		if err := s.UserUpdate(sandbox.AliceEmail, i.ID, map[string]any{"title": "burst " + i.Identifier}); err != nil {
			t.Fatal(err)
		}
	}
	cursor := ""
	for more := true; more; {
		p, err := c.Changed(t.Context(), cursor)
		if err != nil {
			t.Fatal(err)
		}
		cursor, more = p.Next, p.More
	}
	clk.advance(time.Minute)
	// The round right after the burst still reads its overlap (the mark
	// was the burst's own time); it moves the mark to the settled clock.
	for more := true; more; {
		p, err := c.Changed(t.Context(), cursor)
		if err != nil {
			t.Fatal(err)
		}
		cursor, more = p.Next, p.More
	}
	for round := range 3 {
		clk.advance(30 * time.Second)
		p, err := c.Changed(t.Context(), cursor)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Refs) != 0 || p.More {
			t.Fatalf("idle round %d, a minute after the burst: %d refs, more %v", round, len(p.Refs), p.More)
		}
		cursor = p.Next
	}
}
