package linear

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

const testSecret = "whsec-test"

// testWriter sends the client's log lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func start(t *testing.T, opts sandbox.Options) *sandbox.Server {
	t.Helper()
	s := sandbox.New(opts)
	if _, err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if v := s.ValidationErrors(); len(v) > 0 {
			t.Errorf("the sandbox rejected documents: %q", v)
		}
		s.Close()
	})
	return s
}

func connect(t *testing.T, s *sandbox.Server, key string, opts ...func(*Config)) (*Client, error) {
	t.Helper()
	cfg := Config{URL: s.URL(), APIKey: key, Team: "ENG", WebhookSecret: testSecret,
		HTTPClient: &http.Client{Transport: recorder{base: http.DefaultTransport}, Timeout: 10 * time.Second},
		Logger:     slog.New(slog.NewTextHandler(testWriter{t}, nil))}
	for _, o := range opts {
		o(&cfg)
	}
	return New(t.Context(), cfg)
}

func setup(t *testing.T, opts sandbox.Options, cfg ...func(*Config)) (*sandbox.Server, *Client) {
	t.Helper()
	s := start(t, opts)
	c, err := connect(t, s, sandbox.BotKey, cfg...)
	if err != nil {
		t.Fatal(err)
	}
	s.ResetCounts()
	return s, c
}

func TestNew(t *testing.T) {
	s, c := setup(t, sandbox.Options{})
	if c.TeamID() != s.TeamID() || c.viewerEmail != sandbox.BotEmail {
		t.Fatalf("team %s viewer %s", c.TeamID(), c.viewerEmail)
	}
	if len(c.cat.states) != 6 || c.cat.states[0].Name != "Backlog" || len(c.cat.users) != 3 || len(c.cat.labels) != 11 || len(c.cat.cycles) != 3 ||
		c.cat.est != (estimation{Type: "fibonacci"}) || c.cat.cycles["hardening"].Name != "Hardening" {
		t.Fatalf("catalog: %+v", c.cat)
	}
	_, err := connect(t, s, "lin_api_wrong")
	if !errors.Is(err, connectors.ErrUnauthorized) || !connectors.IsPermanent(err) {
		t.Fatalf("bad key: %v", err)
	}
	_, err = New(t.Context(), Config{URL: s.URL(), APIKey: sandbox.BotKey, Team: "NOPE", HTTPClient: &http.Client{Transport: recorder{http.DefaultTransport}}})
	if !errors.Is(err, connectors.ErrNotFound) {
		t.Fatalf("unknown team: %v", err)
	}
}

func TestGet(t *testing.T) {
	s, c := setup(t, sandbox.Options{})
	v, _ := s.Issue("ENG-1")
	it, err := c.Get(t.Context(), v.ID)
	if err != nil {
		t.Fatal(err)
	}
	est := 3.0
	want := backlog.Item{
		Ref:   backlog.Ref{Side: backlog.Linear, ID: v.ID, Key: "ENG-1"},
		Title: v.Title, Description: v.Description,
		Status:   backlog.StatusValue{Name: "In Progress", Category: backlog.CategoryStarted},
		Priority: backlog.PriorityHighest, Assignee: sandbox.AliceEmail, Labels: []string{"Bug"},
		Estimate: &est, Rank: "1000", UpdatedAt: v.UpdatedAt,
	}
	if it.Ref != want.Ref || it.Title != want.Title || it.Description != want.Description || it.Status != want.Status ||
		it.Priority != want.Priority || it.Assignee != want.Assignee || !slices.Equal(it.Labels, want.Labels) ||
		*it.Estimate != est || it.Rank != want.Rank || !it.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("got %+v\nwant %+v", it, want)
	}
	// By identifier too, and due date / parent / cycle.
	if err := s.UserUpdate(sandbox.BobEmail, "ENG-3", map[string]any{"parentId": v.ID}); err != nil {
		t.Fatal(err)
	}
	it, err = c.Get(t.Context(), "ENG-3")
	if err != nil || it.DueDate != "2026-12-15" || it.Parent != v.ID || it.Status.Category != backlog.CategoryBacklog {
		t.Fatalf("ENG-3: %+v %v", it, err)
	}
	_, err = c.Get(t.Context(), "00000000-0000-4000-8000-000000000000")
	if !errors.Is(err, connectors.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if err := s.UserDelete(sandbox.AliceEmail, "ENG-2"); err != nil {
		t.Fatal(err)
	}
	// A trashed issue is kept (restorable): it reads as archived.
	if it, err = c.Get(t.Context(), "ENG-2"); err != nil || !it.Archived {
		t.Fatalf("trashed: %+v %v", it, err)
	}
}

