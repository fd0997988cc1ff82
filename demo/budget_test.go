package demo

import (
	"fmt"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

// TestBudgetedBackfillWithEdits: against sandboxes that enforce the real
// budgets (Linear's per-key requests and complexity, Jira's burst 429s), a
// backfill of 2,000 pairs (1,000 issues on each side) with people editing
// linked pairs on both sides meanwhile never runs into a RATELIMITED or a
// 429, the edits made while twins are still missing arrive before the
// backfill ends (webhook passes go before backfill passes), and
// everything converges.
//
// At full size it runs about 12 minutes: the backfill is bound by Linear's
// complexity budget (250,000 points an hour, as the sandbox enforces it),
// which is the point of the test. -short runs 200 issues a side.
func TestBudgetedBackfillWithEdits(t *testing.T) {
	start := time.Now()
	defer func() { t.Logf("took %s", time.Since(start).Round(time.Second)) }()
	perSide := 1000
	if testing.Short() {
		perSide = 200
	}
	e, err := StartEnv(t.Context(), EnvOptions{
		DataDir: t.TempDir(), JiraSeed: perSide, LinearSeed: perSide, Webhooks: true, RateLimits: true, PollEvery: 30 * time.Second,
		OrderMaster: "jira", Log: testLog(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := t.Context()
	complete := func() (n int, links []backlog.Link) {
		ls, _ := e.App.State.Links(ctx)
		for _, l := range ls {
			if l.Pending == "" && l.Jira.ID != "" && l.Linear.ID != "" {
				n++
				links = append(links, l)
			}
		}
		return n, links
	}
	var first []backlog.Link
	if _, err := WaitFor(ctx, 2*time.Minute, func() bool {
		n, ls := complete()
		first = ls
		return n >= 20
	}); err != nil {
		t.Fatal("no pairs linked:", err)
	}
	if n, _ := complete(); n == 2*perSide {
		t.Fatal("the backfill ended before the edits could be made; the test measures nothing")
	}
	type edit struct {
		link  backlog.Link
		title string
		jira  bool // edited in Jira, to arrive in Linear
	}
	var edits []edit
	for i, l := range first[:10] {
		ed := edit{link: l, title: fmt.Sprintf("edited during the backfill %d", i), jira: i%2 == 0}
		if ed.jira {
			err = e.Jira.UserEdit(Alice, l.Jira.ID, map[string]any{"summary": ed.title})
		} else {
			err = e.Linear.UserUpdate(Bob, l.Linear.ID, map[string]any{"title": ed.title})
		}
		if err != nil {
			t.Fatal(err)
		}
		edits = append(edits, ed)
	}
	arrived := map[int]int{} // edit → complete pairs when it arrived
	if _, err := WaitFor(ctx, 3*time.Minute, func() bool {
		for i, ed := range edits {
			if _, ok := arrived[i]; ok {
				continue
			}
			if (ed.jira && e.LinearIssue(ed.link).Title == ed.title) || (!ed.jira && e.JiraIssue(ed.link).Summary == ed.title) {
				n, _ := complete()
				arrived[i] = n
			}
		}
		return len(arrived) == len(edits)
	}); err != nil {
		for i, ed := range edits {
			if _, ok := arrived[i]; !ok {
				base, _ := e.App.State.Base(ctx, ed.link.ID())
				t.Logf("edit %d (jira-side %v) missing: link %s jira %s %q linear %s %q; base %v", i, ed.jira, ed.link.ID(), ed.link.Jira.Key, e.JiraIssue(ed.link).Summary, ed.link.Linear.Key, e.LinearIssue(ed.link).Title, base)
			}
		}
		j, l := e.Jira.Requests(jirasb.BotEmail), e.Linear.Requests(linearsb.BotEmail)
		t.Fatalf("%d of %d edits arrived: %v\njira %d calls, %d 429s %v\nlinear %d calls, %d limited %v\nlinear complexity %d %v\nby purpose: jira %v linear %v", len(arrived), len(edits), err,
			j.Reads+j.Writes, j.RateLimited, j.ByOperation, l.Reads+l.Writes, l.RateLimited, l.ByOperation, l.Complexity, l.ComplexityByOperation,
			e.App.JiraBudget.Snapshot(), e.App.LinearBudget.Snapshot())
	}
	if _, _, err := e.Settle(ctx, 15*time.Minute); err != nil {
		t.Fatalf("%v\nbudgets: jira %+v\nlinear %+v", err, e.App.JiraBudget.Snapshot(), e.App.LinearBudget.Snapshot())
	}
	if rep, err := waitInSync(ctx, e, 2*time.Minute); err != nil {
		t.Fatalf("not in sync: %v: %s", err, describe(rep))
	}
	for i, n := range arrived {
		if n == 2*perSide {
			t.Errorf("edit %d arrived only after the backfill had ended (behind it, not before it)", i)
		}
	}
	j, l := e.Jira.Requests(jirasb.BotEmail), e.Linear.Requests(linearsb.BotEmail)
	t.Logf("jira %d calls %v\nlinear %d calls %v\nlinear complexity %d %v", j.Reads+j.Writes, j.ByOperation, l.Reads+l.Writes, l.ByOperation, l.Complexity, l.ComplexityByOperation)
	if j.RateLimited != 0 || l.RateLimited != 0 {
		t.Fatalf("rate limited: jira %d 429s, linear %d RATELIMITED", j.RateLimited, l.RateLimited)
	}
}
