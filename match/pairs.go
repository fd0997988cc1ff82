package match

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// Pair is one line of a pairs file: a Jira issue key and the Linear issue
// identifier of its twin.
type Pair struct {
	Jira, Linear string
	Line         int
}

// PairSet indexes a pairs file both ways.
type PairSet struct {
	byJira, byLinear map[string]Pair
}

var (
	jiraKeyRE    = regexp.MustCompile(`^[A-Z][A-Z0-9_]*-[0-9]+$`)
	identifierRE = regexp.MustCompile(`^[A-Z0-9]+-[0-9]+$`)
)

// ParsePairs reads a pairs file: CSV, one "JIRA-KEY,LINEAR-ID" per line;
// blank lines and lines starting with # are skipped, and so is a first
// line naming the columns (jira,linear). Keys are case-insensitive. A key
// on two lines (either side) is an error naming both lines, as is a line
// that is not two keys.
func ParsePairs(r io.Reader) (PairSet, error) {
	ps := PairSet{byJira: map[string]Pair{}, byLinear: map[string]Pair{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var errs []error
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rec, err := csv.NewReader(strings.NewReader(line)).Read()
		if err != nil || len(rec) != 2 {
			errs = append(errs, fmt.Errorf("line %d: want two columns, a Jira key and a Linear identifier: %q", n, line))
			continue
		}
		j, l := strings.ToUpper(strings.TrimSpace(rec[0])), strings.ToUpper(strings.TrimSpace(rec[1]))
		if len(ps.byJira) == 0 && len(errs) == 0 && strings.EqualFold(j, "jira") && strings.EqualFold(l, "linear") {
			continue // a header
		}
		if !jiraKeyRE.MatchString(j) {
			errs = append(errs, fmt.Errorf("line %d: %q is not a Jira issue key", n, rec[0]))
			continue
		}
		if !identifierRE.MatchString(l) {
			errs = append(errs, fmt.Errorf("line %d: %q is not a Linear issue identifier", n, rec[1]))
			continue
		}
		p := Pair{Jira: j, Linear: l, Line: n}
		if o, dup := ps.byJira[j]; dup {
			errs = append(errs, fmt.Errorf("line %d: %s is paired on line %d already", n, j, o.Line))
			continue
		}
		if o, dup := ps.byLinear[l]; dup {
			errs = append(errs, fmt.Errorf("line %d: %s is paired on line %d already", n, l, o.Line))
			continue
		}
		ps.byJira[j], ps.byLinear[l] = p, p
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, err)
	}
	return ps, errors.Join(errs...)
}

// Len is the number of pairs.
func (ps PairSet) Len() int { return len(ps.byJira) }

// LinearOf is the Linear identifier paired with a Jira key, "" if none.
func (ps PairSet) LinearOf(jiraKey string) string { return ps.byJira[strings.ToUpper(jiraKey)].Linear }

// JiraOf is the Jira key paired with a Linear identifier, "" if none.
func (ps PairSet) JiraOf(identifier string) string {
	return ps.byLinear[strings.ToUpper(identifier)].Jira
}

// All lists the pairs in file order.
func (ps PairSet) All() []Pair {
	out := make([]Pair, 0, len(ps.byJira))
	for _, p := range ps.byJira {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Pair) int { return a.Line - b.Line })
	return out
}
