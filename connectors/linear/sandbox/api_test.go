package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const issuesQ = `query Q($filter: IssueFilter, $first: Int, $after: String, $last: Int, $before: String, $orderBy: PaginationOrderBy, $arch: Boolean) {
  issues(filter: $filter, first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy, includeArchived: $arch) {
    nodes { id identifier title updatedAt createdAt state { name type } }
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`

func ids(t *testing.T, d map[string]any) []string {
	t.Helper()
	var out []string
	for _, n := range dig(d, "issues", "nodes").([]any) {
		out = append(out, n.(map[string]any)["identifier"].(string))
	}
	return out
}

func TestIssueFilters(t *testing.T) {
	s := newTest(t, Options{})
	cases := []struct {
		name   string
		filter map[string]any
		want   int
	}{
		{"all", nil, 12},
		{"team key", map[string]any{"team": map[string]any{"key": map[string]any{"eq": "ENG"}}}, 12},
		{"team id", map[string]any{"team": map[string]any{"id": map[string]any{"eq": s.TeamID()}}}, 12},
		{"other team", map[string]any{"team": map[string]any{"key": map[string]any{"eq": "OPS"}}}, 0},
		{"state type eq", map[string]any{"state": map[string]any{"type": map[string]any{"eq": "started"}}}, 3},
		{"state type in", map[string]any{"state": map[string]any{"type": map[string]any{"in": []any{"completed", "canceled"}}}}, 2},
		{"state name", map[string]any{"state": map[string]any{"name": map[string]any{"eq": "Backlog"}}}, 4},
		{"title contains", map[string]any{"title": map[string]any{"contains": "Postgres"}}, 1},
		{"title eq", map[string]any{"title": map[string]any{"eq": "Weekly digest email"}}, 1},
		{"id eq identifier", map[string]any{"id": map[string]any{"eq": "ENG-3"}}, 1},
		{"id in", map[string]any{"id": map[string]any{"in": []any{"ENG-3", "ENG-4"}}}, 2},
		{"or", map[string]any{"or": []any{
			map[string]any{"title": map[string]any{"contains": "CSV"}},
			map[string]any{"title": map[string]any{"contains": "Postgres"}}}}, 2},
		{"and", map[string]any{"and": []any{
			map[string]any{"state": map[string]any{"type": map[string]any{"eq": "backlog"}}},
			map[string]any{"priority": map[string]any{"eq": 0}}}}, 2},
		{"updatedAt gte future", map[string]any{"updatedAt": map[string]any{"gte": "2999-01-01T00:00:00Z"}}, 0},
		{"createdAt lt past", map[string]any{"createdAt": map[string]any{"lt": "2000-01-01"}}, 0},
		{"updatedAt gt duration", map[string]any{"updatedAt": map[string]any{"gt": "-P100D"}}, 12},
		{"assignee email", map[string]any{"assignee": map[string]any{"email": map[string]any{"eq": AliceEmail}}}, 2},
		{"unassigned", map[string]any{"assignee": map[string]any{"null": true}}, 7},
		{"label", map[string]any{"labels": map[string]any{"some": map[string]any{"name": map[string]any{"eq": "Bug"}}}}, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vars := map[string]any{"first": 100}
			if c.filter != nil {
				vars["filter"] = c.filter
			}
			d := mustOK(t, post(t, s, BotKey, issuesQ, vars))
			if got := len(ids(t, d)); got != c.want {
				t.Fatalf("got %d issues, want %d: %v", got, c.want, ids(t, d))
			}
		})
	}
	// An unsupported filter is an error, never a silently wrong answer.
	r := post(t, s, BotKey, issuesQ, map[string]any{"filter": map[string]any{"cycle": map[string]any{"null": true}}})
	if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "IssueFilter.cycle") {
		t.Fatalf("want unsupported error, got %s", r.Raw)
	}
}

