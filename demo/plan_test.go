package demo

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
	"github.com/tandem-sync/tandem/match"
	"github.com/tandem-sync/tandem/reconcile"
)

// TestPlanOnFullTools: before the first start, the plan reports exactly
// the world's numbers with read calls only; a start then does what it
// said, after which the plan has nothing to do.
func TestPlanOnFullTools(t *testing.T) {
	const n, amb = 30, 5 // 150 Jira issues and 185 Linear ones: several batches
	dir := t.TempDir()
	w := &fullWorld{n: n, amb: amb}
	var base string
	mapping := filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(mapping, []byte("match:\n  title: exact\n  pairs: pairs.csv\nfirst_sync: jira\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	seed := w.seed(&base)
	e, err := StartEnv(t.Context(), EnvOptions{DataDir: filepath.Join(dir, "store"), JiraSeed: -1, LinearSeed: -1, Webhooks: true,
		PollEvery: 300 * time.Millisecond, MappingFile: mapping, Log: testLog(t), NoStart: true,
		Seed: func(j *jirasb.Server, l *linearsb.Server) error {
			base = j.URL()
			if err := seed(j, l); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "pairs.csv"), []byte(w.pairs.String()), 0o600)
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	e.Jira.ResetCounts()
	e.Linear.ResetCounts()
	rep, err := e.App.Syncer.Plan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	j, l := e.Jira.Requests(jirasb.BotEmail), e.Linear.Requests(linearsb.BotEmail)
	if j.Writes != 0 || l.Writes != 0 {
		t.Fatalf("the plan wrote: jira %v, linear %v", j.ByOperation, l.ByOperation)
	}
	t.Logf("plan cost: jira %d reads %v, linear %d reads %v", j.Reads, j.ByOperation, l.Reads, l.ByOperation)
	by := rep.BySignal()
	if len(rep.Matched) != 3*n || by[match.CrossLink] != n || by[match.Key] != n || by[match.Pairs] != n {
		t.Fatalf("matched %d by %v, want %d of each", len(rep.Matched), by, n)
	}
	if len(rep.CreateInLinear) != n || len(rep.CreateInJira) != n || len(rep.Ambiguous) != 3*amb || rep.Linked != 0 || !rep.Changes() {
		t.Fatalf("create in linear %d, in jira %d, ambiguous %d, linked %d", len(rep.CreateInLinear), len(rep.CreateInJira), len(rep.Ambiguous), rep.Linked)
	}
	for _, m := range rep.Matched {
		// The copies' titles differ (but for the keyed ones, where only
		// the key prefix does): the first sync takes Jira's.
		if len(m.Differences) == 0 || m.Differences[0].Take != "jira" {
			t.Fatalf("%s ↔ %s: %+v", m.Jira.Key, m.Linear.Key, m.Differences)
		}
	}
	// The start does what the plan said.
	if err := e.Restart(context.WithoutCancel(t.Context())); err != nil {
		t.Fatal(err)
	}
	settleLinks(t, e, 5*n)
	time.Sleep(time.Second)
	settleLinks(t, e, 5*n)
	if got := len(e.App.Syncer.Ambiguous()); got != 3*amb {
		t.Fatalf("ambiguous after start: %d", got)
	}
	e.Jira.ResetCounts()
	e.Linear.ResetCounts()
	after, err := e.App.Syncer.Plan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if after.Changes() || after.Linked != 5*n || len(after.Ambiguous) != 3*amb {
		t.Fatalf("plan after the start: linked %d, matched %d, create %d/%d, ambiguous %d", after.Linked, len(after.Matched), len(after.CreateInLinear), len(after.CreateInJira), len(after.Ambiguous))
	}
	if e.Jira.Requests(jirasb.BotEmail).Writes+e.Linear.Requests(linearsb.BotEmail).Writes != 0 {
		t.Fatal("the second plan wrote")
	}
	// The store is lost: the plan shows every pair re-linked, by its
	// cross-link or (Jira twins Tandem made) its origin marker, and
	// nothing to create.
	e.App.Close()
	e.App = nil
	e.Config.DataDir = filepath.Join(dir, "store-lost")
	e.noStart = true
	if err := e.startApp(context.WithoutCancel(t.Context())); err != nil {
		t.Fatal(err)
	}
	lost, err := e.App.Syncer.Plan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	by = lost.BySignal()
	if len(lost.Matched) != 5*n || by[match.CrossLink]+by[reconcile.SignalOrigin] != 5*n || len(lost.CreateInLinear)+len(lost.CreateInJira) != 0 {
		t.Fatalf("plan after a lost store: matched %d by %v, create %d/%d", len(lost.Matched), by, len(lost.CreateInLinear), len(lost.CreateInJira))
	}
}
