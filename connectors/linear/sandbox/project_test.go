package sandbox

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

const projectCreateM = `mutation P($input: ProjectCreateInput!) {
  projectCreate(input: $input) { success lastSyncId project { id name content targetDate state status { type name } teams { nodes { key } } } }
}`

const projectUpdateM = `mutation U($id: String!, $input: ProjectUpdateInput!) {
  projectUpdate(id: $id, input: $input) { success project { id name content targetDate status { type } } }
}`

// TestProjectMutations: projectCreate and projectUpdate as Linear answers
// them, the statuses, the filters a poll uses, and the webhooks (a
// Project create and update with updatedFrom, once per hook, matching
// the schema's payload type; an Issue update moving it into the project
// with projectId in updatedFrom).
func TestProjectMutations(t *testing.T) {
	sch, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	sink := &hookSink{}
	hs := httptest.NewServer(sink)
	defer hs.Close()
	s := newTest(t, Options{})
	mustOK(t, post(t, s, BotKey, `mutation($in: WebhookCreateInput!) { webhookCreate(input: $in) { success } }`,
		map[string]any{"in": map[string]any{"url": hs.URL, "teamId": "ENG", "resourceTypes": []any{"Project", "Issue"}, "secret": "x"}}))

	const id = "7d0c3a52-1f4e-4b8a-9e21-5a6b7c8d9e0f"
	d := mustOK(t, post(t, s, BotKey, projectCreateM, map[string]any{"input": map[string]any{
		"id": id, "name": "Billing", "content": "All of *billing*.", "targetDate": "2026-12-01", "teamIds": []any{s.TeamID()}}}))
	if dig(d, "projectCreate", "project", "id") != id || dig(d, "projectCreate", "project", "status", "type") != "backlog" ||
		dig(d, "projectCreate", "project", "state") != "backlog" || dig(d, "projectCreate", "project", "targetDate") != "2026-12-01" {
		t.Fatalf("projectCreate %v", d)
	}
	for _, tc := range []struct {
		name  string
		input map[string]any
		want  string
	}{
		{"same id", map[string]any{"id": id, "name": "Again", "teamIds": []any{"ENG"}}, "already exists"},
		{"empty name", map[string]any{"name": " ", "teamIds": []any{"ENG"}}, "name"},
		{"no team", map[string]any{"name": "X", "teamIds": []any{}}, "teamIds"},
		{"unknown team", map[string]any{"name": "X", "teamIds": []any{"NOPE"}}, "not found"},
		{"bad date", map[string]any{"name": "X", "teamIds": []any{"ENG"}, "targetDate": "soon"}, "targetDate"},
		{"long summary", map[string]any{"name": "X", "teamIds": []any{"ENG"}, "description": strings.Repeat("x", 256)}, "255"},
	} {
		r := post(t, s, BotKey, projectCreateM, map[string]any{"input": tc.input})
		if len(r.Errors) == 0 || !strings.Contains(string(r.Raw), tc.want) {
			t.Errorf("%s: %s", tc.name, r.Raw)
		}
	}
	// Without teamIds the document fails the schema.
	if r := post(t, s, BotKey, projectCreateM, map[string]any{"input": map[string]any{"name": "X"}}); len(r.Errors) == 0 {
		t.Errorf("no teamIds: %s", r.Raw)
	}

	d = mustOK(t, post(t, s, BotKey, `{ projectStatuses(first: 50) { nodes { id name type position } } }`, nil))
	statuses, _ := dig(d, "projectStatuses", "nodes").([]any)
	started := ""
	for _, n := range statuses {
		if m := n.(map[string]any); m["type"] == "started" {
			started = m["id"].(string)
		}
	}
	if len(statuses) != 6 || started == "" {
		t.Fatalf("projectStatuses %v", statuses)
	}
	d = mustOK(t, post(t, s, BotKey, projectUpdateM, map[string]any{"id": id, "input": map[string]any{"name": "Billing v2", "statusId": started, "targetDate": nil}}))
	if dig(d, "projectUpdate", "project", "name") != "Billing v2" || dig(d, "projectUpdate", "project", "status", "type") != "started" ||
		dig(d, "projectUpdate", "project", "targetDate") != nil {
		t.Fatalf("projectUpdate %v", d)
	}
	if r := post(t, s, BotKey, projectUpdateM, map[string]any{"id": id, "input": map[string]any{"statusId": "nope"}}); len(r.Errors) == 0 {
		t.Errorf("unknown status: %s", r.Raw)
	}
	if r := post(t, s, BotKey, projectUpdateM, map[string]any{"id": "nope", "input": map[string]any{"name": "x"}}); len(r.Errors) == 0 {
		t.Errorf("unknown project: %s", r.Raw)
	}

	// The team's projects, by the filters a poll uses.
	d = mustOK(t, post(t, s, BotKey, `query($f: ProjectFilter) { projects(first: 50, orderBy: updatedAt, filter: $f) { nodes { id } } }`,
		map[string]any{"f": map[string]any{"accessibleTeams": map[string]any{"some": map[string]any{"id": map[string]any{"eq": s.TeamID()}}}}}))
	if n, _ := dig(d, "projects", "nodes").([]any); len(n) != 2 {
		t.Errorf("team's projects %v", n)
	}
	d = mustOK(t, post(t, s, BotKey, `query($f: ProjectFilter) { projects(first: 50, filter: $f) { nodes { id } } }`,
		map[string]any{"f": map[string]any{"updatedAt": map[string]any{"gte": "2099-01-01T00:00:00Z"}}}))
	if n, _ := dig(d, "projects", "nodes").([]any); len(n) != 0 {
		t.Errorf("projects updated in 2099 %v", n)
	}

	// An issue moved into the project.
	if err := s.UserUpdate(BobEmail, "ENG-2", map[string]any{"projectId": id}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "deliveries", func() bool { return sink.count() == 3 })
	var kinds []string
	for _, b := range sink.bodies {
		var p map[string]any
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		typ, action := p["type"].(string), p["action"].(string)
		kinds = append(kinds, typ+"/"+action)
		data := p["data"].(map[string]any)
		for _, f := range sch.Types[typ+"WebhookPayload"].Fields {
			if x, ok := data[f.Name]; f.Type.NonNull && (!ok || x == nil) {
				t.Errorf("%sWebhookPayload.%s (non-null) missing", typ, f.Name)
			}
		}
		from, _ := p["updatedFrom"].(map[string]any)
		switch typ + "/" + action {
		case "Project/update":
			if from["name"] != "Billing" || from["statusId"] == nil {
				t.Errorf("Project update updatedFrom %v", from)
			}
		case "Issue/update":
			if _, ok := from["projectId"]; !ok || data["projectId"] != id {
				t.Errorf("Issue update: projectId %v, updatedFrom %v", data["projectId"], from)
			}
		}
	}
	slices.Sort(kinds) // deliveries may arrive in any order
	if strings.Join(kinds, " ") != "Issue/update Project/create Project/update" {
		t.Errorf("deliveries %v", kinds)
	}
}
