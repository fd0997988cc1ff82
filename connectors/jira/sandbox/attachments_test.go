package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"sync"
	"testing"
	"time"
)

type part struct{ field, name, mimeType, data string }

// multipartBody builds an upload of parts.
func multipartBody(t *testing.T, parts ...part) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+p.field+`"; filename="`+p.name+`"`)
		if p.mimeType != "" {
			h.Set("Content-Type", p.mimeType)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, p.data)
	}
	_ = mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// rawDo sends a request with the bot's credentials and returns the answer
// (body read whole).
func (c *client) rawDo(method, path, contentType string, body []byte, header map[string]string, follow bool) (*http.Response, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	req.SetBasicAuth(c.email, c.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	hc := &http.Client{}
	if !follow {
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	resp, err := hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, raw
}

// ticking is a clock a second further at each reading.
func ticking() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

var noCheck = map[string]string{"X-Atlassian-Token": "no-check"}

func TestAttachmentUpload(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: 3, Now: ticking()})
	ct, body := multipartBody(t, part{"file", "a.txt", "text/plain", "hello"}, part{"other", "x", "", "ignored"}, part{"file", "b.png", "image/png", "\x89PNG"})
	for _, tc := range []struct {
		name   string
		path   string
		ct     string
		header map[string]string
		want   int
	}{
		{"no XSRF header", "/rest/api/3/issue/TAN-1/attachments", ct, nil, 403},
		{"not multipart", "/rest/api/3/issue/TAN-1/attachments", "application/json", noCheck, 415},
		{"unknown issue", "/rest/api/3/issue/TAN-99/attachments", ct, noCheck, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, raw := c.rawDo("POST", tc.path, tc.ct, body, tc.header, false)
			if resp.StatusCode != tc.want {
				t.Errorf("%d %s, want %d", resp.StatusCode, raw, tc.want)
			}
		})
	}
	if n := len(s.Attachments("TAN-1")); n != 0 {
		t.Fatalf("refused uploads left %d attachments", n)
	}
	before, _ := s.Issue("TAN-1")
	resp, raw := c.rawDo("POST", "/rest/api/2/issue/TAN-1/attachments", ct, body, noCheck, false)
	if resp.StatusCode != 200 {
		t.Fatalf("upload: %d %s", resp.StatusCode, raw)
	}
	var made []map[string]any
	if err := json.Unmarshal(raw, &made); err != nil || len(made) != 2 {
		t.Fatalf("answer %s: %v", raw, err)
	}
	if made[0]["filename"] != "a.txt" || made[0]["mimeType"] != "text/plain" || made[0]["size"] != 5.0 || get(made[0], "author", "emailAddress") != BotEmail {
		t.Errorf("first attachment %v", made[0])
	}
	if made[1]["thumbnail"] == nil || made[0]["thumbnail"] != nil {
		t.Errorf("thumbnails: %v, %v", made[0]["thumbnail"], made[1]["thumbnail"])
	}
	after, _ := s.Issue("TAN-1")
	if after.Changelog != before.Changelog+2 || !after.Updated.After(before.Updated) {
		t.Errorf("changelog %d → %d, updated %v → %v", before.Changelog, after.Changelog, before.Updated, after.Updated)
	}
	_, v, _ := c.do("GET", "/rest/api/2/issue/TAN-1/changelog", nil)
	hs := get(v, "values").([]any)
	last := get(hs[len(hs)-1], "items", 0)
	if get(last, "field") != "Attachment" || get(last, "fieldId") != "attachment" || get(last, "to") != made[1]["id"] || get(last, "toString") != "b.png" {
		t.Errorf("changelog item %v", last)
	}
	// The attachment field, in every issue answer that asks for it.
	for _, path := range []string{"/rest/api/3/issue/TAN-1?fields=attachment", "/rest/api/3/issue/TAN-1"} {
		_, v, _ := c.do("GET", path, nil)
		if get(v, "fields", "attachment", 1, "filename") != "b.png" {
			t.Errorf("%s: attachment field %v", path, get(v, "fields", "attachment"))
		}
	}
	_, v, _ = c.do("GET", "/rest/api/3/issue/TAN-1?fields=summary", nil)
	if get(v, "fields", "attachment") != nil {
		t.Errorf("attachment field sent unasked")
	}
	_, v, _ = c.do("POST", "/rest/api/3/issue/bulkfetch", map[string]any{"issueIdsOrKeys": []string{"TAN-1"}, "fields": []string{"attachment"}})
	if get(v, "issues", 0, "fields", "attachment", 0, "filename") != "a.txt" {
		t.Errorf("bulkfetch: %v", v)
	}
	_, v, _ = c.do("GET", "/rest/api/3/search/jql?jql=key%3DTAN-1&fields=attachment", nil)
	if get(v, "issues", 0, "fields", "attachment", 0, "filename") != "a.txt" {
		t.Errorf("search: %v", v)
	}
}

