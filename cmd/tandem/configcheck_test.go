package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tandem-sync/tandem/config"
)

// TestConfigCheck runs `tandem config check` against the sandboxes with a
// mapping that fits them (exit 0), one broken in six places (exit 1, each
// problem with file:line), no mapping (defaults: warnings only) and --json.
func TestConfigCheck(t *testing.T) {
	e := redisWorld(t, "configcheck", false)
	ctx := t.Context()
	c := e.Config

	// The workflow, learnt from one issue per status, is the sandbox's
	// and leads into every status.
	jm, err := e.App.Jira.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wf := jiraWorkflow(ctx, http.DefaultClient, c, jm.Statuses)
	for _, want := range []config.JiraTransition{{From: "To Do", To: "In Progress"}, {From: "In Review", To: "Done"}, {From: "Won't Do", To: "To Do"}} {
		if !slices.Contains(wf, want) {
			t.Errorf("workflow %v lacks %v", wf, want)
		}
	}
	facts := jiraFacts(jm)
	facts.Transitions = wf
	if ps := config.Check(config.DefaultMapping(), "-", facts, config.LinearFacts{}); slices.ContainsFunc(ps, func(p config.Problem) bool { return strings.Contains(p.Msg, "no transition") }) {
		t.Errorf("the sandbox workflow reads as unreachable: %v", ps)
	}
	facts.Transitions = slices.DeleteFunc(slices.Clone(wf), func(tr config.JiraTransition) bool { return tr.To == "In Review" })
	if ps := config.Check(config.DefaultMapping(), "-", facts, config.LinearFacts{}); !slices.ContainsFunc(ps, func(p config.Problem) bool {
		return strings.Contains(p.Msg, `no transition leads into Jira status "In Review"`)
	}) {
		t.Errorf("without the way into In Review: %v", ps)
	}

	good := filepath.Join("testdata", "mapping-check-good.yaml")
	t.Setenv("TANDEM_MAPPING", good)
	code, out, errs := run(t, "config", "check")
	if code != 0 || !strings.Contains(out, "configuration ok: jira project "+c.JiraProject) || strings.Contains(out, good+":") {
		t.Fatalf("good mapping: exit %d\n%s%s", code, out, errs)
	}

	broken := filepath.Join("testdata", "mapping-check-broken.yaml")
	t.Setenv("TANDEM_MAPPING", broken)
	code, out, errs = run(t, "config", "check")
	if code != 1 {
		t.Fatalf("broken mapping: exit %d, want 1\n%s%s", code, out, errs)
	}
	want := []string{
		broken + `:3: statuses: Jira has no status "Code Reveiw" (statuses: To Do, In Progress, In Review, Done, Won't Do) — fix: use one of those names`,
		broken + `:5: users.carol@example.com: Jira has no assignable user with accountId "5b10ac8d82e05b22cc7d4eXX" — fix: carol@example.com's accountId is 5b10ac8d82e05b22cc7d4ef6`,
		broken + `:8: jira.jql: Jira rejects "issuetype = = Story"`,
		broken + `:9: jira.story_points_field: customfield_10019 (Rank) is a field of type "any", not a number field — fix: use one of the number fields: customfield_10016 (Story point estimate)`,
		broken + `:11: linear.labels: Linear has no label "Frontend"`,
		broken + `:12: linear.project: Linear has no project "Q5 Launch" (projects: Q4 Launch)`,
		broken + `: warning: statuses: Jira status "Won't Do" has no Linear state of that name and no mapping; it falls back to "Canceled" (the first canceled state)`,
		broken + ": 6 errors, 1 warning",
	}
	t.Logf("broken mapping:\n%s", out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(want) {
		t.Fatalf("broken mapping: want %d lines, got\n%s", len(want), out)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d:\n got %s\nwant %s…", i+1, lines[i], w)
		}
	}
	if !strings.Contains(errs, "6 errors") {
		t.Errorf("stderr %q does not sum up the errors", errs)
	}

	code, out, errs = run(t, "config", "check", "--json")
	var rep checkReport
	if code != 1 || json.Unmarshal([]byte(out), &rep) != nil || rep.OK || rep.Errors != 6 || rep.Warnings != 1 || len(rep.Problems) != 7 {
		t.Fatalf("--json: exit %d\n%s%s", code, out, errs)
	}
	if p := rep.Problems[0]; p != (config.Problem{File: broken, Line: 3, Msg: p.Msg, Fix: "use one of those names"}) {
		t.Errorf("--json first problem %+v", p)
	}

	t.Setenv("TANDEM_MAPPING", "")
	code, out, errs = run(t, "config", "check")
	if code != 0 || !strings.Contains(out, `(default mapping): warning: statuses: Jira status "To Do" has no Linear state of that name and no mapping; it falls back to "Todo"`) ||
		!strings.Contains(out, "(default mapping): 0 errors, 2 warnings") || !strings.Contains(out, "configuration ok") {
		t.Fatalf("defaults: exit %d\n%s%s", code, out, errs)
	}

	t.Setenv("TANDEM_JIRA_PROJECT", "not a key")
	if code, _, errs = run(t, "config", "check"); code != 2 || !strings.Contains(errs, "TANDEM_JIRA_PROJECT") {
		t.Fatalf("bad variable: exit %d, %s", code, errs)
	}
}

