package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/store"
)

// A parent is stored by the tools as an id of their own; the canonical
// value is the parent's link id, the same on both sides. While the parent
// has no twin the value is "?<side>:<id>", which no write can carry: the
// field waits (and the pass is retried) until the twin exists, whichever
// side was created first.

// unresolvedRetry is how soon a pass with a parent still waiting for its
// twin is run again.
const unresolvedRetry = 5 * time.Second

func (s *Syncer) canonParent(ctx context.Context, side backlog.Side, id string) (backlog.Value, error) {
	if id == "" {
		return "", nil
	}
	l, err := s.State.LinkBy(ctx, backlog.Ref{Side: side, ID: id})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return backlog.Value("?" + string(side) + ":" + id), nil
	case err != nil:
		return "", fmt.Errorf("looking up parent %s:%s: %w", side, id, err)
	case l.Pending != "" || l.Ref(side.Other()).ID == "":
		return backlog.Value("?" + string(side) + ":" + id), nil
	}
	return backlog.Value(l.ID()), nil
}

// localParent turns a canonical parent into side's own id; ok is false
// while the parent has no twin there.
func (s *Syncer) localParent(ctx context.Context, side backlog.Side, v backlog.Value) (string, bool, error) {
	if v == "" {
		return "", true, nil
	}
	if strings.HasPrefix(string(v), "?") {
		return "", false, nil
	}
	l, err := s.State.Link(ctx, string(v))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("looking up parent link %s: %w", v, err)
	}
	id := l.Ref(side).ID
	return id, id != "" && l.Pending == "", nil
}

func (s *Syncer) syncsParent() bool {
	for _, f := range s.fields() {
		if f == backlog.Parent {
			return true
		}
	}
	return false
}

// canonParents rewrites both items' Parent into canonical values.
func (s *Syncer) canonParents(ctx context.Context, jira, linear *backlog.Item) error {
	if !s.syncsParent() {
		return nil
	}
	var err error
	if jira.Parent != "" {
		p, e := s.canonParent(ctx, backlog.Jira, jira.Parent)
		jira.Parent, err = string(p), e
		if err != nil {
			return err
		}
	}
	if linear.Parent != "" {
		p, e := s.canonParent(ctx, backlog.Linear, linear.Parent)
		linear.Parent, err = string(p), e
	}
	return err
}

// localParents rewrites the patches' Parent into each side's ids. A
// parent that cannot be written yet is dropped from the patch and keeps
// its old base value; wait reports that the pass should be retried.
func (s *Syncer) localParents(ctx context.Context, out *Output, oldBase backlog.Snapshot) (wait bool, err error) {
	for _, side := range []backlog.Side{backlog.Jira, backlog.Linear} {
		p := out.Patch(side)
		v, ok := p[backlog.Parent]
		if !ok {
			continue
		}
		local, ok, err := s.localParent(ctx, side, v)
		if err != nil {
			return false, err
		}
		if !ok {
			delete(p, backlog.Parent)
			if b, had := oldBase[backlog.Parent]; had {
				out.Base[backlog.Parent] = b
			} else {
				delete(out.Base, backlog.Parent)
			}
			wait = true
			continue
		}
		p[backlog.Parent] = backlog.Value(local)
	}
	return wait, nil
}

// projectors wrap the connectors' projections: a canonical parent is a
// link id, which only the syncer translates, and status names go through
// the mapping file's table first.
func (s *Syncer) projectors() (Projector, Projector) {
	wrap := func(side backlog.Side, p Projector) Projector {
		return func(f backlog.Field, v backlog.Value) backlog.Value {
			if f == backlog.Parent || f == backlog.Relations {
				return v
			}
			return p(f, s.toSide(side, f, v))
		}
	}
	return wrap(backlog.Jira, s.Jira.Project), wrap(backlog.Linear, s.Linear.Project)
}

// toSide renames a status for side using the mapping file's table (Jira
// name -> Linear name) and a sprint by the sprint ⇄ cycle pairing (see
// Iterations); other values pass unchanged.
func (s *Syncer) toSide(side backlog.Side, f backlog.Field, v backlog.Value) backlog.Value {
	if f == backlog.Sprint {
		return s.sprintToSide(side, v)
	}
	if f != backlog.Status || len(s.Statuses) == 0 {
		return v
	}
	st, err := backlog.DecodeStatus(v)
	if err != nil {
		return v
	}
	for jiraName, linearName := range s.Statuses {
		switch {
		case side == backlog.Linear && strings.EqualFold(st.Name, jiraName):
			st.Name = linearName
			return backlog.EncodeStatus(st)
		case side == backlog.Jira && strings.EqualFold(st.Name, linearName):
			st.Name = jiraName
			return backlog.EncodeStatus(st)
		}
	}
	return v
}
