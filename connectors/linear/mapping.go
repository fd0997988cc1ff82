package linear

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/backlog"
)

// Linear ⇄ canonical mapping. Pure: no I/O, the team's states, users,
// labels and cycles come in as a catalog.

// state is one workflow state of the team.
type state struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Type     string  `json:"type"`
	Position float64 `json:"position"`
}

// catalog is what the mapping needs to know about the workspace.
type catalog struct {
	teamID  string
	states  []state           // by position
	users   map[string]string // lower-case email -> user id
	labels  map[string]string // lower-case name -> label id
	lnames  map[string]string // lower-case name -> the label's own spelling
	cycles  map[string]string // lower-case cycle name -> cycle id
	emailOf map[string]string // user id -> email
}

// categoryOf maps a Linear state type onto a canonical category.
func categoryOf(typ string) backlog.Category {
	switch typ {
	case "unstarted":
		return backlog.CategoryTodo
	case "started":
		return backlog.CategoryStarted
	case "completed":
		return backlog.CategoryDone
	case "canceled":
		return backlog.CategoryCanceled
	}
	return backlog.CategoryBacklog // backlog, triage and anything new
}

// typeOf is the Linear state type a canonical category maps to.
func typeOf(c backlog.Category) string {
	switch c {
	case backlog.CategoryTodo:
		return "unstarted"
	case backlog.CategoryStarted:
		return "started"
	case backlog.CategoryDone:
		return "completed"
	case backlog.CategoryCanceled:
		return "canceled"
	}
	return "backlog"
}

// stateFor picks the team state a canonical status lands on: the state of
// that name (case-insensitive), else the first state (by position) of the
// category's type. ok is false when the team has neither.
func (c *catalog) stateFor(sv backlog.StatusValue) (state, bool) {
	for _, st := range c.states {
		if strings.EqualFold(st.Name, sv.Name) {
			return st, true
		}
	}
	want := typeOf(sv.Category)
	for _, st := range c.states {
		if st.Type == want {
			return st, true
		}
	}
	return state{}, false
}

// Linear priorities: 0 none, 1 urgent, 2 high, 3 medium, 4 low.
func priorityFromLinear(p float64) backlog.PriorityLevel {
	switch int(p) {
	case 1:
		return backlog.PriorityHighest
	case 2:
		return backlog.PriorityHigh
	case 3:
		return backlog.PriorityMedium
	case 4:
		return backlog.PriorityLow
	}
	return backlog.PriorityNone
}

func priorityToLinear(p backlog.PriorityLevel) int {
	switch p {
	case backlog.PriorityHighest:
		return 1
	case backlog.PriorityHigh:
		return 2
	case backlog.PriorityMedium:
		return 3
	case backlog.PriorityLow, backlog.PriorityLowest:
		return 4
	}
	return 0
}

// formatRank renders a sortOrder as the canonical rank string.
func formatRank(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// issueNode is the Issue selection every read uses (issueFields).
type issueNode struct {
	ID          string   `json:"id"`
	Identifier  string   `json:"identifier"`
	Title       string   `json:"title"`
	Description *string  `json:"description"`
	Priority    float64  `json:"priority"`
	Estimate    *float64 `json:"estimate"`
	DueDate     *string  `json:"dueDate"`
	SortOrder   float64  `json:"sortOrder"`
	UpdatedAt   string   `json:"updatedAt"`
	ArchivedAt  *string  `json:"archivedAt"`
	Trashed     *bool    `json:"trashed"`
	State       state    `json:"state"`
	Assignee    *struct {
		Email string `json:"email"`
	} `json:"assignee"`
	Labels struct {
		Nodes []struct {
			Name string `json:"name"`
		} `json:"nodes"`
	} `json:"labels"`
	Parent *struct {
		ID string `json:"id"`
	} `json:"parent"`
	Cycle *struct {
		Name   *string `json:"name"`
		Number float64 `json:"number"`
	} `json:"cycle"`
	Team struct {
		ID string `json:"id"`
	} `json:"team"`
}

const issueFields = `fragment IssueFields on Issue {
  id identifier title description priority estimate dueDate sortOrder updatedAt archivedAt trashed
  state { id name type position }
  assignee { email }
  labels(first: 100) { nodes { name } }
  parent { id }
  cycle { name number }
  team { id }
}`

func cycleName(name *string, number float64) string {
	if name != nil && *name != "" {
		return *name
	}
	return fmt.Sprintf("Cycle %g", number)
}

// toItem converts an issue to canonical form.
func toItem(n issueNode) (backlog.Item, error) {
	it := backlog.Item{
		Ref:      backlog.Ref{Side: backlog.Linear, ID: n.ID, Key: n.Identifier},
		Title:    n.Title,
		Status:   backlog.StatusValue{Name: n.State.Name, Category: categoryOf(n.State.Type)},
		Priority: priorityFromLinear(n.Priority),
		Estimate: n.Estimate,
		Rank:     formatRank(n.SortOrder),
	}
	if n.Description != nil {
		it.Description = *n.Description
	}
	if n.DueDate != nil {
		it.DueDate = *n.DueDate
	}
	if n.Assignee != nil {
		it.Assignee = strings.ToLower(n.Assignee.Email)
	}
	for _, l := range n.Labels.Nodes {
		it.Labels = append(it.Labels, l.Name)
	}
	slices.Sort(it.Labels)
	if n.Parent != nil {
		it.Parent = n.Parent.ID
	}
	if n.Cycle != nil {
		it.Sprint = cycleName(n.Cycle.Name, n.Cycle.Number)
	}
	if n.UpdatedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, n.UpdatedAt)
		if err != nil {
			return backlog.Item{}, fmt.Errorf("issue %s updatedAt %q: %w", n.ID, n.UpdatedAt, err)
		}
		it.UpdatedAt = t
	}
	return it, nil
}

