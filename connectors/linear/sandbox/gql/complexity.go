package gql

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// DefaultPageSize is the page size of a connection queried without first
// or last, which Linear's complexity counts as well as answers.
const DefaultPageSize = 50

// Complexity is what an operation costs in Linear's complexity points, as
// Linear's rate-limiting guide documents the count: each property (a field
// without a selection) is 0.1 point, each object 1 point, and a connection
// multiplies its children's cost by its page size (first, else last, else
// DefaultPageSize). Fields @skip/@include leave out cost nothing, nor does
// __typename; fragments count where they are spread. Linear charges the
// sum rounded up; this is the exact sum.
func Complexity(p *Prepared) float64 {
	c := &costs{p: p}
	return float64(c.set(p.Op.SelectionSet, 0)) / 10
}

// costs counts in tenths of a point, so sums stay exact.
type costs struct{ p *Prepared }

// maxDepth bounds fragment nesting (validation already refuses cycles).
const maxDepth = 64

func (c *costs) set(set ast.SelectionSet, depth int) int64 {
	if depth > maxDepth {
		return 0
	}
	var sum int64
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if c.skipped(sel.Directives) || sel.Name == "__typename" {
				continue
			}
			if len(sel.SelectionSet) == 0 {
				sum += 1
				continue
			}
			kids := c.set(sel.SelectionSet, depth+1)
			if isConnection(sel.Definition) {
				kids = saturatingMul(kids, c.pageSize(sel))
			}
			sum = saturatingAdd(sum, saturatingAdd(10, kids))
		case *ast.InlineFragment:
			if !c.skipped(sel.Directives) {
				sum = saturatingAdd(sum, c.set(sel.SelectionSet, depth+1))
			}
		case *ast.FragmentSpread:
			if c.skipped(sel.Directives) {
				continue
			}
			if fd := c.p.Doc.Fragments.ForName(sel.Name); fd != nil {
				sum = saturatingAdd(sum, c.set(fd.SelectionSet, depth+1))
			}
		}
	}
	return sum
}

func (c *costs) skipped(ds ast.DirectiveList) bool {
	return (&executor{vars: c.p.Vars}).skipped(ds)
}

// isConnection: a field of a *Connection type that pages with first/last.
func isConnection(def *ast.FieldDefinition) bool {
	if def == nil || def.Type == nil || def.Type.Elem != nil {
		return false
	}
	return strings.HasSuffix(def.Type.Name(), "Connection") &&
		(def.Arguments.ForName("first") != nil || def.Arguments.ForName("last") != nil)
}

func (c *costs) pageSize(f *ast.Field) int64 {
	args := f.ArgumentMap(c.p.Vars)
	for _, k := range []string{"first", "last"} {
		if n, ok := AsFloat(args[k]); ok {
			if n < 0 {
				return 0
			}
			return int64(n)
		}
	}
	return DefaultPageSize
}

// limit keeps absurd documents (first: 1e9 nested ten deep) from
// overflowing; anything near it is far past any budget anyway.
const limit = int64(1) << 53

func saturatingAdd(a, b int64) int64 {
	if a >= limit-b {
		return limit
	}
	return a + b
}

func saturatingMul(a, b int64) int64 {
	if a != 0 && b > limit/a {
		return limit
	}
	return min(a*b, limit)
}
