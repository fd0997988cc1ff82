package demo

import (
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

// TestRelationsBothWays adds and removes a Blocks and a Duplicate link on
// each side as a person and waits for the twin pair to show it; the edited
// side gets no write back (no echo), and `tandem diff` ends clean. Jira
// reports links by webhook (issuelink_created/deleted) or by polling (a
// link moves both issues' updated time); Linear sends no webhook for a
// relation, so its side is seen by the poller's relation listing in both
// variants (the webhook variant polls Linear too, at a long interval
// otherwise).
func TestRelationsBothWays(t *testing.T) {
	byWebhooksAndPolling(t, 500*time.Millisecond, relationsBothWays)
}

func relationsBothWays(t *testing.T, o EnvOptions) {
	e := fieldEnv(t, o)
	ctx := t.Context()
	var ls []backlog.Link
	var skip []string
	for range 4 {
		l, err := e.Pick(ctx, func(v jirasb.IssueView) bool { return v.Type != "Sub-task" }, skip...)
		if err != nil {
			t.Fatal(err)
		}
		ls, skip = append(ls, l), append(skip, l.ID())
	}
	key := func(l backlog.Link) string { return e.JiraIssue(l).Key }
	ident := func(l backlog.Link) string { return e.LinearIssue(l).Identifier }
	// jiraHas: the Jira link "in <type> out" exists.
	jiraHas := func(typ string, in, out backlog.Link) bool {
		for _, l := range e.Jira.Links(in.Jira.ID) {
			if l.Type == typ && l.Inward == key(in) && l.Outward == key(out) {
				return true
			}
		}
		return false
	}
	jiraCount := func(l backlog.Link) int { return len(e.Jira.Links(l.Jira.ID)) }
	linearHas := func(typ string, from, to backlog.Link) bool {
		for _, r := range e.Linear.Relations(from.Linear.ID) {
			if r.Type == typ && r.Issue == ident(from) && r.RelatedIssue == ident(to) {
				return true
			}
		}
		return false
	}
	linearCount := func(l backlog.Link) int { return len(e.Linear.Relations(l.Linear.ID)) }
	jiraLink := func(typ string, in, out backlog.Link) func(*Env, []backlog.Link) error {
		return func(e *Env, _ []backlog.Link) error {
			_, err := e.Jira.UserLink(Alice, typ, key(in), key(out))
			return err
		}
	}
	jiraUnlink := func(typ string, in, out backlog.Link) func(*Env, []backlog.Link) error {
		return func(e *Env, _ []backlog.Link) error {
			for _, l := range e.Jira.Links(in.Jira.ID) {
				if l.Type == typ && l.Inward == key(in) && l.Outward == key(out) {
					return e.Jira.UserUnlink(Alice, l.ID)
				}
			}
			t.Fatalf("no %s link %s → %s to remove", typ, key(in), key(out))
			return nil
		}
	}
	linearRelate := func(typ string, from, to backlog.Link) func(*Env, []backlog.Link) error {
		return func(e *Env, _ []backlog.Link) error {
			_, err := e.Linear.UserRelate(Bob, ident(from), typ, ident(to))
			return err
		}
	}
	linearUnrelate := func(typ string, from, to backlog.Link) func(*Env, []backlog.Link) error {
		return func(e *Env, _ []backlog.Link) error {
			for _, r := range e.Linear.Relations(from.Linear.ID) {
				if r.Type == typ && r.Issue == ident(from) && r.RelatedIssue == ident(to) {
					return e.Linear.UserUnrelate(Bob, r.ID)
				}
			}
			t.Fatalf("no %s relation %s → %s to remove", typ, ident(from), ident(to))
			return nil
		}
	}
	a, b, c, d := ls[0], ls[1], ls[2], ls[3]
	rows := []fieldRow{
		{name: "blocks added", side: backlog.Jira, edit: jiraLink("Blocks", a, b),
			want: func(*Env, []backlog.Link) bool { return linearHas("blocks", a, b) && linearCount(a) == 1 }},
		{name: "blocks removed", side: backlog.Jira, edit: jiraUnlink("Blocks", a, b),
			want: func(*Env, []backlog.Link) bool { return linearCount(a) == 0 && linearCount(b) == 0 }},
		{name: "duplicate added", side: backlog.Jira, edit: jiraLink("Duplicate", c, d),
			want: func(*Env, []backlog.Link) bool { return linearHas("duplicate", c, d) && linearCount(d) == 1 }},
		{name: "duplicate removed", side: backlog.Jira, edit: jiraUnlink("Duplicate", c, d),
			want: func(*Env, []backlog.Link) bool { return linearCount(c) == 0 && linearCount(d) == 0 }},
		{name: "blocks added", side: backlog.Linear, edit: linearRelate("blocks", b, c),
			want: func(*Env, []backlog.Link) bool { return jiraHas("Blocks", b, c) && jiraCount(b) == 1 }},
		{name: "blocks removed", side: backlog.Linear, edit: linearUnrelate("blocks", b, c),
			want: func(*Env, []backlog.Link) bool { return jiraCount(b) == 0 && jiraCount(c) == 0 }},
		{name: "duplicate added", side: backlog.Linear, edit: linearRelate("duplicate", d, a),
			want: func(*Env, []backlog.Link) bool { return jiraHas("Duplicate", d, a) && jiraCount(a) == 1 }},
		{name: "duplicate removed", side: backlog.Linear, edit: linearUnrelate("duplicate", d, a),
			want: func(*Env, []backlog.Link) bool { return jiraCount(d) == 0 && jiraCount(a) == 0 }},
	}
	show := func() string {
		var b strings.Builder
		for _, l := range ls {
			b.WriteString("\n  jira " + key(l) + ": ")
			for _, x := range e.Jira.Links(l.Jira.ID) {
				b.WriteString(x.Inward + " " + x.Type + " " + x.Outward + "; ")
			}
			b.WriteString("\n  linear " + ident(l) + ": ")
			for _, x := range e.Linear.Relations(l.Linear.ID) {
				b.WriteString(x.Issue + " " + x.Type + " " + x.RelatedIssue + "; ")
			}
		}
		return b.String()
	}
	settleQuiet(t, e)
	for _, r := range rows {
		r.show = func(*Env, []backlog.Link) string { return show() }
		t.Run(string(r.side)+"/"+strings.ReplaceAll(r.name, " ", "_"), func(t *testing.T) { runFieldRow(t, e, r, ls) })
	}
	rep, err := e.App.Syncer.Diff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.InSync() || len(rep.Outside) > 0 {
		t.Fatalf("not in sync after the edits: %+v", rep)
	}
}
