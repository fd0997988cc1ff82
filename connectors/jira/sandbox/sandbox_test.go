package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type client struct {
	t     *testing.T
	base  string
	email string
	token string
}

func newTestServer(t *testing.T, opts Options) (*Server, *client) {
	t.Helper()
	s := New(opts)
	hs := httptest.NewServer(s)
	t.Cleanup(func() { hs.Close(); _ = s.Close() })
	return s, &client{t: t, base: hs.URL, email: BotEmail, token: BotToken}
}

func (c *client) as(email, token string) *client {
	cc := *c
	cc.email, cc.token = email, token
	return &cc
}

// do sends a request and decodes a JSON answer (nil when empty).
func (c *client) do(method, path string, body any) (int, any, http.Header) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	if c.email != "" {
		req.SetBasicAuth(c.email, c.token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var v any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil {
			c.t.Fatalf("%s %s: non-JSON body %q", method, path, raw)
		}
	}
	return resp.StatusCode, v, resp.Header
}

// get walks a decoded JSON value along a path of keys and indexes.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func errorText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestAuth(t *testing.T) {
	_, c := newTestServer(t, Options{SeedIssues: -1})
	for _, tc := range []struct {
		name, email, token string
		want               int
	}{
		{"bot", BotEmail, BotToken, 200},
		{"human", "alice@example.com", "alice-token", 200},
		{"wrong token", BotEmail, "nope", 401},
		{"unknown user", "eve@example.com", "eve-token", 401},
		{"anonymous", "", "", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := c.as(tc.email, tc.token).do("GET", "/rest/api/3/myself", nil)
			if code != tc.want {
				t.Fatalf("code %d, want %d", code, tc.want)
			}
			if code == 401 && get(body, "errorMessages", 0) == nil {
				t.Errorf("401 body %v lacks errorMessages", body)
			}
			if code == 200 && get(body, "emailAddress") != tc.email {
				t.Errorf("myself = %v", get(body, "emailAddress"))
			}
		})
	}
}

