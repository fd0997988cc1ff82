package demo

import (
	"fmt"
	"log/slog"
	"testing"
	"time"
)

// BenchmarkPropagation measures edit-to-visible latency through the whole
// webhook path (sandbox webhook -> verify -> dirty mark -> queue -> pass ->
// write to the other sandbox), one edit at a time, on the embedded store
// and on Redis.
func BenchmarkPropagation(b *testing.B) {
	for _, store := range []string{"embedded", "redis"} {
		for _, dir := range []string{"jira-to-linear", "linear-to-jira"} {
			b.Run(store+"/"+dir, func(b *testing.B) {
				o := EnvOptions{Webhooks: true, PollEvery: time.Hour, Log: slog.New(slog.DiscardHandler)}
				if store == "redis" {
					o.RedisURL, o.RedisPrefix = redisURL(), randomPrefix()
				} else {
					o.DataDir = b.TempDir()
				}
				e, err := StartEnv(b.Context(), o)
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
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					title := fmt.Sprintf("bench %d", i)
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
				}
			})
		}
	}
}
