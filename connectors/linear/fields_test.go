package linear

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

// logBuffer collects log lines for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), sub)
}

const overrideEmail = "robert@corp.example" // a Config.Users key naming Bob

// drawFields draws a value for every synced field but rank, as canonical
// full values (labels: the set).
// fresh names labels no earlier draw used, so label creation is hit
// every time, not only on the first draws.
func drawFields(t *rapid.T, parents []string, fresh string) backlog.Item {
	it := backlog.Item{
		Title:       rapid.SampledFrom([]string{"T", "Fix the login", "  spaced  ", "émoji ✓"}).Draw(t, "title"),
		Description: rapid.SampledFrom(descriptionSamples).Draw(t, "description"),
		Status: backlog.StatusValue{
			Category: rapid.SampledFrom([]backlog.Category{"backlog", "todo", "started", "done", "canceled"}).Draw(t, "cat"),
			Name:     rapid.SampledFrom([]string{"Backlog", "in review", "Closed", "Doing"}).Draw(t, "state"),
		},
		Priority: rapid.SampledFrom([]backlog.PriorityLevel{"none", "highest", "high", "medium", "low", "lowest"}).Draw(t, "prio"),
		Assignee: rapid.SampledFrom([]string{"", sandbox.AliceEmail, strings.ToUpper(sandbox.BobEmail), overrideEmail, "carol@example.com"}).Draw(t, "assignee"),
		DueDate:  rapid.SampledFrom([]string{"", "2026-12-24", "2027-02-28"}).Draw(t, "due"),
		Parent:   rapid.SampledFrom(append([]string{""}, parents...)).Draw(t, "parent"),
		Sprint:   rapid.SampledFrom([]string{"", "Cycle 1", "cycle 2", "Hardening", "HARDENING", "Sprint 9"}).Draw(t, "sprint"),
	}
	pool := []string{"Bug", "bug", "Feature", "Backend", "docs", "New1", "new1", "Zeta", "Fresh" + fresh, "fresh" + fresh}
	for _, l := range pool {
		if rapid.Bool().Draw(t, "label "+l) {
			it.Labels = append(it.Labels, l)
		}
	}
	if rapid.Bool().Draw(t, "has estimate") {
		e := float64(rapid.IntRange(-20, 700).Draw(t, "estimate")) / 10
		it.Estimate = &e
	}
	return it
}

var scales = []struct {
	typ          string
	zero, extend bool
}{{"fibonacci", false, false}, {"exponential", true, true}, {"linear", false, true}, {"tShirt", true, false}, {"notUsed", false, false}}

