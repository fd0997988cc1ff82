package sandbox

import (
	"encoding/json"
	"testing"
	"time"
)

func TestAssigneeRoute(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: 3, RetryDelay: time.Millisecond})
	rcv := newReceiver(t)
	register(t, c, rcv.srv.URL, "s", "project = TAN", "jira:issue_updated")
	alice := c.as("alice@example.com", "alice-token")
	_, v0, _ := c.do("GET", "/rest/api/3/issue/TAN-2/changelog", nil)
	logged := len(get(v0, "values").([]any))
	emails := map[string]string{"": "", "Bob Example": "bob@example.com", "Carol Example": "carol@example.com"}
	for _, tc := range []struct {
		name, path string
		body       any
		want       int
		assignee   string // display name after, "" unassigned
		event      bool
	}{
		{"null unassigns", "/rest/api/3/issue/TAN-2/assignee", map[string]any{"accountId": nil}, 204, "", true},
		{"assign", "/rest/api/3/issue/TAN-2/assignee", map[string]any{"accountId": "5b109f2e9729b51b54dc274d"}, 204, "Bob Example", true},
		{"same again: no change, no event", "/rest/api/3/issue/TAN-2/assignee", map[string]any{"accountId": "5b109f2e9729b51b54dc274d"}, 204, "Bob Example", false},
		{"v2 reassign", "/rest/api/2/issue/TAN-2/assignee", map[string]any{"accountId": "5b10ac8d82e05b22cc7d4ef6"}, 204, "Carol Example", true},
		{"-1: the project's default assignee (none)", "/rest/api/3/issue/TAN-2/assignee", map[string]any{"accountId": "-1"}, 204, "", true},
		{"assign again", "/rest/api/3/issue/TAN-2/assignee", map[string]any{"accountId": "5b109f2e9729b51b54dc274d"}, 204, "Bob Example", true},
		{"null unassigns", "/rest/api/3/issue/TAN-2/assignee", map[string]any{"accountId": nil}, 204, "", true},
		{"unknown user", "/rest/api/3/issue/TAN-2/assignee", map[string]any{"accountId": "nobody"}, 400, "", false},
		{"no accountId", "/rest/api/3/issue/TAN-2/assignee", map[string]any{}, 400, "", false},
		{"name is not taken", "/rest/api/3/issue/TAN-2/assignee", map[string]any{"name": "bob"}, 400, "", false},
		{"not a string", "/rest/api/3/issue/TAN-2/assignee", map[string]any{"accountId": 7}, 400, "", false},
		{"bad JSON", "/rest/api/3/issue/TAN-2/assignee", "{", 400, "", false},
		{"unknown issue", "/rest/api/3/issue/TAN-99/assignee", map[string]any{"accountId": "5b109f2e9729b51b54dc274d"}, 404, "", false},
	} {
		for s.PendingDeliveries() > 0 {
			time.Sleep(time.Millisecond)
		}
		rcv.mu.Lock()
		before := len(rcv.got)
		rcv.mu.Unlock()
		code, v, _ := alice.do("PUT", tc.path, tc.body)
		if code != tc.want {
			t.Fatalf("%s: %d %v, want %d", tc.name, code, v, tc.want)
		}
		if tc.want == 404 {
			continue
		}
		view, _ := s.Issue("TAN-2")
		if want := emails[tc.assignee]; view.Assignee != want {
			t.Errorf("%s: assignee %q, want %q", tc.name, view.Assignee, want)
		}
		if !tc.event {
			for s.PendingDeliveries() > 0 {
				time.Sleep(time.Millisecond)
			}
			rcv.mu.Lock()
			n := len(rcv.got)
			rcv.mu.Unlock()
			if n != before {
				t.Errorf("%s: %d webhook deliveries, want none", tc.name, n-before)
			}
			continue
		}
		got := rcv.wait(t, before+1)[before]
		var body map[string]any
		if err := json.Unmarshal(got.body, &body); err != nil {
			t.Fatal(err)
		}
		if body["webhookEvent"] != "jira:issue_updated" || body["issue_event_type_name"] != "issue_assigned" || get(body, "user", "emailAddress") != "alice@example.com" {
			t.Errorf("%s: event %v %v by %v", tc.name, body["webhookEvent"], body["issue_event_type_name"], get(body, "user", "emailAddress"))
		}
		items, _ := get(body, "changelog", "items").([]any)
		if len(items) != 1 || get(items[0], "field") != "assignee" {
			t.Fatalf("%s: changelog %v", tc.name, items)
		}
		to, _ := get(items[0], "toString").(string)
		if to != tc.assignee {
			t.Errorf("%s: changelog toString %q, want %q", tc.name, to, tc.assignee)
		}
	}
	// The changelog the REST API serves has the assignments too.
	_, v, _ := c.do("GET", "/rest/api/3/issue/TAN-2/changelog", nil)
	if n := len(get(v, "values").([]any)) - logged; n != 6 {
		t.Errorf("%d new changelog entries, want 6", n)
	}
}

func TestAssigneeOfIssueView(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: 3})
	if code, v, _ := c.do("PUT", "/rest/api/3/issue/TAN-1/assignee", map[string]any{"accountId": "5b10a2844c20165700ede21g"}); code != 204 {
		t.Fatalf("%d %v", code, v)
	}
	_, v, _ := c.do("GET", "/rest/api/3/issue/TAN-1?fields=assignee", nil)
	if get(v, "fields", "assignee", "accountId") != "5b10a2844c20165700ede21g" {
		t.Errorf("assignee %v", get(v, "fields", "assignee"))
	}
	if view, _ := s.Issue("TAN-1"); view.Assignee != "alice@example.com" {
		t.Errorf("view assignee %q", view.Assignee)
	}
}