func TestPaginationForwardBackward(t *testing.T) {
	s := newTest(t, Options{})
	var all []string
	after := ""
	for pages := 0; ; pages++ {
		vars := map[string]any{"first": 5}
		if after != "" {
			vars["after"] = after
		}
		d := mustOK(t, post(t, s, BotKey, issuesQ, vars))
		page := ids(t, d)
		all = append(all, page...)
		edges := dig(d, "issues", "edges").([]any)
		if len(edges) != len(page) {
			t.Fatalf("edges %d != nodes %d", len(edges), len(page))
		}
		if pages > 0 && dig(d, "issues", "pageInfo", "hasPreviousPage") != true {
			t.Fatalf("hasPreviousPage false after the first page")
		}
		if dig(d, "issues", "pageInfo", "hasNextPage") != true {
			break
		}
		after = dig(d, "issues", "pageInfo", "endCursor").(string)
		if after != dig(edges[len(edges)-1], "cursor") {
			t.Fatalf("endCursor is not the last edge's cursor")
		}
	}
	if len(all) != 12 {
		t.Fatalf("paged %d issues: %v", len(all), all)
	}
	// Default order: createdAt, newest first.
	if all[0] != "ENG-12" || all[11] != "ENG-1" {
		t.Fatalf("order: %v", all)
	}
	// last/before walks back.
	d := mustOK(t, post(t, s, BotKey, issuesQ, map[string]any{"last": 3}))
	if got := ids(t, d); !slices.Equal(got, []string{"ENG-3", "ENG-2", "ENG-1"}) {
		t.Fatalf("last 3: %v", got)
	}
	start := dig(d, "issues", "pageInfo", "startCursor").(string)
	d = mustOK(t, post(t, s, BotKey, issuesQ, map[string]any{"last": 2, "before": start}))
	if got := ids(t, d); !slices.Equal(got, []string{"ENG-5", "ENG-4"}) {
		t.Fatalf("last 2 before ENG-3: %v", got)
	}
	// Unknown cursor.
	r := post(t, s, BotKey, issuesQ, map[string]any{"after": "nope"})
	if len(r.Errors) == 0 {
		t.Fatalf("unknown cursor accepted")
	}
}

func TestOrderByUpdatedAtAndArchived(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	s := newTest(t, Options{Now: c.now})
	c.t = c.t.Add(time.Minute)
	if err := s.UserUpdate(AliceEmail, "ENG-2", map[string]any{"title": "Export issues as CSV and JSON"}); err != nil {
		t.Fatal(err)
	}
	d := mustOK(t, post(t, s, BotKey, issuesQ, map[string]any{"orderBy": "updatedAt", "first": 2}))
	if got := ids(t, d); got[0] != "ENG-2" {
		t.Fatalf("orderBy updatedAt: most recently updated first, got %v", got)
	}
	c.t = c.t.Add(time.Minute)
	mustOK(t, post(t, s, BotKey, `mutation { issueArchive(id: "ENG-2") { success entity { archivedAt } } }`, nil))
	d = mustOK(t, post(t, s, BotKey, issuesQ, map[string]any{"first": 50}))
	if slices.Contains(ids(t, d), "ENG-2") {
		t.Fatalf("archived issue listed without includeArchived")
	}
	d = mustOK(t, post(t, s, BotKey, issuesQ, map[string]any{"first": 50, "arch": true}))
	if !slices.Contains(ids(t, d), "ENG-2") {
		t.Fatalf("archived issue missing with includeArchived")
	}
	// Deleting moves to the trash: still readable by id, trashed true;
	// mutations no longer find it.
	mustOK(t, post(t, s, BotKey, `mutation { issueDelete(id: "ENG-3") { success } }`, nil))
	d = mustOK(t, post(t, s, BotKey, `{ issue(id: "ENG-3") { trashed archivedAt } }`, nil))
	if dig(d, "issue", "trashed") != true || dig(d, "issue", "archivedAt") == nil {
		t.Fatalf("trashed issue: %v", d)
	}
	if r := post(t, s, BotKey, `mutation { issueUpdate(id: "ENG-3", input: {title: "x"}) { success } }`, nil); len(r.Errors) == 0 {
		t.Fatalf("updated a trashed issue")
	}
	// issueArchive(trash: true) trashes too; without it, it only archives.
	mustOK(t, post(t, s, BotKey, `mutation { issueArchive(id: "ENG-4", trash: true) { success } }`, nil))
	mustOK(t, post(t, s, BotKey, `mutation { issueArchive(id: "ENG-5", trash: false) { success } }`, nil))
	for id, want := range map[string]any{"ENG-4": true, "ENG-5": nil} {
		d = mustOK(t, post(t, s, BotKey, `{ issue(id: "`+id+`") { trashed archivedAt } }`, nil))
		if dig(d, "issue", "trashed") != want || dig(d, "issue", "archivedAt") == nil {
			t.Fatalf("%s after issueArchive: %v", id, d)
		}
	}
	r := post(t, s, BotKey, `{ viewer { id } }`, nil)
	reset, _ := strconv.ParseInt(r.Header.Get("X-RateLimit-Requests-Reset"), 10, 64)
	if at := time.UnixMilli(reset); at.Before(c.t) || at.After(c.t.Add(time.Hour)) {
		t.Fatalf("requests reset %s not within the hour after %s", at, c.t)
	}
}

