package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigCheckEpics: `tandem config check` takes parent.jira_epics:
// linear_projects, and names the line of a value it does not know or of
// the option combined with linear.project (exit 1).
func TestConfigCheckEpics(t *testing.T) {
	redisWorld(t, "configcheck-epics", false)
	dir := t.TempDir()
	for _, tc := range []struct {
		name, doc string
		code      int
		want      string
	}{
		{"projects", "parent:\n  jira_epics: linear_projects\n", 0, "configuration ok"},
		{"issues", "parent:\n  jira_epics: linear_issues\n", 0, "configuration ok"},
		{"unknown value", "parent:\n  jira_epics: projects\n", 1, `:2: parent.jira_epics: "projects" is not one of linear_issues, linear_projects`},
		{"with linear.project", "linear:\n  project: Q4 Launch\nparent:\n  jira_epics: linear_projects\n", 1, ":4: parent.jira_epics: linear_projects cannot be used with linear.project"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			if err := os.WriteFile(f, []byte(tc.doc), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv("TANDEM_MAPPING", f)
			code, out, errs := run(t, "config", "check")
			if code != tc.code || !strings.Contains(out+errs, tc.want) {
				t.Errorf("exit %d, want %d with %q\n%s%s", code, tc.code, tc.want, out, errs)
			}
		})
	}
}
