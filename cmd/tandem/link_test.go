package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
	"github.com/tandem-sync/tandem/demo"
	"github.com/tandem-sync/tandem/reconcile"
)

// TestLinkByCLI: a Jira issue whose title two Linear issues share is left
// unlinked (ambiguous); `tandem link` pairs it through the admin API, the
// pair syncs and points at its twin; `tandem unlink` undoes it; errors
// exit 1 with a clear message.
func TestLinkByCLI(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	mapping := filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(mapping, []byte("match: {title: exact}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := demo.StartEnv(ctx, demo.EnvOptions{DataDir: dir, JiraSeed: -1, LinearSeed: -1, Webhooks: true, PollEvery: 200 * time.Millisecond,
		AdminToken: adminToken, MappingFile: mapping, Log: slog.New(slog.DiscardHandler),
		Seed: func(j *jirasb.Server, l *linearsb.Server) error {
			if _, _, err := j.UserCreate(demo.Alice, map[string]any{"summary": "Dup"}); err != nil {
				return err
			}
			for range 2 {
				if _, _, err := l.UserCreate(linearsb.AliceEmail, map[string]any{"title": "Dup"}); err != nil {
					return err
				}
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	if _, err := demo.WaitFor(ctx, 20*time.Second, func() bool { return len(e.App.Syncer.Ambiguous()) == 3 && e.App.Daemon.Idle() }); err != nil {
		t.Fatalf("ambiguous %+v: %v", e.App.Syncer.Ambiguous(), err)
	}
	t.Setenv("TANDEM_ADMIN_TOKEN", adminToken)
	t.Setenv("TANDEM_ADMIN_URL", "http://"+e.App.Addr())
	code, out, errs := run(t, "link", "TAN-1", "ENG-1")
	if code != 0 || !strings.Contains(out, "linked TAN-1 ↔ ENG-1") {
		t.Fatalf("link: exit %d %q %q", code, out, errs)
	}
	var link backlog.Link
	tan1, _ := e.Jira.Issue("TAN-1")
	if _, err := demo.WaitFor(ctx, 20*time.Second, func() bool {
		var err error
		link, err = e.App.State.LinkBy(ctx, backlog.Ref{Side: backlog.Jira, ID: tan1.ID})
		return err == nil && len(e.Jira.RemoteLinks("TAN-1")) == 1 && len(e.Linear.Attachments("ENG-1")) == 1
	}); err != nil {
		t.Fatalf("link %+v, remote links %+v: %v", link, e.Jira.RemoteLinks("TAN-1"), err)
	}
	if err := e.Jira.UserEdit(demo.Alice, "TAN-1", map[string]any{"summary": "Dup, fixed by hand"}); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.WaitFor(ctx, 10*time.Second, func() bool { return e.LinearIssue(link).Title == "Dup, fixed by hand" }); err != nil {
		t.Fatal("the pair linked by hand does not sync")
	}
	// Errors: linked elsewhere, unknown issue, bad arguments.
	if code, _, errs = run(t, "link", "TAN-1", "ENG-2"); code != 1 || !strings.Contains(errs, "TAN-1 is linked to ENG-1") {
		t.Fatalf("relink: exit %d %q", code, errs)
	}
	if code, _, errs = run(t, "link", "TAN-404", "ENG-2"); code != 1 || !strings.Contains(errs, "TAN-404") {
		t.Fatalf("unknown: exit %d %q", code, errs)
	}
	if code, _, _ = run(t, "link", "TAN-1"); code != 2 {
		t.Fatalf("one argument: exit %d", code)
	}
	// Unlink: stopped by hand, cross-links gone, no more sync.
	if code, out, errs = run(t, "unlink", "--linear", "ENG-1"); code != 0 || !strings.Contains(out, "unlinked linear ENG-1") {
		t.Fatalf("unlink: exit %d %q %q", code, out, errs)
	}
	l, err := e.App.State.Link(ctx, link.ID())
	if err != nil || l.Stopped != reconcile.UnlinkedByHand || len(e.Jira.RemoteLinks("TAN-1")) != 0 || len(e.Linear.Attachments("ENG-1")) != 0 {
		t.Fatalf("after unlink: %+v %v, remote links %v, attachments %v", l, err, e.Jira.RemoteLinks("TAN-1"), e.Linear.Attachments("ENG-1"))
	}
	if err := e.Jira.UserEdit(demo.Alice, "TAN-1", map[string]any{"summary": "Edited after unlink"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if e.LinearIssue(link).Title == "Edited after unlink" {
		t.Fatal("an unlinked pair synced")
	}
	if code, _, errs = run(t, "unlink", "TAN-404"); code != 1 {
		t.Fatalf("unlink unknown: exit %d %q", code, errs)
	}
}

// TestLinkFileByCLI: `tandem link --file` links every good line and
// reports the bad ones.
func TestLinkFileByCLI(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "pairs.csv")
	if err := os.WriteFile(f, []byte("jira,linear\nTAN-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run(t, "link", "--file", f); code != 1 || !strings.Contains(errs, "line 2: want two columns") {
		t.Fatalf("bad file: exit %d %q", code, errs)
	}
	if code, _, errs := run(t, "link", "--file", filepath.Join(dir, "none.csv")); code != 1 || !strings.Contains(errs, "none.csv") {
		t.Fatalf("missing file: exit %d %q", code, errs)
	}
}

// TestLinkDirect: with no admin token the CLI works on the tools and the
// (shared Redis) store itself.
func TestLinkDirect(t *testing.T) {
	e := redisWorld(t, "link", false)
	ctx := t.Context()
	if _, _, err := e.Settle(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TANDEM_ADMIN_TOKEN", "")
	tan1, _ := e.Jira.Issue("TAN-1")
	l, err := e.App.State.LinkBy(ctx, backlog.Ref{Side: backlog.Jira, ID: tan1.ID})
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errs := run(t, "unlink", "TAN-1"); code != 0 || !strings.Contains(out, "unlinked jira TAN-1") {
		t.Fatalf("unlink: exit %d %q %q", code, out, errs)
	}
	if got, _ := e.App.State.Link(ctx, l.ID()); got.Stopped != reconcile.UnlinkedByHand {
		t.Fatalf("link %+v", got)
	}
	if code, out, errs := run(t, "link", "TAN-1", l.Linear.Key); code != 0 || !strings.Contains(out, "linked TAN-1 ↔ "+l.Linear.Key) {
		t.Fatalf("link: exit %d %q %q", code, out, errs)
	}
	if got, _ := e.App.State.Link(ctx, l.ID()); got.Stopped != "" || got.Jira.ID != tan1.ID {
		t.Fatalf("link %+v", got)
	}
}
