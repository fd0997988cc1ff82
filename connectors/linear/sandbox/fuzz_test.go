package sandbox

import (
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzRequest: no request body, however malformed, panics the server or
// gets a non-JSON answer.
func FuzzRequest(f *testing.F) {
	seeds := []string{
		`{"query":"{ viewer { id } }"}`,
		`{"query":"query Q($f: IssueFilter) { issues(filter: $f) { nodes { id } } }","variables":{"f":{"title":{"contains":"a"}}}}`,
		`{"query":"query Q($f: IssueFilter) { issues(filter: $f) { nodes { id } } }","variables":{"f":{"updatedAt":{"gt":"-P1W"}}}}`,
		`{"query":"mutation { issueCreate(input: {teamId: \"ENG\", title: \"x\", priority: 99999999999999999999}) { success } }"}`,
		`{"query":"mutation($i: IssueUpdateInput!) { issueUpdate(id: \"ENG-1\", input: $i) { success } }","variables":{"i":{"labelIds":"x","estimate":1e308}}}`,
		`{"query":"{ issues(first: -1, after: \"\") { nodes { id } } }"}`,
		`{"query":"{ issue(id: \"ENG-1\") { ...F } } fragment F on Issue { id ...F }"}`,
		`{"query":"{ __typename }"}`,
		`{"query": 5}`,
		`[]`,
		`{"query":"{ viewer { id } }","variables":[1,2]}`,
		``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	s := New(Options{})
	f.Cleanup(func() { s.Close() })
	f.Fuzz(func(t *testing.T, body []byte) {
		status, out := s.handle(BotKey, body)
		if status < 200 || status > 599 {
			t.Fatalf("status %d", status)
		}
		if _, err := json.Marshal(out.body); err != nil {
			t.Fatalf("answer does not encode: %v", err)
		}
		if status == http.StatusOK {
			return
		}
	})
}

// FuzzDuration: the DateTimeOrDuration parser never panics.
func FuzzDuration(f *testing.F) {
	for _, s := range []string{"-P2W1D", "PT5M", "P1Y2M3DT4H5M6S", "2021", "2026-01-02T03:04:05.123Z", "P", "-", "P99999999999999Y"} {
		f.Add(s)
	}
	s := New(Options{SeedIssues: -1})
	f.Cleanup(func() { s.Close() })
	f.Fuzz(func(t *testing.T, in string) {
		_, _ = parseTime(in, s.now())
	})
}
