package gql

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

const sdl = `
schema { query: Query }
interface Named { name: String! }
type Cat implements Named { name: String! lives: Int! }
type Dog implements Named { name: String! barks: Boolean! owner: Person! }
type Person { name: String! age: Int }
union Pet = Cat | Dog
type PetConnection { nodes: [Pet!]! pageInfo: PageInfo! }
type PageInfo { hasNextPage: Boolean! endCursor: String }
type Query {
  pets(kind: String = "all"): [Pet!]!
  named: [Named!]!
  maybe: Dog
  strict: Dog!
  conn: PetConnection!
  echo(n: Int = 7, s: String): String!
}`

type obj struct {
	typ  string
	vals map[string]any
	errs map[string]error
}

func (o *obj) TypeName() string { return o.typ }
func (o *obj) Field(name string, args map[string]any) (any, error) {
	if e, ok := o.errs[name]; ok {
		return nil, e
	}
	if name == "echo" {
		b, _ := json.Marshal(args)
		return string(b), nil
	}
	v, ok := o.vals[name]
	if !ok {
		return nil, ErrUnmodelled
	}
	return v, nil
}

func run(t *testing.T, root Object, query string, vars map[string]any) (string, []*Error) {
	t.Helper()
	s, err := gqlparser.LoadSchema(&ast.Source{Input: sdl})
	if err != nil {
		t.Fatal(err)
	}
	p, errs := Prepare(s, Request{Query: query, Variables: vars})
	if errs != nil {
		return "", errs
	}
	data, errs := Execute(s, p, root)
	b, _ := json.Marshal(data)
	return string(b), errs
}

func root() *obj {
	owner := &obj{typ: "Person", vals: map[string]any{"name": "Ann"}}
	cat := &obj{typ: "Cat", vals: map[string]any{"name": "Tom", "lives": 9}}
	dog := &obj{typ: "Dog", vals: map[string]any{"name": "Rex", "barks": true, "owner": owner}}
	broken := &obj{typ: "Dog", vals: map[string]any{"name": "Bad", "barks": true}, errs: map[string]error{"owner": errors.New("boom")}}
	return &obj{typ: "Query", vals: map[string]any{
		"pets": []Object{cat, dog}, "named": []Object{cat, dog}, "maybe": broken, "strict": broken,
	}}
}

func TestExecute(t *testing.T) {
	cases := []struct {
		name, query string
		vars        map[string]any
		want        string
		nerr        int
	}{
		{"union fragments", `{ pets { __typename ... on Cat { lives } ... on Dog { barks owner { name } } } }`, nil,
			`{"pets":[{"__typename":"Cat","lives":9},{"__typename":"Dog","barks":true,"owner":{"name":"Ann"}}]}`, 0},
		{"interface + named fragment", `{ named { ...N } } fragment N on Named { name ... on Dog { barks } }`, nil,
			`{"named":[{"name":"Tom"},{"name":"Rex","barks":true}]}`, 0},
		{"aliases and merge", `{ a: named { name } a: named { ... on Cat { lives } } }`, nil,
			`{"a":[{"name":"Tom","lives":9},{"name":"Rex"}]}`, 0},
		{"argument defaults", `{ echo }`, nil, `{"echo":"{\"n\":7}"}`, 0},
		{"variable with default", `query($n: Int = 3) { echo(n: $n) }`, nil, `{"echo":"{\"n\":3}"}`, 0},
		{"variable given", `query($n: Int = 3, $s: String) { echo(n: $n, s: $s) }`, map[string]any{"n": 5, "s": "x"}, `{"echo":"{\"n\":5,\"s\":\"x\"}"}`, 0},
		{"skip", `query($b: Boolean!) { named { name @skip(if: $b) } }`, map[string]any{"b": true}, `{"named":[{},{}]}`, 0},
		{"error nulls nullable parent", `{ maybe { name owner { name } } }`, nil, `{"maybe":null}`, 1},
		{"error nulls the root through non-null", `{ strict { owner { name } } named { name } }`, nil, `null`, 1},
		{"unmodelled non-null connection", `{ conn { nodes { __typename } pageInfo { hasNextPage endCursor } } }`, nil,
			`{"conn":{"nodes":[],"pageInfo":{"hasNextPage":false,"endCursor":null}}}`, 0},
		{"unmodelled nullable age", `{ pets { ... on Dog { owner { age } } } }`, nil, `{"pets":[{},{"owner":{"age":null}}]}`, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, errs := run(t, root(), c.query, c.vars)
			if got != c.want || len(errs) != c.nerr {
				b, _ := json.Marshal(errs)
				t.Fatalf("got %s (errors %s), want %s with %d errors", got, b, c.want, c.nerr)
			}
			for _, e := range errs {
				if len(e.Path) == 0 || len(e.Locations) == 0 {
					t.Fatalf("error without path/locations: %+v", e)
				}
			}
		})
	}
}

func TestPrepareErrors(t *testing.T) {
	for name, q := range map[string]string{
		"unknown field":      `{ nope }`,
		"bad fragment type":  `{ pets { ... on Person { name } } }`,
		"fragment cycle":     `{ named { ...A } } fragment A on Named { ...B } fragment B on Named { ...A }`,
		"missing selection":  `{ pets }`,
		"wrong variable use": `query($n: String) { echo(n: $n) }`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, errs := run(t, root(), q, nil); len(errs) == 0 {
				t.Fatalf("accepted %q", q)
			}
		})
	}
}
