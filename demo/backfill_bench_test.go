package demo

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

// BenchmarkBackfill measures a first start against a Jira project of N
// issues and an empty Linear team: the API calls each tool answered until
// every issue has its twin and the daemon is idle, and after one more poll
// round of each side (which sees the twins and their moves), the time to
// the last twin and the pairs per second, and the peak heap of the whole
// process (daemon and both sandboxes: an upper bound of the daemon's).
// With no -cpuprofile given, it also reports the CPU time of the daemon,
// of the sandboxes and of the rest, and the pairs per daemon CPU second.
// Each N runs with cross-links on (the default: a Jira remote link per
// pair, a Linear attachment per pair, 50 to a request) and off.
// Webhooks are on (the twins' creates raise them); polls run every 30 s,
// the default.
func BenchmarkBackfill(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		for _, cross := range []string{"on", "off"} {
			b.Run(fmt.Sprintf("issues=%d/cross_links=%s", n, cross), func(b *testing.B) {
				mapping := filepath.Join(b.TempDir(), "mapping.yaml")
				if err := os.WriteFile(mapping, []byte("cross_links: "+cross+"\n"), 0o600); err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					b.StopTimer()
					e, err := StartEnv(b.Context(), EnvOptions{
						DataDir: b.TempDir(), PollEvery: 30 * time.Second, JiraSeed: n, LinearSeed: -1,
						Webhooks: true, OrderMaster: "jira", Log: slog.New(slog.DiscardHandler), MappingFile: mapping,
					})
					if err != nil {
						b.Fatal(err)
					}
					peak := watchHeap(b)
					cpu := cpuByPart(b)
					b.StartTimer()
					start := time.Now()
					if _, _, err := e.Settle(b.Context(), 30*time.Minute); err != nil {
						b.Fatal(err)
					}
					took := time.Since(start)
					b.StopTimer()
					if parts, ok := cpu(); ok {
						reportCPU(b, n, parts)
					}
					r := e.App.Daemon.Stats().Rounds
					for e.App.Daemon.Stats().Rounds < r+2 || !e.App.Daemon.Idle() {
						time.Sleep(10 * time.Millisecond)
					}
					j, l := e.Jira.Requests(jirasb.BotEmail), e.Linear.Requests(linearsb.BotEmail)
					b.Logf("jira %v\nlinear %v\nlinear points %v", j.ByOperation, l.ByOperation, l.ComplexityByOperation)
					b.ReportMetric(float64(j.Reads+j.Writes), "jira-calls")
					b.ReportMetric(float64(l.Reads+l.Writes), "linear-calls")
					b.ReportMetric(float64(l.Complexity), "linear-points")
					b.ReportMetric(float64(n)/took.Seconds(), "pairs/s")
					b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
					e.Close()
					b.StartTimer()
				}
			})
		}
	}
}

// watchHeap samples the heap in use every 50 ms until the benchmark ends;
// the function returns the largest sample so far.
func watchHeap(b *testing.B) func() uint64 {
	var mu sync.Mutex
	var peak uint64
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		mu.Lock()
		peak = max(peak, ms.HeapInuse)
		mu.Unlock()
	}
	stop := make(chan struct{})
	b.Cleanup(func() { close(stop) })
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() uint64 {
		sample()
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}
