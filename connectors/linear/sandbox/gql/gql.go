// Package gql is a small GraphQL executor over gqlparser's AST: it validates
// a request against a schema and runs it against resolver objects, with
// fragments (named and inline, on interfaces and unions), aliases, variables
// with defaults, @skip/@include, __typename and null propagation as the
// GraphQL spec describes. Fields a resolver does not model fall back to a
// value derived from the schema type (see Default).
//
// It owns no data and no HTTP; connectors/linear/sandbox builds on it.
package gql

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// Object is a value of a GraphQL object type.
type Object interface {
	// TypeName is the concrete object type's name.
	TypeName() string
	// Field resolves one field. It returns ErrUnmodelled for a field the
	// object does not model; the executor then answers from the schema
	// type. Values: nil, string, bool, int kinds, float kinds, time.Time,
	// map[string]any (JSON scalars), Object, and slices of these.
	Field(name string, args map[string]any) (any, error)
}

// ErrUnmodelled says a resolver does not model a field.
var ErrUnmodelled = errors.New("field not modelled")

// Location is a line and column in the document.
type Location struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Error is one GraphQL error of a response.
type Error struct {
	Message    string         `json:"message"`
	Locations  []Location     `json:"locations,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// Request is a GraphQL request as posted.
type Request struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName,omitempty"`
	Variables     map[string]any `json:"variables,omitempty"`
}

// Prepared is a validated request: its document, the chosen operation and
// the coerced variables.
type Prepared struct {
	Doc  *ast.QueryDocument
	Op   *ast.OperationDefinition
	Vars map[string]any
}

// Mutation reports whether the operation is a mutation.
func (p *Prepared) Mutation() bool { return p.Op.Operation == ast.Mutation }

// RootFields lists the names of the operation's top-level fields (through
// fragments), in document order, once per response key: two aliased
// issueUpdate fields count twice, a field repeated under the same key (which
// GraphQL merges into one execution) once.
func (p *Prepared) RootFields() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(ast.SelectionSet, int)
	walk = func(set ast.SelectionSet, depth int) {
		if depth > 20 {
			return
		}
		for _, sel := range set {
			switch sel := sel.(type) {
			case *ast.Field:
				key := sel.Alias
				if key == "" {
					key = sel.Name
				}
				if !seen[key] && sel.Name != "__typename" {
					seen[key] = true
					out = append(out, sel.Name)
				}
			case *ast.InlineFragment:
				walk(sel.SelectionSet, depth+1)
			case *ast.FragmentSpread:
				if fd := p.Doc.Fragments.ForName(sel.Name); fd != nil {
					walk(fd.SelectionSet, depth+1)
				}
			}
		}
	}
	walk(p.Op.SelectionSet, 0)
	return out
}

// Prepare parses and validates req against schema. The errors are the
// validation errors, with locations.
func Prepare(schema *ast.Schema, req Request) (p *Prepared, errs []*Error) {
	defer func() {
		if r := recover(); r != nil {
			p, errs = nil, []*Error{{Message: fmt.Sprintf("invalid document: %v", r)}}
		}
	}()
	if strings.TrimSpace(req.Query) == "" {
		return nil, []*Error{{Message: "GraphQL operations must contain a non-empty `query`."}}
	}
	doc, list := gqlparser.LoadQuery(schema, req.Query)
	if len(list) > 0 {
		for _, e := range list {
			ge := &Error{Message: e.Message}
			for _, l := range e.Locations {
				ge.Locations = append(ge.Locations, Location{Line: l.Line, Column: l.Column})
			}
			errs = append(errs, ge)
		}
		return nil, errs
	}
	var op *ast.OperationDefinition
	switch {
	case req.OperationName != "":
		op = doc.Operations.ForName(req.OperationName)
		if op == nil {
			return nil, []*Error{{Message: fmt.Sprintf("Unknown operation named %q.", req.OperationName)}}
		}
	case len(doc.Operations) == 1:
		op = doc.Operations[0]
	default:
		return nil, []*Error{{Message: "Must provide operation name if query contains multiple operations."}}
	}
	vars, err := validator.VariableValues(schema, op, req.Variables)
	if err != nil {
		return nil, []*Error{{Message: err.Error()}}
	}
	return &Prepared{Doc: doc, Op: op, Vars: vars}, nil
}

