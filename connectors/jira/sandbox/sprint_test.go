package sandbox

import (
	"net/url"
	"slices"
	"testing"
)

func TestSprints(t *testing.T) {
	s, c := newTestServer(t, Options{})
	code, v, _ := c.do("GET", "/rest/agile/1.0/board/1/sprint?state=active,future", nil)
	if code != 200 || get(v, "total") != 2.0 || get(v, "values", 0, "name") != "TAN Sprint 2" || get(v, "values", 0, "state") != "active" {
		t.Fatalf("open sprints: %d %v", code, v)
	}
	if code, _, _ := c.do("GET", "/rest/agile/1.0/board/1/sprint?state=open", nil); code != 400 {
		t.Errorf("unknown state answered %d", code)
	}
	if code, _, _ := c.do("POST", "/rest/agile/1.0/sprint/1/issue", map[string]any{"issues": []string{"TAN-3"}}); code != 400 {
		t.Errorf("moving into a closed sprint answered %d", code)
	}
	if code, v, _ := c.do("POST", "/rest/agile/1.0/sprint/2/issue", map[string]any{"issues": []string{"TAN-3"}}); code != 204 {
		t.Fatalf("move: %d %v", code, v)
	}
	_, v, _ = c.do("GET", "/rest/api/2/issue/TAN-3?fields="+SprintField, nil)
	if get(v, "fields", SprintField, 0, "name") != "TAN Sprint 2" || get(v, "fields", SprintField, 0, "boardId") != 1.0 || get(v, "fields", SprintField, 0, "state") != "active" {
		t.Fatalf("sprint field: %v", v)
	}
	// An issue is in at most one open sprint: moving replaces it.
	c.do("POST", "/rest/agile/1.0/sprint/3/issue", map[string]any{"issues": []string{"TAN-3"}})
	if got, _ := s.Issue("TAN-3"); !slices.Equal(got.Sprints, []string{"TAN Sprint 3"}) {
		t.Fatalf("after second move: %v", got.Sprints)
	}
	// A closed sprint stays in the field; the backlog removes open ones.
	c.do("POST", "/rest/agile/1.0/sprint/2/issue", map[string]any{"issues": []string{"TAN-3"}})
	s.CloseSprint("TAN Sprint 2")
	c.do("POST", "/rest/agile/1.0/sprint/3/issue", map[string]any{"issues": []string{"TAN-3"}})
	if got, _ := s.Issue("TAN-3"); !slices.Equal(got.Sprints, []string{"TAN Sprint 2", "TAN Sprint 3"}) {
		t.Fatalf("after close: %v", got.Sprints)
	}
	c.do("POST", "/rest/agile/1.0/backlog/issue", map[string]any{"issues": []string{"TAN-3"}})
	got, _ := s.Issue("TAN-3")
	if !slices.Equal(got.Sprints, []string{"TAN Sprint 2"}) {
		t.Fatalf("after backlog: %v", got.Sprints)
	}
	_, v, _ = c.do("GET", "/rest/api/2/issue/TAN-3/changelog", nil)
	n := int(get(v, "total").(float64))
	if get(v, "values", n-1, "items", 0, "fieldId") != SprintField || get(v, "values", n-1, "items", 0, "fromString") != "TAN Sprint 2, TAN Sprint 3" {
		t.Errorf("sprint changelog: %v", get(v, "values", n-1))
	}
}

