package sandbox

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// TestSeedLargeBacklog: 5000 seeded issues come fast, with distinct ids,
// identifiers and sortOrders, and Issues lists them in ascending sortOrder.
func TestSeedLargeBacklog(t *testing.T) {
	start := time.Now()
	s := newTest(t, Options{SeedIssues: 5000})
	if d := time.Since(start); d > time.Second {
		t.Errorf("seeding 5000 issues took %s", d)
	}
	all := s.Issues()
	if len(all) != 5000 {
		t.Fatalf("%d issues", len(all))
	}
	ids, keys, sorts := map[string]bool{}, map[string]bool{}, map[float64]bool{}
	for k, v := range all {
		if ids[v.ID] || keys[v.Identifier] || sorts[v.SortOrder] {
			t.Fatalf("issue %d (%s) repeats an id, identifier or sortOrder", k, v.Identifier)
		}
		ids[v.ID], keys[v.Identifier], sorts[v.SortOrder] = true, true, true
		if k > 0 && !(all[k-1].SortOrder < v.SortOrder) {
			t.Fatalf("Issues not in ascending sortOrder at %d", k)
		}
	}
	// The API pages through all of them, 250 at a time.
	n, after := 0, ""
	for {
		vars := map[string]any{"first": 250}
		if after != "" {
			vars["after"] = after
		}
		d := mustOK(t, post(t, s, BotKey, `query($first: Int, $after: String) { issues(first: $first, after: $after) { nodes { id sortOrder } pageInfo { hasNextPage endCursor } } }`, vars))
		for _, node := range dig(d, "issues", "nodes").([]any) {
			if _, ok := node.(map[string]any)["sortOrder"].(float64); !ok {
				t.Fatalf("sortOrder not a number: %v", node)
			}
			n++
		}
		if dig(d, "issues", "pageInfo", "hasNextPage") != true {
			break
		}
		after = dig(d, "issues", "pageInfo", "endCursor").(string)
	}
	if n != 5000 {
		t.Fatalf("paged %d issues", n)
	}
}

// TestSortOrderUpdate: issueUpdate(sortOrder) moves the issue in the manual
// order, records history (in changes) and fires a webhook whose
// updatedFrom carries the old sortOrder and updatedAt; UserMove does the
// same as a person and is not counted; ByOperation counts exactly.
func TestSortOrderUpdate(t *testing.T) {
	sink := &hookSink{}
	hs := httptest.NewServer(sink)
	defer hs.Close()
	c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	s := newTest(t, Options{Now: c.now})
	mustOK(t, post(t, s, BotKey, `mutation($in: WebhookCreateInput!) { webhookCreate(input: $in) { success } }`,
		map[string]any{"in": map[string]any{"url": hs.URL, "teamId": s.TeamID(), "resourceTypes": []any{"Issue"}, "secret": "s"}}))
	s.ResetCounts()
	before := s.Issues()
	last := before[len(before)-1]
	old, _ := s.Issue(last.ID)
	c.t = c.t.Add(time.Minute)

	// Move the last issue to the top.
	top := before[0].SortOrder - 1000.5
	upd := `mutation($id: String!, $s: Float!) { issueUpdate(id: $id, input: {sortOrder: $s}) { success issue { sortOrder updatedAt } } }`
	d := mustOK(t, post(t, s, BotKey, upd, map[string]any{"id": last.ID, "s": top}))
	if dig(d, "issueUpdate", "issue", "sortOrder") != top {
		t.Fatalf("answer: %v", d)
	}
	after := s.Issues()
	if after[0].ID != last.ID || after[0].SortOrder != top {
		t.Fatalf("top is %s, want %s", after[0].Identifier, last.Identifier)
	}
	if !slices.EqualFunc(after[1:], before[:len(before)-1], func(a, b IssueView) bool { return a.ID == b.ID }) {
		t.Fatal("the other issues changed order")
	}
	if v, _ := s.Issue(last.ID); v.History != old.History+1 || !v.UpdatedAt.Equal(c.t) {
		t.Fatalf("history %d → %d, updatedAt %s", old.History, v.History, v.UpdatedAt)
	}
	h := mustOK(t, post(t, s, BotKey, `query($id: String!) { issue(id: $id) { history(first: 1) { nodes { changes actor { email } } } } }`, map[string]any{"id": last.ID}))
	ch := dig(h, "issue", "history", "nodes", 0, "changes", "sortOrder")
	if dig(ch, "from") != last.SortOrder || dig(ch, "to") != top || dig(h, "issue", "history", "nodes", 0, "actor", "email") != BotEmail {
		t.Fatalf("history: %v", h)
	}
	waitFor(t, "webhook", func() bool { return sink.count() == 1 })
	var p map[string]any
	if err := json.Unmarshal(sink.bodies[0], &p); err != nil {
		t.Fatal(err)
	}
	uf, _ := p["updatedFrom"].(map[string]any)
	if p["action"] != "update" || uf["sortOrder"] != last.SortOrder || uf["updatedAt"] != ts(old.UpdatedAt) || dig(p, "data", "sortOrder") != top || len(uf) != 2 {
		t.Fatalf("webhook: %s", sink.bodies[0])
	}
	// Writing the same sortOrder again changes nothing: no history, no webhook.
	mustOK(t, post(t, s, BotKey, upd, map[string]any{"id": last.ID, "s": top}))

	// Two aliased updates in one document count twice.
	two := `mutation($a: String!, $b: String!) { x: issueUpdate(id: $a, input: {sortOrder: 1.5}) { success } y: issueUpdate(id: $b, input: {sortOrder: 2.5}) { success } }`
	mustOK(t, post(t, s, BotKey, two, map[string]any{"a": before[0].ID, "b": before[1].ID}))
	if got := s.Requests(BotEmail).ByOperation["issueUpdate"]; got != 4 {
		t.Fatalf("issueUpdate counted %d times, want 4", got)
	}

	// A person drags an issue: same path, not a request of anyone.
	if err := s.UserMove(AliceEmail, before[2].Identifier, -1e6); err != nil {
		t.Fatal(err)
	}
	if got := s.Issues()[0]; got.ID != before[2].ID || got.SortOrder != -1e6 {
		t.Fatalf("UserMove: top is %s %v", got.Identifier, got.SortOrder)
	}
	if r := s.Requests(AliceEmail); r.Reads+r.Writes != 0 || s.Requests(BotEmail).ByOperation["issueUpdate"] != 4 {
		t.Fatalf("UserMove was counted: %+v", r)
	}
	waitFor(t, "webhooks", func() bool { return sink.count() == 4 })
	if err := s.UserMove(AliceEmail, "ENG-999", 1); err == nil {
		t.Fatal("UserMove of a missing issue succeeded")
	}
}

// TestNewIssueGoesToTop: issueCreate without a sortOrder puts the issue
// above every other issue of the team; with one, keeps it.
func TestNewIssueGoesToTop(t *testing.T) {
	s := newTest(t, Options{})
	id, _, err := s.UserCreate(AliceEmail, map[string]any{"title": "New"})
	if err != nil {
		t.Fatal(err)
	}
	all := s.Issues()
	if all[0].ID != id || !(all[0].SortOrder < all[1].SortOrder) {
		t.Fatalf("new issue at %v, first is %s", all[0].SortOrder, all[0].Identifier)
	}
	id2, _, err := s.UserCreate(AliceEmail, map[string]any{"title": "Placed", "sortOrder": 1e9})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Issue(id2); v.SortOrder != 1e9 {
		t.Fatalf("sortOrder in the input: %v", v.SortOrder)
	}
}
