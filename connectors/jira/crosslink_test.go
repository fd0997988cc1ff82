package jira

import (
	"errors"
	"testing"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

func TestCrossLink(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 3})
	is, _ := e.sb.Issue("TAN-2")
	if got := e.c.ItemURL(backlog.Ref{Side: backlog.Jira, ID: is.ID, Key: "TAN-2"}); got != e.url+"/browse/TAN-2" {
		t.Fatalf("ItemURL = %q", got)
	}
	if got := e.c.ItemURL(backlog.Ref{Side: backlog.Jira}); got != "" {
		t.Fatalf("ItemURL of an empty ref = %q", got)
	}
	twin := backlog.Ref{Side: backlog.Linear, ID: "0f4c8a52-1111-4222-8333-444455556666", Key: "ENG-12"}
	e.sb.ResetCounts()
	for range 2 {
		if err := e.c.CrossLink(ctx(t), is.ID, twin, "https://linear.app/acme/issue/ENG-12"); err != nil {
			t.Fatal(err)
		}
	}
	got := e.sb.RemoteLinks("TAN-2")
	if len(got) != 1 || got[0].Title != "Linear ENG-12" || got[0].URL != "https://linear.app/acme/issue/ENG-12" || got[0].GlobalID != RemoteLinkGlobalID(twin.ID) {
		t.Fatalf("remote links: %+v", got)
	}
	if n := e.sb.Requests(sandbox.BotEmail); n.Writes != 2 || n.Reads != 0 {
		t.Fatalf("two calls should be two writes: %+v", n)
	}
	// The twin's key changed (moved team): the one link follows.
	twin.Key = "OPS-3"
	if err := e.c.CrossLink(ctx(t), "TAN-2", twin, "https://linear.app/acme/issue/OPS-3"); err != nil {
		t.Fatal(err)
	}
	if got := e.sb.RemoteLinks("TAN-2"); len(got) != 1 || got[0].Title != "Linear OPS-3" {
		t.Fatalf("after the key changed: %+v", got)
	}
	if err := e.c.CrossLink(ctx(t), "TAN-404", twin, "https://linear.app/acme/issue/OPS-3"); !errors.Is(err, connectors.ErrNotFound) {
		t.Fatalf("unknown issue: %v", err)
	}
	if err := e.c.CrossLink(ctx(t), "TAN-2", twin, ""); !connectors.IsPermanent(err) {
		t.Fatalf("no url: %v", err)
	}
}

func TestUncross(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 2})
	twin := backlog.Ref{Side: backlog.Linear, ID: "0f4c8a52-1111-4222-8333-444455556666", Key: "ENG-12"}
	if err := e.c.CrossLink(ctx(t), "TAN-1", twin, "https://linear.app/acme/issue/ENG-12"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sb.UserRemoteLink("alice@example.com", "TAN-1", "", "https://example.com", "Other"); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second finds nothing to remove: not an error
		if err := e.c.Uncross(ctx(t), "TAN-1", twin, ""); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.sb.RemoteLinks("TAN-1"); len(got) != 1 || got[0].Title != "Other" {
		t.Fatalf("remote links %+v", got)
	}
	if err := e.c.Uncross(ctx(t), "TAN-404", twin, ""); !errors.Is(err, connectors.ErrNotFound) {
		t.Fatalf("unknown issue: %v", err)
	}
}
