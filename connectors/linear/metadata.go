package linear

import (
	"context"
	"slices"
	"time"

	"github.com/tandem-sync/tandem/backlog"
)

// Metadata is what `tandem config check` shows of the Linear side: the
// team's workflow states, the priorities, labels, users, cycles and
// estimate scale the mapping works with.
type Metadata struct {
	Team       string
	States     []MetaState
	Priorities []MetaPriority
	Labels     []string // names the team can use (its own and the workspace's), sorted
	Users      []string // emails, sorted
	Cycles     []MetaCycle
	Estimation MetaEstimation
	// Project is the scope project's id ("" when not scoped); ScopeLabels
	// the scope labels.
	Project     string
	ScopeLabels []string
}

// MetaState is one workflow state, in position order.
type MetaState struct {
	Name     string
	Type     string // Linear's state type (backlog, unstarted, started, …)
	Category backlog.Category
}

// MetaPriority is one of Linear's priorities and the canonical level it maps to.
type MetaPriority struct {
	Value int    // 0–4
	Name  string // Linear's label: No priority, Urgent, High, Medium, Low
	Level backlog.PriorityLevel
}

// MetaCycle is one of the team's cycles under its display name.
type MetaCycle struct {
	ID               string
	Name             string
	Number           int
	StartsAt, EndsAt time.Time
}

// MetaEstimation is the team's estimate settings and the scale they give
// (empty when estimates are off).
type MetaEstimation struct {
	Type                string
	AllowZero, Extended bool
	Scale               []float64
}

var linearPriorities = []string{"No priority", "Urgent", "High", "Medium", "Low"}

// fill completes m from the catalog it was built beside.
func (m *Metadata) fill(cat *catalog) {
	for _, st := range cat.states {
		m.States = append(m.States, MetaState{Name: st.Name, Type: st.Type, Category: categoryOf(st.Type)})
	}
	for v, name := range linearPriorities {
		m.Priorities = append(m.Priorities, MetaPriority{Value: v, Name: name, Level: priorityFromLinear(float64(v))})
	}
	for _, name := range cat.lnames {
		m.Labels = append(m.Labels, name)
	}
	slices.Sort(m.Labels)
	slices.Sort(m.Users)
	m.Estimation = MetaEstimation{Type: cat.est.Type, AllowZero: cat.est.AllowZero, Extended: cat.est.Extended, Scale: cat.est.scale()}
}

// Metadata reloads the team's catalog and describes it.
func (c *Client) Metadata(ctx context.Context) (Metadata, error) {
	if err := c.Refresh(ctx); err != nil {
		return Metadata{}, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	m := c.meta
	m.Team = c.teamKey
	m.Project = c.projectID
	m.ScopeLabels = slices.Clone(c.scopeLabels)
	return m, nil
}
