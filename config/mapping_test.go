package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/tandem-sync/tandem/backlog"
)

func TestMappingGood(t *testing.T) {
	m, err := LoadMapping("testdata/mapping-good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m.OrderMaster != "jira" || m.DefaultPolicy != backlog.PolicyNewest ||
		m.Policies[backlog.Title] != backlog.PolicyManual || m.Policies[backlog.Description] != backlog.PolicyManual ||
		m.Policies[backlog.Status] != backlog.PolicyJira || len(m.Policies) != 3 ||
		m.Retention.MaxAge != 720*time.Hour || m.Retention.MaxCount != 5000 {
		t.Fatalf("mapping = %+v", m)
	}
}

func TestMappingFull(t *testing.T) {
	m, err := LoadMapping("testdata/mapping-full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m.OrderMaster != "linear" || m.Directions[backlog.Sprint] != "off" || m.Directions[backlog.DueDate] != "jira_to_linear" ||
		m.Statuses["To Do"] != "Todo" || m.Statuses["Code Review"] != "In Review" || m.Priorities["P1"] != backlog.PriorityHighest ||
		m.Users["alice@example.com"] != (UserMapping{JiraAccountID: "5b10ac8d82e05b22cc7d4ef5", LinearEmail: "alice@corp.example"}) ||
		m.Jira.JQL != "labels != private" || m.Jira.StoryPointsField != "customfield_10016" ||
		len(m.Linear.Labels) != 2 || m.Linear.Project != "Mobile app" || !m.Linear.CreateLabels || m.Deleted != "mirror" ||
		m.Relations["Cloners"] != backlog.RelRelated || m.Relations["Depends"] != backlog.RelBlockedBy {
		t.Fatalf("mapping = %+v", m)
	}
	if m.Lines["statuses.Code Review"] != 11 || m.Lines["users.alice@example.com"] != 16 {
		t.Fatalf("lines = %v", m.Lines)
	}
}

func TestMappingSprints(t *testing.T) {
	m, err := ParseMapping("m.yaml", []byte("sprints:\n  TAN Sprint 2: Cycle 2\n  Release train: Hardening\nlinear:\n  create_cycles: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Sprints) != 2 || m.Sprints["TAN Sprint 2"] != "Cycle 2" || m.Sprints["Release train"] != "Hardening" || !m.Linear.CreateCycles {
		t.Fatalf("mapping = %+v", m)
	}
	if m.Lines["sprints.Release train"] != 3 {
		t.Errorf("lines %v", m.Lines)
	}
	if d := DefaultMapping(); d.Sprints == nil || len(d.Sprints) != 0 || d.Linear.CreateCycles {
		t.Errorf("defaults %+v", d)
	}
}

func TestMappingEmptyIsDefaults(t *testing.T) {
	for _, doc := range []string{"", "\n# nothing\n"} {
		m, err := ParseMapping("m.yaml", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		d := DefaultMapping()
		if m.OrderMaster != d.OrderMaster || m.DefaultPolicy != d.DefaultPolicy || m.Retention != d.Retention {
			t.Fatalf("%q: %+v", doc, m)
		}
	}
}

func TestMappingErrorsNameLineAndFix(t *testing.T) {
	checkMappingErrors(t, []mappingErrorCase{
		{"order_master: both\n", 1, `"both" is not one of jira, linear, off`},
		{"conflicts:\n  default: coin\n", 2, "conflicts.default"},
		{"fields:\n  title: {policy: jira}\n  colour: {policy: jira}\n", 3, `unknown field "colour"`},
		{"fields:\n  title:\n    policy: jira\n    mode: x\n", 4, "fields.title.mode"},
		{"conflicts:\n  retention:\n    max_age: forever\n", 3, "720h"},
		{"conflicts:\n  retention:\n    max_count: -3\n", 3, "max_count"},
		{"ordermaster: jira\n", 1, "unknown setting"},
		{"fields: [title]\n", 1, "must be a mapping"},
		{"order_master: jira\n  bad indent: [\n", 2, "not valid YAML"},
		{"priorities:\n  P1: urgent\n", 2, "highest, high"},
		{"users:\n  alice: {jira: x}\n", 2, "not an email"},
		{"users:\n  a@b.c: {github: x}\n", 2, "users.a@b.c.github"},
		{"jira:\n  story_points_field: Story Points\n", 2, "customfield_10016"},
		{"linear:\n  create_labels: maybe\n", 2, "true or false"},
		{"linear:\n  create_cycles: often\n", 2, "linear.create_cycles: want true or false"},
		{"sprints: [TAN Sprint 2]\n", 1, "must be a mapping"},
		{"sprints:\n  TAN Sprint 2: {cycle: 2}\n", 2, "sprints.TAN Sprint 2: want a name"},
		{"sprints:\n  TAN Sprint 2: Cycle 2\n  TAN Sprint 3: cycle 2\n", 3, `cycle "cycle 2" is already paired with sprint "TAN Sprint 2"`},
		{"fields:\n  sprint: {direction: sideways}\n", 2, "jira_to_linear"},
		{"deleted: purge\n", 1, "mark, mirror"},
		{"statuses:\n  To Do: [Todo]\n", 2, "want a name"},
		{"relations:\n  Cloners: clones\n", 2, "relations.Cloners"},
	})
}

// mappingErrorCase is a mapping file that must be refused at line, with
// an error mentioning contains.
type mappingErrorCase struct {
	doc      string
	line     int
	contains string
}

func checkMappingErrors(t *testing.T, cases []mappingErrorCase) {
	t.Helper()
	for _, tc := range cases {
		_, err := ParseMapping("mapping.yaml", []byte(tc.doc))
		var me *MappingError
		if !errors.As(err, &me) {
			t.Errorf("%q: err %v, want a MappingError", tc.doc, err)
			continue
		}
		if me.Line != tc.line || !strings.Contains(err.Error(), tc.contains) || !strings.HasPrefix(err.Error(), "mapping.yaml:") {
			t.Errorf("%q: %v (line %d), want line %d mentioning %q", tc.doc, err, me.Line, tc.line, tc.contains)
		}
	}
}

func TestLoadAppliesMappingAndOverrides(t *testing.T) {
	env := good()
	env["TANDEM_MAPPING"] = "testdata/mapping-good.yaml"
	c, err := Load(t.Context(), envconfig.MapLookuper(env))
	if err != nil {
		t.Fatal(err)
	}
	if c.Mapping.OrderMaster != "jira" || c.Mapping.DefaultPolicy != backlog.PolicyNewest {
		t.Fatalf("mapping not applied: %+v", c.Mapping)
	}
	env["TANDEM_ORDER_MASTER"] = "linear"
	env["TANDEM_CONFLICT_POLICY"] = "linear"
	c, err = Load(t.Context(), envconfig.MapLookuper(env))
	if err != nil {
		t.Fatal(err)
	}
	if c.Mapping.OrderMaster != "linear" || c.Mapping.DefaultPolicy != backlog.PolicyLinear || c.Mapping.Policies[backlog.Title] != backlog.PolicyManual {
		t.Fatalf("variables should override the file's defaults only: %+v", c.Mapping)
	}
	env["TANDEM_MAPPING"] = "testdata/missing.yaml"
	if _, err := Load(t.Context(), envconfig.MapLookuper(env)); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("missing file: %v", err)
	}
}

func FuzzParseMapping(f *testing.F) {
	f.Add([]byte("order_master: jira\nfields:\n  title: {policy: newest}\n"))
	f.Add([]byte("conflicts: {retention: {max_age: 1h, max_count: 3}}"))
	f.Add([]byte("- a\n- b"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMapping("f.yaml", data)
		if err != nil {
			return
		}
		if !m.DefaultPolicy.Valid() {
			t.Fatalf("accepted an invalid default policy %q", m.DefaultPolicy)
		}
		for f, p := range m.Policies {
			if !p.Valid() {
				t.Fatalf("accepted policy %q for %s", p, f)
			}
		}
	})
}
