package reconcile

import (
	"context"
	"errors"
	"fmt"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

// FieldDiff is one field that differs between two twins.
type FieldDiff struct {
	Field  backlog.Field `json:"field"`
	Jira   backlog.Value `json:"jira"`
	Linear backlog.Value `json:"linear"`
}

// PairDiff lists the differing fields of one linked pair.
type PairDiff struct {
	Link   backlog.Link `json:"link"`
	Fields []FieldDiff  `json:"fields,omitempty"`
	// Problem is set when the pair could not be compared (a side is gone,
	// the twin is still being created).
	Problem string `json:"problem,omitempty"`
}

// DiffReport is the answer to "are we in sync?".
type DiffReport struct {
	Pairs          int           `json:"pairs"`
	Differ         []PairDiff    `json:"differ,omitempty"`
	UnlinkedJira   []backlog.Ref `json:"unlinkedJira,omitempty"`
	UnlinkedLinear []backlog.Ref `json:"unlinkedLinear,omitempty"`
	// Outside lists the relations of linked items to items outside the
	// sync: Tandem leaves them alone, so they do not count as differing.
	Outside []RelationOutside `json:"outside,omitempty"`
}

// InSync reports whether nothing differs and nothing is unlinked.
func (r DiffReport) InSync() bool {
	return len(r.Differ) == 0 && len(r.UnlinkedJira) == 0 && len(r.UnlinkedLinear) == 0
}

// Diff compares every linked pair field by field, each side's value as the
// other would hold it (so lossy mappings are not differences), and lists
// in-scope items with no twin. It writes nothing. Fields held by an open
// manual conflict are reported: they do differ.
func (s *Syncer) Diff(ctx context.Context) (DiffReport, error) {
	var rep DiffReport
	links, err := s.State.Links(ctx)
	if err != nil {
		return rep, fmt.Errorf("listing links: %w", err)
	}
	linked := map[backlog.Ref]bool{}
	pj, pl := s.projectors()
	// Both sides read in batches where the tools can (a diff of 2,000
	// pairs costs some 40 calls a side, not 2,000); what a batch does not
	// answer is read one by one below.
	var jids, lids []string
	for _, l := range links {
		if l.Pending == "" {
			jids, lids = append(jids, l.Jira.ID), append(lids, l.Linear.ID)
		}
	}
	jread, lread := s.readBatched(ctx, backlog.Jira, jids), s.readBatched(ctx, backlog.Linear, lids)
	get := func(side backlog.Side, read map[string]backlog.Item, id string) (backlog.Item, error) {
		if it, ok := read[id]; ok {
			return it, nil
		}
		return s.conn(side).Get(ctx, id)
	}
	for _, l := range links {
		linked[backlog.Ref{Side: backlog.Jira, ID: l.Jira.ID}] = true
		linked[backlog.Ref{Side: backlog.Linear, ID: l.Linear.ID}] = true
		rep.Pairs++
		if l.Pending != "" {
			rep.Differ = append(rep.Differ, PairDiff{Link: l, Problem: "the " + string(l.Pending) + " twin is still being created"})
			continue
		}
		j, err := get(backlog.Jira, jread, l.Jira.ID)
		if err == nil {
			var li backlog.Item
			li, err = get(backlog.Linear, lread, l.Linear.ID)
			if err == nil {
				err = s.canonParents(ctx, &j, &li)
			}
			if err == nil && s.syncsRelations() {
				for _, it := range []*backlog.Item{&j, &li} {
					var out []backlog.Relation
					if out, _, err = s.canonRelations(ctx, it); err != nil {
						break
					}
					for _, r := range out {
						rep.Outside = append(rep.Outside, RelationOutside{From: it.Ref, Type: r.Type, To: backlog.Ref{Side: it.Ref.Side, ID: r.To}})
					}
				}
			}
			if err == nil {
				err = s.ensureSprints(ctx, backlog.Value(j.Sprint), backlog.Value(li.Sprint))
			}
			pj, pl := pj, pl
			if err == nil && isEpic(l) {
				// An epic ⇄ project pair compares what it syncs; the
				// epic's relations cannot reach a project.
				for _, it := range []*backlog.Item{&j, &li} {
					for _, r := range it.Relations { // canonical: r.To is a link id
						to := r.To
						if ol, lerr := s.State.Link(ctx, r.To); lerr == nil {
							to = ol.Ref(it.Ref.Side).ID
						}
						rep.Outside = append(rep.Outside, RelationOutside{From: it.Ref, Type: r.Type, To: backlog.Ref{Side: it.Ref.Side, ID: to}})
					}
					epicItem(it)
				}
				pj, pl = epicProjector(pj), epicProjector(pl)
			}
			if err == nil {
				var d PairDiff
				for _, f := range s.fields() {
					if s.Directions[f] == DirectionOff {
						continue
					}
					jv, lv := j.Get(f), li.Get(f)
					// In sync when either side's value is what the other
					// holds once written there: a Linear "Backlog" shown as
					// Jira's "To Do", a label Linear cannot hold.
					if jv != lv && pj(f, lv) != jv && pl(f, jv) != lv {
						d.Fields = append(d.Fields, FieldDiff{Field: f, Jira: jv, Linear: lv})
					}
				}
				if len(d.Fields) > 0 {
					d.Link = l
					rep.Differ = append(rep.Differ, d)
				}
				continue
			}
		}
		if errors.Is(err, connectors.ErrNotFound) {
			rep.Differ = append(rep.Differ, PairDiff{Link: l, Problem: "one side no longer exists"})
			continue
		}
		return rep, fmt.Errorf("comparing %s / %s: %w", l.Jira.Key, l.Linear.Key, err)
	}
	for _, c := range []connectors.Connector{s.Jira, s.Linear} {
		refs, err := listAll(ctx, c)
		if err != nil {
			return rep, err
		}
		for _, r := range refs {
			if linked[backlog.Ref{Side: r.Side, ID: r.ID}] {
				continue
			}
			if c.Side() == backlog.Jira {
				rep.UnlinkedJira = append(rep.UnlinkedJira, r)
			} else {
				rep.UnlinkedLinear = append(rep.UnlinkedLinear, r)
			}
		}
	}
	return rep, nil
}

// listAll pages through every in-scope item of a side.
func listAll(ctx context.Context, c connectors.Connector) ([]backlog.Ref, error) {
	seen := map[string]bool{}
	var out []backlog.Ref
	cursor := ""
	for range 100000 {
		p, err := c.Changed(ctx, cursor)
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", c.Side(), err)
		}
		for _, r := range p.Refs {
			if !seen[r.ID] {
				seen[r.ID] = true
				out = append(out, r)
			}
		}
		if !p.More || p.Next == cursor {
			return out, nil
		}
		cursor = p.Next
	}
	return nil, fmt.Errorf("listing %s: too many pages", c.Side())
}

// readBatched reads the items of ids on side in batches (connectors.
// BatchGetter); none when the side cannot batch. A batch that fails is
// left to the caller's one-by-one reads.
func (s *Syncer) readBatched(ctx context.Context, side backlog.Side, ids []string) map[string]backlog.Item {
	out := map[string]backlog.Item{}
	g, ok := batchGetter(s.conn(side))
	if !ok {
		return out
	}
	for len(ids) > 0 {
		n := min(len(ids), g.MaxGet())
		got, err := g.GetMany(ctx, ids[:n])
		if err != nil {
			s.log().Warn("reading in a batch; reading one by one", "side", side, "n", n, "err", err)
		}
		for id, it := range got {
			out[id] = it
		}
		ids = ids[n:]
	}
	return out
}