func TestCreateIdempotent(t *testing.T) {
	s, c := setup(t, sandbox.Options{})
	id := backlog.TwinID("jira.example.com", "10042")
	it := backlog.Item{Ref: backlog.Ref{Side: backlog.Linear, ID: id}, Title: "From Jira", Description: "Some *Markdown*",
		Status: backlog.StatusValue{Name: "In Review", Category: backlog.CategoryStarted}, Priority: backlog.PriorityLowest,
		Assignee: sandbox.BobEmail, DueDate: "2027-01-02"}
	ref, err := c.Create(t.Context(), it)
	if err != nil {
		t.Fatal(err)
	}
	if ref.ID != id || ref.Key != "ENG-13" {
		t.Fatalf("ref %+v", ref)
	}
	again, err := c.Create(t.Context(), it)
	if err != nil || again != ref {
		t.Fatalf("second create: %+v %v", again, err)
	}
	// The second create is tried, refused as a duplicate and read back.
	if n := s.Requests(sandbox.BotEmail).ByOperation["issueCreate"]; n != 2 || s.Count() != 13 {
		t.Fatalf("issueCreate calls = %d, issues %d", n, s.Count())
	}
	v, _ := s.Issue(id)
	if v.Title != "From Jira" || v.State != "In Review" || v.Priority != 4 || v.Assignee != sandbox.BobEmail || v.DueDate != "2027-01-02" {
		t.Fatalf("created %+v", v)
	}
	// Without an id: a fresh issue each time.
	ref2, err := c.Create(t.Context(), backlog.Item{Title: "No id", Status: backlog.StatusValue{Name: "Whatever", Category: backlog.CategoryTodo}})
	if err != nil || ref2.ID == "" || ref2.ID == id {
		t.Fatalf("create without id: %+v %v", ref2, err)
	}
	if v, _ := s.Issue(ref2.ID); v.State != "Todo" {
		t.Fatalf("category fallback: %s", v.State)
	}
	// Linear refuses a duplicate id; the connector reads that as "exists".
	err = c.exec(t.Context(), "dup", createMutation, map[string]any{"input": map[string]any{"id": id, "teamId": c.teamID, "title": "x"}}, &struct{}{})
	if !isDuplicate(err) || !connectors.IsPermanent(err) {
		t.Fatalf("duplicate: %v", err)
	}
}

