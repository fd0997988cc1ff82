package sandbox

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

func task(summary string) map[string]any {
	return map[string]any{"fields": map[string]any{"project": map[string]string{"key": "TAN"},
		"issuetype": map[string]string{"name": "Task"}, "summary": summary},
		"properties": []any{map[string]any{"key": "tandem.origin", "value": map[string]string{"side": "linear", "id": summary}}}}
}

func TestBulkCreate(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: 2, RetryDelay: time.Millisecond})
	rcv := newReceiver(t)
	register(t, c, rcv.srv.URL, "s3cret", "project = TAN", "jira:issue_created")
	bad := map[string]any{"fields": map[string]any{"project": map[string]string{"key": "TAN"}, "issuetype": map[string]string{"name": "Task"}}}
	code, v, _ := c.do("POST", "/rest/api/3/issue/bulk", map[string]any{"issueUpdates": []any{task("one"), bad, task("two")}})
	if code != 201 || get(v, "issues", 0, "key") != "TAN-3" || get(v, "issues", 1, "key") != "TAN-4" || get(v, "issues", 2) != nil {
		t.Fatalf("partial bulk: %d %v", code, v)
	}
	if self, _ := get(v, "issues", 0, "self").(string); self != s.URL()+"/rest/api/3/issue/10003" {
		t.Fatalf("self %q", self)
	}
	if get(v, "errors", 0, "failedElementNumber") != float64(1) || get(v, "errors", 0, "status") != float64(400) ||
		get(v, "errors", 0, "elementErrors", "errors", "summary") == nil || get(v, "errors", 1) != nil {
		t.Fatalf("errors: %v", v)
	}
	// The property is set in the same call.
	code, p, _ := c.do("GET", "/rest/api/3/issue/TAN-4/properties/tandem.origin", nil)
	if code != 200 || get(p, "value", "id") != "two" {
		t.Fatalf("property: %d %v", code, p)
	}
	// One jira:issue_created per created issue.
	got := rcv.wait(t, 2)
	keys := map[string]bool{}
	for _, d := range got {
		var body map[string]any
		if err := json.Unmarshal(d.body, &body); err != nil {
			t.Fatal(err)
		}
		if body["webhookEvent"] != "jira:issue_created" {
			t.Fatalf("event %v", body["webhookEvent"])
		}
		keys[get(body, "issue", "key").(string)] = true
	}
	if !keys["TAN-3"] || !keys["TAN-4"] {
		t.Fatalf("created events for %v", keys)
	}
	// All invalid: 400 with the same body shape.
	code, v, _ = c.do("POST", "/rest/api/2/issue/bulk", map[string]any{"issueUpdates": []any{bad}})
	if code != 400 || len(get(v, "issues").([]any)) != 0 || get(v, "errors", 0, "failedElementNumber") != float64(0) {
		t.Fatalf("all invalid: %d %v", code, v)
	}
	// Over the cap: refused whole, nothing created.
	var many []any
	for k := range maxBulkCreate + 1 {
		many = append(many, task(fmt.Sprint("n", k)))
	}
	before := s.Count()
	code, v, _ = c.do("POST", "/rest/api/3/issue/bulk", map[string]any{"issueUpdates": many})
	if code != 400 || get(v, "errorMessages", 0) == nil || s.Count() != before {
		t.Fatalf("over the cap: %d %v (issues %d, was %d)", code, v, s.Count(), before)
	}
	if n := s.Requests(BotEmail).ByOperation["POST /rest/api/3/issue/bulk"]; n != 2 {
		t.Fatalf("bulk create counted %d", n)
	}
}

func TestBulkFetch(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: 3})
	s.ResetCounts()
	code, v, _ := c.do("POST", "/rest/api/3/issue/bulkfetch", map[string]any{
		"issueIdsOrKeys": []string{"TAN-3", "10001", "TAN-99", "tan-3"}, "fields": []string{"summary"}, "properties": []string{"tandem.origin"}})
	if code != 200 || get(v, "issues", 0, "key") != "TAN-1" || get(v, "issues", 1, "key") != "TAN-3" || get(v, "issues", 2) != nil {
		t.Fatalf("bulkfetch: %d %v", code, v)
	}
	if get(v, "issues", 0, "fields", "summary") == nil || get(v, "issues", 0, "fields", "status") != nil {
		t.Fatalf("fields: %v", get(v, "issues", 0, "fields"))
	}
	if l, ok := get(v, "issueErrors").([]any); !ok || len(l) != 0 {
		t.Fatalf("issueErrors: %v", v)
	}
	if cnt := s.Requests(BotEmail); cnt.Reads != 1 || cnt.Writes != 0 {
		t.Fatalf("a bulk fetch counts as a read: %+v", cnt)
	}
	ids := make([]string, maxBulkFetch+1)
	for k := range ids {
		ids[k] = fmt.Sprint("TAN-", k+1)
	}
	if code, v, _ := c.do("POST", "/rest/api/3/issue/bulkfetch", map[string]any{"issueIdsOrKeys": ids}); code != 400 || get(v, "errorMessages", 0) == nil {
		t.Fatalf("over the cap: %d %v", code, v)
	}
	if code, _, _ := c.do("POST", "/rest/api/2/issue/bulkfetch", map[string]any{"issueIdsOrKeys": []string{}}); code != 400 {
		t.Fatalf("no ids: %d", code)
	}
}