func TestParent(t *testing.T) {
	s, c := newTestServer(t, Options{})
	// TAN-9 is the seeded epic; TAN-5 a story.
	if code, v, _ := c.do("PUT", "/rest/api/2/issue/TAN-5", map[string]any{"fields": map[string]any{"parent": map[string]string{"key": "TAN-9"}}}); code != 204 {
		t.Fatalf("set parent: %d %v", code, v)
	}
	_, v, _ := c.do("GET", "/rest/api/2/issue/TAN-5?fields=parent", nil)
	if get(v, "fields", "parent", "key") != "TAN-9" || get(v, "fields", "parent", "fields", "issuetype", "name") != "Epic" {
		t.Fatalf("parent: %v", v)
	}
	// A story cannot be the parent of a story.
	if code, v, _ := c.do("PUT", "/rest/api/2/issue/TAN-5", map[string]any{"fields": map[string]any{"parent": map[string]string{"key": "TAN-4"}}}); code != 400 || get(v, "errors", "parent") == nil {
		t.Errorf("story parent: %d %v", code, v)
	}
	// A sub-task needs a parent and shows in its subtasks.
	code, v, _ := c.do("POST", "/rest/api/2/issue", map[string]any{"fields": map[string]any{"project": map[string]string{"key": "TAN"}, "issuetype": map[string]string{"name": "Sub-task"}, "summary": "sub"}})
	if code != 400 {
		t.Errorf("sub-task without parent: %d %v", code, v)
	}
	code, v, _ = c.do("POST", "/rest/api/2/issue", map[string]any{"fields": map[string]any{"project": map[string]string{"key": "TAN"}, "issuetype": map[string]string{"name": "Sub-task"}, "summary": "sub", "parent": map[string]string{"key": "TAN-5"}}})
	if code != 201 {
		t.Fatalf("sub-task: %d %v", code, v)
	}
	sub := get(v, "key").(string)
	_, v, _ = c.do("GET", "/rest/api/2/issue/TAN-5?fields=subtasks", nil)
	if get(v, "fields", "subtasks", 0, "key") != sub {
		t.Errorf("subtasks: %v", v)
	}
	// Clearing: null.
	if code, v, _ := c.do("PUT", "/rest/api/2/issue/TAN-5", map[string]any{"fields": map[string]any{"parent": nil}}); code != 204 {
		t.Fatalf("clear parent: %d %v", code, v)
	}
	if got, _ := s.Issue("TAN-5"); got.Parent != "" {
		t.Errorf("parent after clear: %q", got.Parent)
	}
	_, v, _ = c.do("GET", "/rest/api/2/issue/TAN-5/changelog", nil)
	n := int(get(v, "total").(float64))
	if it := get(v, "values", n-1, "items", 0); get(it, "field") != "IssueParentAssociation" || get(it, "fromString") != "TAN-9" {
		t.Errorf("parent changelog: %v", it)
	}
	// Deleting the story deletes its sub-task.
	if err := s.UserDelete("alice@example.com", "TAN-5"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Issue(sub); ok {
		t.Error("sub-task survived its parent")
	}
}

func TestAssignableUsers(t *testing.T) {
	s, c := newTestServer(t, Options{})
	if code, _, _ := c.do("GET", "/rest/api/2/user/assignable/search", nil); code != 400 {
		t.Errorf("no project: %d", code)
	}
	s.HideEmail("bob@example.com", true)
	_, v, _ := c.do("GET", "/rest/api/2/user/assignable/search?project=TAN&maxResults=100", nil)
	list := v.([]any)
	if len(list) != 4 {
		t.Fatalf("users: %v", v)
	}
	for _, u := range list {
		if get(u, "displayName") == "Bob Example" && get(u, "emailAddress") != nil {
			t.Errorf("hidden email shown: %v", u)
		}
	}
	if _, v, _ := c.do("GET", "/rest/api/2/user/assignable/search?project=TAN&query=bob@", nil); len(v.([]any)) != 0 {
		t.Errorf("hidden email matched: %v", v)
	}
}

// TestSprintFieldAndJQL: the Sprint field takes a sprint id in an edit,
// and JQL finds issues by sprint and parent.
func TestSprintFieldAndJQL(t *testing.T) {
	s, c := newTestServer(t, Options{})
	if code, v, _ := c.do("PUT", "/rest/api/2/issue/TAN-4", map[string]any{"fields": map[string]any{SprintField: 2}}); code != 204 {
		t.Fatalf("set sprint by field: %d %v", code, v)
	}
	if code, _, _ := c.do("PUT", "/rest/api/2/issue/TAN-5", map[string]any{"fields": map[string]any{SprintField: 1}}); code != 400 {
		t.Errorf("closed sprint by field answered %d", code)
	}
	if err := s.UserEdit("alice@example.com", "TAN-5", map[string]any{"parent": map[string]string{"key": "TAN-9"}}); err != nil {
		t.Fatal(err)
	}
	keys := func(jql string) []string {
		t.Helper()
		code, v, _ := c.do("GET", "/rest/api/2/search/jql?fields=summary&jql="+url.QueryEscape(jql), nil)
		if code != 200 {
			t.Fatalf("%s: %d %v", jql, code, v)
		}
		var out []string
		for _, is := range get(v, "issues").([]any) {
			out = append(out, get(is, "key").(string))
		}
		slices.Sort(out)
		return out
	}
	for jql, want := range map[string][]string{
		"sprint in openSprints()":   {"TAN-4"},
		`sprint = "TAN Sprint 2"`:   {"TAN-4"},
		"sprint = 2":                {"TAN-4"},
		"sprint in futureSprints()": nil,
		"parent = TAN-9":            {"TAN-5"},
		"project = TAN AND sprint is EMPTY AND parent is not EMPTY": {"TAN-5"},
	} {
		if got := keys(jql); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", jql, got, want)
		}
	}
	if code, _, _ := c.do("GET", "/rest/api/2/search/jql?jql="+url.QueryEscape(`sprint = "Nope"`), nil); code != 400 {
		t.Errorf("unknown sprint answered %d", code)
	}
}