// project is Connector.Project over a catalog.
func (c *catalog) project(f backlog.Field, v backlog.Value) backlog.Value {
	switch f {
	case backlog.Status:
		sv, err := backlog.DecodeStatus(v)
		if err != nil || v == "" {
			return v
		}
		st, ok := c.stateFor(sv)
		if !ok {
			return v
		}
		return backlog.EncodeStatus(backlog.StatusValue{Name: st.Name, Category: categoryOf(st.Type)})
	case backlog.Priority:
		if v == "" {
			return backlog.Value(backlog.PriorityNone)
		}
		p := backlog.PriorityLevel(v)
		if !p.Valid() {
			return v
		}
		return backlog.Value(priorityFromLinear(float64(priorityToLinear(p))))
	case backlog.Assignee:
		if _, ok := c.users[strings.ToLower(string(v))]; !ok {
			return ""
		}
		return backlog.Value(strings.ToLower(string(v)))
	case backlog.Estimate:
		if v == "" {
			return v
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return v
		}
		return backlog.Value(strconv.FormatFloat(math.Round(f), 'g', -1, 64))
	case backlog.Sprint:
		if _, ok := c.cycles[strings.ToLower(string(v))]; !ok {
			return ""
		}
		return v
	case backlog.Labels:
		// Label names are case-insensitive in Linear: an existing label
		// reads back in its own spelling.
		it := backlog.Item{}
		_ = it.Set(backlog.Labels, v)
		for i, name := range it.Labels {
			if own, ok := c.lnames[strings.ToLower(name)]; ok {
				it.Labels[i] = own
			}
		}
		return it.Get(backlog.Labels) // sorted, deduplicated
	}
	return v
}

// updateInput turns a patch into an IssueUpdateInput (or the matching part
// of an IssueCreateInput). Labels it cannot resolve are returned in
// missing so the caller can create them first.
func (c *catalog) updateInput(p backlog.Patch) (in map[string]any, missing []string, err error) {
	in = map[string]any{}
	for _, f := range p.Fields() {
		v := p[f]
		switch f {
		case backlog.Title:
			if strings.TrimSpace(string(v)) == "" {
				return nil, nil, fmt.Errorf("empty title")
			}
			in["title"] = string(v)
		case backlog.Description:
			in["description"] = string(v)
		case backlog.Status:
			if v == "" {
				continue
			}
			sv, err := backlog.DecodeStatus(v)
			if err != nil {
				return nil, nil, err
			}
			st, ok := c.stateFor(sv)
			if !ok {
				return nil, nil, fmt.Errorf("no Linear state for status %q", v)
			}
			in["stateId"] = st.ID
		case backlog.Priority:
			p := backlog.PriorityLevel(v)
			if v == "" {
				p = backlog.PriorityNone
			}
			if !p.Valid() {
				return nil, nil, fmt.Errorf("invalid priority %q", v)
			}
			in["priority"] = priorityToLinear(p)
		case backlog.Assignee:
			if id, ok := c.users[strings.ToLower(string(v))]; ok && v != "" {
				in["assigneeId"] = id
			} else {
				in["assigneeId"] = nil
			}
		case backlog.Labels:
			ids := []string{}
			it := backlog.Item{}
			_ = it.Set(backlog.Labels, v)
			for _, name := range it.Labels {
				if name == "" {
					continue
				}
				if id, ok := c.labels[strings.ToLower(name)]; ok {
					ids = append(ids, id)
				} else {
					missing = append(missing, name)
				}
			}
			in["labelIds"] = ids
		case backlog.Estimate:
			if v == "" {
				in["estimate"] = nil
				continue
			}
			f, err := strconv.ParseFloat(string(v), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > math.MaxInt32 {
				return nil, nil, fmt.Errorf("invalid estimate %q", v)
			}
			in["estimate"] = int(math.Round(f)) // Linear estimates are integers
		case backlog.DueDate:
			if v == "" {
				in["dueDate"] = nil
				continue
			}
			if _, err := time.Parse(time.DateOnly, string(v)); err != nil {
				return nil, nil, fmt.Errorf("invalid due date %q", v)
			}
			in["dueDate"] = string(v)
		case backlog.Parent:
			if v == "" {
				in["parentId"] = nil
			} else {
				in["parentId"] = string(v)
			}
		case backlog.Sprint:
			if id, ok := c.cycles[strings.ToLower(string(v))]; ok && v != "" {
				in["cycleId"] = id
			} else {
				in["cycleId"] = nil
			}
		case backlog.Rank:
			f, err := strconv.ParseFloat(string(v), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, nil, fmt.Errorf("invalid rank %q: want a Linear sortOrder", v)
			}
			in["sortOrder"] = f
		}
	}
	return in, missing, nil
}
