package demo

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/config"
	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
	"github.com/tandem-sync/tandem/store"
)

// Human accounts the scenario edits as (seeded in both sandboxes).
const (
	Alice = "alice@example.com"
	Bob   = "bob@example.com"
)

// Step is one measured propagation of the scenario.
type Step struct {
	Name    string
	Latency time.Duration
}

// Report is what a scenario run measured.
type Report struct {
	InitialLinks   int
	InitialSync    time.Duration
	Steps          []Step
	Conflict       backlog.Conflict
	JiraWrites     int
	LinearWrites   int
	ExpectedWrites int
}

// Settle waits until every in-scope issue on each side is linked to a twin
// and the daemon's queue is empty.
func (e *Env) Settle(ctx context.Context, timeout time.Duration) (int, time.Duration, error) {
	var n int
	start := time.Now()
	err := pollEvery(ctx, timeout, 20*time.Millisecond, func() bool {
		// Cheap checks first: the sandboxes' listings render every issue
		// under their lock and would slow the sync they watch.
		if !e.App.Daemon.Idle() {
			return false
		}
		links, err := e.App.State.Links(ctx)
		if err != nil {
			return false
		}
		for _, l := range links {
			if l.Pending != "" {
				return false
			}
		}
		n = len(links)
		return n == e.Jira.Count() && n == e.Linear.Count()+e.linearProjects() && e.App.Daemon.Idle()
	})
	took := time.Since(start)
	if err != nil {
		return n, took, fmt.Errorf("initial sync: %d links, %d jira issues, %d linear issues: %w",
			n, len(e.Jira.Issues()), len(e.Linear.Issues()), err)
	}
	return n, took, nil
}

// linearProjects is how many items the team's projects are: none, unless
// epics sync as projects.
func (e *Env) linearProjects() int {
	if e.App.Config.Mapping.Epics != config.EpicsAsProjects {
		return 0
	}
	n := 0
	for _, p := range e.Linear.Projects() {
		if !p.Trashed && slices.Contains(p.Teams, "ENG") {
			n++
		}
	}
	return n
}

// Pick returns the first link, in Jira key order, whose Jira issue
// satisfies pred and whose id is not in skip.
func (e *Env) Pick(ctx context.Context, pred func(jirasb.IssueView) bool, skip ...string) (backlog.Link, error) {
	links, err := e.App.State.Links(ctx)
	if err != nil {
		return backlog.Link{}, err
	}
	slices.SortFunc(links, func(x, y backlog.Link) int {
		return cmp.Or(cmp.Compare(len(x.Jira.Key), len(y.Jira.Key)), cmp.Compare(x.Jira.Key, y.Jira.Key))
	})
	for _, l := range links {
		if slices.Contains(skip, l.ID()) || l.Pending != "" {
			continue
		}
		if pred == nil || pred(e.JiraIssue(l)) {
			return l, nil
		}
	}
	return backlog.Link{}, fmt.Errorf("no linked issue fits (of %d links)", len(links))
}

// JiraIssue and LinearIssue read a link's sides from the sandboxes.
func (e *Env) JiraIssue(l backlog.Link) jirasb.IssueView {
	v, _ := e.Jira.Issue(l.Jira.ID)
	return v
}

func (e *Env) LinearIssue(l backlog.Link) linearsb.IssueView {
	v, _ := e.Linear.Issue(l.Linear.ID)
	return v
}

