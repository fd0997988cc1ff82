package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/tandem-sync/tandem/backlog"
)

// Problem is one finding of Check (or of a live check the command adds):
// where in the mapping file, what is wrong and how to fix it. Line is 0
// when the finding concerns no single line (a default, a missing entry).
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Msg     string `json:"message"`
	Fix     string `json:"fix,omitempty"`
	Warning bool   `json:"warning,omitempty"`
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Msg)
	if p.Fix != "" {
		b.WriteString(" — fix: ")
		b.WriteString(p.Fix)
	}
	return b.String()
}

// SortProblems orders problems by line, those without a line last, and
// keeps the checks' order among equals.
func SortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if (a.Line == 0) != (b.Line == 0) {
			if a.Line == 0 {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Line, b.Line)
	})
}

// JiraFacts is what Check needs to know of the Jira site.
type JiraFacts struct {
	Statuses   []JiraStatus // the project's workflow statuses, in order
	Priorities []string
	Users      []JiraUser  // assignable users
	Fields     []JiraField // custom fields
	// Transitions is the workflow as far as it is known. Reachability is
	// only judged when every status's way out is known (each status is
	// the From of some transition); partial knowledge would only guess.
	Transitions []JiraTransition
	// EstimateField and SprintField are the custom fields the connector
	// found for estimates and sprints by name ("" when the site has none).
	EstimateField, SprintField string
	// LinkTypes are the site's issue link type names (nil: not known).
	LinkTypes []string
	// Sprints are the open (active and future) sprints' names.
	Sprints []string
}

// JiraStatus is a status and its canonical category (backlog.Category:
// todo, started, done, canceled).
type JiraStatus struct{ Name, Category string }

// JiraUser is an assignable account; Email may be hidden ("").
type JiraUser struct{ AccountID, Email, Name string }

// JiraField is a custom field; Type is its schema type ("number", …).
type JiraField struct{ ID, Name, Type string }

// JiraTransition is one edge of the workflow, by status name.
type JiraTransition struct{ From, To string }

// LinearFacts is what Check needs to know of the Linear team.
type LinearFacts struct {
	States []LinearState // in position order
	Labels []string
	Users  []string // emails
	// Projects are the workspace's projects; nil when they could not be
	// listed (linear.project is then not judged).
	Projects []LinearProject
	// Estimates says the team uses estimates; Cycles that it has any.
	Estimates, Cycles bool
	// CycleNames are the team's cycles by display name ("Cycle 3" when
	// unnamed).
	CycleNames []string
}

// LinearState is a workflow state and its Linear type (backlog, unstarted,
// started, completed, canceled, triage).
type LinearState struct{ Name, Type string }

// LinearProject is a project by id and name.
type LinearProject struct{ ID, Name string }

// standardPriorities are the Jira names the connector reads without a
// mapping.
var standardPriorities = []string{"Highest", "High", "Medium", "Low", "Lowest"}

// linearType is the Linear state type a canonical category lands on when
// no state has the Jira status's name (connectors/linear stateFor).
func linearType(category string) string {
	switch category {
	case "todo":
		return "unstarted"
	case "started":
		return "started"
	case "done":
		return "completed"
	case "canceled":
		return "canceled"
	}
	return "backlog"
}

// Check compares the mapping m (read from file) with both tools' facts and
// returns what is wrong (errors) or worth knowing (warnings), in the order
// of the checks; SortProblems orders them by line. It does no I/O.
func Check(m Mapping, file string, jira JiraFacts, linear LinearFacts) []Problem {
	c := checker{m: m, file: file}
	c.statuses(jira, linear)
	c.reachable(jira)
	c.priorities(jira)
	c.users(jira, linear)
	c.sprints(jira, linear)
	c.storyPoints(jira)
	c.relations(jira)
	c.linearScope(linear)
	c.capabilities(jira, linear)
	return c.out
}

type checker struct {
	m    Mapping
	file string
	out  []Problem
}

func (c *checker) add(key string, warning bool, fix, format string, args ...any) {
	line := 0
	if key != "" {
		line = c.m.Lines[key]
	}
	c.out = append(c.out, Problem{File: c.file, Line: line, Msg: fmt.Sprintf(format, args...), Fix: fix, Warning: warning})
}

func hasFold(names []string, want string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, want) })
}

