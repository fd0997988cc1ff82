package sandbox

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// This file is a parser and evaluator for the subset of JQL the sandbox
// serves. Errors carry Jira's wording and "(line 1, character N)" positions.

type tokKind int

const (
	tEOF tokKind = iota
	tWord
	tString
	tOp
	tLParen
	tRParen
	tComma
)

type token struct {
	kind tokKind
	text string
	pos  int // 1-based character index
}

func (t token) String() string {
	if t.kind == tEOF {
		return "EOF"
	}
	return t.text
}

// jqlError is a JQL syntax or validation error.
type jqlError struct{ msg string }

func (e *jqlError) Error() string { return e.msg }

func jqlErrf(format string, a ...any) error { return &jqlError{msg: fmt.Sprintf(format, a...)} }

func lex(q string) ([]token, error) {
	var toks []token
	rs := []rune(q)
	for i := 0; i < len(rs); {
		c := rs[i]
		pos := i + 1
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '(':
			toks = append(toks, token{tLParen, "(", pos})
			i++
		case c == ')':
			toks = append(toks, token{tRParen, ")", pos})
			i++
		case c == ',':
			toks = append(toks, token{tComma, ",", pos})
			i++
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(rs) {
				if rs[j] == '\\' && j+1 < len(rs) {
					b.WriteRune(rs[j+1])
					j += 2
					continue
				}
				if rs[j] == c {
					closed = true
					break
				}
				b.WriteRune(rs[j])
				j++
			}
			if !closed {
				return nil, jqlErrf("Error in the JQL Query: The quoted string '%s' has not been completed. (line 1, character %d)", string(rs[i+1:]), pos)
			}
			toks = append(toks, token{tString, b.String(), pos})
			i = j + 1
		case c == '=' || c == '~':
			toks = append(toks, token{tOp, string(c), pos})
			i++
		case c == '!' || c == '<' || c == '>':
			if i+1 < len(rs) && (rs[i+1] == '=' || (c == '!' && rs[i+1] == '~')) {
				toks = append(toks, token{tOp, string(rs[i : i+2]), pos})
				i += 2
			} else if c == '!' {
				return nil, jqlErrf("Error in the JQL Query: The character '!' is a reserved JQL character. You must enclose it in a string or use the escape '\\u0021' instead. (line 1, character %d)", pos)
			} else {
				toks = append(toks, token{tOp, string(c), pos})
				i++
			}
		default:
			j := i
			depth := 0
			for j < len(rs) {
				r := rs[j]
				if r == '[' {
					depth++
				} else if r == ']' {
					depth--
				} else if depth == 0 && (unicode.IsSpace(r) || strings.ContainsRune("()\",'=!<>~", r)) {
					break
				}
				j++
			}
			w := string(rs[i:j])
			toks = append(toks, token{tWord, w, pos})
			i = j
		}
	}
	toks = append(toks, token{kind: tEOF, pos: len(rs) + 1})
	return toks, nil
}

// query is a parsed JQL query.
type query struct {
	where   pred // nil: no restriction
	order   []sortKey
	bounded bool
	// since is a lower bound of the matches' updated time (zero: none),
	// from an `updated >= t` or `updated > t` clause every match must
	// satisfy (not under OR or NOT); run reads only the issues from it.
	since time.Time
}

type sortKey struct {
	field string // canonical: updated, created, rank, key, id, priority, status, summary
	desc  bool
}

type parser struct {
	s     *Server
	toks  []token
	i     int
	depth int
	now   time.Time
	me    *user
	lows  []low // updated lower bounds met so far, see query.since
}

// low is the time of an `updated >= t` clause; ok is false once the
// clause turns out to sit under OR or NOT.
type low struct {
	t  time.Time
	ok bool
}

