package sandbox

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/connectors/linear/sandbox/gql"
)

// Filters: the subset of Linear's filter inputs the sandbox evaluates. A
// filter key outside the subset is an error rather than silently ignored.

func (s *Server) matchIssue(f map[string]any, i *issue) (bool, error) {
	for k, v := range f {
		if v == nil {
			continue
		}
		var ok bool
		var err error
		switch k {
		case "and", "or":
			ok, err = combine(k, v, func(sub map[string]any) (bool, error) { return s.matchIssue(sub, i) })
		case "id":
			ok, err = matchID(v, i.id, i.identifier)
		case "number":
			ok, err = matchNumber(v, ptr(float64(i.number)))
		case "priority":
			ok, err = matchNumber(v, ptr(float64(i.priority)))
		case "estimate":
			ok, err = matchNumber(v, i.estimate)
		case "title":
			ok, err = matchString(v, ptr(i.title))
		case "description":
			ok, err = matchString(v, strPtr(i.description))
		case "createdAt":
			ok, err = s.matchDate(v, &i.createdAt)
		case "updatedAt":
			ok, err = s.matchDate(v, &i.updatedAt)
		case "completedAt":
			ok, err = s.matchDate(v, i.completedAt)
		case "canceledAt":
			ok, err = s.matchDate(v, i.canceledAt)
		case "startedAt":
			ok, err = s.matchDate(v, i.startedAt)
		case "archivedAt":
			ok, err = s.matchDate(v, i.archivedAt)
		case "state":
			ok, err = s.matchState(asMap(v), i.state)
		case "team":
			ok, err = matchTeam(asMap(v), i.team)
		case "assignee", "creator":
			u := i.assignee
			if k == "creator" {
				u = i.creator
			}
			ok, err = matchNullable(asMap(v), u == nil, func(m map[string]any) (bool, error) { return matchUser(m, u) })
		case "parent":
			ok, err = matchNullable(asMap(v), i.parent == nil, func(m map[string]any) (bool, error) { return s.matchIssue(m, i.parent) })
		case "labels":
			ok, err = matchLabels(asMap(v), i.labels)
		case "project":
			ok, err = matchNullable(asMap(v), i.project == nil, func(m map[string]any) (bool, error) { return matchProject(m, i.project) })
		default:
			return false, unsupported("IssueFilter." + k)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func (s *Server) matchState(f map[string]any, st *state) (bool, error) {
	for k, v := range f {
		if v == nil {
			continue
		}
		var ok bool
		var err error
		switch k {
		case "and", "or":
			ok, err = combine(k, v, func(sub map[string]any) (bool, error) { return s.matchState(sub, st) })
		case "id":
			ok, err = matchID(v, st.id)
		case "name":
			ok, err = matchString(v, ptr(st.name))
		case "type":
			ok, err = matchString(v, ptr(st.typ))
		case "position":
			ok, err = matchNumber(v, ptr(st.position))
		case "team":
			ok, err = matchTeam(asMap(v), st.team)
		case "createdAt", "updatedAt":
			ok, err = s.matchDate(v, &st.createdAt)
		default:
			return false, unsupported("WorkflowStateFilter." + k)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func matchTeam(f map[string]any, t *team) (bool, error) {
	for k, v := range f {
		if v == nil {
			continue
		}
		var ok bool
		var err error
		switch k {
		case "and", "or":
			ok, err = combine(k, v, func(sub map[string]any) (bool, error) { return matchTeam(sub, t) })
		case "id":
			ok, err = matchID(v, t.id)
		case "key":
			ok, err = matchString(v, ptr(t.key))
		case "name":
			ok, err = matchString(v, ptr(t.name))
		default:
			return false, unsupported("TeamFilter." + k)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func matchUser(f map[string]any, u *user) (bool, error) {
	if u == nil {
		return len(f) == 0, nil
	}
	for k, v := range f {
		if v == nil {
			continue
		}
		var ok bool
		var err error
		switch k {
		case "and", "or":
			ok, err = combine(k, v, func(sub map[string]any) (bool, error) { return matchUser(sub, u) })
		case "id":
			ok, err = matchID(v, u.id)
		case "email":
			ok, err = matchString(v, ptr(u.email))
		case "name":
			ok, err = matchString(v, ptr(u.name))
		case "displayName":
			ok, err = matchString(v, ptr(u.displayName))
		case "active", "admin":
			b := u.active
			if k == "admin" {
				b = u.admin
			}
			eq, has := asMap(v)["eq"].(bool)
			ok = !has || eq == b
		case "isMe":
			ok = true
		default:
			return false, unsupported("UserFilter." + k)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func matchLabel(f map[string]any, l *label) (bool, error) {
	for k, v := range f {
		if v == nil {
			continue
		}
		var ok bool
		var err error
		switch k {
		case "and", "or":
			ok, err = combine(k, v, func(sub map[string]any) (bool, error) { return matchLabel(sub, l) })
		case "id":
			ok, err = matchID(v, l.id)
		case "name":
			ok, err = matchString(v, ptr(l.name))
		case "team":
			ok, err = matchNullable(asMap(v), l.team == nil, func(m map[string]any) (bool, error) { return matchTeam(m, l.team) })
		default:
			return false, unsupported("IssueLabelFilter." + k)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func matchProject(f map[string]any, p *project) (bool, error) {
	for k, v := range f {
		if v == nil {
			continue
		}
		var ok bool
		var err error
		switch k {
		case "and", "or":
			ok, err = combine(k, v, func(sub map[string]any) (bool, error) { return matchProject(sub, p) })
		case "id":
			ok, err = matchID(v, p.id)
		case "name":
			ok, err = matchString(v, ptr(p.name))
		case "slugId":
			ok, err = matchString(v, ptr(p.slugID))
		default:
			return false, unsupported("ProjectFilter." + k)
		}
		if err != nil || !ok {
			return false, err
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
	for k, v := range f {
		if v == nil {
			continue
		}
		var ok bool
		var err error
		switch k {
		case "and", "or":
			ok, err = combine(k, v, func(sub map[string]any) (bool, error) { return s.matchComment(sub, c) })
		case "id":
			ok, err = matchID(v, c.id)
		case "body":
			ok, err = matchString(v, ptr(c.body))
		case "createdAt":
			ok, err = s.matchDate(v, &c.createdAt)
		case "updatedAt":
			ok, err = s.matchDate(v, &c.updatedAt)
		case "issue":
			ok, err = s.matchIssue(asMap(v), c.issue)
		case "user":
			ok, err = matchUser(asMap(v), c.user)
		default:
			return false, unsupported("CommentFilter." + k)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
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

func matchString(v any, val *string) (bool, error) {
	f := asMap(v)
	for op, x := range f {
		if x == nil {
			continue
		}
		if op == "null" {
			if b, _ := x.(bool); b != (val == nil) {
				return false, nil
			}
			continue
		}
		if op == "in" || op == "nin" {
			list, _ := argStrings(f, op)
			hit := val != nil && slices.Contains(list, *val)
			if hit != (op == "in") {
				return false, nil
			}
			continue
		}
		s, _ := x.(string)
		if val == nil {
			if strings.HasPrefix(op, "n") || strings.HasPrefix(op, "not") {
				continue
			}
			return false, nil
		}
		have := *val
		var ok bool
		switch op {
		case "eq":
			ok = have == s
		case "neq":
			ok = have != s
		case "eqIgnoreCase":
			ok = strings.EqualFold(have, s)
		case "neqIgnoreCase":
			ok = !strings.EqualFold(have, s)
		case "contains":
			ok = strings.Contains(have, s)
		case "notContains":
			ok = !strings.Contains(have, s)
		case "containsIgnoreCase", "containsIgnoreCaseAndAccent":
			ok = strings.Contains(strings.ToLower(have), strings.ToLower(s))
		case "notContainsIgnoreCase":
			ok = !strings.Contains(strings.ToLower(have), strings.ToLower(s))
		case "startsWith":
			ok = strings.HasPrefix(have, s)
		case "startsWithIgnoreCase":
			ok = strings.HasPrefix(strings.ToLower(have), strings.ToLower(s))
		case "notStartsWith":
			ok = !strings.HasPrefix(have, s)
		case "endsWith":
			ok = strings.HasSuffix(have, s)
		case "notEndsWith":
			ok = !strings.HasSuffix(have, s)
		default:
			return false, unsupported("StringComparator." + op)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func matchNumber(v any, val *float64) (bool, error) {
	f := asMap(v)
	for op, x := range f {
		if x == nil {
			continue
		}
		if op == "null" {
			if b, _ := x.(bool); b != (val == nil) {
				return false, nil
			}
			continue
		}
		if op == "in" || op == "nin" {
			list, _ := x.([]any)
			hit := false
			for _, e := range list {
				if n, ok := gql.AsFloat(e); ok && val != nil && n == *val {
					hit = true
				}
			}
			if hit != (op == "in") {
				return false, nil
			}
			continue
		}
		n, ok := gql.AsFloat(x)
		if !ok {
			return false, invalidInput(fmt.Sprintf("invalid number %v", x), "")
		}
		if val == nil {
			if op == "neq" {
				continue
			}
			return false, nil
		}
		have := *val
		switch op {
		case "eq":
			ok = have == n
		case "neq":
			ok = have != n
		case "gt":
			ok = have > n
		case "gte":
			ok = have >= n
		case "lt":
			ok = have < n
		case "lte":
			ok = have <= n
		default:
			return false, unsupported("NumberComparator." + op)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func (s *Server) matchDate(v any, val *time.Time) (bool, error) {
	f := asMap(v)
	now := s.now()
	for op, x := range f {
		if x == nil {
			continue
		}
		if op == "null" {
			if b, _ := x.(bool); b != (val == nil) {
				return false, nil
			}
			continue
		}
		if op == "in" || op == "nin" {
			list, _ := x.([]any)
			hit := false
			for _, e := range list {
				t, err := parseTime(e, now)
				if err != nil {
					return false, invalidInput(err.Error(), "")
				}
				if val != nil && val.Equal(t) {
					hit = true
				}
			}
			if hit != (op == "in") {
				return false, nil
			}
			continue
		}
		t, err := parseTime(x, now)
		if err != nil {
			return false, invalidInput(err.Error(), "")
		}
		if val == nil {
			if op == "neq" {
				continue
			}
			return false, nil
		}
		c := val.Compare(t)
		var ok bool
		switch op {
		case "eq":
			ok = c == 0
		case "neq":
			ok = c != 0
		case "gt":
			ok = c > 0
		case "gte":
			ok = c >= 0
		case "lt":
			ok = c < 0
		case "lte":
			ok = c <= 0
		default:
			return false, unsupported("DateComparator." + op)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}
