package admin_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tandem-sync/tandem/backlog"
	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
	"github.com/tandem-sync/tandem/demo"
	"github.com/tandem-sync/tandem/reconcile"
)

// TestBrowserLinksByHand: one Jira issue and two Linear issues share a
// title, so matching leaves all three unlinked; the page lists them, one
// click links the Jira issue with the first Linear one, a second pairing
// of it is refused with the reason, and the form unlinks it again.
func TestBrowserLinksByHand(t *testing.T) {
	ctx := t.Context()
	token := randomToken()
	dir := t.TempDir()
	mapping := filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(mapping, []byte("match: {title: exact}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env, err := demo.StartEnv(ctx, demo.EnvOptions{
		DataDir: dir, AdminToken: token, MappingFile: mapping, JiraSeed: -1, LinearSeed: -1,
		Webhooks: true, PollEvery: 500 * time.Millisecond, Log: slog.New(slog.DiscardHandler),
		Seed: func(j *jirasb.Server, l *linearsb.Server) error {
			if _, _, err := j.UserCreate(demo.Alice, map[string]any{"summary": "Same title"}); err != nil {
				return err
			}
			for range 2 {
				if _, _, err := l.UserCreate(linearsb.AliceEmail, map[string]any{"title": "Same title"}); err != nil {
					return err
				}
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	if _, err := demo.WaitFor(ctx, 20*time.Second, func() bool { return len(env.App.Syncer.Ambiguous()) == 3 && env.App.Daemon.Idle() }); err != nil {
		t.Fatalf("ambiguous %+v: %v", env.App.Syncer.Ambiguous(), err)
	}
	base := "http://" + env.App.Addr()
	b := browser(t, "409")
	do(t, b, "signing in",
		chromedp.Navigate(base+"/ui"),
		chromedp.WaitVisible(tid("token-input")),
		chromedp.SendKeys(tid("token-input"), token),
		chromedp.Click(tid("login-submit")),
		chromedp.WaitVisible(tid("ambiguous-table")))
	until(t, b, "three ambiguous rows", `document.querySelectorAll('[data-testid="ambiguous-row"]').length === 3`, 10*time.Second)
	shot(t, b, "pairing-ambiguous")
	btn := `tr[data-testid="ambiguous-row"][data-item="TAN-1"] button[data-linear="ENG-1"]`
	do(t, b, "linking with one click", chromedp.Click(chromedp.CSS(btn)))
	until(t, b, "the notice", textOf("notice")+`.includes("Linked TAN-1 ↔ ENG-1")`, 5*time.Second)
	tan1, _ := env.Jira.Issue("TAN-1")
	link, err := env.App.State.LinkBy(ctx, backlog.Ref{Side: backlog.Jira, ID: tan1.ID})
	if err != nil || link.Linear.Key != "ENG-1" {
		t.Fatalf("link %+v %v", link, err)
	}
	until(t, b, "TAN-1 off the list", `!document.querySelector('tr[data-testid="ambiguous-row"][data-item="TAN-1"]')`, 5*time.Second)
	if _, err := demo.WaitFor(ctx, 10*time.Second, func() bool { return len(env.Jira.RemoteLinks("TAN-1")) == 1 }); err != nil {
		t.Fatal("the pair linked on the page has no cross-link")
	}

	redo(t, b, "pairing TAN-1 again",
		chromedp.SetValue(tid("link-jira"), "TAN-1"),
		chromedp.SetValue(tid("link-linear"), "ENG-2"),
		chromedp.Click(tid("link-submit")),
		chromedp.WaitVisible(tid("link-error")))
	if got := text(t, b, "link-error"); !strings.Contains(got, "TAN-1 is linked to ENG-1") {
		t.Fatalf("link error %q", got)
	}
	redo(t, b, "unlinking", chromedp.Click(tid("unlink-submit")))
	until(t, b, "the unlink notice", textOf("notice")+`.includes("Unlinked TAN-1")`, 5*time.Second)
	if l, err := env.App.State.Link(ctx, link.ID()); err != nil || l.Stopped != reconcile.UnlinkedByHand {
		t.Fatalf("after unlink: %+v %v", l, err)
	}
}
