package daemon

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tandem-sync/tandem/budget"
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
	spent0 := map[string]int64{}
	for tool, snap := range d.Budgets {
		spent0[tool] = snap().Spent()
	}
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
		eta, bound := "unknown", ""
		if rate > 0 {
			until := time.Duration(float64(left) / rate * float64(time.Second))
			for tool, snap := range d.Budgets {
				sn := snap()
				if b := budgetETA(left, done, sn.Spent()-spent0[tool], sn); b > until {
					until, bound = b, tool
				}
			}
			eta = until.Round(time.Second).String()
		}
		finished := roundsDone() && left == 0
		if d.Progress != nil {
			by := ""
			if bound != "" {
				by = " (" + bound + "'s API budget)"
			}
			line := fmt.Sprintf("\rbackfill: %d synced, %d waiting, %.1f/s, %s left%s   ", done, left, rate, eta, by)
			if finished {
				line = fmt.Sprintf("\rbackfill: %d synced in %s (%.1f/s)            \n", done, elapsed.Round(time.Second), rate)
			}
			if line != last {
				io.WriteString(d.Progress, line)
				last = line
			}
		} else if done > 0 || left > 0 {
			d.Log.Info("backfill progress", "synced", done, "waiting", left, "per_second", fmt.Sprintf("%.1f", rate), "eta", eta, "budget_bound", bound, "finished", finished)
		}
		if finished {
			return
		}
	}
}

// budgetETA is how long the budget sn describes needs to let the
// backfill's left passes spend what the done ones did (spent calls): what
// is over the budget's part above the backfill's reserve comes back at
// sn.PerSecond. 0 when the budget is unknown or holds enough.
func budgetETA(left int, done, spent int64, sn budget.Snapshot) time.Duration {
	if done <= 0 || spent <= 0 || sn.Limit <= 0 || sn.PerSecond <= 0 {
		return 0
	}
	need := float64(spent) / float64(done) * float64(left)
	usable := max(sn.Remaining-budget.Reserve(budget.Backfill)*float64(sn.Limit), 0)
	if need <= usable {
		return 0
	}
	return time.Duration((need - usable) / sn.PerSecond * float64(time.Second))
}