func TestEndpoints(t *testing.T) {
	_, c := newTestServer(t, Options{})
	for _, tc := range []struct {
		method, path string
		body         any
		want         int
		check        func(t *testing.T, v any)
	}{
		{"GET", "/rest/api/2/serverInfo", nil, 200, func(t *testing.T, v any) {
			if get(v, "deploymentType") != "Cloud" {
				t.Errorf("deploymentType %v", get(v, "deploymentType"))
			}
		}},
		{"GET", "/rest/api/3/project", nil, 200, func(t *testing.T, v any) {
			if get(v, 0, "key") != "TAN" || get(v, 0, "name") != "Tandem Demo" {
				t.Errorf("project %v", v)
			}
		}},
		{"GET", "/rest/api/3/project/search", nil, 200, func(t *testing.T, v any) {
			if get(v, "total") != 1.0 {
				t.Errorf("total %v", get(v, "total"))
			}
		}},
		{"GET", "/rest/api/3/project/TAN", nil, 200, nil},
		{"GET", "/rest/api/3/project/NOPE", nil, 404, nil},
		{"GET", "/rest/api/3/project/TAN/statuses", nil, 200, func(t *testing.T, v any) {
			if len(get(v, 0, "statuses").([]any)) != 5 {
				t.Errorf("statuses %v", get(v, 0, "statuses"))
			}
		}},
		{"GET", "/rest/api/3/status", nil, 200, func(t *testing.T, v any) {
			if get(v, 0, "statusCategory", "key") != "new" || get(v, 1, "statusCategory", "key") != "indeterminate" || get(v, 3, "statusCategory", "key") != "done" {
				t.Errorf("categories %v", v)
			}
		}},
		{"GET", "/rest/api/3/priority", nil, 200, func(t *testing.T, v any) {
			for i, n := range []string{"Highest", "High", "Medium", "Low", "Lowest"} {
				if get(v, i, "name") != n || get(v, i, "id") != string(rune('1'+i)) {
					t.Errorf("priority %d = %v", i, get(v, i))
				}
			}
		}},
		{"GET", "/rest/api/3/field", nil, 200, func(t *testing.T, v any) {
			found := false
			for _, f := range v.([]any) {
				if get(f, "schema", "custom") == "com.pyxis.greenhopper.jira:gh-lexo-rank" && get(f, "id") == RankField {
					found = true
				}
			}
			if !found {
				t.Error("no Rank field")
			}
		}},
		{"GET", "/rest/api/3/user/search?query=ali", nil, 200, func(t *testing.T, v any) {
			if len(v.([]any)) != 1 || get(v, 0, "emailAddress") != "alice@example.com" {
				t.Errorf("users %v", v)
			}
		}},
		{"GET", "/rest/api/3/user?accountId=5b10ac8d82e05b22cc7d4ef5", nil, 200, nil},
		{"GET", "/rest/api/3/user?accountId=nope", nil, 404, nil},
		{"GET", "/rest/api/2/issue/createmeta/TAN/issuetypes", nil, 200, func(t *testing.T, v any) {
			if get(v, "total") != 5.0 || get(v, "issueTypes", 0, "name") != "Story" {
				t.Errorf("createmeta %v", v)
			}
		}},
		{"GET", "/rest/api/2/issue/createmeta/NOPE/issuetypes", nil, 404, nil},
		{"GET", "/rest/api/3/issue/TAN-1", nil, 200, func(t *testing.T, v any) {
			if get(v, "fields", "description", "type") != "doc" {
				t.Errorf("v3 description is not ADF: %v", get(v, "fields", "description"))
			}
			if r, _ := get(v, "fields", RankField).(string); !strings.HasPrefix(r, "0|") {
				t.Errorf("rank %q", r)
			}
		}},
		{"GET", "/rest/api/2/issue/TAN-1?fields=summary,description", nil, 200, func(t *testing.T, v any) {
			if _, ok := get(v, "fields", "description").(string); !ok {
				t.Errorf("v2 description is not a string: %v", get(v, "fields", "description"))
			}
			if get(v, "fields", "status") != nil {
				t.Error("fields= not honoured")
			}
		}},
		{"GET", "/rest/api/2/issue/10001", nil, 200, nil},
		{"GET", "/rest/api/2/issue/TAN-999", nil, 404, func(t *testing.T, v any) {
			if get(v, "errorMessages", 0) != "Issue does not exist or you do not have permission to see it." {
				t.Errorf("body %v", v)
			}
		}},
		{"POST", "/rest/api/2/issue", map[string]any{"fields": map[string]any{"project": map[string]string{"key": "TAN"}, "issuetype": map[string]string{"name": "Task"}}}, 400, func(t *testing.T, v any) {
			if get(v, "errors", "summary") == nil {
				t.Errorf("body %v", v)
			}
		}},
		{"POST", "/rest/api/2/issue", map[string]any{"fields": map[string]any{"project": map[string]string{"key": "NOPE"}, "summary": "x", "issuetype": map[string]string{"name": "Task"}}}, 400, nil},
		{"POST", "/rest/api/3/issue", map[string]any{"fields": map[string]any{"project": map[string]string{"key": "TAN"}, "summary": "x", "issuetype": map[string]string{"name": "Task"}, "description": "plain"}}, 400, func(t *testing.T, v any) {
			if !strings.Contains(errorText(get(v, "errors", "description")), "Atlassian Document") {
				t.Errorf("body %v", v)
			}
		}},
		{"POST", "/rest/api/2/issue", `{"fields": `, 400, nil},
		{"PUT", "/rest/api/2/issue/TAN-1", map[string]any{"fields": map[string]any{"status": map[string]string{"name": "Done"}}}, 400, func(t *testing.T, v any) {
			if !strings.Contains(errorText(v), "cannot be set") {
				t.Errorf("body %v", v)
			}
		}},
		{"PUT", "/rest/api/2/issue/TAN-1", map[string]any{"fields": map[string]any{"priority": map[string]string{"name": "Urgent"}}}, 400, nil},
		{"PUT", "/rest/api/2/issue/TAN-1", map[string]any{"fields": map[string]any{"labels": []string{"two words"}}}, 400, nil},
		{"PUT", "/rest/api/2/issue/TAN-999", map[string]any{"fields": map[string]any{"summary": "x"}}, 404, nil},
		{"GET", "/rest/api/3/issue/TAN-3/transitions", nil, 200, func(t *testing.T, v any) {
			var names []string
			for _, tr := range get(v, "transitions").([]any) {
				names = append(names, get(tr, "to", "name").(string))
			}
			if strings.Join(names, ",") != "In Progress,Won't Do" {
				t.Errorf("transitions from To Do: %v", names)
			}
		}},
		{"POST", "/rest/api/3/issue/TAN-3/transitions", map[string]any{"transition": map[string]string{"id": "41"}}, 400, func(t *testing.T, v any) {
			if get(v, "errorMessages", 0) != "Transition id '41' is not valid for this issue." {
				t.Errorf("body %v", v)
			}
		}},
		{"POST", "/rest/api/3/issue/TAN-3/transitions", map[string]any{}, 400, nil},
		{"GET", "/rest/api/3/issue/TAN-1/comment/1", nil, 404, nil},
		{"POST", "/rest/api/2/issue/TAN-1/comment", map[string]any{"body": ""}, 400, nil},
		{"GET", "/rest/api/3/issue/TAN-1/properties/nope", nil, 404, nil},
		{"GET", "/rest/api/3/search/jql?jql=" + "project%20%3D%20TAN", nil, 200, func(t *testing.T, v any) {
			if len(get(v, "issues").([]any)) != 12 || get(v, "isLast") != true {
				t.Errorf("search %v", v)
			}
			if get(v, "issues", 0, "fields") != nil {
				t.Error("search/jql returns fields by default; Jira returns ids only")
			}
		}},
		{"GET", "/rest/api/3/search/jql?jql=" + "project%20%3D%20NOPE", nil, 400, func(t *testing.T, v any) {
			if get(v, "errorMessages", 0) != "The value 'NOPE' does not exist for the field 'project'." {
				t.Errorf("body %v", v)
			}
		}},
		{"GET", "/rest/api/3/search/jql?jql=", nil, 400, nil},
		{"GET", "/rest/api/2/search?jql=project%3DTAN&maxResults=5", nil, 200, func(t *testing.T, v any) {
			if get(v, "total") != 12.0 || len(get(v, "issues").([]any)) != 5 {
				t.Errorf("old search %v", get(v, "total"))
			}
		}},
		{"GET", "/rest/agile/1.0/board", nil, 200, func(t *testing.T, v any) {
			if get(v, "values", 0, "id") != 1.0 {
				t.Errorf("boards %v", v)
			}
		}},
		{"GET", "/rest/agile/1.0/board/1/backlog", nil, 200, func(t *testing.T, v any) {
			if get(v, "total") != 9.0 { // 12 minus 2 Done and 1 Won't Do
				t.Errorf("backlog total %v", get(v, "total"))
			}
		}},
		{"GET", "/rest/agile/1.0/board/7/backlog", nil, 404, nil},
		{"PUT", "/rest/agile/1.0/issue/rank", map[string]any{"issues": make([]string, 51), "rankBeforeIssue": "TAN-1"}, 400, nil},
		{"PUT", "/rest/agile/1.0/issue/rank", map[string]any{"issues": []string{"TAN-2"}}, 400, nil},
		{"GET", "/rest/api/3/nothing", nil, 404, nil},
		{"POST", "/rest/webhooks/1.0/webhook", map[string]any{"name": "x", "url": "not a url"}, 400, nil},
		{"GET", "/rest/webhooks/1.0/webhook/99", nil, 404, nil},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			code, v, _ := c.do(tc.method, tc.path, tc.body)
			if code != tc.want {
				t.Fatalf("code %d, want %d; body %v", code, tc.want, v)
			}
			if code >= 400 {
				if _, ok := get(v, "errorMessages").([]any); !ok {
					t.Errorf("error body lacks errorMessages: %v", v)
				}
				if _, ok := get(v, "errors").(map[string]any); !ok {
					t.Errorf("error body lacks errors: %v", v)
				}
			}
			if tc.check != nil {
				tc.check(t, v)
			}
		})
	}
}