const createM = `mutation C($input: IssueCreateInput!) { issueCreate(input: $input) { success lastSyncId issue { id identifier number title description priority priorityLabel state { name } team { key } url branchName sortOrder creator { email } } } }`

func TestIssueCreateUpdate(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	s := newTest(t, Options{Now: c.now})
	id := "6f1b7c0e-3a52-4d8e-9c1a-2b3c4d5e6f70"
	in := map[string]any{"id": id, "teamId": s.TeamID(), "title": "From Jira", "description": "# Hi\n\n*there*", "priority": 2, "stateId": s.StateID("Todo")}
	d := mustOK(t, post(t, s, BotKey, createM, map[string]any{"input": in}))
	if dig(d, "issueCreate", "issue", "id") != id || dig(d, "issueCreate", "issue", "identifier") != "ENG-13" {
		t.Fatalf("create: %v", d)
	}
	if dig(d, "issueCreate", "issue", "priorityLabel") != "High" || dig(d, "issueCreate", "issue", "state", "name") != "Todo" {
		t.Fatalf("create fields: %v", d)
	}
	// The same id again fails like Linear (INVALID_INPUT).
	r := post(t, s, BotKey, createM, map[string]any{"input": in})
	if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "INVALID_INPUT" || !strings.Contains(r.Errors[0].Message, "already exists") {
		t.Fatalf("duplicate id: %s", r.Raw)
	}
	if n := len(s.Issues()); n != 13 {
		t.Fatalf("duplicate created an issue: %d", n)
	}
	// Update all modelled fields in one call.
	c.t = c.t.Add(time.Minute)
	bug := ""
	d = mustOK(t, post(t, s, BotKey, `{ issueLabels { nodes { id name } } }`, nil))
	for _, n := range dig(d, "issueLabels", "nodes").([]any) {
		if n.(map[string]any)["name"] == "Bug" {
			bug = n.(map[string]any)["id"].(string)
		}
	}
	upd := `mutation U($id: String!, $input: IssueUpdateInput!) { issueUpdate(id: $id, input: $input) { success issue { title state { name type } priority assignee { email } labels { nodes { name } } estimate dueDate parent { identifier } cycle { name } sortOrder completedAt updatedAt } } }`
	d = mustOK(t, post(t, s, BotKey, `{ cycles { nodes { id name } } }`, nil))
	cycleID := dig(d, "cycles", "nodes", 0, "id").(string)
	d = mustOK(t, post(t, s, BotKey, upd, map[string]any{"id": "ENG-13", "input": map[string]any{
		"title": "Renamed", "stateId": s.StateID("Done"), "priority": 4, "assigneeId": s.UserID(BobEmail),
		"labelIds": []any{bug}, "estimate": 3, "dueDate": "2026-12-24", "parentId": "ENG-1", "sortOrder": -5.5, "cycleId": cycleID,
	}}))
	iss := dig(d, "issueUpdate", "issue").(map[string]any)
	if iss["title"] != "Renamed" || dig(iss, "state", "type") != "completed" || iss["priority"] != float64(4) ||
		dig(iss, "assignee", "email") != BobEmail || dig(iss, "labels", "nodes", 0, "name") != "Bug" ||
		iss["estimate"] != float64(3) || iss["dueDate"] != "2026-12-24" || dig(iss, "parent", "identifier") != "ENG-1" ||
		iss["sortOrder"] != -5.5 || iss["completedAt"] == nil || iss["cycle"] == nil {
		t.Fatalf("update: %v", iss)
	}
	if iss["updatedAt"] != "2026-11-01T12:01:00.000Z" {
		t.Fatalf("updatedAt = %v", iss["updatedAt"])
	}
	// addedLabelIds / removedLabelIds, unassign with null.
	c.t = c.t.Add(time.Minute)
	d = mustOK(t, post(t, s, BotKey, upd, map[string]any{"id": id, "input": map[string]any{"removedLabelIds": []any{bug}, "assigneeId": nil}}))
	if len(dig(d, "issueUpdate", "issue", "labels", "nodes").([]any)) != 0 || dig(d, "issueUpdate", "issue", "assignee") != nil {
		t.Fatalf("remove label / unassign: %v", d)
	}
	// History: one entry per change.
	d = mustOK(t, post(t, s, BotKey, `{ issue(id: "ENG-13") { history { nodes { actor { email } fromState { name } toState { name } fromTitle toTitle fromPriority toPriority removedLabelIds } } } }`, nil))
	hist := dig(d, "issue", "history", "nodes").([]any)
	if len(hist) != 2 {
		t.Fatalf("history entries = %d", len(hist))
	}
	first := hist[1].(map[string]any) // newest first
	if dig(first, "fromState", "name") != "Todo" || dig(first, "toState", "name") != "Done" || first["toTitle"] != "Renamed" || dig(first, "actor", "email") != BotEmail {
		t.Fatalf("history: %v", first)
	}
	// Errors: missing issue, bad state, bad priority.
	for name, vars := range map[string]map[string]any{
		"missing issue": {"id": "ENG-999", "input": map[string]any{"title": "x"}},
		"bad state":     {"id": id, "input": map[string]any{"stateId": "nope"}},
		"bad priority":  {"id": id, "input": map[string]any{"priority": 9}},
		"empty title":   {"id": id, "input": map[string]any{"title": " "}},
	} {
		r := post(t, s, BotKey, upd, vars)
		if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "INVALID_INPUT" {
			t.Errorf("%s: %s", name, r.Raw)
		}
	}
	r = post(t, s, BotKey, `{ issue(id: "00000000-0000-4000-8000-000000000000") { id } }`, nil)
	if r.Status != 400 || r.Errors[0].Message != "Entity not found: Issue" {
		t.Fatalf("not found: %d %s", r.Status, r.Raw)
	}
	if v, _ := s.Issue(id); v.Title != "Renamed" || v.History != 2 {
		t.Fatalf("IssueView: %+v", v)
	}
}

