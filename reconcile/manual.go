package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/store"
)

// Pairing by hand: `tandem link` and `tandem unlink`, the admin API and
// page. A link made by hand is an ordinary link with no base: its next
// pass is the pair's first merge (differences settled by policy and
// logged; comments with the same body paired), which cross-links it. An
// unlinked pair keeps its link record, stopped with UnlinkedByHand: it no
// longer syncs, its cross-links are removed, and neither item is matched
// or given a twin until a person links it again.

// UnlinkedByHand is the Stopped reason of a link a person undid.
const UnlinkedByHand = "unlinked by hand"

// ErrLinked says an item is linked to another item already.
var ErrLinked = errors.New("linked to another item already")

// LinkByHand pairs the Jira issue jiraKey (a key or an id) with the
// Linear issue linearID (an identifier or an id). Both are read (they must
// exist); an item linked elsewhere is refused with ErrLinked, unless that
// link was unlinked by hand, which this replaces. Linking a pair already
// linked changes nothing. The caller then queues a pass of the pair.
func (s *Syncer) LinkByHand(ctx context.Context, jiraKey, linearID string) (backlog.Link, error) {
	j, err := s.Jira.Get(ctx, jiraKey)
	if err != nil {
		return backlog.Link{}, fmt.Errorf("jira issue %s: %w", jiraKey, err)
	}
	l, err := s.Linear.Get(ctx, linearID)
	if err != nil {
		return backlog.Link{}, fmt.Errorf("linear issue %s: %w", linearID, err)
	}
	link := backlog.Link{Jira: j.Ref, Linear: l.Ref, Created: s.now()}
	lease, err := s.lockWait(ctx, link.ID())
	if err != nil {
		return link, err
	}
	defer s.unlock(ctx, lease)
	var replace []string
	for _, r := range []backlog.Ref{j.Ref, l.Ref} {
		old, err := s.State.LinkBy(ctx, r)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return link, fmt.Errorf("looking up link of %s: %w", r, err)
		}
		switch {
		case old.Jira.ID == j.Ref.ID && old.Linear.ID == l.Ref.ID && old.Stopped != UnlinkedByHand:
			return old, nil // linked so already
		case old.Stopped == UnlinkedByHand:
			replace = append(replace, old.ID())
		case old.Pending != "":
			return link, fmt.Errorf("%s: its twin is being created; link it when that is done: %w", keyOf(r), ErrLinked)
		default:
			return link, fmt.Errorf("%s is linked to %s: unlink it first: %w", keyOf(r), keyOf(old.Ref(r.Side.Other())), ErrLinked)
		}
	}
	for _, id := range replace {
		if err := s.State.DeleteLink(ctx, id); err != nil {
			return link, fmt.Errorf("dropping the unlinked link %s: %w", id, err)
		}
	}
	if err := s.State.SaveLink(ctx, link); err != nil {
		return link, fmt.Errorf("saving link %s: %w", link.ID(), err)
	}
	s.resolvedAmbiguity(j.Ref)
	s.resolvedAmbiguity(l.Ref)
	s.log().Info("linked by hand", "link", link.ID(), "jira", link.Jira.Key, "linear", link.Linear.Key)
	return link, nil
}

// UnlinkByHand undoes the link of the issue key names on side (a key,
// identifier or id): the link is kept, stopped with UnlinkedByHand, and
// the twins' cross-links are removed.
func (s *Syncer) UnlinkByHand(ctx context.Context, side backlog.Side, key string) (backlog.Link, error) {
	it, err := s.conn(side).Get(ctx, key)
	if err != nil {
		return backlog.Link{}, fmt.Errorf("%s issue %s: %w", side, key, err)
	}
	link, err := s.State.LinkBy(ctx, it.Ref)
	if errors.Is(err, store.ErrNotFound) {
		return link, fmt.Errorf("%s %s is not linked: %w", side, key, store.ErrNotFound)
	}
	if err != nil {
		return link, fmt.Errorf("looking up link of %s: %w", it.Ref, err)
	}
	if link.Pending != "" {
		return link, fmt.Errorf("%s %s: its twin is being created; unlink it when that is done: %w", side, key, ErrLinked)
	}
	lease, err := s.lockWait(ctx, link.ID())
	if err != nil {
		return link, err
	}
	defer s.unlock(ctx, lease)
	if link.Stopped == UnlinkedByHand {
		return link, nil
	}
	link.Stopped = UnlinkedByHand
	if err := s.State.SaveLink(ctx, link); err != nil {
		return link, fmt.Errorf("saving link %s: %w", link.ID(), err)
	}
	if err := s.uncross(ctx, link); err != nil {
		s.log().Warn("unlinked; removing the cross-links failed (remove them by hand)", "link", link.ID(), "err", err)
	}
	s.log().Info("unlinked by hand", "link", link.ID(), "jira", link.Jira.Key, "linear", link.Linear.Key)
	return link, nil
}

// uncross removes the twins' cross-links (see crossLink).
func (s *Syncer) uncross(ctx context.Context, link backlog.Link) error {
	jx, lx := s.JiraLinks, s.LinearLinks
	if jx == nil || lx == nil {
		return nil
	}
	var errs []error
	for _, c := range []struct {
		on   connectors.CrossLinker
		id   string
		twin backlog.Ref
		url  string
	}{
		{jx, link.Jira.ID, link.Linear, lx.ItemURL(link.Linear)},
		{lx, link.Linear.ID, link.Jira, jx.ItemURL(link.Jira)},
	} {
		if err := c.on.Uncross(ctx, c.id, c.twin, c.url); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func keyOf(r backlog.Ref) string {
	if r.Key != "" {
		return r.Key
	}
	return r.ID
}

// lockWait takes a link's lock, waiting out a pass that holds it (up to
// the lock's TTL).
func (s *Syncer) lockWait(ctx context.Context, linkID string) (store.Lease, error) {
	deadline := time.Now().Add(s.lockTTL())
	for {
		lease, err := s.State.Lock(ctx, "link:"+linkID, s.lockTTL())
		if err == nil {
			return lease, nil
		}
		if !errors.Is(err, store.ErrLocked) || time.Now().After(deadline) {
			return lease, fmt.Errorf("locking link %s: %w", linkID, err)
		}
		select {
		case <-ctx.Done():
			return lease, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
