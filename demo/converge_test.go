package demo

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
	"github.com/tandem-sync/tandem/reconcile"
	"github.com/tandem-sync/tandem/store"
)

// convergeSeed makes failures reproduce; TANDEM_CONVERGE_SEED explores
// others.
func convergeSeed(t *testing.T) int64 {
	seed := int64(20261126)
	if v := os.Getenv("TANDEM_CONVERGE_SEED"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("TANDEM_CONVERGE_SEED: %v", err)
		}
		seed = n
	}
	t.Logf("seed %d (TANDEM_CONVERGE_SEED)", seed)
	return seed
}

// jiraNext is where a person can move an issue from each Jira status in
// one transition (the sandbox's workflow).
var jiraNext = map[string][]string{
	"To Do":       {"In Progress", "Won't Do"},
	"In Progress": {"In Review", "To Do"},
	"In Review":   {"Done", "In Progress"},
	"Done":        {"To Do"},
	"Won't Do":    {"To Do"},
}

var (
	linearStates  = []string{"Backlog", "Todo", "In Progress", "In Review", "Done", "Canceled"}
	labelPool     = []string{"Feature", "Docs", "Bug", "Backend", "frontend", "ops"}
	estimatePool  = []float64{1, 2, 3, 5, 8}
	sprintPool    = []string{"Hardening", "Cycle 2", ""}
	editFields    = []backlog.Field{backlog.Title, backlog.Description, backlog.Status, backlog.Priority, backlog.Assignee, backlog.Labels, backlog.Estimate, backlog.DueDate, backlog.Parent, backlog.Sprint}
	people        = []string{Alice, Bob}
	peopleAccount = map[string]string{Alice: aliceAccount, Bob: bobAccount}
)

// editor makes random edits as people, valid on each side.
type editor struct {
	e        *Env
	rng      *rand.Rand
	labelIDs map[string]string
	cycleIDs map[string]string
	epics    []backlog.Link // links whose Jira side is an Epic
	plain    []backlog.Link // the others: relations are made between them
	// linearRelations lets relations be edited on Linear too: Linear
	// sends no webhook for a relation, so a run without polling makes
	// its relation edits in Jira only.
	linearRelations bool
	n               int
	history         map[string][]string // link id -> the edits made, for failure reports
}

// edit makes one random edit of field f on side s of link l.
func (ed *editor) edit(s backlog.Side, l backlog.Link, f backlog.Field) error {
	if ed.history == nil {
		ed.history = map[string][]string{}
	}
	err := ed.edit1(s, l, f)
	// Only what was done: reading the sandboxes here would change the
	// timing the seed reproduces.
	ed.history[l.ID()] = append(ed.history[l.ID()], fmt.Sprintf("#%d %s %s at %s (err %v)", ed.n, s, f, time.Now().Format("15:04:05.000"), err))
	return err
}

