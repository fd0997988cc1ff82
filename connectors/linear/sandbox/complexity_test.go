package sandbox

import (
	"testing"

	"github.com/tandem-sync/tandem/connectors/linear/sandbox/gql"
)

// TestComplexity: documents priced by Linear's documented count (property
// 0.1, object 1, a connection's children times first/last, else 50).
func TestComplexity(t *testing.T) {
	sch, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		query string
		vars  map[string]any
		want  float64
	}{
		{"an object and two properties", `{ viewer { id name } }`, nil, 1.2},
		{"__typename is free", `{ viewer { __typename id } }`, nil, 1.1},
		{"the poller's page", benchChangedQuery, nil, 1 + 50*(1.3+1.2)},
		{"a connection defaults to 50", `{ issues { nodes { id } } }`, nil, 1 + 50*1.1},
		{"first from a variable", `query($n: Int) { issues(first: $n) { nodes { id } } }`, map[string]any{"n": int64(100)}, 1 + 100*1.1},
		{"last counts as first does", `{ issues(last: 5) { nodes { id title } } }`, nil, 1 + 5*1.2},
		{"nested connections multiply", `{ issues(first: 10) { nodes { id labels { nodes { name } } } } }`, nil, 1 + 10*(1+0.1+1+50*1.1)},
		{"a fragment counts where spread", `query { issue(id: "x") { ...F } } fragment F on Issue { id title state { name } }`, nil, 1 + 0.2 + 1.1},
		{"an inline fragment", `query { issue(id: "x") { ... on Issue { id } } }`, nil, 1.1},
		{"skipped fields cost nothing", `query($s: Boolean!) { viewer { id name @skip(if: $s) } }`, map[string]any{"s": true}, 1.1},
		{"a mutation", `mutation { issueUpdate(id: "x", input: {title: "t"}) { success issue { id updatedAt } } }`, nil, 1 + 0.1 + 1.2},
		{"over the maximum", `{ issues(first: 250) { nodes { id comments(first: 50) { nodes { body } } } } }`, nil, 1 + 250*(1+0.1+1+50*1.1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, errs := gql.Prepare(sch, gql.Request{Query: c.query, Variables: c.vars})
			if errs != nil {
				t.Fatalf("prepare: %v", errs[0])
			}
			if got := gql.Complexity(p); got < c.want-1e-9 || got > c.want+1e-9 {
				t.Fatalf("complexity %v, want %v", got, c.want)
			}
		})
	}
}
