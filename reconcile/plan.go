package reconcile

import (
	"context"
	"errors"
	"fmt"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/match"
)

// Plan: what a start would do, read-only (tandem plan). It lists both
// sides' in-scope items, reads the unlinked ones (batched), asks the
// finders as a start would, and merges each matched pair with no base in
// memory. Nothing is written to the tools or the store.

// SignalOrigin names a Jira twin Tandem made whose link was lost: its
// tandem.origin marker re-links it (not a match.Signal of Decide).
const SignalOrigin match.Signal = "origin-marker"

// PlannedDiff is a field a matched pair's first sync would settle.
type PlannedDiff struct {
	Field  backlog.Field  `json:"field"`
	Jira   backlog.Value  `json:"jira"`
	Linear backlog.Value  `json:"linear"`
	Policy backlog.Policy `json:"policy"`
	// Take is the side whose value both would get; "" when manual holds
	// the field for a person.
	Take backlog.Side `json:"take,omitempty"`
}

// PlannedMatch is a pair a start would link without a create.
type PlannedMatch struct {
	Jira        backlog.Ref   `json:"jira"`
	Linear      backlog.Ref   `json:"linear"`
	Signal      match.Signal  `json:"signal"`
	Differences []PlannedDiff `json:"differences,omitempty"`
}

// PlanReport is what a start would do.
type PlanReport struct {
	Linked         int            `json:"linked"` // pairs linked already
	Matched        []PlannedMatch `json:"matched"`
	Ambiguous      []Ambiguity    `json:"ambiguous"`
	CreateInLinear []backlog.Ref  `json:"createInLinear"` // Jira items that would get a Linear twin
	CreateInJira   []backlog.Ref  `json:"createInJira"`
	OutOfScope     []backlog.Ref  `json:"outOfScope"` // listed, but out of scope or archived: left alone
}

// Changes reports whether a start would change anything.
func (r PlanReport) Changes() bool {
	return len(r.Matched) > 0 || len(r.CreateInLinear) > 0 || len(r.CreateInJira) > 0
}

// BySignal counts the matches per signal.
func (r PlanReport) BySignal() map[match.Signal]int {
	out := map[match.Signal]int{}
	for _, m := range r.Matched {
		out[m.Signal]++
	}
	return out
}