func (ed *editor) edit1(s backlog.Side, l backlog.Link, f backlog.Field) error {
	e, r := ed.e, ed.rng
	who := people[r.Intn(len(people))]
	ed.n++
	tag := fmt.Sprintf("%d-%s", ed.n, s)
	j := e.JiraIssue(l)
	if s == backlog.Jira {
		edit := func(fields map[string]any) error { return e.Jira.UserEdit(who, l.Jira.ID, fields) }
		switch f {
		case backlog.Title:
			return edit(map[string]any{"summary": "Title " + tag})
		case backlog.Description:
			return edit(map[string]any{"description": "h3. Note " + tag + "\n\n* item *" + tag + "*\n* {{code}}"})
		case backlog.Status:
			next := jiraNext[j.Status]
			return e.Jira.UserTransition(who, l.Jira.ID, next[r.Intn(len(next))])
		case backlog.Priority:
			ps := []string{"Highest", "High", "Medium", "Low", "Lowest"}
			return edit(map[string]any{"priority": map[string]any{"name": ps[r.Intn(len(ps))]}})
		case backlog.Assignee:
			if r.Intn(3) == 0 {
				return edit(map[string]any{"assignee": nil})
			}
			return edit(map[string]any{"assignee": map[string]any{"accountId": peopleAccount[people[r.Intn(2)]]}})
		case backlog.Labels:
			ls := slices.Clone(j.Labels)
			if len(ls) > 0 && r.Intn(2) == 0 {
				ls = slices.Delete(ls, 0, 1)
			} else if lb := labelPool[r.Intn(len(labelPool))]; !slices.Contains(ls, lb) {
				ls = append(ls, lb)
			}
			return edit(map[string]any{"labels": ls})
		case backlog.Estimate:
			if r.Intn(4) == 0 {
				return edit(map[string]any{jirasb.StoryPointsField: nil})
			}
			return edit(map[string]any{jirasb.StoryPointsField: estimatePool[r.Intn(len(estimatePool))]})
		case backlog.DueDate:
			if r.Intn(4) == 0 {
				return edit(map[string]any{"duedate": nil})
			}
			return edit(map[string]any{"duedate": fmt.Sprintf("2027-%02d-%02d", 1+r.Intn(12), 1+r.Intn(28))})
		case backlog.Parent:
			if j.Type == "Epic" {
				return nil
			}
			if j.Parent != "" || r.Intn(3) == 0 {
				return edit(map[string]any{"parent": nil})
			}
			return edit(map[string]any{"parent": map[string]any{"key": ed.epics[r.Intn(len(ed.epics))].Jira.Key}})
		case backlog.Sprint:
			return e.Jira.UserSprint(who, l.Jira.ID, sprintPool[r.Intn(len(sprintPool))])
		case backlog.Attachments:
			if fs := e.Jira.Attachments(l.Jira.ID); len(fs) > 0 && r.Intn(3) == 0 {
				return e.Jira.UserDeleteAttachment(who, fs[r.Intn(len(fs))].ID)
			}
			_, err := e.Jira.UserAttach(who, l.Jira.ID, "j"+tag+".txt", "text/plain", []byte("file "+tag))
			return err
		case backlog.Relations:
			if links := e.Jira.Links(l.Jira.ID); len(links) > 0 && r.Intn(2) == 0 {
				return e.Jira.UserUnlink(who, links[r.Intn(len(links))].ID)
			}
			o := ed.plain[r.Intn(len(ed.plain))]
			if o.ID() == l.ID() {
				return nil
			}
			in, out := l, o
			if r.Intn(2) == 0 {
				in, out = o, l
			}
			types := []string{"Blocks", "Duplicate", "Relates"}
			_, err := e.Jira.UserLink(who, types[r.Intn(len(types))], in.Jira.ID, out.Jira.ID)
			return err
		}
		return nil
	}
	lv := e.LinearIssue(l)
	update := func(in map[string]any) error { return e.Linear.UserUpdate(who, l.Linear.ID, in) }
	switch f {
	case backlog.Title:
		return update(map[string]any{"title": "Title " + tag})
	case backlog.Description:
		return update(map[string]any{"description": "### Note " + tag + "\n\n- item **" + tag + "**\n- `code`"})
	case backlog.Status:
		return update(map[string]any{"stateId": e.Linear.StateID(linearStates[r.Intn(len(linearStates))])})
	case backlog.Priority:
		return update(map[string]any{"priority": r.Intn(5)})
	case backlog.Assignee:
		if r.Intn(3) == 0 {
			return update(map[string]any{"assigneeId": nil})
		}
		return update(map[string]any{"assigneeId": e.Linear.UserID(people[r.Intn(2)])})
	case backlog.Labels:
		if len(lv.Labels) > 0 && r.Intn(2) == 0 {
			id := ed.labelIDs[lv.Labels[r.Intn(len(lv.Labels))]]
			return update(map[string]any{"removedLabelIds": []string{id}})
		}
		names := []string{"Feature", "Docs", "Bug", "Backend"}
		return update(map[string]any{"addedLabelIds": []string{ed.labelIDs[names[r.Intn(len(names))]]}})
	case backlog.Estimate:
		if r.Intn(4) == 0 {
			return update(map[string]any{"estimate": nil})
		}
		return update(map[string]any{"estimate": int(estimatePool[r.Intn(len(estimatePool))])})
	case backlog.DueDate:
		if r.Intn(4) == 0 {
			return update(map[string]any{"dueDate": nil})
		}
		return update(map[string]any{"dueDate": fmt.Sprintf("2027-%02d-%02d", 1+r.Intn(12), 1+r.Intn(28))})
	case backlog.Parent:
		if j.Type == "Epic" {
			return nil
		}
		if lv.ParentID != "" || r.Intn(3) == 0 {
			return update(map[string]any{"parentId": nil})
		}
		return update(map[string]any{"parentId": ed.epics[r.Intn(len(ed.epics))].Linear.ID})
	case backlog.Sprint:
		if c := sprintPool[r.Intn(len(sprintPool))]; c != "" {
			return update(map[string]any{"cycleId": ed.cycleIDs[c]})
		}
		return update(map[string]any{"cycleId": nil})
	case backlog.Attachments:
		// A deletion in Linear is seen by its webhook only: a run without
		// webhooks (linearRelations: Linear polled) adds files there.
		if fs := linearFiles(e, l); len(fs) > 0 && !ed.linearRelations && r.Intn(3) == 0 {
			return e.Linear.UserDeleteAttachment(who, fs[r.Intn(len(fs))].ID)
		}
		_, err := e.Linear.UserAttachFile(who, l.Linear.ID, "l"+tag+".png", "image/png", []byte("png "+tag))
		return err
	case backlog.Relations:
		if rels := e.Linear.Relations(l.Linear.ID); len(rels) > 0 && r.Intn(2) == 0 {
			return e.Linear.UserUnrelate(who, rels[r.Intn(len(rels))].ID)
		}
		o := ed.plain[r.Intn(len(ed.plain))]
		if o.ID() == l.ID() {
			return nil
		}
		from, to := l, o
		if r.Intn(2) == 0 {
			from, to = o, l
		}
		types := []string{"blocks", "duplicate", "related"}
		_, err := e.Linear.UserRelate(who, from.Linear.ID, types[r.Intn(len(types))], to.Linear.ID)
		return err
	}
	return nil
}