func TestIssueLifecycle(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: -1})
	code, v, _ := c.do("POST", "/rest/api/2/issue", map[string]any{
		"fields": map[string]any{
			"project": map[string]string{"key": "TAN"}, "issuetype": map[string]string{"name": "Story"},
			"summary": "Hello", "description": "*bold* text", "priority": map[string]string{"name": "High"},
			"labels": []string{"b", "a"}, "assignee": map[string]string{"accountId": "5b10a2844c20165700ede21g"},
		},
		"properties": []map[string]any{{"key": "tandem.origin", "value": map[string]string{"side": "linear", "id": "L1"}}},
	})
	if code != 201 {
		t.Fatalf("create: %d %v", code, v)
	}
	id := get(v, "id").(string)
	if !strings.HasSuffix(get(v, "self").(string), "/rest/api/2/issue/"+id) {
		t.Errorf("self %v", get(v, "self"))
	}
	iv, _ := s.Issue(id)
	if iv.Summary != "Hello" || iv.Priority != "High" || iv.Assignee != "alice@example.com" || iv.Status != "To Do" ||
		strings.Join(iv.Labels, ",") != "a,b" || string(iv.Properties["tandem.origin"]) != `{"id":"L1","side":"linear"}` {
		t.Errorf("created %+v", iv)
	}
	// properties param
	_, v, _ = c.do("GET", "/rest/api/2/issue/"+id+"?fields=summary&properties=tandem.origin", nil)
	if get(v, "properties", "tandem.origin", "id") != "L1" {
		t.Errorf("properties %v", get(v, "properties"))
	}
	// edit
	code, _, _ = c.do("PUT", "/rest/api/2/issue/"+id, map[string]any{
		"fields": map[string]any{"summary": "Hello 2"},
		"update": map[string]any{"labels": []map[string]string{{"add": "c"}, {"remove": "a"}}},
	})
	if code != 204 {
		t.Fatalf("edit %d", code)
	}
	iv2, _ := s.Issue(id)
	if iv2.Summary != "Hello 2" || strings.Join(iv2.Labels, ",") != "b,c" || iv2.Changelog != 1 {
		t.Errorf("edited %+v", iv2)
	}
	// no-op edit writes no changelog
	c.do("PUT", "/rest/api/2/issue/"+id, map[string]any{"fields": map[string]any{"summary": "Hello 2"}})
	if iv3, _ := s.Issue(id); iv3.Changelog != 1 {
		t.Errorf("no-op edit recorded a changelog entry")
	}
	// transitions: To Do -> In Progress -> In Review -> Done, Done -> In Progress unreachable
	for _, tr := range []string{"11", "21", "41"} {
		if code, v, _ := c.do("POST", "/rest/api/3/issue/"+id+"/transitions", map[string]any{"transition": map[string]string{"id": tr}}); code != 204 {
			t.Fatalf("transition %s: %d %v", tr, code, v)
		}
	}
	if err := s.UserTransition("bob@example.com", id, "In Progress"); err == nil {
		t.Error("Done -> In Progress should be unreachable")
	}
	_, v, _ = c.do("GET", "/rest/api/3/issue/"+id+"/changelog?maxResults=2", nil)
	if get(v, "total") != 4.0 || get(v, "isLast") != false || get(v, "nextPage") == nil {
		t.Errorf("changelog page %v", v)
	}
	_, v, _ = c.do("GET", "/rest/api/3/issue/"+id+"/changelog?startAt=3", nil)
	items := get(v, "values", 0, "items").([]any)
	if get(items, 0, "fieldId") != "status" || get(items, 0, "toString") != "Done" || get(items, 1, "fieldId") != "resolution" {
		t.Errorf("last changelog %v", items)
	}
	// comments
	code, v, _ = c.do("POST", "/rest/api/3/issue/"+id+"/comment", map[string]any{"body": map[string]any{"type": "doc", "version": 1, "content": []any{map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "hi"}}}}}})
	if code != 201 {
		t.Fatalf("comment %d %v", code, v)
	}
	cid := get(v, "id").(string)
	_, v, _ = c.do("GET", "/rest/api/2/issue/"+id+"/comment/"+cid, nil)
	if get(v, "body") != "hi" {
		t.Errorf("v2 comment body %v", get(v, "body"))
	}
	if code, _, _ := c.do("DELETE", "/rest/api/2/issue/"+id+"/comment/"+cid, nil); code != 204 {
		t.Errorf("delete comment %d", code)
	}
	// properties
	if code, _, _ := c.do("PUT", "/rest/api/3/issue/"+id+"/properties/x", map[string]int{"n": 1}); code != 201 {
		t.Errorf("put property %d", code)
	}
	if code, _, _ := c.do("PUT", "/rest/api/3/issue/"+id+"/properties/x", map[string]int{"n": 2}); code != 200 {
		t.Errorf("update property %d", code)
	}
	_, v, _ = c.do("GET", "/rest/api/3/issue/"+id+"/properties", nil)
	if len(get(v, "keys").([]any)) != 2 {
		t.Errorf("keys %v", v)
	}
	// delete
	if code, _, _ := c.do("DELETE", "/rest/api/2/issue/"+id, nil); code != 204 {
		t.Errorf("delete %d", code)
	}
	if code, _, _ := c.do("GET", "/rest/api/2/issue/"+id, nil); code != 404 {
		t.Errorf("get deleted %d", code)
	}
}