// disown marks the bounds from index from on as not binding.
func (p *parser) disown(from int) {
	for i := from; i < len(p.lows); i++ {
		p.lows[i].ok = false
	}
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func isKW(t token, kw string) bool { return t.kind == tWord && strings.EqualFold(t.text, kw) }

// parseJQL parses q against the server's catalog; the caller holds s.mu.
func (s *Server) parseJQL(q string, me *user) (*query, error) {
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	p := &parser{s: s, toks: toks, now: s.now(), me: me}
	out := &query{}
	if p.peek().kind != tEOF && !isKW(p.peek(), "order") {
		out.where, err = p.parseOr()
		if err != nil {
			return nil, err
		}
		out.bounded = true
		for _, l := range p.lows {
			if l.ok && l.t.After(out.since) {
				out.since = l.t
			}
		}
	}
	if isKW(p.peek(), "order") {
		p.next()
		if !isKW(p.peek(), "by") {
			t := p.peek()
			return nil, jqlErrf("Error in the JQL Query: Expecting 'by' but got '%s'. (line 1, character %d)", t, t.pos)
		}
		p.next()
		for {
			t := p.next()
			if t.kind != tWord && t.kind != tString {
				return nil, jqlErrf("Error in the JQL Query: Expecting a field name but got '%s'. (line 1, character %d)", t, t.pos)
			}
			f, ok := sortField(t.text)
			if !ok {
				return nil, jqlErrf("Not able to sort using field '%s'.", t.text)
			}
			k := sortKey{field: f}
			if isKW(p.peek(), "asc") {
				p.next()
			} else if isKW(p.peek(), "desc") {
				p.next()
				k.desc = true
			}
			out.order = append(out.order, k)
			if p.peek().kind != tComma {
				break
			}
			p.next()
		}
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, jqlErrf("Error in the JQL Query: Expecting either 'OR' or 'AND' but got '%s'. (line 1, character %d)", t, t.pos)
	}
	return out, nil
}

func sortField(name string) (string, bool) {
	switch strings.ToLower(name) {
	case "updated", "updateddate":
		return "updated", true
	case "created", "createddate":
		return "created", true
	case "rank", "cf[10019]", RankField:
		return "rank", true
	case "key", "issuekey", "issue":
		return "key", true
	case "id":
		return "id", true
	case "priority":
		return "priority", true
	case "status":
		return "status", true
	case "summary":
		return "summary", true
	}
	return "", false
}

func (p *parser) parseOr() (pred, error) { return p.parseChain("or", p.parseAnd, tri.or) }

func (p *parser) parseAnd() (pred, error) { return p.parseChain("and", p.parseNot, tri.and) }

// parseChain parses operands joined by the keyword kw (AND or OR) into one
// predicate that joins their answers with join. Every operand is evaluated.
func (p *parser) parseChain(kw string, operand func() (pred, error), join func(x, y tri) tri) (pred, error) {
	start := len(p.lows)
	l, err := operand()
	if err != nil {
		return nil, err
	}
	joined := false
	for isKW(p.peek(), kw) {
		joined = true
		p.next()
		r, err := operand()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(is *issue) tri { return join(a(is), b(is)) }
	}
	if joined && kw == "or" {
		p.disown(start) // a bound of one alternative binds no match
	}
	return l, nil
}

func (p *parser) parseNot() (pred, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 64 {
		return nil, jqlErrf("Error in the JQL Query: The query is too complex. (line 1, character %d)", p.peek().pos)
	}
	t := p.peek()
	if isKW(t, "not") {
		p.next()
		start := len(p.lows)
		e, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		p.disown(start)
		return func(is *issue) tri { return e(is).not() }, nil
	}
	if t.kind == tLParen {
		p.next()
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, jqlErrf("Error in the JQL Query: Expecting ')' but got '%s'. (line 1, character %d)", c, c.pos)
		}
		return e, nil
	}
	return p.parseClause()
}

const validOps = "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."

// operand is one value of a clause: a literal or a function call.
type operand struct {
	text  string
	fn    bool
	empty bool
	pos   int
}

