package linear

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/apis/fixtures"
	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func hdr(sig string) http.Header {
	h := http.Header{}
	if sig != "" {
		h.Set("Linear-Signature", sig)
	}
	h.Set("Linear-Delivery", "3d6a1b8e-0f7e-4b1a-9f0e-6c1d2e3f4a5b")
	return h
}

// TestFixtures: every real payload in apis/fixtures/linear parses,
// with a signature computed here and now set to its webhookTimestamp (or
// no timestamp check when it has none, as Linear's SDK does).
func TestFixtures(t *testing.T) {
	files, err := fixtures.Linear()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(f.Name, func(t *testing.T) {
			body := f.Body
			var env struct {
				Type             string   `json:"type"`
				WebhookTimestamp *float64 `json:"webhookTimestamp"`
				Data             struct {
					ID, IssueID, TeamID string
					Team                *struct{ ID, Key string }
				} `json:"data"`
			}
			if err := json.Unmarshal(body, &env); err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			if env.WebhookTimestamp != nil {
				now = time.UnixMilli(int64(*env.WebhookTimestamp)).Add(3 * time.Second)
			}
			teamID := env.Data.TeamID
			if teamID == "" && env.Data.Team != nil {
				teamID = env.Data.Team.ID
			}
			// As the fixture's own team: refs.
			d, err := parseWebhook([]byte("fixture-secret"), teamID, "", hdr(sign("fixture-secret", body)), body, now)
			if err != nil {
				t.Fatal(err)
			}
			want := env.Data.ID
			if env.Type == "Comment" {
				want = env.Data.IssueID
			}
			if len(d.Refs) != 1 || d.Refs[0].ID != want || d.Refs[0].Side != backlog.Linear || d.ID == "" {
				t.Fatalf("delivery %+v, want a ref to %s", d, want)
			}
			// As another team: an issue event is acknowledged and ignored.
			d, err = parseWebhook([]byte("fixture-secret"), "other-team", "ENG", hdr(sign("fixture-secret", body)), body, now)
			if err != nil {
				t.Fatal(err)
			}
			if env.Type == "Issue" && (len(d.Refs) != 0 || d.Ignored == "") {
				t.Fatalf("other team: %+v", d)
			}
			// Stale: two minutes later.
			if env.WebhookTimestamp != nil {
				_, err = parseWebhook([]byte("fixture-secret"), teamID, "", hdr(sign("fixture-secret", body)), body, now.Add(2*time.Minute))
				if !errors.Is(err, connectors.ErrUnauthorized) {
					t.Fatalf("stale accepted: %v", err)
				}
			}
		})
	}
}

