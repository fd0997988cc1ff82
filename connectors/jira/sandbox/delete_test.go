package sandbox

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/apis/fixtures"
)

// TestDeleteIssue: an issue with sub-tasks is deleted only with
// deleteSubtasks=true (Jira's 400 otherwise); each deleted issue fires a
// jira:issue_deleted delivery shaped like Cloud's (the envelope of a 2023
// Cloud capture, the issue as in the issue_created fixture).
func TestDeleteIssue(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: 3, RetryDelay: time.Millisecond})
	rcv := newReceiver(t)
	register(t, c, rcv.srv.URL, "", "", "jira:issue_deleted")
	_, sub, err := s.UserCreate("alice@example.com", map[string]any{"summary": "child", "issuetype": map[string]any{"name": "Sub-task"}, "parent": map[string]any{"key": "TAN-2"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"", "?deleteSubtasks=false"} {
		code, v, _ := c.do("DELETE", "/rest/api/2/issue/TAN-2"+q, nil)
		msgs, _ := json.Marshal(get(v, "errorMessages"))
		if code != 400 || !strings.Contains(string(msgs), "The issue 'TAN-2' has subtasks.") {
			t.Errorf("DELETE%s of a parent: %d %s", q, code, msgs)
		}
	}
	if code, _, _ := c.do("GET", "/rest/api/2/issue/"+sub, nil); code != 200 {
		t.Fatalf("the refused delete removed the sub-task: %d", code)
	}
	// An issue without sub-tasks goes without the parameter.
	if code, _, _ := c.do("DELETE", "/rest/api/2/issue/TAN-3", nil); code != 204 {
		t.Errorf("DELETE TAN-3: %d", code)
	}
	if code, _, _ := c.do("DELETE", "/rest/api/2/issue/TAN-2?deleteSubtasks=true", nil); code != 204 {
		t.Fatalf("DELETE with deleteSubtasks: %d", code)
	}
	for _, k := range []string{"TAN-2", "TAN-3", sub} {
		if code, _, _ := c.do("GET", "/rest/api/2/issue/"+k, nil); code != 404 {
			t.Errorf("GET deleted %s: %d", k, code)
		}
	}
	if code, _, _ := c.do("DELETE", "/rest/api/2/issue/TAN-2?deleteSubtasks=true", nil); code != 404 {
		t.Errorf("second DELETE: %d, want 404", code)
	}

	raw, err := fixtures.Read("jira", "issue_created.json")
	if err != nil {
		t.Fatal(err)
	}
	var fixture map[string]any
	if err := json.Unmarshal(raw, &fixture); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range rcv.wait(t, 3) {
		var b map[string]any
		if err := json.Unmarshal(r.body, &b); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, get(b, "issue", "key").(string))
		if got := slices.Sorted(maps.Keys(b)); !slices.Equal(got, []string{"issue", "timestamp", "user", "webhookEvent"}) {
			t.Errorf("envelope keys %v", got)
		}
		if b["webhookEvent"] != "jira:issue_deleted" {
			t.Errorf("event %v", b["webhookEvent"])
		}
		var diffs []string
		shapeDiff(fixture["issue"], b["issue"], ".issue", &diffs)
		shapeDiff(fixture["user"], b["user"], ".user", &diffs)
		diffs = slices.DeleteFunc(diffs, isUnmodelled)
		if len(diffs) > 0 {
			t.Errorf("deletion delivery differs from the real shape:\n%s", strings.Join(diffs, "\n"))
		}
	}
	sort.Strings(keys)
	if want := []string{"TAN-2", "TAN-3", sub}; !slices.Equal(keys, want) {
		t.Errorf("deleted deliveries for %v, want %v", keys, want)
	}
}
