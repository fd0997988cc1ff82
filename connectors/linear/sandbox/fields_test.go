package sandbox

import (
	"strings"
	"testing"
)

// TestTeamEstimation: the team's estimate settings read as the schema
// names them, and an estimate off the scale is refused (all or nothing).
func TestTeamEstimation(t *testing.T) {
	s := newTest(t, Options{})
	q := `{ team(id: "ENG") { issueEstimationType issueEstimationAllowZero issueEstimationExtended } }`
	d := mustOK(t, post(t, s, BotKey, q, nil))
	if dig(d, "team", "issueEstimationType") != "fibonacci" || dig(d, "team", "issueEstimationAllowZero") != false {
		t.Fatalf("team %v", d)
	}
	upd := `mutation($id: String!, $e: Int) { issueUpdate(id: $id, input: {estimate: $e, title: "changed"}) { success } }`
	for _, c := range []struct {
		typ       string
		zero, ext bool
		estimate  int
		ok        bool
	}{
		{"fibonacci", false, false, 5, true}, {"fibonacci", false, false, 4, false}, {"fibonacci", false, false, 0, false},
		{"fibonacci", false, true, 21, true}, {"exponential", true, false, 0, true}, {"exponential", false, false, 3, false},
		{"linear", false, true, 7, true}, {"linear", false, false, 7, false}, {"tShirt", false, false, 8, true}, {"notUsed", false, false, 1, false},
	} {
		s.SetEstimation(c.typ, c.zero, c.ext)
		before, _ := s.Issue("ENG-2")
		r := post(t, s, BotKey, upd, map[string]any{"id": "ENG-2", "e": c.estimate})
		after, _ := s.Issue("ENG-2")
		if c.ok != (len(r.Errors) == 0) {
			t.Fatalf("%+v: %s", c, r.Raw)
		}
		if !c.ok && after.Title != before.Title {
			t.Fatalf("%+v: a refused update changed the title", c)
		}
	}
	// Unsetting is always allowed.
	mustOK(t, post(t, s, BotKey, upd, map[string]any{"id": "ENG-2", "e": nil}))
}

// TestCyclesAndProjects: cycles carry numbers, dates and optional names;
// issues filter by project and by labels.
func TestCyclesAndProjects(t *testing.T) {
	s := newTest(t, Options{})
	d := mustOK(t, post(t, s, BotKey, `{ team(id: "ENG") { cycles { nodes { name number startsAt endsAt } } projects { nodes { id name } } activeCycle { number } } }`, nil))
	named := 0
	for _, n := range dig(d, "team", "cycles", "nodes").([]any) {
		c := n.(map[string]any)
		if c["name"] != nil {
			named++
		}
		if c["startsAt"] == nil || c["endsAt"] == nil || c["number"] == nil {
			t.Fatalf("cycle %v", c)
		}
	}
	if named != 1 || dig(d, "team", "activeCycle", "number") != float64(2) {
		t.Fatalf("cycles %v", d)
	}
	pid := dig(d, "team", "projects", "nodes", 0, "id").(string)
	count := func(filter map[string]any) int {
		d := mustOK(t, post(t, s, BotKey, issuesQ, map[string]any{"filter": filter}))
		return len(ids(t, d))
	}
	if n := count(map[string]any{"project": map[string]any{"id": map[string]any{"eq": pid}}}); n != 4 {
		t.Fatalf("in project: %d", n)
	}
	if n := count(map[string]any{"project": map[string]any{"null": true}}); n != 8 {
		t.Fatalf("no project: %d", n)
	}
	labels := map[string]any{"labels": map[string]any{"some": map[string]any{"or": []any{
		map[string]any{"name": map[string]any{"eqIgnoreCase": "bug"}}, map[string]any{"name": map[string]any{"eqIgnoreCase": "DOCS"}}}}}}
	if n := count(labels); n != 5 {
		t.Fatalf("bug or docs: %d", n)
	}
	// projectId on update; a project must include the issue's team.
	mustOK(t, post(t, s, BotKey, `mutation($p: String) { issueUpdate(id: "ENG-2", input: {projectId: $p}) { success issue { project { name } } } }`, map[string]any{"p": pid}))
	if n := count(map[string]any{"project": map[string]any{"name": map[string]any{"eq": "Q4 Launch"}}}); n != 5 {
		t.Fatalf("after adding ENG-2: %d", n)
	}
	r := post(t, s, BotKey, `mutation { issueUpdate(id: "ENG-2", input: {projectId: "nope"}) { success } }`, nil)
	if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "Entity not found: Project") {
		t.Fatalf("unknown project: %s", r.Raw)
	}
}

// TestCommentReplies: a reply carries its thread root (parent, parentId,
// the root's children); a reply to a reply joins the root's thread.
func TestCommentReplies(t *testing.T) {
	s := newTest(t, Options{})
	create := `mutation($in: CommentCreateInput!) { commentCreate(input: $in) { success comment { id parentId parent { id } } } }`
	d := mustOK(t, post(t, s, BotKey, create, map[string]any{"in": map[string]any{"issueId": "ENG-1", "body": "root"}}))
	root := dig(d, "commentCreate", "comment", "id").(string)
	if dig(d, "commentCreate", "comment", "parentId") != nil {
		t.Fatalf("a root with a parent: %v", d)
	}
	d = mustOK(t, post(t, s, BotKey, create, map[string]any{"in": map[string]any{"issueId": "ENG-1", "body": "reply", "parentId": root}}))
	reply := dig(d, "commentCreate", "comment", "id").(string)
	d = mustOK(t, post(t, s, BotKey, create, map[string]any{"in": map[string]any{"issueId": "ENG-1", "body": "reply 2", "parentId": reply}}))
	if dig(d, "commentCreate", "comment", "parentId") != root || dig(d, "commentCreate", "comment", "parent", "id") != root {
		t.Fatalf("reply to a reply: %v", d)
	}
	d = mustOK(t, post(t, s, BotKey, `query($id: String!) { comment(id: $id) { children { nodes { id } } } }`, map[string]any{"id": root}))
	if n := len(dig(d, "comment", "children", "nodes").([]any)); n != 2 {
		t.Fatalf("children %d", n)
	}
	r := post(t, s, BotKey, create, map[string]any{"in": map[string]any{"issueId": "ENG-2", "body": "x", "parentId": root}})
	if len(r.Errors) == 0 {
		t.Fatal("a reply on another issue's thread")
	}
}
