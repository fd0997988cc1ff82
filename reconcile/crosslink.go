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
	jx, lx := s.JiraLinks, s.LinearLinks
	if jx == nil || lx == nil || s.NoCrossLinks {
		return 0, nil
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
