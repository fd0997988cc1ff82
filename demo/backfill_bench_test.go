package demo

import (
	"fmt"
	"log/slog"
	"runtime"
	"testing"
	"time"

	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

// BenchmarkBackfill measures a first start against a Jira project of N
// issues and an empty Linear team: the API calls each tool answered until
// every issue has its twin and the daemon is idle, the time it took and
// the pairs per second. Webhooks are on (the twins' creates raise them),
// polling at the default pace of a test run.
func BenchmarkBackfill(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("issues=%d", n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				e, err := StartEnv(b.Context(), EnvOptions{
					DataDir: b.TempDir(), PollEvery: 200 * time.Millisecond, JiraSeed: n, LinearSeed: -1,
					Webhooks: true, OrderMaster: "jira", Log: slog.New(slog.DiscardHandler),
				})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				if _, _, err := e.Settle(b.Context(), 30*time.Minute); err != nil {
					b.Fatal(err)
				}
				took := time.Since(start)
				b.StopTimer()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				j, l := e.Jira.Requests(jirasb.BotEmail), e.Linear.Requests(linearsb.BotEmail)
				b.Logf("jira %v\nlinear %v", j.ByOperation, l.ByOperation)
				b.ReportMetric(float64(j.Reads+j.Writes), "jira-calls")
				b.ReportMetric(float64(l.Reads+l.Writes), "linear-calls")
				b.ReportMetric(float64(n)/took.Seconds(), "pairs/s")
				b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
				e.Close()
				b.StartTimer()
			}
		})
	}
}
