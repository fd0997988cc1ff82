package linear

import (
	"testing"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
	"github.com/tandem-sync/tandem/match"
)

func TestFindMatches(t *testing.T) {
	s, c := setup(t, sandbox.Options{})
	const jiraURL = "https://acme.atlassian.net/browse/"
	// ENG-1 links TAN-1 (as Linear's Jira integration leaves it); ENG-2
	// names TAN-2 in its title, ENG-3 TAN-3 in its description (and
	// TAN-30, which is not TAN-3's); ENG-4 and ENG-5 share a title.
	if _, err := s.UserLinkURL(sandbox.AliceEmail, "ENG-1", jiraURL+"TAN-1", "TAN-1"); err != nil {
		t.Fatal(err)
	}
	for id, in := range map[string]map[string]any{
		"ENG-2": {"title": "[TAN-2] Imported"},
		"ENG-3": {"description": "Imported from Jira: TAN-3"},
		"ENG-6": {"description": "see TAN-30"},
		"ENG-4": {"title": "Same title"},
		"ENG-5": {"title": "Same title"},
	} {
		if err := s.UserUpdate(sandbox.AliceEmail, id, in); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]string{}
	for _, v := range s.Issues() {
		ids[v.Identifier] = v.ID
	}
	probe := func(key, title string) connectors.Probe {
		return connectors.Probe{Ref: backlog.Ref{Side: backlog.Jira, ID: "1" + key, Key: key}, LinkURL: jiraURL + key, TextKey: key, Title: title}
	}
	p7 := probe("TAN-7", "")
	p7.Named = map[string]match.Signal{"ENG-7": match.Pairs, "OPS-7": match.Pairs}
	probes := []connectors.Probe{probe("TAN-1", ""), probe("TAN-2", ""), probe("TAN-3", ""), probe("TAN-9", "Same title"), p7, probe("TAN-8", "")}
	s.ResetCounts()
	got, err := c.FindMatches(t.Context(), probes)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Requests(sandbox.BotEmail); n.Reads != 1 {
		t.Fatalf("reads %d, want one query for the batch", n.Reads)
	}
	want := []map[string]match.Signal{
		{"ENG-1": match.CrossLink},
		{"ENG-2": match.Key},
		{"ENG-3": match.Key},
		{"ENG-4": match.Title, "ENG-5": match.Title},
		{"ENG-7": match.Pairs},
		{},
	}
	for i, w := range want {
		have := map[string]match.Signal{}
		for _, cd := range got[i] {
			have[cd.Ref.Key] = cd.Signal
			if ids[cd.Ref.Key] != cd.Ref.ID {
				t.Errorf("%s: id %s", cd.Ref.Key, cd.Ref.ID)
			}
		}
		if len(have) != len(w) {
			t.Errorf("probe %s: %v, want %v", probes[i].Ref.Key, have, w)
			continue
		}
		for k, sig := range w {
			if have[k] != sig {
				t.Errorf("probe %s: %v, want %v", probes[i].Ref.Key, have, w)
			}
		}
	}
	// No probe that asks anything: no call.
	s.ResetCounts()
	if got, err := c.FindMatches(t.Context(), []connectors.Probe{{Ref: backlog.Ref{ID: "x"}}}); err != nil || len(got) != 1 || len(got[0]) != 0 {
		t.Fatalf("%v %v", got, err)
	}
	if n := s.Requests(sandbox.BotEmail); n.Reads != 0 {
		t.Fatalf("an empty probe cost %d reads", n.Reads)
	}
	// Attachment URLs, batched, only those under the prefix asked for.
	if _, err := s.UserLinkURL(sandbox.AliceEmail, "ENG-1", "https://github.com/acme/app/pull/7", "PR 7"); err != nil {
		t.Fatal(err)
	}
	urls, err := c.AttachmentURLs(t.Context(), []string{ids["ENG-1"], ids["ENG-2"]}, "https://ACME.atlassian.net")
	if err != nil || len(urls) != 1 || len(urls[ids["ENG-1"]]) != 1 || urls[ids["ENG-1"]][0] != jiraURL+"TAN-1" {
		t.Fatalf("AttachmentURLs: %v %v", urls, err)
	}
	if all, err := c.AttachmentURLs(t.Context(), []string{ids["ENG-1"]}, ""); err != nil || len(all[ids["ENG-1"]]) != 2 {
		t.Fatalf("AttachmentURLs with no prefix: %v %v", all, err)
	}
	// A probe's URL is found among other attachments of the issue.
	if got, err := c.FindMatches(t.Context(), probes[:1]); err != nil || len(got[0]) != 1 || got[0][0].Ref.Key != "ENG-1" {
		t.Fatalf("cross-link beside another attachment: %v %v", got, err)
	}
	if _, err := c.FindMatches(t.Context(), make([]connectors.Probe, maxProbes+1)); !connectors.IsPermanent(err) {
		t.Fatalf("too many probes: %v", err)
	}
}
