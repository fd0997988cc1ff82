package iteration

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	now = time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC)
	day = 24 * time.Hour
)

func at(days float64) time.Time { return now.Add(time.Duration(days * float64(day))) }

func sprint(id int64, name, state string, from, to float64) Sprint {
	s := Sprint{ID: id, Name: name, State: state}
	if from != to {
		s.Start, s.End = at(from), at(to)
	}
	return s
}

func cycle(n int, name string, from, to float64) Cycle {
	if name == "" {
		name = fmt.Sprintf("Cycle %d", n)
	}
	return Cycle{ID: fmt.Sprintf("c%d", n), Name: name, Number: n, Start: at(from), End: at(to)}
}

// The sandboxes' default world: Jira's sprint 1 closed, 2 active, 3 future
// without dates; Linear's cycles 1 (past) and 2 (current) unnamed, 3
// ("Hardening") next. Linear's cycles start at midnight, Jira's sprints at
// the hour.
func defaultWorld() ([]Sprint, []Cycle) {
	midnight := -15.0 / 24
	return []Sprint{
			sprint(1, "TAN Sprint 1", Closed, -21, -7),
			sprint(2, "TAN Sprint 2", Active, -7, 7),
			sprint(3, "TAN Sprint 3", Future, 0, 0),
		}, []Cycle{
			cycle(1, "", midnight-14, midnight),
			cycle(2, "", midnight, midnight+14),
			cycle(3, "Hardening", midnight+14, midnight+28),
		}
}

