package reconcile

import (
	"strconv"
	"testing"

	"github.com/tandem-sync/tandem/backlog"
)

// TestBirthRank: with Jira leading the order, Linear twins are born in the
// order of their sources' ranks; in every other case a twin carries no
// rank (the order pass places it).
func TestBirthRank(t *testing.T) {
	jira := func(rank string) backlog.Item {
		return backlog.Item{Ref: backlog.Ref{Side: backlog.Jira, ID: "1"}, Rank: rank}
	}
	s := &Syncer{OrderMaster: backlog.Jira}
	ranks := []string{"0|hzzzzr:", "0|hzzzzz:", "0|hzzzzz:i", "0|i00007:", "1|000000:"}
	prev := -1.0
	for _, r := range ranks {
		got := s.birthRank(backlog.Linear, jira(r))
		f, err := strconv.ParseFloat(got, 64)
		if err != nil || !(f > prev) {
			t.Fatalf("rank %s: sortOrder %q, not above %v", r, got, prev)
		}
		prev = f
	}
	for name, c := range map[string]struct {
		s   *Syncer
		to  backlog.Side
		src backlog.Item
	}{
		"order not mirrored": {&Syncer{}, backlog.Linear, jira("0|i00007:")},
		"linear leads":       {&Syncer{OrderMaster: backlog.Linear}, backlog.Linear, jira("0|i00007:")},
		"a jira twin":        {s, backlog.Jira, backlog.Item{Ref: backlog.Ref{Side: backlog.Linear}, Rank: "12.5"}},
		"no rank":            {s, backlog.Linear, jira("")},
		"not a lexorank":     {s, backlog.Linear, jira("garbage")},
	} {
		if got := c.s.birthRank(c.to, c.src); got != "" {
			t.Errorf("%s: rank %q, want none", name, got)
		}
	}
}
