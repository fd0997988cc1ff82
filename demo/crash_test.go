package demo

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

// crashAfterCreate lets Create reach the tool, then fails as if the
// process died before the link could be saved.
type crashAfterCreate struct {
	connectors.Connector
	crashed *atomic.Int32
}

var errCrash = errors.New("simulated crash after the create call")

func (c crashAfterCreate) Create(ctx context.Context, it backlog.Item) (backlog.Ref, error) {
	ref, err := c.Connector.Create(ctx, it)
	if err != nil {
		return ref, err
	}
	c.crashed.Add(1)
	return ref, errCrash // the pass fails; its dirty mark stays, as after a real crash
}

// TestCrashBetweenCreateAndLink: in both directions and on both stores, a
// sync that dies right after creating a twin, before saving the link, is
// resumed after a restart without a second twin.
func TestCrashBetweenCreateAndLink(t *testing.T) {
	for _, st := range []string{"embedded", "redis"} {
		for _, dir := range []string{"jira-to-linear", "linear-to-jira"} {
			t.Run(st+"/"+dir, func(t *testing.T) {
				var crashed atomic.Int32
				crashing := func(c connectors.Connector) connectors.Connector { return crashAfterCreate{c, &crashed} }
				o := EnvOptions{Webhooks: true, PollEvery: 300 * time.Millisecond, JiraSeed: -1, LinearSeed: -1}
				if st == "redis" {
					o.RedisURL, o.RedisPrefix = redisURL(), randomPrefix()
				}
				e := start(t, o)
				ctx := t.Context()
				// From now on every create "crashes" right after the call.
				if err := e.Restart(ctx, crashing); err != nil {
					t.Fatal(err)
				}
				title := "Created just before a crash (" + dir + ")"
				var err error
				if dir == "jira-to-linear" {
					_, _, err = e.Jira.UserCreate(Alice, map[string]any{"summary": title, "issuetype": map[string]any{"name": "Story"}})
				} else {
					_, _, err = e.Linear.UserCreate(Bob, map[string]any{"title": title, "teamId": e.Linear.TeamID()})
				}
				if err != nil {
					t.Fatal(err)
				}
				if _, err := WaitFor(ctx, 15*time.Second, func() bool { return crashed.Load() > 0 }); err != nil {
					t.Fatal("the create never happened")
				}
				// Restart without the fault, on the same store.
				if err := e.Restart(ctx, func(c connectors.Connector) connectors.Connector { return c }); err != nil {
					t.Fatal(err)
				}
				if _, _, err := e.Settle(ctx, 30*time.Second); err != nil {
					t.Fatal(err)
				}
				countTitle := func() (j, l int) {
					for _, is := range e.Jira.Issues() {
						if is.Summary == title {
							j++
						}
					}
					for _, is := range e.Linear.Issues() {
						if is.Title == title {
							l++
						}
					}
					return j, l
				}
				time.Sleep(time.Second) // a few more polls over everything
				if j, l := countTitle(); j != 1 || l != 1 {
					t.Fatalf("jira has %d, linear %d issues titled %q: want exactly one each", j, l, title)
				}
				links, _ := e.App.State.Links(ctx)
				if len(links) != 1 || links[0].Pending != "" {
					t.Fatalf("links = %+v, want one complete link", links)
				}
			})
		}
	}
}