func TestEditMeta(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: 3})
	code, v, _ := c.do("GET", "/rest/api/3/issue/TAN-1/editmeta", nil)
	if code != 200 {
		t.Fatalf("%d %v", code, v)
	}
	for _, id := range []string{"summary", "description", "labels", "assignee", "priority", "duedate", StoryPointsField, SprintField} {
		if get(v, "fields", id, "key") != id {
			t.Errorf("editmeta lacks %s: %v", id, get(v, "fields", id))
		}
	}
	if ops, _ := get(v, "fields", "labels", "operations").([]any); len(ops) != 3 {
		t.Errorf("labels operations %v", ops)
	}
	if vals, _ := get(v, "fields", "priority", "allowedValues").([]any); len(vals) == 0 {
		t.Error("priority has no allowed values")
	}
	if get(v, "fields", "summary", "required") != true || get(v, "fields", "labels", "required") != false {
		t.Errorf("required flags %v %v", get(v, "fields", "summary", "required"), get(v, "fields", "labels", "required"))
	}
	// A sub-task has no sprint of its own.
	_, sub, err := s.UserCreate("alice@example.com", map[string]any{"summary": "sub", "issuetype": map[string]string{"name": "Sub-task"}, "parent": map[string]string{"key": "TAN-1"}})
	if err != nil {
		t.Fatal(err)
	}
	_, v, _ = c.do("GET", "/rest/api/3/issue/"+sub+"/editmeta", nil)
	if get(v, "fields", SprintField) != nil || get(v, "fields", "summary") == nil {
		t.Errorf("sub-task editmeta %v", v)
	}
	if code, _, _ := c.do("GET", "/rest/api/3/issue/TAN-99/editmeta", nil); code != 404 {
		t.Errorf("unknown issue: %d", code)
	}
}

func TestAgileIssueViews(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: 3})
	if err := s.UserSprint("alice@example.com", "TAN-1", "TAN Sprint 2"); err != nil {
		t.Fatal(err)
	}
	if err := s.UserSprint("alice@example.com", "TAN-2", "TAN Sprint 2"); err != nil {
		t.Fatal(err)
	}
	if !s.CloseSprint("TAN Sprint 2") {
		t.Fatal("no sprint 2")
	}
	if err := s.UserSprint("alice@example.com", "TAN-1", "TAN Sprint 3"); err != nil {
		t.Fatal(err)
	}
	_, v, _ := c.do("GET", "/rest/agile/1.0/issue/TAN-1", nil)
	if get(v, "key") != "TAN-1" || get(v, "fields", "sprint", "name") != "TAN Sprint 3" || get(v, "fields", "sprint", "state") != "future" {
		t.Errorf("sprint %v", get(v, "fields", "sprint"))
	}
	if get(v, "fields", "closedSprints", 0, "name") != "TAN Sprint 2" || get(v, "fields", "flagged") != false {
		t.Errorf("closedSprints %v flagged %v", get(v, "fields", "closedSprints"), get(v, "fields", "flagged"))
	}
	if _, ok := get(v, "fields", "description").(string); !ok {
		t.Errorf("the Agile API answers v2 (wiki) text: %v", get(v, "fields", "description"))
	}
	_, v, _ = c.do("GET", "/rest/agile/1.0/issue/TAN-2?fields=summary,sprint", nil)
	f, _ := get(v, "fields").(map[string]any)
	if len(f) != 2 || f["sprint"] != nil || f["summary"] == nil {
		t.Errorf("TAN-2 fields %v", f)
	}
	if code, _, _ := c.do("GET", "/rest/agile/1.0/issue/TAN-99", nil); code != 404 {
		t.Errorf("unknown issue: %d", code)
	}
	// The board's issues: all of them (done ones too), in rank order, paged
	// and narrowed by JQL.
	_, v, _ = c.do("GET", "/rest/agile/1.0/board/1/issue?maxResults=2", nil)
	if get(v, "total") != 3.0 || len(get(v, "issues").([]any)) != 2 || get(v, "issues", 0, "key") != "TAN-1" {
		t.Errorf("board issues %v", v)
	}
	_, v, _ = c.do("GET", "/rest/agile/1.0/board/1/issue?startAt=2", nil)
	if get(v, "issues", 0, "key") != "TAN-3" {
		t.Errorf("second page %v", v)
	}
	_, v, _ = c.do("GET", "/rest/agile/1.0/board/1/issue?jql=key%3DTAN-2&fields=sprint,closedSprints", nil)
	if get(v, "total") != 1.0 || get(v, "issues", 0, "fields", "closedSprints", 0, "name") != "TAN Sprint 2" {
		t.Errorf("jql %v", v)
	}
	if code, _, _ := c.do("GET", "/rest/agile/1.0/board/1/issue?jql=nonsense%20%3D", nil); code != 400 {
		t.Errorf("bad jql: %d", code)
	}
	if code, _, _ := c.do("GET", "/rest/agile/1.0/board/9/issue", nil); code != 404 {
		t.Errorf("unknown board: %d", code)
	}
}