func (p *parser) parseOperand() (operand, error) {
	t := p.next()
	switch {
	case t.kind == tString:
		return operand{text: t.text, pos: t.pos}, nil
	case t.kind == tWord:
		if isKW(t, "empty") || isKW(t, "null") {
			return operand{empty: true, pos: t.pos}, nil
		}
		if p.peek().kind == tLParen {
			p.next()
			for p.peek().kind != tRParen {
				a := p.next()
				if a.kind == tEOF {
					return operand{}, jqlErrf("Error in the JQL Query: Expecting ')' but got 'EOF'. (line 1, character %d)", a.pos)
				}
			}
			p.next()
			return operand{text: strings.ToLower(t.text), fn: true, pos: t.pos}, nil
		}
		return operand{text: t.text, pos: t.pos}, nil
	}
	return operand{}, jqlErrf("Error in the JQL Query: Expecting either a value, list or function but got '%s'. (line 1, character %d)", t, t.pos)
}

func (p *parser) parseClause() (pred, error) {
	ft := p.next()
	if ft.kind != tWord && ft.kind != tString {
		return nil, jqlErrf("Error in the JQL Query: Expecting a field name but got '%s'. (line 1, character %d)", ft, ft.pos)
	}
	if isKW(ft, "and") || isKW(ft, "or") || isKW(ft, "order") {
		return nil, jqlErrf("Error in the JQL Query: Expecting a field name but got '%s'. (line 1, character %d)", ft, ft.pos)
	}
	// operator
	ot := p.next()
	var op string
	switch {
	case ot.kind == tOp:
		op = ot.text
	case isKW(ot, "in"):
		op = "in"
	case isKW(ot, "is"):
		op = "is"
		if isKW(p.peek(), "not") {
			p.next()
			op = "is not"
		}
	case isKW(ot, "not"):
		if n := p.next(); !isKW(n, "in") {
			return nil, jqlErrf("Error in the JQL Query: Expecting 'IN' but got '%s'. (line 1, character %d)", n, n.pos)
		}
		op = "not in"
	default:
		return nil, jqlErrf("Error in the JQL Query: Expecting operator but got '%s'. %s (line 1, character %d)", ot, validOps, ot.pos)
	}
	var vals []operand
	switch op {
	case "in", "not in":
		if p.peek().kind == tWord {
			// A list function: sprint in openSprints().
			v, err := p.parseOperand()
			if err != nil {
				return nil, err
			}
			if !v.fn {
				return nil, jqlErrf("Error in the JQL Query: Expecting '(' but got '%s'. (line 1, character %d)", v.text, v.pos)
			}
			vals = []operand{v}
			break
		}
		if t := p.next(); t.kind != tLParen {
			return nil, jqlErrf("Error in the JQL Query: Expecting '(' but got '%s'. (line 1, character %d)", t, t.pos)
		}
		for {
			v, err := p.parseOperand()
			if err != nil {
				return nil, err
			}
			vals = append(vals, v)
			t := p.next()
			if t.kind == tRParen {
				break
			}
			if t.kind != tComma {
				return nil, jqlErrf("Error in the JQL Query: Expecting ')' but got '%s'. (line 1, character %d)", t, t.pos)
			}
		}
	default:
		v, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		if isEmptyOp(op) != v.empty {
			if v.empty {
				return nil, jqlErrf("The operator '%s' does not support searching for EMPTY values.", strings.ToUpper(op))
			}
			return nil, jqlErrf("The operator '%s' only supports searching for EMPTY values.", strings.ToUpper(op))
		}
		vals = []operand{v}
	}
	return p.s.clause(p, ft.text, op, vals)
}

var propFieldRE = regexp.MustCompile(`^issue\.property\[([^\]]+)\]\.(.+)$`)

// tri is a three-valued truth: a clause on an empty field is unknown, so
// that neither "labels = x" nor "labels != x" nor "NOT labels = x" matches an
// issue without labels, as in Jira.
type tri int8

const (
	no tri = iota
	yes
	unknown
)

func b2t(b bool) tri {
	if b {
		return yes
	}
	return no
}

func (t tri) not() tri {
	switch t {
	case yes:
		return no
	case no:
		return yes
	}
	return unknown
}

// or is yes when either is, else unknown when either is, else no.
func (t tri) or(u tri) tri {
	switch {
	case t == yes || u == yes:
		return yes
	case t == unknown || u == unknown:
		return unknown
	}
	return no
}

// and is no when either is, else unknown when either is, else yes.
func (t tri) and(u tri) tri {
	switch {
	case t == no || u == no:
		return no
	case t == unknown || u == unknown:
		return unknown
	}
	return yes
}

