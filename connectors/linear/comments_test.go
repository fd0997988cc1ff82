package linear

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/apis/fixtures"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

func TestCommentsCRUD(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	s, c := setup(t, sandbox.Options{Now: clk.now})
	v, _ := s.Issue("ENG-3")
	if got, err := c.Comments(t.Context(), v.ID); err != nil || len(got) != 0 {
		t.Fatalf("no comments yet: %v %v", got, err)
	}
	aliceID, err := s.UserComment(sandbox.AliceEmail, v.ID, "First, by **Alice**")
	if err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Second)
	body := "## Synced\n\n- a `code` item\n- [link](https://example.com)"
	id, err := c.CreateComment(t.Context(), v.ID, body)
	if err != nil || id == "" {
		t.Fatalf("create: %q %v", id, err)
	}
	clk.advance(time.Second)
	got, err := c.Comments(t.Context(), "ENG-3")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != aliceID || got[0].Author != sandbox.AliceEmail || got[0].Body != "First, by **Alice**" ||
		got[1].ID != id || got[1].Author != sandbox.BotEmail || got[1].Body != body || !got[0].Created.Before(got[1].Created) {
		t.Fatalf("listed %+v", got)
	}
	if err := c.UpdateComment(t.Context(), v.ID, id, "edited"); err != nil {
		t.Fatal(err)
	}
	got, _ = c.Comments(t.Context(), v.ID)
	if got[1].Body != "edited" || !got[1].Updated.After(got[1].Created) {
		t.Fatalf("after update %+v", got[1])
	}
	// Linear lets one edit only one's own comments.
	if err := c.UpdateComment(t.Context(), v.ID, aliceID, "hijack"); !connectors.IsPermanent(err) {
		t.Fatalf("editing Alice's comment: %v", err)
	}
	for _, bad := range []string{"", "  \n"} {
		if _, err := c.CreateComment(t.Context(), v.ID, bad); !connectors.IsPermanent(err) {
			t.Fatalf("empty body created: %v", err)
		}
		if err := c.UpdateComment(t.Context(), v.ID, id, bad); !connectors.IsPermanent(err) {
			t.Fatalf("empty body written: %v", err)
		}
	}
	if err := c.DeleteComment(t.Context(), v.ID, id); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteComment(t.Context(), v.ID, id); err != nil {
		t.Fatalf("deleting again: %v", err)
	}
	if got, _ := c.Comments(t.Context(), v.ID); len(got) != 1 || got[0].ID != aliceID {
		t.Fatalf("after delete %+v", got)
	}
	if _, err := c.Comments(t.Context(), "00000000-0000-4000-8000-000000000000"); !errors.Is(err, connectors.ErrNotFound) {
		t.Fatalf("unknown issue: %v", err)
	}
	if _, err := c.CreateComment(t.Context(), "00000000-0000-4000-8000-000000000000", "x"); !errors.Is(err, connectors.ErrNotFound) {
		t.Fatalf("comment on unknown issue: %v", err)
	}
}

// TestCommentsPaging: more comments than a page, some in the same
// millisecond, all listed once, oldest first.
func TestCommentsPaging(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	s, c := setup(t, sandbox.Options{Now: clk.now})
	const n = 2*commentsPage + 7
	for k := range n {
		if k%3 == 0 {
			clk.advance(time.Millisecond)
		}
		if _, err := s.UserComment(sandbox.BobEmail, "ENG-1", "c"); err != nil {
			t.Fatal(err)
		}
	}
	s.ResetCounts()
	got, err := c.Comments(t.Context(), "ENG-1")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for k, cm := range got {
		if seen[cm.ID] {
			t.Fatalf("repeated %s", cm.ID)
		}
		seen[cm.ID] = true
		if k > 0 && (cm.Created.Before(got[k-1].Created) || cm.Created.Equal(got[k-1].Created) && cm.ID < got[k-1].ID) {
			t.Fatalf("out of order at %d", k)
		}
	}
	if len(got) != n || s.Requests(sandbox.BotEmail).Reads != 3 {
		t.Fatalf("listed %d in %d reads", len(got), s.Requests(sandbox.BotEmail).Reads)
	}
}

// TestCommentWebhooks: the connector's comment writes fire Comment
// create/update/remove webhooks naming the issue, which ParseWebhook
// turns into a ref of it.
func TestCommentWebhooks(t *testing.T) {
	var mu sync.Mutex
	type got struct {
		h    http.Header
		body []byte
	}
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
	v, _ := s.Issue("ENG-5")
	id, err := c.CreateComment(t.Context(), v.ID, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateComment(t.Context(), v.ID, id, "hello again"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteComment(t.Context(), v.ID, id); err != nil {
		t.Fatal(err)
	}
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
	mu.Lock()
	defer mu.Unlock()
	actions := map[string]bool{}
	for _, d := range deliveries {
		var env struct {
			Action, Type string
			Data         struct {
				ID, Body, IssueID string
				UserID            string `json:"userId"`
			}
			UpdatedFrom map[string]any `json:"updatedFrom"`
		}
		if err := json.Unmarshal(d.body, &env); err != nil {
			t.Fatal(err)
		}
		if env.Type != "Comment" || env.Data.ID != id || env.Data.IssueID != v.ID || env.Data.UserID != s.UserID(sandbox.BotEmail) {
			t.Fatalf("payload %s", d.body)
		}
		if env.Action == "update" && env.UpdatedFrom["body"] != "hello" {
			t.Fatalf("update without the old body: %s", d.body)
		}
		actions[env.Action] = true
		if env.Action == "create" {
			sameKeys(t, d.body, "comment_create.json")
		}
		del, err := c.ParseWebhook(d.h, d.body, time.Now())
		if err != nil || len(del.Refs) != 1 || del.Refs[0].ID != v.ID {
			t.Fatalf("parsed %+v %v", del, err)
		}
	}
	if !actions["create"] || !actions["update"] || !actions["remove"] {
		t.Fatalf("actions %v", actions)
	}
}

// sameKeys checks that the data of a sandbox delivery has every key the
// real fixture's data has.
func sameKeys(t *testing.T, body []byte, fixture string) {
	t.Helper()
	raw, err := fixtures.Read("linear", fixture)
	if err != nil {
		t.Fatal(err)
	}
	var real, ours struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(raw, &real); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &ours); err != nil {
		t.Fatal(err)
	}
	for k := range real.Data {
		if _, ok := ours.Data[k]; !ok {
			t.Errorf("sandbox %s payload lacks data.%s", fixture, k)
		}
	}
}
