package linear

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

// historySetup is a sandbox on a fake clock and the bot's client.
func historySetup(t *testing.T) (*sandbox.Server, *Client, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 11, 4, 10, 0, 0, 0, time.UTC)}
	s, c := setup(t, sandbox.Options{Now: clk.now})
	return s, c, clk
}

// edit is one change made at a minute mark: by a person (UserUpdate with a
// raw IssueUpdateInput) or, with by == BotEmail, by the connector (Apply).
type edit struct {
	by    string
	input map[string]any
	patch backlog.Patch
}

func (e edit) do(t *testing.T, s *sandbox.Server, c *Client, id string) {
	t.Helper()
	if e.by == sandbox.BotEmail {
		if err := c.Apply(t.Context(), id, e.patch); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := s.UserUpdate(e.by, id, e.input); err != nil {
		t.Fatal(err)
	}
}

func TestFieldChange(t *testing.T) {
	s, c, clk := historySetup(t)
	t0 := clk.now()
	eng1, _ := s.Issue("ENG-1") // In Progress, priority 1, estimate 3, Bug, Alice, no due date
	eng2, _ := s.Issue("ENG-2")
	var labelIDs = map[string]string{}
	c.mu.RLock()
	for name, id := range c.cat.labels {
		labelIDs[name] = id
	}
	cycle := c.cat.cycles["cycle 1"].ID
	c.mu.RUnlock()
	if cycle == "" || labelIDs["feature"] == "" {
		t.Fatalf("catalog: %v %v", labelIDs, c.cat.cycles)
	}
	alice, bob, bot := sandbox.AliceEmail, sandbox.BobEmail, sandbox.BotEmail
	// Minute n+1 holds edits[n]; later edits of a field win.
	edits := []edit{
		{by: alice, input: map[string]any{"title": "SSO login fails"}},                                                                           // 1
		{by: bob, input: map[string]any{"priority": 2}},                                                                                          // 2
		{by: alice, input: map[string]any{"title": "SSO login fails for mixed-case emails"}},                                                     // 3: title again
		{by: bob, input: map[string]any{"description": "Steps below."}},                                                                          // 4
		{by: bot, patch: backlog.Patch{backlog.Status: backlog.EncodeStatus(backlog.StatusValue{Name: "Done", Category: backlog.CategoryDone})}}, // 5
		{by: alice, input: map[string]any{"addedLabelIds": []any{labelIDs["feature"]}}},                                                          // 6
		{by: bob, input: map[string]any{"assigneeId": nil}},                                                                                      // 7: unassign
		{by: alice, input: map[string]any{"estimate": 8, "dueDate": "2026-12-24"}},                                                               // 8: two fields at once
		{by: bob, input: map[string]any{"parentId": eng2.ID}},                                                                                    // 9
		{by: alice, input: map[string]any{"cycleId": cycle}},                                                                                     // 10
		{by: bob, input: map[string]any{"priority": 2, "title": "SSO login fails for mixed-case emails"}},                                        // 11: no-op
		{by: bot, patch: backlog.Patch{backlog.Priority: backlog.Value(backlog.PriorityLow)}},                                                    // 12
	}
	for n, e := range edits {
		clk.t = t0.Add(time.Duration(n+1) * time.Minute)
		e.do(t, s, c, eng1.ID)
	}
	at := func(minute int) time.Time { return t0.Add(time.Duration(minute) * time.Minute) }
	for _, tc := range []struct {
		f    backlog.Field
		want backlog.Change
	}{
		{backlog.Title, backlog.Change{At: at(3), By: alice}},
		{backlog.Priority, backlog.Change{At: at(12), By: bot}},
		{backlog.Description, backlog.Change{At: at(4), By: bob}},
		{backlog.Status, backlog.Change{At: at(5), By: bot}},
		{backlog.Labels, backlog.Change{At: at(6), By: alice}},
		{backlog.Assignee, backlog.Change{At: at(7), By: bob}},
		{backlog.Estimate, backlog.Change{At: at(8), By: alice}},
		{backlog.DueDate, backlog.Change{At: at(8), By: alice}},
		{backlog.Parent, backlog.Change{At: at(9), By: bob}},
		{backlog.Sprint, backlog.Change{At: at(10), By: alice}},
		{backlog.Comments, backlog.Change{}}, // not in IssueHistory
		{backlog.Rank, backlog.Change{}},     // not in IssueHistory
	} {
		t.Run(string(tc.f), func(t *testing.T) {
			got, err := c.FieldChange(t.Context(), "ENG-1", tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if !got.At.Equal(tc.want.At) || got.By != tc.want.By {
				t.Fatalf("got %v by %q, want %v by %q", got.At, got.By, tc.want.At, tc.want.By)
			}
		})
	}
	// An issue whose history never touched the field: zero, for every field.
	for _, f := range backlog.AllFields {
		got, err := c.FieldChange(t.Context(), eng2.ID, f)
		if err != nil || got != (backlog.Change{}) {
			t.Errorf("untouched %s: %v, %v", f, got, err)
		}
	}
	// Fields the history cannot tell cost no request.
	s.ResetCounts()
	if _, err := c.FieldChange(t.Context(), eng1.ID, backlog.Rank); err != nil {
		t.Fatal(err)
	}
	if n := s.Requests(bot).Reads; n != 0 {
		t.Fatalf("rank asked Linear %d times", n)
	}
}

// TestFieldChangeInterleaved: two people alternate on two fields; each
// field reports its own latest editor and time, whatever the other did
// since. Assigning to someone after nobody, and back, both count.
func TestFieldChangeInterleaved(t *testing.T) {
	s, c, clk := historySetup(t)
	t0 := clk.now()
	id := "ENG-8" // "Document the webhook signature": unassigned
	aliceID, bobID := s.UserID(sandbox.AliceEmail), s.UserID(sandbox.BobEmail)
	steps := []struct {
		by    string
		input map[string]any
	}{
		{sandbox.AliceEmail, map[string]any{"title": "t1"}},
		{sandbox.BobEmail, map[string]any{"assigneeId": aliceID}},
		{sandbox.BobEmail, map[string]any{"title": "t2"}},
		{sandbox.AliceEmail, map[string]any{"assigneeId": bobID}},
		{sandbox.AliceEmail, map[string]any{"title": "t3", "assigneeId": nil}},
		{sandbox.BobEmail, map[string]any{"assigneeId": bobID}},
	}
	// After each step, the field last touched by steps[0..k] is reported.
	for k, st := range steps {
		clk.t = t0.Add(time.Duration(k+1) * time.Minute)
		if err := s.UserUpdate(st.by, id, st.input); err != nil {
			t.Fatal(err)
		}
		for _, f := range []backlog.Field{backlog.Title, backlog.Assignee} {
			key := map[backlog.Field]string{backlog.Title: "title", backlog.Assignee: "assigneeId"}[f]
			want := backlog.Change{}
			for j := k; j >= 0; j-- {
				if _, ok := steps[j].input[key]; ok {
					want = backlog.Change{At: t0.Add(time.Duration(j+1) * time.Minute), By: steps[j].by}
					break
				}
			}
			got, err := c.FieldChange(t.Context(), id, f)
			if err != nil {
				t.Fatal(err)
			}
			if !got.At.Equal(want.At) || got.By != want.By {
				t.Fatalf("after step %d, %s: got %v by %q, want %v by %q", k, f, got.At, got.By, want.At, want.By)
			}
		}
	}
}

// TestFieldChangePages: the change sits behind more than two pages of
// newer entries about another field.
func TestFieldChangePages(t *testing.T) {
	s, c, clk := historySetup(t)
	t0 := clk.now()
	clk.t = t0.Add(time.Second)
	if err := s.UserUpdate(sandbox.BobEmail, "ENG-3", map[string]any{"priority": 4}); err != nil {
		t.Fatal(err)
	}
	n := 2*historyPage + 7
	for k := range n {
		clk.t = t0.Add(time.Duration(k+2) * time.Second)
		if err := s.UserUpdate(sandbox.AliceEmail, "ENG-3", map[string]any{"title": fmt.Sprintf("edit %d", k)}); err != nil {
			t.Fatal(err)
		}
	}
	s.ResetCounts()
	got, err := c.FieldChange(t.Context(), "ENG-3", backlog.Priority)
	if err != nil {
		t.Fatal(err)
	}
	if !got.At.Equal(t0.Add(time.Second)) || got.By != sandbox.BobEmail {
		t.Fatalf("priority: %v by %q", got.At, got.By)
	}
	if r := s.Requests(sandbox.BotEmail).Reads; r != 3 {
		t.Fatalf("%d reads for %d entries, want 3", r, n+1)
	}
	// The newest entry answers on the first page.
	s.ResetCounts()
	got, err = c.FieldChange(t.Context(), "ENG-3", backlog.Title)
	if err != nil || !got.At.Equal(t0.Add(time.Duration(n+1)*time.Second)) || got.By != sandbox.AliceEmail {
		t.Fatalf("title: %v by %q, %v", got.At, got.By, err)
	}
	if r := s.Requests(sandbox.BotEmail).Reads; r != 1 {
		t.Fatalf("%d reads for the newest entry", r)
	}
}

func TestFieldChangeUnknownIssue(t *testing.T) {
	_, c, _ := historySetup(t)
	for _, id := range []string{"ENG-999", "00000000-0000-4000-8000-000000000000"} {
		_, err := c.FieldChange(t.Context(), id, backlog.Title)
		if !errors.Is(err, connectors.ErrNotFound) {
			t.Fatalf("%s: %v", id, err)
		}
	}
}

// TestHistoryEntryBy: who a change is credited to.
func TestHistoryEntryBy(t *testing.T) {
	type actor = struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	}
	type bot = struct {
		Name *string `json:"name"`
	}
	name := "GitHub"
	for _, tc := range []struct {
		desc string
		h    historyEntry
		want string
	}{
		{"email", historyEntry{Actor: &actor{Name: "Alice", Email: "alice@example.com"}}, "alice@example.com"},
		{"hidden email", historyEntry{Actor: &actor{Name: "Alice"}}, "Alice"},
		{"integration", historyEntry{BotActor: &bot{Name: &name}}, "GitHub"},
		{"user before bot", historyEntry{Actor: &actor{Email: "a@x"}, BotActor: &bot{Name: &name}}, "a@x"},
		{"nobody", historyEntry{BotActor: &bot{}}, ""},
		{"nothing", historyEntry{}, ""},
	} {
		if got := tc.h.by(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.desc, got, tc.want)
		}
	}
}

