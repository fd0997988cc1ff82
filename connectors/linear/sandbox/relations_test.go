package sandbox

import (
	"strings"
	"testing"
	"time"
)

// TestIssueRelations runs the relation mutations and reads both ends, as
// the schema types them.
func TestIssueRelations(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	s := newTest(t, Options{Now: c.now})
	create := `mutation C($input: IssueRelationCreateInput!) { issueRelationCreate(input: $input) { success issueRelation { id type issue { identifier } relatedIssue { identifier } createdAt updatedAt } } }`
	before := mustOK(t, post(t, s, BotKey, `{ issue(id: "ENG-2") { updatedAt } }`, nil))
	c.t = c.t.Add(time.Minute)
	d := mustOK(t, post(t, s, BotKey, create, map[string]any{"input": map[string]any{"issueId": "ENG-1", "relatedIssueId": "ENG-2", "type": "blocks"}}))
	id, _ := dig(d, "issueRelationCreate", "issueRelation", "id").(string)
	if id == "" || dig(d, "issueRelationCreate", "issueRelation", "relatedIssue", "identifier") != "ENG-2" {
		t.Fatalf("create: %v", d)
	}
	read := `{ issue(id: "ENG-2") { updatedAt relations(first: 10) { nodes { id } } inverseRelations(first: 10) { nodes { id type issue { identifier } } } } }`
	d = mustOK(t, post(t, s, BotKey, read, nil))
	if n := dig(d, "issue", "inverseRelations", "nodes").([]any); len(n) != 1 || dig(n[0], "issue", "identifier") != "ENG-1" || dig(n[0], "type") != "blocks" {
		t.Errorf("ENG-2 inverseRelations: %v", d)
	}
	if n := dig(d, "issue", "relations", "nodes").([]any); len(n) != 0 {
		t.Errorf("ENG-2 relations: %v", n)
	}
	if dig(d, "issue", "updatedAt") != dig(before, "issue", "updatedAt") {
		t.Errorf("a relation moved the issue's updatedAt: %v → %v", dig(before, "issue", "updatedAt"), dig(d, "issue", "updatedAt"))
	}
	// Bad inputs: an unknown issue, itself, a type the enum lacks.
	for _, in := range []map[string]any{
		{"issueId": "ENG-1", "relatedIssueId": "ENG-404", "type": "related"},
		{"issueId": "ENG-1", "relatedIssueId": "ENG-1", "type": "related"},
	} {
		if r := post(t, s, BotKey, create, map[string]any{"input": in}); len(r.Errors) == 0 {
			t.Errorf("%v: no error", in)
		}
	}
	if r := post(t, s, BotKey, create, map[string]any{"input": map[string]any{"issueId": "ENG-1", "relatedIssueId": "ENG-3", "type": "blocked"}}); len(r.Errors) == 0 || r.Status != 400 {
		t.Errorf("a type outside IssueRelationType: %d %s", r.Status, r.Raw)
	}
	upd := `mutation U($id: String!, $input: IssueRelationUpdateInput!) { issueRelationUpdate(id: $id, input: $input) { success issueRelation { type } } }`
	if d := mustOK(t, post(t, s, BotKey, upd, map[string]any{"id": id, "input": map[string]any{"type": "duplicate"}})); dig(d, "issueRelationUpdate", "issueRelation", "type") != "duplicate" {
		t.Errorf("update: %v", d)
	}
	c.t = c.t.Add(time.Minute)
	del := `mutation D($id: String!) { issueRelationDelete(id: $id) { success entityId } }`
	if d := mustOK(t, post(t, s, BotKey, del, map[string]any{"id": id})); dig(d, "issueRelationDelete", "entityId") != id {
		t.Errorf("delete: %v", d)
	}
	if r := post(t, s, BotKey, del, map[string]any{"id": id}); len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "Entity not found") {
		t.Errorf("second delete: %s", r.Raw)
	}
	d = mustOK(t, post(t, s, BotKey, `{ a: issueRelations(first: 5, orderBy: updatedAt) { nodes { id } } b: issueRelations(first: 5, orderBy: updatedAt, includeArchived: true) { nodes { id archivedAt updatedAt } } }`, nil))
	if n := dig(d, "a", "nodes").([]any); len(n) != 0 {
		t.Errorf("a deleted relation is listed: %v", n)
	}
	if n := dig(d, "b", "nodes").([]any); len(n) != 1 || dig(n[0], "archivedAt") == nil {
		t.Errorf("the deleted relation with includeArchived: %v", d)
	}
	if len(s.Relations("ENG-1")) != 0 {
		t.Errorf("Relations: %v", s.Relations("ENG-1"))
	}
	rid, err := s.UserRelate("alice@example.com", "ENG-3", "duplicate", "ENG-4")
	if err != nil {
		t.Fatal(err)
	}
	if rs := s.Relations("ENG-4"); len(rs) != 1 || rs[0].ID != rid || rs[0].Issue != "ENG-3" {
		t.Errorf("UserRelate: %v", rs)
	}
	if err := s.UserUnrelate("alice@example.com", rid); err != nil || len(s.Relations("ENG-4")) != 0 {
		t.Errorf("UserUnrelate: %v %v", err, s.Relations("ENG-4"))
	}
}
