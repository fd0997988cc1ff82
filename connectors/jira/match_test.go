package jira

import (
	"fmt"
	"testing"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
	"github.com/tandem-sync/tandem/match"
)

func TestFindMatches(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 5})
	for _, k := range []string{"TAN-4", "TAN-5"} {
		if err := e.sb.UserEdit("alice@example.com", k, map[string]any{"summary": "Same: title"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.sb.UserEdit("alice@example.com", "TAN-3", map[string]any{"summary": "Same: title, longer"}); err != nil {
		t.Fatal(err)
	}
	lin := func(id string) backlog.Ref { return backlog.Ref{Side: backlog.Linear, ID: id, Key: "ENG-" + id} }
	probes := []connectors.Probe{
		{Ref: lin("1"), Named: map[string]match.Signal{"TAN-1": match.CrossLink, "TAN-2": match.Key}},
		{Ref: lin("2"), Named: map[string]match.Signal{"tan-2": match.Pairs, "TAN-404": match.Pairs, "OPS-1": match.Pairs}},
		{Ref: lin("3"), Title: "Same: title"},
		{Ref: lin("4")},
	}
	e.sb.ResetCounts()
	got, err := e.c.FindMatches(ctx(t), probes)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.sb.Requests(sandbox.BotEmail); n.Reads != 2 || n.Writes != 0 {
		t.Fatalf("calls %+v, want one bulk fetch and one search", n)
	}
	want := []map[string]match.Signal{
		{"TAN-1": match.CrossLink, "TAN-2": match.Key},
		{"TAN-2": match.Pairs},
		{"TAN-4": match.Title, "TAN-5": match.Title},
		{},
	}
	for i, w := range want {
		have := map[string]match.Signal{}
		for _, c := range got[i] {
			have[c.Ref.Key] = c.Signal
			if is, _ := e.sb.Issue(c.Ref.Key); is.ID != c.Ref.ID {
				t.Errorf("%s: id %s", c.Ref.Key, c.Ref.ID)
			}
		}
		if len(have) != len(w) {
			t.Errorf("probe %d: %v, want %v", i, have, w)
			continue
		}
		for k, s := range w {
			if have[k] != s {
				t.Errorf("probe %d: %v, want %v", i, have, w)
			}
		}
	}
	e.sb.ResetCounts()
	if _, err := e.c.FindMatches(ctx(t), []connectors.Probe{{Ref: lin("9")}}); err != nil {
		t.Fatal(err)
	}
	if n := e.sb.Requests(sandbox.BotEmail); n.Reads != 0 {
		t.Fatalf("an empty probe cost %d reads", n.Reads)
	}
}

// TestFindMatchesPagesTitles: a title whose words many issues share is
// still found when its exact issue is past the first page of word
// matches (it was missed, and its Linear item got a second twin).
func TestFindMatchesPagesTitles(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: -1})
	// The exact title first: Jira lists newest first, so it comes last.
	_, key, err := e.sb.UserCreate("alice@example.com", map[string]any{"summary": "Ambiguous title 0"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2*pageSize + 10 {
		if _, _, err := e.sb.UserCreate("alice@example.com", map[string]any{"summary": fmt.Sprint("Ambiguous title 0 copy ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := e.c.FindMatches(ctx(t), []connectors.Probe{{Ref: backlog.Ref{Side: backlog.Linear, ID: "l1"}, Title: "Ambiguous title 0"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got[0]) != 1 || got[0][0].Ref.Key != key {
		t.Fatalf("candidates %+v, want %s among %d word matches", got[0], key, 2*pageSize+11)
	}
}
