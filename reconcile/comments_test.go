package reconcile

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
)

// memComments is a tool's comments behind connectors.Commenter.
type memComments struct {
	byIssue map[string][]backlog.Comment
	next    int
	writes  int
	now     time.Time
}

func newComments() *memComments {
	return &memComments{byIssue: map[string][]backlog.Comment{}, now: time.Unix(1_800_000_000, 0)}
}

func (m *memComments) Comments(_ context.Context, id string) ([]backlog.Comment, error) {
	return slices.Clone(m.byIssue[id]), nil
}
func (m *memComments) CreateComment(_ context.Context, id, body string) (string, error) {
	m.next++
	m.writes++
	m.now = m.now.Add(time.Second)
	c := backlog.Comment{ID: fmt.Sprint("c", m.next), Author: "tandem-bot@example.com", Body: body, Created: m.now, Updated: m.now}
	m.byIssue[id] = append(m.byIssue[id], c)
	return c.ID, nil
}
func (m *memComments) UpdateComment(_ context.Context, id, cid, body string) error {
	m.writes++
	m.now = m.now.Add(time.Second)
	for i, c := range m.byIssue[id] {
		if c.ID == cid {
			m.byIssue[id][i].Body, m.byIssue[id][i].Updated = body, m.now
		}
	}
	return nil
}
func (m *memComments) DeleteComment(_ context.Context, id, cid string) error {
	m.writes++
	m.byIssue[id] = slices.DeleteFunc(m.byIssue[id], func(c backlog.Comment) bool { return c.ID == cid })
	return nil
}

// human adds or edits a comment as a person would (no write counted).
func (m *memComments) human(id, cid, author, body string) string {
	m.now = m.now.Add(time.Second)
	for i, c := range m.byIssue[id] {
		if c.ID == cid {
			m.byIssue[id][i].Body, m.byIssue[id][i].Updated = body, m.now
			return cid
		}
	}
	m.next++
	c := backlog.Comment{ID: fmt.Sprint("h", m.next), Author: author, Body: body, Created: m.now, Updated: m.now}
	m.byIssue[id] = append(m.byIssue[id], c)
	return c.ID
}

func TestCommentsMirrorBothWays(t *testing.T) {
	s, j, _, st := newSyncer(t, backlog.PolicyJira)
	jc, lc := newComments(), newComments()
	s.JiraComments, s.LinearComments = jc, lc
	ref := j.put(backlog.Item{Ref: backlog.Ref{ID: "1", Key: "TAN-1"}, Title: "A"})
	mustSync(t, s, ref)
	lid := backlog.TwinID("jira.example", "1")
	lref := backlog.Ref{Side: backlog.Linear, ID: lid}

	// A comment in Jira is copied to Linear with an attribution line.
	jid := jc.human("1", "", "alice@example.com", "Repro: click **Pay** twice.")
	mustSync(t, s, ref)
	got := lc.byIssue[lid]
	if len(got) != 1 || !strings.HasPrefix(got[0].Body, "Repro: click **Pay** twice.") ||
		!strings.Contains(got[0].Body, "alice@example.com in Jira (TAN-1) · comment "+jid) {
		t.Fatalf("linear comments = %+v", got)
	}
	// Our copy coming back is no new comment: passes write nothing more.
	w := jc.writes + lc.writes
	for range 3 {
		mustSync(t, s, lref)
		mustSync(t, s, ref)
	}
	if jc.writes+lc.writes != w || len(jc.byIssue["1"]) != 1 {
		t.Fatalf("echo: writes %d -> %d, jira comments %d", w, jc.writes+lc.writes, len(jc.byIssue["1"]))
	}
	// A comment in Linear goes to Jira.
	lc.human(lid, "", "bob@example.com", "Fixed in build 42")
	mustSync(t, s, lref)
	if n := len(jc.byIssue["1"]); n != 2 || !strings.Contains(jc.byIssue["1"][1].Body, "bob@example.com in Linear") {
		t.Fatalf("jira comments = %+v", jc.byIssue["1"])
	}
	// An edit of the original reaches the copy.
	jc.human("1", jid, "alice@example.com", "Repro: click **Pay** three times.")
	mustSync(t, s, ref)
	if !strings.HasPrefix(lc.byIssue[lid][0].Body, "Repro: click **Pay** three times.") {
		t.Fatalf("edit not carried: %q", lc.byIssue[lid][0].Body)
	}
	// A deletion deletes the twin.
	jc.byIssue["1"] = jc.byIssue["1"][1:]
	mustSync(t, s, ref)
	if n := len(lc.byIssue[lid]); n != 1 {
		t.Fatalf("linear comments after delete: %d", n)
	}
	// Lost pairs (a crash before the base was saved): re-paired by the
	// attribution, never copied twice.
	base, _ := st.Base(t.Context(), lid)
	delete(base, backlog.Comments)
	lease, _ := st.Lock(t.Context(), "link:"+lid, time.Minute)
	st.SaveBase(t.Context(), lease, lid, base)
	st.Unlock(t.Context(), lease)
	w = jc.writes + lc.writes
	mustSync(t, s, ref)
	if jc.writes+lc.writes != w || len(jc.byIssue["1"]) != 1 || len(lc.byIssue[lid]) != 1 {
		t.Fatalf("after losing the pairs: writes %d -> %d, jira %d linear %d", w, jc.writes+lc.writes, len(jc.byIssue["1"]), len(lc.byIssue[lid]))
	}
}

func TestAttributionRoundTrip(t *testing.T) {
	c := backlog.Comment{ID: "10042", Author: "alice@example.com", Body: "Looks good\n\n- one\n- two\n"}
	m := mirrorBody(c, backlog.Jira, "TAN-7")
	side, id, ok := sourceOf(m)
	if !ok || side != backlog.Jira || id != "10042" {
		t.Fatalf("sourceOf(%q) = %s %s %v", m, side, id, ok)
	}
	if stripAttribution(m) != "Looks good\n\n- one\n- two" {
		t.Fatalf("strip: %q", stripAttribution(m))
	}
	// A copy of a copy keeps one attribution.
	m2 := mirrorBody(backlog.Comment{ID: "u1", Author: "bob@example.com", Body: m}, backlog.Linear, "ENG-3")
	if strings.Count(m2, " · comment ") != 1 {
		t.Fatalf("double attribution: %q", m2)
	}
	if _, _, ok := sourceOf("just a comment · comment x"); ok {
		t.Fatal("plain text taken for an attribution")
	}
}
