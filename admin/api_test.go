package admin

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/reconcile"
	"github.com/tandem-sync/tandem/store"
	"github.com/tandem-sync/tandem/store/embedded"
)

const token = "0123456789abcdef-token"

type fixture struct {
	st       store.State
	srv      *httptest.Server
	enqueued []backlog.Ref
	ids      []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st}
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for i, c := range []backlog.Conflict{
		{Field: backlog.Title, Policy: backlog.PolicyJira, Decision: backlog.Jira, SettledAt: t0, SettledBy: "policy:jira", Applied: true, At: t0},
		{Field: backlog.Title, Policy: backlog.PolicyManual, At: t0.Add(time.Hour), Base: "b", JiraVal: "J", LinVal: "L"},
		{Field: backlog.Priority, Policy: backlog.PolicyManual, At: t0.Add(2 * time.Hour), Base: "low", JiraVal: "high", LinVal: "medium"},
	} {
		c.LinkID = "lin-1"
		c.Jira = backlog.Ref{Side: backlog.Jira, ID: "10001", Key: "TAN-1"}
		c.Linear = backlog.Ref{Side: backlog.Linear, ID: "lin-1", Key: "ENG-1"}
		id, err := st.AddConflict(t.Context(), c)
		if err != nil {
			t.Fatal(i, err)
		}
		f.ids = append(f.ids, id)
	}
	st.SaveLink(t.Context(), backlog.Link{Jira: backlog.Ref{Side: backlog.Jira, ID: "10001", Key: "TAN-1"}, Linear: backlog.Ref{Side: backlog.Linear, ID: "lin-1", Key: "ENG-1"}})
	feed := &Feed{Size: 3}
	for i := range 5 {
		feed.Observe(reconcile.Event{Kind: reconcile.EventPatched, LinkID: "lin-1", To: backlog.Linear, Fields: []backlog.Field{backlog.Title}, At: t0.Add(time.Duration(i) * time.Second)})
	}
	api := &API{State: st, Token: token, Feed: feed,
		Enqueue: func(_ *http.Request, r backlog.Ref) error { f.enqueued = append(f.enqueued, r); return nil },
		Status:  func() Status { return Status{Queue: 2, Passes: 7} }}
	f.srv = httptest.NewServer(api.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) call(t *testing.T, method, path, auth, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, f.srv.URL+path, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s %s: not JSON: %q", method, path, data)
	}
	return resp.StatusCode, out
}

func TestAPIAuth(t *testing.T) {
	f := newFixture(t)
	for _, auth := range []string{"", "Bearer wrong", token, "Basic " + token} {
		if code, body := f.call(t, "GET", "/api/v1/conflicts", auth, ""); code != 401 || body["error"] == nil {
			t.Errorf("auth %q: %d %v, want 401 with an error", auth, code, body)
		}
	}
	if code, _ := f.call(t, "GET", "/api/v1/conflicts", "Bearer "+token, ""); code != 200 {
		t.Fatalf("good token: %d", code)
	}
}

func TestAPIConflicts(t *testing.T) {
	f := newFixture(t)
	auth := "Bearer " + token
	list := func(q string) []any {
		code, body := f.call(t, "GET", "/api/v1/conflicts"+q, auth, "")
		if code != 200 {
			t.Fatalf("list %s: %d %v", q, code, body)
		}
		return body["conflicts"].([]any)
	}
	if n := len(list("")); n != 3 {
		t.Fatalf("all: %d", n)
	}
	if n := len(list("?open=true")); n != 2 {
		t.Fatalf("open: %d", n)
	}
	if n := len(list("?open=true&field=priority")); n != 1 {
		t.Fatalf("open priority: %d", n)
	}
	if n := len(list("?since=2026-11-20T10:30:00Z")); n != 2 {
		t.Fatalf("since: %d", n)
	}
	if first := list("?limit=1")[0].(map[string]any); first["field"] != "priority" || first["open"] != true {
		t.Fatalf("newest first, with open flag: %v", first)
	}
	for _, q := range []string{"?open=maybe", "?field=colour", "?since=yesterday", "?limit=-1"} {
		if code, _ := f.call(t, "GET", "/api/v1/conflicts"+q, auth, ""); code != 400 {
			t.Errorf("%s: %d, want 400", q, code)
		}
	}
	if code, _ := f.call(t, "GET", "/api/v1/conflicts/nope", auth, ""); code != 404 {
		t.Fatalf("unknown id: %d", code)
	}
	code, c := f.call(t, "GET", "/api/v1/conflicts/"+f.ids[1], auth, "")
	if code != 200 || c["jiraValue"] != "J" || c["linearValue"] != "L" || c["base"] != "b" {
		t.Fatalf("get: %d %v", code, c)
	}
}

