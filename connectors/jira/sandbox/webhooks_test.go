package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

type received struct {
	header http.Header
	body   []byte
}

// receiver records deliveries and answers with the next code of codes
// (then 200).
type receiver struct {
	mu    sync.Mutex
	got   []received
	codes []int
	srv   *httptest.Server
}

func newReceiver(t *testing.T, codes ...int) *receiver {
	r := &receiver{codes: codes}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.Header.Clone(), b})
		code := 200
		if len(r.codes) > 0 {
			code, r.codes = r.codes[0], r.codes[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) wait(t *testing.T, n int) []received {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		if len(r.got) >= n {
			out := append([]received(nil), r.got...)
			r.mu.Unlock()
			return out
		}
		r.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t.Fatalf("got %d deliveries, want %d", len(r.got), n)
	return nil
}

func register(t *testing.T, c *client, url, secret, jql string, events ...string) {
	t.Helper()
	code, v, _ := c.do("POST", "/rest/webhooks/1.0/webhook", map[string]any{
		"name": "tandem", "url": url, "events": events, "secret": secret,
		"filters": map[string]string{"issue-related-events-section": jql},
	})
	if code != 201 || get(v, "self") == nil {
		t.Fatalf("register: %d %v", code, v)
	}
}

func TestWebhookDelivery(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: 3, RetryDelay: time.Millisecond})
	rcv := newReceiver(t)
	register(t, c, rcv.srv.URL, "s3cret", "project = TAN", "jira:issue_updated", "comment_created")
	if err := s.UserEdit("alice@example.com", "TAN-2", map[string]any{"summary": "Renamed", "priority": map[string]string{"name": "Low"}}); err != nil {
		t.Fatal(err)
	}
	got := rcv.wait(t, 1)[0]
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write(got.body)
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); got.header.Get("X-Hub-Signature") != want {
		t.Errorf("signature %q, want %q", got.header.Get("X-Hub-Signature"), want)
	}
	if got.header.Get("X-Atlassian-Webhook-Identifier") == "" || got.header.Get("X-Atlassian-Webhook-Retry") != "" {
		t.Errorf("headers %v", got.header)
	}
	var body map[string]any
	if err := json.Unmarshal(got.body, &body); err != nil {
		t.Fatal(err)
	}
	if body["webhookEvent"] != "jira:issue_updated" || body["issue_event_type_name"] != "issue_updated" ||
		get(body, "user", "emailAddress") != "alice@example.com" || get(body, "issue", "key") != "TAN-2" {
		t.Errorf("body %v", body)
	}
	if self, _ := get(body, "issue", "self").(string); self != s.URL()+"/rest/api/2/issue/10002" {
		t.Errorf("issue self %q", self)
	}
	if _, ok := get(body, "issue", "fields", "description").(string); !ok {
		t.Errorf("description is not v2 wiki: %v", get(body, "issue", "fields", "description"))
	}
	items := map[string]string{}
	for _, it := range get(body, "changelog", "items").([]any) {
		items[get(it, "fieldId").(string)] = get(it, "toString").(string)
	}
	if len(items) != 2 || items["summary"] != "Renamed" || items["priority"] != "Low" {
		t.Errorf("changelog items %v", items)
	}
	// Not subscribed: created; filtered out: nothing else happens.
	if _, _, err := s.UserCreate("alice@example.com", map[string]any{"summary": "new"}); err != nil {
		t.Fatal(err)
	}
	if err := s.UserComment("bob@example.com", "TAN-1", "hello *world*"); err != nil {
		t.Fatal(err)
	}
	// A comment sends comment_created and jira:issue_updated (issue_commented),
	// in either order.
	events := map[string]map[string]any{}
	for _, g := range rcv.wait(t, 3)[1:] {
		var b map[string]any
		if err := json.Unmarshal(g.body, &b); err != nil {
			t.Fatal(err)
		}
		events[b["webhookEvent"].(string)] = b
	}
	cc := events["comment_created"]
	if get(cc, "comment", "body") != "hello *world*" || get(cc, "issue", "key") != "TAN-1" {
		t.Errorf("comment_created body %v", cc)
	}
	if iu := events["jira:issue_updated"]; iu["issue_event_type_name"] != "issue_commented" || get(iu, "comment", "id") == nil {
		t.Errorf("issue_commented body %v", iu)
	}
}