// pred is a compiled JQL condition.
type pred func(*issue) tri

// negate turns the positive form of a clause into op's form.
func negate(op string, f pred) pred {
	switch op {
	case "!=", "not in", "is not", "!~":
		return func(is *issue) tri { return f(is).not() }
	}
	return f
}

func opsAllowed(field, op string, allowed ...string) error {
	if slices.Contains(allowed, op) {
		return nil
	}
	return jqlErrf("The operator '%s' is not supported by the '%s' field.", strings.ToUpper(op), field)
}

var (
	eqOps   = []string{"=", "!=", "in", "not in"}
	eqEmpty = []string{"=", "!=", "in", "not in", "is", "is not"}
	cmpOps  = []string{"=", "!=", "<", "<=", ">", ">=", "is", "is not", "in", "not in"}
)

// orderOps answers the ordering operators from a comparison's sign
// (negative: the field's value is less than the operand).
var orderOps = map[string]func(c int) bool{
	"<":  func(c int) bool { return c < 0 },
	"<=": func(c int) bool { return c <= 0 },
	">":  func(c int) bool { return c > 0 },
	">=": func(c int) bool { return c >= 0 },
}

// isEmptyOp tells IS and IS NOT, which ask whether a field is empty.
func isEmptyOp(op string) bool { return op == "is" || op == "is not" }

// onField answers a clause on a field that may be empty: IS and IS NOT ask
// whether it is; any other operator on an empty field is unknown; otherwise
// match decides (the positive form; negate turns it).
func onField(op string, empty bool, match func() bool) tri {
	if isEmptyOp(op) {
		return b2t(empty)
	}
	if empty {
		return unknown
	}
	return b2t(match())
}

// resolveValues looks every operand up with find; one it cannot find is
// Jira's "value does not exist" error for the field. With skipEmpty, EMPTY
// operands are passed over rather than looked up.
func resolveValues[T any](vals []operand, field string, skipEmpty bool, find func(operand) (T, bool)) ([]T, error) {
	var out []T
	for _, v := range vals {
		if skipEmpty && v.empty {
			continue
		}
		x, ok := find(v)
		if !ok {
			return nil, jqlErrf("The value '%s' does not exist for the field '%s'.", v.text, field)
		}
		out = append(out, x)
	}
	return out, nil
}

