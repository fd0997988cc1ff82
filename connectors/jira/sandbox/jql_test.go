package sandbox

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// jqlServer is a server with a fixed clock and a known backlog.
func jqlServer(t testing.TB) *Server {
	t.Helper()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	clock := now
	s := New(Options{SeedIssues: -1, Now: func() time.Time { return clock }, IndexedProperties: []string{"tandem.origin.id", "tandem.origin.n.deep"}})
	mk := func(at time.Time, fields map[string]any) string {
		clock = at
		_, key, err := s.UserCreate("alice@example.com", fields)
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
	// TAN-1 .. TAN-4, created 10:00, 10:30, 11:00, 11:55
	mk(now.Add(-2*time.Hour), map[string]any{"summary": "Login bug", "labels": []string{"auth", "bug"}, "priority": map[string]string{"name": "High"}})
	mk(now.Add(-90*time.Minute), map[string]any{"summary": "Dark mode", "labels": []string{"ui"}, "assignee": map[string]string{"accountId": "5b109f2e9729b51b54dc274d"}})
	mk(now.Add(-time.Hour), map[string]any{"summary": "Reset password", "issuetype": map[string]string{"name": "Bug"}})
	mk(now.Add(-5*time.Minute), map[string]any{"summary": "CSV export"})
	clock = now.Add(-30 * time.Minute)
	if err := s.UserTransition("bob@example.com", "TAN-3", "In Progress"); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.byKey["TAN-2"].Props["tandem.origin"] = json.RawMessage(`{"side":"linear","id":"abc-1","n":{"deep":7}}`)
	s.mu.Unlock()
	clock = now
	return s
}

func TestJQL(t *testing.T) {
	s := jqlServer(t)
	bot := s.userByEmail(BotEmail)
	for _, tc := range []struct {
		jql  string
		want string // keys in result order, or "ERR:<substring>"
	}{
		{"project = TAN ORDER BY key ASC", "TAN-1,TAN-2,TAN-3,TAN-4"},
		{"project = tan order by key desc", "TAN-4,TAN-3,TAN-2,TAN-1"},
		{"project in (TAN, 10000) ORDER BY created", "TAN-1,TAN-2,TAN-3,TAN-4"},
		{"project = TAN", "TAN-4,TAN-3,TAN-2,TAN-1"}, // default: created DESC
		{"key = TAN-2", "TAN-2"},
		{"issuekey in (TAN-1, TAN-3) ORDER BY key", "TAN-1,TAN-3"},
		{"key > TAN-2 ORDER BY key", "TAN-3,TAN-4"},
		{"id = 10002", "TAN-2"},
		{`updated >= "2026/11/26 11:00" ORDER BY updated ASC`, "TAN-3,TAN-4"},
		{`updated >= "2026/11/26 11:30" ORDER BY updated ASC`, "TAN-3,TAN-4"},
		{`updated > "2026-11-26 11:30" ORDER BY key`, "TAN-4"},
		{`updated <= "2026/11/26 10:30" ORDER BY key`, "TAN-1,TAN-2"},
		{`updated < 2026-11-26 ORDER BY key`, ""},
		{`created >= -10m`, "TAN-4"},
		{`created >= "-1h 5m" ORDER BY key`, "TAN-3,TAN-4"},
		{`status = "In Progress"`, "TAN-3"},
		{`status != "In Progress" ORDER BY key`, "TAN-1,TAN-2,TAN-4"},
		{`status in ("To Do", Done) ORDER BY key`, "TAN-1,TAN-2,TAN-4"},
		{`statusCategory = indeterminate`, "TAN-3"},
		{`labels = bug`, "TAN-1"},
		{`labels in (ui, auth) ORDER BY key`, "TAN-1,TAN-2"},
		{`labels != bug ORDER BY key`, "TAN-2"},
		{`labels is EMPTY ORDER BY key`, "TAN-3,TAN-4"},
		{`labels is not empty ORDER BY key`, "TAN-1,TAN-2"},
		{`priority = High`, "TAN-1"},
		{`assignee = 5b109f2e9729b51b54dc274d`, "TAN-2"},
		{`assignee is EMPTY ORDER BY key`, "TAN-1,TAN-3,TAN-4"},
		{`reporter = currentUser()`, ""},
		{`issuetype = Bug`, "TAN-3"},
		{`summary ~ "dark"`, "TAN-2"},
		{`issue.property[tandem.origin].id = "abc-1"`, "TAN-2"},
		{`issue.property[tandem.origin].n.deep = 7`, "TAN-2"},
		{`issue.property[tandem.origin].id = "nope"`, ""},
		{`issue.property[tandem.origin].id is EMPTY ORDER BY key`, "TAN-1,TAN-3,TAN-4"},
		{`issue.property[tandem.origin].side = "linear"`, ""}, // not indexed
		{`creator = 5b10a2844c20165700ede21g ORDER BY key`, "TAN-1,TAN-2,TAN-3,TAN-4"},
		{`project = TAN AND (labels = ui OR status = "In Progress") ORDER BY key`, "TAN-2,TAN-3"},
		{`project = TAN AND labels = ui OR status = "In Progress" ORDER BY key`, "TAN-2,TAN-3"},
		{`NOT labels = ui AND project = TAN ORDER BY key`, "TAN-1"},
		{`ORDER BY Rank ASC`, "TAN-1,TAN-2,TAN-3,TAN-4"},
		{`project = TAN ORDER BY priority DESC, key ASC`, "TAN-1,TAN-2,TAN-3,TAN-4"},
		{`project = TAN ORDER BY updated DESC, key`, "TAN-4,TAN-3,TAN-2,TAN-1"},
		// errors
		{`project = NOPE`, "ERR:The value 'NOPE' does not exist for the field 'project'."},
		{`foo = bar`, "ERR:Field 'foo' does not exist"},
		{`project TAN`, "ERR:Expecting operator but got 'TAN'"},
		{`project = `, "ERR:Expecting either a value, list or function but got 'EOF'"},
		{`project = "TAN`, "ERR:has not been completed"},
		{`(project = TAN`, "ERR:Expecting ')'"},
		{`project = TAN AND`, "ERR:Expecting a field name"},
		{`project = TAN ORDER updated`, "ERR:Expecting 'by'"},
		{`project = TAN ORDER BY foo`, "ERR:Not able to sort using field 'foo'."},
		{`updated >= "yesterday"`, "ERR:Date value 'yesterday' for field 'updated' is invalid."},
		{`status = Nope`, "ERR:The value 'Nope' does not exist for the field 'status'."},
		{`key = TAN-99`, "ERR:An issue with key 'TAN-99' does not exist"},
		{`project ~ TAN`, "ERR:The operator '~' is not supported by the 'project' field."},
		{`labels = EMPTY`, "ERR:does not support searching for EMPTY"},
		{`labels is ui`, "ERR:only supports searching for EMPTY"},
		{`project = TAN project = TAN`, "ERR:Expecting either 'OR' or 'AND'"},
		{`project ! TAN`, "ERR:reserved JQL character"},
	} {
		t.Run(tc.jql, func(t *testing.T) {
			s.mu.Lock()
			res, err := s.run(tc.jql, bot, false)
			s.mu.Unlock()
			if strings.HasPrefix(tc.want, "ERR:") {
				if err == nil || !strings.Contains(err.Error(), tc.want[4:]) {
					t.Fatalf("err = %v, want %q", err, tc.want[4:])
				}
				if he, ok := err.(*httpError); !ok || he.code != 400 {
					t.Errorf("err %T is not a 400", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, is := range res {
				keys = append(keys, is.Key)
			}
			if got := strings.Join(keys, ","); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func FuzzJQL(f *testing.F) {
	for _, seed := range []string{
		"project = TAN", `project = TAN AND updated >= "2026/11/26 11:00" ORDER BY updated ASC`,
		`issue.property[tandem.origin].id = "x"`, `(a = b OR (c in (d, "e")))`, `NOT NOT status = Done`,
		`labels is not EMPTY ORDER BY Rank`, `updated > -5m`, `"`, `((((`, `key in (`, `cf[10019] = 1`,
		`summary ~ "a\"b"`, "project = TAN order by key desc, id asc",
		"sprint in openSprints() AND parent is EMPTY", `sprint not in (2, "TAN Sprint 3")`, "parent in (TAN-9)",
	} {
		f.Add(seed)
	}
	s := jqlServer(f)
	bot := s.userByEmail(BotEmail)
	f.Fuzz(func(t *testing.T, q string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		res, err := s.run(q, bot, false)
		if err != nil {
			if he, ok := err.(*httpError); !ok || he.code != 400 || len(he.msgs) == 0 {
				t.Fatalf("error %v is not a Jira 400", err)
			}
			return
		}
		if len(res) > len(s.byID) {
			t.Fatalf("%d results from %d issues", len(res), len(s.byID))
		}
	})
}
