package linear

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/iteration"
)

const cyclesQuery = `query TandemCycles($team: String!) {
  team(id: $team) { cycles(first: 100) { nodes { id name number startsAt endsAt } } }
}`

// Cycles lists the team's cycles under their display names
// (iteration.CycleSource): from the catalog loaded at New, or read afresh
// with reload (the cycles alone, one small query; the catalog's cycles
// are replaced).
func (c *Client) Cycles(ctx context.Context, reload bool) ([]iteration.Cycle, error) {
	if reload {
		if err := c.loadCycles(ctx); err != nil {
			return nil, err
		}
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]iteration.Cycle, 0, len(c.meta.Cycles))
	for _, mc := range c.meta.Cycles {
		out = append(out, iteration.Cycle{ID: mc.ID, Name: mc.Name, Number: mc.Number, Start: mc.StartsAt, End: mc.EndsAt})
	}
	slices.SortStableFunc(out, func(a, b iteration.Cycle) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Number, b.Number))
	})
	return out, nil
}

// loadCycles reads the team's cycles into the catalog.
func (c *Client) loadCycles(ctx context.Context) error {
	var out struct {
		Team struct {
			Cycles struct {
				Nodes []struct {
					ID       string    `json:"id"`
					Name     *string   `json:"name"`
					Number   float64   `json:"number"`
					StartsAt time.Time `json:"startsAt"`
					EndsAt   time.Time `json:"endsAt"`
				} `json:"nodes"`
			} `json:"cycles"`
		} `json:"team"`
	}
	if err := c.exec(ctx, "listing linear cycles", cyclesQuery, map[string]any{"team": c.teamID}, &out); err != nil {
		return err
	}
	refs := map[string]cycleRef{}
	var metas []MetaCycle
	for _, cy := range out.Team.Cycles.Nodes {
		name := cycleName(cy.Name, cy.Number)
		if _, dup := refs[strings.ToLower(name)]; !dup || cy.Name != nil {
			refs[strings.ToLower(name)] = cycleRef{ID: cy.ID, Name: name}
		}
		metas = append(metas, MetaCycle{ID: cy.ID, Name: name, Number: int(cy.Number), StartsAt: cy.StartsAt, EndsAt: cy.EndsAt})
	}
	c.mu.Lock()
	c.cat.cycles = refs
	c.meta.Cycles = metas
	c.mu.Unlock()
	return nil
}

const cycleCreateMutation = `mutation TandemCycleCreate($input: CycleCreateInput!) {
  cycleCreate(input: $input) { success cycle { id name number startsAt endsAt } }
}`

// CreateCycle makes a cycle of the team from start to end named name
// (cycleCreate) and adds it to the catalog (iteration.CycleSource).
func (c *Client) CreateCycle(ctx context.Context, name string, start, end time.Time) (iteration.Cycle, error) {
	in := map[string]any{"teamId": c.teamID, "startsAt": start.UTC().Format(time.RFC3339), "endsAt": end.UTC().Format(time.RFC3339)}
	if name != "" {
		in["name"] = name
	}
	var out struct {
		CycleCreate struct {
			Success bool `json:"success"`
			Cycle   struct {
				ID       string    `json:"id"`
				Name     *string   `json:"name"`
				Number   float64   `json:"number"`
				StartsAt time.Time `json:"startsAt"`
				EndsAt   time.Time `json:"endsAt"`
			} `json:"cycle"`
		} `json:"cycleCreate"`
	}
	if err := c.exec(ctx, "creating linear cycle "+name, cycleCreateMutation, map[string]any{"input": in}, &out); err != nil {
		return iteration.Cycle{}, err
	}
	cy := out.CycleCreate.Cycle
	display := cycleName(cy.Name, cy.Number)
	c.mu.Lock()
	c.cat.cycles[strings.ToLower(display)] = cycleRef{ID: cy.ID, Name: display}
	c.meta.Cycles = append(c.meta.Cycles, MetaCycle{ID: cy.ID, Name: display, Number: int(cy.Number), StartsAt: cy.StartsAt, EndsAt: cy.EndsAt})
	c.mu.Unlock()
	return iteration.Cycle{ID: cy.ID, Name: display, Number: int(cy.Number), Start: cy.StartsAt, End: cy.EndsAt}, nil
}