func TestApply(t *testing.T) {
	s, c := setup(t, sandbox.Options{}, func(cfg *Config) { cfg.CreateLabels = true })
	v, _ := s.Issue("ENG-6") // Feature
	parent, _ := s.Issue("ENG-1")
	p := backlog.Patch{
		backlog.Title: "Onboarding checklist v2", backlog.Description: "- [x] done",
		backlog.Status: "done:Closed", backlog.Priority: "high", backlog.Assignee: sandbox.AliceEmail,
		backlog.Labels: "+bug\n+New label", backlog.Estimate: "5", backlog.DueDate: "2027-02-03",
		backlog.Parent: backlog.Value(parent.ID), backlog.Sprint: "Cycle 2", backlog.Rank: "-250.5",
	}
	before, err := c.Get(t.Context(), v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(t.Context(), v.ID, p); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Issue(v.ID)
	if got.Title != "Onboarding checklist v2" || got.Description != "- [x] done" || got.State != "Done" || got.Priority != 2 ||
		got.Assignee != sandbox.AliceEmail || !slices.Equal(got.Labels, []string{"Feature", "Bug", "New label"}) || *got.Estimate != 5 ||
		got.DueDate != "2027-02-03" || got.ParentID != parent.ID || got.Cycle != "Cycle 2" || got.SortOrder != -250.5 {
		t.Fatalf("applied: %+v", got)
	}
	cnt := s.Requests(sandbox.BotEmail)
	if cnt.ByOperation["issueUpdate"] != 1 || cnt.ByOperation["issueLabelCreate"] != 1 || cnt.Writes != 2 {
		t.Fatalf("calls: %+v", cnt)
	}
	// Read back equals Project of what was written, field by field (for
	// labels, of the set the delta gives).
	it, err := c.Get(t.Context(), v.ID)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := p.Apply(before)
	for f := range p {
		if got, want := it.Get(f), c.Project(f, want.Get(f)); got != want {
			t.Errorf("%s: read back %q, Project says %q", f, got, want)
		}
	}
	// Clearing and an unknown assignee.
	if err := c.Apply(t.Context(), v.ID, backlog.Patch{backlog.Assignee: "nobody@example.com", backlog.Labels: "-feature\n-Bug\n-New label",
		backlog.Estimate: "", backlog.DueDate: "", backlog.Parent: "", backlog.Sprint: ""}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Issue(v.ID)
	if got.Assignee != "" || len(got.Labels) != 0 || got.Estimate != nil || got.DueDate != "" || got.ParentID != "" || got.Cycle != "" {
		t.Fatalf("cleared: %+v", got)
	}
	// An unknown user makes the connector reload its catalog once.
	c.now = func() time.Time { return time.Now().Add(2 * refreshEvery) }
	s.ResetCounts()
	if err := c.Apply(t.Context(), v.ID, backlog.Patch{backlog.Assignee: "carol@example.com"}); err != nil {
		t.Fatal(err)
	}
	if n := s.Requests(sandbox.BotEmail).ByOperation["viewer"]; n != 1 {
		t.Fatalf("catalog reloads = %d, want 1", n)
	}
	if err := c.Apply(t.Context(), v.ID, backlog.Patch{backlog.Assignee: "carol@example.com"}); err != nil {
		t.Fatal(err)
	}
	if n := s.Requests(sandbox.BotEmail).ByOperation["viewer"]; n != 1 {
		t.Fatalf("catalog reloads = %d, want still 1", n)
	}
	if err := c.Apply(t.Context(), v.ID, backlog.Patch{backlog.Rank: "abc"}); !connectors.IsPermanent(err) {
		t.Fatalf("bad rank: %v", err)
	}
	if err := c.Apply(t.Context(), "00000000-0000-4000-8000-000000000000", backlog.Patch{backlog.Title: "x"}); !errors.Is(err, connectors.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	// A label created meanwhile by someone else is found, not duplicated.
	s.ResetCounts()
	other, err := connect(t, s, sandbox.AliceKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.createLabel(t.Context(), "Raced"); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(t.Context(), v.ID, backlog.Patch{backlog.Labels: "+raced"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Issue(v.ID); !slices.Equal(got.Labels, []string{"Raced"}) {
		t.Fatalf("raced label: %v", got.Labels)
	}
	if err := c.Apply(t.Context(), v.ID, nil); err != nil {
		t.Fatal(err)
	}
}

func TestErrorMapping(t *testing.T) {
	s, c := setup(t, sandbox.Options{})
	s.RateLimit(1, 42*time.Second)
	_, err := c.Get(t.Context(), "ENG-1")
	var rl *connectors.RateLimitError
	if !errors.As(err, &rl) || rl.Side != backlog.Linear || rl.RetryAfter < 40*time.Second || rl.RetryAfter > 43*time.Second {
		t.Fatalf("rate limit: %v", err)
	}
	if connectors.IsPermanent(err) {
		t.Fatalf("rate limit is not permanent")
	}
	if _, err := c.Get(t.Context(), "ENG-1"); err != nil {
		t.Fatalf("after the limit: %v", err)
	}
	s.Fail(1, http.StatusServiceUnavailable)
	_, err = c.Get(t.Context(), "ENG-1")
	if err == nil || connectors.IsPermanent(err) || errors.As(err, &rl) {
		t.Fatalf("503 should be transient: %v", err)
	}
	// Through the retry wrapper the 503 is retried away.
	s.Fail(1, http.StatusBadGateway)
	r := connectors.WithRetry(c, connectors.RetryPolicy{Base: time.Millisecond})
	if _, err := r.Get(t.Context(), "ENG-1"); err != nil {
		t.Fatalf("retried: %v", err)
	}
	// Invalid input is permanent.
	err = c.Apply(t.Context(), "ENG-1", backlog.Patch{backlog.Title: " "})
	if !connectors.IsPermanent(err) {
		t.Fatalf("empty title: %v", err)
	}
}

func TestRetryAfterHeaders(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	cases := []struct {
		name string
		h    map[string]string
		want time.Duration
	}{
		{"requests exhausted", map[string]string{"X-RateLimit-Requests-Remaining": "0", "X-RateLimit-Requests-Reset": "1700000030000"}, 30 * time.Second},
		{"complexity exhausted", map[string]string{"X-RateLimit-Requests-Remaining": "10", "X-RateLimit-Requests-Reset": "1700000030000",
			"X-RateLimit-Complexity-Remaining": "0", "X-RateLimit-Complexity-Reset": "1700000090000"}, 90 * time.Second},
		{"retry-after", map[string]string{"Retry-After": "12"}, 12 * time.Second},
		{"retry-after beats a full refill", map[string]string{"Retry-After": "12", "X-RateLimit-Requests-Remaining": "0", "X-RateLimit-Requests-Reset": "1700003600000"}, 12 * time.Second},
		{"seconds epoch", map[string]string{"X-RateLimit-Requests-Remaining": "0", "X-RateLimit-Requests-Reset": "1700000005"}, 5 * time.Second},
		{"reset in the past", map[string]string{"X-RateLimit-Requests-Remaining": "0", "X-RateLimit-Requests-Reset": "1600000000000"}, time.Second},
		{"nothing", nil, time.Minute},
		{"garbage", map[string]string{"Retry-After": "soon", "X-RateLimit-Requests-Reset": "x"}, time.Minute},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range c.h {
				h.Set(k, v)
			}
			if got := retryAfter(h, now); got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}

func drain(t *testing.T, ctx context.Context, c *Client, cursor string) (refs []backlog.Ref, next string, pages int) {
	t.Helper()
	for {
		p, err := c.Changed(ctx, cursor)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, p.Refs...)
		cursor = p.Next
		pages++
		if !p.More {
			return refs, cursor, pages
		}
		if pages > 100 {
			t.Fatal("Changed never ends")
		}
	}
}

func TestChangedPaging(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	s, c := setup(t, sandbox.Options{SeedIssues: 2*changedPage + 20, Now: clk.now})
	refs, cur, pages := drain(t, t.Context(), c, "")
	if pages != 3 || len(refs) != 2*changedPage+20 {
		t.Fatalf("pages %d refs %d", pages, len(refs))
	}
	seen := map[string]bool{}
	for _, r := range refs {
		if seen[r.ID] || r.Side != backlog.Linear || r.Key == "" {
			t.Fatalf("bad or repeated ref %+v", r)
		}
		seen[r.ID] = true
	}
	// Nothing changed: nothing reported.
	clk.advance(10 * time.Second)
	refs, cur, _ = drain(t, t.Context(), c, cur)
	if len(refs) != 0 {
		t.Fatalf("unchanged pass reported %d refs", len(refs))
	}
	// One human edit: exactly that issue.
	clk.advance(time.Second)
	if err := s.UserUpdate(sandbox.AliceEmail, "ENG-7", map[string]any{"title": "edited"}); err != nil {
		t.Fatal(err)
	}
	refs, cur, _ = drain(t, t.Context(), c, cur)
	if len(refs) != 1 || refs[0].Key != "ENG-7" {
		t.Fatalf("after one edit: %+v", refs)
	}
	// Inside the overlap window a version is reported again only until the
	// server's clock has passed it by a second; then never while unchanged.
	clk.advance(2 * time.Second)
	refs, cur, _ = drain(t, t.Context(), c, cur)
	if len(refs) > 1 {
		t.Fatalf("repeat: %+v", refs)
	}
	clk.advance(2 * time.Second)
	if refs, _, _ = drain(t, t.Context(), c, cur); len(refs) != 0 {
		t.Fatalf("repeat after settling: %+v", refs)
	}
	// Only our team: the filter carries the team id.
	if n := s.Requests(sandbox.BotEmail).ByOperation["issues"]; n == 0 {
		t.Fatal("no issues query counted")
	}
	if _, err := c.Changed(t.Context(), "{not json"); !connectors.IsPermanent(err) {
		t.Fatalf("bad cursor: %v", err)
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeClock) advance(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}