func TestAPIResolve(t *testing.T) {
	f := newFixture(t)
	auth := "Bearer " + token
	path := "/api/v1/conflicts/" + f.ids[1] + "/resolve"
	for _, bad := range []string{"", "{", `{"take":"coin"}`, `{"take":"jira","value":"x"}`, `{"pick":"jira"}`} {
		if code, _ := f.call(t, "POST", path, auth, bad); code != 400 {
			t.Errorf("body %q: %d, want 400", bad, code)
		}
	}
	code, c := f.call(t, "POST", path, auth, `{"take":"linear","by":"ui"}`)
	if code != 200 || c["open"] != false || c["value"] != "L" || c["settledBy"] != "ui" || c["took"] != "linear" {
		t.Fatalf("resolve: %d %v", code, c)
	}
	if len(f.enqueued) != 1 || f.enqueued[0].ID != "10001" {
		t.Fatalf("enqueued %v, want the link's jira ref", f.enqueued)
	}
	if code, _ := f.call(t, "POST", path, auth, `{"take":"jira"}`); code != 409 {
		t.Fatalf("second resolve: %d, want 409", code)
	}
	if code, _ := f.call(t, "POST", "/api/v1/conflicts/"+f.ids[0]+"/resolve", auth, `{"take":"jira"}`); code != 409 {
		t.Fatalf("resolving a policy decision: %d, want 409", code)
	}
	code, c = f.call(t, "POST", "/api/v1/conflicts/"+f.ids[2]+"/resolve", auth, `{"value":"highest"}`)
	if code != 200 || c["value"] != "highest" || c["took"] != "value" {
		t.Fatalf("resolve with a value: %d %v", code, c)
	}
	if code, _ := f.call(t, "POST", "/api/v1/conflicts/nope/resolve", auth, `{"take":"jira"}`); code != 404 {
		t.Fatalf("unknown: %d", code)
	}
}

func TestAPIStatusLinksPropagations(t *testing.T) {
	f := newFixture(t)
	auth := "Bearer " + token
	code, s := f.call(t, "GET", "/api/v1/status", auth, "")
	if code != 200 || s["links"] != float64(1) || s["openConflicts"] != float64(2) || s["conflicts"] != float64(3) || s["queue"] != float64(2) {
		t.Fatalf("status: %d %v", code, s)
	}
	code, l := f.call(t, "GET", "/api/v1/links", auth, "")
	if links := l["links"].([]any); code != 200 || len(links) != 1 || links[0].(map[string]any)["id"] != "lin-1" {
		t.Fatalf("links: %d %v", code, l)
	}
	code, p := f.call(t, "GET", "/api/v1/propagations?limit=10", auth, "")
	ps := p["propagations"].([]any)
	if code != 200 || len(ps) != 3 {
		t.Fatalf("propagations: %d %v (ring of 3)", code, p)
	}
	if first := ps[0].(map[string]any); first["at"] != "2026-11-20T10:00:04Z" {
		t.Fatalf("newest first: %v", first)
	}
	if code, _ := f.call(t, "GET", "/api/v1/nope", auth, ""); code != 404 {
		t.Fatalf("unknown endpoint: %d", code)
	}
}