func TestParseWebhook(t *testing.T) {
	now := time.UnixMilli(1_780_000_000_000)
	body := func(ts any, extra string) []byte {
		b := `{"action":"update","type":"Issue","data":{"id":"i1","identifier":"ENG-1","teamId":"team"},"webhookTimestamp":` + jsonOf(ts) + extra + `}`
		return []byte(b)
	}
	good := body(now.UnixMilli(), "")
	cases := []struct {
		name    string
		h       http.Header
		body    []byte
		wantErr error
		refs    int
		ignored bool
	}{
		{"good", hdr(sign(testSecret, good)), good, nil, 1, false},
		{"uppercase hex", hdr(upper(sign(testSecret, good))), good, nil, 1, false},
		{"missing signature", hdr(""), good, connectors.ErrUnauthorized, 0, false},
		{"bad signature", hdr(sign("other", good)), good, connectors.ErrUnauthorized, 0, false},
		{"not hex", hdr("zz"), good, connectors.ErrUnauthorized, 0, false},
		{"sha256= prefix is not Linear's", hdr("sha256=" + sign(testSecret, good)), good, connectors.ErrUnauthorized, 0, false},
		{"stale", hdr(sign(testSecret, body(now.Add(-61*time.Second).UnixMilli(), ""))), body(now.Add(-61*time.Second).UnixMilli(), ""), connectors.ErrUnauthorized, 0, false},
		{"future", hdr(sign(testSecret, body(now.Add(61*time.Second).UnixMilli(), ""))), body(now.Add(61*time.Second).UnixMilli(), ""), connectors.ErrUnauthorized, 0, false},
		{"59 s old", hdr(sign(testSecret, body(now.Add(-59*time.Second).UnixMilli(), ""))), body(now.Add(-59*time.Second).UnixMilli(), ""), nil, 1, false},
		{"malformed json", hdr(sign(testSecret, []byte(`{"action":`))), []byte(`{"action":`), connectors.ErrBadRequest, 0, false},
		{"bad timestamp", hdr(sign(testSecret, body("soon", ""))), body("soon", ""), connectors.ErrBadRequest, 0, false},
		{"other team", hdr(sign(testSecret, []byte(`{"action":"create","type":"Issue","data":{"id":"x","teamId":"t2"}}`))), []byte(`{"action":"create","type":"Issue","data":{"id":"x","teamId":"t2"}}`), nil, 0, true},
		{"other entity", hdr(sign(testSecret, []byte(`{"action":"create","type":"Project","data":{"id":"p"}}`))), []byte(`{"action":"create","type":"Project","data":{"id":"p"}}`), nil, 0, true},
		{"no type", hdr(sign(testSecret, []byte(`{"data":{}}`))), []byte(`{"data":{}}`), connectors.ErrBadRequest, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := parseWebhook([]byte(testSecret), "team", "ENG", c.h, c.body, now)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Refs) != c.refs || (d.Ignored != "") != c.ignored {
				t.Fatalf("delivery %+v", d)
			}
		})
	}
	// The header timestamp is the fallback when the body has none.
	b := []byte(`{"action":"update","type":"Comment","data":{"id":"c","issueId":"i9"}}`)
	h := hdr(sign(testSecret, b))
	h.Set("Linear-Timestamp", strconv.FormatInt(now.Add(-5*time.Minute).UnixMilli(), 10))
	if _, err := parseWebhook([]byte(testSecret), "team", "ENG", h, b, now); !errors.Is(err, connectors.ErrUnauthorized) {
		t.Fatalf("stale header timestamp: %v", err)
	}
	h.Set("Linear-Timestamp", strconv.FormatInt(now.UnixMilli(), 10))
	if d, err := parseWebhook([]byte(testSecret), "team", "ENG", h, b, now); err != nil || d.Refs[0].ID != "i9" {
		t.Fatalf("comment: %+v %v", d, err)
	}
	// No secret configured: nothing verifies.
	if _, err := parseWebhook(nil, "team", "ENG", hdr(sign("", good)), good, now); !errors.Is(err, connectors.ErrUnauthorized) {
		t.Fatalf("empty secret: %v", err)
	}
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// TestWebhookEndToEnd: EnsureWebhook registers (once) with the sandbox, a
// human edit is delivered, and ParseWebhook verifies the real delivery.
func TestWebhookEndToEnd(t *testing.T) {
	type got struct {
		h    http.Header
		body []byte
	}
	var mu sync.Mutex
	var deliveries []got
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		deliveries = append(deliveries, got{r.Header.Clone(), b})
		mu.Unlock()
	}))
	defer hs.Close()
	s, c := setup(t, sandbox.Options{})
	for range 2 {
		if err := c.EnsureWebhook(t.Context(), hs.URL+"/webhooks/linear", testSecret); err != nil {
			t.Fatal(err)
		}
	}
	cnt := s.Requests(sandbox.BotEmail)
	if cnt.ByOperation["webhookCreate"] != 1 || cnt.ByOperation["webhookUpdate"] != 0 {
		t.Fatalf("ensure twice: %+v", cnt.ByOperation)
	}
	// A new secret updates the same registration.
	if err := c.EnsureWebhook(t.Context(), hs.URL+"/webhooks/linear", testSecret+"2"); err != nil {
		t.Fatal(err)
	}
	if cnt := s.Requests(sandbox.BotEmail); cnt.ByOperation["webhookCreate"] != 1 || cnt.ByOperation["webhookUpdate"] != 1 {
		t.Fatalf("ensure with a new secret: %+v", cnt.ByOperation)
	}
	if err := c.EnsureWebhook(t.Context(), hs.URL+"/webhooks/linear", testSecret); err != nil {
		t.Fatal(err)
	}
	v, _ := s.Issue("ENG-4")
	if err := s.UserUpdate(sandbox.AliceEmail, "ENG-4", map[string]any{"priority": 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserComment(sandbox.BobEmail, "ENG-4", "looks good"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(deliveries)
		mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d deliveries", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, d := range deliveries {
		del, err := c.ParseWebhook(d.h, d.body, time.Now())
		if err != nil {
			t.Fatalf("real delivery rejected: %v\n%s", err, d.body)
		}
		if len(del.Refs) != 1 || del.Refs[0].ID != v.ID || del.ID != d.h.Get("Linear-Delivery") {
			t.Fatalf("delivery %+v", del)
		}
		if _, err := c.ParseWebhook(d.h, append([]byte(" "), d.body...), time.Now()); !errors.Is(err, connectors.ErrUnauthorized) {
			t.Fatalf("a changed body still verified: %v", err)
		}
	}
}

func FuzzParseWebhook(f *testing.F) {
	files, err := fixtures.Linear()
	if err != nil {
		f.Fatal(err)
	}
	for _, fx := range files {
		f.Add(fx.Body, true)
	}
	f.Add([]byte(`{"action":"update","type":"Issue","data":{"id":"i","teamId":"team"},"webhookTimestamp":1780000000000}`), true)
	f.Add([]byte(`{"type":"Comment","action":"create","data":{"issue":{"id":"x"}},"webhookTimestamp":"1e400"}`), true)
	f.Add([]byte(`{"action":"update","type":"Issue","data":{"id":"i","teamId":"team"},"updatedFrom":{"sortOrder":-12.5,"updatedAt":"2026-01-01T00:00:00.000Z"}}`), true)
	f.Add([]byte(`{"action":"update","type":"Issue","data":{"id":"i","teamId":"team"},"updatedFrom":[1]}`), true)
	f.Add([]byte(`[]`), false)
	f.Add([]byte(`{"webhookTimestamp":-1}`), true)
	now := time.UnixMilli(1_780_000_000_000)
	f.Fuzz(func(t *testing.T, body []byte, signed bool) {
		sig := "00"
		if signed {
			sig = sign(testSecret, body)
		}
		d, err := parseWebhook([]byte(testSecret), "team", "ENG", hdr(sig), body, now)
		if err != nil {
			if !errors.Is(err, connectors.ErrUnauthorized) && !errors.Is(err, connectors.ErrBadRequest) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if !signed {
			t.Fatal("an unsigned body verified")
		}
		for _, r := range d.Refs {
			if r.ID == "" || r.Side != backlog.Linear {
				t.Fatalf("bad ref %+v", r)
			}
		}
		if d.Order && len(d.Refs) == 0 {
			t.Fatalf("an order hint without a ref: %+v", d)
		}
		if len(d.Refs) == 0 && d.Ignored == "" {
			t.Fatalf("no refs and no reason: %+v", d)
		}
	})
}

// TestOwnIssueWrite: an Issue create or update whose actor is the API key's
// user is Tandem's own echo; anyone else's, another entity's, a removal or a
// delivery without an actor is not.
func TestOwnIssueWrite(t *testing.T) {
	for _, c := range []struct {
		body string
		want bool
	}{
		{`{"type":"Issue","action":"update","actor":{"id":"bot","type":"user"}}`, true},
		{`{"type":"Issue","action":"create","actor":{"id":"bot"}}`, true},
		{`{"type":"Issue","action":"update","actor":{"id":"alice"}}`, false},
		{`{"type":"Issue","action":"remove","actor":{"id":"bot"}}`, false},
		{`{"type":"Comment","action":"create","actor":{"id":"bot"}}`, false},
		{`{"type":"Issue","action":"update"}`, false},
		{`{"type":"Issue","action":"update","actor":null}`, false},
		{`not json`, false},
	} {
		if got := ownIssueWrite(decoded(c.body), "bot"); got != c.want {
			t.Errorf("ownIssueWrite(%s) = %v, want %v", c.body, got, c.want)
		}
	}
	if ownIssueWrite(decoded(`{"type":"Issue","action":"update","actor":{"id":""}}`), "") {
		t.Error("an unknown self matched an empty actor id")
	}
}

// decoded is body's payload, the zero payload when body is not JSON (which
// parseWebhookPayload refuses before anything reads the payload).
func decoded(body string) payload {
	var p payload
	_ = json.Unmarshal([]byte(body), &p)
	return p
}
