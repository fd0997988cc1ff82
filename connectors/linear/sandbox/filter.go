package sandbox

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/connectors/linear/sandbox/gql"
)

// Filters: the subset of Linear's filter inputs the sandbox evaluates. A
// filter key outside the subset is an error rather than silently ignored.

// errUnknownField is what a per-filter field function answers for a key
// outside the subset; matchFields reports it as "<Filter>.<key>".
var errUnknownField = errors.New("unknown filter field")

// matchFields evaluates one filter object: every non-null key must hold.
// "and"/"or" recurse through self; field answers every other key.
func matchFields(f map[string]any, filter string, self func(map[string]any) (bool, error), field func(k string, v any) (bool, error)) (bool, error) {
	for k, v := range f {
		if v == nil {
			continue
		}
		var ok bool
		var err error
		if k == "and" || k == "or" {
			ok, err = combine(k, v, self)
		} else {
			ok, err = field(k, v)
		}
		if err == errUnknownField {
			return false, unsupported(filter + "." + k)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// plainFields is a field function for a filter's "id" key (matched against
// ids) and its never-null string keys (strs: filter key to value); any
// other key goes to rest, or is unknown when rest is nil.
func plainFields(ids []string, strs map[string]string, rest func(k string, v any) (bool, error)) func(k string, v any) (bool, error) {
	return func(k string, v any) (bool, error) {
		if k == "id" {
			return matchID(v, ids...)
		}
		if s, ok := strs[k]; ok {
			return matchString(v, ptr(s))
		}
		if rest == nil {
			return false, errUnknownField
		}
		return rest(k, v)
	}
}

func (s *Server) matchIssue(f map[string]any, i *issue) (bool, error) {
	self := func(sub map[string]any) (bool, error) { return s.matchIssue(sub, i) }
	strs := map[string]string{"title": i.title}
	return matchFields(f, "IssueFilter", self, plainFields([]string{i.id, i.identifier}, strs, func(k string, v any) (bool, error) {
		switch k {
		case "number":
			return matchNumber(v, ptr(float64(i.number)))
		case "priority":
			return matchNumber(v, ptr(float64(i.priority)))
		case "estimate":
			return matchNumber(v, i.estimate)
		case "description":
			return matchString(v, strPtr(i.description))
		case "createdAt":
			return s.matchDate(v, &i.createdAt)
		case "updatedAt":
			return s.matchDate(v, &i.updatedAt)
		case "completedAt":
			return s.matchDate(v, i.completedAt)
		case "canceledAt":
			return s.matchDate(v, i.canceledAt)
		case "startedAt":
			return s.matchDate(v, i.startedAt)
		case "archivedAt":
			return s.matchDate(v, i.archivedAt)
		case "state":
			return s.matchState(asMap(v), i.state)
		case "team":
			return matchTeam(asMap(v), i.team)
		case "assignee", "creator":
			u := i.assignee
			if k == "creator" {
				u = i.creator
			}
			return matchNullable(asMap(v), u == nil, func(m map[string]any) (bool, error) { return matchUser(m, u) })
		case "parent":
			return matchNullable(asMap(v), i.parent == nil, func(m map[string]any) (bool, error) { return s.matchIssue(m, i.parent) })
		case "labels":
			return matchLabels(asMap(v), i.labels)
		case "project":
			return matchNullable(asMap(v), i.project == nil, func(m map[string]any) (bool, error) { return s.matchProject(m, i.project) })
		case "attachments":
			return s.matchAttachments(asMap(v), s.w.issueAttachments(i))
		}
		return false, errUnknownField
	}))
}

func (s *Server) matchState(f map[string]any, st *state) (bool, error) {
	self := func(sub map[string]any) (bool, error) { return s.matchState(sub, st) }
	strs := map[string]string{"name": st.name, "type": st.typ}
	return matchFields(f, "WorkflowStateFilter", self, plainFields([]string{st.id}, strs, func(k string, v any) (bool, error) {
		switch k {
		case "position":
			return matchNumber(v, ptr(st.position))
		case "team":
			return matchTeam(asMap(v), st.team)
		case "createdAt", "updatedAt":
			return s.matchDate(v, &st.createdAt)
		}
		return false, errUnknownField
	}))
}

func matchTeam(f map[string]any, t *team) (bool, error) {
	self := func(sub map[string]any) (bool, error) { return matchTeam(sub, t) }
	strs := map[string]string{"key": t.key, "name": t.name}
	return matchFields(f, "TeamFilter", self, plainFields([]string{t.id}, strs, nil))
}

func matchUser(f map[string]any, u *user) (bool, error) {
	if u == nil {
		return len(f) == 0, nil
	}
	self := func(sub map[string]any) (bool, error) { return matchUser(sub, u) }
	strs := map[string]string{"email": u.email, "name": u.name, "displayName": u.displayName}
	return matchFields(f, "UserFilter", self, plainFields([]string{u.id}, strs, func(k string, v any) (bool, error) {
		switch k {
		case "active", "admin":
			b := u.active
			if k == "admin" {
				b = u.admin
			}
			eq, has := asMap(v)["eq"].(bool)
			return !has || eq == b, nil
		case "isMe":
			return true, nil
		}
		return false, errUnknownField
	}))
}

func matchLabel(f map[string]any, l *label) (bool, error) {
	self := func(sub map[string]any) (bool, error) { return matchLabel(sub, l) }
	strs := map[string]string{"name": l.name}
	return matchFields(f, "IssueLabelFilter", self, plainFields([]string{l.id}, strs, func(k string, v any) (bool, error) {
		if k == "team" {
			return matchNullable(asMap(v), l.team == nil, func(m map[string]any) (bool, error) { return matchTeam(m, l.team) })
		}
		return false, errUnknownField
	}))
}

func (s *Server) matchProject(f map[string]any, p *project) (bool, error) {
	self := func(sub map[string]any) (bool, error) { return s.matchProject(sub, p) }
	strs := map[string]string{"name": p.name, "slugId": p.slugID}
	return matchFields(f, "ProjectFilter", self, plainFields([]string{p.id}, strs, func(k string, v any) (bool, error) {
		switch k {
		case "createdAt":
			return s.matchDate(v, &p.createdAt)
		case "updatedAt":
			return s.matchDate(v, &p.updatedAt)
		case "accessibleTeams":
			return matchTeams(asMap(v), p.teams)
		}
		return false, errUnknownField
	}))
}

// matchTeams is a TeamCollectionFilter.
func matchTeams(f map[string]any, ts []*team) (bool, error) {
	for k, v := range f {
		if v == nil {
			continue
		}
		switch k {
		case "some", "every":
			n := 0
			for _, t := range ts {
				ok, err := matchTeam(asMap(v), t)
				if err != nil {
					return false, err
				}
				if ok {
					n++
				}
			}
			if k == "some" && n == 0 || k == "every" && n != len(ts) {
				return false, nil
			}
		case "length":
			ok, err := matchNumber(v, ptr(float64(len(ts))))
			if err != nil || !ok {
				return false, err
			}
		default:
			return false, unsupported("TeamCollectionFilter." + k)
		}
	}
	return true, nil
}

func matchLabels(f map[string]any, ls []*label) (bool, error) {
	for k, v := range f {
		if v == nil {
			continue
		}
		switch k {
		case "some", "every":
			n := 0
			for _, l := range ls {
				ok, err := matchLabel(asMap(v), l)
				if err != nil {
					return false, err
				}
				if ok {
					n++
				}
			}
			if k == "some" && n == 0 || k == "every" && n != len(ls) {
				return false, nil
			}
		case "length":
			ok, err := matchNumber(v, ptr(float64(len(ls))))
			if err != nil || !ok {
				return false, err
			}
		default:
			return false, unsupported("IssueLabelCollectionFilter." + k)
		}
	}
	return true, nil
}

func (s *Server) matchComment(f map[string]any, c *comment) (bool, error) {
	self := func(sub map[string]any) (bool, error) { return s.matchComment(sub, c) }
	strs := map[string]string{"body": c.body}
	return matchFields(f, "CommentFilter", self, plainFields([]string{c.id}, strs, func(k string, v any) (bool, error) {
		switch k {
		case "createdAt":
			return s.matchDate(v, &c.createdAt)
		case "updatedAt":
			return s.matchDate(v, &c.updatedAt)
		case "issue":
			return s.matchIssue(asMap(v), c.issue)
		case "user":
			return matchUser(asMap(v), c.user)
		}
		return false, errUnknownField
	}))
}

// ---- comparators

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func combine(op string, v any, each func(map[string]any) (bool, error)) (bool, error) {
	list, _ := v.([]any)
	if op == "and" {
		for _, x := range list {
			ok, err := each(asMap(x))
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	}
	if len(list) == 0 {
		return true, nil
	}
	for _, x := range list {
		ok, err := each(asMap(x))
		if err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

func matchNullable(f map[string]any, isNull bool, inner func(map[string]any) (bool, error)) (bool, error) {
	rest := map[string]any{}
	for k, v := range f {
		if k == "null" {
			if b, ok := v.(bool); ok && b != isNull {
				return false, nil
			}
			continue
		}
		rest[k] = v
	}
	if len(rest) == 0 {
		return true, nil
	}
	if isNull {
		return false, nil
	}
	return inner(rest)
}

// matchID compares an ID comparator with any of the entity's names (id,
// identifier).
func matchID(v any, names ...string) (bool, error) {
	f := asMap(v)
	for op, x := range f {
		if x == nil {
			continue
		}
		switch op {
		case "eq", "neq":
			s, _ := x.(string)
			hit := slices.ContainsFunc(names, func(n string) bool { return n != "" && strings.EqualFold(n, s) })
			if hit != (op == "eq") {
				return false, nil
			}
		case "in", "nin":
			list, _ := argStrings(f, op)
			hit := false
			for _, s := range list {
				if slices.ContainsFunc(names, func(n string) bool { return n != "" && strings.EqualFold(n, s) }) {
					hit = true
				}
			}
			if hit != (op == "in") {
				return false, nil
			}
		default:
			return false, unsupported("IDComparator." + op)
		}
	}
	return true, nil
}

func lowerContains(have, s string) bool {
	return strings.Contains(strings.ToLower(have), strings.ToLower(s))
}

// stringOps are the StringComparator operators on a non-null value.
var stringOps = map[string]func(have, s string) bool{
	"eq":                          func(have, s string) bool { return have == s },
	"neq":                         func(have, s string) bool { return have != s },
	"eqIgnoreCase":                strings.EqualFold,
	"neqIgnoreCase":               func(have, s string) bool { return !strings.EqualFold(have, s) },
	"contains":                    strings.Contains,
	"notContains":                 func(have, s string) bool { return !strings.Contains(have, s) },
	"containsIgnoreCase":          lowerContains,
	"containsIgnoreCaseAndAccent": lowerContains,
	"notContainsIgnoreCase":       func(have, s string) bool { return !lowerContains(have, s) },
	"startsWith":                  strings.HasPrefix,
	"startsWithIgnoreCase": func(have, s string) bool {
		return strings.HasPrefix(strings.ToLower(have), strings.ToLower(s))
	},
	"notStartsWith": func(have, s string) bool { return !strings.HasPrefix(have, s) },
	"endsWith":      strings.HasSuffix,
	"notEndsWith":   func(have, s string) bool { return !strings.HasSuffix(have, s) },
}

// matchOperands evaluates a comparator: every non-null operand must hold.
// The "null" operand is answered here from isNull; each answers the rest.
func matchOperands(f map[string]any, isNull bool, each func(op string, x any) (bool, error)) (bool, error) {
	for op, x := range f {
		if x == nil {
			continue
		}
		var ok bool
		var err error
		if op == "null" {
			b, _ := x.(bool)
			ok = b == isNull
		} else {
			ok, err = each(op, x)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func matchString(v any, val *string) (bool, error) {
	f := asMap(v)
	return matchOperands(f, val == nil, func(op string, x any) (bool, error) {
		if op == "in" || op == "nin" {
			list, _ := argStrings(f, op)
			hit := val != nil && slices.Contains(list, *val)
			return hit == (op == "in"), nil
		}
		s, _ := x.(string)
		if val == nil {
			return strings.HasPrefix(op, "n") || strings.HasPrefix(op, "not"), nil
		}
		holds, known := stringOps[op]
		if !known {
			return false, unsupported("StringComparator." + op)
		}
		return holds(*val, s), nil
	})
}

// ordered describes one of Linear's ordered comparators (NumberComparator,
// DateComparator): how an operand parses and how two values compare.
type ordered[T any] struct {
	name  string                 // the comparator's type name, for errors
	parse func(x any) (T, error) // an operand; an error is invalid input
	// lenientIn: an in/nin element that does not parse is skipped rather
	// than refused.
	lenientIn bool
	compare   func(a, b T) int
}

// matchOrdered evaluates an ordered comparator (null, in, nin, eq, neq, gt,
// gte, lt, lte) against val, nil when the field is null.
func matchOrdered[T any](c ordered[T], v any, val *T) (bool, error) {
	return matchOperands(asMap(v), val == nil, func(op string, x any) (bool, error) {
		if op == "in" || op == "nin" {
			list, _ := x.([]any)
			hit := false
			for _, e := range list {
				n, err := c.parse(e)
				if err != nil {
					if c.lenientIn {
						continue
					}
					return false, invalidInput(err.Error(), "")
				}
				if val != nil && c.compare(*val, n) == 0 {
					hit = true
				}
			}
			return hit == (op == "in"), nil
		}
		n, err := c.parse(x)
		if err != nil {
			return false, invalidInput(err.Error(), "")
		}
		if val == nil {
			return op == "neq", nil
		}
		d := c.compare(*val, n)
		switch op {
		case "eq":
			return d == 0, nil
		case "neq":
			return d != 0, nil
		case "gt":
			return d > 0, nil
		case "gte":
			return d >= 0, nil
		case "lt":
			return d < 0, nil
		case "lte":
			return d <= 0, nil
		}
		return false, unsupported(c.name + "." + op)
	})
}

var numberComparator = ordered[float64]{
	name: "NumberComparator",
	parse: func(x any) (float64, error) {
		n, ok := gql.AsFloat(x)
		if !ok {
			return 0, fmt.Errorf("invalid number %v", x)
		}
		return n, nil
	},
	lenientIn: true,
	compare:   cmp.Compare[float64],
}

func matchNumber(v any, val *float64) (bool, error) {
	return matchOrdered(numberComparator, v, val)
}

func (s *Server) matchDate(v any, val *time.Time) (bool, error) {
	now := s.now()
	return matchOrdered(ordered[time.Time]{
		name:    "DateComparator",
		parse:   func(x any) (time.Time, error) { return parseTime(x, now) },
		compare: time.Time.Compare,
	}, v, val)
}
