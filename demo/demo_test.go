package demo

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
	"github.com/tandem-sync/tandem/reconcile"
	"github.com/tandem-sync/tandem/store"
)

func redisURL() string {
	if u := os.Getenv("TANDEM_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379"
}

func testLog(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.DiscardHandler)
}

func start(t *testing.T, o EnvOptions) *Env {
	t.Helper()
	if o.DataDir == "" && o.RedisURL == "" {
		o.DataDir = t.TempDir()
	}
	if o.Log == nil {
		o.Log = testLog(t)
	}
	e, err := StartEnv(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	if _, _, err := e.Settle(t.Context(), 60*time.Second); err != nil {
		t.Fatal(err)
	}
	return e
}

type storeCase struct {
	name string
	opts EnvOptions
}

// bothStores is a test table over the embedded store and Redis.
func bothStores() []storeCase {
	return []storeCase{
		{"embedded", EnvOptions{}},
		{"redis", EnvOptions{RedisURL: redisURL(), RedisPrefix: randomPrefix()}},
	}
}

func randomPrefix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "tandem-test-" + hex.EncodeToString(b) + ":"
}

// TestTitleBothWaysByWebhook: with polling practically off, a title edit on
// either side reaches the other through the webhook path alone.
func TestTitleBothWaysByWebhook(t *testing.T) {
	e := start(t, EnvOptions{Webhooks: true, PollEvery: time.Hour})
	ctx := t.Context()
	l, err := e.Pick(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	polls := e.App.Daemon.Stats().Polls
	if err := e.Jira.UserEdit(Alice, l.Jira.ID, map[string]any{"summary": "From Jira by webhook"}); err != nil {
		t.Fatal(err)
	}
	if _, err := WaitFor(ctx, 10*time.Second, func() bool { return e.LinearIssue(l).Title == "From Jira by webhook" }); err != nil {
		t.Fatalf("jira -> linear: linear title %q: %v", e.LinearIssue(l).Title, err)
	}
	if err := e.Linear.UserUpdate(Bob, l.Linear.ID, map[string]any{"title": "From Linear by webhook"}); err != nil {
		t.Fatal(err)
	}
	if _, err := WaitFor(ctx, 10*time.Second, func() bool { return e.JiraIssue(l).Summary == "From Linear by webhook" }); err != nil {
		t.Fatalf("linear -> jira: jira summary %q: %v", e.JiraIssue(l).Summary, err)
	}
	if got := e.App.Daemon.Stats().Polls; got != polls {
		t.Fatalf("a poll ran (%d -> %d): the test no longer proves the webhook path", polls, got)
	}
	if e.App.Daemon.Stats().Deliveries == 0 {
		t.Fatal("no webhook delivery was received")
	}
}

// TestTitleBothWaysByPolling: with no webhooks registered, polling alone
// carries edits both ways.
func TestTitleBothWaysByPolling(t *testing.T) {
	e := start(t, EnvOptions{Webhooks: false, PollEvery: 200 * time.Millisecond})
	ctx := t.Context()
	l, err := e.Pick(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Jira.UserEdit(Alice, l.Jira.ID, map[string]any{"summary": "From Jira by polling"}); err != nil {
		t.Fatal(err)
	}
	if _, err := WaitFor(ctx, 15*time.Second, func() bool { return e.LinearIssue(l).Title == "From Jira by polling" }); err != nil {
		t.Fatalf("jira -> linear: %v", err)
	}
	if err := e.Linear.UserUpdate(Bob, l.Linear.ID, map[string]any{"title": "From Linear by polling"}); err != nil {
		t.Fatal(err)
	}
	if _, err := WaitFor(ctx, 15*time.Second, func() bool { return e.JiraIssue(l).Summary == "From Linear by polling" }); err != nil {
		t.Fatalf("linear -> jira: %v", err)
	}
	if d := e.App.Daemon.Stats().Deliveries; d != 0 {
		t.Fatalf("%d webhook deliveries arrived though none were registered", d)
	}
}

// TestConflictJiraWins: both sides edit the same field before Tandem sees
// either; exactly one conflict is logged and Jira's value lands on both.
func TestConflictJiraWins(t *testing.T) {
	e := start(t, EnvOptions{Webhooks: true, PollEvery: 500 * time.Millisecond})
	ctx := t.Context()
	l, err := e.Pick(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := e.JiraIssue(l).Summary
	if err := e.RetitleBoth(ctx, l, "Jira says", "Linear says"); err != nil {
		t.Fatal(err)
	}
	if _, err := WaitFor(ctx, 10*time.Second, func() bool { return e.LinearIssue(l).Title == "Jira says" }); err != nil {
		t.Fatalf("linear title %q: %v", e.LinearIssue(l).Title, err)
	}
	// Let webhooks and a poll or two run over the pair again.
	time.Sleep(1200 * time.Millisecond)
	if _, err := WaitFor(ctx, 10*time.Second, e.App.Daemon.Idle); err != nil {
		t.Fatal(err)
	}
	cs, err := e.App.State.Conflicts(ctx, store.ConflictFilter{LinkID: l.ID()})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 {
		t.Fatalf("%d conflict records, want exactly 1: %+v", len(cs), cs)
	}
	c := cs[0]
	if c.Field != backlog.Title || c.Base != backlog.Value(base) || c.JiraVal != "Jira says" || c.LinVal != "Linear says" ||
		c.Policy != backlog.PolicyJira || c.Decision != backlog.Jira || c.Open() {
		t.Fatalf("conflict record = %+v", c)
	}
	if got := e.JiraIssue(l).Summary; got != "Jira says" {
		t.Fatalf("jira summary %q", got)
	}
}

// TestScenarioHasNoEchoWrites plays the demo scenario on the embedded store
// and on Redis: every propagation costs exactly one write and our own
// writes never come back as new ones.
func TestScenarioHasNoEchoWrites(t *testing.T) {
	for _, tc := range bothStores() {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Webhooks = true
			tc.opts.PollEvery = 500 * time.Millisecond
			if tc.opts.DataDir == "" && tc.opts.RedisURL == "" {
				tc.opts.DataDir = t.TempDir()
			}
			tc.opts.Log = testLog(t)
			e, err := StartEnv(t.Context(), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(e.Close)
			var out bytes.Buffer
			rep, err := e.RunScenario(t.Context(), &out)
			t.Log("\n" + out.String())
			if err != nil {
				t.Fatal(err)
			}
			if rep.InitialLinks == 0 || len(rep.Steps) < 5 {
				t.Fatalf("report = %+v", rep)
			}
			if rep.JiraWrites+rep.LinearWrites != rep.ExpectedWrites {
				t.Fatalf("tandem wrote jira %d + linear %d times for %d propagations: echo or duplicate writes\njira ops %v\nlinear ops %v",
					rep.JiraWrites, rep.LinearWrites, rep.ExpectedWrites,
					e.Jira.Requests(jirasb.BotEmail).ByOperation, e.Linear.Requests(linearsb.BotEmail).ByOperation)
			}
		})
	}
}

// TestRestartResumes: Tandem restarted on the same embedded store finds
// every link, creates no second twin, and keeps syncing.
func TestRestartResumes(t *testing.T) {
	e := start(t, EnvOptions{Webhooks: true, PollEvery: 300 * time.Millisecond})
	ctx := t.Context()
	nj, nl := len(e.Jira.Issues()), len(e.Linear.Issues())
	if err := e.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	l, err := e.Pick(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Jira.UserEdit(Alice, l.Jira.ID, map[string]any{"summary": "After restart"}); err != nil {
		t.Fatal(err)
	}
	if _, err := WaitFor(ctx, 10*time.Second, func() bool { return e.LinearIssue(l).Title == "After restart" }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // a few polls over everything
	if _, err := WaitFor(ctx, 10*time.Second, e.App.Daemon.Idle); err != nil {
		t.Fatal(err)
	}
	if len(e.Jira.Issues()) != nj || len(e.Linear.Issues()) != nl {
		t.Fatalf("issues after restart: jira %d (was %d), linear %d (was %d)", len(e.Jira.Issues()), nj, len(e.Linear.Issues()), nl)
	}
}

// TestOperationsEndpoints: /healthz, /readyz (store and both tools) and
// /metrics (propagations by direction and field, API calls by connector).
func TestOperationsEndpoints(t *testing.T) {
	e := start(t, EnvOptions{Webhooks: true, PollEvery: time.Hour})
	ctx := t.Context()
	l, err := e.Pick(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Jira.UserEdit(Alice, l.Jira.ID, map[string]any{"summary": "Measured"}); err != nil {
		t.Fatal(err)
	}
	if _, err := WaitFor(ctx, 10*time.Second, func() bool { return e.LinearIssue(l).Title == "Measured" }); err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + e.App.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 {
		t.Fatalf("healthz %d %s", code, body)
	}
	code, body := get("/readyz")
	if code != 200 || !strings.Contains(body, `"jira":{"ok":true`) || !strings.Contains(body, `"store":{"ok":true`) {
		t.Fatalf("readyz %d %s", code, body)
	}
	// The write is visible in Linear a moment before the pass records it.
	WaitFor(ctx, 5*time.Second, func() bool {
		_, body = get("/metrics")
		return strings.Contains(body, `tandem_propagations_total{direction="jira_to_linear",field="title"} 1`)
	})
	for _, want := range []string{
		`tandem_propagations_total{direction="jira_to_linear",field="title"} 1`,
		`tandem_propagation_latency_seconds_count{direction="jira_to_linear",field="title"} 1`,
		`tandem_api_calls_total{code="2xx",connector="jira",method="GET"}`,
		`tandem_api_calls_total{code="2xx",connector="linear",method="POST"}`,
		`tandem_queue_depth`, `tandem_links`, `tandem_sync_passes_total{outcome="ok"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// The admin API is off without a token.
	if code, _ := get("/api/v1/status"); code != 404 {
		t.Fatalf("admin API without a token: %d, want 404", code)
	}
	// A tool that stops answering makes the daemon unready.
	e.Linear.Close()
	// A pass of the Linear twin reads Linear (one of the unchanged Jira
	// issue would end after reading Jira).
	e.App.Daemon.Enqueue(ctx, l.Linear)
	if _, err := WaitFor(ctx, 10*time.Second, func() bool { c, _ := get("/readyz"); return c == 503 }); err != nil {
		_, b := get("/readyz")
		t.Fatalf("readyz still ready with linear down: %s", b)
	}
}

// TestConflictLogSurvivesRestart: an open (manual) conflict and a settled
// one are still in the log after a restart, on the embedded store and on
// Redis, and the open one can still be settled.
func TestConflictLogSurvivesRestart(t *testing.T) {
	for _, tc := range bothStores() {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Webhooks, tc.opts.PollEvery, tc.opts.Policy = true, time.Hour, "manual"
			e := start(t, tc.opts)
			ctx := t.Context()
			l, err := e.Pick(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.RetitleBoth(ctx, l, "J", "L"); err != nil {
				t.Fatal(err)
			}
			if _, err := WaitFor(ctx, 10*time.Second, func() bool {
				cs, _ := e.App.State.Conflicts(ctx, store.ConflictFilter{OpenOnly: true})
				return len(cs) == 1
			}); err != nil {
				t.Fatal(err)
			}
			before, _ := e.App.State.Conflicts(ctx, store.ConflictFilter{})
			if err := e.Restart(ctx); err != nil {
				t.Fatal(err)
			}
			after, err := e.App.State.Conflicts(ctx, store.ConflictFilter{})
			if err != nil || len(after) != len(before) || after[0].ID != before[0].ID || !after[0].Open() || after[0].JiraVal != "J" {
				t.Fatalf("after restart %+v (%v), before %+v", after, err, before)
			}
			// Still held after the restart: both sides keep their values.
			e.App.Daemon.Enqueue(ctx, l.Jira)
			time.Sleep(200 * time.Millisecond)
			if e.JiraIssue(l).Summary != "J" || e.LinearIssue(l).Title != "L" {
				t.Fatal("the restarted daemon did not hold the open conflict")
			}
			if _, err := reconcile.Resolve(ctx, e.App.State, after[0].ID, reconcile.Decision{Take: "jira", By: "test"}, time.Now()); err != nil {
				t.Fatal(err)
			}
			e.App.Daemon.Enqueue(ctx, l.Jira)
			if _, err := WaitFor(ctx, 10*time.Second, func() bool { return e.LinearIssue(l).Title == "J" }); err != nil {
				t.Fatal(err)
			}
		})
	}
}
