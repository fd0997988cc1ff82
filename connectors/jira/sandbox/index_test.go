package sandbox

import (
	"slices"
	"testing"
)

// TestUpdatedIndexAgreesWithScan: a search read from the updated index
// finds what a scan of every issue finds, including where an updated bound
// sits under OR or NOT and so must not narrow the search.
func TestUpdatedIndexAgreesWithScan(t *testing.T) {
	s := jqlServer(t)
	// An edit and a comment move issues in the index.
	if err := s.UserTransition("bob@example.com", "TAN-1", "In Progress"); err != nil {
		t.Fatal(err)
	}
	for _, jql := range []string{
		`updated >= -45m`,
		`updated > -45m ORDER BY updated ASC`,
		`project = TAN AND updated >= -45m ORDER BY updated`,
		`updated >= -45m OR summary ~ "Dark"`,
		`summary ~ "Dark" OR updated >= -45m`,
		`NOT updated >= -45m`,
		`NOT (updated >= -45m AND project = TAN)`,
		`(updated >= -45m OR key = TAN-2) AND project = TAN`,
		`updated >= -3h AND updated >= -45m`,
		`updated >= -45m AND NOT updated >= -10m`,
	} {
		t.Run(jql, func(t *testing.T) {
			s.mu.Lock()
			defer s.mu.Unlock()
			me := s.userByEmail(BotEmail)
			got, err := s.run(jql, me, false)
			if err != nil {
				t.Fatal(err)
			}
			q, err := s.parseJQL(jql, me)
			if err != nil {
				t.Fatal(err)
			}
			var want []*issue
			for _, is := range s.byID {
				if q.where(is) == yes {
					want = append(want, is)
				}
			}
			s.sortIssues(want, q.order)
			if !slices.Equal(keysOf(got), keysOf(want)) {
				t.Errorf("index %v, scan %v", keysOf(got), keysOf(want))
			}
		})
	}
}

func keysOf(l []*issue) []string {
	out := make([]string, len(l))
	for i, is := range l {
		out[i] = is.Key
	}
	slices.Sort(out)
	return out
}

// TestUpdatedIndexFollowsWrites: the index holds every live issue in
// updated order after creates, edits, comments and deletes.
func TestUpdatedIndexFollowsWrites(t *testing.T) {
	s := jqlServer(t)
	if err := s.UserComment("bob@example.com", "TAN-2", "hi"); err != nil {
		t.Fatal(err)
	}
	if err := s.UserDelete("alice@example.com", "TAN-3"); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byUpdated) != len(s.byID) {
		t.Fatalf("index holds %d issues, the site %d", len(s.byUpdated), len(s.byID))
	}
	if !slices.IsSortedFunc(s.byUpdated, func(a, b *issue) int { return cmpUpdated(a, b.Updated, b.ID) }) {
		t.Error("index out of order")
	}
	for _, is := range s.byUpdated {
		if s.byID[is.ID] != is {
			t.Errorf("index holds %s, not on the site", is.Key)
		}
	}
}