func TestCommentsAndCounts(t *testing.T) {
	s := newTest(t, Options{})
	d := mustOK(t, post(t, s, BotKey, `mutation { commentCreate(input: {issueId: "ENG-1", body: "**bold**"}) { success comment { id body user { email } issue { identifier } } } }`, nil))
	cid := dig(d, "commentCreate", "comment", "id").(string)
	mustOK(t, post(t, s, BotKey, `mutation($id: String!) { commentUpdate(id: $id, input: {body: "edited"}) { comment { body editedAt } } }`, map[string]any{"id": cid}))
	d = mustOK(t, post(t, s, BotKey, `{ issue(id: "ENG-1") { comments { nodes { body editedAt user { email } } } } }`, nil))
	if dig(d, "issue", "comments", "nodes", 0, "body") != "edited" || dig(d, "issue", "comments", "nodes", 0, "editedAt") == nil {
		t.Fatalf("comments: %v", d)
	}
	// Another user cannot edit the bot's comment.
	r := post(t, s, AliceKey, `mutation($id: String!) { commentUpdate(id: $id, input: {body: "x"}) { success } }`, map[string]any{"id": cid})
	if len(r.Errors) == 0 {
		t.Fatalf("alice edited the bot's comment")
	}
	mustOK(t, post(t, s, BotKey, `mutation($id: String!) { commentDelete(id: $id) { success entityId } }`, map[string]any{"id": cid}))
	c := s.Requests(BotEmail)
	if c.Writes != 3 || c.Reads != 1 || c.ByOperation["commentCreate"] != 1 || c.ByOperation["issue"] != 1 {
		t.Fatalf("counts: %+v", c)
	}
	if a := s.Requests(AliceEmail); a.Writes != 1 {
		t.Fatalf("alice counts: %+v", a)
	}
	// Human actions are not requests.
	if _, _, err := s.UserCreate(BotEmail, map[string]any{"title": "by hand"}); err != nil {
		t.Fatal(err)
	}
	if c2 := s.Requests(BotEmail); c2.Writes != 3 {
		t.Fatalf("UserCreate counted: %+v", c2)
	}
	s.ResetCounts()
	if c := s.Requests(BotEmail); c.Reads+c.Writes != 0 {
		t.Fatalf("reset: %+v", c)
	}
}

