package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb syncBuf
	code := Main(t.Context(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsage(t *testing.T) {
	if code, _, errs := run(t); code != 2 || !strings.Contains(errs, "Available Commands:") {
		t.Fatalf("no command: exit %d, want 2 and the usage: %q", code, errs)
	}
	if code, _, errs := run(t, "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Fatalf("unknown command: exit %d, %q", code, errs)
	}
	if code, out, _ := run(t, "help"); code != 0 || !strings.Contains(out, "demo") {
		t.Fatalf("help: exit %d", code)
	}
	if code, _, _ := run(t, "demo", "--bogus"); code != 2 {
		t.Fatalf("bad flag: exit %d, want 2", code)
	}
}

// TestRunNamesTheMissingVariable: a missing setting stops `run` with one
// line naming the variable and exit code 2.
func TestRunNamesTheMissingVariable(t *testing.T) {
	for _, k := range []string{"TANDEM_JIRA_URL", "TANDEM_JIRA_EMAIL", "TANDEM_JIRA_TOKEN", "TANDEM_JIRA_PROJECT", "TANDEM_LINEAR_API_KEY", "TANDEM_LINEAR_TEAM", "TANDEM_REDIS_URL"} {
		t.Setenv(k, "")
	}
	t.Setenv("TANDEM_JIRA_URL", "https://example.atlassian.net")
	t.Setenv("TANDEM_JIRA_EMAIL", "bot@example.com")
	code, _, errs := run(t, "run")
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if code != 2 || len(lines) != 1 || !strings.Contains(errs, "TANDEM_JIRA_TOKEN") {
		t.Fatalf("exit %d, stderr %q: want one line naming TANDEM_JIRA_TOKEN", code, errs)
	}
	t.Setenv("TANDEM_JIRA_TOKEN", "x")
	t.Setenv("TANDEM_JIRA_PROJECT", "TAN")
	t.Setenv("TANDEM_LINEAR_API_KEY", "k")
	t.Setenv("TANDEM_LINEAR_TEAM", "ENG")
	t.Setenv("TANDEM_POLL_INTERVAL", "often")
	if code, _, errs := run(t, "run"); code != 2 || !strings.Contains(errs, "TANDEM_POLL_INTERVAL") {
		t.Fatalf("exit %d, stderr %q: want TANDEM_POLL_INTERVAL named", code, errs)
	}
}

func TestDemoExitsZero(t *testing.T) {
	code, out, errs := run(t, "demo", "--data", t.TempDir())
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	for _, want := range []string{"initial sync", "conflict on", "no echo writes", "demo done"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}

func TestSandboxServesUntilStopped(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var out, errb syncBuf
	done := make(chan int)
	go func() {
		// One flag spelt the standard flag package's way, as older scripts do.
		done <- Main(ctx, []string{"sandbox", "-jira-addr", "127.0.0.1:0", "--linear-addr", "127.0.0.1:0"}, &out, &errb)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "/graphql") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "jira:") || !strings.Contains(out.String(), "http://127.0.0.1:") {
		t.Fatalf("sandbox did not print its addresses: %q", out.String())
	}
}
