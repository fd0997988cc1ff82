package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/app"
	"github.com/tandem-sync/tandem/config"
	"github.com/tandem-sync/tandem/connectors/jira"
	"github.com/tandem-sync/tandem/connectors/linear"
)

// checkReport is `tandem config check --json`.
type checkReport struct {
	OK          bool             `json:"ok"`
	MappingFile string           `json:"mapping_file,omitempty"`
	JiraProject string           `json:"jira_project"`
	JiraURL     string           `json:"jira_url"`
	LinearTeam  string           `json:"linear_team"`
	Store       string           `json:"store"`
	Errors      int              `json:"errors"`
	Warnings    int              `json:"warnings"`
	Problems    []config.Problem `json:"problems"`
}

// cmdConfigCheck loads the configuration (a bad variable: exit 2), connects
// to both tools, and checks the mapping file (or the defaults) against
// their metadata: exit 1 on any error, 0 with warnings only.
func cmdConfigCheck(ctx context.Context, asJSON bool, stdout io.Writer) error {
	cfg, err := loadConfig(ctx)
	if err != nil {
		return err
	}
	// Connect without the settings the check judges: a bad JQL, estimate
	// field or project would stop app.New with one error instead of a
	// list of problems with their lines.
	conn := cfg
	conn.Mapping.Jira.JQL, conn.Mapping.Jira.StoryPointsField = "", ""
	conn.Mapping.Linear.Project, conn.Mapping.Linear.Labels = "", nil
	a, err := app.New(ctx, conn, app.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer a.Close()
	jm, err := a.Jira.Metadata(ctx)
	if err != nil {
		return fmt.Errorf("reading jira metadata: %w", err)
	}
	lm, err := a.Linear.Metadata(ctx)
	if err != nil {
		return fmt.Errorf("reading linear metadata: %w", err)
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	projects, err := linearProjects(ctx, hc, cfg)
	if err != nil {
		return err
	}
	file := cfg.MappingFile
	if file == "" {
		file = "(default mapping)"
	}
	jf := jiraFacts(jm)
	jf.Transitions = append(jf.Transitions, jiraWorkflow(ctx, hc, cfg, jm.Statuses)...)
	problems := config.Check(cfg.Mapping, file, jf, linearFacts(lm, projects))
	if cfg.Mapping.Jira.JQL != "" {
		if p, bad := checkJQL(ctx, hc, cfg, file); bad {
			problems = append(problems, p)
		}
	}
	config.SortProblems(problems)

	rep := checkReport{MappingFile: cfg.MappingFile, JiraProject: cfg.JiraProject, JiraURL: cfg.JiraURL, LinearTeam: cfg.LinearTeam,
		Store: "embedded store in " + cfg.DataDir, Problems: problems}
	if cfg.RedisURL != "" {
		rep.Store = "redis"
	}
	for _, p := range problems {
		if p.Warning {
			rep.Warnings++
		} else {
			rep.Errors++
		}
	}
	rep.OK = rep.Errors == 0
	if rep.Problems == nil {
		rep.Problems = []config.Problem{}
	}
	if asJSON {
		if err := json.NewEncoder(stdout).Encode(rep); err != nil {
			return err
		}
	} else {
		for _, p := range problems {
			fmt.Fprintln(stdout, p)
		}
		if len(problems) > 0 {
			fmt.Fprintf(stdout, "%s: %s, %s\n", file, plural(rep.Errors, "error"), plural(rep.Warnings, "warning"))
		}
		if rep.OK {
			fmt.Fprintf(stdout, "configuration ok: jira project %s at %s, linear team %s, %s\n", cfg.JiraProject, cfg.JiraURL, cfg.LinearTeam, rep.Store)
		}
	}
	if !rep.OK {
		return fmt.Errorf("%s: %s", file, plural(rep.Errors, "error"))
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// jiraFacts keeps of the Jira metadata what config.Check judges.
func jiraFacts(m jira.Metadata) config.JiraFacts {
	var f config.JiraFacts
	for _, s := range m.Statuses {
		f.Statuses = append(f.Statuses, config.JiraStatus{Name: s.Name, Category: s.Category})
	}
	f.Priorities = m.Priorities
	f.LinkTypes = m.LinkTypes
	f.EstimateField, f.SprintField = m.EstimateField, m.SprintField
	for _, sp := range m.Sprints {
		f.Sprints = append(f.Sprints, sp.Name)
	}
	for _, u := range m.Users {
		f.Users = append(f.Users, config.JiraUser{AccountID: u.AccountID, Email: u.Email, Name: u.Name})
	}
	for _, fl := range m.Fields {
		f.Fields = append(f.Fields, config.JiraField{ID: fl.ID, Name: fl.Name, Type: fl.Type})
	}
	for _, t := range m.Transitions {
		f.Transitions = append(f.Transitions, config.JiraTransition{From: t.From, To: t.To})
	}
	return f
}

// linearFacts keeps of the Linear metadata what config.Check judges;
// projects come from linearProjects (nil: not known).
func linearFacts(m linear.Metadata, projects []config.LinearProject) config.LinearFacts {
	f := config.LinearFacts{Labels: m.Labels, Users: m.Users, Projects: projects,
		Estimates: len(m.Estimation.Scale) > 0, Cycles: len(m.Cycles) > 0}
	for _, s := range m.States {
		f.States = append(f.States, config.LinearState{Name: s.Name, Type: s.Type})
	}
	for _, cy := range m.Cycles {
		f.CycleNames = append(f.CycleNames, cy.Name)
	}
	return f
}

const projectsQuery = `query TandemCheckProjects($after: String) {
  projects(first: 250, after: $after) { nodes { id name } pageInfo { hasNextPage endCursor } }
}`

// maxProjectPages bounds the project listing.
const maxProjectPages = 40

// linearProjects lists the workspace's projects for linear.project. The
// connector resolves only the one project it is given; the check wants
// them all to suggest names.
func linearProjects(ctx context.Context, hc *http.Client, cfg config.Config) ([]config.LinearProject, error) {
	out := []config.LinearProject{}
	var after any
	for range maxProjectPages {
		body, err := json.Marshal(map[string]any{"query": projectsQuery, "variables": map[string]any{"after": after}})
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(cfg.LinearURL, "/")+"/graphql", bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("listing linear projects: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", cfg.LinearAPIKey)
		resp, err := hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("listing linear projects: %w", err)
		}
		var page struct {
			Data struct {
				Projects struct {
					Nodes    []config.LinearProject `json:"nodes"`
					PageInfo struct {
						HasNextPage bool   `json:"hasNextPage"`
						EndCursor   string `json:"endCursor"`
					} `json:"pageInfo"`
				} `json:"projects"`
			} `json:"data"`
			Errors []struct {
				Message string `json:"message"`
			} `json:"errors"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&page)
		resp.Body.Close()
		switch {
		case err != nil:
			return nil, fmt.Errorf("listing linear projects: %s: %w", resp.Status, err)
		case len(page.Errors) > 0:
			return nil, fmt.Errorf("listing linear projects: %s", page.Errors[0].Message)
		case resp.StatusCode != http.StatusOK:
			return nil, fmt.Errorf("listing linear projects: %s", resp.Status)
		}
		out = append(out, page.Data.Projects.Nodes...)
		pi := page.Data.Projects.PageInfo
		if !pi.HasNextPage || pi.EndCursor == "" || pi.EndCursor == after {
			return out, nil
		}
		after = pi.EndCursor
	}
	return out, nil
}

// checkJQL runs the scope query the connector would run, asking for one
// issue, and turns Jira's refusal into a problem on the jira.jql line.
// bad is false when Jira accepts it.
func checkJQL(ctx context.Context, hc *http.Client, cfg config.Config, file string) (p config.Problem, bad bool) {
	jql := fmt.Sprintf("project = %q AND (%s)", cfg.JiraProject, cfg.Mapping.Jira.JQL)
	p = config.Problem{File: file, Line: cfg.Mapping.Lines["jira.jql"],
		Fix: fmt.Sprintf("correct the query; Tandem runs it as %s", jql)}
	q := url.Values{"jql": {jql}, "maxResults": {"1"}, "fields": {"id"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(cfg.JiraURL, "/")+"/rest/api/3/search/jql?"+q.Encode(), nil)
	if err != nil {
		p.Msg = "jira.jql: cannot build the check: " + err.Error()
		return p, true
	}
	req.SetBasicAuth(cfg.JiraEmail, cfg.JiraToken)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		p.Msg, p.Fix = "jira.jql: could not ask Jira to run it: "+err.Error(), "run the check again once Jira answers"
		return p, true
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return p, false
	}
	var body struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body)
	msgs := body.ErrorMessages
	for _, m := range body.Errors {
		msgs = append(msgs, m)
	}
	if len(msgs) == 0 {
		msgs = []string{resp.Status}
	}
	p.Msg = fmt.Sprintf("jira.jql: Jira rejects %q: %s", cfg.Mapping.Jira.JQL, strings.Join(msgs, "; "))
	return p, true
}

// maxProbedStatuses bounds jiraWorkflow's requests (two per status).
const maxProbedStatuses = 50

// jiraWorkflow learns the ways out of each status from one issue in it
// (Jira lists the transitions of an issue's current status, not the
// workflow). Statuses without an issue stay unknown, and config.Check then
// does not judge reachability. Failures only leave gaps.
func jiraWorkflow(ctx context.Context, hc *http.Client, cfg config.Config, statuses []jira.MetaStatus) []config.JiraTransition {
	var out []config.JiraTransition
	for i, st := range statuses {
		if i == maxProbedStatuses {
			break
		}
		jql := fmt.Sprintf("project = %s AND status = %s", jqlString(cfg.JiraProject), jqlString(st.Name))
		var found struct {
			Issues []struct {
				ID string `json:"id"`
			} `json:"issues"`
		}
		q := url.Values{"jql": {jql}, "maxResults": {"1"}, "fields": {"id"}}
		if jiraGet(ctx, hc, cfg, "rest/api/3/search/jql?"+q.Encode(), &found) != nil || len(found.Issues) == 0 {
			continue
		}
		var ts struct {
			Transitions []struct {
				To struct {
					Name string `json:"name"`
				} `json:"to"`
			} `json:"transitions"`
		}
		if jiraGet(ctx, hc, cfg, "rest/api/3/issue/"+url.PathEscape(found.Issues[0].ID)+"/transitions", &ts) != nil {
			continue
		}
		for _, t := range ts.Transitions {
			out = append(out, config.JiraTransition{From: st.Name, To: t.To.Name})
		}
	}
	return out
}

// jqlString renders s as a JQL string literal.
func jqlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func jiraGet(ctx context.Context, hc *http.Client, cfg config.Config, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(cfg.JiraURL, "/")+"/"+path, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(cfg.JiraEmail, cfg.JiraToken)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(into)
}
