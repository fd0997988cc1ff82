package sandbox

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestRanksBetween(t *testing.T) {
	digits := rapid.StringOfN(rapid.SampledFrom([]rune(rankDigits)), 6, 10, -1)
	rapid.Check(t, func(t *rapid.T) {
		a := strings.TrimRight(digits.Draw(t, "a"), "0")
		b := strings.TrimRight(digits.Draw(t, "b"), "0")
		if len(a) < 6 {
			a += strings.Repeat("0", 6-len(a))
		}
		if len(b) < 6 {
			b += strings.Repeat("0", 6-len(b))
		}
		if a == b {
			t.Skip("equal bounds")
		}
		if a > b {
			a, b = b, a
		}
		if rapid.Bool().Draw(t, "open end") {
			b = ""
		}
		k := rapid.IntRange(1, 50).Draw(t, "k")
		out := ranksBetween(a, b, k)
		if len(out) != k {
			t.Fatalf("%d ranks, want %d", len(out), k)
		}
		prev := a
		for _, r := range out {
			if r <= prev || (b != "" && r >= b) {
				t.Fatalf("rank %q not strictly between %q and %q (prev %q)", r, a, b, prev)
			}
			if len(r) < 6 || strings.HasSuffix(r[6:], "0") {
				t.Fatalf("rank %q not canonical", r)
			}
			if !strings.HasPrefix(formatRank(r), "0|") || formatRank(r)[8] != ':' {
				t.Fatalf("wire form %q", formatRank(r))
			}
			prev = r
		}
	})
}

// TestRankRecordsAndNotifies checks that a human drag (UserRank) and the
// bot's rank PUT both leave a Rank changelog item under the Rank field's
// id and send jira:issue_updated carrying it, and that Issues() and JQL
// ORDER BY Rank follow the new order.
func TestRankRecordsAndNotifies(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: 4, RetryDelay: time.Millisecond})
	rcv := newReceiver(t)
	register(t, c, rcv.srv.URL, "", "project = TAN", "jira:issue_updated")
	if err := s.UserRank("alice@example.com", []string{"TAN-4"}, "TAN-1", true); err != nil {
		t.Fatal(err)
	}
	if code, v, _ := c.do("PUT", "/rest/agile/1.0/issue/rank", map[string]any{"issues": []string{"10001"}, "rankAfterIssue": "TAN-3"}); code != 204 {
		t.Fatalf("rank PUT %d %v", code, v)
	}
	var keys []string
	for _, v := range s.Issues() {
		keys = append(keys, v.Key)
	}
	if got := strings.Join(keys, ","); got != "TAN-4,TAN-2,TAN-3,TAN-1" {
		t.Fatalf("Issues() order %s", got)
	}
	_, v, _ := c.do("GET", "/rest/api/2/search/jql?jql=project%3DTAN%20ORDER%20BY%20Rank%20ASC&fields=id", nil)
	var ids []string
	for _, is := range get(v, "issues").([]any) {
		ids = append(ids, get(is, "id").(string))
	}
	if got := strings.Join(ids, ","); got != "10004,10002,10003,10001" {
		t.Errorf("ORDER BY Rank ids %s", got)
	}
	want := map[string]string{"alice@example.com": "TAN-4 Ranked higher", BotEmail: "TAN-1 Ranked lower"}
	for _, g := range rcv.wait(t, 2) {
		var b map[string]any
		if err := json.Unmarshal(g.body, &b); err != nil {
			t.Fatal(err)
		}
		it := get(b, "changelog", "items", 0)
		if b["webhookEvent"] != "jira:issue_updated" || get(it, "field") != "Rank" || get(it, "fieldId") != RankField || get(it, "fieldtype") != "custom" {
			t.Errorf("delivery %v", b)
		}
		who, _ := get(b, "user", "emailAddress").(string)
		if got := get(b, "issue", "key").(string) + " " + get(it, "toString").(string); want[who] != got {
			t.Errorf("%s: %s, want %s", who, got, want[who])
		}
		delete(want, who)
	}
	for _, key := range []string{"TAN-4", "TAN-1"} {
		_, v, _ := c.do("GET", "/rest/api/2/issue/"+key+"/changelog", nil)
		if it := get(v, "values", 0, "items", 0); get(it, "fieldId") != RankField || get(it, "field") != "Rank" {
			t.Errorf("%s changelog %v", key, v)
		}
	}
}

// TestFailRank checks the injected per-issue rank failures: the named
// issues get their own 207 entry, the rest of the request is ranked, and
// the fault wears off after n attempts.
func TestFailRank(t *testing.T) {
	s, c := newTestServer(t, Options{SeedIssues: 5})
	s.FailRank(1, 503, "TAN-5")
	code, v, _ := c.do("PUT", "/rest/agile/1.0/issue/rank", map[string]any{"issues": []string{"TAN-4", "TAN-5"}, "rankBeforeIssue": "TAN-1"})
	if code != 207 || get(v, "entries", 0, "status") != 200.0 || get(v, "entries", 1, "status") != 503.0 || get(v, "entries", 1, "issueKey") != "TAN-5" {
		t.Fatalf("partial: %d %v", code, v)
	}
	if o := s.Issues(); o[0].Key != "TAN-4" || o[4].Key != "TAN-5" {
		t.Errorf("after partial: %s first, %s last", o[0].Key, o[4].Key)
	}
	if code, v, _ := c.do("PUT", "/rest/agile/1.0/issue/rank", map[string]any{"issues": []string{"TAN-5"}, "rankAfterIssue": "TAN-4"}); code != 204 {
		t.Fatalf("fault did not wear off: %d %v", code, v)
	}
	if o := s.Issues(); o[1].Key != "TAN-5" {
		t.Errorf("TAN-5 not second: %v", o[1].Key)
	}
}

// TestSeedLargeBacklogFast keeps big seeds cheap: appending ranks must not
// scan the backlog.
func TestSeedLargeBacklogFast(t *testing.T) {
	start := time.Now()
	s := New(Options{SeedIssues: 5000})
	defer s.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("seeding 5000 issues took %s", d)
	}
	prev := ""
	for i, v := range s.Issues() {
		if v.Rank <= prev || v.Key != "TAN-"+strconv.Itoa(i+1) {
			t.Fatalf("issue %d: %s rank %s after %s", i, v.Key, v.Rank, prev)
		}
		prev = v.Rank
	}
}
