package jira

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

func TestCommentsCRUD(t *testing.T) {
	e := newEnvWith(t, sandbox.Options{SeedIssues: -1}, func(sb *sandbox.Server, cfg *Config) {
		sb.HideEmail("carol@example.com", true)
	})
	id, key, _ := e.sb.UserCreate("alice@example.com", map[string]any{"summary": "talk"})
	if err := e.sb.UserComment("bob@example.com", key, "first *bold* from {{bob}}"); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.UserComment("carol@example.com", key, "hidden author"); err != nil {
		t.Fatal(err)
	}
	cid, err := e.c.CreateComment(ctx(t), id, "Ours: **strong** and `code`\n\n- one\n- two")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := e.c.Comments(ctx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 3 {
		t.Fatalf("%d comments: %+v", len(cs), cs)
	}
	for i, want := range []struct{ author, body string }{
		{"bob@example.com", "first **bold** from `bob`"},
		{"Carol Example", "hidden author"},
		{sandbox.BotEmail, "Ours: **strong** and `code`\n\n- one\n- two"},
	} {
		if cs[i].Author != want.author || cs[i].Body != want.body {
			t.Errorf("comment %d: %q by %q, want %q by %q", i, cs[i].Body, cs[i].Author, want.body, want.author)
		}
		if cs[i].Created.IsZero() || cs[i].Updated.Before(cs[i].Created) {
			t.Errorf("comment %d times %v %v", i, cs[i].Created, cs[i].Updated)
		}
	}
	if cs[2].ID != cid {
		t.Errorf("created id %s, listed %s", cid, cs[2].ID)
	}
	if v, _ := e.sb.Issue(id); !strings.Contains(v.Comments[2], "*strong*") {
		t.Errorf("wiki body %q", v.Comments[2])
	}
	if err := e.c.UpdateComment(ctx(t), id, cid, "edited _now_"); err != nil {
		t.Fatal(err)
	}
	cs, _ = e.c.Comments(ctx(t), id)
	if cs[2].Body != "edited _now_" {
		t.Errorf("after update: %q", cs[2].Body)
	}
	if err := e.c.UpdateComment(ctx(t), id, "999999", "x"); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("update of an unknown comment: %v", err)
	}
	for _, body := range []string{"", "  \n"} {
		if _, err := e.c.CreateComment(ctx(t), id, body); !connectors.IsPermanent(err) {
			t.Errorf("empty body %q: %v", body, err)
		}
	}
	if err := e.c.DeleteComment(ctx(t), id, cid); err != nil {
		t.Fatal(err)
	}
	if err := e.c.DeleteComment(ctx(t), id, cid); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	if cs, _ := e.c.Comments(ctx(t), id); len(cs) != 2 {
		t.Errorf("%d comments after delete", len(cs))
	}
	if _, err := e.c.Comments(ctx(t), "424242"); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("comments of an unknown issue: %v", err)
	}
}

// TestCommentsPaging lists more comments than one page holds.
func TestCommentsPaging(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: -1})
	id, key, _ := e.sb.UserCreate("alice@example.com", map[string]any{"summary": "busy"})
	for i := range 2*commentPage + 5 {
		if err := e.sb.UserComment("alice@example.com", key, fmt.Sprintf("c%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	e.sb.ResetCounts()
	cs, err := e.c.Comments(ctx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2*commentPage+5 || cs[0].Body != "c0" || cs[len(cs)-1].Body != fmt.Sprintf("c%d", len(cs)-1) {
		t.Fatalf("%d comments, first %q", len(cs), cs[0].Body)
	}
	if n := e.sb.Requests(sandbox.BotEmail).Reads; n != 3 {
		t.Errorf("%d reads, want 3", n)
	}
}

// TestCommentWebhooks: comment_created, comment_updated and
// comment_deleted deliveries name the issue.
func TestCommentWebhooks(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 2, RetryDelay: time.Millisecond})
	var mu sync.Mutex
	events := map[string]int{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		d, err := e.c.ParseWebhook(r.Header, body, time.Now())
		ev := "?"
		for _, name := range []string{"comment_created", "comment_updated", "comment_deleted", "jira:issue_updated"} {
			if strings.Contains(string(body), `"webhookEvent":"`+name+`"`) {
				ev = name
			}
		}
		// The issue's own update event, the bot's doing, is Tandem's own
		// change (ignored); the comment events name the issue.
		own := ev == "jira:issue_updated" && err == nil && d.Ignored == "Tandem's own change to TAN-2"
		if !own && (err != nil || len(d.Refs) != 1 || d.Refs[0].Key != "TAN-2") {
			t.Errorf("delivery %+v: %v", d, err)
		}
		mu.Lock()
		events[ev]++
		mu.Unlock()
	}))
	t.Cleanup(rcv.Close)
	if err := e.c.EnsureWebhook(ctx(t), rcv.URL, e.secret); err != nil {
		t.Fatal(err)
	}
	cid, err := e.c.CreateComment(ctx(t), "TAN-2", "hello")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sb.UserEditComment("bob@example.com", "TAN-2", cid, "hello *again*"); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.UserDeleteComment("bob@example.com", "TAN-2", cid); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		mu.Lock()
		done := events["comment_created"] == 1 && events["comment_updated"] == 1 && events["comment_deleted"] == 1 && events["jira:issue_updated"] == 3
		mu.Unlock()
		if done {
			return
		}
		if time.Now().After(deadline) {
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("deliveries by event: %v", events)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
