package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// benchChangedQuery is the document the connector's poller sends
// (connectors/linear Client.Changed).
const benchChangedQuery = `query TandemChanged($filter: IssueFilter, $after: String) {
  issues(filter: $filter, first: 50, after: $after, orderBy: updatedAt, includeArchived: true) {
    nodes { id identifier updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}`

// benchChanged measures one poll of a workspace of n issues, asking for the
// issues updated in the last 100 hours (the seed spaces them an hour apart),
// so every size answers the same 50 nodes.
func benchChanged(b *testing.B, n int) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(Options{SeedIssues: n, Now: func() time.Time { return now }})
	b.Cleanup(func() { _ = s.Close() })
	var newest time.Time
	for _, i := range s.w.issues {
		if i.updatedAt.After(newest) {
			newest = i.updatedAt
		}
	}
	since := newest.Add(-100 * time.Hour).Format(time.RFC3339Nano)
	body, _ := json.Marshal(map[string]any{"query": benchChangedQuery, "variables": map[string]any{
		"filter": map[string]any{
			"team":      map[string]any{"id": map[string]any{"eq": s.TeamID()}},
			"updatedAt": map[string]any{"gte": since},
		},
	}})
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Authorization", BotKey)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

func BenchmarkChangedSince(b *testing.B) {
	for _, n := range []int{50, 50000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchChanged(b, n) })
	}
}

// BenchmarkIssueByIdentifier measures issue(id:) on a big workspace.
func BenchmarkIssueByIdentifier50k(b *testing.B) {
	s := New(Options{SeedIssues: 50000})
	b.Cleanup(func() { _ = s.Close() })
	body, _ := json.Marshal(map[string]any{"query": `query($id: String!) { issue(id: $id) { id identifier title updatedAt state { name } labels { nodes { name } } } }`,
		"variables": map[string]any{"id": "ENG-25000"}})
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Authorization", BotKey)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
