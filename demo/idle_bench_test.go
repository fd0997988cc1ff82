package demo

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

// BenchmarkIdle measures what a sync with nothing to do costs: N linked
// pairs, settled, then poll rounds with no edit anywhere. It reports API
// calls per poll round on each side and the calls per hour they come to at
// the default 30 s poll interval (the budget of one key is 1,500–5,000
// requests an hour).
func BenchmarkIdle(b *testing.B) {
	for _, n := range []int{100, 1000, 5000, 20000} {
		b.Run(fmt.Sprintf("pairs=%d", n), func(b *testing.B) {
			e, err := StartEnv(b.Context(), EnvOptions{
				DataDir: b.TempDir(), PollEvery: 100 * time.Millisecond, JiraSeed: n / 2, LinearSeed: n - n/2,
				Webhooks: true, OrderMaster: "jira", Log: slog.New(slog.DiscardHandler),
			})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			if _, _, err := e.Settle(b.Context(), 10*time.Minute); err != nil {
				b.Fatal(err)
			}
			// Let the backfill's tail pass: the pollers' overlap windows
			// (Linear's 5 s; Jira's JQL has minute precision) re-read
			// recent issues until the tools' clocks are past them, and a
			// crowded window (more updates in one minute than a page
			// holds) is walked each round until Jira's clock is past it:
			// a one-off cost of a minute or two after a burst, not what
			// idle costs. Idle is three rounds in a row of one query a
			// side.
			quietRound := func() bool {
				e.Jira.ResetCounts()
				e.Linear.ResetCounts()
				r := e.App.Daemon.Stats().Rounds
				for e.App.Daemon.Stats().Rounds < r+2 {
					time.Sleep(5 * time.Millisecond)
				}
				j, l := e.Jira.Requests(jirasb.BotEmail), e.Linear.Requests(linearsb.BotEmail)
				return j.Reads+j.Writes <= 1 && l.Reads+l.Writes <= 1
			}
			settled := time.Now()
			for quiet, deadline := 0, time.Now().Add(8*time.Minute); quiet < 3 && time.Now().Before(deadline); {
				if quietRound() {
					quiet++
				} else {
					quiet = 0
				}
			}
			b.Logf("idle %s after the backfill settled", time.Since(settled).Round(time.Second))
			e.Jira.ResetCounts()
			e.Linear.ResetCounts()
			p0 := e.App.Daemon.Stats()
			b.ResetTimer()
			for b.Loop() {
				rounds := e.App.Daemon.Stats().Rounds
				for e.App.Daemon.Stats().Rounds < rounds+2 {
					time.Sleep(5 * time.Millisecond)
				}
			}
			b.StopTimer()
			p1 := e.App.Daemon.Stats()
			rounds := float64(p1.Rounds-p0.Rounds) / 2 // a round polls both sides
			j := e.Jira.Requests(jirasb.BotEmail)
			l := e.Linear.Requests(linearsb.BotEmail)
			jc, lc := float64(j.Reads+j.Writes), float64(l.Reads+l.Writes)
			b.Logf("jira %v\nlinear %v", j.ByOperation, l.ByOperation)
			b.ReportMetric(jc/rounds, "jira-calls/round")
			b.ReportMetric(lc/rounds, "linear-calls/round")
			b.ReportMetric(float64(p1.Passes-p0.Passes)/rounds, "passes/round")
			b.ReportMetric(jc/rounds*120, "jira-calls/h@30s")
			b.ReportMetric(lc/rounds*120, "linear-calls/h@30s")
		})
	}
}

// BenchmarkEditCalls counts the API calls one single-field edit costs,
// propagated by webhook: the pass it triggers (reads, the write) and the
// echo of that write (the other tool's webhook for Tandem's own change).
// Polling is slowed to an hour so only the webhook path runs.
func BenchmarkEditCalls(b *testing.B) {
	for _, dir := range []string{"jira-to-linear", "linear-to-jira"} {
		b.Run(dir, func(b *testing.B) {
			e, err := StartEnv(b.Context(), EnvOptions{
				DataDir: b.TempDir(), PollEvery: time.Hour, Webhooks: true, Log: slog.New(slog.DiscardHandler),
			})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			if _, _, err := e.Settle(b.Context(), time.Minute); err != nil {
				b.Fatal(err)
			}
			l, err := e.Pick(b.Context(), nil)
			if err != nil {
				b.Fatal(err)
			}
			quiet := func() {
				for !(e.App.Daemon.Idle() && e.Jira.PendingDeliveries() == 0 && e.Linear.PendingDeliveries() == 0) {
					time.Sleep(2 * time.Millisecond)
				}
				time.Sleep(50 * time.Millisecond)
				for !e.App.Daemon.Idle() {
					time.Sleep(2 * time.Millisecond)
				}
			}
			quiet()
			e.Jira.ResetCounts()
			e.Linear.ResetCounts()
			var jw, lw int
			for i := 0; b.Loop(); i++ {
				title := fmt.Sprintf("edit %d", i)
				if dir == "jira-to-linear" {
					err = e.Jira.UserEdit(Alice, l.Jira.ID, map[string]any{"summary": title})
				} else {
					err = e.Linear.UserUpdate(Bob, l.Linear.ID, map[string]any{"title": title})
				}
				if err != nil {
					b.Fatal(err)
				}
				if _, err := WaitFor(b.Context(), 10*time.Second, func() bool {
					if dir == "jira-to-linear" {
						return e.LinearIssue(l).Title == title
					}
					return e.JiraIssue(l).Summary == title
				}); err != nil {
					b.Fatal(err)
				}
				quiet()
			}
			j := e.Jira.Requests(jirasb.BotEmail)
			lc := e.Linear.Requests(linearsb.BotEmail)
			jw, lw = j.Writes, lc.Writes
			n := float64(b.N)
			b.Logf("jira %v\nlinear %v", j.ByOperation, lc.ByOperation)
			b.ReportMetric(float64(j.Reads+j.Writes+lc.Reads+lc.Writes)/n, "calls/edit")
			b.ReportMetric(float64(jw+lw)/n, "writes/edit")
			b.ReportMetric(float64(j.Reads)/n, "jira-reads/edit")
			b.ReportMetric(float64(lc.Reads)/n, "linear-reads/edit")
		})
	}
}
