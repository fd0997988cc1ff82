package reconcile

import (
	"context"
	"fmt"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

// crossLink makes the twins of link point at each other where people look
// (a Jira remote link, a Linear attachment; connectors.CrossLinker), when
// both connectors can and NoCrossLinks is off. It runs when a pair is
// first linked: when its twin is made (created), and at a pair's first
// merge, with no base (a match, a link made by hand, a relink after the
// store was lost); never on an idle pass.
// It returns the writes made. A permanent refusal (no permission to link,
// an address the connector cannot make) is logged and skipped: a missing
// cross-link only weakens matching later. Any other error is returned, so
// the pass that linked the pair runs again.
func (s *Syncer) crossLink(ctx context.Context, link backlog.Link) (int, error) {
	return s.crossLinkSides(ctx, link, true)
}

// crossLinkSides is crossLink; the Linear side only when linear is set
// and the link names the Linear item.
func (s *Syncer) crossLinkSides(ctx context.Context, link backlog.Link, linear bool) (int, error) {
	jx, lx := s.JiraLinks, s.LinearLinks
	if jx == nil || lx == nil || s.NoCrossLinks || link.Kind == backlog.KindEpic {
		return 0, nil // a project takes no attachment
	}
	writes := 0
	for _, c := range []struct {
		on   connectors.CrossLinker
		side backlog.Side
		id   string
		twin backlog.Ref
		url  string
	}{
		{jx, backlog.Jira, link.Jira.ID, link.Linear, lx.ItemURL(link.Linear)},
		{lx, backlog.Linear, link.Linear.ID, link.Jira, jx.ItemURL(link.Jira)},
	} {
		if c.side == backlog.Linear && (!linear || link.Linear.ID == "") {
			continue
		}
		if c.id == "" || c.url == "" {
			s.log().Warn("no cross-link: the twin's address is unknown", "link", link.ID(), "on", c.side, "twin", c.twin)
			continue
		}
		err := c.on.CrossLink(ctx, c.id, c.twin, c.url)
		if err != nil && !connectors.IsPermanent(err) {
			return writes, fmt.Errorf("cross-linking %s %s to its twin: %w", c.side, c.id, err)
		}
		writes++
		if err != nil {
			s.log().Warn("cross-link refused; pair synced without it", "link", link.ID(), "on", c.side, "err", err)
		}
	}
	return writes, nil
}

// crossLinkMany is crossLink for the new pairs of a backfill: the Jira
// side one call per pair (Jira has no bulk remote-link API), the Linear
// side batched when it can (connectors.CrossLinkBatcher). A failure of a
// batch fails every pair of it (the pairs' passes run again; cross-links
// are idempotent).
func (s *Syncer) crossLinkMany(ctx context.Context, links []backlog.Link) (writes []int, failed map[int]error) {
	writes, failed = make([]int, len(links)), map[int]error{}
	jx, lx := s.JiraLinks, s.LinearLinks
	if jx == nil || lx == nil || s.NoCrossLinks || len(links) == 0 {
		return writes, failed
	}
	lb, batched := lx.(connectors.CrossLinkBatcher)
	for i, link := range links {
		// Batched, the Linear side goes in the requests below.
		w, err := s.crossLinkSides(ctx, link, !batched)
		writes[i] += w
		if err != nil {
			failed[i] = err
		}
	}
	if !batched {
		return writes, failed
	}
	var at []int
	var args []connectors.CrossLinkArgs
	for i, link := range links {
		if _, bad := failed[i]; bad {
			continue
		}
		u := jx.ItemURL(link.Jira)
		if link.Linear.ID == "" || u == "" {
			s.log().Warn("no cross-link: the twin's address is unknown", "link", link.ID(), "on", backlog.Linear, "twin", link.Jira)
			continue
		}
		at, args = append(at, i), append(args, connectors.CrossLinkArgs{ID: link.Linear.ID, Twin: link.Jira, URL: u})
	}
	step := max(lb.MaxCrossLinks(), 1)
	for lo := 0; lo < len(args); lo += step {
		hi := min(lo+step, len(args))
		err := lb.CrossLinkMany(ctx, args[lo:hi])
		if err != nil && connectors.IsPermanent(err) {
			s.log().Warn("cross-links refused; pairs synced without them", "pairs", hi-lo, "on", backlog.Linear, "err", err)
			err = nil
		}
		// The request's one write is counted on its first pair.
		writes[at[lo]]++
		for _, i := range at[lo:hi] {
			if err != nil {
				failed[i] = fmt.Errorf("cross-linking %d linear issues to their twins: %w", hi-lo, err)
			}
		}
	}
	return writes, failed
}