func TestCounts(t *testing.T) {
	s, c := newTestServer(t, Options{})
	c.do("GET", "/rest/api/2/issue/TAN-1", nil)
	c.do("GET", "/rest/api/3/issue/TAN-2", nil)
	c.do("POST", "/rest/api/2/search/jql", map[string]any{"jql": "project = TAN"})
	c.do("PUT", "/rest/api/2/issue/TAN-1", map[string]any{"fields": map[string]any{"summary": "x"}})
	if err := s.UserEdit("alice@example.com", "TAN-1", map[string]any{"summary": "y"}); err != nil {
		t.Fatal(err)
	}
	got := s.Requests(BotEmail)
	if got.Reads != 3 || got.Writes != 1 || got.ByOperation["GET /rest/api/2/issue/{}"] != 1 || got.ByOperation["PUT /rest/api/2/issue/{}"] != 1 {
		t.Errorf("counts %+v", got)
	}
	if a := s.Requests("alice@example.com"); a.Reads+a.Writes != 0 {
		t.Errorf("human action counted: %+v", a)
	}
	s.ResetCounts()
	if got := s.Requests(BotEmail); got.Reads+got.Writes != 0 {
		t.Errorf("after reset %+v", got)
	}
}

func TestInjectedFaults(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: -1})
	s.RateLimit(2, 3*time.Second)
	for range 2 {
		code, v, h := c.do("GET", "/rest/api/3/myself", nil)
		if code != 429 || h.Get("Retry-After") != "3" || get(v, "errorMessages", 0) == nil {
			t.Fatalf("rate limit: %d %v %v", code, h.Get("Retry-After"), v)
		}
	}
	if code, _, _ := c.do("GET", "/rest/api/3/myself", nil); code != 200 {
		t.Fatalf("after rate limit %d", code)
	}
	s.Fail(1, 503)
	if code, _, _ := c.do("GET", "/rest/api/3/myself", nil); code != 503 {
		t.Fatalf("fault %d", code)
	}
	s.SetLatency(30 * time.Millisecond)
	start := time.Now()
	c.do("GET", "/rest/api/3/myself", nil)
	if time.Since(start) < 30*time.Millisecond {
		t.Error("latency not applied")
	}
}

