package jira

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/apis/fixtures"
	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := fixtures.Read("jira", name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseWebhookFixtures(t *testing.T) {
	all, err := fixtures.Jira()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 4 {
		t.Fatalf("found %d fixtures", len(all))
	}
	for _, tc := range []struct {
		file, key, id string
		wantRef       string // "" when ignored
	}{
		{"comment_created.json", "ZUL", "10000", "10000"},
		{"comment_created.json", "TAN", "10001", ""},
		{"issue_created.json", "KAN", "10000", "10033"},
		{"issue_created.json", "KAN", "", "10033"},
		{"issue_created.json", "TAN", "", ""},
		{"issue_updated_status_changelog.json", "ABC", "10000", "10000"},
		{"issue_updated_status_minimal_sentry.json", "APP", "10000", ""}, // no issue id, no webhookEvent
		{"issue_updated_status_minimal_sentry.json", "TAN", "10001", ""},
	} {
		t.Run(tc.file+"/"+tc.key, func(t *testing.T) {
			c := &Client{projectKey: tc.key, projectID: tc.id, rankField: "customfield_10019"}
			h := http.Header{"X-Atlassian-Webhook-Identifier": {"d-1"}}
			d, err := c.ParseWebhook(h, fixture(t, tc.file), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if d.ID != "d-1" {
				t.Errorf("id %q", d.ID)
			}
			if tc.wantRef == "" {
				if len(d.Refs) != 0 || d.Ignored == "" {
					t.Errorf("want ignored, got %+v", d)
				}
				return
			}
			if d.Order {
				t.Error("order hint on a fixture without a rank change")
			}
			if len(d.Refs) != 1 || d.Refs[0].ID != tc.wantRef || d.Refs[0].Side != backlog.Jira || d.Ignored != "" {
				t.Errorf("got %+v", d)
			}
		})
	}
}

func TestParseWebhookSignature(t *testing.T) {
	body := fixture(t, "issue_created.json")
	c := &Client{projectKey: "KAN", projectID: "10000", cfg: Config{WebhookSecret: "s3cret"}}
	for _, tc := range []struct {
		name string
		sig  string
		body []byte
		want error
	}{
		{"good", sign("s3cret", body), body, nil},
		{"uppercase method", "SHA256=" + strings.TrimPrefix(sign("s3cret", body), "sha256="), body, nil},
		{"wrong secret", sign("other", body), body, connectors.ErrUnauthorized},
		{"body changed", sign("s3cret", body), append([]byte(" "), body...), connectors.ErrUnauthorized},
		{"missing", "", body, connectors.ErrUnauthorized},
		{"sha1", "sha1=" + strings.TrimPrefix(sign("s3cret", body), "sha256="), body, connectors.ErrUnauthorized},
		{"not hex", "sha256=zz", body, connectors.ErrUnauthorized},
		{"no method", "deadbeef", body, connectors.ErrUnauthorized},
		{"malformed body", sign("s3cret", []byte("{oops")), []byte("{oops"), connectors.ErrBadRequest},
		{"empty body", sign("s3cret", nil), nil, connectors.ErrBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.sig != "" {
				h.Set("X-Hub-Signature", tc.sig)
			}
			d, err := c.ParseWebhook(h, tc.body, time.Now())
			if tc.want == nil {
				if err != nil || len(d.Refs) != 1 {
					t.Fatalf("got %+v, %v", d, err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
	// Without a configured secret nothing is checked.
	open := &Client{projectKey: "KAN", projectID: "10000"}
	if _, err := open.ParseWebhook(http.Header{}, body, time.Now()); err != nil {
		t.Errorf("unsigned without secret: %v", err)
	}
}

func FuzzParseWebhook(f *testing.F) {
	all, err := fixtures.Jira()
	if err != nil {
		f.Fatal(err)
	}
	for _, fx := range all {
		f.Add(fx.Body, "")
	}
	f.Add([]byte(`{"webhookEvent":"jira:issue_deleted","issue":{"id":"1","key":"TAN-1"}}`), "sha256=00")
	f.Add([]byte(`{"issue":null}`), "")
	f.Add([]byte(`{"webhookEvent":"jira:issue_updated","issue":{"id":"1","key":"TAN-1"},"changelog":{"items":[{"field":"Rank","fieldId":7}]}}`), "")
	f.Add([]byte(`[]`), "sha256=")
	c := &Client{projectKey: "TAN", projectID: "10000"}
	signed := &Client{projectKey: "TAN", projectID: "10000", cfg: Config{WebhookSecret: "k"}}
	f.Fuzz(func(t *testing.T, body []byte, sig string) {
		h := http.Header{"X-Hub-Signature": {sig}}
		d, err := c.ParseWebhook(h, body, time.Now())
		if err != nil && !errors.Is(err, connectors.ErrBadRequest) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		if err == nil && len(d.Refs) == 0 && d.Ignored == "" {
			t.Fatalf("delivery with neither refs nor a reason: %+v", d)
		}
		for _, r := range d.Refs {
			if r.ID == "" || r.Side != backlog.Jira {
				t.Fatalf("bad ref %+v", r)
			}
		}
		if _, err := signed.ParseWebhook(h, body, time.Now()); err != nil && !errors.Is(err, connectors.ErrUnauthorized) && !errors.Is(err, connectors.ErrBadRequest) {
			t.Fatalf("signed: unexpected error kind: %v", err)
		}
	})
}

// TestWebhookEndToEnd registers through EnsureWebhook and checks that the
// sandbox's signed deliveries parse to the edited issue.
func TestWebhookEndToEnd(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 3, RetryDelay: time.Millisecond})
	var mu sync.Mutex
	var got []connectors.Delivery
	var errs []error
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		d, err := e.c.ParseWebhook(r.Header, body, time.Now())
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		got = append(got, d)
	}))
	t.Cleanup(rcv.Close)
	if err := e.c.EnsureWebhook(ctx(t), rcv.URL, "wrong-secret"); err != nil {
		t.Fatal(err)
	}
	// Re-registering with the configured secret replaces the first one.
	if err := e.c.EnsureWebhook(ctx(t), rcv.URL, e.secret); err != nil {
		t.Fatal(err)
	}
	var hooks []adminWebhook
	if err := e.c.call(ctx(t), "list", http.MethodGet, webhookPath, nil, &hooks); err != nil {
		t.Fatal(err)
	}
	if len(hooks) != 1 || len(hooks[0].Events) != len(WebhookEvents) || hooks[0].Filters["issue-related-events-section"] != `project = "TAN"` {
		t.Fatalf("registrations %+v", hooks)
	}
	if err := e.sb.UserEdit("alice@example.com", "TAN-2", map[string]any{"summary": "hooked"}); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.UserComment("bob@example.com", "TAN-3", "a comment"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		mu.Lock()
		n := len(got) + len(errs)
		mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) > 0 {
		t.Fatalf("rejected deliveries: %v", errs)
	}
	keys := map[string]bool{}
	ids := map[string]bool{}
	for _, d := range got {
		if d.ID == "" || ids[d.ID] {
			t.Errorf("delivery id %q missing or repeated", d.ID)
		}
		ids[d.ID] = true
		for _, r := range d.Refs {
			keys[r.Key] = true
		}
	}
	if !keys["TAN-2"] || !keys["TAN-3"] || len(got) != 3 {
		t.Errorf("deliveries %+v", got)
	}
}

func TestParseWebhookOrderHint(t *testing.T) {
	c := &Client{projectKey: "TAN", projectID: "10000", rankField: "customfield_10042"}
	body := func(changelog string) []byte {
		return []byte(`{"webhookEvent":"jira:issue_updated","issue":{"id":"10001","key":"TAN-1","fields":{"project":{"id":"10000","key":"TAN"}}}` + changelog + `}`)
	}
	for _, tc := range []struct {
		name, changelog string
		want            bool
	}{
		{"no changelog", ``, false},
		{"status only", `,"changelog":{"id":"1","items":[{"field":"status","fieldtype":"jira","fieldId":"status"}]}`, false},
		{"rank by id", `,"changelog":{"items":[{"field":"Rang","fieldtype":"custom","fieldId":"customfield_10042"}]}`, true},
		{"rank by name", `,"changelog":{"items":[{"field":"summary","fieldId":"summary"},{"field":"Rank","fieldtype":"custom","fieldId":"customfield_10019"}]}`, true},
		{"other custom field", `,"changelog":{"items":[{"field":"Story Points","fieldtype":"custom","fieldId":"customfield_10016"}]}`, false},
		{"changelog not an object", `,"changelog":"Rank"`, false},
		{"items not a list", `,"changelog":{"items":{"field":"Rank"}}`, false},
		{"null changelog", `,"changelog":null`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := c.ParseWebhook(http.Header{}, body(tc.changelog), time.Now())
			if err != nil || len(d.Refs) != 1 {
				t.Fatalf("got %+v, %v", d, err)
			}
			if d.Order != tc.want {
				t.Errorf("Order %v, want %v", d.Order, tc.want)
			}
		})
	}
	// An ignored delivery carries no hint.
	other := []byte(`{"webhookEvent":"jira:issue_updated","issue":{"id":"1","key":"ABC-1","fields":{"project":{"id":"2","key":"ABC"}}},"changelog":{"items":[{"field":"Rank"}]}}`)
	if d, err := c.ParseWebhook(http.Header{}, other, time.Now()); err != nil || d.Order || d.Ignored == "" {
		t.Errorf("other project: %+v, %v", d, err)
	}
}

// TestWebhookOrderHintFromSandbox: a human drag arrives with Order set, a
// plain edit without; the bot's own rank call is recognised as Tandem's
// own change and ignored (its pass holds it).
func TestWebhookOrderHintFromSandbox(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 5, RetryDelay: time.Millisecond})
	var mu sync.Mutex
	got := map[string]connectors.Delivery{} // by issue key
	var ignored []string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		d, err := e.c.ParseWebhook(r.Header, body, time.Now())
		if err == nil && d.Ignored != "" {
			mu.Lock()
			ignored = append(ignored, d.Ignored)
			mu.Unlock()
			return
		}
		if err != nil || len(d.Refs) != 1 {
			t.Errorf("delivery: %+v, %v", d, err)
			return
		}
		mu.Lock()
		got[d.Refs[0].Key] = d
		mu.Unlock()
	}))
	t.Cleanup(rcv.Close)
	if err := e.c.EnsureWebhook(ctx(t), rcv.URL, e.secret); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.UserRank("alice@example.com", []string{"TAN-4"}, "TAN-1", true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Move(ctx(t), []backlog.Move{{IDs: []string{"10002"}, After: "10005"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.UserEdit("bob@example.com", "TAN-3", map[string]any{"summary": "renamed"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		mu.Lock()
		n := len(got) + len(ignored)
		mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if !got["TAN-4"].Order {
		t.Errorf("rank delivery without the order hint: %+v", got)
	}
	if _, ok := got["TAN-2"]; ok || !slices.Contains(ignored, "Tandem's own change to TAN-2") {
		t.Errorf("the bot's own rank call: delivered %+v, ignored %q", got["TAN-2"], ignored)
	}
	if d, ok := got["TAN-3"]; !ok || d.Order {
		t.Errorf("edit delivery: %+v (seen %v)", d, ok)
	}
}