// clause builds the predicate for one clause.
func (s *Server) clause(p *parser, field, op string, vals []operand) (pred, error) {
	if m := propFieldRE.FindStringSubmatch(field); m != nil {
		if err := opsAllowed(field, op, eqEmpty...); err != nil {
			return nil, err
		}
		key, path := m[1], strings.Split(m[2], ".")
		want := vals
		// Jira indexes only the property paths an installed app declared;
		// others are valid JQL that match no value.
		indexed := slices.Contains(s.opts.IndexedProperties, key+"."+m[2]) || slices.Contains(s.opts.IndexedProperties, key)
		return negate(op, func(is *issue) tri {
			v, ok := propPath(is.Props[key], path)
			ok = ok && indexed
			return onField(op, !ok, func() bool {
				return slices.ContainsFunc(want, func(w operand) bool { return v == w.text })
			})
		}), nil
	}
	lf := strings.ToLower(field)
	switch lf {
	case "project":
		if err := opsAllowed(field, op, eqOps...); err != nil {
			return nil, err
		}
		for _, v := range vals {
			if !s.projectMatches(v.text) && !strings.EqualFold(v.text, s.project.Name) {
				return nil, jqlErrf("The value '%s' does not exist for the field 'project'.", v.text)
			}
		}
		return negate(op, func(*issue) tri { return yes }), nil
	case "key", "issuekey", "issue", "id":
		if err := opsAllowed(field, op, "=", "!=", "in", "not in", "<", "<=", ">", ">="); err != nil {
			return nil, err
		}
		ids := make([]int, 0, len(vals))
		for _, v := range vals {
			id, err := s.issueNumber(field, v.text)
			if err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		return negate(op, func(is *issue) tri {
			n := keyNumber(is.Key)
			if lf == "id" && !strings.Contains(vals[0].text, "-") {
				n = is.ID
			}
			if ord, ok := orderOps[op]; ok {
				return b2t(ord(cmp.Compare(n, ids[0])))
			}
			return b2t(slices.Contains(ids, n))
		}), nil
	case "updated", "updateddate", "created", "createddate", "resolved", "resolutiondate", "due", "duedate":
		if err := opsAllowed(field, op, cmpOps...); err != nil {
			return nil, err
		}
		get := func(is *issue) time.Time {
			switch lf {
			case "updated", "updateddate":
				return is.Updated
			case "created", "createddate":
				return is.Created
			case "resolved", "resolutiondate":
				return is.Resolved
			}
			t, _ := time.Parse(time.DateOnly, is.DueDate)
			return t
		}
		if isEmptyOp(op) {
			return negate(op, func(is *issue) tri { return b2t(get(is).IsZero()) }), nil
		}
		ts := make([]time.Time, 0, len(vals))
		for _, v := range vals {
			t, err := parseJQLDate(field, v, p.now)
			if err != nil {
				return nil, err
			}
			ts = append(ts, t)
		}
		if (lf == "updated" || lf == "updateddate") && (op == ">=" || op == ">") && len(ts) == 1 {
			p.lows = append(p.lows, low{t: ts[0], ok: true})
		}
		return negate(op, func(is *issue) tri {
			t := get(is)
			if t.IsZero() {
				return unknown
			}
			if ord, ok := orderOps[op]; ok {
				return b2t(ord(t.Compare(ts[0])))
			}
			return b2t(slices.ContainsFunc(ts, t.Equal))
		}), nil
	case "status":
		if err := opsAllowed(field, op, eqOps...); err != nil {
			return nil, err
		}
		ids, err := resolveValues(vals, "status", false, func(v operand) (string, bool) {
			st := s.statusByName(v.text)
			if st == nil {
				return "", false
			}
			return st.ID, true
		})
		if err != nil {
			return nil, err
		}
		return negate(op, func(is *issue) tri { return b2t(slices.Contains(ids, is.Status.ID)) }), nil
	case "statuscategory":
		if err := opsAllowed(field, op, eqOps...); err != nil {
			return nil, err
		}
		keys, err := resolveValues(vals, "statusCategory", false, func(v operand) (string, bool) {
			k := ""
			for _, c := range []category{catNew, catProg, catDone} {
				if strings.EqualFold(v.text, c.Key) || strings.EqualFold(v.text, c.Name) || v.text == itoa(c.ID) {
					k = c.Key
				}
			}
			return k, k != ""
		})
		if err != nil {
			return nil, err
		}
		return negate(op, func(is *issue) tri { return b2t(slices.Contains(keys, is.Status.Cat.Key)) }), nil
	case "priority":
		if err := opsAllowed(field, op, eqEmpty...); err != nil {
			return nil, err
		}
		ids, err := resolveValues(vals, "priority", true, func(v operand) (string, bool) {
			pr := s.priorityByRef(v.text, "")
			if pr == nil {
				pr = s.priorityByRef("", v.text)
			}
			if pr == nil {
				return "", false
			}
			return pr.ID, true
		})
		if err != nil {
			return nil, err
		}
		return negate(op, func(is *issue) tri {
			if isEmptyOp(op) {
				return b2t(is.Priority == nil)
			}
			return b2t(is.Priority != nil && slices.Contains(ids, is.Priority.ID))
		}), nil
	case "issuetype", "type":
		if err := opsAllowed(field, op, eqOps...); err != nil {
			return nil, err
		}
		ids, err := resolveValues(vals, "issuetype", false, func(v operand) (string, bool) {
			t := s.typeByRef(v.text, "")
			if t == nil {
				t = s.typeByRef("", v.text)
			}
			if t == nil {
				return "", false
			}
			return t.ID, true
		})
		if err != nil {
			return nil, err
		}
		return negate(op, func(is *issue) tri { return b2t(slices.Contains(ids, is.Type.ID)) }), nil
	case "sprint", "cf[10020]", SprintField:
		if err := opsAllowed(field, op, eqEmpty...); err != nil {
			return nil, err
		}
		var match []func(*sprint) bool
		for _, v := range vals {
			switch {
			case v.empty:
			case v.fn && v.text == "opensprints":
				match = append(match, func(sp *sprint) bool { return sp.State != SprintClosed })
			case v.fn && v.text == "closedsprints":
				match = append(match, func(sp *sprint) bool { return sp.State == SprintClosed })
			case v.fn && v.text == "futuresprints":
				match = append(match, func(sp *sprint) bool { return sp.State == SprintFuture })
			case v.fn:
				return nil, jqlErrf("Unable to find JQL function '%s()'.", v.text)
			default:
				var want *sprint
				if id, err := strconv.Atoi(v.text); err == nil {
					want = s.sprintByID(id)
				}
				if want == nil {
					want = s.sprintByName(v.text)
				}
				if want == nil {
					return nil, jqlErrf("The value '%s' does not exist for the field 'sprint'.", v.text)
				}
				match = append(match, func(sp *sprint) bool { return sp == want })
			}
		}
		return negate(op, func(is *issue) tri {
			if is.Type.Hierarchy < 0 && is.Parent != nil {
				is = is.Parent
			}
			return onField(op, len(is.Sprints) == 0, func() bool {
				return slices.ContainsFunc(is.Sprints, func(sp *sprint) bool {
					return slices.ContainsFunc(match, func(m func(*sprint) bool) bool { return m(sp) })
				})
			})
		}), nil
	case "parent":
		if err := opsAllowed(field, op, eqEmpty...); err != nil {
			return nil, err
		}
		ids, err := resolveValues(vals, "parent", true, func(v operand) (int, bool) {
			is := s.lookup(v.text)
			if is == nil {
				return 0, false
			}
			return is.ID, true
		})
		if err != nil {
			return nil, err
		}
		return negate(op, func(is *issue) tri {
			return onField(op, is.Parent == nil, func() bool { return slices.Contains(ids, is.Parent.ID) })
		}), nil
	case "labels":
		if err := opsAllowed(field, op, eqEmpty...); err != nil {
			return nil, err
		}
		return negate(op, func(is *issue) tri {
			return onField(op, len(is.Labels) == 0, func() bool {
				return slices.ContainsFunc(vals, func(v operand) bool { return slices.Contains(is.Labels, v.text) })
			})
		}), nil
	case "assignee", "reporter", "creator":
		if err := opsAllowed(field, op, eqEmpty...); err != nil {
			return nil, err
		}
		ids, err := resolveValues(vals, lf, true, func(v operand) (string, bool) {
			if v.fn && v.text == "currentuser" {
				return p.me.AccountID, true
			}
			u := s.userByAccount(v.text)
			if u == nil {
				u = s.userByEmail(v.text)
			}
			if u == nil {
				return "", false
			}
			return u.AccountID, true
		})
		if err != nil {
			return nil, err
		}
		return negate(op, func(is *issue) tri {
			u := is.Assignee
			switch lf {
			case "reporter":
				u = is.Reporter
			case "creator":
				u = is.Creator
			}
			return onField(op, u == nil, func() bool { return slices.Contains(ids, u.AccountID) })
		}), nil
	case "summary", "description", "text":
		if err := opsAllowed(field, op, "~", "!~", "is", "is not"); err != nil {
			return nil, err
		}
		return negate(op, func(is *issue) tri {
			hay := is.Summary
			if lf == "description" {
				hay = wikiOf(is.Desc)
			} else if lf == "text" {
				hay += "\n" + wikiOf(is.Desc)
			}
			if isEmptyOp(op) {
				return b2t(strings.TrimSpace(hay) == "")
			}
			return b2t(textMatch(hay, vals[0].text))
		}), nil
	}
	return nil, jqlErrf("Field '%s' does not exist or you do not have permission to view it.", field)
}

// textMatch approximates Jira's ~: every word of the query occurs in the text.
func textMatch(hay, q string) bool {
	hay = strings.ToLower(hay)
	for _, w := range strings.Fields(strings.ToLower(strings.Trim(q, "*"))) {
		if !strings.Contains(hay, strings.Trim(w, "*")) {
			return false
		}
	}
	return true
}

func keyNumber(key string) int {
	_, n, _ := strings.Cut(key, "-")
	i, _ := strconv.Atoi(n)
	return i
}

// issueNumber resolves a key or id operand to the key number (keys) or id.
func (s *Server) issueNumber(field, v string) (int, error) {
	if n, err := strconv.Atoi(v); err == nil {
		if is := s.byID[n]; is != nil && !strings.EqualFold(field, "id") {
			return keyNumber(is.Key), nil
		}
		return n, nil
	}
	proj, num, ok := strings.Cut(strings.ToUpper(v), "-")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n <= 0 {
		return 0, jqlErrf("The issue key '%s' for field '%s' is invalid.", v, field)
	}
	if proj != s.project.Key || n > s.nextKey {
		return 0, jqlErrf("An issue with key '%s' does not exist for field '%s'.", v, field)
	}
	return n, nil
}

var relRE = regexp.MustCompile(`^([+-]?)((?:\d+[yMwdhm]\s*)+)$`)
var relPartRE = regexp.MustCompile(`(\d+)([yMwdhm])`)

func parseJQLDate(field string, v operand, now time.Time) (time.Time, error) {
	if v.fn {
		switch v.text {
		case "now":
			return now, nil
		case "startofday":
			return now.Truncate(24 * time.Hour), nil
		}
		return time.Time{}, jqlErrf("Unable to find JQL function '%s()'.", v.text)
	}
	for _, layout := range []string{"2006/01/02 15:04", "2006-01-02 15:04", "2006/01/02", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v.text, time.UTC); err == nil {
			return t, nil
		}
	}
	if m := relRE.FindStringSubmatch(strings.TrimSpace(v.text)); m != nil {
		t := now
		sign := 1
		if m[1] == "-" {
			sign = -1
		}
		for _, part := range relPartRE.FindAllStringSubmatch(m[2], -1) {
			n, err := strconv.Atoi(part[1])
			if err != nil || n > 1_000_000 {
				break
			}
			n *= sign
			switch part[2] {
			case "y":
				t = t.AddDate(n, 0, 0)
			case "M":
				t = t.AddDate(0, n, 0)
			case "w":
				t = t.AddDate(0, 0, 7*n)
			case "d":
				t = t.AddDate(0, 0, n)
			case "h":
				t = t.Add(time.Duration(n) * time.Hour)
			case "m":
				t = t.Add(time.Duration(n) * time.Minute)
			}
		}
		return t, nil
	}
	return time.Time{}, jqlErrf("Date value '%s' for field '%s' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.", v.text, field)
}