// snap is a one-line picture of a pair's fields as the sandboxes hold them.
func (e *Env) snap(l backlog.Link) string {
	j, v := e.JiraIssue(l), e.LinearIssue(l)
	est := func(f *float64) string {
		if f == nil {
			return "-"
		}
		return strconv.FormatFloat(*f, 'g', -1, 64)
	}
	return fmt.Sprintf("jira{%s %q %s as=%s lb=%v est=%s due=%s par=%s spr=%v links=%v} linear{%s %q p%d as=%s lb=%v est=%s due=%s par=%s cyc=%s rel=%v}",
		j.Status, j.Summary, j.Priority, j.Assignee, j.Labels, est(j.StoryPoints), j.DueDate, j.Parent, j.Sprints, e.Jira.Links(l.Jira.ID),
		v.State, v.Title, v.Priority, v.Assignee, v.Labels, est(v.Estimate), v.DueDate, v.ParentID, v.Cycle, e.Linear.Relations(l.Linear.ID))
}

// explain lists what was done to the pairs Diff still reports.
func (ed *editor) explain(ctx context.Context, rep reconcile.DiffReport) string {
	var b strings.Builder
	for i, d := range rep.Differ {
		if i == 3 {
			break
		}
		fmt.Fprintf(&b, "\nedits of %s/%s:", d.Link.Jira.Key, d.Link.Linear.Key)
		for _, h := range ed.history[d.Link.ID()] {
			fmt.Fprintf(&b, "\n  %s", h)
		}
		cs, _ := ed.e.App.State.Conflicts(ctx, store.ConflictFilter{LinkID: d.Link.ID()})
		for _, c := range cs {
			fmt.Fprintf(&b, "\n  conflict %s: base %q jira %q linear %q policy %s decision %s", c.Field, c.Base, c.JiraVal, c.LinVal, c.Policy, c.Decision)
		}
		fmt.Fprintf(&b, "\n  now %s", ed.e.snap(d.Link))
	}
	return b.String()
}

