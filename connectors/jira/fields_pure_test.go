package jira

import (
	"encoding/json"
	"testing"

	"github.com/tandem-sync/tandem/backlog"
)

// pureClient is testClient with users, sprints and the custom fields.
func pureClient() *Client {
	c := testClient()
	c.users = newDirectory(map[string]string{"Dave@Example.com": "acc-carol", "dave2@example.com": "acc-carol"})
	c.users.byEmail = map[string]string{"alice@example.com": aliceID, "bob@example.com": bobID}
	c.users.emailOf = map[string]string{aliceID: "alice@example.com", bobID: "bob@example.com"}
	c.estimateField, c.sprintField = "customfield_10016", "customfield_10020"
	c.sprints.byName = map[string]wireSprint{"TAN Sprint 2": {ID: 2, Name: "TAN Sprint 2", State: "active"}, "Next": {ID: 3, Name: "Next", State: "future"}}
	return c
}

// TestProjectFields: what each canonical value reads back as, per field,
// including removals and values Jira cannot hold.
func TestProjectFields(t *testing.T) {
	c := pureClient()
	for _, tc := range []struct {
		f       backlog.Field
		in, out backlog.Value
	}{
		{backlog.Assignee, "", ""},
		{backlog.Assignee, "alice@example.com", "alice@example.com"},
		{backlog.Assignee, "ALICE@example.com", "alice@example.com"},
		{backlog.Assignee, "dave@example.com", "dave2@example.com"}, // the first (sorted) override email of the account
		{backlog.Assignee, "DAVE2@example.com", "dave2@example.com"},
		{backlog.Assignee, "nobody@example.com", ""},
		{backlog.Assignee, "Alice Example", ""},
		{backlog.Labels, "", ""},
		{backlog.Labels, "b\na", "a\nb"},
		{backlog.Labels, "ok\nhas space\n\ttab", "ok"},
		{backlog.Estimate, "", ""},
		{backlog.Estimate, "3", "3"},
		{backlog.Estimate, "0.25", "0.25"},
		{backlog.Estimate, "1e+06", "1e+06"},
		{backlog.Estimate, "NaN", ""},
		{backlog.Estimate, "three", ""},
		{backlog.DueDate, "", ""},
		{backlog.DueDate, "2027-02-28", "2027-02-28"},
		{backlog.DueDate, "2027-02-30", ""},
		{backlog.DueDate, "tomorrow", ""},
		{backlog.Parent, "", ""},
		{backlog.Parent, "10042", "10042"},
		{backlog.Sprint, "", ""},
		{backlog.Sprint, "TAN Sprint 2", "TAN Sprint 2"},
		{backlog.Sprint, "Next", "Next"},
		{backlog.Sprint, "tan sprint 2", ""}, // names match exactly
		{backlog.Sprint, "TAN Sprint 1", ""}, // closed: cannot be entered
	} {
		if got := c.Project(tc.f, tc.in); got != tc.out {
			t.Errorf("Project(%s, %q) = %q, want %q", tc.f, tc.in, got, tc.out)
		}
	}
	// Without the custom fields, estimates and sprints read back empty.
	c.estimateField, c.sprintField = "", ""
	if c.Project(backlog.Estimate, "3") != "" || c.Project(backlog.Sprint, "Next") != "" {
		t.Error("fields the site lacks projected to values")
	}
}

