package demo

import (
	"strings"
	"testing"
	"time"

	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

// TestCommentsBothWays: a comment made in either tool appears once in the
// other, with the attribution line, and nothing is echoed back.
func TestCommentsBothWays(t *testing.T) {
	e := start(t, EnvOptions{Webhooks: true, PollEvery: time.Hour})
	ctx := t.Context()
	l, err := e.Pick(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	jBefore, lBefore := len(e.JiraIssue(l).Comments), len(e.LinearIssue(l).Comments)
	if err := e.Jira.UserComment(Alice, l.Jira.ID, "Repro: click *Pay* twice"); err != nil {
		t.Fatal(err)
	}
	if _, err := WaitFor(ctx, 10*time.Second, func() bool { return len(e.LinearIssue(l).Comments) == lBefore+1 }); err != nil {
		t.Fatalf("jira comment not mirrored: %v", e.LinearIssue(l).Comments)
	}
	got := e.LinearIssue(l).Comments[lBefore]
	if !strings.HasPrefix(got, "Repro: click **Pay** twice") || !strings.Contains(got, "alice@example.com in Jira ("+l.Jira.Key+")") {
		t.Fatalf("linear copy = %q", got)
	}
	if _, err := e.Linear.UserComment(Bob, l.Linear.ID, "Fixed in build `42`"); err != nil {
		t.Fatal(err)
	}
	if _, err := WaitFor(ctx, 10*time.Second, func() bool { return len(e.JiraIssue(l).Comments) == jBefore+2 }); err != nil {
		t.Fatalf("linear comment not mirrored: %v", e.JiraIssue(l).Comments)
	}
	if got := e.JiraIssue(l).Comments[jBefore+1]; !strings.HasPrefix(got, "Fixed in build {{42}}") || !strings.Contains(got, "bob@example.com in Linear") {
		t.Fatalf("jira copy = %q", got)
	}
	e.quiet(t)
	jw, lw := e.Jira.Requests(jirasb.BotEmail).Writes, e.Linear.Requests(linearsb.BotEmail).Writes
	e.App.Daemon.Enqueue(ctx, l.Jira)
	e.App.Daemon.Enqueue(ctx, l.Linear)
	e.quiet(t)
	if len(e.JiraIssue(l).Comments) != jBefore+2 || len(e.LinearIssue(l).Comments) != lBefore+2 {
		t.Fatalf("comments duplicated: jira %d linear %d", len(e.JiraIssue(l).Comments), len(e.LinearIssue(l).Comments))
	}
	if e.Jira.Requests(jirasb.BotEmail).Writes != jw || e.Linear.Requests(linearsb.BotEmail).Writes != lw {
		t.Fatal("more passes wrote again: echo")
	}
}