// RunScenario plays the scripted scenario and writes each propagation to w.
func (e *Env) RunScenario(ctx context.Context, w io.Writer) (Report, error) {
	var r Report
	const wait = 15 * time.Second
	start := time.Now()
	n, took, err := e.Settle(ctx, 60*time.Second)
	if err != nil {
		return r, err
	}
	if e.Config.Mapping.OrderMaster != "off" {
		// The first order pass mirrors the master's order onto the twins.
		if err := pollEvery(ctx, 60*time.Second, 20*time.Millisecond, func() bool {
			j, l := e.LinkedOrders(ctx)
			return e.App.Daemon.Idle() && slices.Equal(j, l)
		}); err != nil {
			return r, fmt.Errorf("initial order: %w", err)
		}
		took = time.Since(start)
	}
	r.InitialLinks, r.InitialSync = n, took
	fmt.Fprintf(w, "initial sync: %d issues linked on both sides in %s (order master: %s)\n", n, took.Round(time.Millisecond), e.Config.Mapping.OrderMaster)
	e.Jira.ResetCounts()
	e.Linear.ResetCounts()

	step := func(name string, act func() error, done func() bool) error {
		if err := act(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		lat, err := WaitFor(ctx, wait, done)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r.Steps = append(r.Steps, Step{Name: name, Latency: lat})
		r.ExpectedWrites++
		fmt.Fprintf(w, "  %-58s %8s\n", name, lat.Round(100*time.Microsecond))
		return nil
	}
	a, err := e.Pick(ctx, func(v jirasb.IssueView) bool { return v.Status == "To Do" })
	if err != nil {
		return r, err
	}
	b, err := e.Pick(ctx, func(v jirasb.IssueView) bool { return v.Priority != "Highest" }, a.ID())
	if err != nil {
		return r, err
	}
	fmt.Fprintln(w, "scenario (propagation latency, edit to visible on the other side):")
	title := "Checkout: support Apple Pay"
	if err := step(fmt.Sprintf("jira %s title edited -> linear %s", a.Jira.Key, a.Linear.Key),
		func() error { return e.Jira.UserEdit(Alice, a.Jira.ID, map[string]any{"summary": title}) },
		func() bool { return e.LinearIssue(a).Title == title }); err != nil {
		return r, err
	}
	title2 := "Search results: highlight matched terms"
	if err := step(fmt.Sprintf("linear %s title edited -> jira %s", b.Linear.Key, b.Jira.Key),
		func() error { return e.Linear.UserUpdate(Bob, b.Linear.ID, map[string]any{"title": title2}) },
		func() bool { return e.JiraIssue(b).Summary == title2 }); err != nil {
		return r, err
	}
	// Status both ways, along transitions the Jira workflow allows.
	if err := step(fmt.Sprintf("jira %s status To Do -> In Progress -> linear", a.Jira.Key),
		func() error { return e.Jira.UserTransition(Alice, a.Jira.ID, "In Progress") },
		func() bool { return e.LinearIssue(a).State == "In Progress" }); err != nil {
		return r, err
	}
	if err := step(fmt.Sprintf("linear %s status In Progress -> In Review -> jira", a.Linear.Key),
		func() error {
			return e.Linear.UserUpdate(Bob, a.Linear.ID, map[string]any{"stateId": e.Linear.StateID("In Review")})
		},
		func() bool { return e.JiraIssue(a).Status == "In Review" }); err != nil {
		return r, err
	}
	if err := step(fmt.Sprintf("linear %s priority -> Urgent -> jira Highest", b.Linear.Key),
		func() error { return e.Linear.UserUpdate(Bob, b.Linear.ID, map[string]any{"priority": 1}) },
		func() bool { return e.JiraIssue(b).Priority == "Highest" }); err != nil {
		return r, err
	}

	if e.Config.Mapping.OrderMaster == "jira" {
		issues := e.Jira.Issues()
		last := issues[len(issues)-1]
		if err := step(fmt.Sprintf("jira %s dragged to the top of the backlog -> linear order", last.Key),
			func() error { return e.Jira.UserRank(Alice, []string{last.Key}, issues[0].Key, true) },
			func() bool {
				j, l := e.LinkedOrders(ctx)
				return len(j) > 0 && slices.Equal(j, l)
			}); err != nil {
			return r, err
		}
	}

	// A conflict: both sides edit the same title while the link is held, so
	// neither edit can propagate before the other is made.
	jt, lt := "Search: highlight terms (Jira wording)", "Search: highlight terms (Linear wording)"
	if err := e.RetitleBoth(ctx, b, jt, lt); err != nil {
		return r, err
	}
	start = time.Now()
	var conflicts []backlog.Conflict
	if _, err := WaitFor(ctx, wait, func() bool {
		conflicts, _ = e.App.State.Conflicts(ctx, store.ConflictFilter{LinkID: b.ID()})
		return len(conflicts) > 0 && e.LinearIssue(b).Title == jt && e.JiraIssue(b).Summary == jt
	}); err != nil {
		return r, fmt.Errorf("conflict on %s not settled: %d records, jira %q, linear %q: %w",
			b.Jira.Key, len(conflicts), e.JiraIssue(b).Summary, e.LinearIssue(b).Title, err)
	}
	r.ExpectedWrites++
	c := conflicts[0]
	r.Conflict = c
	fmt.Fprintf(w, "conflict on %s/%s field %s settled in %s:\n  base   %q\n  jira   %q\n  linear %q\n  policy %s -> kept the %s value on both sides (conflict %s)\n",
		b.Jira.Key, b.Linear.Key, c.Field, time.Since(start).Round(time.Millisecond), c.Base, c.JiraVal, c.LinVal, c.Policy, c.Decision, c.ID)

	// Let echoes arrive, then count the bot's writes: one per propagation.
	if _, err := WaitFor(ctx, wait, e.App.Daemon.Idle); err != nil {
		return r, err
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := WaitFor(ctx, wait, e.App.Daemon.Idle); err != nil {
		return r, err
	}
	r.JiraWrites = e.Jira.Requests(jirasb.BotEmail).Writes
	r.LinearWrites = e.Linear.Requests(linearsb.BotEmail).Writes
	fmt.Fprintf(w, "writes by tandem: jira %d, linear %d, for %d propagated changes (no echo writes)\n",
		r.JiraWrites, r.LinearWrites, r.ExpectedWrites)
	return r, nil
}

// RetitleBoth edits the title on both sides while holding the link's sync
// lock, so that neither edit can propagate before the other is made: the
// next pass finds a conflict.
func (e *Env) RetitleBoth(ctx context.Context, l backlog.Link, jiraTitle, linearTitle string) error {
	lease, err := e.HoldLink(ctx, l)
	if err != nil {
		return err
	}
	defer e.App.State.Unlock(context.WithoutCancel(ctx), lease)
	if err := e.Jira.UserEdit(Alice, l.Jira.ID, map[string]any{"summary": jiraTitle}); err != nil {
		return fmt.Errorf("retitling %s: %w", l.Jira.Key, err)
	}
	if err := e.Linear.UserUpdate(Bob, l.Linear.ID, map[string]any{"title": linearTitle}); err != nil {
		return fmt.Errorf("retitling %s: %w", l.Linear.Key, err)
	}
	return nil
}

// HoldLink takes the link's sync lock, waiting for a running pass to end,
// so that edits made meanwhile on both sides meet in one pass.
func (e *Env) HoldLink(ctx context.Context, l backlog.Link) (store.Lease, error) {
	var lease store.Lease
	_, err := WaitFor(ctx, 10*time.Second, func() bool {
		var err error
		lease, err = e.App.State.Lock(ctx, "link:"+l.ID(), 10*time.Second)
		return err == nil
	})
	if err != nil {
		return lease, fmt.Errorf("holding link %s: %w", l.ID(), err)
	}
	return lease, nil
}

// LinkedOrders returns the linked items in each tool's order, both as
// Linear ids.
func (e *Env) LinkedOrders(ctx context.Context) (jira, linear []string) {
	links, err := e.App.State.Links(ctx)
	if err != nil {
		return nil, nil
	}
	byJira := map[string]string{}
	linked := map[string]bool{}
	for _, l := range links {
		if l.Pending == "" {
			byJira[l.Jira.ID] = l.Linear.ID
			linked[l.Linear.ID] = true
		}
	}
	for _, is := range e.Jira.Issues() {
		if id, ok := byJira[is.ID]; ok {
			jira = append(jira, id)
		}
	}
	for _, is := range e.Linear.Issues() {
		if linked[is.ID] {
			linear = append(linear, is.ID)
		}
	}
	return jira, linear
}
