package linear

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tandem-sync/tandem/backlog"
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

var (
	_ connectors.Scoper  = (*Client)(nil)
	_ connectors.Deleter = (*Client)(nil)
)

// placement is where Get found an issue: its team and project, which
// backlog.Item does not carry. updatedAt ties it to the item Get returned.
type placement struct {
	teamID, projectID string
	updatedAt         time.Time
}

// maxPlacements bounds the cache; past it, it starts over (InScope then
// reads the issue again).
const maxPlacements = 10000

// placements remembers the placement of issues Get read, so that InScope
// on the item Get just returned needs no request.
type placements struct {
	mu sync.Mutex
	m  map[string]placement
}

func placementOf(n issueNode) placement {
	p := placement{teamID: n.Team.ID}
	if n.Project != nil {
		p.projectID = n.Project.ID
	}
	p.updatedAt, _ = time.Parse(time.RFC3339Nano, n.UpdatedAt)
	return p
}

func (ps *placements) note(n issueNode) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.m == nil || len(ps.m) >= maxPlacements {
		ps.m = map[string]placement{}
	}
	ps.m[n.ID] = placementOf(n)
}

// lookup returns the placement Get saw for it, when it saw this version.
func (ps *placements) lookup(it backlog.Item) (placement, bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p, ok := ps.m[it.Ref.ID]
	return p, ok && p.updatedAt.Equal(it.UpdatedAt)
}

// InScope reports whether the issue is in the team and, when Config.Labels
// or Config.Project narrow the team, carries one of the labels and is in
// the project. An item Get just returned is judged from what Get read (its
// labels; its team and project, remembered by id and version), without a
// request; any other is read first. An issue Linear no longer has is out
// of scope. Archived issues are judged like the others (Item.Archived
// tells the caller about them).
func (c *Client) InScope(ctx context.Context, it backlog.Item) (bool, error) {
	if it.Ref.Side != "" && it.Ref.Side != backlog.Linear {
		return false, connectors.Permanent(fmt.Errorf("linear: %s is not a linear issue", it.Ref.String()))
	}
	id := it.Ref.ID
	if id == "" {
		id = it.Ref.Key
	}
	if id == "" {
		return false, connectors.Permanent(errors.New("linear: scope check of an item without id or key"))
	}
	if c.epics && (it.Kind == backlog.KindEpic || c.projects.has(id)) {
		// Get reads only the team's projects; the labels scope is the
		// issues'.
		return true, nil
	}
	p, ok := c.placed.lookup(it)
	labels := it.Labels
	if !ok {
		n, err := c.getNode(ctx, id)
		if errors.Is(err, connectors.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		c.placed.note(n)
		p = placementOf(n)
		if err := c.knowLabels(ctx, n); err != nil {
			return false, err
		}
		c.mu.RLock()
		labels = c.cat.labelNames(n)
		c.mu.RUnlock()
	}
	if p.teamID != c.teamID {
		return false, nil
	}
	if c.projectID != "" && p.projectID != c.projectID {
		return false, nil
	}
	return c.inLabelScope(labels), nil
}

const archiveMutation = `mutation TandemArchive($id: String!) {
  issueArchive(id: $id) { success }
}`

// Delete archives the issue (Linear's archive can be undone, unlike Jira's
// delete). An issue already archived or trashed, or one Linear does not
// have, needs nothing: nil. It reads the issue first, since what Linear
// does when archiving twice is not documented.
func (c *Client) Delete(ctx context.Context, id string) error {
	if id == "" {
		return connectors.Permanent(errors.New("linear: delete of an empty issue id"))
	}
	n, err := c.getNode(ctx, id)
	if errors.Is(err, connectors.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if n.ArchivedAt != nil || (n.Trashed != nil && *n.Trashed) {
		return nil
	}
	var out struct {
		IssueArchive struct {
			Success bool `json:"success"`
		} `json:"issueArchive"`
	}
	err = c.exec(ctx, "archiving linear issue "+id, archiveMutation, map[string]any{"id": n.ID}, &out)
	if errors.Is(err, connectors.ErrNotFound) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	if !out.IssueArchive.Success {
		return fmt.Errorf("archiving linear issue %s: success false", id)
	}
	c.log.Info("linear: issue archived", "linear", n.Identifier, "id", n.ID)
	return nil
}
