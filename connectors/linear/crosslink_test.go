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
