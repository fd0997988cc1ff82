package linear

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tandem-sync/tandem/connectors"
)

// Scope: Config.Labels and Config.Project narrow the team. Changed and
// Order list only issues carrying one of the labels (any of them,
// case-insensitive, as Linear compares label names) and in the project.
// Get still reads any issue by id.

// issueFilter is the IssueFilter of the synced scope: the team, and the
// labels and project when configured.
func (c *Client) issueFilter() map[string]any {
	f := map[string]any{"team": map[string]any{"id": map[string]any{"eq": c.teamID}}}
	if len(c.scopeLabels) > 0 {
		var or []any
		for _, l := range c.scopeLabels {
			or = append(or, map[string]any{"name": map[string]any{"eqIgnoreCase": l}})
		}
		f["labels"] = map[string]any{"some": map[string]any{"or": or}}
	}
	if c.projectID != "" {
		f["project"] = map[string]any{"id": map[string]any{"eq": c.projectID}}
	}
	return f
}

// inLabelScope reports whether labels hold one of the scope labels (true
// when no label scope is set).
func (c *Client) inLabelScope(labels []string) bool {
	if len(c.scopeLabels) == 0 {
		return true
	}
	for _, l := range labels {
		if slices.ContainsFunc(c.scopeLabels, func(s string) bool { return strings.EqualFold(s, l) }) {
			return true
		}
	}
	return false
}

const projectQuery = `query TandemProject($filter: ProjectFilter) {
  projects(first: 2, filter: $filter) { nodes { id name } }
}`

// resolveProject finds Config.Project by id or by name (case-insensitive).
// None is a permanent error; two of the same name are too (ambiguous:
// give the id).
func (c *Client) resolveProject(ctx context.Context) error {
	var out struct {
		Projects struct {
			Nodes []struct{ ID, Name string } `json:"nodes"`
		} `json:"projects"`
	}
	filter := map[string]any{"or": []any{
		map[string]any{"id": map[string]any{"eq": c.scopeProject}},
		map[string]any{"name": map[string]any{"eqIgnoreCase": c.scopeProject}},
	}}
	if err := c.exec(ctx, "finding linear project "+c.scopeProject, projectQuery, map[string]any{"filter": filter}, &out); err != nil {
		return err
	}
	n := out.Projects.Nodes
	switch {
	case len(n) == 0:
		return connectors.Permanent(fmt.Errorf("linear: no project %q", c.scopeProject))
	case len(n) > 1 && n[0].ID != c.scopeProject:
		return connectors.Permanent(fmt.Errorf("linear: several projects named %q: give its id", c.scopeProject))
	}
	c.projectID = n[0].ID
	return nil
}
