package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	jiraapi "github.com/tandem-sync/tandem/apis/jira"
)

func TestRemoteLinks(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: 3})
	link := func(gid, url, title string) map[string]any {
		m := map[string]any{"object": map[string]any{"url": url, "title": title}}
		if gid != "" {
			m["globalId"] = gid
		}
		return m
	}
	before, _ := s.Issue("TAN-1")
	hooks := s.Deliveries()

	code, v, _ := c.do("POST", "/rest/api/3/issue/TAN-1/remotelink", link("tandem=1", "https://linear.app/a/issue/ENG-1", "Linear ENG-1"))
	if code != 201 || get(v, "id") == nil || !strings.HasSuffix(get(v, "self").(string), "/rest/api/3/issue/TAN-1/remotelink/10000") {
		t.Fatalf("create: %d %v", code, v)
	}
	// The same globalId updates that link, and unset fields become null.
	m := link("tandem=1", "https://linear.app/a/issue/ENG-1", "Linear ENG-1 again")
	m["relationship"] = "mirrors"
	if code, v, _ = c.do("POST", "/rest/api/2/issue/TAN-1/remotelink", m); code != 200 || get(v, "id") != float64(10000) {
		t.Fatalf("upsert: %d %v", code, v)
	}
	if code, v, _ = c.do("POST", "/rest/api/2/issue/TAN-1/remotelink", link("tandem=1", "https://linear.app/a/issue/ENG-1", "Linear ENG-1 again")); code != 200 {
		t.Fatalf("upsert: %d %v", code, v)
	}
	// Without a globalId every POST adds a link.
	for range 2 {
		if code, v, _ = c.do("POST", "/rest/api/3/issue/TAN-1/remotelink", link("", "https://example.com", "Example")); code != 201 {
			t.Fatalf("plain create: %d %v", code, v)
		}
	}
	// The same globalId on another issue is another link.
	if code, v, _ = c.do("POST", "/rest/api/3/issue/TAN-2/remotelink", link("tandem=1", "https://x", "X")); code != 201 {
		t.Fatalf("other issue: %d %v", code, v)
	}
	got := s.RemoteLinks("TAN-1")
	if len(got) != 3 || got[0].Title != "Linear ENG-1 again" || got[0].Relationship != "" || got[0].GlobalID != "tandem=1" {
		t.Fatalf("links: %+v", got)
	}
	code, v, _ = c.do("GET", "/rest/api/3/issue/TAN-1/remotelink", nil)
	if l, _ := v.([]any); code != 200 || len(l) != 3 || get(v, 0, "object", "url") != "https://linear.app/a/issue/ENG-1" {
		t.Fatalf("list: %d %v", code, v)
	}
	code, v, _ = c.do("GET", "/rest/api/3/issue/TAN-1/remotelink?globalId=tandem%3D1", nil)
	if code != 200 || get(v, "id") != float64(10000) || get(v, "globalId") != "tandem=1" {
		t.Fatalf("by global id: %d %v", code, v)
	}
	if code, _, _ = c.do("GET", "/rest/api/3/issue/TAN-1/remotelink?globalId=nope", nil); code != 404 {
		t.Fatalf("unknown global id: %d", code)
	}
	if code, v, _ = c.do("GET", "/rest/api/3/issue/TAN-1/remotelink/10000", nil); code != 200 || get(v, "object", "title") != "Linear ENG-1 again" {
		t.Fatalf("by id: %d %v", code, v)
	}
	// Another issue's link by id: 400; unknown: 404; not a number: 400.
	if code, _, _ = c.do("GET", "/rest/api/3/issue/TAN-2/remotelink/10000", nil); code != 400 {
		t.Fatalf("other issue's link: %d", code)
	}
	if code, _, _ = c.do("GET", "/rest/api/3/issue/TAN-1/remotelink/99", nil); code != 404 {
		t.Fatalf("unknown link: %d", code)
	}
	if code, _, _ = c.do("GET", "/rest/api/3/issue/TAN-1/remotelink/x", nil); code != 400 {
		t.Fatalf("bad id: %d", code)
	}
	if code, _, _ = c.do("GET", "/rest/api/3/issue/TAN-99/remotelink", nil); code != 404 {
		t.Fatalf("unknown issue: %d", code)
	}
	// Validation.
	for _, body := range []any{map[string]any{}, link("", "", "t"), link("", "u", ""), link(strings.Repeat("g", 256), "u", "t")} {
		if code, v, _ = c.do("POST", "/rest/api/3/issue/TAN-1/remotelink", body); code != 400 || len(get(v, "errors").(map[string]any)) == 0 {
			t.Errorf("bad body %v: %d %v", body, code, v)
		}
	}
	if code, v, _ = c.do("PUT", "/rest/api/3/issue/TAN-1/remotelink/10001", link("", "https://example.org", "Org")); code != 204 {
		t.Fatalf("put: %d %v", code, v)
	}
	if got := s.RemoteLinks("TAN-1"); got[1].URL != "https://example.org" {
		t.Fatalf("after put: %+v", got)
	}
	// A PUT may not take a globalId another link of the issue has.
	if code, _, _ = c.do("PUT", "/rest/api/3/issue/TAN-1/remotelink/10001", link("tandem=1", "u", "t")); code != 400 {
		t.Fatalf("put duplicate global id: %d", code)
	}
	// Deletion by globalId and by id.
	if code, _, _ = c.do("DELETE", "/rest/api/3/issue/TAN-1/remotelink", nil); code != 400 {
		t.Fatalf("delete without global id: %d", code)
	}
	if code, _, _ = c.do("DELETE", "/rest/api/3/issue/TAN-1/remotelink?globalId=tandem%3D1", nil); code != 204 {
		t.Fatalf("delete by global id: %d", code)
	}
	if code, _, _ = c.do("DELETE", "/rest/api/3/issue/TAN-1/remotelink?globalId=tandem%3D1", nil); code != 404 {
		t.Fatalf("delete by global id again: %d", code)
	}
	if code, _, _ = c.do("DELETE", "/rest/api/3/issue/TAN-1/remotelink/10001", nil); code != 204 {
		t.Fatalf("delete by id: %d", code)
	}
	if got := s.RemoteLinks("TAN-1"); len(got) != 1 || got[0].ID != 10002 {
		t.Fatalf("after deletes: %+v", got)
	}
	if got := s.RemoteLinks("TAN-2"); len(got) != 1 || got[0].GlobalID != "tandem=1" {
		t.Fatalf("TAN-2 lost its link: %+v", got)
	}
	// Remote links are not issue fields: no changelog, no updated time, no
	// webhook.
	after, _ := s.Issue("TAN-1")
	if !after.Updated.Equal(before.Updated) {
		t.Errorf("updated moved: %v → %v", before.Updated, after.Updated)
	}
	if s.Deliveries() != hooks {
		t.Errorf("remote links raised webhooks")
	}
	// Writes count as writes; reads as reads.
	n := s.Requests(BotEmail)
	if n.ByOperation["POST /rest/api/3/issue/{}/remotelink"] == 0 || n.ByOperation["GET /rest/api/3/issue/{}/remotelink/{}"] == 0 {
		t.Errorf("counts: %v", n.ByOperation)
	}
	// A person's link, and the issue's deletion takes its links.
	if _, err := s.UserRemoteLink("alice@example.com", "TAN-3", "", "https://example.net", "Net"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserRemoteLink("alice@example.com", "TAN-3", "", "", "Net"); err == nil {
		t.Error("a link without a url was taken")
	}
	if len(s.RemoteLinks("TAN-3")) != 1 {
		t.Fatal("UserRemoteLink made no link")
	}
	if code, _, _ = c.do("DELETE", "/rest/api/3/issue/TAN-3", nil); code != 204 {
		t.Fatal(code)
	}
	if len(s.remoteLinks) != 2 {
		t.Errorf("deleted issue's links stay: %v", s.remoteLinks)
	}
}