// waitInSync polls Diff (it reads every pair, so not often) until it
// reports the two tools in sync.
func waitInSync(ctx context.Context, e *Env, timeout time.Duration) (reconcile.DiffReport, error) {
	var rep reconcile.DiffReport
	var derr error
	err := pollEvery(ctx, timeout, time.Second, func() bool {
		if !e.App.Daemon.Idle() {
			return false
		}
		rep, derr = e.App.Syncer.Diff(ctx)
		return derr == nil && rep.InSync()
	})
	if derr != nil {
		return rep, derr
	}
	return rep, err
}

func describe(rep reconcile.DiffReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d pairs, %d differ, unlinked jira %d linear %d", rep.Pairs, len(rep.Differ), len(rep.UnlinkedJira), len(rep.UnlinkedLinear))
	for i, d := range rep.Differ {
		if i == 15 {
			fmt.Fprintf(&b, "\n  ... %d more", len(rep.Differ)-i)
			break
		}
		fmt.Fprintf(&b, "\n  %s/%s %s", d.Link.Jira.Key, d.Link.Linear.Key, d.Problem)
		for _, f := range d.Fields {
			fmt.Fprintf(&b, "\n    %s: jira %q linear %q", f.Field, f.Jira, f.Linear)
		}
	}
	return b.String()
}