// Execute runs a prepared request against root (the Query or Mutation
// object). data is nil when a non-null error propagated to the root.
func Execute(schema *ast.Schema, p *Prepared, root Object) (data any, errs []*Error) {
	e := &executor{schema: schema, doc: p.Doc, vars: p.Vars}
	defer func() {
		if r := recover(); r != nil {
			data = nil
			errs = append(e.errs, &Error{Message: fmt.Sprintf("internal error: %v", r),
				Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR", "type": "internal error"}})
		}
	}()
	m, ok := e.selectionSet(root, p.Op.SelectionSet, nil)
	if !ok {
		return nil, e.errs
	}
	return m, e.errs
}

// Map is a JSON object that keeps its keys in selection order.
type Map struct {
	Keys []string
	Vals map[string]any
}

func (m *Map) set(k string, v any) {
	if _, ok := m.Vals[k]; !ok {
		m.Keys = append(m.Keys, k)
	}
	m.Vals[k] = v
}

// MarshalJSON writes the keys in order.
func (m *Map) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range m.Keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(m.Vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

type executor struct {
	schema *ast.Schema
	doc    *ast.QueryDocument
	vars   map[string]any
	errs   []*Error
}

type group struct {
	key    string
	fields []*ast.Field
}

func (e *executor) collect(typeName string, set ast.SelectionSet, out *[]group, idx map[string]int, visited map[string]bool) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if e.skipped(sel.Directives) {
				continue
			}
			key := sel.Alias
			if key == "" {
				key = sel.Name
			}
			if i, ok := idx[key]; ok {
				(*out)[i].fields = append((*out)[i].fields, sel)
				continue
			}
			idx[key] = len(*out)
			*out = append(*out, group{key: key, fields: []*ast.Field{sel}})
		case *ast.InlineFragment:
			if e.skipped(sel.Directives) || !e.applies(sel.TypeCondition, typeName) {
				continue
			}
			e.collect(typeName, sel.SelectionSet, out, idx, visited)
		case *ast.FragmentSpread:
			if e.skipped(sel.Directives) || visited[sel.Name] {
				continue
			}
			fd := e.doc.Fragments.ForName(sel.Name)
			if fd == nil || !e.applies(fd.TypeCondition, typeName) {
				continue
			}
			visited[sel.Name] = true
			e.collect(typeName, fd.SelectionSet, out, idx, visited)
		}
	}
}

func (e *executor) skipped(ds ast.DirectiveList) bool {
	for _, d := range ds {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		v, _ := d.ArgumentMap(e.vars)["if"].(bool)
		if d.Name == "skip" && v || d.Name == "include" && !v {
			return true
		}
	}
	return false
}

func (e *executor) applies(cond, typeName string) bool {
	if cond == "" || cond == typeName {
		return true
	}
	def := e.schema.Types[cond]
	if def == nil || (def.Kind != ast.Interface && def.Kind != ast.Union) {
		return false
	}
	for _, p := range e.schema.GetPossibleTypes(def) {
		if p.Name == typeName {
			return true
		}
	}
	return false
}

func (e *executor) fail(f *ast.Field, path []any, msg string, ext map[string]any) {
	ge := &Error{Message: msg, Path: append([]any(nil), path...), Extensions: ext}
	if f != nil && f.Position != nil {
		ge.Locations = []Location{{Line: f.Position.Line, Column: f.Position.Column}}
	}
	e.errs = append(e.errs, ge)
}

func (e *executor) selectionSet(obj Object, set ast.SelectionSet, path []any) (*Map, bool) {
	typeName := obj.TypeName()
	def := e.schema.Types[typeName]
	if def == nil {
		e.fail(nil, path, fmt.Sprintf("unknown type %q", typeName), nil)
		return nil, false
	}
	var groups []group
	e.collect(typeName, set, &groups, map[string]int{}, map[string]bool{})
	out := &Map{Vals: map[string]any{}}
	for _, g := range groups {
		f := g.fields[0]
		fpath := append(append([]any(nil), path...), g.key)
		if f.Name == "__typename" {
			out.set(g.key, typeName)
			continue
		}
		fd := def.Fields.ForName(f.Name)
		if fd == nil {
			fd = f.Definition
		}
		if fd == nil {
			e.fail(f, fpath, fmt.Sprintf("Cannot query field %q on type %q.", f.Name, typeName), nil)
			return nil, false
		}
		args := f.ArgumentMap(e.vars)
		val, err := obj.Field(f.Name, args)
		if errors.Is(err, ErrUnmodelled) {
			val, err = Default(e.schema, obj, fd.Type)
			if err != nil {
				err = fmt.Errorf("field %s.%s is not modelled by the sandbox: %w", typeName, f.Name, err)
			}
		}
		if err != nil {
			var ge *Error
			if errors.As(err, &ge) {
				e.fail(f, fpath, ge.Message, ge.Extensions)
			} else {
				e.fail(f, fpath, err.Error(), nil)
			}
			if fd.Type.NonNull {
				return nil, false
			}
			out.set(g.key, nil)
			continue
		}
		var sub ast.SelectionSet
		for _, gf := range g.fields {
			sub = append(sub, gf.SelectionSet...)
		}
		v, ok := e.complete(f, fd.Type, val, sub, fpath)
		if !ok {
			return nil, false
		}
		out.set(g.key, v)
	}
	return out, true
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice:
		return rv.IsNil() && rv.Kind() != reflect.Slice
	}
	return false
}

