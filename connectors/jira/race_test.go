package jira

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

// beforeTransition runs hook once, just before the first transition POST
// reaches Jira: a person acting between the connector's read and write.
type beforeTransition struct {
	once sync.Once
	hook func()
}

func (b *beforeTransition) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/transitions") {
		b.once.Do(b.hook)
	}
	return recorder.RoundTrip(req)
}

// TestTransitionRacesAPerson: a person moves the issue between the
// connector's read of its transitions and its transition call. Jira then
// refuses the transition, but nothing is wrong with the value: the write is
// stale. Apply must fail so as to be retried (the next pass sees the
// person's change), not report a refusal, which the reconciler holds for a
// person as an open conflict forever.
func TestTransitionRacesAPerson(t *testing.T) {
	var id string
	var sb *sandbox.Server
	bt := &beforeTransition{hook: func() {
		if err := sb.UserTransition("alice@example.com", id, "Won't Do"); err != nil {
			t.Errorf("person's transition: %v", err)
		}
	}}
	e := newEnvWith(t, sandbox.Options{}, func(s *sandbox.Server, cfg *Config) {
		sb = s
		cfg.HTTPClient = &http.Client{Transport: bt, Timeout: cfg.HTTPClient.Timeout}
	})
	id = newStory(t, e, "To Do")
	err := e.c.Apply(ctx(t), id, backlog.Patch{backlog.Status: "started:In Progress"})
	if err == nil {
		t.Fatal("Apply succeeded though the issue moved under it")
	}
	var refused *connectors.RefusedError
	if connectors.IsPermanent(err) || errors.As(err, &refused) {
		t.Fatalf("a stale transition is reported as permanent (refused: %v): %v", refused != nil, err)
	}
	if v, _ := e.sb.Issue(id); v.Status != "Won't Do" {
		t.Fatalf("the person's status was overwritten: %s", v.Status)
	}
	// Retried once the person's change is seen, the walk goes on from there.
	if err := e.c.Apply(ctx(t), id, backlog.Patch{backlog.Status: "started:In Progress"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := e.sb.Issue(id); v.Status != "In Progress" {
		t.Fatalf("status %s after the retry", v.Status)
	}
}
