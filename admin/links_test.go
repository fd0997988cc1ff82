package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/match"
	"github.com/tandem-sync/tandem/reconcile"
	"github.com/tandem-sync/tandem/store"
)

type fakeLinker struct{ calls []string }

func (f *fakeLinker) LinkByHand(_ context.Context, j, l string) (backlog.Link, error) {
	f.calls = append(f.calls, "link "+j+" "+l)
	switch j {
	case "TAN-9":
		return backlog.Link{}, fmt.Errorf("TAN-9 is linked to ENG-3: unlink it first: %w", reconcile.ErrLinked)
	case "TAN-404":
		return backlog.Link{}, fmt.Errorf("jira issue TAN-404: %w", store.ErrNotFound)
	}
	return backlog.Link{Jira: backlog.Ref{Side: backlog.Jira, ID: "1", Key: j}, Linear: backlog.Ref{Side: backlog.Linear, ID: "u1", Key: l}}, nil
}

func (f *fakeLinker) UnlinkByHand(_ context.Context, side backlog.Side, key string) (backlog.Link, error) {
	f.calls = append(f.calls, "unlink "+string(side)+" "+key)
	return backlog.Link{Jira: backlog.Ref{Side: backlog.Jira, ID: "1", Key: "TAN-1"}, Linear: backlog.Ref{Side: backlog.Linear, ID: "u1", Key: "ENG-1"}, Stopped: reconcile.UnlinkedByHand}, nil
}

func (f *fakeLinker) Ambiguous() []reconcile.Ambiguity {
	return []reconcile.Ambiguity{{Item: backlog.Ref{Side: backlog.Jira, ID: "1", Key: "TAN-1"}, Signal: match.Title,
		Candidates: []backlog.Ref{{Side: backlog.Linear, ID: "u1", Key: "ENG-1"}, {Side: backlog.Linear, ID: "u2", Key: "ENG-2"}}}}
}

func TestLinkEndpoints(t *testing.T) {
	lk := &fakeLinker{}
	var enq []backlog.Ref
	api := &API{Token: token, Linker: lk, Enqueue: func(_ *http.Request, r backlog.Ref) error { enq = append(enq, r); return nil }}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	call := func(method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	if code, v := call("POST", "/api/v1/links", `{"jira":"TAN-1","linear":"ENG-1"}`); code != 200 || v["id"] != "u1" || len(enq) != 1 || enq[0].Key != "TAN-1" {
		t.Fatalf("link: %d %v %v", code, v, enq)
	}
	for body, want := range map[string]int{
		`{"jira":"TAN-9","linear":"ENG-1"}`:   409,
		`{"jira":"TAN-404","linear":"ENG-1"}`: 404,
		`{"jira":"TAN-1"}`:                    400,
		`not json`:                            400,
	} {
		if code, v := call("POST", "/api/v1/links", body); code != want || v["error"] == "" {
			t.Errorf("%s: %d %v, want %d", body, code, v, want)
		}
	}
	if code, v := call("POST", "/api/v1/links/unlink", `{"linear":"ENG-1"}`); code != 200 || v["stopped"] != reconcile.UnlinkedByHand {
		t.Fatalf("unlink: %d %v", code, v)
	}
	if code, _ := call("POST", "/api/v1/links/unlink", `{"jira":"TAN-1","linear":"ENG-1"}`); code != 400 {
		t.Fatalf("unlink of both: %d", code)
	}
	if lk.calls[len(lk.calls)-1] != "unlink linear ENG-1" {
		t.Fatalf("calls %v", lk.calls)
	}
	code, v := call("GET", "/api/v1/ambiguous", "")
	amb, _ := v["ambiguous"].([]any)
	if code != 200 || len(amb) != 1 || !strings.Contains(fmt.Sprint(amb[0]), "ENG-2") {
		t.Fatalf("ambiguous: %d %v", code, v)
	}
	// Without a linker: not available, and the token still guards it.
	api2 := &API{Token: token}
	srv2 := httptest.NewServer(api2.Handler())
	t.Cleanup(srv2.Close)
	req, _ := http.NewRequest("POST", srv2.URL+"/api/v1/links", strings.NewReader(`{"jira":"TAN-1","linear":"ENG-1"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNotImplemented {
		t.Fatalf("no linker: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	req, _ = http.NewRequest("POST", srv.URL+"/api/v1/links", strings.NewReader(`{"jira":"TAN-1","linear":"ENG-1"}`))
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
}