func TestSearchPaging(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: 25})
	seen := map[string]bool{}
	tok := ""
	pages := 0
	for {
		body := map[string]any{"jql": "project = TAN ORDER BY key ASC", "maxResults": 10, "fields": []string{"summary"}}
		if tok != "" {
			body["nextPageToken"] = tok
		}
		code, v, _ := c.do("POST", "/rest/api/3/search/jql", body)
		if code != 200 {
			t.Fatalf("%d %v", code, v)
		}
		pages++
		for _, is := range get(v, "issues").([]any) {
			seen[get(is, "key").(string)] = true
			if get(is, "fields", "summary") == nil {
				t.Fatal("fields=summary not returned")
			}
		}
		if get(v, "isLast") == true {
			if get(v, "nextPageToken") != nil {
				t.Error("last page has a nextPageToken")
			}
			break
		}
		tok = get(v, "nextPageToken").(string)
	}
	if len(seen) != 25 || pages != 3 {
		t.Errorf("saw %d issues in %d pages", len(seen), pages)
	}
	if code, _, _ := c.do("GET", "/rest/api/3/search/jql?jql=project%3DTAN&nextPageToken=garbage", nil); code != 400 {
		t.Errorf("bad token %d", code)
	}
	_ = s
}

func TestRank(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: 5})
	order := func() string {
		var ks []string
		for _, v := range s.Issues() {
			ks = append(ks, v.Key)
		}
		return strings.Join(ks, ",")
	}
	if o := order(); o != "TAN-1,TAN-2,TAN-3,TAN-4,TAN-5" {
		t.Fatalf("seed order %s", o)
	}
	code, v, _ := c.do("PUT", "/rest/agile/1.0/issue/rank", map[string]any{"issues": []string{"TAN-5", "TAN-4"}, "rankBeforeIssue": "TAN-2", "rankCustomFieldId": 10019})
	if code != 204 {
		t.Fatalf("rank %d %v", code, v)
	}
	if o := order(); o != "TAN-1,TAN-5,TAN-4,TAN-2,TAN-3" {
		t.Errorf("after rank before: %s", o)
	}
	code, _, _ = c.do("PUT", "/rest/agile/1.0/issue/rank", map[string]any{"issues": []string{"TAN-1"}, "rankAfterIssue": "TAN-3"})
	if code != 204 || order() != "TAN-5,TAN-4,TAN-2,TAN-3,TAN-1" {
		t.Errorf("after rank after: %d %s", code, order())
	}
	code, v, _ = c.do("PUT", "/rest/agile/1.0/issue/rank", map[string]any{"issues": []string{"TAN-2", "TAN-77"}, "rankAfterIssue": "TAN-1"})
	if code != 207 || get(v, "entries", 0, "status") != 200.0 || get(v, "entries", 1, "status") != 404.0 {
		t.Errorf("partial failure: %d %v", code, v)
	}
	_, v, _ = c.do("GET", "/rest/api/3/issue/TAN-1/changelog", nil)
	last := get(v, "values", 0, "items", 0)
	if get(last, "fieldId") != RankField || get(last, "toString") != "Ranked lower" {
		t.Errorf("rank changelog %v", last)
	}
	_, v, _ = c.do("GET", "/rest/api/3/search/jql?jql=project%3DTAN%20ORDER%20BY%20Rank%20ASC&fields=summary", nil)
	var keys []string
	for _, is := range get(v, "issues").([]any) {
		keys = append(keys, get(is, "key").(string))
	}
	if strings.Join(keys, ",") != order() {
		t.Errorf("ORDER BY Rank %v != %s", keys, order())
	}
	// many moves into the same gap keep a strict order
	for i := range 40 {
		anchor := "TAN-5"
		if i%2 == 0 {
			anchor = "TAN-4"
		}
		if err := s.UserRank("alice@example.com", []string{"TAN-3"}, anchor, true); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, v := range s.Issues() {
		if seen[v.Rank] {
			t.Fatalf("duplicate rank %s", v.Rank)
		}
		seen[v.Rank] = true
	}
}

func TestStart(t *testing.T) {
	s := New(Options{SeedIssues: -1})
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if url != s.URL() || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("url %q / %q", url, s.URL())
	}
	c := &client{t: t, base: url, email: BotEmail, token: BotToken}
	if code, _, _ := c.do("GET", "/rest/api/2/serverInfo", nil); code != 200 {
		t.Fatalf("serverInfo %d", code)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(url + "/rest/api/2/serverInfo"); err == nil {
		t.Error("still serving after Close")
	}
}

func TestRemoveTransition(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: 3})
	if !s.RemoveTransition("start progress") || s.RemoveTransition("Start Progress") {
		t.Fatal("RemoveTransition did not remove exactly once")
	}
	_, v, _ := c.do("GET", "/rest/api/2/issue/TAN-3/transitions", nil)
	for _, tr := range get(v, "transitions").([]any) {
		if get(tr, "name") == "Start Progress" {
			t.Errorf("removed transition still offered: %v", v)
		}
	}
	if err := s.UserTransition("alice@example.com", "TAN-3", "In Progress"); err == nil {
		t.Error("UserTransition used a removed transition")
	}
}
