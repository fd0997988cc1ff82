package sandbox

import (
	"fmt"
	"testing"
)

// TestChangelogPagingAndAuthors: the changelog pages oldest first, at most
// 100 entries a page whatever maxResults asks, and names each entry's
// author; a hidden email is left out of the author (and only there where
// others look, not in the user's own /myself).
func TestChangelogPagingAndAuthors(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: -1})
	id, _, err := s.UserCreate("alice@example.com", map[string]any{"summary": "s0"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 130
	for i := 1; i <= n; i++ {
		who := "alice@example.com"
		if i%2 == 0 {
			who = "bob@example.com"
		}
		if err := s.UserEdit(who, id, map[string]any{"summary": fmt.Sprintf("s%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	_, v, _ := c.do("GET", "/rest/api/2/issue/"+id+"/changelog?maxResults=500", nil)
	if get(v, "maxResults") != 100.0 || get(v, "total") != float64(n) || get(v, "isLast") != false {
		t.Fatalf("capped page: maxResults %v total %v isLast %v", get(v, "maxResults"), get(v, "total"), get(v, "isLast"))
	}
	if vals := get(v, "values").([]any); len(vals) != 100 || get(vals, 0, "items", 0, "toString") != "s1" {
		t.Errorf("first page: %d values, first to %v", len(vals), get(vals, 0, "items", 0, "toString"))
	}
	_, v, _ = c.do("GET", fmt.Sprintf("/rest/api/2/issue/%s/changelog?startAt=%d&maxResults=100", id, n-1), nil)
	if get(v, "isLast") != true || get(v, "values", 0, "items", 0, "toString") != fmt.Sprintf("s%d", n) ||
		get(v, "values", 0, "author", "emailAddress") != "bob@example.com" || get(v, "values", 0, "author", "displayName") != "Bob Example" {
		t.Errorf("last entry %v", get(v, "values", 0))
	}

	if !s.HideEmail("bob@example.com", true) || s.HideEmail("nobody@example.com", true) {
		t.Fatal("HideEmail found the wrong users")
	}
	_, v, _ = c.do("GET", fmt.Sprintf("/rest/api/2/issue/%s/changelog?startAt=%d", id, n-1), nil)
	author, _ := get(v, "values", 0, "author").(map[string]any)
	if _, shown := author["emailAddress"]; shown || author["accountId"] == nil || author["displayName"] != "Bob Example" {
		t.Errorf("hidden author %v", author)
	}
	_, v, _ = c.as("bob@example.com", "bob-token").do("GET", "/rest/api/2/myself", nil)
	if get(v, "emailAddress") != "bob@example.com" {
		t.Errorf("own /myself hides the email: %v", v)
	}
}