// Every field the history can tell has a document that validates (the
// fidelity check in TestMain sees each one sent at least once here).
func TestFieldChangeEveryDocument(t *testing.T) {
	_, c, _ := historySetup(t)
	for f := range historyFields {
		if _, err := c.FieldChange(t.Context(), "ENG-1", f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestFieldChangeProperty: after any sequence of edits by alice, bob and the
// connector on a few fields (with no-op writes among them), each field
// reports the last edit that changed its value, and a field never changed
// reports zero.
func TestFieldChangeProperty(t *testing.T) {
	s, c, clk := historySetup(t)
	users := []string{sandbox.AliceEmail, sandbox.BobEmail, sandbox.BotEmail}
	assignees := []string{"", sandbox.AliceEmail, sandbox.BobEmail}
	rapid.Check(t, func(rt *rapid.T) {
		clk.advance(time.Hour)
		id, _, err := s.UserCreate(sandbox.AliceEmail, map[string]any{"teamId": s.TeamID(), "title": "t0"})
		if err != nil {
			rt.Fatal(err)
		}
		cur := map[backlog.Field]string{backlog.Title: "t0", backlog.Priority: "0", backlog.Assignee: "", backlog.Estimate: ""}
		want := map[backlog.Field]backlog.Change{}
		for range rapid.IntRange(0, 12).Draw(rt, "edits") {
			clk.advance(time.Duration(rapid.IntRange(1, 5000).Draw(rt, "ms")) * time.Millisecond)
			by := rapid.SampledFrom(users).Draw(rt, "by")
			f := rapid.SampledFrom([]backlog.Field{backlog.Title, backlog.Priority, backlog.Assignee, backlog.Estimate}).Draw(rt, "field")
			var v string
			var in map[string]any
			var p backlog.Patch
			switch f {
			case backlog.Title:
				v = rapid.SampledFrom([]string{"t0", "t1", "t2"}).Draw(rt, "title")
				in, p = map[string]any{"title": v}, backlog.Patch{f: backlog.Value(v)}
			case backlog.Priority:
				n := rapid.IntRange(0, 4).Draw(rt, "priority")
				v = fmt.Sprint(n)
				in = map[string]any{"priority": n}
				p = backlog.Patch{f: backlog.Value([]backlog.PriorityLevel{backlog.PriorityNone, backlog.PriorityHighest,
					backlog.PriorityHigh, backlog.PriorityMedium, backlog.PriorityLow}[n])}
			case backlog.Assignee:
				v = rapid.SampledFrom(assignees).Draw(rt, "assignee")
				in, p = map[string]any{"assigneeId": nil}, backlog.Patch{f: backlog.Value(v)}
				if v != "" {
					in["assigneeId"] = s.UserID(v)
				}
			case backlog.Estimate:
				v = rapid.SampledFrom([]string{"", "1", "2"}).Draw(rt, "estimate")
				in, p = map[string]any{"estimate": nil}, backlog.Patch{f: backlog.Value(v)}
				if v != "" {
					in["estimate"] = int(v[0] - '0')
				}
			}
			if by == sandbox.BotEmail {
				if err := c.Apply(t.Context(), id, p); err != nil {
					rt.Fatal(err)
				}
			} else if err := s.UserUpdate(by, id, in); err != nil {
				rt.Fatal(err)
			}
			if v != cur[f] {
				cur[f] = v
				want[f] = backlog.Change{At: clk.now().UTC().Truncate(time.Millisecond), By: by}
			}
		}
		for f := range cur {
			got, err := c.FieldChange(t.Context(), id, f)
			if err != nil {
				rt.Fatal(err)
			}
			if !got.At.Equal(want[f].At) || got.By != want[f].By {
				rt.Fatalf("%s: got %v by %q, want %v by %q", f, got.At, got.By, want[f].At, want[f].By)
			}
		}
	})
}
