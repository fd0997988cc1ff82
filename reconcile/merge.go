package reconcile

import (
	"strings"
	"time"

	"github.com/tandem-sync/tandem/backlog"
)

// Projector returns the value a field reads back as on one side after the
// canonical value v was written there (connectors.Connector.Project). A nil
// Projector is the identity.
type Projector func(f backlog.Field, v backlog.Value) backlog.Value

func (p Projector) apply(f backlog.Field, v backlog.Value) backlog.Value {
	if p == nil {
		return v
	}
	return p(f, v)
}

// Direction says which way a field syncs.
type Direction string

const (
	Both         Direction = "both"
	JiraToLinear Direction = "jira_to_linear"
	LinearToJira Direction = "linear_to_jira"
	DirectionOff Direction = "off"
)

// Policies gives each field's conflict policy; fields not named take
// Default, and an empty Default means jira.
type Policies struct {
	Default backlog.Policy
	Fields  map[backlog.Field]backlog.Policy
}

// For returns the policy of field f.
func (p Policies) For(f backlog.Field) backlog.Policy {
	if pol, ok := p.Fields[f]; ok && pol.Valid() {
		return pol
	}
	if p.Default.Valid() {
		return p.Default
	}
	return backlog.PolicyJira
}

// Input is everything Merge looks at.
type Input struct {
	Fields []backlog.Field
	// Base is the snapshot both sides agreed on; nil when there is none
	// (a link whose base was never saved).
	Base          backlog.Snapshot
	Jira, Linear  backlog.Item
	ProjectJira   Projector
	ProjectLinear Projector
	Policies      Policies
	// Held fields are not merged: a manual conflict on them is open.
	Held map[backlog.Field]bool
	// Directions restrict fields to one-way sync; absent means both ways.
	Directions map[backlog.Field]Direction
	// JiraChanges and LinearChanges tell when and by whom each side last
	// changed a field (from the tools' histories); where absent, the
	// item's UpdatedAt stands in.
	JiraChanges, LinearChanges map[backlog.Field]backlog.Change
	Now                        time.Time
}

// Output is Merge's decision.
type Output struct {
	// Patches to write to each side; empty when nothing changes there.
	Jira, Linear backlog.Patch
	// Base is the new base snapshot, to save once the patches are applied.
	Base backlog.Snapshot
	// Conflicts found in this pass (without IDs).
	Conflicts []backlog.Conflict
	// Primaries are the pairs (by link id, on the side holding the
	// relation) that write relations this pair holds but leaves to them
	// (see mergeRelations).
	Primaries []backlog.Ref
}

// Patch returns the patch for side (the map itself: edits stick).
func (o Output) Patch(side backlog.Side) backlog.Patch {
	if side == backlog.Linear {
		return o.Linear
	}
	return o.Jira
}

// Changed reports whether the pass must write anything (to a side or to the
// base).
func (o Output) Changed(old backlog.Snapshot) bool {
	if len(o.Jira) > 0 || len(o.Linear) > 0 || len(o.Base) != len(old) {
		return true
	}
	for f, v := range o.Base {
		if ov, ok := old[f]; !ok || ov != v {
			return true
		}
	}
	return false
}

