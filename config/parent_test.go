package config

import (
	"testing"
)

func TestMappingEpics(t *testing.T) {
	cases := []struct {
		doc  string
		want Epics
	}{
		{"", EpicsAsIssues},
		{"order_master: off\n", EpicsAsIssues},
		{"parent:\n  jira_epics: linear_issues\n", EpicsAsIssues},
		{"parent:\n  jira_epics: linear_projects\n", EpicsAsProjects},
		{"parent: {jira_epics: linear_projects}\nlinear:\n  labels: [synced]\n", EpicsAsProjects},
	}
	for _, tc := range cases {
		m, err := ParseMapping("mapping.yaml", []byte(tc.doc))
		if err != nil {
			t.Errorf("%q: %v", tc.doc, err)
			continue
		}
		if m.Epics != tc.want {
			t.Errorf("%q: epics %q, want %q", tc.doc, m.Epics, tc.want)
		}
	}
}

func TestMappingEpicsErrors(t *testing.T) {
	checkMappingErrors(t, []mappingErrorCase{
		{"parent:\n  jira_epics: linear_project\n", 2, `parent.jira_epics: "linear_project" is not one of linear_issues, linear_projects`},
		{"parent:\n  jira_epics: [linear_projects]\n", 2, "parent.jira_epics"},
		{"parent: linear_projects\n", 1, "parent must be a mapping"},
		{"parent:\n  epics: linear_projects\n", 2, "unknown setting parent.epics (known: jira_epics)"},
		{"parent:\n  jira_epics: linear_projects\nlinear:\n  project: Q4 Launch\n", 2, "cannot be used with linear.project"},
		{"linear:\n  project: Q4 Launch\nparent:\n  jira_epics: linear_projects\n", 4, "cannot be used with linear.project"},
	})
}