func TestWebhookRetries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		codes    []int
		attempts int
	}{
		{"retried on 500", []int{500, 503}, 3},
		{"retried on 429", []int{429}, 2},
		{"not retried on 400", []int{400}, 1},
		{"not retried on 404", []int{404}, 1},
		{"gives up", []int{500, 500, 500, 500, 500, 500, 500}, 1 + maxRetries},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newTestServer(t, Options{SeedIssues: 1, RetryDelay: time.Millisecond})
			rcv := newReceiver(t, tc.codes...)
			register(t, c, rcv.srv.URL, "", "", "jira:issue_updated")
			if err := s.UserEdit("alice@example.com", "TAN-1", map[string]any{"summary": "x"}); err != nil {
				t.Fatal(err)
			}
			got := rcv.wait(t, tc.attempts)
			time.Sleep(30 * time.Millisecond)
			rcv.mu.Lock()
			n := len(rcv.got)
			rcv.mu.Unlock()
			if n != tc.attempts || s.Deliveries() != tc.attempts {
				t.Fatalf("%d attempts (%d counted), want %d", n, s.Deliveries(), tc.attempts)
			}
			id := got[0].header.Get("X-Atlassian-Webhook-Identifier")
			for i, g := range got {
				if g.header.Get("X-Atlassian-Webhook-Identifier") != id {
					t.Errorf("identifier changed across retries")
				}
				if g.header.Get("X-Hub-Signature") != "" {
					t.Errorf("signed without a secret")
				}
				if i > 0 && g.header.Get("X-Atlassian-Webhook-Retry") != itoa(i) {
					t.Errorf("retry header %q on attempt %d", g.header.Get("X-Atlassian-Webhook-Retry"), i)
				}
			}
		})
	}
}

func TestWebhookFilterAndPause(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: 3, RetryDelay: time.Millisecond})
	rcv := newReceiver(t)
	register(t, c, rcv.srv.URL, "", "labels = hot", "jira:issue_updated", "jira:issue_deleted")
	_ = s.UserEdit("alice@example.com", "TAN-1", map[string]any{"summary": "cold"})
	s.PauseWebhooks(true)
	_ = s.UserEdit("alice@example.com", "TAN-2", map[string]any{"labels": []string{"hot"}})
	s.PauseWebhooks(false)
	_ = s.UserEdit("alice@example.com", "TAN-3", map[string]any{"labels": []string{"hot"}})
	_ = s.UserDelete("bob@example.com", "TAN-2")
	got := rcv.wait(t, 2)
	time.Sleep(30 * time.Millisecond)
	var keys []string
	rcv.mu.Lock()
	for _, g := range rcv.got {
		var b map[string]any
		_ = json.Unmarshal(g.body, &b)
		keys = append(keys, get(b, "issue", "key").(string)+" "+b["webhookEvent"].(string))
	}
	rcv.mu.Unlock()
	if len(keys) != 2 || len(got) != 2 {
		t.Fatalf("deliveries %v", keys)
	}
	want := map[string]bool{"TAN-3 jira:issue_updated": true, "TAN-2 jira:issue_deleted": true}
	for _, k := range keys {
		if !want[k] {
			t.Errorf("unexpected delivery %s", k)
		}
	}
	// registration API round trip
	_, v, _ := c.do("GET", "/rest/webhooks/1.0/webhook", nil)
	if len(v.([]any)) != 1 || get(v, 0, "filters", "issue-related-events-section") != "labels = hot" || get(v, 0, "secret") != nil {
		t.Errorf("list %v", v)
	}
	if code, _, _ := c.do("DELETE", "/rest/webhooks/1.0/webhook/1", nil); code != 204 {
		t.Errorf("delete %d", code)
	}
	if code, _, _ := c.do("GET", "/rest/webhooks/1.0/webhook/1", nil); code != 404 {
		t.Errorf("get deleted %d", code)
	}
}
