package daemon

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Backfill progress: while the first poll rounds find work, report how
// many passes ran, the rate and the time left, as a line rewritten in place
// on a terminal (Progress set) and as structured log lines otherwise.

// progress reports every interval until the queue has drained once after
// both pollers completed a full round, then reports the total and stops.
func (d *Daemon) progress(ctx context.Context, every time.Duration, roundsDone func() bool) {
	if every <= 0 {
		every = 2 * time.Second
	}
	start := time.Now()
	startPasses := d.stats.Passes.Load()
	t := time.NewTicker(every)
	defer t.Stop()
	last := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		done := d.stats.Passes.Load() - startPasses
		left := d.q.Len()
		elapsed := time.Since(start)
		rate := float64(done) / elapsed.Seconds()
		eta := "unknown"
		if rate > 0 {
			eta = time.Duration(float64(left) / rate * float64(time.Second)).Round(time.Second).String()
		}
		finished := roundsDone() && left == 0
		if d.Progress != nil {
			line := fmt.Sprintf("\rbackfill: %d synced, %d waiting, %.1f/s, %s left   ", done, left, rate, eta)
			if finished {
				line = fmt.Sprintf("\rbackfill: %d synced in %s (%.1f/s)            \n", done, elapsed.Round(time.Second), rate)
			}
			if line != last {
				io.WriteString(d.Progress, line)
				last = line
			}
		} else if done > 0 || left > 0 {
			d.Log.Info("backfill progress", "synced", done, "waiting", left, "per_second", fmt.Sprintf("%.1f", rate), "eta", eta, "finished", finished)
		}
		if finished {
			return
		}
	}
}