func TestMatch(t *testing.T) {
	ds, dc := defaultWorld()
	for _, tc := range []struct {
		name      string
		sprints   []Sprint
		cycles    []Cycle
		table     map[string]string
		want      map[string]string // sprint → cycle
		by        map[string]string // sprint → how
		unmatched []string
	}{
		{
			name: "default world: active ⇄ current, future ⇄ next by order, closed ⇄ past", sprints: ds, cycles: dc,
			want: map[string]string{"TAN Sprint 1": "Cycle 1", "TAN Sprint 2": "Cycle 2", "TAN Sprint 3": "Hardening"},
			by:   map[string]string{"TAN Sprint 1": ByDates, "TAN Sprint 2": ByDates, "TAN Sprint 3": ByOrder},
		},
		{
			name:    "the active sprint takes the current cycle though it overlaps the past one more",
			sprints: []Sprint{sprint(2, "S2", Active, -12, 9)},
			cycles:  []Cycle{cycle(1, "", -14, 0), cycle(2, "", 0, 14)},
			want:    map[string]string{"S2": "Cycle 2"},
		},
		{
			name:    "most overlap wins among upcoming cycles",
			sprints: []Sprint{sprint(5, "S5", Future, 20, 34)},
			cycles:  []Cycle{cycle(3, "", 14, 28), cycle(4, "", 28, 42)},
			want:    map[string]string{"S5": "Cycle 3"},
			by:      map[string]string{"S5": ByDates},
		},
		{
			name:    "equal overlaps: the same name breaks the tie",
			sprints: []Sprint{sprint(5, "Cycle 4", Future, 21, 35)},
			cycles:  []Cycle{cycle(3, "", 14, 28), cycle(4, "", 28, 42)},
			want:    map[string]string{"Cycle 4": "Cycle 4"},
		},
		{
			name:    "names compare without case; an undated sprint pairs by name before order",
			sprints: []Sprint{sprint(7, "hardening", Future, 0, 0), sprint(8, "S8", Future, 0, 0)},
			cycles:  []Cycle{cycle(3, "", 14, 28), cycle(4, "Hardening", 28, 42)},
			want:    map[string]string{"hardening": "Hardening", "S8": "Cycle 3"},
			by:      map[string]string{"hardening": ByName, "S8": ByOrder},
		},
		{
			name:      "two sprints overlapping one cycle: the longer overlap gets it, the other is left",
			sprints:   []Sprint{sprint(3, "A", Future, 14, 20), sprint(4, "B", Future, 20, 30)},
			cycles:    []Cycle{cycle(3, "", 14, 28)},
			want:      map[string]string{"B": "Cycle 3"},
			unmatched: []string{"A"},
		},
		{
			name:      "future sprints by order take only upcoming cycles, by start",
			sprints:   []Sprint{sprint(9, "S9", Future, 0, 0), sprint(10, "S10", Future, 0, 0), sprint(11, "S11", Future, 0, 0)},
			cycles:    []Cycle{cycle(5, "", 42, 56), cycle(1, "", -14, 0), cycle(4, "", 28, 42)},
			want:      map[string]string{"S9": "Cycle 4", "S10": "Cycle 5"},
			unmatched: []string{"S11"},
		},
		{
			name:      "a dated sprint with no cycle in its range is unmatched, not paired by order",
			sprints:   []Sprint{sprint(6, "S6", Future, 60, 74)},
			cycles:    []Cycle{cycle(3, "", 14, 28)},
			want:      map[string]string{},
			unmatched: []string{"S6"},
		},
		{
			name: "the table wins over dates, and takes its names out of the rest", sprints: ds, cycles: dc,
			table:     map[string]string{"TAN Sprint 2": "Hardening"},
			want:      map[string]string{"TAN Sprint 1": "Cycle 1", "TAN Sprint 2": "Hardening"},
			by:        map[string]string{"TAN Sprint 2": ByTable},
			unmatched: []string{"TAN Sprint 3"},
		},
		{
			name: "a table entry for a sprint not listed still names the pair", sprints: ds, cycles: dc,
			table: map[string]string{"Old Sprint": "Cycle 1"},
			want:  map[string]string{"Old Sprint": "Cycle 1", "TAN Sprint 2": "Cycle 2", "TAN Sprint 3": "Hardening"},
		},
		{name: "nothing", want: map[string]string{}},
		{
			name:    "no cycles: open sprints unmatched, closed ones not reported",
			sprints: ds, want: map[string]string{}, unmatched: []string{"TAN Sprint 2", "TAN Sprint 3"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Match(tc.sprints, tc.cycles, tc.table, now)
			got := map[string]string{}
			for sn := range tc.want {
				if c, ok := p.CycleFor(sn); ok {
					got[sn] = c
				}
			}
			for _, pr := range p.Pairs {
				got[pr.Sprint.Name] = pr.Cycle.Name
				if want, ok := tc.by[pr.Sprint.Name]; ok && pr.By != want {
					t.Errorf("%s paired by %s, want %s", pr.Sprint.Name, pr.By, want)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("pairs %v, want %v", got, tc.want)
			}
			for sn, cn := range tc.want {
				if back, ok := p.SprintFor(strings.ToUpper(cn)); !ok || back != sn {
					t.Errorf("SprintFor(%q) = %q %v, want %q", cn, back, ok, sn)
				}
			}
			var un []string
			for _, s := range p.Unmatched {
				un = append(un, s.Name)
			}
			if !slices.Equal(un, tc.unmatched) {
				t.Errorf("unmatched %v, want %v", un, tc.unmatched)
			}
			for _, s := range tc.sprints {
				if want := slices.Contains(tc.unmatched, s.Name); p.Unpaired(strings.ToLower(s.Name)) != want {
					t.Errorf("Unpaired(%q) = %v", s.Name, !want)
				}
			}
		})
	}
}

func TestKnows(t *testing.T) {
	ds, dc := defaultWorld()
	p := Match(ds, dc, map[string]string{"Gone": "Cycle 0"}, now)
	for name, want := range map[string]bool{"TAN Sprint 1": true, "tan sprint 3": true, "Cycle 2": true, "Hardening": true, "Gone": true, "Cycle 0": true, "TAN Sprint 9": false, "": false} {
		if p.Knows(name) != want {
			t.Errorf("Knows(%q) = %v", name, !want)
		}
	}
	if _, ok := p.CycleFor("TAN Sprint 9"); ok {
		t.Error("an unknown sprint has a cycle")
	}
}

// randomWorld makes up to 6 sprints and 6 cycles with overlapping, equal
// and missing dates and clashing names.
func randomWorld(r *rand.Rand) ([]Sprint, []Cycle, map[string]string) {
	names := []string{"A", "B", "Cycle 1", "Cycle 2", "a", "Hardening"}
	var ss []Sprint
	for i := range r.IntN(7) {
		st := []string{Active, Future, Closed}[r.IntN(3)]
		from := float64(r.IntN(60) - 30)
		to := from + float64(1+r.IntN(20))
		if st == Future && r.IntN(2) == 0 {
			from, to = 0, 0
		}
		ss = append(ss, sprint(int64(i+1), names[r.IntN(len(names))]+fmt.Sprint(r.IntN(2)), st, from, to))
	}
	var cs []Cycle
	for n := range r.IntN(7) {
		from := float64(r.IntN(60) - 30)
		name := ""
		if r.IntN(3) == 0 {
			name = names[r.IntN(len(names))] + fmt.Sprint(r.IntN(2))
		}
		cs = append(cs, cycle(n+1, name, from, from+float64(1+r.IntN(20))))
	}
	table := map[string]string{}
	if len(ss) > 0 && len(cs) > 0 && r.IntN(3) == 0 {
		table[ss[r.IntN(len(ss))].Name] = cs[r.IntN(len(cs))].Name
	}
	return ss, cs, table
}

// checkInvariants holds for any input.
func checkInvariants(t *testing.T, ss []Sprint, cs []Cycle, table map[string]string) {
	t.Helper()
	p := Match(ss, cs, table, now)
	seenS, seenC := map[int64]bool{}, map[string]bool{}
	for _, pr := range p.Pairs {
		if seenS[pr.Sprint.ID] || seenC[pr.Cycle.ID] {
			t.Fatalf("sprint %d or cycle %s paired twice: %+v", pr.Sprint.ID, pr.Cycle.ID, p.Pairs)
		}
		seenS[pr.Sprint.ID], seenC[pr.Cycle.ID] = true, true
		if !slices.Contains(ss, pr.Sprint) || !slices.Contains(cs, pr.Cycle) {
			t.Fatalf("pair of things not given: %+v", pr)
		}
		switch pr.By {
		case ByDates:
			if o := overlap(pr.Sprint, pr.Cycle); o <= 0 || 2*o < min(pr.Sprint.End.Sub(pr.Sprint.Start), pr.Cycle.End.Sub(pr.Cycle.Start)) {
				t.Fatalf("paired by dates without overlap: %+v", pr)
			}
		case ByName:
			if !strings.EqualFold(pr.Sprint.Name, pr.Cycle.Name) {
				t.Fatalf("paired by name, names differ: %+v", pr)
			}
		case ByOrder:
			if pr.Sprint.Dated() || pr.Sprint.State != Future || !pr.Cycle.Start.After(now) {
				t.Fatalf("paired by order: %+v", pr)
			}
		case ByTable:
			found := false
			for sn, cn := range table {
				found = found || (strings.EqualFold(sn, pr.Sprint.Name) && strings.EqualFold(cn, pr.Cycle.Name))
			}
			if !found {
				t.Fatalf("paired by a table entry that is not there: %+v %v", pr, table)
			}
		default:
			t.Fatalf("pair by %q", pr.By)
		}
		// Lookups agree with the pairs, unless a duplicate name came first.
		if c, ok := p.CycleFor(pr.Sprint.Name); !ok {
			t.Fatalf("CycleFor(%q) missing", pr.Sprint.Name)
		} else if !p.Knows(c) {
			t.Fatalf("CycleFor gives an unknown name %q", c)
		}
	}
	// Greedy is maximal: no unpaired sprint overlaps an unpaired cycle
	// (unless the table holds one of them back).
	held := map[string]bool{}
	for sn, cn := range table {
		held[strings.ToLower(sn)], held[strings.ToLower(cn)] = true, true
	}
	for _, s := range ss {
		if seenS[s.ID] || held[strings.ToLower(s.Name)] {
			continue
		}
		for _, c := range cs {
			o := overlap(s, c)
			if !seenC[c.ID] && !held[strings.ToLower(c.Name)] && o > 0 && 2*o >= min(s.End.Sub(s.Start), c.End.Sub(c.Start)) {
				t.Fatalf("unpaired sprint %+v overlaps unpaired cycle %+v: %+v", s, c, p.Pairs)
			}
		}
	}
	// Unmatched: exactly the open sprints not paired or held.
	for _, s := range p.Unmatched {
		if seenS[s.ID] || s.State == Closed {
			t.Fatalf("unmatched %+v is paired or closed", s)
		}
	}
	// The order of the inputs does not matter.
	rs, rc := slices.Clone(ss), slices.Clone(cs)
	slices.Reverse(rs)
	slices.Reverse(rc)
	q := Match(rs, rc, table, now)
	key := func(p Pairing) string {
		var out []string
		for _, pr := range p.Pairs {
			out = append(out, fmt.Sprintf("%d=%s/%s", pr.Sprint.ID, pr.Cycle.ID, pr.By))
		}
		slices.Sort(out)
		return strings.Join(out, ",")
	}
	if key(p) != key(q) {
		t.Fatalf("input order changed the pairing: %s vs %s", key(p), key(q))
	}
}

func TestMatchProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		ss, cs, table := randomWorld(r)
		checkInvariants(t, ss, cs, table)
	}
}

func FuzzMatch(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Add(uint64(42), uint64(7))
	f.Fuzz(func(t *testing.T, a, b uint64) {
		ss, cs, table := randomWorld(rand.New(rand.NewPCG(a, b)))
		checkInvariants(t, ss, cs, table)
	})
}