// TestRemoteLinkListMatchesSpec: the spec gives GET remotelink (no
// globalId) the single RemoteIssueLink schema, yet its own example, like
// Jira, answers a list; each element is checked against that schema.
func TestRemoteLinkListMatchesSpec(t *testing.T) {
	spec := loadSpec(t)
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]struct {
					Example json.RawMessage `json:"example"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(jiraapi.Platform, &doc); err != nil {
		t.Fatal(err)
	}
	var ex string
	raw := doc.Paths["/rest/api/3/issue/{issueIdOrKey}/remotelink"]["get"].Responses["200"].Content["application/json"].Example
	if err := json.Unmarshal(raw, &ex); err != nil {
		t.Fatalf("example: %v", err)
	}
	if !strings.HasPrefix(strings.TrimSpace(ex), "[") {
		t.Fatalf("the spec's example is no longer a list: %.80s", ex)
	}
	s, c := newTestServer(t, Options{SeedIssues: 1})
	if _, err := s.UserRemoteLink("alice@example.com", "TAN-1", "g", "https://a", "A"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserRemoteLink("alice@example.com", "TAN-1", "", "https://b", "B"); err != nil {
		t.Fatal(err)
	}
	code, v, _ := c.do("GET", "/rest/api/3/issue/TAN-1/remotelink", nil)
	l, _ := v.([]any)
	if code != 200 || len(l) != 2 {
		t.Fatalf("%d %v", code, v)
	}
	for _, e := range l {
		body, _ := json.Marshal(e)
		h := http.Header{"Content-Type": {"application/json"}}
		req, _ := http.NewRequest("GET", "http://sandbox/rest/api/3/issue/TAN-1/remotelink", nil)
		if err := spec.ValidateResponse(req, 200, h, body); err != nil {
			t.Errorf("element does not match RemoteIssueLink: %v", err)
		}
	}
}