func TestAttachmentReadDelete(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: 3})
	id, err := s.UserAttach("alice@example.com", "TAN-2", "notes.md", "text/markdown", []byte("# notes"))
	if err != nil {
		t.Fatal(err)
	}
	code, v, _ := c.do("GET", "/rest/api/3/attachment/"+id, nil)
	if code != 200 || get(v, "id") != float64(mustAtoi(id)) || get(v, "filename") != "notes.md" {
		t.Errorf("metadata: %d %v", code, v)
	}
	resp, raw := c.rawDo("GET", "/rest/api/3/attachment/content/"+id, "", nil, nil, false)
	if resp.StatusCode != 303 || resp.Header.Get("Location") == "" {
		t.Errorf("content: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, follow := range []bool{true, false} {
		path := "/rest/api/3/attachment/content/" + id
		if !follow {
			path += "?redirect=false"
		}
		resp, raw = c.rawDo("GET", path, "", nil, nil, follow)
		if resp.StatusCode != 200 || string(raw) != "# notes" || resp.Header.Get("Content-Type") != "text/markdown" || resp.Header.Get("Content-Length") != "7" {
			t.Errorf("content (follow %v): %d %q %v", follow, resp.StatusCode, raw, resp.Header)
		}
	}
	for _, path := range []string{"/rest/api/3/attachment/999", "/rest/api/3/attachment/content/999?redirect=false", "/rest/api/3/attachment/nope"} {
		if code, _, _ := c.do("GET", path, nil); code != 404 {
			t.Errorf("%s: %d, want 404", path, code)
		}
	}
	if code, v, _ := c.do("GET", "/rest/api/3/attachment/meta", nil); code != 200 || get(v, "enabled") != true {
		t.Errorf("meta: %d %v", code, v)
	}
	before, _ := s.Issue("TAN-2")
	if code, _, _ := c.do("DELETE", "/rest/api/3/attachment/"+id, nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code, _, _ := c.do("DELETE", "/rest/api/3/attachment/"+id, nil); code != 404 {
		t.Errorf("second delete: %d, want 404", code)
	}
	after, _ := s.Issue("TAN-2")
	if len(s.Attachments("TAN-2")) != 0 || after.Changelog != before.Changelog+1 {
		t.Errorf("after delete: %d attachments, changelog %d → %d", len(s.Attachments("TAN-2")), before.Changelog, after.Changelog)
	}
	// Unauthenticated: 401 as every route.
	if code, _, _ := c.as("", "").do("GET", "/rest/api/3/attachment/meta", nil); code != 401 {
		t.Errorf("anonymous: %d", code)
	}
}

func TestAttachmentWebhooks(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: 3, RetryDelay: time.Millisecond})
	rcv := newReceiver(t)
	register(t, c, rcv.srv.URL, "", "project = TAN", "jira:issue_updated", "attachment_created", "attachment_deleted")
	id, err := s.UserAttach("bob@example.com", "TAN-3", "log.txt", "text/plain", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UserDeleteAttachment("bob@example.com", id); err != nil {
		t.Fatal(err)
	}
	events := map[string][]map[string]any{}
	for _, g := range rcv.wait(t, 4) {
		var b map[string]any
		if err := json.Unmarshal(g.body, &b); err != nil {
			t.Fatal(err)
		}
		events[b["webhookEvent"].(string)] = append(events[b["webhookEvent"].(string)], b)
	}
	for _, ev := range []string{"attachment_created", "attachment_deleted"} {
		if len(events[ev]) != 1 || get(events[ev][0], "attachment", "id") != id || get(events[ev][0], "attachment", "filename") != "log.txt" || events[ev][0]["issue"] != nil {
			t.Errorf("%s: %v", ev, events[ev])
		}
	}
	ups := events["jira:issue_updated"]
	if len(ups) != 2 {
		t.Fatalf("issue_updated: %v", ups)
	}
	var to, from int
	for _, u := range ups {
		it := get(u, "changelog", "items", 0)
		if get(u, "issue", "key") != "TAN-3" || get(it, "fieldId") != "attachment" {
			t.Errorf("issue_updated %v", u)
		}
		if get(it, "to") == id && get(it, "toString") == "log.txt" {
			to++
		}
		if get(it, "from") == id && get(it, "fromString") == "log.txt" {
			from++
		}
	}
	if to != 1 || from != 1 {
		t.Errorf("changelog items: %d adds, %d removals", to, from)
	}
}

// TestAttachmentFidelity checks the upload request against the spec and
// the attachment answers against its response schemas.
func TestAttachmentFidelity(t *testing.T) {
	spec := loadSpec(t)
	s, c := newTestServer(t, Options{SeedIssues: 3})
	ct, body := multipartBody(t, part{"file", "a.txt", "text/plain", "hello"})
	req, _ := http.NewRequest("POST", "http://sandbox/rest/api/3/issue/TAN-1/attachments", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("X-Atlassian-Token", "no-check")
	// The spec's multipart schema (an array of Spring MultipartFile beans)
	// describes no form field a client sends, so only the path, method and
	// parameters are checked.
	if err := spec.Validate(req, true); err != nil {
		t.Errorf("spec rejects the upload: %v", err)
	}
	id, err := s.UserAttach("alice@example.com", "TAN-2", "p.png", "image/png", []byte("png"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path string
		multipart    bool
	}{
		{"POST", "/rest/api/3/issue/TAN-1/attachments", true},
		{"GET", "/rest/api/3/attachment/" + id, false},
		{"GET", "/rest/api/3/attachment/meta", false},
		{"GET", "/rest/api/3/issue/TAN-2?fields=attachment", false},
		{"GET", "/rest/api/3/search/jql?jql=project%3DTAN&fields=attachment&maxResults=3", false},
		{"GET", "/rest/api/3/attachment/content/" + id, false},
		{"GET", "/rest/api/3/attachment/999", false},
		{"DELETE", "/rest/api/3/attachment/" + id, false},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var resp *http.Response
			var raw []byte
			if tc.multipart {
				resp, raw = c.rawDo(tc.method, tc.path, ct, body, noCheck, false)
			} else {
				resp, raw = c.rawDo(tc.method, tc.path, "", nil, nil, false)
			}
			sreq, _ := http.NewRequest(tc.method, "http://sandbox"+tc.path, nil)
			if err := spec.ValidateResponse(sreq, resp.StatusCode, resp.Header, raw); err != nil {
				t.Errorf("%d answer does not match the spec: %v", resp.StatusCode, err)
			}
		})
	}
}
