// Package iteration pairs Jira sprints with Linear cycles: the same
// iteration is the sprint and the cycle whose dates overlap most. Match is
// pure; Directory keeps the two lists and the pairing current for the
// syncer.
package iteration

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Sprint states as Jira's Agile API spells them.
const (
	Active = "active"
	Future = "future"
	Closed = "closed"
)

// Sprint is a Jira sprint. A future sprint may have no dates yet.
type Sprint struct {
	ID         int64
	Name       string
	State      string    // active, future or closed
	Start, End time.Time // zero when unscheduled
}

// Dated says whether the sprint has a date range.
func (s Sprint) Dated() bool { return !s.Start.IsZero() && s.End.After(s.Start) }

// Cycle is a Linear cycle under its display name (its name, else
// "Cycle <number>").
type Cycle struct {
	ID         string
	Name       string
	Number     int
	Start, End time.Time
}

// How a pair was made.
const (
	ByTable = "table" // the mapping's sprints: table
	ByDates = "dates" // the date ranges overlap
	ByName  = "name"  // the same name, no overlap to go by
	ByOrder = "order" // an unscheduled future sprint and the next upcoming cycle
)

// Pair is one iteration on both sides.
type Pair struct {
	Sprint Sprint
	Cycle  Cycle
	By     string
}

// Pairing is the result of Match.
type Pairing struct {
	Pairs []Pair
	// Unmatched lists the open (active and future) sprints with no cycle,
	// in the order of the input.
	Unmatched []Sprint
	toCycle   map[string]string // lower-case sprint name → cycle name
	toSprint  map[string]string // lower-case cycle name → sprint name
	sprints   map[string]bool   // lower-case names of every sprint given
	cycles    map[string]bool   // lower-case names of every cycle given
	unpaired  map[string]bool   // lower-case names of Unmatched
}

// Unpaired says whether name is an open sprint no cycle pairs with (one of
// Unmatched).
func (p Pairing) Unpaired(name string) bool { return p.unpaired[strings.ToLower(name)] }

// CycleFor is the name of the cycle paired with the sprint named name.
func (p Pairing) CycleFor(name string) (string, bool) {
	c, ok := p.toCycle[strings.ToLower(name)]
	return c, ok
}

// SprintFor is the name of the sprint paired with the cycle named name.
func (p Pairing) SprintFor(name string) (string, bool) {
	s, ok := p.toSprint[strings.ToLower(name)]
	return s, ok
}

// Knows says whether name is a sprint's or a cycle's name (or in the
// table).
func (p Pairing) Knows(name string) bool {
	k := strings.ToLower(name)
	_, a := p.toCycle[k]
	_, b := p.toSprint[k]
	return a || b || p.sprints[k] || p.cycles[k]
}

// phase places a range against now: -1 past, 0 current, 1 upcoming.
func phase(start, end, now time.Time) int {
	switch {
	case !end.After(now):
		return -1
	case start.After(now):
		return 1
	}
	return 0
}

// sprintPhase is where a sprint's state puts it: closed past, active
// current, future upcoming.
func sprintPhase(s Sprint) int {
	switch strings.ToLower(s.State) {
	case Closed:
		return -1
	case Active:
		return 0
	}
	return 1
}

