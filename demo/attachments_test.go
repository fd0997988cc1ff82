package demo

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

// TestAttachmentsBothWays adds and deletes files as a person on each side
// and waits for the twin to show it: the same bytes after the round trip,
// a file above the cap (64 KB here) linked instead of copied, deletions
// mirrored; the edited side gets no write back (no echo). By webhooks and
// by polling: Jira reports a file by its issue's updated time, Linear by
// the poll's list of files changed since. A file deleted in Linear is seen
// by its webhook only (a deleted attachment leaves nothing to list, and it
// does not move the issue), so the polling variant leaves that row out.
func TestAttachmentsBothWays(t *testing.T) {
	byWebhooksAndPolling(t, time.Hour, attachmentsBothWays)
}

func attachmentsBothWays(t *testing.T, o EnvOptions) {
	e := fieldEnv(t, o, "attachments:\n  max_bytes: 64KB\n")
	ctx := t.Context()
	l0, err := e.Pick(ctx, func(v jirasb.IssueView) bool { return v.Type != "Sub-task" })
	if err != nil {
		t.Fatal(err)
	}
	l1, err := e.Pick(ctx, func(v jirasb.IssueView) bool { return v.Type != "Sub-task" }, l0.ID())
	if err != nil {
		t.Fatal(err)
	}
	ls := []backlog.Link{l0, l1}
	spec := []byte("%PDF-1.7 the spec")
	big := bytes.Repeat([]byte("frame "), 20_000) // 120 KB: above the cap
	shot := bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 0, 1, 2}, 3_000)
	var jiraSpec, jiraBig, linearShot string
	// linearFile: the Linear twin's file of that name, and whether it is
	// an uploaded file (not a link).
	linearFile := func(l backlog.Link, name string) (linearsb.FileView, bool) {
		for _, f := range e.Linear.IssueAttachments(l.Linear.ID) {
			if f.Title == name {
				return f, true
			}
		}
		return linearsb.FileView{}, false
	}
	jiraFile := func(l backlog.Link, name string) (jirasb.AttachmentView, bool) {
		for _, f := range e.Jira.Attachments(l.Jira.ID) {
			if f.Filename == name {
				return f, true
			}
		}
		return jirasb.AttachmentView{}, false
	}
	rows := []fieldRow{
		{name: "file added", side: backlog.Jira, link: 0,
			edit: func(e *Env, ls []backlog.Link) (err error) {
				jiraSpec, err = e.Jira.UserAttach(Alice, ls[0].Jira.ID, "spec.pdf", "application/pdf", spec)
				return err
			},
			want: func(e *Env, ls []backlog.Link) bool {
				f, ok := linearFile(ls[0], "spec.pdf")
				return ok && bytes.Equal(f.Data, spec)
			}},
		{name: "file above the cap linked", side: backlog.Jira, link: 0,
			edit: func(e *Env, ls []backlog.Link) (err error) {
				jiraBig, err = e.Jira.UserAttach(Alice, ls[0].Jira.ID, "demo.mp4", "video/mp4", big)
				return err
			},
			want: func(e *Env, ls []backlog.Link) bool {
				f, ok := linearFile(ls[0], "demo.mp4")
				return ok && f.Data == nil && strings.Contains(f.URL, jiraBig)
			}},
		{name: "file added", side: backlog.Linear, link: 1,
			edit: func(e *Env, ls []backlog.Link) (err error) {
				linearShot, err = e.Linear.UserAttachFile(Bob, ls[1].Linear.ID, "shot.png", "image/png", shot)
				return err
			},
			want: func(e *Env, ls []backlog.Link) bool {
				f, ok := jiraFile(ls[1], "shot.png")
				return ok && bytes.Equal(f.Data, shot) && f.MimeType == "image/png"
			}},
		{name: "file deleted", side: backlog.Jira, link: 0,
			edit: func(e *Env, _ []backlog.Link) error { return e.Jira.UserDeleteAttachment(Alice, jiraSpec) },
			want: func(e *Env, ls []backlog.Link) bool { _, ok := linearFile(ls[0], "spec.pdf"); return !ok }},
		{name: "large file deleted", side: backlog.Jira, link: 0,
			edit: func(e *Env, _ []backlog.Link) error { return e.Jira.UserDeleteAttachment(Alice, jiraBig) },
			want: func(e *Env, ls []backlog.Link) bool { _, ok := linearFile(ls[0], "demo.mp4"); return !ok }},
	}
	if o.Webhooks {
		rows = append(rows, fieldRow{name: "file deleted", side: backlog.Linear, link: 1,
			edit: func(e *Env, _ []backlog.Link) error { return e.Linear.UserDeleteAttachment(Bob, linearShot) },
			want: func(e *Env, ls []backlog.Link) bool { _, ok := jiraFile(ls[1], "shot.png"); return !ok }})
	}
	show := func(e *Env, ls []backlog.Link) string {
		var b strings.Builder
		for _, l := range ls {
			fmt.Fprintf(&b, "\n  jira %s:", l.Jira.Key)
			for _, f := range e.Jira.Attachments(l.Jira.ID) {
				fmt.Fprintf(&b, " %s (%d bytes, %s)", f.Filename, len(f.Data), f.Author)
			}
			fmt.Fprintf(&b, "\n  linear %s:", l.Linear.Key)
			for _, f := range e.Linear.IssueAttachments(l.Linear.ID) {
				fmt.Fprintf(&b, " %s (%d bytes, %s, %s)", f.Title, len(f.Data), f.URL, f.Creator)
			}
		}
		return b.String()
	}
	settleQuiet(t, e)
	for _, r := range rows {
		r.show = show
		t.Run(string(r.side)+"/"+strings.ReplaceAll(r.name, " ", "_"), func(t *testing.T) { runFieldRow(t, e, r, ls) })
	}
	// The cross-link and the files' pairs aside, nothing else is written
	// again: a copy is never copied back.
	if fs := e.Jira.Attachments(l0.Jira.ID); len(fs) != 0 {
		t.Errorf("jira %s keeps files %+v", l0.Jira.Key, fs)
	}
	rep, err := e.App.Syncer.Diff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.InSync() {
		t.Fatalf("not in sync after the edits: %+v", rep)
	}
}
