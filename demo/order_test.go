package demo

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (e *Env) waitSameOrder(t testing.TB, within time.Duration) {
	t.Helper()
	if err := pollEvery(t.Context(), within, 50*time.Millisecond, func() bool {
		if !e.App.Daemon.Idle() {
			return false
		}
		j, l := e.LinkedOrders(t.Context())
		return len(j) > 0 && slices.Equal(j, l) && e.App.Daemon.Idle()
	}); err != nil {
		j, l := e.LinkedOrders(t.Context())
		t.Fatalf("orders differ (%d jira, %d linear linked): %v", len(j), len(l), err)
	}
}

// quiet waits until the daemon has been idle for a while, so that echoes
// of the last writes have been seen.
func (e *Env) quiet(t testing.TB) {
	t.Helper()
	for range 3 {
		if _, err := WaitFor(t.Context(), 20*time.Second, e.App.Daemon.Idle); err != nil {
			t.Fatal(err)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

func orderEnv(t *testing.T, master string, logs *lockedBuf) *Env {
	o := EnvOptions{Webhooks: true, PollEvery: time.Hour, OrderMaster: master, DataDir: t.TempDir(),
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	if master == "jira" {
		o.JiraSeed, o.LinearSeed = 500, -1
	} else {
		o.JiraSeed, o.LinearSeed = -1, 500
	}
	e, err := StartEnv(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	if _, _, err := e.Settle(t.Context(), 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	e.waitSameOrder(t, time.Minute)
	e.quiet(t)
	return e
}

// TestOrderJiraMaster: one issue dragged to the top of a 500-item Jira
// backlog costs exactly one Linear write; a drag made in Linear (the
// mirror) is put back with one write and logged.
func TestOrderJiraMaster(t *testing.T) {
	var logs lockedBuf
	e := orderEnv(t, "jira", &logs)
	e.Jira.ResetCounts()
	e.Linear.ResetCounts()

	issues := e.Jira.Issues()
	last, first := issues[len(issues)-1], issues[0]
	if err := e.Jira.UserRank(Alice, []string{last.Key}, first.Key, true); err != nil {
		t.Fatal(err)
	}
	e.waitSameOrder(t, 10*time.Second)
	e.quiet(t)
	if w := e.Linear.Requests(linearsb.BotEmail).Writes; w != 1 {
		t.Fatalf("linear writes after one drag = %d, want 1 (%v)", w, e.Linear.Requests(linearsb.BotEmail).ByOperation)
	}
	if w := e.Jira.Requests(jirasb.BotEmail).Writes; w != 0 {
		t.Fatalf("jira writes = %d, want 0 (the master is not written)", w)
	}

	// Someone drags in the mirror: Tandem puts it back.
	e.Linear.ResetCounts()
	lin := e.Linear.Issues()
	moved := lin[len(lin)/2]
	if err := e.Linear.UserMove(Bob, moved.ID, lin[0].SortOrder-1000); err != nil {
		t.Fatal(err)
	}
	e.waitSameOrder(t, 10*time.Second)
	e.quiet(t)
	if w := e.Linear.Requests(linearsb.BotEmail).Writes; w != 1 {
		t.Fatalf("linear writes to undo one mirror drag = %d, want 1", w)
	}
	if !strings.Contains(logs.String(), "put back to the master's order") {
		t.Fatal("the undone mirror reorder was not logged")
	}
}

// TestOrderLinearMaster: the same drag made in Linear, the master, costs
// exactly one Jira rank call.
func TestOrderLinearMaster(t *testing.T) {
	var logs lockedBuf
	e := orderEnv(t, "linear", &logs)
	e.Jira.ResetCounts()
	e.Linear.ResetCounts()
	lin := e.Linear.Issues()
	last := lin[len(lin)-1]
	if err := e.Linear.UserMove(Bob, last.ID, lin[0].SortOrder-1000); err != nil {
		t.Fatal(err)
	}
	e.waitSameOrder(t, 10*time.Second)
	e.quiet(t)
	c := e.Jira.Requests(jirasb.BotEmail)
	if c.Writes != 1 {
		t.Fatalf("jira writes after one drag = %d, want 1 rank call (%v)", c.Writes, c.ByOperation)
	}
	if w := e.Linear.Requests(linearsb.BotEmail).Writes; w != 0 {
		t.Fatalf("linear writes = %d, want 0", w)
	}
}