// TestProjectPredictsGet: for every field, after Apply (a random patch of
// random fields, labels as the delta from the current set) or Create (a
// random item), Get reads back exactly what Project predicted, whatever
// the team's estimate scale, with and without label creation.
func TestProjectPredictsGet(t *testing.T) {
	s := start(t, sandbox.Options{})
	var clients []*Client
	for _, create := range []bool{false, true} {
		c, err := connect(t, s, sandbox.BotKey, func(cfg *Config) {
			cfg.CreateLabels = create
			cfg.Users = map[string]string{overrideEmail: sandbox.BobEmail}
			cfg.Logger = slog.New(slog.NewTextHandler(&logBuffer{}, nil))
		})
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	var targets, parents []string
	for k, v := range s.Issues() {
		if k < 6 {
			targets = append(targets, v.ID)
		} else {
			parents = append(parents, v.ID) // never given a parent: no cycles
		}
	}
	fields := []backlog.Field{backlog.Title, backlog.Description, backlog.Status, backlog.Priority, backlog.Assignee,
		backlog.Labels, backlog.Estimate, backlog.DueDate, backlog.Parent, backlog.Sprint}
	n := 0
	rapid.Check(t, func(rt *rapid.T) {
		n++
		c := clients[rapid.IntRange(0, 1).Draw(rt, "client")]
		sc := scales[rapid.IntRange(0, len(scales)-1).Draw(rt, "scale")]
		s.SetEstimation(sc.typ, sc.zero, sc.extend)
		if err := c.Refresh(t.Context()); err != nil {
			rt.Fatal(err)
		}
		want := drawFields(rt, parents, strconv.Itoa(n))
		// Predicted before writing, as the reconciler does.
		predict := map[backlog.Field]backlog.Value{}
		for _, f := range fields {
			predict[f] = c.Project(f, want.Get(f))
		}
		var id string
		var check []backlog.Field
		if rapid.Bool().Draw(rt, "create") {
			ref, err := c.Create(t.Context(), want)
			if err != nil {
				rt.Fatal(err)
			}
			id, check = ref.ID, fields
		} else {
			id = rapid.SampledFrom(targets).Draw(rt, "target")
			before, err := c.Get(t.Context(), id)
			if err != nil {
				rt.Fatal(err)
			}
			p := backlog.Patch{}
			for _, f := range fields {
				if rapid.Bool().Draw(rt, "patch "+string(f)) {
					p[f] = want.Get(f)
					if f == backlog.Labels {
						p[f] = backlog.LabelPatch(before.Get(f), want.Get(f))
					}
					check = append(check, f)
				}
			}
			if err := c.Apply(t.Context(), id, p); err != nil {
				rt.Fatal(err)
			}
		}
		got, err := c.Get(t.Context(), id)
		if err != nil {
			rt.Fatal(err)
		}
		for _, f := range check {
			if g, p := got.Get(f), predict[f]; g != p {
				rt.Fatalf("%s (scale %s): wrote %q, read back %q, Project said %q", f, sc.typ, want.Get(f), g, p)
			}
		}
	})
}

// TestUnknownUserWarnsOnce: an email with no Linear user leaves the issue
// unassigned (never someone else) and is reported once, however often it
// is written.
func TestUnknownUserWarnsOnce(t *testing.T) {
	logs := &logBuffer{}
	s, c := setup(t, sandbox.Options{}, func(cfg *Config) { cfg.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	for range 3 {
		if err := c.Apply(t.Context(), "ENG-1", backlog.Patch{backlog.Assignee: "carol@example.com"}); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.Issue("ENG-1"); v.Assignee != "" {
			t.Fatalf("assigned to %q", v.Assignee)
		}
	}
	if _, err := c.Create(t.Context(), backlog.Item{Title: "x", Assignee: "Carol@Example.com"}); err != nil {
		t.Fatal(err)
	}
	if n := logs.count("carol@example.com"); n != 1 {
		t.Fatalf("warned %d times:\n%s", n, logs.buf.String())
	}
	if n := logs.count("dave@example.com"); n != 0 {
		t.Fatal("warned about someone never written")
	}
	// A missing label without CreateLabels: skipped, reported once, the
	// other labels of the patch still written.
	for range 2 {
		if err := c.Apply(t.Context(), "ENG-2", backlog.Patch{backlog.Labels: "+Nope\n+Bug"}); err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := s.Issue("ENG-2"); strings.Join(v.Labels, ",") != "Feature,Bug" {
		t.Fatalf("labels %v", v.Labels)
	}
	if n := logs.count("label=Nope"); n != 1 {
		t.Fatalf("label warned %d times", n)
	}
	// An estimate off the scale: rounded, reported once per value.
	for _, e := range []string{"4", "4", "6"} {
		if err := c.Apply(t.Context(), "ENG-2", backlog.Patch{backlog.Estimate: backlog.Value(e)}); err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := s.Issue("ENG-2"); v.Estimate == nil || *v.Estimate != 5 {
		t.Fatalf("estimate %v", v.Estimate)
	}
	if n := logs.count("rounded"); n != 2 {
		t.Fatalf("rounding reported %d times, want 2 (once per value)", n)
	}
}

// TestOverrideReadsBack: an assignee written through a Config.Users
// override (by user id or by Linear email) reads back as the override's
// email; an override naming nobody is ignored.
func TestOverrideReadsBack(t *testing.T) {
	s := start(t, sandbox.Options{})
	c, err := connect(t, s, sandbox.BotKey, func(cfg *Config) {
		cfg.Users = map[string]string{"bob@corp.example": s.UserID(sandbox.BobEmail), "al@corp.example": "ALICE@example.com",
			"ghost@corp.example": "nobody@example.com"}
	})
	if err != nil {
		t.Fatal(err)
	}
	for email, linear := range map[string]string{"BOB@corp.example": sandbox.BobEmail, "al@corp.example": sandbox.AliceEmail} {
		if err := c.Apply(t.Context(), "ENG-2", backlog.Patch{backlog.Assignee: backlog.Value(email)}); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.Issue("ENG-2"); v.Assignee != linear {
			t.Fatalf("%s assigned to %q", email, v.Assignee)
		}
		it, err := c.Get(t.Context(), "ENG-2")
		if err != nil || it.Assignee != strings.ToLower(email) || c.Project(backlog.Assignee, backlog.Value(email)) != backlog.Value(it.Assignee) {
			t.Fatalf("%s read back %q %v", email, it.Assignee, err)
		}
	}
	if c.Project(backlog.Assignee, "ghost@corp.example") != "" {
		t.Fatal("an override naming nobody projects to someone")
	}
}

// TestMissingParent: a parent that does not exist is a permanent error
// that does not read as "the issue is gone" (Linear says "Entity not
// found: Issue" for both).
func TestMissingParent(t *testing.T) {
	_, c := setup(t, sandbox.Options{})
	const ghost = "00000000-0000-4000-8000-000000000000"
	err := c.Apply(t.Context(), "ENG-2", backlog.Patch{backlog.Parent: ghost})
	if err == nil || errors.Is(err, connectors.ErrNotFound) || !connectors.IsPermanent(err) {
		t.Fatalf("missing parent: %v", err)
	}
	if err := c.Apply(t.Context(), ghost, backlog.Patch{backlog.Parent: ""}); !errors.Is(err, connectors.ErrNotFound) {
		t.Fatalf("missing issue: %v", err)
	}
	if err := c.Apply(t.Context(), ghost, backlog.Patch{backlog.Parent: "ENG-1"}); !errors.Is(err, connectors.ErrNotFound) {
		t.Fatalf("missing issue with a parent: %v", err)
	}
	_, err = c.Create(t.Context(), backlog.Item{Title: "orphan", Parent: ghost})
	if err == nil || errors.Is(err, connectors.ErrNotFound) || !connectors.IsPermanent(err) {
		t.Fatalf("create with a missing parent: %v", err)
	}
}

// TestCatalogPages: a workspace with more labels than a page: every one
// is known after New.
func TestCatalogPages(t *testing.T) {
	s := start(t, sandbox.Options{SeedIssues: -1})
	first, err := connect(t, s, sandbox.BotKey)
	if err != nil {
		t.Fatal(err)
	}
	for k := range 260 {
		if _, err := first.createLabel(t.Context(), "L"+strconv.Itoa(k)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := connect(t, s, sandbox.BotKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.cat.labels) != 11+260 || c.Project(backlog.Labels, "l0\nl259") != "L0\nL259" {
		t.Fatalf("%d labels known", len(c.cat.labels))
	}
}

// TestLabelMadeAfterStart: issues are read with labelIds (a tenth of a
// complexity point, where the labels connection costs a hundred); a label
// a person made after the client read its catalog is named by reading the
// labels once more, once.
func TestLabelMadeAfterStart(t *testing.T) {
	s, c := setup(t, sandbox.Options{})
	body := `{"query":"mutation { issueLabelCreate(input: {name: \"Spike\", teamId: \"` + s.TeamID() + `\"}) { issueLabel { id } } }"}`
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/graphql", strings.NewReader(body))
	req.Header.Set("Authorization", sandbox.AliceKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Data struct {
			IssueLabelCreate struct{ IssueLabel struct{ ID string } } `json:"issueLabelCreate"`
		} `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	id := out.Data.IssueLabelCreate.IssueLabel.ID
	if err != nil || id == "" {
		t.Fatalf("creating a label: %v %+v", err, out)
	}
	if err := s.UserUpdate(sandbox.AliceEmail, "ENG-2", map[string]any{"labelIds": []any{id}}); err != nil {
		t.Fatal(err)
	}
	s.ResetCounts()
	for round, wantReads := range []int{2, 1} {
		it, err := c.Get(t.Context(), "ENG-2")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(it.Labels, "Spike") {
			t.Fatalf("round %d: labels %v, want Spike", round, it.Labels)
		}
		if n := s.Requests(sandbox.BotEmail).Reads; n != wantReads {
			t.Fatalf("round %d: %d reads, want %d", round, n, wantReads)
		}
		s.ResetCounts()
	}
}
