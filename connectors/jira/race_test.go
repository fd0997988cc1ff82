package jira

import (
	"errors"
	"net/http"
	"slices"
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

// TestApplyRefusalsCombine: every field Jira refuses in one Apply is named
// in one RefusedError — a sub-task's sprint (the reconciler holds refused
// fields for a person; a plain permanent error would fail the whole pass,
// and a second refusal joined behind the first would go unseen and its
// field be taken as written).
func TestApplyRefusalsCombine(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	story, _ := e.sb.Issue("TAN-3")
	ref, err := e.c.Create(ctx(t), backlog.Item{Title: "sub", Parent: story.ID, Origin: backlog.Ref{Side: backlog.Linear, ID: "sub-2"}})
	if err != nil {
		t.Fatal(err)
	}
	refusedFields := func(err error) []backlog.Field {
		var r *connectors.RefusedError
		if !connectors.IsPermanent(err) || !errors.As(err, &r) {
			return nil
		}
		f := slices.Clone(r.Fields)
		slices.Sort(f)
		return f
	}
	// The sprint alone.
	err = e.c.Apply(ctx(t), ref.ID, backlog.Patch{backlog.Sprint: "TAN Sprint 2"})
	if got := refusedFields(err); !slices.Equal(got, []backlog.Field{backlog.Sprint}) {
		t.Fatalf("sprint of a sub-task: refused %v, err %v", got, err)
	}
	// With a refused parent (itself) and a title that is written.
	err = e.c.Apply(ctx(t), ref.ID, backlog.Patch{backlog.Sprint: "TAN Sprint 2", backlog.Parent: backlog.Value(ref.ID), backlog.Title: "sub 2"})
	want := []backlog.Field{backlog.Parent, backlog.Sprint}
	slices.Sort(want)
	if got := refusedFields(err); !slices.Equal(got, want) {
		t.Fatalf("refused %v, want %v (err %v)", got, want, err)
	}
	if v, _ := e.sb.Issue(ref.ID); v.Summary != "sub 2" || v.Parent != story.Key {
		t.Fatalf("after the refusals: %+v", v)
	}
}