// TestToItemFields reads each new field from issue JSON, including
// cleared ones.
func TestToItemFields(t *testing.T) {
	c := pureClient()
	for _, tc := range []struct {
		name, fields string
		want         backlog.Snapshot
	}{
		{"all set", `{"assignee":{"accountId":"` + aliceID + `","emailAddress":"Alice@Example.com"},"labels":["z","a","a"],"customfield_10016":2.5,
			"duedate":"2027-01-02","parent":{"id":"10009","key":"TAN-9"},"customfield_10020":[{"id":1,"name":"S1","state":"closed","completeDate":"2026-01-01T00:00:00.000Z"},{"id":2,"name":"TAN Sprint 2","state":"active"}]}`,
			backlog.Snapshot{backlog.Assignee: "alice@example.com", backlog.Labels: "a\nz", backlog.Estimate: "2.5", backlog.DueDate: "2027-01-02", backlog.Parent: "10009", backlog.Sprint: "TAN Sprint 2"}},
		{"all cleared", `{"assignee":null,"labels":[],"customfield_10016":null,"duedate":null,"parent":null,"customfield_10020":null}`,
			backlog.Snapshot{backlog.Assignee: "", backlog.Labels: "", backlog.Estimate: "", backlog.DueDate: "", backlog.Parent: "", backlog.Sprint: ""}},
		{"override wins over the shown email", `{"assignee":{"accountId":"acc-carol","emailAddress":"carol@example.com"}}`,
			backlog.Snapshot{backlog.Assignee: "dave2@example.com"}},
		{"hidden email", `{"assignee":{"accountId":"acc-zed","displayName":"Zed"}}`, backlog.Snapshot{backlog.Assignee: ""}},
		{"only closed sprints: the last completed", `{"customfield_10020":[{"id":3,"name":"B","state":"closed","completeDate":"2026-03-01T00:00:00.000Z"},{"id":1,"name":"A","state":"closed","completeDate":"2026-01-01T00:00:00.000Z"}]}`,
			backlog.Snapshot{backlog.Sprint: "B"}},
		{"legacy string form", `{"customfield_10020":["com.atlassian.greenhopper.service.sprint.Sprint@77c1[id=266,rapidViewId=174,state=CLOSED,name=GSC Sprint 26,startDate=2018-03-06T09:10:57.810-08:00,endDate=2018-03-19T09:10:00.000-07:00,completeDate=2018-03-20T07:07:14.478-07:00,sequence=266,goal=<null>]","com.atlassian.greenhopper.service.sprint.Sprint@59[id=518,rapidViewId=174,state=ACTIVE,name=Sprint 37, the one with commas,startDate=<null>,endDate=<null>,completeDate=<null>,sequence=518,goal=Scope, icons,]"]}`,
			backlog.Snapshot{backlog.Sprint: "Sprint 37, the one with commas"}},
		{"future after closed", `{"customfield_10020":[{"id":1,"name":"A","state":"closed"},{"id":3,"name":"Next","state":"future"}]}`,
			backlog.Snapshot{backlog.Sprint: "Next"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w wireIssue
			if err := json.Unmarshal([]byte(`{"id":"1","key":"TAN-1","fields":`+tc.fields+`}`), &w); err != nil {
				t.Fatal(err)
			}
			it, err := c.toItem(w)
			if err != nil {
				t.Fatal(err)
			}
			for f, want := range tc.want {
				if got := it.Get(f); got != want {
					t.Errorf("%s = %q, want %q", f, got, want)
				}
			}
		})
	}
	// A sprint field of the wrong shape is an error, not a guess.
	var w wireIssue
	_ = json.Unmarshal([]byte(`{"id":"1","key":"TAN-1","fields":{"customfield_10020":"S1"}}`), &w)
	if _, err := c.toItem(w); err == nil {
		t.Error("a string sprint field was accepted")
	}
}

// FuzzReadSprint: any Sprint field value parses or fails cleanly, and the
// pick is one of the listed names.
func FuzzReadSprint(f *testing.F) {
	for _, s := range []string{`null`, `[]`, `[{"id":1,"name":"A","state":"active","boardId":1}]`, `[{"name":"A","state":"closed"},{"name":"B","state":"future"}]`, `["X@1[id=1,state=ACTIVE,name=N, n,startDate=<null>]"]`, `"x"`, `[1]`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		name, err := readSprint(raw)
		if err != nil {
			return
		}
		var sps []wireSprint
		if name != "" && json.Unmarshal(raw, &sps) == nil {
			for _, sp := range sps {
				if sp.Name == name {
					return
				}
			}
			t.Fatalf("picked %q, not among %s", name, raw)
		}
	})
}

// FuzzToItem: any issue JSON maps or fails cleanly.
func FuzzToItem(f *testing.F) {
	c := pureClient()
	for _, s := range []string{`{"id":"1","fields":{}}`, `{"id":"1","fields":{"assignee":{"accountId":"x"},"labels":["a"],"customfield_10016":1,"parent":{"id":"2"},"customfield_10020":[{"name":"S","state":"active"}]}}`,
		`{"fields":{"assignee":"x","labels":"y","customfield_10016":"z","parent":7,"customfield_10020":{}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var w wireIssue
		if json.Unmarshal(raw, &w) != nil {
			return
		}
		_, _ = c.toItem(w)
	})
}
