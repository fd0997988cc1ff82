package demo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
	"github.com/tandem-sync/tandem/store"
)

// Jira account ids of the seeded people (jira sandbox seedCatalog).
const (
	aliceAccount = "5b10a2844c20165700ede21g"
	bobAccount   = "5b109f2e9729b51b54dc274d"
	carolAccount = "5b10ac8d82e05b22cc7d4ef6" // no Linear account
	carol        = "carol@example.com"
)

// fieldEnv starts a world where every field can travel: Linear creates
// the labels it lacks, and the Jira board has sprints named like two of
// Linear's cycles ("Cycle 2" is Linear's current unnamed cycle,
// "Hardening" its named next one). The sprints exist before Tandem starts
// so its sprint directory knows them.
func fieldEnv(t *testing.T, o EnvOptions, mappingLines ...string) *Env {
	t.Helper()
	dir := t.TempDir()
	mapping := filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(mapping, []byte("linear:\n  create_labels: true\n"+strings.Join(mappingLines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	o.MappingFile = mapping
	o.DataDir = filepath.Join(dir, "store")
	e := start(t, o)
	e.Jira.AddSprint("Cycle 2", jirasb.SprintActive)
	e.Jira.AddSprint("Hardening", jirasb.SprintFuture)
	if err := e.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Settle(t.Context(), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return e
}

// linearCatalog reads the Linear team's label and cycle ids by name, as a
// person's client would (alice's key; not counted as the bot's).
func linearCatalog(t *testing.T, e *Env) (labels, cycles map[string]string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": `{ issueLabels(first: 250) { nodes { id name } } cycles(first: 50) { nodes { id name number } } }`})
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
	req.Header.Set("Authorization", linearsb.AliceKey)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.Linear.ServeHTTP(rec, req)
	var out struct {
		Data struct {
			IssueLabels struct {
				Nodes []struct{ ID, Name string }
			}
			Cycles struct {
				Nodes []struct {
					ID     string
					Name   *string
					Number float64
				}
			}
		}
		Errors []any
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Errors) > 0 {
		t.Fatalf("linear catalog: %v %s", err, rec.Body.String())
	}
	labels, cycles = map[string]string{}, map[string]string{}
	for _, l := range out.Data.IssueLabels.Nodes {
		labels[l.Name] = l.ID
	}
	for _, c := range out.Data.Cycles.Nodes {
		name := fmt.Sprintf("Cycle %g", c.Number)
		if c.Name != nil && *c.Name != "" {
			name = *c.Name
		}
		cycles[name] = c.ID
	}
	return labels, cycles
}

// settleQuiet waits for the daemon to drain, lets echoes and a poll or two
// arrive, and waits again.
func settleQuiet(t *testing.T, e *Env) {
	t.Helper()
	ctx := t.Context()
	if err := pollEvery(ctx, 10*time.Second, 20*time.Millisecond, e.App.Daemon.Idle); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	if err := pollEvery(ctx, 10*time.Second, 20*time.Millisecond, e.App.Daemon.Idle); err != nil {
		t.Fatal(err)
	}
}

func fptr(f float64) *float64 { return &f }

func sameFloat(a, b *float64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func sortedLabels(ls []string) []string {
	out := slices.Clone(ls)
	slices.Sort(out)
	return out
}

// fieldRow is one person's edit on one side and what the other side must
// then show.
type fieldRow struct {
	name string
	side backlog.Side // the side the person edits
	link int          // which of the picked links
	edit func(e *Env, ls []backlog.Link) error
	want func(e *Env, ls []backlog.Link) bool // read on the other side
	show func(e *Env, ls []backlog.Link) string
}

// TestFieldsBothWays edits every synced field, set and cleared, on each
// side as a person and waits for the twin to show it; the edited side gets
// no write back from Tandem (no echo).
func TestFieldsBothWays(t *testing.T) {
	byWebhooksAndPolling(t, time.Hour, fieldsBothWays)
}

// byWebhooksAndPolling runs a table twice: with webhooks (the poll every
// hookPoll, as the table needs) and with polling only (every 250 ms).
func byWebhooksAndPolling(t *testing.T, hookPoll time.Duration, run func(*testing.T, EnvOptions)) {
	t.Run("webhooks", func(t *testing.T) { run(t, EnvOptions{Webhooks: true, PollEvery: hookPoll}) })
	t.Run("polling", func(t *testing.T) { run(t, EnvOptions{Webhooks: false, PollEvery: 250 * time.Millisecond}) })
}

func fieldsBothWays(t *testing.T, o EnvOptions) {
	e := fieldEnv(t, o)
	ctx := t.Context()

	// Four Story/Task/Bug links without a parent and an Epic to hang
	// stories under.
	var ls []backlog.Link
	var skip []string
	for range 4 {
		l, err := e.Pick(ctx, func(v jirasb.IssueView) bool {
			return v.Type != "Epic" && v.Type != "Sub-task" && v.Parent == ""
		}, skip...)
		if err != nil {
			t.Fatal(err)
		}
		ls, skip = append(ls, l), append(skip, l.ID())
	}
	epic, err := e.Pick(ctx, func(v jirasb.IssueView) bool { return v.Type == "Epic" }, skip...)
	if err != nil {
		t.Fatal(err)
	}
	ls = append(ls, epic) // ls[4]
	labelIDs, cycleIDs := linearCatalog(t, e)
	for _, n := range []string{"Feature", "Docs", "Cycle 2", "Hardening"} {
		if labelIDs[n] == "" && cycleIDs[n] == "" {
			t.Fatalf("linear seed lacks %q: labels %v cycles %v", n, labelIDs, cycleIDs)
		}
	}
	// A label Linear lacks: Tandem creates it there (create_labels).
	const newLabel = "frontend"

	J := func(l backlog.Link) jirasb.IssueView { return e.JiraIssue(l) }
	L := func(l backlog.Link) linearsb.IssueView { return e.LinearIssue(l) }
	jiraEdit := func(k int, f map[string]any) func(*Env, []backlog.Link) error {
		return func(e *Env, ls []backlog.Link) error { return e.Jira.UserEdit(Alice, ls[k].Jira.ID, f) }
	}
	linearEdit := func(k int, in map[string]any) func(*Env, []backlog.Link) error {
		return func(e *Env, ls []backlog.Link) error { return e.Linear.UserUpdate(Bob, ls[k].Linear.ID, in) }
	}
	var rows []fieldRow
	add := func(r fieldRow) { rows = append(rows, r) }
	showJ := func(k int) func(*Env, []backlog.Link) string {
		return func(e *Env, ls []backlog.Link) string { return fmt.Sprintf("jira %+v", J(ls[k])) }
	}
	showL := func(k int) func(*Env, []backlog.Link) string {
		return func(e *Env, ls []backlog.Link) string { return fmt.Sprintf("linear %+v", L(ls[k])) }
	}

	// Title.
	add(fieldRow{name: "title", side: backlog.Jira, link: 0,
		edit: jiraEdit(0, map[string]any{"summary": "Checkout: one-click pay"}),
		want: func(e *Env, ls []backlog.Link) bool { return L(ls[0]).Title == "Checkout: one-click pay" }})
	add(fieldRow{name: "title", side: backlog.Linear, link: 1,
		edit: linearEdit(1, map[string]any{"title": "Search: fuzzy matching"}),
		want: func(e *Env, ls []backlog.Link) bool { return J(ls[1]).Summary == "Search: fuzzy matching" }})
	// Description: wiki ⇄ Markdown.
	add(fieldRow{name: "description", side: backlog.Jira, link: 0,
		edit: jiraEdit(0, map[string]any{"description": "h2. Plan\n\n* first *step*\n* second {{step}}"}),
		want: func(e *Env, ls []backlog.Link) bool {
			d := L(ls[0]).Description
			return strings.Contains(d, "## Plan") && strings.Contains(d, "**step**") && strings.Contains(d, "`step`")
		}})
	add(fieldRow{name: "description", side: backlog.Linear, link: 1,
		edit: linearEdit(1, map[string]any{"description": "Some **bold** and `code`.\n\n1. one\n2. two"}),
		want: func(e *Env, ls []backlog.Link) bool {
			d := J(ls[1]).Description
			return strings.Contains(d, "*bold*") && strings.Contains(d, "{{code}}") && strings.Contains(d, "# one")
		}})
	// Status, along transitions the workflow allows.
	var statusTo string
	add(fieldRow{name: "status", side: backlog.Jira, link: 2,
		edit: func(e *Env, ls []backlog.Link) error {
			to := "In Progress"
			switch J(ls[2]).Status {
			case "In Progress":
				to = "In Review"
			case "In Review", "Done":
				to = map[string]string{"In Review": "In Progress", "Done": "To Do"}[J(ls[2]).Status]
			case "Won't Do":
				to = "To Do"
			}
			statusTo = to
			return e.Jira.UserTransition(Alice, ls[2].Jira.ID, to)
		},
		want: func(e *Env, ls []backlog.Link) bool {
			want := map[string]string{"To Do": "Todo"}[statusTo]
			if want == "" {
				want = statusTo
			}
			return L(ls[2]).State == want
		}})
	add(fieldRow{name: "status", side: backlog.Linear, link: 3,
		edit: func(e *Env, ls []backlog.Link) error {
			return e.Linear.UserUpdate(Bob, ls[3].Linear.ID, map[string]any{"stateId": e.Linear.StateID("In Review")})
		},
		want: func(e *Env, ls []backlog.Link) bool { return J(ls[3]).Status == "In Review" }})
	// Lossy mappings: Linear's Backlog and Canceled have Jira twins (To Do,
	// Won't Do) that read back differently; neither echoes.
	add(fieldRow{name: "status backlog", side: backlog.Linear, link: 3,
		edit: func(e *Env, ls []backlog.Link) error {
			return e.Linear.UserUpdate(Bob, ls[3].Linear.ID, map[string]any{"stateId": e.Linear.StateID("Backlog")})
		},
		want: func(e *Env, ls []backlog.Link) bool { return J(ls[3]).Status == "To Do" && L(ls[3]).State == "Backlog" }})
	add(fieldRow{name: "status canceled", side: backlog.Linear, link: 3,
		edit: func(e *Env, ls []backlog.Link) error {
			return e.Linear.UserUpdate(Bob, ls[3].Linear.ID, map[string]any{"stateId": e.Linear.StateID("Canceled")})
		},
		want: func(e *Env, ls []backlog.Link) bool {
			return J(ls[3]).Status == "Won't Do" && L(ls[3]).State == "Canceled"
		}})
	add(fieldRow{name: "status reopened", side: backlog.Jira, link: 3,
		edit: func(e *Env, ls []backlog.Link) error { return e.Jira.UserTransition(Alice, ls[3].Jira.ID, "To Do") },
		want: func(e *Env, ls []backlog.Link) bool {
			return L(ls[3]).StateType == "unstarted" || L(ls[3]).StateType == "backlog"
		}})
	// Priority.
	add(fieldRow{name: "priority lowest", side: backlog.Jira, link: 2,
		edit: jiraEdit(2, map[string]any{"priority": map[string]any{"name": "Lowest"}}),
		want: func(e *Env, ls []backlog.Link) bool { return L(ls[2]).Priority == 4 && J(ls[2]).Priority == "Lowest" }})
	add(fieldRow{name: "priority", side: backlog.Jira, link: 0,
		edit: jiraEdit(0, map[string]any{"priority": map[string]any{"name": "Highest"}}),
		want: func(e *Env, ls []backlog.Link) bool { return L(ls[0]).Priority == 1 }})
	add(fieldRow{name: "priority", side: backlog.Linear, link: 1,
		edit: linearEdit(1, map[string]any{"priority": 4}),
		want: func(e *Env, ls []backlog.Link) bool {
			return J(ls[1]).Priority == "Lowest" || J(ls[1]).Priority == "Low"
		}})
	// Assignee, by email, set and cleared.
	add(fieldRow{name: "assignee set", side: backlog.Jira, link: 0,
		edit: jiraEdit(0, map[string]any{"assignee": map[string]any{"accountId": bobAccount}}),
		want: func(e *Env, ls []backlog.Link) bool { return L(ls[0]).Assignee == Bob }})
	// Carol has no Linear account: Linear leaves the twin unassigned, and
	// that must not come back to unassign her in Jira.
	add(fieldRow{name: "assignee without a linear account", side: backlog.Jira, link: 0,
		edit: jiraEdit(0, map[string]any{"assignee": map[string]any{"accountId": carolAccount}}),
		want: func(e *Env, ls []backlog.Link) bool { return L(ls[0]).Assignee == "" && J(ls[0]).Assignee == carol }})
	add(fieldRow{name: "assignee set again", side: backlog.Jira, link: 0,
		edit: jiraEdit(0, map[string]any{"assignee": map[string]any{"accountId": aliceAccount}}),
		want: func(e *Env, ls []backlog.Link) bool { return L(ls[0]).Assignee == Alice }})
	add(fieldRow{name: "assignee cleared", side: backlog.Jira, link: 0,
		edit: jiraEdit(0, map[string]any{"assignee": nil}),
		want: func(e *Env, ls []backlog.Link) bool { return L(ls[0]).Assignee == "" }})
	add(fieldRow{name: "assignee set", side: backlog.Linear, link: 1,
		edit: func(e *Env, ls []backlog.Link) error {
			return e.Linear.UserUpdate(Bob, ls[1].Linear.ID, map[string]any{"assigneeId": e.Linear.UserID(Alice)})
		},
		want: func(e *Env, ls []backlog.Link) bool { return J(ls[1]).Assignee == Alice }})
	add(fieldRow{name: "assignee cleared", side: backlog.Linear, link: 1,
		edit: linearEdit(1, map[string]any{"assigneeId": nil}),
		want: func(e *Env, ls []backlog.Link) bool { return J(ls[1]).Assignee == "" }})
	// Labels: added (one Linear has, one it must create) and removed.
	add(fieldRow{name: "labels added", side: backlog.Jira, link: 2,
		edit: func(e *Env, ls []backlog.Link) error {
			return e.Jira.UserEdit(Alice, ls[2].Jira.ID, map[string]any{"labels": append(J(ls[2]).Labels, "Feature", newLabel)})
		},
		want: func(e *Env, ls []backlog.Link) bool {
			return slices.Contains(L(ls[2]).Labels, "Feature") && slices.Contains(L(ls[2]).Labels, newLabel)
		}})
	add(fieldRow{name: "label removed", side: backlog.Jira, link: 2,
		edit: func(e *Env, ls []backlog.Link) error {
			return e.Jira.UserEdit(Alice, ls[2].Jira.ID, map[string]any{"labels": slices.DeleteFunc(J(ls[2]).Labels, func(s string) bool { return s == "Feature" })})
		},
		want: func(e *Env, ls []backlog.Link) bool {
			return !slices.Contains(L(ls[2]).Labels, "Feature") && slices.Contains(L(ls[2]).Labels, newLabel)
		}})
	add(fieldRow{name: "label added", side: backlog.Linear, link: 3,
		edit: func(e *Env, ls []backlog.Link) error {
			return e.Linear.UserUpdate(Bob, ls[3].Linear.ID, map[string]any{"addedLabelIds": []string{labelIDs["Docs"]}})
		},
		want: func(e *Env, ls []backlog.Link) bool { return slices.Contains(J(ls[3]).Labels, "Docs") }})
	add(fieldRow{name: "label removed", side: backlog.Linear, link: 3,
		edit: func(e *Env, ls []backlog.Link) error {
			return e.Linear.UserUpdate(Bob, ls[3].Linear.ID, map[string]any{"removedLabelIds": []string{labelIDs["Docs"]}})
		},
		want: func(e *Env, ls []backlog.Link) bool { return !slices.Contains(J(ls[3]).Labels, "Docs") }})
	// Estimate: story points ⇄ the team's fibonacci scale.
	// 13 is off the team's scale (1, 2, 3, 5, 8): Linear gets the nearest.
	add(fieldRow{name: "estimate off scale", side: backlog.Jira, link: 0,
		edit: jiraEdit(0, map[string]any{jirasb.StoryPointsField: 13}),
		want: func(e *Env, ls []backlog.Link) bool { return sameFloat(L(ls[0]).Estimate, fptr(8)) }})
	est := 5.0
	add(fieldRow{name: "estimate set", side: backlog.Jira, link: 2,
		edit: func(e *Env, ls []backlog.Link) error {
			if sameFloat(L(ls[2]).Estimate, fptr(est)) {
				est = 2
			}
			return e.Jira.UserEdit(Alice, ls[2].Jira.ID, map[string]any{jirasb.StoryPointsField: est})
		},
		want: func(e *Env, ls []backlog.Link) bool { return sameFloat(L(ls[2]).Estimate, fptr(est)) }})
	add(fieldRow{name: "estimate cleared", side: backlog.Jira, link: 2,
		edit: jiraEdit(2, map[string]any{jirasb.StoryPointsField: nil}),
		want: func(e *Env, ls []backlog.Link) bool { return L(ls[2]).Estimate == nil }})
	add(fieldRow{name: "estimate set", side: backlog.Linear, link: 1,
		edit: linearEdit(1, map[string]any{"estimate": 3}),
		want: func(e *Env, ls []backlog.Link) bool { return sameFloat(J(ls[1]).StoryPoints, fptr(3)) }})
	add(fieldRow{name: "estimate cleared", side: backlog.Linear, link: 1,
		edit: linearEdit(1, map[string]any{"estimate": nil}),
		want: func(e *Env, ls []backlog.Link) bool { return J(ls[1]).StoryPoints == nil }})
	// Due date.
	add(fieldRow{name: "due date set", side: backlog.Jira, link: 3,
		edit: jiraEdit(3, map[string]any{"duedate": "2027-03-04"}),
		want: func(e *Env, ls []backlog.Link) bool { return L(ls[3]).DueDate == "2027-03-04" }})
	add(fieldRow{name: "due date unset", side: backlog.Jira, link: 3,
		edit: jiraEdit(3, map[string]any{"duedate": nil}),
		want: func(e *Env, ls []backlog.Link) bool { return L(ls[3]).DueDate == "" }})
	add(fieldRow{name: "due date set", side: backlog.Linear, link: 0,
		edit: linearEdit(0, map[string]any{"dueDate": "2027-05-06"}),
		want: func(e *Env, ls []backlog.Link) bool { return J(ls[0]).DueDate == "2027-05-06" }})
	add(fieldRow{name: "due date unset", side: backlog.Linear, link: 0,
		edit: linearEdit(0, map[string]any{"dueDate": nil}),
		want: func(e *Env, ls []backlog.Link) bool { return J(ls[0]).DueDate == "" }})
	// Parent: a story under the (linked) epic, then out again.
	add(fieldRow{name: "parent set", side: backlog.Jira, link: 0,
		edit: func(e *Env, ls []backlog.Link) error {
			return e.Jira.UserEdit(Alice, ls[0].Jira.ID, map[string]any{"parent": map[string]any{"key": ls[4].Jira.Key}})
		},
		want: func(e *Env, ls []backlog.Link) bool { return L(ls[0]).ParentID == ls[4].Linear.ID }})
	add(fieldRow{name: "parent removed", side: backlog.Jira, link: 0,
		edit: jiraEdit(0, map[string]any{"parent": nil}),
		want: func(e *Env, ls []backlog.Link) bool { return L(ls[0]).ParentID == "" }})
	add(fieldRow{name: "parent set", side: backlog.Linear, link: 1,
		edit: func(e *Env, ls []backlog.Link) error {
			return e.Linear.UserUpdate(Bob, ls[1].Linear.ID, map[string]any{"parentId": ls[4].Linear.ID})
		},
		want: func(e *Env, ls []backlog.Link) bool { return J(ls[1]).Parent == ls[4].Jira.Key }})
	add(fieldRow{name: "parent removed", side: backlog.Linear, link: 1,
		edit: linearEdit(1, map[string]any{"parentId": nil}),
		want: func(e *Env, ls []backlog.Link) bool { return J(ls[1]).Parent == "" }})
	// Sprint ⇄ cycle, by name.
	add(fieldRow{name: "sprint set", side: backlog.Jira, link: 2,
		edit: func(e *Env, ls []backlog.Link) error { return e.Jira.UserSprint(Alice, ls[2].Jira.ID, "Hardening") },
		want: func(e *Env, ls []backlog.Link) bool { return L(ls[2]).Cycle == "Hardening" }})
	add(fieldRow{name: "sprint moved", side: backlog.Jira, link: 2,
		edit: func(e *Env, ls []backlog.Link) error { return e.Jira.UserSprint(Alice, ls[2].Jira.ID, "Cycle 2") },
		want: func(e *Env, ls []backlog.Link) bool { return L(ls[2]).Cycle == "Cycle 2" }})
	add(fieldRow{name: "sprint removed", side: backlog.Jira, link: 2,
		edit: func(e *Env, ls []backlog.Link) error { return e.Jira.UserSprint(Alice, ls[2].Jira.ID, "") },
		want: func(e *Env, ls []backlog.Link) bool { return L(ls[2]).Cycle == "" }})
	add(fieldRow{name: "cycle set", side: backlog.Linear, link: 3,
		edit: func(e *Env, ls []backlog.Link) error {
			return e.Linear.UserUpdate(Bob, ls[3].Linear.ID, map[string]any{"cycleId": cycleIDs["Hardening"]})
		},
		want: func(e *Env, ls []backlog.Link) bool {
			s := J(ls[3]).Sprints
			return len(s) > 0 && s[len(s)-1] == "Hardening"
		}})
	add(fieldRow{name: "cycle removed", side: backlog.Linear, link: 3,
		edit: linearEdit(3, map[string]any{"cycleId": nil}),
		want: func(e *Env, ls []backlog.Link) bool { return len(J(ls[3]).Sprints) == 0 }})

	for i := range rows {
		r := &rows[i]
		if r.side == backlog.Jira {
			r.show = showL(r.link)
		} else {
			r.show = showJ(r.link)
		}
	}
	settleQuiet(t, e)
	for _, r := range rows {
		t.Run(string(r.side)+"/"+strings.ReplaceAll(r.name, " ", "_"), func(t *testing.T) { runFieldRow(t, e, r, ls) })
	}
	rep, err := e.App.Syncer.Diff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.InSync() {
		t.Fatalf("not in sync after the edits: %+v", rep)
	}
}

// TestFieldsConcurrentLabelAdds: labels added on both sides of the same
// pair before Tandem sees either both survive on both sides (set
// semantics, no conflict on labels), and a label removed on one side while
// another is added on the other side is removed on both.
func TestFieldsConcurrentLabelAdds(t *testing.T) {
	e := fieldEnv(t, EnvOptions{Webhooks: true, PollEvery: 300 * time.Millisecond})
	ctx := t.Context()
	labelIDs, _ := linearCatalog(t, e)
	l, err := e.Pick(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	settleQuiet(t, e)
	before := sortedLabels(e.JiraIssue(l).Labels)
	lease, err := e.HoldLink(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Jira.UserEdit(Alice, l.Jira.ID, map[string]any{"labels": append(e.JiraIssue(l).Labels, "Feature")}); err != nil {
		t.Fatal(err)
	}
	if err := e.Linear.UserUpdate(Bob, l.Linear.ID, map[string]any{"addedLabelIds": []string{labelIDs["Docs"]}}); err != nil {
		t.Fatal(err)
	}
	if err := e.App.State.Unlock(ctx, lease); err != nil {
		t.Fatal(err)
	}
	want := sortedLabels(append(slices.Clone(before), "Docs", "Feature"))
	both := func() bool {
		return slices.Equal(sortedLabels(e.JiraIssue(l).Labels), want) && slices.Equal(sortedLabels(e.LinearIssue(l).Labels), want)
	}
	if _, err := WaitFor(ctx, 10*time.Second, both); err != nil {
		t.Fatalf("labels: jira %v, linear %v, want %v on both: %v", e.JiraIssue(l).Labels, e.LinearIssue(l).Labels, want, err)
	}
	settleQuiet(t, e)
	if !both() {
		t.Fatalf("labels did not hold: jira %v, linear %v, want %v", e.JiraIssue(l).Labels, e.LinearIssue(l).Labels, want)
	}

	// Now one side removes Feature while the other adds Backend.
	lease, err = e.HoldLink(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Linear.UserUpdate(Bob, l.Linear.ID, map[string]any{"removedLabelIds": []string{labelIDs["Feature"]}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Jira.UserEdit(Alice, l.Jira.ID, map[string]any{"labels": append(e.JiraIssue(l).Labels, "Backend")}); err != nil {
		t.Fatal(err)
	}
	if err := e.App.State.Unlock(ctx, lease); err != nil {
		t.Fatal(err)
	}
	want = sortedLabels(append(slices.DeleteFunc(slices.Clone(want), func(s string) bool { return s == "Feature" }), "Backend"))
	if _, err := WaitFor(ctx, 10*time.Second, both); err != nil {
		t.Fatalf("labels: jira %v, linear %v, want %v on both: %v", e.JiraIssue(l).Labels, e.LinearIssue(l).Labels, want, err)
	}
	settleQuiet(t, e)
	if !both() {
		t.Fatalf("labels did not hold: jira %v, linear %v, want %v", e.JiraIssue(l).Labels, e.LinearIssue(l).Labels, want)
	}
	rep, err := e.App.Syncer.Diff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.InSync() {
		t.Fatalf("not in sync: %+v", rep)
	}
}

// TestFieldsParentOfNewIssue: an issue created under a parent gets a twin
// under the parent's twin: when the parent was linked before (the
// parent's id must be translated for the other side at create), and when
// both are made at once (the child may be seen before its parent has a
// twin). A Linear sub-issue of a plain issue becomes a Jira sub-task; a
// Jira story in an epic becomes a Linear sub-issue.
func TestFieldsParentOfNewIssue(t *testing.T) {
	e := fieldEnv(t, EnvOptions{Webhooks: true, PollEvery: time.Hour})
	ctx := t.Context()
	twin := func(side backlog.Side, id string) (backlog.Link, bool) {
		l, err := e.App.State.LinkBy(ctx, backlog.Ref{Side: side, ID: id})
		return l, err == nil && l.Pending == ""
	}
	linearPair := func(t *testing.T, title string, waitParent bool) {
		pid, _, err := e.Linear.UserCreate(Alice, map[string]any{"title": title})
		if err != nil {
			t.Fatal(err)
		}
		if waitParent {
			if _, err := WaitFor(ctx, 10*time.Second, func() bool { _, ok := twin(backlog.Linear, pid); return ok }); err != nil {
				t.Fatal(err)
			}
		}
		cid, _, err := e.Linear.UserCreate(Alice, map[string]any{"title": title + ": child", "parentId": pid})
		if err != nil {
			t.Fatal(err)
		}
		var pl, cl backlog.Link
		if _, err := WaitFor(ctx, 10*time.Second, func() bool {
			var ok1, ok2 bool
			pl, ok1 = twin(backlog.Linear, pid)
			cl, ok2 = twin(backlog.Linear, cid)
			return ok1 && ok2 && e.JiraIssue(cl).Parent == pl.Jira.Key
		}); err != nil {
			j := e.JiraIssue(cl)
			t.Fatalf("jira twin of the child: type %s parent %q, want the parent's twin %s: %v", j.Type, j.Parent, pl.Jira.Key, err)
		}
	}
	jiraPair := func(t *testing.T, title string, waitParent bool) {
		eid, _, err := e.Jira.UserCreate(Bob, map[string]any{"summary": title, "issuetype": map[string]any{"name": "Epic"}})
		if err != nil {
			t.Fatal(err)
		}
		if waitParent {
			if _, err := WaitFor(ctx, 10*time.Second, func() bool { _, ok := twin(backlog.Jira, eid); return ok }); err != nil {
				t.Fatal(err)
			}
		}
		sid, _, err := e.Jira.UserCreate(Bob, map[string]any{"summary": title + ": story", "parent": map[string]any{"id": eid}})
		if err != nil {
			t.Fatal(err)
		}
		var el, sl backlog.Link
		if _, err := WaitFor(ctx, 10*time.Second, func() bool {
			var ok1, ok2 bool
			el, ok1 = twin(backlog.Jira, eid)
			sl, ok2 = twin(backlog.Jira, sid)
			return ok1 && ok2 && e.LinearIssue(sl).ParentID == el.Linear.ID
		}); err != nil {
			l, _ := e.App.State.LinkBy(ctx, backlog.Ref{Side: backlog.Jira, ID: sid})
			t.Fatalf("linear twin of the story: parent %q (link pending %q), want the epic's twin %s: %v", e.LinearIssue(sl).ParentID, l.Pending, el.Linear.ID, err)
		}
	}
	t.Run("linear/parent_linked_first", func(t *testing.T) { linearPair(t, "Payments revamp", true) })
	t.Run("jira/epic_linked_first", func(t *testing.T) { jiraPair(t, "Mobile app", true) })
	t.Run("linear/together", func(t *testing.T) { linearPair(t, "Search revamp", false) })
	t.Run("jira/together", func(t *testing.T) { jiraPair(t, "Desktop app", false) })
	settleQuiet(t, e)
	rep, err := e.App.Syncer.Diff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.InSync() {
		t.Errorf("not in sync: %s", describe(rep))
	}
}

// TestFieldsLabelSpelledDifferently: Jira's "bug" is Linear's "Bug" (Linear
// matches label names regardless of case). Removing it on either side
// removes it on the other; the person's removal is not undone.
func TestFieldsLabelSpelledDifferently(t *testing.T) {
	e := fieldEnv(t, EnvOptions{Webhooks: true, PollEvery: time.Hour})
	ctx := t.Context()
	hasBug := func(v jirasb.IssueView) bool { return slices.Contains(v.Labels, "bug") }
	fromLinear, err := e.Pick(ctx, hasBug)
	if err != nil {
		t.Fatal(err)
	}
	fromJira, err := e.Pick(ctx, hasBug, fromLinear.ID())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []backlog.Link{fromLinear, fromJira} {
		if !slices.Contains(e.LinearIssue(l).Labels, "Bug") {
			t.Fatalf("seed: linear %s labels %v, want Bug for jira's bug", l.Linear.Key, e.LinearIssue(l).Labels)
		}
	}
	ids, _ := linearCatalog(t, e)
	t.Run("removed_in_jira", func(t *testing.T) {
		l := fromJira
		if err := e.Jira.UserEdit(Alice, l.Jira.ID, map[string]any{"labels": slices.DeleteFunc(e.JiraIssue(l).Labels, func(s string) bool { return s == "bug" })}); err != nil {
			t.Fatal(err)
		}
		if _, err := WaitFor(ctx, 10*time.Second, func() bool { return !slices.Contains(e.LinearIssue(l).Labels, "Bug") }); err != nil {
			t.Fatalf("jira %v linear %v: %v", e.JiraIssue(l).Labels, e.LinearIssue(l).Labels, err)
		}
	})
	t.Run("removed_in_linear", func(t *testing.T) {
		l := fromLinear
		if err := e.Linear.UserUpdate(Bob, l.Linear.ID, map[string]any{"removedLabelIds": []string{ids["Bug"]}}); err != nil {
			t.Fatal(err)
		}
		// Give Tandem time to get it wrong: it used to add Bug back.
		if _, err := WaitFor(ctx, 10*time.Second, func() bool { return !slices.Contains(e.JiraIssue(l).Labels, "bug") }); err != nil {
			t.Fatalf("jira %v linear %v: %v", e.JiraIssue(l).Labels, e.LinearIssue(l).Labels, err)
		}
		settleQuiet(t, e)
		if slices.Contains(e.LinearIssue(l).Labels, "Bug") {
			t.Fatalf("tandem undid the removal: linear %v", e.LinearIssue(l).Labels)
		}
	})
}

// TestFieldsParentJiraCannotHold: Linear nests a story under a story, which
// Jira's hierarchy refuses. The parent is held for a person (an open
// conflict; Diff keeps reporting it), and the pair's other changes still
// travel both ways.
func TestFieldsParentJiraCannotHold(t *testing.T) {
	e := fieldEnv(t, EnvOptions{Webhooks: true, PollEvery: time.Hour})
	ctx := t.Context()
	story := func(v jirasb.IssueView) bool { return v.Type == "Story" && v.Parent == "" }
	child, err := e.Pick(ctx, story)
	if err != nil {
		t.Fatal(err)
	}
	parent, err := e.Pick(ctx, story, child.ID())
	if err != nil {
		t.Fatal(err)
	}
	settleQuiet(t, e)
	lease, err := e.HoldLink(ctx, child)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Linear.UserUpdate(Bob, child.Linear.ID, map[string]any{"parentId": parent.Linear.ID}); err != nil {
		t.Fatal(err)
	}
	if err := e.Jira.UserEdit(Alice, child.Jira.ID, map[string]any{"summary": "Renamed in Jira meanwhile"}); err != nil {
		t.Fatal(err)
	}
	if err := e.App.State.Unlock(ctx, lease); err != nil {
		t.Fatal(err)
	}
	if _, err := WaitFor(ctx, 10*time.Second, func() bool {
		cs, _ := e.App.State.Conflicts(ctx, store.ConflictFilter{LinkID: child.ID(), OpenOnly: true})
		return e.LinearIssue(child).Title == "Renamed in Jira meanwhile" && len(cs) == 1 && cs[0].Field == backlog.Parent
	}); err != nil {
		cs, _ := e.App.State.Conflicts(ctx, store.ConflictFilter{LinkID: child.ID()})
		t.Fatalf("linear title %q, conflicts %+v: %v", e.LinearIssue(child).Title, cs, err)
	}
	// Later edits of the pair still travel.
	if err := e.Linear.UserUpdate(Bob, child.Linear.ID, map[string]any{"dueDate": "2027-09-09"}); err != nil {
		t.Fatal(err)
	}
	if _, err := WaitFor(ctx, 10*time.Second, func() bool { return e.JiraIssue(child).DueDate == "2027-09-09" }); err != nil {
		t.Fatalf("jira due date %q: %v", e.JiraIssue(child).DueDate, err)
	}
	if e.JiraIssue(child).Parent != "" || e.LinearIssue(child).ParentID != parent.Linear.ID {
		t.Fatalf("parent: jira %q, linear %q", e.JiraIssue(child).Parent, e.LinearIssue(child).ParentID)
	}
	rep, err := e.App.Syncer.Diff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Differ) != 1 || len(rep.Differ[0].Fields) != 1 || rep.Differ[0].Fields[0].Field != backlog.Parent {
		t.Fatalf("diff should report the held parent only: %s", describe(rep))
	}
}

// linearLabelCreate makes a workspace label as a person would.
func linearLabelCreate(t *testing.T, e *Env, name string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"query":     `mutation($in: IssueLabelCreateInput!) { issueLabelCreate(input: $in) { success issueLabel { id } } }`,
		"variables": map[string]any{"in": map[string]any{"name": name}},
	})
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
	req.Header.Set("Authorization", linearsb.AliceKey)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.Linear.ServeHTTP(rec, req)
	var out struct {
		Data struct {
			IssueLabelCreate struct {
				IssueLabel struct{ ID string }
			}
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Data.IssueLabelCreate.IssueLabel.ID == "" {
		t.Fatalf("creating label %q: %v %s", name, err, rec.Body.String())
	}
	return out.Data.IssueLabelCreate.IssueLabel.ID
}

// TestFieldsLabelJiraCannotHold: a Linear label with a space cannot be a
// Jira label. It stays on the Linear issue, writes nothing to Jira, is no
// difference to Diff, and Jira's later label edits do not take it away.
func TestFieldsLabelJiraCannotHold(t *testing.T) {
	e := fieldEnv(t, EnvOptions{Webhooks: true, PollEvery: time.Hour})
	ctx := t.Context()
	id := linearLabelCreate(t, e, "Needs design")
	l, err := e.Pick(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	settleQuiet(t, e)
	j0 := e.Jira.Requests(jirasb.BotEmail).Writes
	if err := e.Linear.UserUpdate(Bob, l.Linear.ID, map[string]any{"addedLabelIds": []string{id}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	settleQuiet(t, e)
	if j1 := e.Jira.Requests(jirasb.BotEmail).Writes; j1 != j0 {
		t.Errorf("%d jira writes for a label jira cannot hold: %v", j1-j0, e.Jira.Requests(jirasb.BotEmail).ByOperation)
	}
	if err := e.Jira.UserEdit(Alice, l.Jira.ID, map[string]any{"labels": append(e.JiraIssue(l).Labels, "frontend")}); err != nil {
		t.Fatal(err)
	}
	if _, err := WaitFor(ctx, 10*time.Second, func() bool { return slices.Contains(e.LinearIssue(l).Labels, "frontend") }); err != nil {
		t.Fatalf("linear labels %v: %v", e.LinearIssue(l).Labels, err)
	}
	settleQuiet(t, e)
	if !slices.Contains(e.LinearIssue(l).Labels, "Needs design") {
		t.Fatalf("linear lost its label: %v", e.LinearIssue(l).Labels)
	}
	rep, err := e.App.Syncer.Diff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.InSync() {
		t.Fatalf("not in sync: %s", describe(rep))
	}
}

// runFieldRow makes the row's edit, waits for the other side to show it,
// and checks that Tandem wrote to the other side only (no echo).
func runFieldRow(t *testing.T, e *Env, r fieldRow, ls []backlog.Link) {
	t.Helper()
	writes := func() (int, int) {
		return e.Jira.Requests(jirasb.BotEmail).Writes, e.Linear.Requests(linearsb.BotEmail).Writes
	}
	j0, l0 := writes()
	if err := r.edit(e, ls); err != nil {
		t.Fatalf("edit: %v", err)
	}
	if _, err := WaitFor(t.Context(), 10*time.Second, func() bool { return r.want(e, ls) }); err != nil {
		t.Fatalf("not propagated: %s: %v", r.show(e, ls), err)
	}
	settleQuiet(t, e)
	j1, l1 := writes()
	edited, other := j1-j0, l1-l0
	if r.side == backlog.Linear {
		edited, other = other, edited
	}
	if edited != 0 {
		t.Errorf("tandem wrote %d times back to the edited %s side (echo)\njira ops %v\nlinear ops %v", edited, r.side,
			e.Jira.Requests(jirasb.BotEmail).ByOperation, e.Linear.Requests(linearsb.BotEmail).ByOperation)
	}
	if other == 0 {
		t.Errorf("no write on the other side, yet it shows the value")
	}
	if !r.want(e, ls) {
		t.Errorf("value did not hold after settling: %s", r.show(e, ls))
	}
}