// TestCheckJQLAnswers: Jira's refusal in either error shape lands on the
// jira.jql line; an unreachable Jira is a problem too, not a pass.
func TestCheckJQLAnswers(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		bad    bool
		msg    string
	}{
		{"accepted", 200, `{"issues":[]}`, false, ""},
		{"error messages", 400, `{"errorMessages":["Field 'statsu' does not exist."]}`, true, `Jira rejects "statsu = Done": Field 'statsu' does not exist.`},
		{"field errors", 400, `{"errors":{"jql":"bad clause"}}`, true, "bad clause"},
		{"no body", 403, ``, true, "403 Forbidden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/rest/api/3/search/jql" || r.URL.Query().Get("jql") != `project = "TAN" AND (statsu = Done)` {
					t.Errorf("asked %s", r.URL)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			cfg := config.Config{JiraURL: srv.URL, JiraProject: "TAN", Mapping: config.DefaultMapping()}
			cfg.Mapping.Jira.JQL, cfg.Mapping.Lines["jira.jql"] = "statsu = Done", 7
			p, bad := checkJQL(t.Context(), srv.Client(), cfg, "m.yaml")
			if bad != tc.bad || (bad && (p.Line != 7 || p.File != "m.yaml" || p.Warning || !strings.Contains(p.Msg, tc.msg) || p.Fix == "")) {
				t.Fatalf("bad=%v %s", bad, p)
			}
		})
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	cfg := config.Config{JiraURL: srv.URL, JiraProject: "TAN", Mapping: config.DefaultMapping()}
	cfg.Mapping.Jira.JQL = "x = y"
	if p, bad := checkJQL(t.Context(), http.DefaultClient, cfg, "m.yaml"); !bad || !strings.Contains(p.Msg, "could not ask Jira") {
		t.Fatalf("unreachable jira: bad=%v %s", bad, p)
	}
}

// TestLinearProjectsPages: the listing follows pages and reports GraphQL errors.
func TestLinearProjectsPages(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Variables struct {
				After *string `json:"after"`
			} `json:"variables"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		switch {
		case r.Header.Get("Authorization") != "key":
			io.WriteString(w, `{"errors":[{"message":"Authentication required"}]}`)
		case req.Variables.After == nil:
			io.WriteString(w, `{"data":{"projects":{"nodes":[{"id":"p1","name":"One"}],"pageInfo":{"hasNextPage":true,"endCursor":"c1"}}}}`)
		default:
			io.WriteString(w, `{"data":{"projects":{"nodes":[{"id":"p2","name":"Two"}],"pageInfo":{"hasNextPage":false,"endCursor":"c2"}}}}`)
		}
	}))
	defer srv.Close()
	ps, err := linearProjects(t.Context(), srv.Client(), config.Config{LinearURL: srv.URL, LinearAPIKey: "key"})
	if err != nil || !slices.Equal(ps, []config.LinearProject{{ID: "p1", Name: "One"}, {ID: "p2", Name: "Two"}}) {
		t.Fatalf("projects %v, %v", ps, err)
	}
	if _, err := linearProjects(t.Context(), srv.Client(), config.Config{LinearURL: srv.URL, LinearAPIKey: "nope"}); err == nil || !strings.Contains(err.Error(), "Authentication required") {
		t.Fatalf("bad key: %v", err)
	}
}
