package linear

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

// TestInScope: the team alone, labels, project, both; an item Get just
// returned costs no request; others are read once; gone is out of scope.
func TestInScope(t *testing.T) {
	s := start(t, sandbox.Options{})
	cases := []struct {
		name    string
		labels  []string
		project string
		in, out []string // identifiers in and out of scope
	}{
		{"team", nil, "", []string{"ENG-1", "ENG-2", "ENG-12"}, nil},
		{"labels, any case", []string{"BUG", "docs"}, "", []string{"ENG-1", "ENG-8"}, []string{"ENG-2", "ENG-10"}},
		{"project", nil, "q4 launch", []string{"ENG-1", "ENG-10"}, []string{"ENG-2", "ENG-8"}},
		{"labels and project", []string{"Bug"}, "Q4 Launch", []string{"ENG-1", "ENG-4"}, []string{"ENG-8", "ENG-10", "ENG-2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := connect(t, s, sandbox.BotKey, func(cfg *Config) { cfg.Labels, cfg.Project = tc.labels, tc.project })
			if err != nil {
				t.Fatal(err)
			}
			check := func(key string, want bool) {
				t.Helper()
				it, err := c.Get(t.Context(), key)
				if err != nil {
					t.Fatal(err)
				}
				before := s.Requests(sandbox.BotEmail).Reads
				got, err := c.InScope(t.Context(), it)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("InScope(%s) = %v, want %v", key, got, want)
				}
				if n := s.Requests(sandbox.BotEmail).Reads - before; n != 0 {
					t.Errorf("InScope(%s) after Get made %d requests", key, n)
				}
				// A bare ref is read once, with the same answer.
				before = s.Requests(sandbox.BotEmail).Reads
				got, err = c.InScope(t.Context(), backlog.Item{Ref: backlog.Ref{Side: backlog.Linear, ID: it.Ref.ID}})
				if err != nil || got != want {
					t.Errorf("InScope(bare %s) = %v, %v; want %v", key, got, err, want)
				}
				if n := s.Requests(sandbox.BotEmail).Reads - before; n != 1 {
					t.Errorf("InScope(bare %s) made %d requests, want 1", key, n)
				}
			}
			for _, k := range tc.in {
				check(k, true)
			}
			for _, k := range tc.out {
				check(k, false)
			}
		})
	}
	c, err := connect(t, s, sandbox.BotKey, func(cfg *Config) { cfg.Labels = []string{"Bug"} })
	if err != nil {
		t.Fatal(err)
	}
	// An edit after Get is seen: the item's version no longer matches.
	it, err := c.Get(t.Context(), "ENG-2")
	if err != nil {
		t.Fatal(err)
	}
	if in, _ := c.InScope(t.Context(), it); in {
		t.Fatal("ENG-2 in the Bug scope")
	}
	if err := c.Apply(t.Context(), it.Ref.ID, backlog.Patch{backlog.Labels: backlog.LabelPatch("", "Bug")}); err != nil {
		t.Fatal(err)
	}
	it2, err := c.Get(t.Context(), "ENG-2")
	if err != nil {
		t.Fatal(err)
	}
	if in, err := c.InScope(t.Context(), it2); err != nil || !in {
		t.Errorf("ENG-2 labelled Bug: %v %v", in, err)
	}
	missing := backlog.Item{Ref: backlog.Ref{Side: backlog.Linear, ID: "00000000-0000-4000-8000-000000000000"}}
	if in, err := c.InScope(t.Context(), missing); err != nil || in {
		t.Errorf("missing issue: %v %v", in, err)
	}
	for _, bad := range []backlog.Item{{}, {Ref: backlog.Ref{Side: backlog.Jira, ID: "1"}}} {
		if _, err := c.InScope(t.Context(), bad); !connectors.IsPermanent(err) {
			t.Errorf("InScope(%+v): %v", bad.Ref, err)
		}
	}
}

const unarchiveMutation = `mutation TandemUnarchive($id: String!) { issueUnarchive(id: $id) { success } }`