func overlap(s Sprint, c Cycle) time.Duration {
	if !s.Dated() {
		return 0
	}
	lo, hi := s.Start, s.End
	if c.Start.After(lo) {
		lo = c.Start
	}
	if c.End.Before(hi) {
		hi = c.End
	}
	if !hi.After(lo) {
		return 0
	}
	return hi.Sub(lo)
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// Match pairs sprints with cycles, each at most once:
//
//  1. the table's pairs (sprint name → cycle name), always;
//  2. by dates: of all the sprint–cycle pairs whose ranges overlap (for
//     at least half of the shorter one), or whose names are the same, the
//     best first, where better is: the
//     sprint's state agrees with where the cycle lies (active ⇄ the
//     current cycle, future ⇄ an upcoming one, closed ⇄ a past one), then
//     the longer overlap, then the same name, then the nearer start;
//  3. by order: the future sprints without dates left (by id) take the
//     upcoming cycles left (by start), one each.
//
// Names compare without case. The result does not depend on the order of
// the inputs (ties go to the lower sprint id and cycle number).
func Match(sprints []Sprint, cycles []Cycle, table map[string]string, now time.Time) Pairing {
	p := Pairing{toCycle: map[string]string{}, toSprint: map[string]string{}, sprints: map[string]bool{}, cycles: map[string]bool{}}
	ss := slices.Clone(sprints)
	slices.SortStableFunc(ss, func(a, b Sprint) int { return cmp.Or(cmp.Compare(a.ID, b.ID), strings.Compare(a.Name, b.Name)) })
	cs := slices.Clone(cycles)
	slices.SortStableFunc(cs, func(a, b Cycle) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Number, b.Number), strings.Compare(a.ID, b.ID))
	})
	for _, s := range ss {
		p.sprints[strings.ToLower(s.Name)] = true
	}
	for _, c := range cs {
		p.cycles[strings.ToLower(c.Name)] = true
	}
	sTaken := make([]bool, len(ss))
	cTaken := make([]bool, len(cs))
	pair := func(i, j int, by string) {
		sTaken[i], cTaken[j] = true, true
		p.Pairs = append(p.Pairs, Pair{Sprint: ss[i], Cycle: cs[j], By: by})
		p.add(ss[i].Name, cs[j].Name)
	}
	// 1. The table.
	keys := make([]string, 0, len(table))
	for k := range table {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, sn := range keys {
		cn := table[sn]
		i := slices.IndexFunc(ss, func(s Sprint) bool { return strings.EqualFold(s.Name, sn) })
		j := slices.IndexFunc(cs, func(c Cycle) bool { return strings.EqualFold(c.Name, cn) })
		if i >= 0 && j >= 0 && !sTaken[i] && !cTaken[j] {
			pair(i, j, ByTable)
			continue
		}
		if i >= 0 {
			sTaken[i] = true // the table has its say even when the other side is missing
		}
		if j >= 0 {
			cTaken[j] = true
		}
		p.add(sn, cn)
	}
	// 2. By dates (or names).
	type cand struct {
		i, j   int
		agrees bool
		over   time.Duration
		same   bool
		dist   time.Duration
	}
	var cands []cand
	for i, s := range ss {
		if sTaken[i] {
			continue
		}
		for j, c := range cs {
			if cTaken[j] {
				continue
			}
			o := overlap(s, c)
			if o > 0 && 2*o < min(s.End.Sub(s.Start), c.End.Sub(c.Start)) {
				o = 0 // a brush at the edges: not the same iteration
			}
			same := strings.EqualFold(s.Name, c.Name)
			if o <= 0 && !same {
				continue
			}
			d := time.Duration(0)
			if s.Dated() {
				d = absDur(s.Start.Sub(c.Start))
			}
			cands = append(cands, cand{i: i, j: j, agrees: sprintPhase(s) == phase(c.Start, c.End, now), over: o, same: same, dist: d})
		}
	}
	boolRank := func(b bool) int {
		if b {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(cands, func(a, b cand) int {
		return cmp.Or(
			cmp.Compare(boolRank(a.agrees), boolRank(b.agrees)),
			cmp.Compare(b.over, a.over),
			cmp.Compare(boolRank(a.same), boolRank(b.same)),
			cmp.Compare(a.dist, b.dist),
			cmp.Compare(a.i, b.i), cmp.Compare(a.j, b.j))
	})
	for _, c := range cands {
		if sTaken[c.i] || cTaken[c.j] {
			continue
		}
		by := ByDates
		if c.over <= 0 {
			by = ByName
		}
		pair(c.i, c.j, by)
	}
	// 3. Unscheduled future sprints take the upcoming cycles left, in order.
	j := 0
	for i, s := range ss {
		if sTaken[i] || s.Dated() || sprintPhase(s) != 1 {
			continue
		}
		for j < len(cs) && (cTaken[j] || phase(cs[j].Start, cs[j].End, now) != 1) {
			j++
		}
		if j == len(cs) {
			break
		}
		pair(i, j, ByOrder)
	}
	// Unmatched open sprints, in the input's order.
	for _, s := range sprints {
		if sprintPhase(s) < 0 {
			continue
		}
		i := slices.IndexFunc(ss, func(x Sprint) bool { return x == s })
		if i >= 0 && !sTaken[i] {
			p.Unmatched = append(p.Unmatched, s)
			if p.unpaired == nil {
				p.unpaired = map[string]bool{}
			}
			p.unpaired[strings.ToLower(s.Name)] = true
		}
	}
	return p
}

// add records a pair of names; the first pair of a name wins.
func (p *Pairing) add(sprint, cycle string) {
	if _, dup := p.toCycle[strings.ToLower(sprint)]; !dup {
		p.toCycle[strings.ToLower(sprint)] = cycle
	}
	if _, dup := p.toSprint[strings.ToLower(cycle)]; !dup {
		p.toSprint[strings.ToLower(cycle)] = sprint
	}
}
