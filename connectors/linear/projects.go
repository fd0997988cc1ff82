package linear

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

// Epics as projects (Config.EpicsAsProjects): a project of the team is an
// item of KindEpic whose id is the project's. It carries a title (name), a
// description (the project's content, its Markdown body: description is
// a 255-character summary), a status (the project status's type, by
// category: backlog and planned are todo, started and paused started;
// a todo written is planned) and
// a due date (targetDate). An issue's Parent is its parent issue, else its
// project. Get, Apply and Create tell a project id from an issue id by
// the projects the client has seen (polls, webhooks, issue reads,
// creates); an id it has not seen that no issue has is looked up as a
// project once.

// projectSet is the project ids the client has seen.
type projectSet struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (s *projectSet) add(id string) {
	if id == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[string]bool{}
	}
	s.ids[id] = true
}

func (s *projectSet) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[id]
}

// projectNode is a Project as the connector reads it.
type projectNode struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Content    *string `json:"content"`
	TargetDate *string `json:"targetDate"`
	UpdatedAt  string  `json:"updatedAt"`
	ArchivedAt *string `json:"archivedAt"`
	Trashed    *bool   `json:"trashed"`
	Status     struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"status"`
	Teams struct {
		Nodes []struct {
			ID string `json:"id"`
		} `json:"nodes"`
	} `json:"teams"`
}

const projectFields = `fragment ProjectFields on Project {
  id name content targetDate updatedAt archivedAt trashed
  status { name type }
  teams(first: 10) { nodes { id } }
}`

var getProjectQuery = `query TandemProjectItem($id: String!) { project(id: $id) { ...ProjectFields } }
` + projectFields

// projectCategory is the canonical category of a project status type.
func projectCategory(typ string) backlog.Category {
	switch typ {
	case "started", "paused":
		return backlog.CategoryStarted
	case "completed":
		return backlog.CategoryDone
	case "canceled":
		return backlog.CategoryCanceled
	}
	return backlog.CategoryTodo
}

// projectType is the project status type a canonical category lands on.
func projectType(c backlog.Category) string {
	switch c {
	case backlog.CategoryStarted:
		return "started"
	case backlog.CategoryDone:
		return "completed"
	case backlog.CategoryCanceled:
		return "canceled"
	}
	return "planned"
}

func (c *Client) projectItem(n projectNode) (backlog.Item, bool) {
	it := backlog.Item{Ref: backlog.Ref{Side: backlog.Linear, ID: n.ID}, Kind: backlog.KindEpic, Title: n.Name,
		Status:   backlog.StatusValue{Category: projectCategory(n.Status.Type), Name: n.Status.Name},
		Priority: backlog.PriorityNone, Archived: n.ArchivedAt != nil || (n.Trashed != nil && *n.Trashed)}
	if n.Content != nil {
		it.Description = c.mentionsIn(*n.Content)
	}
	if n.TargetDate != nil {
		it.DueDate = *n.TargetDate
	}
	if t, err := time.Parse(time.RFC3339Nano, n.UpdatedAt); err == nil {
		it.UpdatedAt = t
	}
	// A project has no comments Tandem syncs: read, none.
	it.Comments, it.CommentsRead = []backlog.Comment{}, true
	ours := false
	for _, t := range n.Teams.Nodes {
		ours = ours || t.ID == c.teamID
	}
	return it, ours
}

// getProject reads a project as an item; ErrNotFound when Linear has none
// of that id or it is no project of the team.
func (c *Client) getProject(ctx context.Context, id string) (backlog.Item, error) {
	var out struct {
		Project *projectNode `json:"project"`
	}
	if err := c.exec(ctx, "fetching linear project "+id, getProjectQuery, map[string]any{"id": id}, &out); err != nil {
		return backlog.Item{}, err
	}
	if out.Project == nil {
		return backlog.Item{}, fmt.Errorf("fetching linear project %s: %w", id, connectors.ErrNotFound)
	}
	it, ours := c.projectItem(*out.Project)
	if !ours {
		return backlog.Item{}, fmt.Errorf("linear project %s is not the team's: %w", id, connectors.ErrNotFound)
	}
	c.projects.add(id)
	return it, nil
}

// epicParent makes an issue's project its Parent when it has no parent
// issue.
func (c *Client) epicParent(it *backlog.Item, n issueNode) {
	if !c.epics || n.Project == nil {
		return
	}
	c.projects.add(n.Project.ID)
	if it.Parent == "" {
		it.Parent = n.Project.ID
	}
}

// parentInput rewrites an issue input's parentId for epics as projects: a
// project id becomes projectId, no parent clears both.
func (c *Client) parentInput(in map[string]any, create bool) {
	if !c.epics {
		return
	}
	v, ok := in["parentId"]
	if !ok {
		return
	}
	switch id, _ := v.(string); {
	case id == "":
		if create {
			delete(in, "parentId")
		} else {
			in["projectId"] = nil
		}
	case c.projects.has(id):
		delete(in, "parentId")
		in["projectId"] = id
		if !create {
			in["parentId"] = nil
		}
	}
}

const projectCreateMutation = `mutation TandemProjectCreate($input: ProjectCreateInput!) {
  projectCreate(input: $input) { success project { id } }
}`

const projectUpdateMutation = `mutation TandemProjectUpdate($id: String!, $input: ProjectUpdateInput!) {
  projectUpdate(id: $id, input: $input) { success }
}`

const projectStatusesQuery = `query TandemProjectStatuses { projectStatuses(first: 50) { nodes { id type position } } }`

// statusID is the workspace's first project status (by position) of the
// canonical category's type, read once.
func (c *Client) statusID(ctx context.Context, cat backlog.Category) (string, error) {
	c.projectStatusMu.Lock()
	defer c.projectStatusMu.Unlock()
	if c.projectStatuses == nil {
		var out struct {
			ProjectStatuses struct {
				Nodes []struct {
					ID       string  `json:"id"`
					Type     string  `json:"type"`
					Position float64 `json:"position"`
				} `json:"nodes"`
			} `json:"projectStatuses"`
		}
		if err := c.exec(ctx, "listing linear project statuses", projectStatusesQuery, nil, &out); err != nil {
			return "", err
		}
		c.projectStatuses = map[string]string{}
		best := map[string]float64{}
		for _, n := range out.ProjectStatuses.Nodes {
			if p, ok := best[n.Type]; !ok || n.Position < p {
				best[n.Type], c.projectStatuses[n.Type] = n.Position, n.ID
			}
		}
	}
	id, ok := c.projectStatuses[projectType(cat)]
	if !ok {
		return "", connectors.Permanent(fmt.Errorf("linear: no project status of type %s", projectType(cat)))
	}
	return id, nil
}

// projectInput is the ProjectCreateInput / ProjectUpdateInput of p's
// fields a project carries.
func (c *Client) projectInput(ctx context.Context, p backlog.Patch) (map[string]any, error) {
	in := map[string]any{}
	for f, v := range p {
		switch f {
		case backlog.Title:
			name := strings.TrimSpace(string(v))
			if name == "" {
				name = "(untitled)"
			}
			in["name"] = name
		case backlog.Description:
			in["content"] = c.mentionsOut(string(v))
		case backlog.DueDate:
			if v == "" {
				in["targetDate"] = nil
				continue
			}
			if _, err := time.Parse(time.DateOnly, string(v)); err != nil {
				return nil, connectors.Permanent(fmt.Errorf("linear: invalid target date %q", v))
			}
			in["targetDate"] = string(v)
		case backlog.Status:
			st, err := backlog.DecodeStatus(v)
			if err != nil {
				return nil, connectors.Permanent(err)
			}
			id, err := c.statusID(ctx, st.Category)
			if err != nil {
				return nil, err
			}
			in["statusId"] = id
		}
	}
	return in, nil
}

// createProject makes a project of the team for an epic; it.Ref.ID, when
// set, is its id (derived from the Jira epic, so a retry finds it).
func (c *Client) createProject(ctx context.Context, it backlog.Item) (backlog.Ref, error) {
	p := backlog.Patch{backlog.Title: backlog.Value(it.Title), backlog.Description: backlog.Value(it.Description)}
	if it.DueDate != "" {
		p[backlog.DueDate] = backlog.Value(it.DueDate)
	}
	if it.Status != (backlog.StatusValue{}) {
		p[backlog.Status] = backlog.EncodeStatus(it.Status)
	}
	in, err := c.projectInput(ctx, p)
	if err != nil {
		return backlog.Ref{}, err
	}
	in["teamIds"] = []string{c.teamID}
	if it.Ref.ID != "" {
		in["id"] = it.Ref.ID
	}
	var out struct {
		ProjectCreate struct {
			Success bool                 `json:"success"`
			Project *struct{ ID string } `json:"project"`
		} `json:"projectCreate"`
	}
	err = c.exec(ctx, "creating linear project", projectCreateMutation, map[string]any{"input": in}, &out)
	if err != nil && it.Ref.ID != "" && isDuplicate(err) {
		c.projects.add(it.Ref.ID)
		return backlog.Ref{Side: backlog.Linear, ID: it.Ref.ID}, nil
	}
	if err != nil {
		return backlog.Ref{}, createError(err)
	}
	if !out.ProjectCreate.Success || out.ProjectCreate.Project == nil {
		return backlog.Ref{}, errors.New("creating linear project: success false")
	}
	c.projects.add(out.ProjectCreate.Project.ID)
	return backlog.Ref{Side: backlog.Linear, ID: out.ProjectCreate.Project.ID}, nil
}

// applyProject writes p's project fields with one projectUpdate.
func (c *Client) applyProject(ctx context.Context, id string, p backlog.Patch) error {
	in, err := c.projectInput(ctx, p)
	if err != nil || len(in) == 0 {
		return err
	}
	var out struct {
		ProjectUpdate struct {
			Success bool `json:"success"`
		} `json:"projectUpdate"`
	}
	if err := c.exec(ctx, "updating linear project "+id, projectUpdateMutation, map[string]any{"id": id, "input": in}, &out); err != nil {
		return err
	}
	if !out.ProjectUpdate.Success {
		return fmt.Errorf("updating linear project %s: success false", id)
	}
	return nil
}

// changedProjectsPage is how many projects a poll's first page lists:
// the team's projects updated since the cursor (all of them on the first
// poll), newest first. Projects change rarely; more than this many since
// one poll are caught by the next polls, as each moves the mark.
const changedProjectsPage = 50

var changedProjectsSel = `
  projects(first: ` + strconv.Itoa(changedProjectsPage) + `, orderBy: updatedAt, includeArchived: true, filter: $projectFilter) {
    nodes { id updatedAt }
  }
}`

// withProjects adds the projects selection to a poll query (one query,
// no extra call).
func withProjects(q string) string {
	q = strings.Replace(q, "($filter: IssueFilter, $after: String)", "($filter: IssueFilter, $after: String, $projectFilter: ProjectFilter)", 1)
	return strings.TrimSuffix(strings.TrimSpace(q), "}") + strings.TrimPrefix(changedProjectsSel, "\n")
}

// projectFilter is the poll's ProjectFilter: the team's, since the
// cursor's mark less the overlap.
func (c *Client) projectFilter(since time.Time) map[string]any {
	f := map[string]any{"accessibleTeams": map[string]any{"some": map[string]any{"id": map[string]any{"eq": c.teamID}}}}
	if !since.IsZero() {
		f["updatedAt"] = map[string]any{"gte": since.Add(-overlap).UTC().Format(time.RFC3339Nano)}
	}
	return f
}

// getProjects reads the known projects among ids one by one (a GetMany
// of a poll page holds a few at most) and returns the other ids.
func (c *Client) getProjects(ctx context.Context, ids []string) ([]string, map[string]backlog.Item, error) {
	if !c.epics {
		return ids, nil, nil
	}
	var rest []string
	got := map[string]backlog.Item{}
	for _, id := range ids {
		if !c.projects.has(id) {
			rest = append(rest, id)
			continue
		}
		it, err := c.getProject(ctx, id)
		if errors.Is(err, connectors.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		got[id] = it
	}
	return rest, got, nil
}

const teamProjectsQuery = `query TandemTeamProjects($team: String!, $after: String) {
  team(id: $team) { projects(first: 250, after: $after, includeArchived: true) { nodes { id } pageInfo { hasNextPage endCursor } } }
}`

// loadProjects notes the team's project ids (at New, so that a parent
// written before any read of the project is known for one).
func (c *Client) loadProjects(ctx context.Context) error {
	after := ""
	for {
		var out struct {
			Team struct {
				Projects struct {
					Nodes    []struct{ ID string } `json:"nodes"`
					PageInfo struct {
						HasNextPage bool   `json:"hasNextPage"`
						EndCursor   string `json:"endCursor"`
					} `json:"pageInfo"`
				} `json:"projects"`
			} `json:"team"`
		}
		vars := map[string]any{"team": c.teamID}
		if after != "" {
			vars["after"] = after
		}
		if err := c.exec(ctx, "listing the team's linear projects", teamProjectsQuery, vars, &out); err != nil {
			return err
		}
		for _, n := range out.Team.Projects.Nodes {
			c.projects.add(n.ID)
		}
		pi := out.Team.Projects.PageInfo
		if !pi.HasNextPage || pi.EndCursor == "" {
			return nil
		}
		after = pi.EndCursor
	}
}
