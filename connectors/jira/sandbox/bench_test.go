package sandbox

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// benchChanged measures one poll of a site of n issues, as the connector's
// poller sends it (connectors/jira Client.Changed): the issues updated in
// the last 49 minutes (the seed spaces them a minute apart: 50 issues at
// every size), oldest first, 100 a page, only the updated field.
func benchChanged(b *testing.B, n int) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(Options{SeedIssues: n, Now: func() time.Time { return now }})
	b.Cleanup(func() { _ = s.Close() })
	var newest time.Time
	for _, is := range s.byID {
		if is.Updated.After(newest) {
			newest = is.Updated
		}
	}
	since := newest.Add(-49 * time.Minute).Format("2006-01-02 15:04")
	q := url.Values{"jql": {`project = "TAN" AND updated >= "` + since + `" ORDER BY updated ASC`},
		"maxResults": {"100"}, "fields": {"updated"}}
	target := "/rest/api/3/search/jql?" + q.Encode()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.SetBasicAuth(BotEmail, BotToken)
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

// BenchmarkGetIssue50k measures GET issue/{key} on a big site.
func BenchmarkGetIssue50k(b *testing.B) {
	s := New(Options{SeedIssues: 50000})
	b.Cleanup(func() { _ = s.Close() })
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest(http.MethodGet, "/rest/api/3/issue/TAN-25000?fields=summary,updated,status", nil)
		req.SetBasicAuth(BotEmail, BotToken)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
