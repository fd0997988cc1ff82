package sandbox

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const historyQ = `query H($id: String!, $first: Int, $after: String, $by: PaginationOrderBy) {
  issue(id: $id) { history(first: $first, after: $after, orderBy: $by) {
    nodes { id createdAt updatedAt actorId actor { id name email } descriptionUpdatedBy { email }
      fromTitle toTitle updatedDescription fromStateId toStateId fromState { name } toState { name }
      fromPriority toPriority fromAssigneeId toAssigneeId fromAssignee { email } toAssignee { email }
      addedLabelIds removedLabelIds fromEstimate toEstimate fromDueDate toDueDate
      fromParentId toParentId fromParent { identifier } toParent { identifier }
      fromCycleId toCycleId fromCycle { id } toCycle { id } archived }
    pageInfo { hasNextPage endCursor } } } }`

// TestHistoryRecordsEveryField: each update, by a person (UserUpdate) or by
// the bot through the API (its key's user is the actor), is one history
// entry with its time, its actor and the from/to pair of every property it
// changed, the others null; entries come newest first, by createdAt by
// default and the same with orderBy updatedAt, and page with after.
func TestHistoryRecordsEveryField(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)}
	s := newTest(t, Options{Now: c.now})
	d := mustOK(t, post(t, s, BotKey, `{ issueLabels { nodes { id name } } team(id: "ENG") { cycles { nodes { id number } } } }`, nil))
	label := map[string]string{}
	for _, l := range dig(d, "issueLabels", "nodes").([]any) {
		label[dig(l, "name").(string)] = dig(l, "id").(string)
	}
	cycle := dig(d, "team", "cycles", "nodes", 0, "id").(string)
	eng1, _ := s.Issue("ENG-1") // In Progress, priority 1, estimate 3, Bug, Alice
	eng2, _ := s.Issue("ENG-2")
	alice, bob := s.UserID(AliceEmail), s.UserID(BobEmail)
	const upd = `mutation U($id: String!, $input: IssueUpdateInput!) { issueUpdate(id: $id, input: $input) { success } }`

	type step struct {
		by    string // email; BotEmail goes through the API with BotKey
		input map[string]any
		want  map[string]any // fields of the entry (dig paths joined by "."); every other from/to is null
	}
	steps := []step{
		{AliceEmail, map[string]any{"title": "SSO login fails"}, map[string]any{"fromTitle": eng1.Title, "toTitle": "SSO login fails"}},
		{BobEmail, map[string]any{"description": "New text"}, map[string]any{"updatedDescription": true, "descriptionUpdatedBy.0.email": BobEmail}},
		{BotEmail, map[string]any{"stateId": s.StateID("Done")}, map[string]any{"fromStateId": s.StateID("In Progress"), "toStateId": s.StateID("Done"),
			"fromState.name": "In Progress", "toState.name": "Done"}},
		{AliceEmail, map[string]any{"priority": 3}, map[string]any{"fromPriority": 1.0, "toPriority": 3.0}},
		{BobEmail, map[string]any{"assigneeId": bob}, map[string]any{"fromAssigneeId": alice, "toAssigneeId": bob,
			"fromAssignee.email": AliceEmail, "toAssignee.email": BobEmail}},
		{AliceEmail, map[string]any{"assigneeId": nil}, map[string]any{"fromAssigneeId": bob, "fromAssignee.email": BobEmail}},
		{BotEmail, map[string]any{"assigneeId": alice}, map[string]any{"toAssigneeId": alice, "toAssignee.email": AliceEmail}},
		{BobEmail, map[string]any{"labelIds": []any{label["Feature"]}}, map[string]any{"addedLabelIds.0": label["Feature"], "removedLabelIds.0": label["Bug"]}},
		{AliceEmail, map[string]any{"removedLabelIds": []any{label["Feature"]}}, map[string]any{"removedLabelIds.0": label["Feature"]}},
		{BotEmail, map[string]any{"estimate": 5}, map[string]any{"fromEstimate": 3.0, "toEstimate": 5.0}},
		{BobEmail, map[string]any{"estimate": nil}, map[string]any{"fromEstimate": 5.0}},
		{AliceEmail, map[string]any{"dueDate": "2026-12-24"}, map[string]any{"toDueDate": "2026-12-24"}},
		{BobEmail, map[string]any{"dueDate": nil}, map[string]any{"fromDueDate": "2026-12-24"}},
		{BotEmail, map[string]any{"parentId": eng2.ID}, map[string]any{"toParentId": eng2.ID, "toParent.identifier": "ENG-2"}},
		{AliceEmail, map[string]any{"parentId": nil}, map[string]any{"fromParentId": eng2.ID, "fromParent.identifier": "ENG-2"}},
		{BobEmail, map[string]any{"cycleId": cycle}, map[string]any{"toCycleId": cycle, "toCycle.id": cycle}},
		{BotEmail, map[string]any{"cycleId": nil}, map[string]any{"fromCycleId": cycle, "fromCycle.id": cycle}},
	}
	start := c.t
	for n, st := range steps {
		c.t = start.Add(time.Duration(n+1) * time.Minute)
		if st.by == BotEmail {
			mustOK(t, post(t, s, BotKey, upd, map[string]any{"id": eng1.ID, "input": st.input}))
		} else if err := s.UserUpdate(st.by, eng1.ID, st.input); err != nil {
			t.Fatalf("step %d: %v", n, err)
		}
	}
	// Setting a value it already has records nothing.
	c.t = c.t.Add(time.Minute)
	if err := s.UserUpdate(AliceEmail, eng1.ID, map[string]any{"title": "SSO login fails", "priority": 3}); err != nil {
		t.Fatal(err)
	}

	nullable := []string{"fromTitle", "toTitle", "fromStateId", "toStateId", "fromState", "toState", "fromPriority", "toPriority",
		"fromAssigneeId", "toAssigneeId", "fromAssignee", "toAssignee", "fromEstimate", "toEstimate", "fromDueDate", "toDueDate",
		"fromParentId", "toParentId", "fromParent", "toParent", "fromCycleId", "toCycleId", "fromCycle", "toCycle",
		"descriptionUpdatedBy", "archived"}
	for _, by := range []string{"createdAt", "updatedAt"} {
		d = mustOK(t, post(t, s, BotKey, historyQ, map[string]any{"id": eng1.ID, "by": by}))
		nodes := dig(d, "issue", "history", "nodes").([]any)
		if len(nodes) != len(steps) {
			t.Fatalf("orderBy %s: %d entries, want %d", by, len(nodes), len(steps))
		}
		for k, node := range nodes {
			n := len(steps) - 1 - k // newest first
			st := steps[n]
			e := node.(map[string]any)
			at := start.Add(time.Duration(n+1) * time.Minute).Format("2006-01-02T15:04:05.000Z")
			if e["createdAt"] != at || e["updatedAt"] != at {
				t.Errorf("step %d: createdAt %v updatedAt %v, want %s", n, e["createdAt"], e["updatedAt"], at)
			}
			if dig(e, "actor", "email") != st.by || e["actorId"] != s.UserID(st.by) || dig(e, "actor", "id") != e["actorId"] {
				t.Errorf("step %d: actor %v (%v), want %s", n, e["actor"], e["actorId"], st.by)
			}
			for path, want := range st.want {
				if got := dig(e, splitPath(path)...); got != want {
					t.Errorf("step %d: %s = %v, want %v", n, path, got, want)
				}
			}
			for _, f := range nullable {
				touched := false
				for path := range st.want {
					touched = touched || splitPath(path)[0] == f
				}
				if !touched && e[f] != nil {
					t.Errorf("step %d: %s = %v, want null", n, f, e[f])
				}
			}
			_, desc := st.want["updatedDescription"]
			if e["updatedDescription"] != desc {
				t.Errorf("step %d: updatedDescription = %v", n, e["updatedDescription"])
			}
			_, labels := st.want["removedLabelIds.0"]
			_, added := st.want["addedLabelIds.0"]
			if (len(asList(e["addedLabelIds"])) > 0) != added || (len(asList(e["removedLabelIds"])) > 0) != labels {
				t.Errorf("step %d: labels %v / %v", n, e["addedLabelIds"], e["removedLabelIds"])
			}
		}
	}
	// Paging one at a time walks the same order.
	var walked []string
	after := ""
	for range len(steps) + 1 {
		vars := map[string]any{"id": eng1.ID, "first": 1}
		if after != "" {
			vars["after"] = after
		}
		d = mustOK(t, post(t, s, BotKey, historyQ, vars))
		for _, n := range dig(d, "issue", "history", "nodes").([]any) {
			walked = append(walked, dig(n, "createdAt").(string))
		}
		if dig(d, "issue", "history", "pageInfo", "hasNextPage") != true {
			break
		}
		after = dig(d, "issue", "history", "pageInfo", "endCursor").(string)
	}
	if len(walked) != len(steps) || !slices.IsSortedFunc(walked, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Fatalf("paged walk: %v", walked)
	}

	// Archive and unarchive are entries too (archived true, then false).
	c.t = c.t.Add(time.Minute)
	mustOK(t, post(t, s, AliceKey, `mutation { issueArchive(id: "ENG-1") { success } }`, nil))
	c.t = c.t.Add(time.Minute)
	mustOK(t, post(t, s, BobKey, `mutation { issueUnarchive(id: "ENG-1") { success } }`, nil))
	d = mustOK(t, post(t, s, BotKey, historyQ, map[string]any{"id": eng1.ID, "first": 2}))
	if dig(d, "issue", "history", "nodes", 0, "archived") != false || dig(d, "issue", "history", "nodes", 0, "actor", "email") != BobEmail ||
		dig(d, "issue", "history", "nodes", 1, "archived") != true || dig(d, "issue", "history", "nodes", 1, "actor", "email") != AliceEmail {
		t.Fatalf("archive entries: %v", dig(d, "issue", "history", "nodes"))
	}
	// A new issue starts with no history.
	d = mustOK(t, post(t, s, BotKey, createM, map[string]any{"input": map[string]any{"teamId": s.TeamID(), "title": "Fresh"}}))
	id := dig(d, "issueCreate", "issue", "id").(string)
	d = mustOK(t, post(t, s, BotKey, historyQ, map[string]any{"id": id}))
	if n := len(dig(d, "issue", "history", "nodes").([]any)); n != 0 {
		t.Fatalf("new issue has %d history entries", n)
	}
}

func splitPath(p string) []any {
	var out []any
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '.' {
			seg := p[start:i]
			if len(seg) == 1 && seg[0] >= '0' && seg[0] <= '9' {
				out = append(out, int(seg[0]-'0'))
			} else {
				out = append(out, seg)
			}
			start = i + 1
		}
	}
	return out
}

func asList(v any) []any { l, _ := v.([]any); return l }
