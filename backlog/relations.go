package backlog

import (
	"fmt"
	"slices"
	"strings"
)

// RelationType is the canonical kind of a relation between two items, read
// from the item that holds it: "A blocks B" is held by A as (blocks, B) and
// by B as (blocked_by, A).
type RelationType string

const (
	RelBlocks       RelationType = "blocks"
	RelBlockedBy    RelationType = "blocked_by"
	RelRelated      RelationType = "related"
	RelDuplicates   RelationType = "duplicates"    // this item is a duplicate of the other
	RelDuplicatedBy RelationType = "duplicated_by" // the other item is a duplicate of this one
)

// RelationTypes lists the canonical relation types.
var RelationTypes = []RelationType{RelBlocks, RelBlockedBy, RelRelated, RelDuplicates, RelDuplicatedBy}

// Valid reports whether t is a known relation type.
func (t RelationType) Valid() bool { return slices.Contains(RelationTypes, t) }

// Inverse is the type the other item holds the same relation by.
func (t RelationType) Inverse() RelationType {
	switch t {
	case RelBlocks:
		return RelBlockedBy
	case RelBlockedBy:
		return RelBlocks
	case RelDuplicates:
		return RelDuplicatedBy
	case RelDuplicatedBy:
		return RelDuplicates
	}
	return t
}

// Relation is one relation an item holds: its type and the other item.
// To is the other item's id on the item's own side as a connector reads
// it; the reconciler rewrites it to the other item's link id (the same on
// both sides) before merging.
type Relation struct {
	Type RelationType
	To   string
}

// String renders the relation as "<type>:<to>", its line in the field's
// encoding.
func (r Relation) String() string { return string(r.Type) + ":" + r.To }

// ParseRelation is the inverse of Relation.String.
func ParseRelation(s string) (Relation, error) {
	t, to, ok := strings.Cut(s, ":")
	if !ok || to == "" || !RelationType(t).Valid() {
		return Relation{}, fmt.Errorf("invalid relation %q: want <type>:<id> with type one of %v", s, RelationTypes)
	}
	return Relation{Type: RelationType(t), To: to}, nil
}

// EncodeRelations is the relations field's canonical value: one
// "<type>:<to>" line per relation, sorted, without repeats.
func EncodeRelations(rs []Relation) Value {
	lines := make([]string, 0, len(rs))
	for _, r := range rs {
		lines = append(lines, r.String())
	}
	slices.Sort(lines)
	return Value(strings.Join(slices.Compact(lines), "\n"))
}

// DecodeRelations parses EncodeRelations' form.
func DecodeRelations(v Value) ([]Relation, error) {
	if v == "" {
		return nil, nil
	}
	var out []Relation
	for _, line := range strings.Split(string(v), "\n") {
		r, err := ParseRelation(line)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// SetPatch is the delta between two sets of lines (the Relations entry of
// a Patch): "+line" for each line of to that from lacks, "-line" for each
// line of from that to lacks; empty when they are equal. Lines compare
// exactly.
func SetPatch(from, to Value) Value {
	fs, ts := lineSet(from), lineSet(to)
	var out []string
	for _, l := range slices.Sorted(mapKeys(ts)) {
		if !fs[l] {
			out = append(out, "+"+l)
		}
	}
	for _, l := range slices.Sorted(mapKeys(fs)) {
		if !ts[l] {
			out = append(out, "-"+l)
		}
	}
	return Value(strings.Join(out, "\n"))
}

// ParseSetPatch splits a SetPatch into the lines to add and remove.
func ParseSetPatch(v Value) (add, remove []string) {
	return ParseLabelPatch(v)
}

// ApplySetPatch applies a SetPatch to a set of lines.
func ApplySetPatch(v, patch Value) Value {
	set := lineSet(v)
	add, remove := ParseSetPatch(patch)
	for _, l := range add {
		set[l] = true
	}
	for _, l := range remove {
		delete(set, l)
	}
	return Value(strings.Join(slices.Sorted(mapKeys(set)), "\n"))
}

// MergeSets is the three-way merge of sets of lines: a line added on
// either side since the base is in, one removed on either side is out.
func MergeSets(base, a, b Value) Value {
	bs, as, cs := lineSet(base), lineSet(a), lineSet(b)
	out := map[string]bool{}
	for l := range bs {
		if as[l] && cs[l] {
			out[l] = true
		}
	}
	for _, side := range []map[string]bool{as, cs} {
		for l := range side {
			if !bs[l] {
				out[l] = true
			}
		}
	}
	return Value(strings.Join(slices.Sorted(mapKeys(out)), "\n"))
}

func lineSet(v Value) map[string]bool {
	set := map[string]bool{}
	for _, l := range strings.Split(string(v), "\n") {
		if l != "" {
			set[l] = true
		}
	}
	return set
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