// list renders names for a message: at most 12, then a count.
func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	if len(names) > 12 {
		return strings.Join(names[:12], ", ") + fmt.Sprintf(", … %d more", len(names)-12)
	}
	return strings.Join(names, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func (c *checker) statuses(jira JiraFacts, linear LinearFacts) {
	jnames := make([]string, len(jira.Statuses))
	for i, s := range jira.Statuses {
		jnames[i] = s.Name
	}
	lnames := make([]string, len(linear.States))
	for i, s := range linear.States {
		lnames[i] = s.Name
	}
	for _, k := range sortedKeys(c.m.Statuses) {
		key := "statuses." + k
		if !hasFold(jnames, k) {
			c.add(key, false, "use one of those names", "statuses: Jira has no status %q (statuses: %s)", k, list(jnames))
		}
		if v := c.m.Statuses[k]; !hasFold(lnames, v) {
			c.add(key, false, "map it to one of those states", "statuses.%s: Linear has no state %q (states: %s)", k, v, list(lnames))
		}
	}
	c.statusTargets(jira, linear)
	mapped := sortedKeys(c.m.Statuses)
	for _, s := range jira.Statuses {
		if hasFold(mapped, s.Name) || hasFold(lnames, s.Name) {
			continue
		}
		typ := linearType(s.Category)
		i := slices.IndexFunc(linear.States, func(l LinearState) bool { return l.Type == typ })
		if i < 0 {
			c.add("", false, fmt.Sprintf("add %q: <a Linear state> under statuses", s.Name),
				"statuses: Jira status %q (%s) has no Linear state of that name and the team has no %s state to fall back to; issues in it cannot sync their status",
				s.Name, s.Category, typ)
			continue
		}
		c.add("", true, fmt.Sprintf("add %q: <a Linear state> under statuses if %q is not meant", s.Name, linear.States[i].Name),
			"statuses: Jira status %q has no Linear state of that name and no mapping; it falls back to %q (the first %s state)",
			s.Name, linear.States[i].Name, typ)
	}
}

// closed says whether a category ends the work.
func closed(category string) bool { return category == "done" || category == "canceled" }

// statusTargets warns of mappings Linear cannot answer unambiguously (two
// Jira statuses on one Linear state: a change there lands on either) and
// of mappings that open a closed issue or close an open one.
func (c *checker) statusTargets(jira JiraFacts, linear LinearFacts) {
	by := map[string][]string{}
	var targets []string // Linear state names, as Linear spells them
	for _, k := range sortedKeys(c.m.Statuses) {
		v := c.m.Statuses[k]
		ji := slices.IndexFunc(jira.Statuses, func(s JiraStatus) bool { return strings.EqualFold(s.Name, k) })
		li := slices.IndexFunc(linear.States, func(s LinearState) bool { return strings.EqualFold(s.Name, v) })
		if ji < 0 || li < 0 {
			continue // reported as errors
		}
		lv := linear.States[li].Name
		if len(by[lv]) == 0 {
			targets = append(targets, lv)
		}
		by[lv] = append(by[lv], k)
		js, ls := jira.Statuses[ji], linear.States[li]
		if jc, lc := closed(js.Category), ls.Type == "completed" || ls.Type == "canceled"; jc != lc {
			c.add("statuses."+k, true, "map it to a state of the same kind, unless this is meant",
				"statuses.%s: Jira status %q is %s but Linear state %q is %s; an issue changes between open and closed when it crosses",
				k, js.Name, js.Category, ls.Name, ls.Type)
		}
	}
	mapped := sortedKeys(c.m.Statuses)
	for _, lv := range targets {
		ks := by[lv]
		// The state's Jira namesake, left unmapped, goes to it and comes
		// back as the mapped status.
		if ji := slices.IndexFunc(jira.Statuses, func(s JiraStatus) bool { return strings.EqualFold(s.Name, lv) }); ji >= 0 && !hasFold(mapped, lv) {
			j := jira.Statuses[ji].Name
			c.add("statuses."+ks[0], true, fmt.Sprintf("add %q: <its own Linear state> under statuses, or map %q elsewhere", j, ks[0]),
				"statuses.%s: Linear state %q is also where Jira status %q goes by name; changes to it in Linear land on %q, never on %q",
				ks[0], lv, j, ks[0], j)
		}
		if len(ks) < 2 {
			continue
		}
		v, last := lv, ks[0]
		for _, k := range ks {
			if c.m.Lines["statuses."+k] > c.m.Lines["statuses."+last] {
				last = k
			}
		}
		c.add("statuses."+last, true, "map each Jira status to its own Linear state",
			"statuses: %s all map to Linear state %q; a change to %q in Linear lands on any one of them in Jira",
			quoteAll(ks), v, v)
	}
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// reachable reports statuses no other status leads to, when the whole
// workflow is known. The first status (the one new issues start in) needs
// no way in.
func (c *checker) reachable(jira JiraFacts) {
	if len(jira.Statuses) < 2 || len(jira.Transitions) == 0 {
		return
	}
	from := map[string]bool{}
	into := map[string]bool{}
	for _, t := range jira.Transitions {
		from[strings.ToLower(t.From)] = true
		if !strings.EqualFold(t.From, t.To) {
			into[strings.ToLower(t.To)] = true
		}
	}
	for _, s := range jira.Statuses {
		if !from[strings.ToLower(s.Name)] {
			return // partial knowledge
		}
	}
	for _, s := range jira.Statuses[1:] {
		if into[strings.ToLower(s.Name)] {
			continue
		}
		key := ""
		if _, ok := c.m.Lines["statuses."+s.Name]; ok {
			key = "statuses." + s.Name
		}
		c.add(key, true, "add a transition into it in the Jira workflow, or expect status changes to it from Linear to stay unsynced",
			"statuses: no transition leads into Jira status %q from another status; Tandem cannot move an issue there", s.Name)
	}
}

func (c *checker) priorities(jira JiraFacts) {
	for _, k := range sortedKeys(c.m.Priorities) {
		if !hasFold(jira.Priorities, k) {
			c.add("priorities."+k, false, "use one of those names", "priorities: Jira has no priority %q (priorities: %s)", k, list(jira.Priorities))
		}
	}
	mapped := sortedKeys(c.m.Priorities)
	for _, p := range jira.Priorities {
		if hasFold(standardPriorities, p) || hasFold(mapped, p) {
			continue
		}
		c.add("", true, fmt.Sprintf("add %q: <highest|high|medium|low|lowest|none> under priorities", p),
			"priorities: Jira priority %q is neither a standard name (%s) nor mapped; it reads as none in Linear", p, list(standardPriorities))
	}
}

func (c *checker) users(jira JiraFacts, linear LinearFacts) {
	for _, email := range sortedKeys(c.m.Users) {
		u, key := c.m.Users[email], "users."+email
		if u.JiraAccountID != "" && !slices.ContainsFunc(jira.Users, func(j JiraUser) bool { return j.AccountID == u.JiraAccountID }) {
			fix := "use the accountId from the person's Jira profile (only assignable users of the project count)"
			if i := slices.IndexFunc(jira.Users, func(j JiraUser) bool { return strings.EqualFold(j.Email, email) }); i >= 0 {
				fix = fmt.Sprintf("%s's accountId is %s", email, jira.Users[i].AccountID)
			}
			c.add(key, false, fix, "users.%s: Jira has no assignable user with accountId %q", email, u.JiraAccountID)
		}
		if u.LinearEmail != "" && !hasFold(linear.Users, u.LinearEmail) {
			c.add(key, false, "use the email the person signs in to Linear with",
				"users.%s: Linear has no user with email %q", email, u.LinearEmail)
		}
	}
}

// sprints checks the sprints: table's names. Warnings only: a table entry
// may name a closed sprint (it still pairs the names) or a cycle yet to be
// made.
func (c *checker) sprints(jira JiraFacts, linear LinearFacts) {
	for _, sn := range sortedKeys(c.m.Sprints) {
		cn, key := c.m.Sprints[sn], "sprints."+sn
		if !hasFold(jira.Sprints, sn) {
			c.add(key, true, "open sprints: "+list(jira.Sprints),
				"sprints.%s: Jira has no open sprint %q (a closed one still pairs by name)", sn, sn)
		}
		if !hasFold(linear.CycleNames, cn) {
			c.add(key, true, "cycles: "+list(linear.CycleNames)+` (an unnamed cycle is "Cycle <number>")`,
				"sprints.%s: the Linear team has no cycle %q", sn, cn)
		}
	}
}

func (c *checker) storyPoints(jira JiraFacts) {
	id := c.m.Jira.StoryPointsField
	if id == "" {
		return
	}
	var numbers []string
	for _, f := range jira.Fields {
		if f.Type == "number" {
			numbers = append(numbers, fmt.Sprintf("%s (%s)", f.ID, f.Name))
		}
	}
	fix := "use one of the number fields: " + list(numbers)
	i := slices.IndexFunc(jira.Fields, func(f JiraField) bool { return f.ID == id })
	switch {
	case i < 0:
		c.add("jira.story_points_field", false, fix, "jira.story_points_field: Jira has no custom field %s", id)
	case jira.Fields[i].Type != "number":
		f := jira.Fields[i]
		c.add("jira.story_points_field", false, fix, "jira.story_points_field: %s (%s) is a field of type %q, not a number field", f.ID, f.Name, f.Type)
	}
}

func (c *checker) linearScope(linear LinearFacts) {
	if !c.m.Linear.CreateLabels {
		for _, l := range c.m.Linear.Labels {
			if !hasFold(linear.Labels, l) {
				c.add("linear.labels", false, "create the label in Linear, fix the name, or set linear.create_labels: true",
					"linear.labels: Linear has no label %q (labels: %s)", l, list(linear.Labels))
			}
		}
	}
	p := c.m.Linear.Project
	if p == "" || linear.Projects == nil {
		return
	}
	names := make([]string, len(linear.Projects))
	byName := 0
	for i, pr := range linear.Projects {
		names[i] = pr.Name
		if pr.ID == p {
			return
		}
		if strings.EqualFold(pr.Name, p) {
			byName++
		}
	}
	switch byName {
	case 0:
		c.add("linear.project", false, "use one of those names or a project id", "linear.project: Linear has no project %q (projects: %s)", p, list(names))
	case 1:
	default:
		c.add("linear.project", false, "give the project's id instead of its name", "linear.project: %d projects are named %q", byName, p)
	}
}

// capabilities warns of fields that sync by the mapping (any direction but
// off) while one side has nowhere to keep them.
func (c *checker) capabilities(jira JiraFacts, linear LinearFacts) {
	on := func(f backlog.Field) bool { return c.m.Directions[f] != "off" }
	fix := func(f backlog.Field) string {
		return fmt.Sprintf("set fields.%s.direction: off to say so, or turn the feature on", f)
	}
	if on(backlog.Estimate) {
		if c.m.Jira.StoryPointsField == "" && jira.EstimateField == "" {
			c.add("", true, "name the number field in jira.story_points_field, or "+fix(backlog.Estimate),
				"fields.estimate: Jira has no story points field (none by name); estimates will not sync")
		}
		if !linear.Estimates {
			c.add("", true, fix(backlog.Estimate), "fields.estimate: the Linear team does not use estimates; estimates will not sync")
		}
	}
	if on(backlog.Sprint) {
		if jira.SprintField == "" {
			c.add("", true, fix(backlog.Sprint), "fields.sprint: Jira has no Sprint field (no Jira Software board); sprints will not sync")
		}
		if !linear.Cycles {
			c.add("", true, fix(backlog.Sprint), "fields.sprint: the Linear team has no cycles; sprints will not sync")
		}
	}
}

// defaultLinkTypes are the Jira link types relations are written with
// (connectors/jira DefaultLinkTypes).
var defaultLinkTypes = []string{"Blocks", "Duplicate", "Relates"}

func (c *checker) relations(jira JiraFacts) {
	if jira.LinkTypes == nil {
		return
	}
	for _, k := range sortedKeys(c.m.Relations) {
		if !hasFold(jira.LinkTypes, k) {
			c.add("relations."+k, false, "use one of those names", "relations: Jira has no issue link type %q (link types: %s)", k, list(jira.LinkTypes))
		}
	}
	for _, t := range defaultLinkTypes {
		if !hasFold(jira.LinkTypes, t) {
			c.add("", true, "add the link type in Jira (Settings → Issues → Issue linking), or expect those relations to stay unsynced",
				"relations: Jira has no issue link type %q; relations of that kind from Linear cannot be written", t)
		}
	}
}