// complete turns a resolved value into its response form. ok is false when
// a null must propagate to the parent.
func (e *executor) complete(f *ast.Field, t *ast.Type, v any, sub ast.SelectionSet, path []any) (any, bool) {
	if isNil(v) {
		if t.NonNull {
			e.fail(f, path, fmt.Sprintf("Cannot return null for non-nullable field %s.", f.Name), nil)
			return nil, false
		}
		return nil, true
	}
	if t.Elem != nil {
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			e.fail(f, path, fmt.Sprintf("expected a list for field %s", f.Name), nil)
			return nil, !t.NonNull
		}
		out := make([]any, 0, rv.Len())
		for i := 0; i < rv.Len(); i++ {
			item, ok := e.complete(f, t.Elem, rv.Index(i).Interface(), sub, append(append([]any(nil), path...), i))
			if !ok {
				if t.NonNull {
					return nil, false
				}
				return nil, true
			}
			out = append(out, item)
		}
		return out, true
	}
	def := e.schema.Types[t.NamedType]
	if def == nil {
		return nil, !t.NonNull
	}
	switch def.Kind {
	case ast.Scalar, ast.Enum:
		return Scalar(def.Name, v), true
	default:
		o, ok := v.(Object)
		if !ok {
			e.fail(f, path, fmt.Sprintf("internal: field %s resolved to %T, not an object", f.Name, v), nil)
			return nil, !t.NonNull
		}
		m, ok := e.selectionSet(o, sub, path)
		if !ok {
			if t.NonNull {
				return nil, false
			}
			return nil, true
		}
		return m, true
	}
}

// TimeFormat is how DateTime values are written (ISO 8601, milliseconds, UTC).
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Scalar serializes a scalar value of the named type.
func Scalar(typeName string, v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(TimeFormat)
	case *time.Time:
		if x == nil {
			return nil
		}
		return x.UTC().Format(TimeFormat)
	case *string:
		if x == nil {
			return nil
		}
		return *x
	case *float64:
		if x == nil {
			return nil
		}
		return *x
	}
	switch typeName {
	case "Int":
		if f, ok := AsFloat(v); ok {
			return int64(f)
		}
	case "Float":
		if f, ok := AsFloat(v); ok {
			return f
		}
	}
	return v
}

// Default is the value of a field the sandbox does not model, derived from
// its type: null when nullable; a zero-ish scalar, an empty list or an empty
// connection when not; the object's createdAt for a DateTime. A non-null
// object type it cannot make is an error.
func Default(schema *ast.Schema, obj Object, t *ast.Type) (any, error) {
	if !t.NonNull {
		return nil, nil
	}
	if t.Elem != nil {
		return []any{}, nil
	}
	def := schema.Types[t.NamedType]
	if def == nil {
		return nil, fmt.Errorf("unknown type %s", t.NamedType)
	}
	switch def.Kind {
	case ast.Enum:
		if len(def.EnumValues) > 0 {
			return def.EnumValues[0].Name, nil
		}
		return "", nil
	case ast.Scalar:
		switch def.Name {
		case "Int":
			return 0, nil
		case "Float":
			return 0.0, nil
		case "Boolean":
			return false, nil
		case "DateTime":
			if obj != nil {
				if v, err := obj.Field("createdAt", nil); err == nil && v != nil {
					return v, nil
				}
			}
			return time.Unix(0, 0).UTC(), nil
		case "JSONObject", "JSON":
			return map[string]any{}, nil
		}
		return "", nil
	case ast.Object:
		if strings.HasSuffix(def.Name, "Connection") {
			return &Conn{Type: def.Name}, nil
		}
	}
	return nil, fmt.Errorf("no default for non-null %s", def.Name)
}

// Conn is a Relay connection: nodes, edges with cursors, pageInfo.
type Conn struct {
	Type    string // e.g. "IssueConnection"
	Nodes   []Object
	Cursors []string // one per node
	HasNext bool
	HasPrev bool
}

// TypeName implements Object.
func (c *Conn) TypeName() string { return c.Type }

// Field implements Object.
func (c *Conn) Field(name string, _ map[string]any) (any, error) {
	switch name {
	case "nodes":
		return c.Nodes, nil
	case "edges":
		edges := make([]Object, len(c.Nodes))
		for i, n := range c.Nodes {
			edges[i] = &Fields{Type: strings.TrimSuffix(c.Type, "Connection") + "Edge",
				Values: map[string]any{"node": n, "cursor": c.cursor(i)}}
		}
		return edges, nil
	case "pageInfo":
		pi := map[string]any{"hasNextPage": c.HasNext, "hasPreviousPage": c.HasPrev, "startCursor": nil, "endCursor": nil}
		if len(c.Nodes) > 0 {
			pi["startCursor"] = c.cursor(0)
			pi["endCursor"] = c.cursor(len(c.Nodes) - 1)
		}
		return &Fields{Type: "PageInfo", Values: pi}, nil
	}
	return nil, ErrUnmodelled
}

func (c *Conn) cursor(i int) string {
	if i < len(c.Cursors) {
		return c.Cursors[i]
	}
	return strconv.Itoa(i)
}

// Fields is an object whose fields are a fixed map.
type Fields struct {
	Type   string
	Values map[string]any
}

// TypeName implements Object.
func (f *Fields) TypeName() string { return f.Type }

// Field implements Object.
func (f *Fields) Field(name string, _ map[string]any) (any, error) {
	v, ok := f.Values[name]
	if !ok {
		return nil, ErrUnmodelled
	}
	return v, nil
}

// AsFloat reads a JSON or literal number.
func AsFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}