// Merge runs the three-way merge field by field.
//
// A side has changed a field when its value differs from the base as that
// side would hold it (the projection), so lossy mappings do not look like
// edits. Changed on one side: the value is copied to the other. Changed on
// both to equivalent values: nothing is written. Changed on both to
// different values: a conflict, settled by the field's policy and always
// returned for the log; under the manual policy nothing is written and the
// base keeps its old value so the field stays in conflict.
//
// Without a base every differing field is a conflict against an empty base.
//
// Labels merge as sets instead: a label added on either side since the
// base is added to the other, one removed on either side is removed from
// the other, and no conflict arises (policies do not apply). Patches carry
// the difference (backlog.LabelPatch), never the whole set. Relations merge
// as sets too (backlog.MergeSets, patches as backlog.SetPatch).
func Merge(in Input) Output {
	out := Output{Jira: backlog.Patch{}, Linear: backlog.Patch{}, Base: backlog.Snapshot{}}
	for _, f := range in.Fields {
		j, l := in.Jira.Get(f), in.Linear.Get(f)
		b, hasBase := in.Base[f]
		if in.Directions[f] == DirectionOff {
			if hasBase {
				out.Base[f] = b
			}
			continue
		}
		if in.Held[f] {
			if hasBase {
				out.Base[f] = b
			}
			continue
		}
		if f == backlog.Labels {
			mergeLabels(in, b, j, l, &out)
			continue
		}
		if f == backlog.Relations {
			mergeRelations(in, b, j, l, &out)
			continue
		}
		jb, lb := in.ProjectJira.apply(f, b), in.ProjectLinear.apply(f, b)
		jChanged := !hasBase || j != jb
		lChanged := !hasBase || l != lb
		switch in.Directions[f] {
		case JiraToLinear: // Linear's edits of f are not taken
			lChanged = false
			if !hasBase {
				jChanged = !equivalent(in, f, j, l)
			}
		case LinearToJira:
			jChanged = false
			if !hasBase {
				lChanged = !equivalent(in, f, j, l)
			}
		}
		switch {
		case !jChanged && !lChanged:
			out.Base[f] = b
		case jChanged && !lChanged:
			out.Base[f] = j
			if in.ProjectLinear.apply(f, j) != l {
				out.Linear[f] = j
			}
		case lChanged && !jChanged:
			out.Base[f] = l
			if in.ProjectJira.apply(f, l) != j {
				out.Jira[f] = l
			}
		case equivalent(in, f, j, l):
			out.Base[f] = j
		default:
			c := backlog.Conflict{
				LinkID:   in.Linear.Ref.ID,
				Jira:     in.Jira.Ref,
				Linear:   in.Linear.Ref,
				Field:    f,
				Base:     b,
				JiraVal:  j,
				LinVal:   l,
				JiraAt:   in.Jira.UpdatedAt,
				LinearAt: in.Linear.UpdatedAt,
				JiraBy:   in.JiraChanges[f].By,
				LinearBy: in.LinearChanges[f].By,
				Policy:   in.Policies.For(f),
				At:       in.Now,
			}
			if ch := in.JiraChanges[f]; !ch.At.IsZero() {
				c.JiraAt = ch.At
			}
			if ch := in.LinearChanges[f]; !ch.At.IsZero() {
				c.LinearAt = ch.At
			}
			winner := decide(c)
			switch winner {
			case backlog.Jira:
				out.Linear[f] = j
				out.Base[f] = j
				c.Value = j
			case backlog.Linear:
				out.Jira[f] = l
				out.Base[f] = l
				c.Value = l
			default: // manual: hold both sides, keep the old base
				if hasBase {
					out.Base[f] = b
				}
			}
			if winner != "" {
				c.Decision = winner
				c.SettledBy = "policy:" + string(c.Policy)
				c.SettledAt = in.Now
				c.Applied = true
			}
			out.Conflicts = append(out.Conflicts, c)
		}
	}
	return out
}

// equivalent reports whether the two sides hold the same content, each in
// its own representation.
func equivalent(in Input, f backlog.Field, j, l backlog.Value) bool {
	if j == l {
		return true
	}
	return in.ProjectJira.apply(f, l) == j && in.ProjectLinear.apply(f, j) == l
}

// decide returns the side whose value wins a conflict, or "" to hold it
// open.
func decide(c backlog.Conflict) backlog.Side {
	switch c.Policy {
	case backlog.PolicyLinear:
		return backlog.Linear
	case backlog.PolicyManual:
		return ""
	case backlog.PolicyNewest:
		if c.LinearAt.After(c.JiraAt) {
			return backlog.Linear
		}
		return backlog.Jira
	default:
		return backlog.Jira
	}
}

// mergeLabels is the set merge of labels. Each side's adds and removes are
// measured against the base as that side would hold it, so a label one
// side cannot hold is not taken for a removal there.
func mergeLabels(in Input, b, j, l backlog.Value, out *Output) {
	f := backlog.Labels
	jb, lb := in.ProjectJira.apply(f, b), in.ProjectLinear.apply(f, b)
	merged := b
	// Adds and removes of one side are applied to the base in turn.
	merged = backlog.Value(strings.Join(backlog.ApplyLabels(split(merged), minus(j, jb), minus(jb, j)), "\n"))
	merged = backlog.Value(strings.Join(backlog.ApplyLabels(split(merged), minus(l, lb), minus(lb, l)), "\n"))
	out.Base[f] = merged
	if p := backlog.LabelPatch(j, in.ProjectJira.apply(f, merged)); p != "" {
		out.Jira[f] = p
	}
	if p := backlog.LabelPatch(l, in.ProjectLinear.apply(f, merged)); p != "" {
		out.Linear[f] = p
	}
}

func split(v backlog.Value) []string {
	if v == "" {
		return nil
	}
	return strings.Split(string(v), "\n")
}

// minus lists the labels of a that are not in b (in any case).
func minus(a, b backlog.Value) []string {
	in := map[string]bool{}
	for _, x := range split(b) {
		in[strings.ToLower(x)] = true
	}
	var out []string
	for _, x := range split(a) {
		if !in[strings.ToLower(x)] {
			out = append(out, x)
		}
	}
	return out
}

// Unchanged reports whether one side's item still holds the base, field
// by field, as that side would hold it: a pass that side started has
// nothing to carry to the other. Fields that are off, held by a conflict,
// or one-way into this side (its edits are not taken) are not asked; a
// field the base lacks counts as changed.
func Unchanged(in Input, side backlog.Side) bool {
	it, project, ignored := in.Jira, in.ProjectJira, LinearToJira
	if side == backlog.Linear {
		it, project, ignored = in.Linear, in.ProjectLinear, JiraToLinear
	}
	for _, f := range in.Fields {
		if d := in.Directions[f]; d == DirectionOff || d == ignored || in.Held[f] {
			continue
		}
		b, ok := in.Base[f]
		if !ok || it.Get(f) != project.apply(f, b) {
			return false
		}
	}
	return true
}