// propPath reads a dotted path from a JSON property value, as a string.
func propPath(raw json.RawMessage, path []string) (string, bool) {
	if raw == nil {
		return "", false
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", false
	}
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		if v, ok = m[k]; !ok {
			return "", false
		}
	}
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// sortIssues orders by the query's keys, then by Jira's default: created
// descending, then id.
func (s *Server) sortIssues(l []*issue, order []sortKey) {
	prioRank := func(p *priority) int {
		if p == nil {
			return 99
		}
		n, _ := strconv.Atoi(p.ID)
		return n
	}
	slices.SortStableFunc(l, func(a, b *issue) int {
		for _, k := range order {
			c := 0
			switch k.field {
			case "updated":
				c = a.Updated.Compare(b.Updated)
			case "created":
				c = a.Created.Compare(b.Created)
			case "rank":
				c = strings.Compare(a.Rank, b.Rank)
			case "key":
				c = keyNumber(a.Key) - keyNumber(b.Key)
			case "id":
				c = a.ID - b.ID
			case "priority":
				c = prioRank(b.Priority) - prioRank(a.Priority)
			case "status":
				c = strings.Compare(a.Status.Name, b.Status.Name)
			case "summary":
				c = strings.Compare(a.Summary, b.Summary)
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		if len(order) == 0 {
			if c := b.Created.Compare(a.Created); c != 0 {
				return c
			}
			return b.ID - a.ID
		}
		return a.ID - b.ID
	})
}
