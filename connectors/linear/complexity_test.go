package linear

import (
	"testing"

	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
	"github.com/tandem-sync/tandem/connectors/linear/sandbox/gql"
)

// TestQueryComplexity: the reads that carry relations stay well inside
// Linear's 10,000 points a query (Linear's documented count, as the
// sandbox prices it): the relations pages are sized for a GetMany of
// maxGet issues.
func TestQueryComplexity(t *testing.T) {
	checkComplexity(t, []complexityCase{
		{"get", getQuery, map[string]any{"id": "x"}, 2000},
		{"get many", getManyQuery, map[string]any{"ids": []any{"x"}, "first": int64(maxGet)}, 8500},
		{"poll, first page", changedFirstQuery, nil, 200}, // an idle poll: see changedProbe
		{"poll, later pages", changedQuery, nil, 1000},
		{"all relations", allRelationsQuery, map[string]any{"id": "x"}, 2000},
		// Epics as projects: the projects ride on the poll's first page.
		{"poll, first page with projects", withProjects(changedFirstQuery), nil, 1000},
		{"poll, first poll with projects", withProjects(changedQuery), nil, 800},
		{"get project", getProjectQuery, map[string]any{"id": "x"}, 100},
	})
}

// complexityCase is a document that must cost at most max points.
type complexityCase struct {
	name  string
	query string
	vars  map[string]any
	max   float64
}

// checkComplexity prices each document as Linear documents it (the
// sandbox's count) and fails those above their max.
func checkComplexity(t *testing.T, cases []complexityCase) {
	t.Helper()
	sch, err := sandbox.Schema()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		p, errs := gql.Prepare(sch, gql.Request{Query: tc.query, Variables: tc.vars})
		if errs != nil {
			t.Fatalf("%s: %v", tc.name, errs[0])
		}
		c := gql.Complexity(p)
		t.Logf("%s: %.1f points", tc.name, c)
		if c > tc.max {
			t.Errorf("%s costs %.1f points, want at most %.0f", tc.name, c, tc.max)
		}
	}
}
