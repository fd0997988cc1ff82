package jira

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

// TestInScope: the project alone (no request when the key names it), the
// project and Config.JQL (one search), unknown issues out of scope.
func TestInScope(t *testing.T) {
	ids := map[string]string{}
	plain := newEnv(t, sandbox.Options{})
	for _, k := range []string{"TAN-2", "TAN-4"} {
		it, err := plain.c.Get(ctx(t), k)
		if err != nil {
			t.Fatal(err)
		}
		ids[k] = it.Ref.ID
	}
	scoped := newEnvWith(t, sandbox.Options{}, func(sb *sandbox.Server, cfg *Config) {
		cfg.JQL = `labels = auth OR priority = Highest`
	})
	ref := func(id, key string) backlog.Item {
		return backlog.Item{Ref: backlog.Ref{Side: backlog.Jira, ID: id, Key: key}}
	}
	cases := []struct {
		name     string
		e        *env
		it       backlog.Item
		want     bool
		requests int
	}{
		{"project, by key", plain, ref(ids["TAN-4"], "TAN-4"), true, 0},
		{"project, by id", plain, ref(ids["TAN-4"], ""), true, 1},
		{"project, stale key", plain, ref(ids["TAN-4"], "OLD-4"), true, 1},
		{"another project's key", plain, ref("", "OTHER-4"), false, 1},
		{"unknown id", plain, ref("99999", ""), false, 1},
		{"jql match", scoped, ref(ids["TAN-2"], "TAN-2"), true, 1},
		{"jql no match", scoped, ref(ids["TAN-4"], "TAN-4"), false, 1},
		{"jql, by key", scoped, ref("", "TAN-2"), true, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.e.sb.Requests(sandbox.BotEmail).Reads
			got, err := tc.e.c.InScope(ctx(t), tc.it)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("InScope(%+v) = %v, want %v", tc.it.Ref, got, tc.want)
			}
			if n := tc.e.sb.Requests(sandbox.BotEmail).Reads - before; n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
		})
	}
	// An issue edited into the JQL scope is in scope at the next check.
	if err := scoped.sb.UserEdit("alice@example.com", "TAN-4", map[string]any{"labels": []string{"auth"}}); err != nil {
		t.Fatal(err)
	}
	if ok, err := scoped.c.InScope(ctx(t), ref(ids["TAN-4"], "TAN-4")); err != nil || !ok {
		t.Errorf("after the edit: %v, %v", ok, err)
	}
	for _, bad := range []backlog.Item{{}, ref("1 OR 1=1", ""), {Ref: backlog.Ref{Side: backlog.Linear, ID: "x"}}} {
		if _, err := plain.c.InScope(ctx(t), bad); !connectors.IsPermanent(err) {
			t.Errorf("InScope(%+v): %v, want a permanent error", bad.Ref, err)
		}
	}
}

// TestDelete: the issue goes, with its sub-tasks; again is not an error; a
// jira:issue_deleted delivery parses to its ref.
func TestDelete(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 4, RetryDelay: time.Millisecond})
	var mu sync.Mutex
	var got []backlog.Ref
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		d, err := e.c.ParseWebhook(r.Header, body, time.Now())
		if err != nil {
			t.Errorf("delivery: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		got = append(got, d.Refs...)
		mu.Unlock()
	}))
	t.Cleanup(rcv.Close)
	if err := e.c.EnsureWebhook(ctx(t), rcv.URL, e.secret); err != nil {
		t.Fatal(err)
	}
	parent, err := e.c.Get(ctx(t), "TAN-3")
	if err != nil {
		t.Fatal(err)
	}
	subID, _, err := e.sb.UserCreate("alice@example.com", map[string]any{"summary": "child", "issuetype": map[string]any{"name": "Sub-task"}, "parent": map[string]any{"key": "TAN-3"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.c.Delete(ctx(t), parent.Ref.ID); err != nil {
		t.Fatalf("Delete of a parent: %v", err)
	}
	for _, id := range []string{parent.Ref.ID, subID} {
		if _, err := e.c.Get(ctx(t), id); !errors.Is(err, connectors.ErrNotFound) {
			t.Errorf("Get %s after Delete: %v", id, err)
		}
	}
	if err := e.c.Delete(ctx(t), parent.Ref.ID); err != nil {
		t.Errorf("second Delete: %v", err)
	}
	four, err := e.c.Get(ctx(t), "TAN-4")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.c.Delete(ctx(t), "TAN-4"); err != nil {
		t.Errorf("Delete by key: %v", err)
	}
	if err := e.c.Delete(ctx(t), ""); !connectors.IsPermanent(err) {
		t.Errorf("Delete of no id: %v", err)
	}
	// Each deletion is delivered (the sub-task's creation is too).
	want := []string{parent.Ref.ID, subID, four.Ref.ID}
	deadline := time.Now().Add(3 * time.Second)
	var ids []string
	for time.Now().Before(deadline) {
		mu.Lock()
		ids = ids[:0]
		for _, r := range got {
			ids = append(ids, r.ID)
		}
		mu.Unlock()
		if !slices.ContainsFunc(want, func(id string) bool { return !slices.Contains(ids, id) }) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, id := range want {
		if !slices.Contains(ids, id) {
			t.Errorf("deletion of %s not delivered: %v", id, ids)
		}
	}
}

// TestDeleteErrors: a refusal is permanent, a server error is retried.
func TestDeleteErrors(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 2})
	e.sb.Fail(1, http.StatusForbidden)
	if err := e.c.Delete(ctx(t), "TAN-1"); !connectors.IsPermanent(err) {
		t.Errorf("403: %v, want permanent", err)
	}
	e.sb.Fail(1, http.StatusServiceUnavailable)
	if err := e.c.Delete(ctx(t), "TAN-1"); err == nil || connectors.IsPermanent(err) {
		t.Errorf("503: %v, want transient", err)
	}
	if err := e.c.Delete(ctx(t), "TAN-1"); err != nil {
		t.Errorf("after the faults: %v", err)
	}
}

func TestKeyInProject(t *testing.T) {
	c := &Client{projectKey: "TAN"}
	for key, want := range map[string]bool{
		"TAN-1": true, "tan-42": true, "TAN-": false, "TAN": false, "": false,
		"TANX-1": false, "OTHER-1": false, "TAN-1a": false, "TAN-1-2": false, "-1": false,
	} {
		if got := c.keyInProject(key); got != want {
			t.Errorf("keyInProject(%q) = %v, want %v", key, got, want)
		}
	}
}
