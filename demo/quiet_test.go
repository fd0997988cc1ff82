package demo

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestDemoLogsNoWarnings: `tandem demo` logs at WARN, so anything it logs
// there is read as a problem. Its own seed data must not cause one: the
// startup and first sync (a twin for every seeded issue, both ways) log no
// WARN line, and neither does the rest of the scenario.
func TestDemoLogsNoWarnings(t *testing.T) {
	var logs lockedBuf
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := t.Context()
	e, err := StartEnv(ctx, DemoOptions(t.TempDir(), log))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	n, _, err := e.Settle(ctx, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("the first sync linked nothing")
	}
	if got := logs.String(); got != "" {
		t.Fatalf("startup and first sync of %d pairs logged:\n%s", n, got)
	}
	if _, err := e.RunScenario(ctx, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got := logs.String(); got != "" {
		t.Fatalf("the scenario logged:\n%s", got)
	}
	// The handler does write what reaches WARN: the check above can fail.
	log.Warn("probe")
	if !strings.Contains(logs.String(), "level=WARN msg=probe") {
		t.Fatalf("the capture missed a WARN line: %q", logs.String())
	}
}
