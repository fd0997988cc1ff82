package jira

import (
	"context"
	"slices"
	"time"

	"github.com/tandem-sync/tandem/iteration"
)

// Sprints lists the open (active and future) sprints of the project's
// boards (iteration.SprintSource): the list loaded at New, or read afresh
// with reload. A site without boards has none.
func (c *Client) Sprints(ctx context.Context, reload bool) ([]iteration.Sprint, error) {
	if c.sprintField == "" {
		return nil, nil
	}
	if reload {
		if err := c.loadSprints(ctx); err != nil {
			return nil, err
		}
	}
	c.sprints.mu.Lock()
	out := make([]iteration.Sprint, 0, len(c.sprints.byName))
	for _, sp := range c.sprints.byName {
		out = append(out, iteration.Sprint{ID: sp.ID, Name: sp.Name, State: sp.State, Start: sprintDate(sp.StartDate), End: sprintDate(sp.EndDate)})
	}
	c.sprints.mu.Unlock()
	slices.SortFunc(out, func(a, b iteration.Sprint) int { return int(a.ID - b.ID) })
	return out, nil
}

// sprintDate reads an Agile API date ("2015-04-11T15:22:00.000+10:00");
// zero when absent or unreadable.
func sprintDate(s string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05.000Z07:00", time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
