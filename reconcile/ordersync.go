package reconcile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/store"
)

// OrderSyncer mirrors the master side's manual order of linked items onto
// the other side with the fewest moves (PlanOrder). It is level-triggered
// like Syncer: any hint that an order changed runs the same whole-backlog
// comparison.
type OrderSyncer struct {
	Master       backlog.Side
	Jira, Linear connectors.Orderer
	State        store.State
	Log          *slog.Logger
	LockTTL      time.Duration // default 2 min
}

// OrderResult tells what an order pass did.
type OrderResult struct {
	Moved, Calls int
	// Reverted is set when the master's order had not changed since the
	// last pass, so the mirror's differing order was a reorder made on the
	// mirror side, now put back.
	Reverted     bool
	RequeueAfter time.Duration
}

func (o *OrderSyncer) side(s backlog.Side) connectors.Orderer {
	if s == backlog.Jira {
		return o.Jira
	}
	return o.Linear
}

func (o *OrderSyncer) log() *slog.Logger {
	if o.Log != nil {
		return o.Log
	}
	return slog.Default()
}

// Sync runs one order pass.
func (o *OrderSyncer) Sync(ctx context.Context) (OrderResult, error) {
	ttl := o.LockTTL
	if ttl <= 0 {
		ttl = 2 * time.Minute
	}
	lease, err := o.State.Lock(ctx, "order", ttl)
	if errors.Is(err, store.ErrLocked) {
		return OrderResult{RequeueAfter: 200 * time.Millisecond}, nil
	}
	if err != nil {
		return OrderResult{}, fmt.Errorf("locking order pass: %w", err)
	}
	stop := store.Keep(ctx, o.State, lease, ttl, o.log())
	defer func() {
		stop()
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		o.State.Unlock(uctx, lease)
	}()

	mirrorSide := o.Master.Other()
	links, err := o.State.Links(ctx)
	if err != nil {
		return OrderResult{}, fmt.Errorf("listing links: %w", err)
	}
	twin := make(map[string]string, len(links)) // master id -> mirror id
	for _, l := range links {
		if l.Pending != "" || l.Jira.ID == "" || l.Linear.ID == "" || l.Kind == backlog.KindEpic {
			continue // an epic's project is in no issue order
		}
		twin[l.Ref(o.Master).ID] = l.Ref(mirrorSide).ID
	}
	masterOrder, err := o.side(o.Master).Order(ctx)
	if err != nil {
		return OrderResult{}, fmt.Errorf("reading %s order: %w", o.Master, err)
	}
	mirrorOrder, err := o.side(mirrorSide).Order(ctx)
	if err != nil {
		return OrderResult{}, fmt.Errorf("reading %s order: %w", mirrorSide, err)
	}
	want := make([]string, 0, len(twin))
	for _, id := range masterOrder {
		if m, ok := twin[id]; ok {
			want = append(want, m)
		}
	}
	fp := fingerprint(want)
	cursor := "order:" + string(o.Master)
	last, err := o.State.Cursor(ctx, cursor)
	if err != nil {
		return OrderResult{}, fmt.Errorf("reading order fingerprint: %w", err)
	}
	moves := PlanOrder(want, mirrorOrder, o.side(mirrorSide).MaxBatch())
	var res OrderResult
	for _, m := range moves {
		res.Moved += len(m.IDs)
	}
	if len(moves) > 0 {
		res.Reverted = last == fp
		res.Calls, err = o.side(mirrorSide).Move(ctx, moves)
		if err != nil {
			return res, fmt.Errorf("moving %d %s items: %w", res.Moved, mirrorSide, err)
		}
		if res.Reverted {
			o.log().Warn("order changed on the mirror side; put back to the master's order",
				"master", o.Master, "mirror", mirrorSide, "moved", res.Moved, "calls", res.Calls)
		} else {
			o.log().Info("order mirrored", "master", o.Master, "mirror", mirrorSide, "moved", res.Moved, "calls", res.Calls, "linked", len(want))
		}
	}
	if fp != last {
		if err := o.State.SaveCursor(ctx, cursor, fp); err != nil {
			return res, fmt.Errorf("saving order fingerprint: %w", err)
		}
	}
	return res, nil
}

func fingerprint(ids []string) string {
	h := sha256.Sum256([]byte(strings.Join(ids, "\n")))
	return hex.EncodeToString(h[:16])
}
