package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/store"
)

// ErrSettled is returned when resolving a conflict that is already settled.
var ErrSettled = errors.New("conflict already settled")

// ErrBadDecision is returned for a decision that names no known choice or
// carries a value the field cannot hold.
var ErrBadDecision = errors.New("bad decision")

// Decision is a person's choice for an open conflict.
type Decision struct {
	Take  string        // "jira", "linear", "base" or "value"
	Value backlog.Value // with Take "value"
	By    string        // who settles it ("cli", "api", "ui", a name)
}

// Resolve settles an open conflict by a person's decision. The record
// keeps the chosen value; the next sync pass of the link writes it to both
// sides and marks the record applied, so the caller should queue a pass of
// the returned conflict's link. ErrSettled when already settled,
// store.ErrNotFound when unknown, ErrBadDecision for a bad choice.
func Resolve(ctx context.Context, st store.State, id string, d Decision, now time.Time) (backlog.Conflict, error) {
	c, err := st.Conflict(ctx, id)
	if err != nil {
		return c, err
	}
	if !c.Open() {
		return c, fmt.Errorf("%s: %w (by %s at %s)", id, ErrSettled, c.SettledBy, c.SettledAt.Format(time.RFC3339))
	}
	switch d.Take {
	case "jira":
		c.Value, c.Decision = c.JiraVal, backlog.Jira
	case "linear":
		c.Value, c.Decision = c.LinVal, backlog.Linear
	case "base":
		c.Value = c.Base
	case "value":
		var probe backlog.Item
		if err := probe.Set(c.Field, d.Value); err != nil {
			return c, fmt.Errorf("%w: %v", ErrBadDecision, err)
		}
		c.Value = probe.Get(c.Field)
	default:
		return c, fmt.Errorf("%w: take %q, want jira, linear, base or value", ErrBadDecision, d.Take)
	}
	if d.By == "" {
		d.By = "unknown"
	}
	c.Took, c.SettledBy, c.SettledAt, c.Applied = d.Take, d.By, now, false
	if err := st.UpdateConflict(ctx, c); err != nil {
		return c, fmt.Errorf("saving decision on %s: %w", id, err)
	}
	return c, nil
}
