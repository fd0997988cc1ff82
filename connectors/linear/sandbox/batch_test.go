package sandbox

import (
	"fmt"
	"strings"
	"testing"
)

const batchM = `mutation B($input: IssueBatchCreateInput!) { issueBatchCreate(input: $input) { success lastSyncId issues { id identifier title } } }`

func TestIssueBatchCreate(t *testing.T) {
	s := newTest(t, Options{})
	mustOK(t, post(t, s, BotKey, `mutation($in: WebhookCreateInput!) { webhookCreate(input: $in) { success } }`,
		map[string]any{"in": map[string]any{"url": "http://127.0.0.1:1/hook", "teamId": "ENG", "resourceTypes": []any{"Issue"}, "secret": "x"}}))
	s.PauseWebhooks(true)
	ids := []string{"6f1b7c0e-3a52-4d8e-9c1a-2b3c4d5e6f71", "6f1b7c0e-3a52-4d8e-9c1a-2b3c4d5e6f72"}
	in := []any{
		map[string]any{"id": ids[0], "teamId": s.TeamID(), "title": "One"},
		map[string]any{"id": ids[1], "teamId": s.TeamID(), "title": "Two", "parentId": ids[0]},
	}
	d := mustOK(t, post(t, s, BotKey, batchM, map[string]any{"input": map[string]any{"issues": in}}))
	if dig(d, "issueBatchCreate", "success") != true || dig(d, "issueBatchCreate", "issues", 0, "id") != ids[0] ||
		dig(d, "issueBatchCreate", "issues", 1, "identifier") != "ENG-14" || dig(d, "issueBatchCreate", "issues", 1, "title") != "Two" {
		t.Fatalf("batch: %v", d)
	}
	if v, _ := s.Issue(ids[1]); v.ParentID != ids[0] {
		t.Fatalf("parent made in the same batch: %+v", v)
	}
	if n := s.PendingDeliveries(); n != 2 {
		t.Fatalf("Issue create webhooks = %d, want one per issue", n)
	}
	if n := s.Requests(BotEmail).ByOperation["issueBatchCreate"]; n != 1 {
		t.Fatalf("issueBatchCreate counted %d", n)
	}

	// One transaction: a duplicate id (the second item) fails the batch
	// and creates nothing, not even the valid first item.
	before := s.Count()
	third := "6f1b7c0e-3a52-4d8e-9c1a-2b3c4d5e6f73"
	r := post(t, s, BotKey, batchM, map[string]any{"input": map[string]any{"issues": []any{
		map[string]any{"id": third, "teamId": s.TeamID(), "title": "Three"},
		map[string]any{"id": ids[0], "teamId": s.TeamID(), "title": "Again"},
	}}})
	if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "INVALID_INPUT" || !strings.Contains(r.Errors[0].Message, "already exists") {
		t.Fatalf("duplicate in batch: %s", r.Raw)
	}
	if _, ok := s.Issue(third); ok || s.Count() != before || s.PendingDeliveries() != 2 {
		t.Fatalf("a failed batch left issues (%d, was %d) or webhooks (%d)", s.Count(), before, s.PendingDeliveries())
	}
	// The numbering did not move either.
	d = mustOK(t, post(t, s, BotKey, batchM, map[string]any{"input": map[string]any{"issues": []any{
		map[string]any{"id": third, "teamId": s.TeamID(), "title": "Three"}}}}))
	if dig(d, "issueBatchCreate", "issues", 0, "identifier") != "ENG-15" {
		t.Fatalf("after a rolled back batch: %v", d)
	}

	// More than the cap is refused, creating nothing.
	var many []any
	for k := range maxBatchCreate + 1 {
		many = append(many, map[string]any{"teamId": s.TeamID(), "title": fmt.Sprint("n", k)})
	}
	before = s.Count()
	r = post(t, s, BotKey, batchM, map[string]any{"input": map[string]any{"issues": many}})
	if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "INVALID_INPUT" || s.Count() != before {
		t.Fatalf("over the cap: %s", r.Raw)
	}
	// A bad field of one issue is reported like issueCreate's.
	r = post(t, s, BotKey, batchM, map[string]any{"input": map[string]any{"issues": []any{
		map[string]any{"teamId": s.TeamID(), "title": "ok"}, map[string]any{"teamId": s.TeamID(), "title": " "}}}})
	if len(r.Errors) == 0 || !strings.Contains(fmt.Sprint(r.Errors[0].Extensions["userPresentableMessage"]), "Title") || s.Count() != before {
		t.Fatalf("empty title: %s", r.Raw)
	}
}

func TestIssuesFilterIDIn(t *testing.T) {
	s := newTest(t, Options{})
	d := mustOK(t, post(t, s, BotKey, `{ issue(id: "ENG-2") { id } }`, nil))
	id2 := dig(d, "issue", "id").(string)
	d = mustOK(t, post(t, s, BotKey, `query Q($ids: [ID!]) { issues(filter: {id: {in: $ids}}, first: 10, includeArchived: true) { nodes { id identifier } } }`,
		map[string]any{"ids": []any{id2, "00000000-0000-4000-8000-000000000000"}}))
	nodes, _ := dig(d, "issues", "nodes").([]any)
	if len(nodes) != 1 || dig(nodes, 0, "identifier") != "ENG-2" {
		t.Fatalf("issues by id: %v", d)
	}
}
