package sandbox

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// wideSelection selects every field of a type that needs no argument:
// scalars directly, objects by their scalar fields one level down. It
// mimics the large fragments of SDK clients.
func wideSelection(s *ast.Schema, typ string, depth int) string {
	def := s.Types[typ]
	var b strings.Builder
	b.WriteString("{ __typename")
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		required := false
		for _, a := range f.Arguments {
			if a.Type.NonNull && a.DefaultValue == nil {
				required = true
			}
		}
		if required {
			continue
		}
		ft := s.Types[f.Type.Name()]
		switch ft.Kind {
		case ast.Scalar, ast.Enum:
			b.WriteString(" " + f.Name)
		case ast.Object, ast.Interface, ast.Union:
			if depth == 0 {
				continue
			}
			if ft.Kind == ast.Union {
				b.WriteString(" " + f.Name + " { __typename }")
				continue
			}
			b.WriteString(" " + f.Name + " " + wideSelection(s, ft.Name, depth-1))
		}
	}
	b.WriteString(" }")
	return b.String()
}

// TestWideSelections: a client that asks for every field of the modelled
// types gets no error, except for non-null objects the sandbox does not
// make, which must be named.
func TestWideSelections(t *testing.T) {
	sch, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	s := newTest(t, Options{})
	if _, err := s.UserComment(AliceEmail, "ENG-1", "hello"); err != nil {
		t.Fatal(err)
	}
	if err := s.UserUpdate(AliceEmail, "ENG-1", map[string]any{"title": "x"}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`{ issue(id: "ENG-1") ` + wideSelection(sch, "Issue", 1) + ` }`,
		`{ issue(id: "ENG-1") { comments { nodes ` + wideSelection(sch, "Comment", 1) + ` } history { nodes ` + wideSelection(sch, "IssueHistory", 1) + ` } } }`,
		`{ viewer ` + wideSelection(sch, "User", 1) + ` }`,
		`{ team(id: "ENG") ` + wideSelection(sch, "Team", 1) + ` }`,
		`{ workflowStates { nodes ` + wideSelection(sch, "WorkflowState", 1) + ` } }`,
		`{ organization ` + wideSelection(sch, "Organization", 1) + ` }`,
		`{ issueLabels { nodes ` + wideSelection(sch, "IssueLabel", 1) + ` } }`,
	} {
		r := post(t, s, BotKey, q, nil)
		for _, e := range r.Errors {
			t.Errorf("%s", e.Message)
		}
		if len(r.Errors) > 0 {
			t.Logf("query: %.200s", q)
		}
	}
}
