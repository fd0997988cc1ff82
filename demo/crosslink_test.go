package demo

import (
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/connectors/jira"
	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

// TestTwinsPointAtEachOther: after the first sync every Jira issue has
// one remote link "Linear ENG-n" to its twin and every Linear issue one
// attachment "Jira TAN-n"; a new issue costs its create plus one
// cross-link per side; a restart and idle polls add none.
func TestTwinsPointAtEachOther(t *testing.T) {
	e := start(t, EnvOptions{Webhooks: true, PollEvery: 300 * time.Millisecond})
	ctx := t.Context()
	check := func() {
		t.Helper()
		links, err := e.App.State.Links(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(links) == 0 {
			t.Fatal("no links")
		}
		for _, l := range links {
			rl := e.Jira.RemoteLinks(l.Jira.ID)
			if len(rl) != 1 || rl[0].Title != "Linear "+l.Linear.Key || rl[0].GlobalID != jira.RemoteLinkGlobalID(l.Linear.ID) ||
				!strings.HasPrefix(rl[0].URL, "https://linear.app/tandem/issue/"+l.Linear.Key) {
				t.Fatalf("%s: remote links %+v", l.Jira.Key, rl)
			}
			at := e.Linear.Attachments(l.Linear.ID)
			if len(at) != 1 || at[0].Title != "Jira "+l.Jira.Key || at[0].URL != e.Config.JiraURL+"/browse/"+l.Jira.Key {
				t.Fatalf("%s: attachments %+v", l.Linear.Key, at)
			}
		}
	}
	check()
	e.Jira.ResetCounts()
	e.Linear.ResetCounts()
	if _, _, err := e.Jira.UserCreate(Alice, map[string]any{"summary": "Fresh from Jira"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Settle(ctx, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	check()
	j, l := e.Jira.Requests(jirasb.BotEmail), e.Linear.Requests(linearsb.BotEmail)
	if j.ByOperation["POST /rest/api/2/issue/{}/remotelink"] != 1 || l.ByOperation["attachmentCreate"] != 1 {
		t.Fatalf("cross-link calls for one new issue: jira %v linear %v", j.ByOperation, l.ByOperation)
	}
	if err := e.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	e.Jira.ResetCounts()
	e.Linear.ResetCounts()
	time.Sleep(time.Second) // a few polls over everything
	if _, err := WaitFor(ctx, 10*time.Second, e.App.Daemon.Idle); err != nil {
		t.Fatal(err)
	}
	check()
	j, l = e.Jira.Requests(jirasb.BotEmail), e.Linear.Requests(linearsb.BotEmail)
	if j.ByOperation["POST /rest/api/2/issue/{}/remotelink"]+l.ByOperation["attachmentCreate"] != 0 {
		t.Fatalf("idle passes cross-linked: jira %v linear %v", j.ByOperation, l.ByOperation)
	}
}
