package linear

import (
	"testing"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

func TestCrossLink(t *testing.T) {
	s, c := setup(t, sandbox.Options{})
	is, _ := s.Issue("ENG-2")
	ref := backlog.Ref{Side: backlog.Linear, ID: is.ID, Key: "ENG-2"}
	if got := c.ItemURL(ref); got != "https://linear.app/tandem/issue/ENG-2" {
		t.Fatalf("ItemURL = %q", got)
	}
	if got := c.ItemURL(backlog.Ref{Side: backlog.Linear, ID: is.ID}); got != "" {
		t.Fatalf("ItemURL without identifier = %q", got)
	}
	twin := backlog.Ref{Side: backlog.Jira, ID: "10004", Key: "TAN-3"}
	for range 2 {
		if err := c.CrossLink(t.Context(), is.ID, twin, "https://acme.atlassian.net/browse/TAN-3"); err != nil {
			t.Fatal(err)
		}
	}
	got := s.Attachments("ENG-2")
	if len(got) != 1 || got[0].Title != "Jira TAN-3" || got[0].URL != "https://acme.atlassian.net/browse/TAN-3" || got[0].Creator != sandbox.BotEmail {
		t.Fatalf("attachments: %+v", got)
	}
	if n := s.Requests(sandbox.BotEmail); n.Writes != 2 || n.ByOperation["attachmentCreate"] != 2 {
		t.Fatalf("calls: %+v", n)
	}
	if err := c.CrossLink(t.Context(), "ENG-404", twin, "https://acme.atlassian.net/browse/TAN-3"); !connectors.IsPermanent(err) {
		t.Fatalf("unknown issue: %v", err)
	}
	if err := c.CrossLink(t.Context(), is.ID, twin, ""); !connectors.IsPermanent(err) {
		t.Fatalf("no url: %v", err)
	}
}

func TestCrossLinkMany(t *testing.T) {
	s, c := setup(t, sandbox.Options{})
	var args []connectors.CrossLinkArgs
	for i, ident := range []string{"ENG-1", "ENG-2", "ENG-3"} {
		is, _ := s.Issue(ident)
		key := "TAN-" + string(rune('1'+i))
		args = append(args, connectors.CrossLinkArgs{ID: is.ID, Twin: backlog.Ref{Side: backlog.Jira, ID: "1000" + key[4:], Key: key}, URL: "https://acme.atlassian.net/browse/" + key})
	}
	for range 2 {
		if err := c.CrossLinkMany(t.Context(), args); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Requests(sandbox.BotEmail); n.Writes != 2 {
		t.Fatalf("requests %+v, want one per batch", n)
	}
	for i, ident := range []string{"ENG-1", "ENG-2", "ENG-3"} {
		got := s.Attachments(ident)
		if len(got) != 1 || got[0].URL != args[i].URL || got[0].Title != "Jira "+args[i].Twin.Key {
			t.Fatalf("%s: %+v", ident, got)
		}
	}
	// Uncross removes the one on its issue only.
	if err := c.Uncross(t.Context(), args[0].ID, args[0].Twin, args[0].URL); err != nil {
		t.Fatal(err)
	}
	if len(s.Attachments("ENG-1")) != 0 || len(s.Attachments("ENG-2")) != 1 {
		t.Fatal("Uncross")
	}
	if err := c.Uncross(t.Context(), args[0].ID, args[0].Twin, args[0].URL); err != nil {
		t.Fatalf("uncrossing twice: %v", err)
	}
	if err := c.CrossLinkMany(t.Context(), make([]connectors.CrossLinkArgs, maxCrossLinks+1)); !connectors.IsPermanent(err) {
		t.Fatalf("too many: %v", err)
	}
}