// TestConverge: 240 linked issues take a few hundred random edits on both
// sides across every field, some on both sides of a pair before Tandem
// sees either (conflicts, and label merges); Diff first shows edits that
// could not propagate, and once Tandem catches up reports the two tools in
// sync.
func TestConverge(t *testing.T) {
	e := fieldEnv(t, EnvOptions{Webhooks: true, PollEvery: time.Hour, JiraSeed: 120, LinearSeed: 120})
	ctx := t.Context()
	if rep, err := waitInSync(ctx, e, 20*time.Second); err != nil {
		t.Fatalf("not in sync after the initial sync: %v\n%s", err, describe(rep))
	}

	// Diff sees what could not propagate: with webhooks held and no
	// polling, edits on both sides stay where they were made.
	links, err := e.App.State.Links(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(links, func(a, b backlog.Link) int { return strings.Compare(a.ID(), b.ID()) })
	a, b := links[0], links[1]
	// The pairs' locks are held too: the poller's first round after the
	// start may still be paging and would otherwise carry the edits over.
	var leases []store.Lease
	for _, l := range []backlog.Link{a, b} {
		lease, err := e.HoldLink(ctx, l)
		if err != nil {
			t.Fatal(err)
		}
		leases = append(leases, lease)
	}
	e.Jira.PauseWebhooks(true)
	e.Linear.PauseWebhooks(true)
	if err := e.Jira.UserEdit(Alice, a.Jira.ID, map[string]any{"summary": "Held back in Jira"}); err != nil {
		t.Fatal(err)
	}
	if err := e.Linear.UserUpdate(Bob, b.Linear.ID, map[string]any{"dueDate": "2028-02-29"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	rep, err := e.App.Syncer.Diff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]backlog.Field{}
	for _, d := range rep.Differ {
		for _, f := range d.Fields {
			got[d.Link.ID()] = append(got[d.Link.ID()], f.Field)
		}
	}
	if rep.InSync() || len(rep.Differ) != 2 || !slices.Equal(got[a.ID()], []backlog.Field{backlog.Title}) ||
		!slices.Equal(got[b.ID()], []backlog.Field{backlog.DueDate}) {
		t.Fatalf("diff with edits held back, want %s title and %s dueDate:\n%s", a.Jira.Key, b.Linear.Key, describe(rep))
	}
	for _, d := range rep.Differ {
		if d.Link.ID() == a.ID() && (d.Fields[0].Jira != "Held back in Jira" || d.Fields[0].Linear == "Held back in Jira") {
			t.Fatalf("diff of %s: %+v", a.Jira.Key, d.Fields)
		}
		if d.Link.ID() == b.ID() && (d.Fields[0].Linear != "2028-02-29" || d.Fields[0].Jira == "2028-02-29") {
			t.Fatalf("diff of %s: %+v", b.Linear.Key, d.Fields)
		}
	}
	for _, lease := range leases {
		if err := e.App.State.Unlock(ctx, lease); err != nil {
			t.Fatal(err)
		}
	}
	// Jira dropped its events; Linear delivers the held ones.
	e.Jira.PauseWebhooks(false)
	e.Linear.PauseWebhooks(false)
	if err := e.App.Daemon.Enqueue(ctx, a.Jira); err != nil {
		t.Fatal(err)
	}
	if rep, err := waitInSync(ctx, e, 15*time.Second); err != nil {
		t.Fatalf("not in sync once released: %v\n%s", err, describe(rep))
	}

	ed, plain := randomEdits(t, e, false)

	// More edits while neither tool can tell Tandem: Diff names exactly
	// the edited pairs and fields (the rest stayed in sync), then Tandem
	// catches up once told.
	e.Jira.PauseWebhooks(true)
	e.Linear.PauseWebhooks(true)
	edited := map[string]map[backlog.Field]bool{}
	var jiraEdited []backlog.Ref
	for range 150 {
		l := plain[ed.rng.Intn(len(plain))]
		f := editFields[ed.rng.Intn(len(editFields))]
		side := backlog.Jira
		if ed.rng.Intn(2) == 0 {
			side = backlog.Linear
		}
		if err := ed.edit(side, l, f); err != nil {
			t.Fatalf("held edit (%s %s of %s/%s): %v", side, f, l.Jira.Key, l.Linear.Key, err)
		}
		if edited[l.ID()] == nil {
			edited[l.ID()] = map[backlog.Field]bool{}
		}
		edited[l.ID()][f] = true
		if side == backlog.Jira {
			jiraEdited = append(jiraEdited, l.Jira)
		}
	}
	rep, err = e.App.Syncer.Diff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.InSync() || len(rep.Differ) < 40 {
		t.Fatalf("diff with 150 edits held back reports %d pairs:\n%s", len(rep.Differ), describe(rep))
	}
	for _, d := range rep.Differ {
		for _, f := range d.Fields {
			if !edited[d.Link.ID()][f.Field] {
				t.Errorf("diff reports %s/%s %s (jira %q, linear %q), not edited", d.Link.Jira.Key, d.Link.Linear.Key, f.Field, f.Jira, f.Linear)
			}
		}
	}
	t.Logf("diff with edits held back: %d of %d pairs differ", len(rep.Differ), rep.Pairs)
	e.Jira.PauseWebhooks(false)
	e.Linear.PauseWebhooks(false)
	for _, r := range jiraEdited { // Jira dropped its events
		if err := e.App.Daemon.Enqueue(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if rep, err := waitInSync(ctx, e, 20*time.Second); err != nil {
		t.Fatalf("not in sync once released: %v\n%s%s", err, describe(rep), ed.explain(ctx, rep))
	}
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// randomEdits makes a few hundred seeded-random edits by alice and bob on
// both sides of the links (some on both sides of a held pair), waits until
// Diff reports the tools in sync and checks the edits left their trace.
func randomEdits(t *testing.T, e *Env, linearPolled bool) (*editor, []backlog.Link) {
	t.Helper()
	ctx := t.Context()
	labelIDs, cycleIDs := linearCatalog(t, e)
	ed := &editor{e: e, rng: rand.New(rand.NewSource(convergeSeed(t))), labelIDs: labelIDs, cycleIDs: cycleIDs, linearRelations: linearPolled}
	fields := append(slices.Clone(editFields), backlog.Relations, backlog.Attachments)
	links, err := e.App.State.Links(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(links, func(a, b backlog.Link) int { return strings.Compare(a.ID(), b.ID()) })
	var plain []backlog.Link
	for _, l := range links {
		if e.JiraIssue(l).Type == "Epic" {
			ed.epics = append(ed.epics, l)
		} else {
			plain = append(plain, l)
		}
	}
	if len(ed.epics) == 0 || len(links) < 200 {
		t.Fatalf("%d links, %d epics", len(links), len(ed.epics))
	}
	ed.plain = plain
	const edits, both = 400, 30
	start := time.Now()
	for i := range edits {
		l := plain[ed.rng.Intn(len(plain))]
		f := fields[ed.rng.Intn(len(fields))]
		side := backlog.Jira
		if ed.rng.Intn(2) == 0 {
			side = backlog.Linear
		}
		if f == backlog.Relations && !ed.linearRelations {
			side = backlog.Jira
		}
		if err := ed.edit(side, l, f); err != nil {
			t.Fatalf("edit %d (%s %s of %s/%s): %v", i, side, f, l.Jira.Key, l.Linear.Key, err)
		}
		if i%4 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	// Both sides of one pair before Tandem sees either.
	for i := range both {
		l := plain[ed.rng.Intn(len(plain))]
		f := fields[ed.rng.Intn(len(fields))]
		lease, err := e.HoldLink(ctx, l)
		if err != nil {
			t.Fatal(err)
		}
		err1 := ed.edit(backlog.Jira, l, f)
		var err2 error
		if f != backlog.Relations || ed.linearRelations {
			err2 = ed.edit(backlog.Linear, l, f)
		}
		if err := e.App.State.Unlock(ctx, lease); err != nil {
			t.Fatal(err)
		}
		if err := cmpErr(err1, err2); err != nil {
			t.Fatalf("both-sides edit %d (%s of %s/%s): %v", i, f, l.Jira.Key, l.Linear.Key, err)
		}
	}
	t.Logf("%d edits made in %s", ed.n, time.Since(start).Round(time.Millisecond))
	rep, err := waitInSync(ctx, e, 120*time.Second)
	if err != nil {
		t.Fatalf("not in sync %s after the edits: %v\n%s%s", time.Since(start).Round(time.Millisecond), err, describe(rep), ed.explain(ctx, rep))
	}
	if _, err := WaitFor(ctx, 60*time.Second, func() bool { return filesDiffer(e, links) == "" }); err != nil {
		t.Fatalf("files not in sync: %s", filesDiffer(e, links))
	}
	t.Logf("in sync %s after the first edit (%d pairs)", time.Since(start).Round(time.Millisecond), rep.Pairs)
	// Quiet once in sync: no write keeps bouncing between the tools.
	writes := func() (int, int) {
		return e.Jira.Requests(jirasb.BotEmail).Writes, e.Linear.Requests(linearsb.BotEmail).Writes
	}
	settleQuiet(t, e)
	j0, l0 := writes()
	time.Sleep(time.Second)
	settleQuiet(t, e)
	if j1, l1 := writes(); j1 != j0 || l1 != l0 {
		t.Fatalf("tandem kept writing once in sync: jira %d -> %d, linear %d -> %d", j0, j1, l0, l1)
	}
	cs, err := e.App.State.Conflicts(ctx, store.ConflictFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) == 0 {
		t.Fatal("no conflict recorded though both sides of pairs were edited before Tandem saw them")
	}
	var parents, sprints, estimates, relations, files int
	for _, l := range links {
		relations += len(e.Jira.Links(l.Jira.ID))
		files += len(e.Jira.Attachments(l.Jira.ID))
		j := e.JiraIssue(l)
		if j.Parent != "" {
			parents++
		}
		if len(j.Sprints) > 0 {
			sprints++
		}
		if j.StoryPoints != nil {
			estimates++
		}
	}
	if parents == 0 || sprints == 0 || estimates == 0 || relations == 0 || files == 0 {
		t.Fatalf("the edits left no trace: %d parents, %d sprints, %d estimates, %d relations, %d files", parents, sprints, estimates, relations, files)
	}

	return ed, plain
}

// TestConvergeByPolling: the same random edits with no webhooks at all:
// polling alone brings the tools back in sync.
func TestConvergeByPolling(t *testing.T) {
	e := fieldEnv(t, EnvOptions{Webhooks: false, PollEvery: 300 * time.Millisecond, JiraSeed: 100, LinearSeed: 100})
	if rep, err := waitInSync(t.Context(), e, 20*time.Second); err != nil {
		t.Fatalf("not in sync after the initial sync: %v\n%s", err, describe(rep))
	}
	randomEdits(t, e, true)
	if d := e.App.Daemon.Stats().Deliveries; d != 0 {
		t.Fatalf("%d webhook deliveries arrived though none were registered", d)
	}
}

// TestConvergeNewIssuesEditedAtOnce: people create issues on both sides
// and keep editing them (and older ones) while Tandem is still making
// their twins (some put under an epic before they have one); every issue
// ends linked and the tools in sync.
func TestConvergeNewIssuesEditedAtOnce(t *testing.T) {
	e := fieldEnv(t, EnvOptions{Webhooks: true, PollEvery: 2 * time.Second, JiraSeed: 40, LinearSeed: 40})
	ctx := t.Context()
	labelIDs, cycleIDs := linearCatalog(t, e)
	ed := &editor{e: e, rng: rand.New(rand.NewSource(convergeSeed(t) + 1)), labelIDs: labelIDs, cycleIDs: cycleIDs}
	links, err := e.App.State.Links(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if e.JiraIssue(l).Type == "Epic" {
			ed.epics = append(ed.epics, l)
		}
	}
	if len(ed.epics) == 0 {
		t.Fatal("no linked epic to be a parent")
	}
	fields := editFields
	var mine []backlog.Link // one side known: the issue's own
	for i := range 160 {
		switch r := ed.rng.Intn(4); {
		case r == 0:
			id, _, err := e.Jira.UserCreate(people[i%2], map[string]any{
				"summary": fmt.Sprintf("New in Jira %d", i), "labels": []string{labelPool[ed.rng.Intn(len(labelPool))]},
				jirasb.StoryPointsField: estimatePool[ed.rng.Intn(len(estimatePool))],
			})
			if err != nil {
				t.Fatal(err)
			}
			mine = append(mine, backlog.Link{Jira: backlog.Ref{Side: backlog.Jira, ID: id}})
		case r == 1:
			id, _, err := e.Linear.UserCreate(people[i%2], map[string]any{
				"title": fmt.Sprintf("New in Linear %d", i), "dueDate": "2027-06-01", "priority": 1 + ed.rng.Intn(4),
				"assigneeId": e.Linear.UserID(people[ed.rng.Intn(2)]),
			})
			if err != nil {
				t.Fatal(err)
			}
			mine = append(mine, backlog.Link{Linear: backlog.Ref{Side: backlog.Linear, ID: id}})
		case len(mine) > 0:
			l := mine[ed.rng.Intn(len(mine))]
			side := backlog.Jira
			if l.Jira.ID == "" {
				side = backlog.Linear
			}
			f := fields[ed.rng.Intn(len(fields))]
			if err := ed.edit(side, l, f); err != nil {
				t.Fatalf("edit of %s %s: %v", side, f, err)
			}
		}
		if i%8 == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	n, _, err := e.Settle(ctx, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if n < 80+len(mine) {
		t.Fatalf("%d links for %d issues", n, 80+len(mine))
	}
	if rep, err := waitInSync(ctx, e, 30*time.Second); err != nil {
		t.Fatalf("not in sync: %v\n%s", err, describe(rep))
	}
	t.Logf("%d issues created and %d edits made during their sync; %d links", len(mine), ed.n, n)
}

// linearFiles are the uploaded files of a pair's Linear issue (not its
// link attachments).
func linearFiles(e *Env, l backlog.Link) []linearsb.FileView {
	var out []linearsb.FileView
	for _, f := range e.Linear.IssueAttachments(l.Linear.ID) {
		if f.Data != nil {
			out = append(out, f)
		}
	}
	return out
}

// filesDiffer names the first pair whose two sides hold different files
// (by name and bytes), "" when every pair holds the same.
func filesDiffer(e *Env, links []backlog.Link) string {
	for _, l := range links {
		var j, lin []string
		for _, f := range e.Jira.Attachments(l.Jira.ID) {
			j = append(j, f.Filename+"="+string(f.Data))
		}
		for _, f := range linearFiles(e, l) {
			lin = append(lin, f.Title+"="+string(f.Data))
		}
		slices.Sort(j)
		slices.Sort(lin)
		if !slices.Equal(j, lin) {
			return fmt.Sprintf("%s %q / %s %q", l.Jira.Key, j, l.Linear.Key, lin)
		}
	}
	return ""
}
