package store

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Keep renews lease every third of ttl until the returned stop is called
// or ctx ends, so that a pass which waits (for an API budget, a slow
// answer) longer than ttl keeps its lock. A renewal refused with
// ErrLockLost ends the keeping (the fenced writes then fail as they
// should); other errors are logged and retried at the next tick. Call stop
// before Unlock.
func Keep(ctx context.Context, s State, lease Lease, ttl time.Duration, log *slog.Logger) (stop func()) {
	if ttl <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(max(ttl/3, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			err := s.Extend(ctx, lease, ttl)
			if errors.Is(err, ErrLockLost) {
				return
			}
			if err != nil && ctx.Err() == nil && log != nil {
				log.Warn("renewing lock", "lock", lease.Name, "err", err)
			}
		}
	}()
	stopped := false
	return func() {
		if !stopped {
			stopped = true
			close(done)
			<-finished
		}
	}
}