func TestAuthAndRateLimit(t *testing.T) {
	s := newTest(t, Options{})
	for name, key := range map[string]string{"missing": "", "bad": "lin_api_nope", "bearer bad": "Bearer x"} {
		r := post(t, s, key, `{ viewer { id } }`, nil)
		if r.Status != 400 || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "AUTHENTICATION_ERROR" || r.Errors[0].Extensions["type"] != "authentication error" {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
	d := mustOK(t, post(t, s, "Bearer "+AliceKey, `{ viewer { email } }`, nil))
	if dig(d, "viewer", "email") != AliceEmail {
		t.Fatalf("bearer: %v", d)
	}
	s.RateLimit(2, 30*time.Second)
	for range 2 {
		r := post(t, s, BotKey, `{ viewer { id } }`, nil)
		if r.Status != 400 || r.Errors[0].Extensions["code"] != "RATELIMITED" {
			t.Fatalf("rate limit: %d %s", r.Status, r.Raw)
		}
		if r.Header.Get("X-RateLimit-Requests-Remaining") != "0" || r.Header.Get("X-RateLimit-Requests-Reset") == "" || r.Header.Get("Retry-After") != "30" {
			t.Fatalf("headers: %v", r.Header)
		}
	}
	r := post(t, s, BotKey, `{ viewer { id } }`, nil)
	mustOK(t, r)
	if r.Header.Get("X-RateLimit-Requests-Limit") == "" || r.Header.Get("X-Complexity") == "" {
		t.Fatalf("headers on success: %v", r.Header)
	}
	if c := s.Requests(BotEmail); c.RateLimited != 2 || c.Reads != 1 {
		t.Fatalf("counts: %+v", c)
	}
	s.Fail(1, 503)
	if r := post(t, s, BotKey, `{ viewer { id } }`, nil); r.Status != 503 {
		t.Fatalf("fault: %d", r.Status)
	}
}

type hookSink struct {
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
	status []int // answers to give, in order; then 200
}

func (h *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, b)
	h.heads = append(h.heads, r.Header.Clone())
	st := 200
	if len(h.status) > 0 {
		st, h.status = h.status[0], h.status[1:]
	}
	h.mu.Unlock()
	w.WriteHeader(st)
}

func (h *hookSink) count() int { h.mu.Lock(); defer h.mu.Unlock(); return len(h.bodies) }

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWebhookDelivery(t *testing.T) {
	sink := &hookSink{}
	hs := httptest.NewServer(sink)
	defer hs.Close()
	s := newTest(t, Options{RetryDelay: 10 * time.Millisecond})
	d := mustOK(t, post(t, s, BotKey, `mutation($in: WebhookCreateInput!) { webhookCreate(input: $in) { success webhook { id url enabled resourceTypes team { key } } } }`,
		map[string]any{"in": map[string]any{"url": hs.URL + "/hook", "teamId": s.TeamID(), "resourceTypes": []any{"Issue", "Comment"}, "secret": "s3cret", "label": "tandem"}}))
	hookID := dig(d, "webhookCreate", "webhook", "id").(string)
	if err := s.UserUpdate(AliceEmail, "ENG-1", map[string]any{"title": "New title", "stateId": s.StateID("Done")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery", func() bool { return sink.count() == 1 })
	body, h := sink.bodies[0], sink.heads[0]
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write(body)
	if h.Get("Linear-Signature") != hex.EncodeToString(mac.Sum(nil)) {
		t.Fatalf("signature does not verify")
	}
	if h.Get("Linear-Event") != "Issue" || h.Get("User-Agent") != "Linear-Webhook" || h.Get("Content-Type") != "application/json; charset=utf-8" || len(h.Get("Linear-Delivery")) != 36 {
		t.Fatalf("headers: %v", h)
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if p["action"] != "update" || p["type"] != "Issue" || p["webhookId"] != hookID || dig(p, "actor", "email") != AliceEmail ||
		dig(p, "data", "title") != "New title" || dig(p, "data", "identifier") != "ENG-1" || dig(p, "data", "state", "type") != "completed" {
		t.Fatalf("payload: %s", body)
	}
	uf := p["updatedFrom"].(map[string]any)
	if uf["title"] == nil || uf["stateId"] == nil || uf["updatedAt"] == nil {
		t.Fatalf("updatedFrom: %v", uf)
	}
	if _, ok := p["webhookTimestamp"].(float64); !ok {
		t.Fatalf("webhookTimestamp: %v", p["webhookTimestamp"])
	}
	// A comment is delivered too; the bot's API call has the bot as actor.
	mustOK(t, post(t, s, BotKey, `mutation { commentCreate(input: {issueId: "ENG-1", body: "hi"}) { success } }`, nil))
	waitFor(t, "comment delivery", func() bool { return sink.count() == 2 })
	if !strings.Contains(string(sink.bodies[1]), `"issueId"`) || sink.heads[1].Get("Linear-Event") != "Comment" {
		t.Fatalf("comment payload: %s", sink.bodies[1])
	}
}

func TestWebhookRetriesAtMostThree(t *testing.T) {
	sink := &hookSink{status: []int{500, 500, 500, 500, 500, 500}}
	hs := httptest.NewServer(sink)
	defer hs.Close()
	s := newTest(t, Options{RetryDelay: 5 * time.Millisecond})
	mustOK(t, post(t, s, BotKey, `mutation($in: WebhookCreateInput!) { webhookCreate(input: $in) { success } }`,
		map[string]any{"in": map[string]any{"url": hs.URL, "teamId": "ENG", "resourceTypes": []any{"Issue"}, "secret": "x"}}))
	if err := s.UserUpdate(BobEmail, "ENG-2", map[string]any{"priority": 1}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "drop", func() bool { return s.PendingDeliveries() == 0 && s.Deliveries() == 4 })
	time.Sleep(30 * time.Millisecond)
	if sink.count() != 4 {
		t.Fatalf("attempts = %d, want 1 + 3 retries", sink.count())
	}
	ids := map[string]bool{}
	for _, h := range sink.heads {
		ids[h.Get("Linear-Delivery")] = true
	}
	if len(ids) != 1 {
		t.Fatalf("Linear-Delivery changed across retries: %v", ids)
	}
	// A delivery succeeding on the second attempt stops retrying.
	sink.mu.Lock()
	sink.status = []int{502}
	sink.mu.Unlock()
	if err := s.UserUpdate(BobEmail, "ENG-2", map[string]any{"priority": 2}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "retry", func() bool { return s.PendingDeliveries() == 0 && s.Delivered() == 1 })
	if sink.count() != 6 {
		t.Fatalf("attempts = %d, want 6", sink.count())
	}
}

func TestWebhookPauseAndFilters(t *testing.T) {
	sink := &hookSink{}
	hs := httptest.NewServer(sink)
	defer hs.Close()
	s := newTest(t, Options{})
	mustOK(t, post(t, s, BotKey, `mutation($in: WebhookCreateInput!) { webhookCreate(input: $in) { success } }`,
		map[string]any{"in": map[string]any{"url": hs.URL, "teamId": "ENG", "resourceTypes": []any{"Comment"}, "secret": "x"}}))
	s.PauseWebhooks(true)
	if err := s.UserUpdate(BobEmail, "ENG-2", map[string]any{"priority": 1}); err != nil { // Issue: not subscribed
		t.Fatal(err)
	}
	if _, err := s.UserComment(BobEmail, "ENG-2", "hello"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	if sink.count() != 0 || s.PendingDeliveries() != 1 {
		t.Fatalf("paused: sent %d, pending %d", sink.count(), s.PendingDeliveries())
	}
	s.PauseWebhooks(false)
	waitFor(t, "release", func() bool { return sink.count() == 1 })
}

// TestWebhookPayloadsMatchSchema: every non-null field of the schema's
// webhook payload types is present and non-null in what the sandbox sends.
func TestWebhookPayloadsMatchSchema(t *testing.T) {
	sch, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	sink := &hookSink{}
	hs := httptest.NewServer(sink)
	defer hs.Close()
	s := newTest(t, Options{})
	mustOK(t, post(t, s, BotKey, `mutation($in: WebhookCreateInput!) { webhookCreate(input: $in) { success } }`,
		map[string]any{"in": map[string]any{"url": hs.URL, "teamId": "ENG", "resourceTypes": []any{"Issue", "Comment", "Cycle"}, "secret": "x"}}))
	if err := s.UserUpdate(AliceEmail, "ENG-1", map[string]any{"estimate": 8}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserComment(AliceEmail, "ENG-1", "c"); err != nil {
		t.Fatal(err)
	}
	far := time.Now().Add(400 * 24 * time.Hour)
	if _, err := s.UserCreateCycle(AliceEmail, "ENG", "", far, far.Add(14*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "deliveries", func() bool { return sink.count() == 3 })
	check := func(typ string, v map[string]any) {
		t.Helper()
		for _, f := range sch.Types[typ].Fields {
			if !f.Type.NonNull {
				continue
			}
			if x, ok := v[f.Name]; !ok || x == nil {
				t.Errorf("%s.%s (non-null) missing", typ, f.Name)
			}
		}
	}
	types := map[string]bool{}
	for _, b := range sink.bodies { // deliveries may arrive in any order
		var p map[string]any
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		typ, _ := p["type"].(string)
		types[typ] = true
		check("EntityWebhookPayload", p)
		check(typ+"WebhookPayload", p["data"].(map[string]any))
		check("UserActorWebhookPayload", p["actor"].(map[string]any))
	}
	if !types["Issue"] || !types["Comment"] || !types["Cycle"] {
		t.Fatalf("types delivered: %v", types)
	}
}
