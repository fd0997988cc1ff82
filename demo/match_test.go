package demo

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
	"github.com/tandem-sync/tandem/reconcile"
)

// fullWorld seeds tools that hold the same work already: per group of n,
// Jira issues whose Linear copies carry an attachment to them, Linear
// copies with the Jira key in the title, copies paired by the pairs file,
// plus Jira-only and Linear-only issues, and amb titles each on one Jira
// and two Linear issues. It returns the pairs file's text.
type fullWorld struct {
	n, amb int
	// jiraOnly and linearOnly issues have no copy (default n each).
	jiraOnly, linearOnly int
	pairs                strings.Builder
}

func (w *fullWorld) seed(base *string) func(j *jirasb.Server, l *linearsb.Server) error {
	return func(j *jirasb.Server, l *linearsb.Server) error {
		jira := func(title string) (string, error) {
			_, key, err := j.UserCreate(Alice, map[string]any{"summary": title})
			return key, err
		}
		lin := func(title, desc string) (string, error) {
			in := map[string]any{"title": title}
			if desc != "" {
				in["description"] = desc
			}
			_, ident, err := l.UserCreate(linearsb.AliceEmail, in)
			return ident, err
		}
		for i := range w.n {
			key, err := jira(fmt.Sprintf("Linked by attachment %d", i))
			if err != nil {
				return err
			}
			ident, err := lin(fmt.Sprintf("Linked by attachment %d (linear copy)", i), "")
			if err != nil {
				return err
			}
			// What Linear's Jira integration leaves; the URL is on the
			// Jira site Tandem is told of.
			if _, err := l.UserLinkURL(linearsb.AliceEmail, ident, *base+"/browse/"+key, key); err != nil {
				return err
			}
			key, err = jira(fmt.Sprintf("Imported %d", i))
			if err != nil {
				return err
			}
			if _, err := lin(fmt.Sprintf("[%s] Imported %d", key, i), "Imported from Jira."); err != nil {
				return err
			}
			key, err = jira(fmt.Sprintf("Paired %d", i))
			if err != nil {
				return err
			}
			ident, err = lin(fmt.Sprintf("Paired %d, renamed in linear", i), "")
			if err != nil {
				return err
			}
			fmt.Fprintf(&w.pairs, "%s,%s\n", key, ident)
		}
		jo, lo := w.jiraOnly, w.linearOnly
		if jo == 0 && lo == 0 {
			jo, lo = w.n, w.n
		}
		for i := range jo {
			if _, err := jira(fmt.Sprintf("Only in Jira %d", i)); err != nil {
				return err
			}
		}
		for i := range lo {
			if _, err := lin(fmt.Sprintf("Only in Linear %d", i), ""); err != nil {
				return err
			}
		}
		for i := range w.amb {
			title := fmt.Sprintf("Ambiguous title %d", i)
			if _, err := jira(title); err != nil {
				return err
			}
			for range 2 {
				if _, err := lin(title, ""); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// settleLinks waits until the daemon is idle and the links stay put.
func settleLinks(t *testing.T, e *Env, want int) []backlog.Link {
	t.Helper()
	ctx := t.Context()
	var links []backlog.Link
	_, err := WaitFor(ctx, 60*time.Second, func() bool {
		if !e.App.Daemon.Idle() {
			return false
		}
		var err error
		links, err = e.App.State.Links(ctx)
		if err != nil || len(links) != want {
			return false
		}
		for _, l := range links {
			if l.Pending != "" {
				return false
			}
		}
		return e.App.Daemon.Idle()
	})
	if err != nil {
		t.Fatalf("links %d, want %d (jira %d, linear %d): %v", len(links), want, e.Jira.Count(), e.Linear.Count(), err)
	}
	return links
}

// TestStartOnFullTools: a world where the same work exists on both sides.
// Tandem links every pair by its signal without a create, makes twins of
// the rest, leaves the ambiguous titles unlinked and reports them, and
// with its store lost re-links every pair from the cross-links, creating
// nothing.
func TestStartOnFullTools(t *testing.T) {
	const n, amb = 4, 2
	dir := t.TempDir()
	w := &fullWorld{n: n, amb: amb}
	var base string
	mapping := filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(mapping, []byte("match:\n  title: exact\n  pairs: pairs.csv\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var matched = map[string]int{}
	var ambiguous = map[string]bool{}
	observe := func(ev reconcile.Event) {
		switch ev.Kind {
		case reconcile.EventMatched:
			matched[string(ev.Signal)]++
		case reconcile.EventAmbiguous:
			ambiguous[ev.Jira.ID+ev.Linear.ID] = true
		}
	}
	seed := w.seed(&base)
	o := EnvOptions{DataDir: filepath.Join(dir, "store"), JiraSeed: -1, LinearSeed: -1, Webhooks: true, PollEvery: 300 * time.Millisecond, Policy: "jira",
		MappingFile: mapping, Log: testLog(t), Observe: observe,
		Seed: func(j *jirasb.Server, l *linearsb.Server) error {
			base = j.URL()
			if err := seed(j, l); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "pairs.csv"), []byte("jira,linear\n"+w.pairs.String()), 0o600)
		}}
	e, err := StartEnv(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	jiraBefore, linearBefore := e.Jira.Count(), e.Linear.Count()
	// 3n matched pairs, n twins each way; the ambiguous ones unlinked.
	links := settleLinks(t, e, 5*n)
	time.Sleep(time.Second) // a few polls: nothing more happens
	links = settleLinks(t, e, 5*n)
	if e.Jira.Count() != jiraBefore+n || e.Linear.Count() != linearBefore+n {
		t.Fatalf("jira %d (was %d), linear %d (was %d): want %d twins each way", e.Jira.Count(), jiraBefore, e.Linear.Count(), linearBefore, n)
	}
	if matched["cross-link"] != n || matched["key-in-text"] != n || matched["pairs-file"] != n || matched["title"] != 0 {
		t.Fatalf("matched by signal: %v", matched)
	}
	if got := len(e.App.Syncer.Ambiguous()); got != 3*amb {
		t.Fatalf("ambiguous %d, want %d: %+v", got, 3*amb, e.App.Syncer.Ambiguous())
	}
	for _, a := range e.App.Syncer.Ambiguous() {
		if _, err := e.App.State.LinkBy(t.Context(), a.Item); err == nil {
			t.Fatalf("ambiguous %v was linked", a.Item)
		}
	}
	resp, err := http.Get("http://" + e.App.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		fmt.Sprintf(`tandem_matches_total{outcome="matched",signal="cross-link"} %d`, n),
		fmt.Sprintf(`tandem_matches_total{outcome="matched",signal="pairs-file"} %d`, n),
		`tandem_matches_total{outcome="ambiguous",signal="title"}`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// No duplicate: every title (the ambiguous ones aside) once per side.
	seen := map[string]int{}
	for _, v := range e.Jira.Issues() {
		seen["j:"+v.Summary]++
	}
	for _, v := range e.Linear.Issues() {
		seen["l:"+v.Title]++
	}
	for k, c := range seen {
		if c > 1 && !strings.Contains(k, "Ambiguous") {
			t.Fatalf("%q appears %d times", k, c)
		}
	}
	// The first merge settled titles by the policy (jira) and every pair
	// points at its twin.
	for _, l := range links {
		ji, li := e.JiraIssue(l), e.LinearIssue(l)
		if ji.Summary != li.Title {
			t.Fatalf("%s %q vs %s %q", l.Jira.Key, ji.Summary, l.Linear.Key, li.Title)
		}
		if len(e.Jira.RemoteLinks(l.Jira.ID)) != 1 {
			t.Fatalf("%s remote links %+v", l.Jira.Key, e.Jira.RemoteLinks(l.Jira.ID))
		}
	}

	// The store is lost: a restart on an empty store re-links every pair
	// and creates nothing.
	jiraCount, linearCount := e.Jira.Count(), e.Linear.Count()
	e.Config.DataDir = filepath.Join(dir, "store-after-loss")
	clear(matched)
	if err := e.Restart(context.WithoutCancel(t.Context())); err != nil {
		t.Fatal(err)
	}
	relinked := settleLinks(t, e, 5*n)
	time.Sleep(time.Second)
	settleLinks(t, e, 5*n)
	if e.Jira.Count() != jiraCount || e.Linear.Count() != linearCount {
		t.Fatalf("after the store was lost: jira %d (was %d), linear %d (was %d)", e.Jira.Count(), jiraCount, e.Linear.Count(), linearCount)
	}
	pairs := map[string]string{}
	for _, l := range links {
		pairs[l.Jira.ID] = l.Linear.ID
	}
	for _, l := range relinked {
		if pairs[l.Jira.ID] != l.Linear.ID {
			t.Fatalf("%s re-linked to %s, was %s", l.Jira.Key, l.Linear.ID, pairs[l.Jira.ID])
		}
	}
	for _, l := range relinked {
		if len(e.Jira.RemoteLinks(l.Jira.ID)) != 1 || len(e.Linear.Attachments(l.Linear.ID)) != 1 {
			t.Fatalf("%s/%s cross-links duplicated: %+v %+v", l.Jira.Key, l.Linear.Key, e.Jira.RemoteLinks(l.Jira.ID), e.Linear.Attachments(l.Linear.ID))
		}
	}
}
