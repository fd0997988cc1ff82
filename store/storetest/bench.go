package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/store"
)

// Bench measures the daemon's hot paths on a store from open (fresh per
// sub-benchmark, closed by Bench):
//
//   - SyncRound: Lock + Base + SaveBase + Unlock, one worker's pass over a key;
//   - SyncRoundParallel: the same from 4×GOMAXPROCS goroutines on distinct keys;
//   - DirtyRound: MarkDirty + ClearDirty, a webhook's mark and its pass's clear;
//   - DirtyRoundParallel: the same from 4×GOMAXPROCS goroutines;
//   - SeenDelivery: one dedupe check of a new delivery id;
//   - LinkBy: the index lookup done for every event;
//   - LinkConflicts: one link's conflicts out of a log of 2000 over 200
//     links, read by every sync pass.
func Bench(b *testing.B, open func(b *testing.B) store.State) {
	fresh := func(b *testing.B) store.State {
		s := open(b)
		b.Cleanup(func() { _ = s.Close() })
		return s
	}
	base := backlog.Snapshot{backlog.Title: "Fix the login page", backlog.Status: "started:In Progress",
		backlog.Priority: "high", backlog.Description: "Steps:\n1. open\n2. click"}

	round := func(ctx context.Context, s store.State, key string) error {
		l, err := s.Lock(ctx, "link:"+key, 10*time.Second)
		if err != nil {
			return err
		}
		if _, err := s.Base(ctx, key); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := s.SaveBase(ctx, l, key, base); err != nil {
			return err
		}
		return s.Unlock(ctx, l)
	}
	seed := func(b *testing.B, s store.State, keys int) {
		l, err := s.Lock(b.Context(), "seed", time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		for i := range keys {
			if err := s.SaveBase(b.Context(), l, fmt.Sprint("k", i), base); err != nil {
				b.Fatal(err)
			}
		}
	}

	b.Run("SyncRound", func(b *testing.B) {
		s := fresh(b)
		seed(b, s, 64)
		i := 0
		for b.Loop() {
			if err := round(b.Context(), s, fmt.Sprint("k", i%64)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("SyncRoundParallel", func(b *testing.B) {
		s := fresh(b)
		var next atomic.Int64
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			// Each goroutine owns its keys, as workers own the keys they lock.
			g := next.Add(1)
			i := 0
			for pb.Next() {
				if err := round(b.Context(), s, fmt.Sprintf("p%d-%d", g, i%64)); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
	b.Run("DirtyRound", func(b *testing.B) {
		s := fresh(b)
		ctx := b.Context()
		i := 0
		for b.Loop() {
			k := fmt.Sprint("jira:", i%128)
			seq, err := s.MarkDirty(ctx, k)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.ClearDirty(ctx, k, seq); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("DirtyRoundParallel", func(b *testing.B) {
		s := fresh(b)
		var next atomic.Int64
		b.SetParallelism(4) // webhook handlers and workers outnumber cores
		b.RunParallel(func(pb *testing.PB) {
			g := next.Add(1)
			i := 0
			for pb.Next() {
				k := fmt.Sprintf("jira:%d-%d", g, i%128)
				seq, err := s.MarkDirty(b.Context(), k)
				if err == nil {
					err = s.ClearDirty(b.Context(), k, seq)
				}
				if err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
	b.Run("SeenDelivery", func(b *testing.B) {
		s := fresh(b)
		ctx := b.Context()
		i := 0
		for b.Loop() {
			if _, err := s.SeenDelivery(ctx, fmt.Sprint("delivery-", i), time.Minute); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("LinkConflicts", func(b *testing.B) {
		s := fresh(b)
		ctx := b.Context()
		for i := range 2000 {
			c := conflict(fmt.Sprint("lin-", i%200), backlog.Title, t0.Add(time.Duration(i)*time.Second))
			c.Applied = true
			if _, err := s.AddConflict(ctx, c); err != nil {
				b.Fatal(err)
			}
		}
		i := 0
		for b.Loop() {
			cs, err := s.Conflicts(ctx, store.ConflictFilter{LinkID: fmt.Sprint("lin-", i%200)})
			if err != nil || len(cs) != 10 {
				b.Fatalf("Conflicts = %d records, %v; want 10", len(cs), err)
			}
			i++
		}
	})
	b.Run("LinkBy", func(b *testing.B) {
		s := fresh(b)
		ctx := b.Context()
		for i := range 256 {
			if err := s.SaveLink(ctx, link(fmt.Sprint("lin-", i), fmt.Sprint(i))); err != nil {
				b.Fatal(err)
			}
		}
		i := 0
		for b.Loop() {
			if _, err := s.LinkBy(ctx, backlog.Ref{Side: backlog.Jira, ID: fmt.Sprint(i % 256)}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
