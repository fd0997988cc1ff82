package store

import (
	"context"
	"time"

	"github.com/tandem-sync/tandem/backlog"
)

// ConflictPruner is an optional capability of a State, found with a type
// assertion: it enforces the conflict log's retention (the mapping file's
// conflicts.retention). Both store implementations have it.
type ConflictPruner interface {
	// PruneConflicts drops the prunable records (see Prunable) older than
	// before (zero: no age bound) and all but the newest keep of them
	// (keep <= 0: no count bound), and returns how many it dropped.
	PruneConflicts(ctx context.Context, before time.Time, keep int) (int, error)
}

// Prunable reports whether retention may drop c: only a settled record
// whose value is on both sides. An open conflict waits for a person, and a
// settled one not yet applied carries a write the next pass must make.
func Prunable(c backlog.Conflict) bool { return !c.Open() && c.Applied }
