package config

import (
	"os"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func checkFacts() (JiraFacts, LinearFacts) {
	j := JiraFacts{
		Statuses: []JiraStatus{
			{"To Do", "todo"}, {"In Progress", "started"}, {"In Review", "started"}, {"Done", "done"}, {"Won't Do", "canceled"},
		},
		Priorities: []string{"Highest", "High", "Medium", "Low", "Lowest", "Blocker"},
		Users:      []JiraUser{{"acc-alice", "alice@example.com", "Alice"}, {"acc-bob", "", "Bob"}},
		Fields: []JiraField{
			{"customfield_10016", "Story Points", "number"}, {"customfield_10020", "Sprint", "array"}, {"customfield_10050", "Team", "string"},
		},
		EstimateField: "customfield_10016", SprintField: "customfield_10020",
		LinkTypes: []string{"Blocks", "Cloners", "Duplicate", "Relates"},
		Sprints:   []string{"TAN Sprint 2", "TAN Sprint 3"},
		Transitions: []JiraTransition{
			{"To Do", "In Progress"}, {"In Progress", "In Review"}, {"In Progress", "To Do"}, {"In Review", "Done"},
			{"Done", "To Do"}, {"Won't Do", "To Do"}, {"To Do", "Won't Do"},
		},
	}
	l := LinearFacts{
		States: []LinearState{
			{"Backlog", "backlog"}, {"Todo", "unstarted"}, {"In Progress", "started"}, {"In Review", "started"},
			{"Done", "completed"}, {"Canceled", "canceled"},
		},
		Labels:    []string{"Backend", "Bug", "Feature"},
		Users:     []string{"alice@example.com", "bob@corp.example"},
		Projects:  []LinearProject{{"p1", "Q4 Launch"}, {"p2", "Dup"}, {"p3", "Dup"}},
		Estimates: true, Cycles: true, CycleNames: []string{"Cycle 1", "Cycle 2", "Hardening"},
	}
	return j, l
}

func goodMapping(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/check-good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lineOf is the 1-based line holding s in text.
func lineOf(t *testing.T, text, s string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q not in the mapping", s)
	return 0
}

func TestCheckGood(t *testing.T) {
	m, err := ParseMapping("mapping.yaml", []byte(goodMapping(t)))
	if err != nil {
		t.Fatal(err)
	}
	j, l := checkFacts()
	if ps := Check(m, "mapping.yaml", j, l); len(ps) != 0 {
		t.Fatalf("want no problems, got %v", ps)
	}
}

// TestCheckBroken breaks one setting of the good file at a time: each
// gives exactly one problem, on that setting's line, with a fix.
func TestCheckBroken(t *testing.T) {
	cases := []struct {
		name     string
		from, to string // replace in the good file
		facts    func(*JiraFacts, *LinearFacts)
		line     string // text of the line the problem is on; "" for none
		warning  bool
		msg, fix string
	}{
		{name: "jira status misspelt", from: "Won't Do: Canceled", to: "Code Reveiw: Canceled\n  Won't Do: Canceled", line: "Code Reveiw",
			msg: `statuses: Jira has no status "Code Reveiw" (statuses: To Do, In Progress, In Review, Done, Won't Do)`, fix: "use one of those names"},
		{name: "linear state missing", from: "To Do: Todo", to: "To Do: Ready", line: "To Do: Ready",
			msg: `statuses.To Do: Linear has no state "Ready"`, fix: "map it to one of those states"},
		{name: "unmapped status falls back", from: "  To Do: Todo\n", to: "", warning: true,
			msg: `Jira status "To Do" has no Linear state of that name and no mapping; it falls back to "Todo" (the first unstarted state)`, fix: `add "To Do"`},
		{name: "no state to fall back to", from: "  Won't Do: Canceled\n", to: "",
			facts: func(_ *JiraFacts, l *LinearFacts) { l.States = l.States[:5] },
			msg:   `Jira status "Won't Do" (canceled) has no Linear state of that name and the team has no canceled state`, fix: `add "Won't Do"`},
		{name: "status unreachable", facts: func(j *JiraFacts, _ *LinearFacts) { j.Transitions = j.Transitions[:len(j.Transitions)-1] },
			line: "Won't Do: Canceled", warning: true, msg: `no transition leads into Jira status "Won't Do"`, fix: "add a transition"},
		{name: "two statuses on one state", from: "To Do: Todo", to: "To Do: Todo\n  In Review: todo", line: "In Review: todo", warning: true,
			msg: `statuses: "In Review", "To Do" all map to Linear state "Todo"`, fix: "its own Linear state"},
		{name: "open status on a closed state", from: "To Do: Todo", to: "To Do: Shipped", line: "To Do: Shipped", warning: true,
			facts: func(_ *JiraFacts, l *LinearFacts) { l.States = append(l.States, LinearState{"Shipped", "completed"}) },
			msg:   `statuses.To Do: Jira status "To Do" is todo but Linear state "Shipped" is completed`, fix: "same kind"},
		{name: "state taken from its namesake", from: "To Do: Todo", to: "To Do: Todo\n  In Review: In Progress", line: "In Review: In Progress", warning: true,
			msg: `statuses.In Review: Linear state "In Progress" is also where Jira status "In Progress" goes by name; changes to it in Linear land on "In Review", never on "In Progress"`, fix: `add "In Progress"`},
		{name: "jira priority missing", from: "Blocker: highest", to: "Critical: highest\n  Blocker: highest", line: "Critical",
			msg: `priorities: Jira has no priority "Critical" (priorities: Highest, High, Medium, Low, Lowest, Blocker)`, fix: "use one of those names"},
		{name: "unmapped non-standard priority", from: "priorities:\n  Blocker: highest\n", to: "", warning: true,
			msg: `Jira priority "Blocker" is neither a standard name`, fix: `add "Blocker"`},
		{name: "jira account missing", from: "jira: acc-bob", to: "jira: acc-nobody", line: "bob@example.com:",
			msg: `users.bob@example.com: Jira has no assignable user with accountId "acc-nobody"`, fix: "accountId from the person's Jira profile"},
		{name: "jira account found by email", from: "bob@example.com:\n    jira: acc-bob", to: "alice@example.com:\n    jira: acc-bob2", line: "alice@example.com:",
			msg: `Jira has no assignable user with accountId "acc-bob2"`, fix: "alice@example.com's accountId is acc-alice"},
		{name: "linear email missing", from: "linear: bob@corp.example", to: "linear: bob@example.com", line: "bob@example.com:",
			msg: `users.bob@example.com: Linear has no user with email "bob@example.com"`, fix: "email the person signs in"},
		{name: "story points field missing", from: "customfield_10016", to: "customfield_99999", line: "story_points_field",
			msg: "jira.story_points_field: Jira has no custom field customfield_99999", fix: "customfield_10016 (Story Points)"},
		{name: "story points field not a number", from: "customfield_10016", to: "customfield_10050", line: "story_points_field",
			msg: "customfield_10050 (Team) is a field of type \"string\", not a number field", fix: "use one of the number fields: customfield_10016 (Story Points)"},
		{name: "sprint not open", from: "TAN Sprint 3: Hardening", to: "TAN Sprint 1: Hardening", line: "TAN Sprint 1: Hardening", warning: true,
			msg: `sprints.TAN Sprint 1: Jira has no open sprint "TAN Sprint 1"`, fix: "open sprints: TAN Sprint 2, TAN Sprint 3"},
		{name: "cycle missing", from: "TAN Sprint 3: Hardening", to: "TAN Sprint 3: Cycle 7", line: "TAN Sprint 3: Cycle 7", warning: true,
			msg: `sprints.TAN Sprint 3: the Linear team has no cycle "Cycle 7"`, fix: "cycles: Cycle 1, Cycle 2, Hardening"},
		{name: "linear label missing", from: "[Bug, Backend]", to: "[Bug, Frontend]", line: "labels:",
			msg: `linear.labels: Linear has no label "Frontend" (labels: Backend, Bug, Feature)`, fix: "linear.create_labels: true"},
		{name: "linear project missing", from: "project: Q4 Launch", to: "project: Q5 Launch", line: "project:",
			msg: `linear.project: Linear has no project "Q5 Launch" (projects: Q4 Launch, Dup, Dup)`, fix: "project id"},
		{name: "linear project ambiguous", from: "project: Q4 Launch", to: "project: dup", line: "project:",
			msg: `linear.project: 2 projects are named "dup"`, fix: "project's id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := goodMapping(t)
			if tc.from != "" {
				if !strings.Contains(text, tc.from) {
					t.Fatalf("%q not in the good file", tc.from)
				}
				text = strings.Replace(text, tc.from, tc.to, 1)
			}
			m, err := ParseMapping("mapping.yaml", []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			j, l := checkFacts()
			if tc.facts != nil {
				tc.facts(&j, &l)
			}
			ps := Check(m, "mapping.yaml", j, l)
			if len(ps) != 1 {
				t.Fatalf("want one problem, got %d: %v", len(ps), ps)
			}
			p := ps[0]
			want := 0
			if tc.line != "" {
				want = lineOf(t, text, tc.line)
			}
			if p.Line != want || p.File != "mapping.yaml" || p.Warning != tc.warning {
				t.Errorf("got %s:%d warning=%v, want line %d warning=%v", p.File, p.Line, p.Warning, want, tc.warning)
			}
			if !strings.Contains(p.Msg, tc.msg) || !strings.Contains(p.Fix, tc.fix) || p.Fix == "" {
				t.Errorf("got %q\nwant message with %q and fix with %q", p.String(), tc.msg, tc.fix)
			}
		})
	}
}

func TestCheckLabelsCreated(t *testing.T) {
	m, err := ParseMapping("m.yaml", []byte("linear:\n  labels: [Frontend]\n  create_labels: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	j, l := checkFacts()
	for _, p := range Check(m, "m.yaml", j, l) {
		if strings.Contains(p.Msg, "linear.labels") {
			t.Errorf("create_labels set, yet %s", p)
		}
	}
}

// TestCheckDefaults: without a file, Jira statuses Linear lacks are
// warnings naming the state they fall back to; nothing is an error.
func TestCheckDefaults(t *testing.T) {
	j, l := checkFacts()
	ps := Check(DefaultMapping(), "(defaults)", j, l)
	var got []string
	for _, p := range ps {
		if !p.Warning || p.Line != 0 {
			t.Errorf("want line-less warnings only, got %s", p)
		}
		got = append(got, p.String())
	}
	want := []string{
		`(defaults): warning: statuses: Jira status "To Do" has no Linear state of that name and no mapping; it falls back to "Todo" (the first unstarted state) — fix: add "To Do": <a Linear state> under statuses if "Todo" is not meant`,
		`(defaults): warning: statuses: Jira status "Won't Do" has no Linear state of that name and no mapping; it falls back to "Canceled" (the first canceled state) — fix: add "Won't Do": <a Linear state> under statuses if "Canceled" is not meant`,
		`(defaults): warning: priorities: Jira priority "Blocker" is neither a standard name (Highest, High, Medium, Low, Lowest) nor mapped; it reads as none in Linear — fix: add "Blocker": <highest|high|medium|low|lowest|none> under priorities`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCheckPartialWorkflow(t *testing.T) {
	j, l := checkFacts()
	// Nothing seen out of Won't Do: the workflow is not fully known, so
	// In Review having no way in would be a guess.
	j.Transitions = []JiraTransition{{"To Do", "In Progress"}, {"In Progress", "Done"}, {"In Review", "Done"}, {"Done", "To Do"}}
	for _, p := range Check(DefaultMapping(), "", j, l) {
		if strings.Contains(p.Msg, "no transition") {
			t.Errorf("judged a partly known workflow: %s", p)
		}
	}
}

func TestSortProblems(t *testing.T) {
	ps := []Problem{{Line: 0, Msg: "a"}, {Line: 9, Msg: "b"}, {Line: 3, Msg: "c"}, {Line: 0, Msg: "d"}, {Line: 3, Msg: "e"}}
	SortProblems(ps)
	var got string
	for _, p := range ps {
		got += p.Msg
	}
	if got != "cebad" {
		t.Errorf("order %s, want cebad", got)
	}
}

// TestCheckStatusesProperty: for any workflow pair, mapping every Jira
// status to an existing Linear state leaves no error and no fallback, and every
// Jira status Linear lacks under defaults gives exactly one problem.
func TestCheckStatusesProperty(t *testing.T) {
	cats := []string{"todo", "started", "done", "canceled"}
	types := []string{"backlog", "unstarted", "started", "completed", "canceled", "triage"}
	rapid.Check(t, func(t *rapid.T) {
		names := rapid.SliceOfNDistinct(rapid.SampledFrom([]string{"To Do", "Todo", "Doing", "In Progress", "Done", "QA", "Closed", "Backlog"}), 1, 6, rapid.ID[string]).Draw(t, "jira")
		j := JiraFacts{EstimateField: "customfield_1", SprintField: "customfield_2"}
		for _, n := range names {
			j.Statuses = append(j.Statuses, JiraStatus{n, rapid.SampledFrom(cats).Draw(t, "cat")})
		}
		lnames := rapid.SliceOfNDistinct(rapid.SampledFrom([]string{"Todo", "In Progress", "Done", "Canceled", "Review", "Backlog"}), 1, 6, rapid.ID[string]).Draw(t, "linear")
		l := LinearFacts{Estimates: true, Cycles: true}
		for _, n := range lnames {
			l.States = append(l.States, LinearState{n, rapid.SampledFrom(types).Draw(t, "type")})
		}
		missing := 0
		for _, n := range names {
			if !slices.Contains(lnames, n) {
				missing++
			}
		}
		if ps := Check(DefaultMapping(), "f", j, l); len(ps) != missing {
			t.Fatalf("%d Jira statuses without a Linear namesake, %d problems: %v", missing, len(ps), ps)
		}
		m := DefaultMapping()
		for i, n := range names {
			m.Statuses[n] = lnames[i%len(lnames)]
			m.Lines["statuses."+n] = i + 2
		}
		for _, p := range Check(m, "f", j, l) {
			if !p.Warning || strings.Contains(p.Msg, "falls back") {
				t.Fatalf("fully mapped, yet %s", p)
			}
		}
	})
}

// TestCheckCapabilities: a field that syncs while one side cannot keep it
// is a warning, silenced by direction: off.
func TestCheckCapabilities(t *testing.T) {
	cases := []struct {
		name  string
		facts func(*JiraFacts, *LinearFacts)
		file  string
		want  []string
	}{
		{"all there", func(*JiraFacts, *LinearFacts) {}, "", nil},
		{"no jira estimate field", func(j *JiraFacts, _ *LinearFacts) { j.EstimateField = "" }, "",
			[]string{"fields.estimate: Jira has no story points field"}},
		{"named estimate field", func(j *JiraFacts, _ *LinearFacts) { j.EstimateField = "" }, "jira:\n  story_points_field: customfield_10016\n", nil},
		{"linear estimates off", func(_ *JiraFacts, l *LinearFacts) { l.Estimates = false }, "",
			[]string{"fields.estimate: the Linear team does not use estimates"}},
		{"estimates off both sides, direction off", func(j *JiraFacts, l *LinearFacts) { j.EstimateField, l.Estimates = "", false },
			"fields:\n  estimate: {direction: off}\n", nil},
		{"no sprints anywhere", func(j *JiraFacts, l *LinearFacts) { j.SprintField, l.Cycles = "", false }, "",
			[]string{"fields.sprint: Jira has no Sprint field", "fields.sprint: the Linear team has no cycles"}},
		{"sprints off", func(j *JiraFacts, l *LinearFacts) { j.SprintField, l.Cycles = "", false }, "fields:\n  sprint: {direction: off}\n", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseMapping("m.yaml", []byte("statuses:\n  To Do: Todo\n  Won't Do: Canceled\npriorities:\n  Blocker: none\n"+tc.file))
			if err != nil {
				t.Fatal(err)
			}
			j, l := checkFacts()
			tc.facts(&j, &l)
			ps := Check(m, "m.yaml", j, l)
			if len(ps) != len(tc.want) {
				t.Fatalf("want %d problems, got %v", len(tc.want), ps)
			}
			for i, p := range ps {
				if !p.Warning || !strings.HasPrefix(p.Msg, tc.want[i]) || p.Fix == "" {
					t.Errorf("got %s, want a warning %q with a fix", p, tc.want[i])
				}
			}
		})
	}
}

// FuzzCheck: any mapping file that parses is checked without a panic, and
// every problem is on a line of the file (or on none) and says how to fix it.
func FuzzCheck(f *testing.F) {
	good, err := os.ReadFile("testdata/check-good.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(good))
	f.Add("statuses:\n  Nope: Nada\n  To Do: todo\n  Done: Todo\n")
	f.Add("users:\n  x@y:\n    jira: ''\n    linear: ''\nlinear:\n  labels: []\n  project: ''\n")
	f.Add("fields:\n  estimate: {direction: off}\njira:\n  story_points_field: customfield_\n")
	f.Fuzz(func(t *testing.T, doc string) {
		m, err := ParseMapping("f.yaml", []byte(doc))
		if err != nil {
			return
		}
		lines := strings.Count(doc, "\n") + 1
		j, l := checkFacts()
		for _, p := range Check(m, "f.yaml", j, l) {
			if p.Line < 0 || p.Line > lines || p.Fix == "" || p.Msg == "" || p.File != "f.yaml" {
				t.Fatalf("bad problem %+v for\n%s", p, doc)
			}
		}
	})
}

// TestCheckRelations: a mapped link type the site lacks is an error on its
// line; a default type the site lacks is a warning; unknown types say
// nothing.
func TestCheckRelations(t *testing.T) {
	m, err := ParseMapping("mapping.yaml", []byte("relations:\n  Cloners: related\n  Causes: blocks\n"))
	if err != nil {
		t.Fatal(err)
	}
	j, l := checkFacts()
	check := func() []Problem {
		var out []Problem
		for _, p := range Check(m, "mapping.yaml", j, l) {
			if strings.HasPrefix(p.Msg, "relations:") {
				out = append(out, p)
			}
		}
		return out
	}
	ps := check()
	if len(ps) != 1 || ps[0].Line != 3 || ps[0].Warning || !strings.Contains(ps[0].Msg, `"Causes"`) || ps[0].Fix == "" {
		t.Errorf("problems %v, want one error on line 3 about Causes", ps)
	}
	j.LinkTypes = []string{"Blocks", "Cloners", "Relates", "Causes"}
	ps = check()
	if len(ps) != 1 || !ps[0].Warning || !strings.Contains(ps[0].Msg, `"Duplicate"`) {
		t.Errorf("problems %v, want one warning about Duplicate", ps)
	}
	j.LinkTypes = nil
	if ps := check(); len(ps) != 0 {
		t.Errorf("unknown link types: %v", ps)
	}
}