// TestDeleteArchives: Delete archives (idempotent: archived, trashed and
// unknown issues are nil); Get reads Archived; archive and unarchive are
// Issue update deliveries with archivedAt in updatedFrom, a trash is a
// remove; each parses to the issue's ref.
func TestDeleteArchives(t *testing.T) {
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
	if err := c.EnsureWebhook(t.Context(), hs.URL, testSecret); err != nil {
		t.Fatal(err)
	}
	v, _ := s.Issue("ENG-3")
	if err := c.Delete(t.Context(), v.ID); err != nil {
		t.Fatal(err)
	}
	it, err := c.Get(t.Context(), v.ID)
	if err != nil || !it.Archived {
		t.Fatalf("after Delete: %+v %v", it, err)
	}
	if err := c.Delete(t.Context(), v.ID); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	if n := s.Requests(sandbox.BotEmail).ByOperation["issueArchive"]; n != 1 {
		t.Errorf("%d issueArchive calls, want 1", n)
	}
	var un map[string]any
	if err := c.exec(t.Context(), "unarchiving", unarchiveMutation, map[string]any{"id": v.ID}, &un); err != nil {
		t.Fatal(err)
	}
	if it, err := c.Get(t.Context(), v.ID); err != nil || it.Archived {
		t.Fatalf("after unarchive: %+v %v", it, err)
	}
	// A trashed issue reads as archived and needs no archive.
	if err := s.UserDelete(sandbox.AliceEmail, "ENG-5"); err != nil {
		t.Fatal(err)
	}
	if it, err := c.Get(t.Context(), "ENG-5"); err != nil || !it.Archived {
		t.Fatalf("trashed: %+v %v", it, err)
	}
	if err := c.Delete(t.Context(), "ENG-5"); err != nil {
		t.Fatalf("Delete of a trashed issue: %v", err)
	}
	if err := c.Delete(t.Context(), "00000000-0000-4000-8000-000000000000"); err != nil {
		t.Fatalf("Delete of an unknown issue: %v", err)
	}
	if n := s.Requests(sandbox.BotEmail).ByOperation["issueArchive"]; n != 1 {
		t.Errorf("%d issueArchive calls, want 1", n)
	}
	if err := c.Delete(t.Context(), ""); !connectors.IsPermanent(err) {
		t.Errorf("Delete of no id: %v", err)
	}
	if _, err := c.Get(t.Context(), "00000000-0000-4000-8000-000000000000"); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("unknown issue: %v", err)
	}

	v5, _ := s.Issue("ENG-5")
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(deliveries)
		mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d deliveries", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	type seen struct {
		action   string
		archived bool // data.archivedAt set
		from     bool // updatedFrom has archivedAt
	}
	var all []seen
	for _, d := range deliveries {
		var b struct {
			Action string `json:"action"`
			Data   struct {
				ID         string  `json:"id"`
				ArchivedAt *string `json:"archivedAt"`
			} `json:"data"`
			UpdatedFrom map[string]json.RawMessage `json:"updatedFrom"`
		}
		if err := json.Unmarshal(d.body, &b); err != nil {
			t.Fatal(err)
		}
		del, err := c.ParseWebhook(d.h, d.body, time.Now())
		switch {
		case err != nil:
			t.Errorf("delivery %s: %v", b.Action, err)
		case b.Action == "update":
			// Tandem's own archive and unarchive: acknowledged, no pass.
			if len(del.Refs) != 0 || del.Ignored == "" {
				t.Errorf("echo of Tandem's own %s: %+v, want ignored", b.Action, del)
			}
		case len(del.Refs) != 1 || del.Refs[0].ID != b.Data.ID:
			t.Errorf("delivery %s: %+v", b.Action, del)
		}
		_, from := b.UpdatedFrom["archivedAt"]
		all = append(all, seen{b.Action, b.Data.ArchivedAt != nil, from})
		if b.Action == "remove" && b.Data.ID != v5.ID {
			t.Errorf("remove of %s, want the trashed ENG-5", b.Data.ID)
		}
	}
	// Deliveries run concurrently: compare as a set.
	slices.SortFunc(all, func(a, b seen) int {
		return cmp.Or(strings.Compare(a.action, b.action), cmp.Compare(fmt.Sprint(a.archived), fmt.Sprint(b.archived)))
	})
	want := []seen{{"remove", true, true}, {"update", false, true}, {"update", true, true}}
	if len(all) != len(want) {
		t.Fatalf("deliveries %+v, want %+v", all, want)
	}
	for i := range want {
		if all[i] != want[i] {
			t.Errorf("delivery %d: %+v, want %+v", i, all[i], want[i])
		}
	}
}