// Plan computes what a start would do now, with read calls only.
func (s *Syncer) Plan(ctx context.Context) (PlanReport, error) {
	rep := PlanReport{Matched: []PlannedMatch{}, Ambiguous: []Ambiguity{}, CreateInLinear: []backlog.Ref{}, CreateInJira: []backlog.Ref{}, OutOfScope: []backlog.Ref{}}
	links, err := s.State.Links(ctx)
	if err != nil {
		return rep, fmt.Errorf("listing links: %w", err)
	}
	rep.Linked = len(links)
	unlinked := map[backlog.Side][]backlog.Item{}
	for _, c := range []connectors.Connector{s.Jira, s.Linear} {
		refs, err := listAll(ctx, c)
		if err != nil {
			return rep, err
		}
		var ids []string
		for _, r := range refs {
			_, err := s.State.LinkBy(ctx, r)
			if err == nil {
				continue
			}
			ids = append(ids, r.ID)
		}
		items, err := s.readAll(ctx, c, ids)
		if err != nil {
			return rep, err
		}
		for _, it := range items {
			in := !it.Archived
			if sc := s.scope(c.Side()); in && sc != nil {
				if in, err = sc.InScope(ctx, it); err != nil {
					return rep, fmt.Errorf("checking scope of %s: %w", it.Ref, err)
				}
			}
			if !in {
				rep.OutOfScope = append(rep.OutOfScope, it.Ref)
				continue
			}
			unlinked[c.Side()] = append(unlinked[c.Side()], it)
		}
	}
	byID := map[backlog.Ref]backlog.Item{}
	for _, side := range []backlog.Side{backlog.Jira, backlog.Linear} {
		for _, it := range unlinked[side] {
			byID[backlog.Ref{Side: side, ID: it.Ref.ID}] = it
		}
	}
	paired := map[backlog.Ref]bool{}
	pair := func(j, l backlog.Ref, sig match.Signal) {
		paired[backlog.Ref{Side: backlog.Jira, ID: j.ID}] = true
		paired[backlog.Ref{Side: backlog.Linear, ID: l.ID}] = true
		rep.Matched = append(rep.Matched, PlannedMatch{Jira: j, Linear: l, Signal: sig})
	}
	// Jira twins Tandem made whose link was lost: re-linked by origin.
	var jiraPlain []backlog.Item
	for _, it := range unlinked[backlog.Jira] {
		if it.Origin.Side == backlog.Linear && it.Origin.ID != "" {
			pair(it.Ref, it.Origin, SignalOrigin)
			continue
		}
		jiraPlain = append(jiraPlain, it)
	}
	var linearPlain []backlog.Item
	for _, it := range unlinked[backlog.Linear] {
		if !paired[backlog.Ref{Side: backlog.Linear, ID: it.Ref.ID}] {
			linearPlain = append(linearPlain, it)
		}
	}
	jd, err := s.findTwins(ctx, jiraPlain)
	if err != nil {
		return rep, err
	}
	ld, err := s.findTwins(ctx, linearPlain)
	if err != nil {
		return rep, err
	}
	var noJira, noLinear []backlog.Ref
	for i, d := range jd {
		it := jiraPlain[i]
		switch {
		case d.Matched() && !paired[backlog.Ref{Side: backlog.Linear, ID: d.Match.ID}]:
			pair(it.Ref, d.Match, d.Signal)
		case len(d.Ambiguous) > 0:
			rep.Ambiguous = append(rep.Ambiguous, Ambiguity{Item: it.Ref, Signal: d.Signal, Candidates: d.Ambiguous})
		default:
			noJira = append(noJira, it.Ref)
		}
	}
	for i, d := range ld {
		it := linearPlain[i]
		switch {
		case paired[backlog.Ref{Side: backlog.Linear, ID: it.Ref.ID}]:
		case d.Matched() && !paired[backlog.Ref{Side: backlog.Jira, ID: d.Match.ID}]:
			pair(d.Match, it.Ref, d.Signal)
		case len(d.Ambiguous) > 0:
			rep.Ambiguous = append(rep.Ambiguous, Ambiguity{Item: it.Ref, Signal: d.Signal, Candidates: d.Ambiguous})
		default:
			noLinear = append(noLinear, it.Ref)
		}
	}
	for _, r := range noJira {
		if !paired[backlog.Ref{Side: backlog.Jira, ID: r.ID}] {
			rep.CreateInLinear = append(rep.CreateInLinear, r)
		}
	}
	for _, r := range noLinear {
		if !paired[backlog.Ref{Side: backlog.Linear, ID: r.ID}] {
			rep.CreateInJira = append(rep.CreateInJira, r)
		}
	}
	// What each matched pair's first sync would settle.
	for i, m := range rep.Matched {
		j, jok := byID[backlog.Ref{Side: backlog.Jira, ID: m.Jira.ID}]
		l, lok := byID[backlog.Ref{Side: backlog.Linear, ID: m.Linear.ID}]
		if !lok { // a match of a Linear item linked or listed elsewhere
			if l, err = s.Linear.Get(ctx, m.Linear.ID); err != nil {
				if errors.Is(err, connectors.ErrNotFound) {
					continue
				}
				return rep, fmt.Errorf("reading %s: %w", m.Linear, err)
			}
		}
		if !jok {
			if j, err = s.Jira.Get(ctx, m.Jira.ID); err != nil {
				if errors.Is(err, connectors.ErrNotFound) {
					continue
				}
				return rep, fmt.Errorf("reading %s: %w", m.Jira, err)
			}
		}
		rep.Matched[i].Differences, err = s.firstSyncDiffs(ctx, j, l)
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// readAll reads ids of one side, batched where the connector can.
func (s *Syncer) readAll(ctx context.Context, c connectors.Connector, ids []string) ([]backlog.Item, error) {
	var out []backlog.Item
	if g, ok := batchGetter(c); ok {
		for lo := 0; lo < len(ids); lo += g.MaxGet() {
			got, err := g.GetMany(ctx, ids[lo:min(lo+g.MaxGet(), len(ids))])
			if err != nil {
				return nil, fmt.Errorf("reading %s items: %w", c.Side(), err)
			}
			for _, id := range ids[lo:min(lo+g.MaxGet(), len(ids))] {
				if it, ok := got[id]; ok {
					out = append(out, it)
				}
			}
		}
		return out, nil
	}
	for _, id := range ids {
		it, err := c.Get(ctx, id)
		if errors.Is(err, connectors.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s %s: %w", c.Side(), id, err)
		}
		out = append(out, it)
	}
	return out, nil
}

// firstSyncDiffs is what the first merge of j and l would settle.
func (s *Syncer) firstSyncDiffs(ctx context.Context, j, l backlog.Item) ([]PlannedDiff, error) {
	if err := s.canonParents(ctx, &j, &l); err != nil {
		return nil, err
	}
	pj, pl := s.projectors()
	in := Input{Fields: s.fields(), Jira: j, Linear: l, ProjectJira: pj, ProjectLinear: pl,
		Policies: s.Policies, Directions: s.Directions, Now: s.now()}
	if s.FirstSync.Valid() {
		in.Policies = Policies{Default: s.FirstSync}
	}
	out := Merge(in)
	var ds []PlannedDiff
	for _, c := range out.Conflicts {
		ds = append(ds, PlannedDiff{Field: c.Field, Jira: c.JiraVal, Linear: c.LinVal, Policy: c.Policy, Take: c.Decision})
	}
	// One-sided values (a direction, labels as sets) are written too.
	for _, side := range []backlog.Side{backlog.Jira, backlog.Linear} {
		for f := range out.Patch(side) {
			if hasConflict(out.Conflicts, f) {
				continue
			}
			d := PlannedDiff{Field: f, Jira: j.Get(f), Linear: l.Get(f), Take: side.Other()}
			if f == backlog.Labels {
				d.Take = ""
				d.Policy = "union"
			}
			ds = append(ds, d)
		}
	}
	return ds, nil
}

func hasConflict(cs []backlog.Conflict, f backlog.Field) bool {
	for _, c := range cs {
		if c.Field == f {
			return true
		}
	}
	return false
}
