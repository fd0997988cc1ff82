package demo

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

// BenchmarkFileCopy copies one 50 MB file (the cap raised to 100 MB) from
// each side to the other through the running daemon, by webhook, and
// reports the process's peak heap (sampled every 50 ms) above what it
// holds once the copy is done (both sandboxes keep the file, as storage
// does): what the copy itself needed, the daemon's streaming included. Both sandboxes run in the process, so
// their request handling counts too: an upper bound of the daemon's.
func BenchmarkFileCopy(b *testing.B) {
	const size = 50 << 20
	for _, from := range []backlog.Side{backlog.Jira, backlog.Linear} {
		b.Run("from="+string(from), func(b *testing.B) {
			dir := b.TempDir()
			mapping := filepath.Join(dir, "mapping.yaml")
			if err := os.WriteFile(mapping, []byte("attachments:\n  max_bytes: 100MB\n"), 0o600); err != nil {
				b.Fatal(err)
			}
			e, err := StartEnv(b.Context(), EnvOptions{DataDir: filepath.Join(dir, "store"), PollEvery: time.Hour, JiraSeed: 3, LinearSeed: -1,
				Webhooks: true, Log: slog.New(slog.DiscardHandler), MappingFile: mapping})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			if _, _, err := e.Settle(b.Context(), time.Minute); err != nil {
				b.Fatal(err)
			}
			l, err := e.Pick(b.Context(), func(v jirasb.IssueView) bool { return v.Type != "Sub-task" })
			if err != nil {
				b.Fatal(err)
			}
			data := bytes.Repeat([]byte("0123456789abcdef"), size/16)
			var over uint64
			for i := 0; b.Loop(); i++ {
				name := "dump-" + string(rune('a'+i%26)) + ".bin"
				runtime.GC()
				peak := watchHeap(b)
				if from == backlog.Jira {
					_, err = e.Jira.UserAttach(Alice, l.Jira.ID, name, "application/octet-stream", data)
				} else {
					_, err = e.Linear.UserAttachFile(Bob, l.Linear.ID, name, "application/octet-stream", data)
				}
				if err != nil {
					b.Fatal(err)
				}
				arrived := func() bool {
					if from == backlog.Jira {
						for _, f := range e.Linear.IssueAttachments(l.Linear.ID) {
							if f.Title == name && len(f.Data) == size {
								return true
							}
						}
						return false
					}
					for _, f := range e.Jira.Attachments(l.Jira.ID) {
						if f.Filename == name && len(f.Data) == size {
							return true
						}
					}
					return false
				}
				if _, err := WaitFor(b.Context(), 2*time.Minute, arrived); err != nil {
					b.Fatal(err)
				}
				p := peak()
				// What the process keeps once the copy is done: both
				// sandboxes' files. The peak above it is the copy's.
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if p > ms.HeapInuse {
					over = max(over, p-ms.HeapInuse)
				}
			}
			b.ReportMetric(float64(over)/(1<<20), "copy-peak-MB")
		})
	}
}
