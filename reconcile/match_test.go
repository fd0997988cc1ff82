package reconcile

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/match"
	"github.com/tandem-sync/tandem/store"
)

// memFinder finds candidates among a memConn's items as the connectors
// do, with attach holding each item's attachment URLs; it counts calls.
type memFinder struct {
	conn   *memConn
	attach map[string][]string
	calls  int
}

func (f *memFinder) MaxProbes() int { return 50 }

func (f *memFinder) FindMatches(_ context.Context, probes []connectors.Probe) ([][]match.Candidate, error) {
	f.calls++
	f.conn.mu.Lock()
	defer f.conn.mu.Unlock()
	out := make([][]match.Candidate, len(probes))
	for i, p := range probes {
		for _, it := range f.conn.items {
			add := func(s match.Signal) { out[i] = append(out[i], match.Candidate{Ref: it.Ref, Signal: s}) }
			if p.LinkURL != "" && slices.Contains(f.attach[it.Ref.ID], p.LinkURL) {
				add(match.CrossLink)
			}
			if s, ok := p.Named[strings.ToUpper(it.Ref.Key)]; ok {
				add(s)
			}
			if p.TextKey != "" && (match.HasKey(it.Title, p.TextKey) || match.HasKey(it.Description, p.TextKey)) {
				add(match.Key)
			}
			if p.Title != "" && match.SameTitle(it.Title, p.Title) {
				add(match.Title)
			}
		}
	}
	return out, nil
}

func (f *memFinder) AttachmentURLs(_ context.Context, ids []string, _ string) (map[string][]string, error) {
	f.calls++
	out := map[string][]string{}
	for _, id := range ids {
		if u := f.attach[id]; len(u) > 0 {
			out[id] = u
		}
	}
	return out, nil
}

const testJiraURL = "https://acme.atlassian.net"

func newMatchSyncer(t *testing.T, pairs string, titles bool) (*Syncer, *memConn, *memConn, *memFinder, *memFinder, *[]Event) {
	s, j, l, _ := newSyncer(t, backlog.PolicyJira)
	jf, lf := &memFinder{conn: j, attach: map[string][]string{}}, &memFinder{conn: l, attach: map[string][]string{}}
	ps, err := match.ParsePairs(strings.NewReader(pairs))
	if err != nil {
		t.Fatal(err)
	}
	s.Match = Matching{JiraFinder: jf, LinearFinder: lf, LinearAttachments: lf, JiraURL: testJiraURL, JiraProject: "TAN", Pairs: ps, Titles: titles}
	var events []Event
	s.Observe = func(e Event) { events = append(events, e) }
	return s, j, l, jf, lf, &events
}

func jiraItem(id, key, title string) backlog.Item {
	return backlog.Item{Ref: backlog.Ref{ID: id, Key: key}, Title: title}
}

func linearItem(id, key, title, desc string) backlog.Item {
	return backlog.Item{Ref: backlog.Ref{ID: id, Key: key}, Title: title, Description: desc}
}

func TestMatchEachSignal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		from   backlog.Side
		pairs  string
		titles bool
		setup  func(j, l *memConn, lf *memFinder)
		signal match.Signal
	}{
		{"linear attachment, from jira", backlog.Jira, "", false, func(j, l *memConn, lf *memFinder) {
			lf.attach["lin-1"] = []string{testJiraURL + "/browse/TAN-1"}
		}, match.CrossLink},
		{"linear attachment, from linear", backlog.Linear, "", false, func(j, l *memConn, lf *memFinder) {
			lf.attach["lin-1"] = []string{"https://example.com", testJiraURL + "/browse/TAN-1"}
		}, match.CrossLink},
		{"pairs file, from jira", backlog.Jira, "TAN-1,ENG-1\n", false, nil, match.Pairs},
		{"pairs file, from linear", backlog.Linear, "TAN-1,ENG-1\n", false, nil, match.Pairs},
		{"key in the linear title, from jira", backlog.Jira, "", false, func(j, l *memConn, lf *memFinder) {
			l.edit("lin-1", func(it *backlog.Item) { it.Title = "[TAN-1] Checkout" })
		}, match.Key},
		{"key in the linear description, from linear", backlog.Linear, "", false, func(j, l *memConn, lf *memFinder) {
			l.edit("lin-1", func(it *backlog.Item) { it.Description = "Imported from Jira TAN-1." })
		}, match.Key},
		{"exact title, from jira", backlog.Jira, "", true, func(j, l *memConn, lf *memFinder) {
			l.edit("lin-1", func(it *backlog.Item) { it.Title = "Checkout" })
		}, match.Title},
		{"exact title, from linear", backlog.Linear, "", true, func(j, l *memConn, lf *memFinder) {
			l.edit("lin-1", func(it *backlog.Item) { it.Title = "Checkout" })
		}, match.Title},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, j, l, _, _, events := newMatchSyncer(t, tc.pairs, tc.titles)
			jx, lx := newLinks(backlog.Jira), newLinks(backlog.Linear)
			s.JiraLinks, s.LinearLinks = jx, lx
			jref := j.put(jiraItem("100", "TAN-1", "Checkout"))
			lref := l.put(linearItem("lin-1", "ENG-1", "Checkout (linear wording)", ""))
			// A bystander on each side that matches nothing.
			j.put(jiraItem("101", "TAN-2", "Other"))
			l.put(linearItem("lin-2", "ENG-2", "Unrelated", "TAN-10 and XTAN-1 are not it"))
			if tc.setup != nil {
				tc.setup(j, l, s.Match.LinearFinder.(*memFinder))
			}
			src := jref
			if tc.from == backlog.Linear {
				src = lref
			}
			res := mustSync(t, s, src)
			if res.Created != 0 || len(j.items) != 2 || len(l.items) != 2 {
				t.Fatalf("a twin was created: %+v, jira %d linear %d", res, len(j.items), len(l.items))
			}
			link, err := s.State.Link(t.Context(), "lin-1")
			if err != nil || link.Jira.ID != "100" || link.Pending != "" {
				t.Fatalf("link %+v, %v", link, err)
			}
			if len(*events) == 0 || (*events)[0].Kind != EventMatched || (*events)[0].Signal != tc.signal {
				t.Fatalf("events %+v, want matched by %s", *events, tc.signal)
			}
			// Cross-linked, and the first merge settled the title by the
			// policy (jira).
			if jx.count() != 1 || lx.count() != 1 {
				t.Fatalf("cross-links jira %d linear %d", jx.count(), lx.count())
			}
			if it, _ := l.Get(t.Context(), "lin-1"); it.Title != "Checkout" {
				t.Fatalf("linear title %q after the first merge", it.Title)
			}
			// Later passes are ordinary linked passes.
			mustSync(t, s, jref)
			mustSync(t, s, lref)
			if len(j.items) != 2 || len(l.items) != 2 {
				t.Fatal("a later pass created a twin")
			}
		})
	}
}

func TestMatchAmbiguousAndLinked(t *testing.T) {
	s, j, l, _, lf, events := newMatchSyncer(t, "", true)
	jref := j.put(jiraItem("100", "TAN-1", "Same"))
	l.put(linearItem("lin-1", "ENG-1", "Same", ""))
	l.put(linearItem("lin-2", "ENG-2", "Same", ""))
	// Two exact titles: reported, left unlinked, nothing created.
	res := mustSync(t, s, jref)
	if res.Writes != 0 || len(l.items) != 2 {
		t.Fatalf("%+v, %d linear items", res, len(l.items))
	}
	if _, err := s.State.LinkBy(t.Context(), jref); err == nil {
		t.Fatal("an ambiguous item was linked")
	}
	amb := s.Ambiguous()
	if len(amb) != 1 || amb[0].Item.ID != "100" || amb[0].Signal != match.Title || len(amb[0].Candidates) != 2 {
		t.Fatalf("ambiguous %+v", amb)
	}
	if e := (*events)[len(*events)-1]; e.Kind != EventAmbiguous || len(e.Candidates) != 2 || e.Jira.ID != "100" {
		t.Fatalf("event %+v", e)
	}
	// A stronger signal settles it.
	lf.attach["lin-2"] = []string{testJiraURL + "/browse/TAN-1"}
	mustSync(t, s, jref)
	if link, err := s.State.LinkBy(t.Context(), jref); err != nil || link.Linear.ID != "lin-2" {
		t.Fatalf("link %+v, %v", link, err)
	}
	if len(s.Ambiguous()) != 0 {
		t.Fatalf("still ambiguous: %+v", s.Ambiguous())
	}
	// A candidate linked to another item is nobody's match: TAN-2 names
	// ENG-2 (linked to TAN-1) in no way that counts, and gets a twin.
	jref2 := j.put(jiraItem("102", "TAN-2", "Same"))
	l.edit("lin-1", func(it *backlog.Item) { it.Title = "Else" })
	res = mustSync(t, s, jref2)
	if res.Created != 1 || len(l.items) != 3 {
		t.Fatalf("%+v, %d linear items", res, len(l.items))
	}
	// Without title matching, titles alone match nothing.
	s.Match.Titles = false
	jref3 := j.put(jiraItem("103", "TAN-3", "Else"))
	if res = mustSync(t, s, jref3); res.Created != 1 {
		t.Fatalf("%+v", res)
	}
}

func TestMatchInBatches(t *testing.T) {
	s, bj, bl, st := newBatchSyncer(t, 50)
	jf, lf := &memFinder{conn: bj.memConn, attach: map[string][]string{}}, &memFinder{conn: bl.memConn, attach: map[string][]string{}}
	s.Match = Matching{JiraFinder: jf, LinearFinder: lf, LinearAttachments: lf, JiraURL: testJiraURL, JiraProject: "TAN", Titles: true}
	var refs []backlog.Ref
	refs = append(refs, bj.put(jiraItem("100", "TAN-1", "Matched")))
	refs = append(refs, bj.put(jiraItem("101", "TAN-2", "Twice")))
	refs = append(refs, bj.put(jiraItem("102", "TAN-3", "New")))
	bl.put(linearItem("lin-1", "ENG-1", "Matched", ""))
	lf.attach["lin-1"] = []string{testJiraURL + "/browse/TAN-1"}
	bl.put(linearItem("lin-2", "ENG-2", "Twice", ""))
	bl.put(linearItem("lin-3", "ENG-3", "Twice", ""))
	outs := s.SyncMany(t.Context(), hinted(refs...))
	mustOutcomes(t, outs)
	if lf.calls != 1 {
		t.Fatalf("%d look-ups for one batch", lf.calls)
	}
	if len(bl.items) != 4 || outs[2].Result.Created != 1 || outs[0].Result.Created != 0 {
		t.Fatalf("linear items %d, outcomes %+v", len(bl.items), outs)
	}
	if l, err := st.Link(t.Context(), "lin-1"); err != nil || l.Jira.ID != "100" {
		t.Fatalf("matched link %+v %v", l, err)
	}
	if _, err := st.LinkBy(t.Context(), refs[1]); err == nil || len(s.Ambiguous()) != 1 {
		t.Fatalf("the ambiguous item: %v %+v", err, s.Ambiguous())
	}
	// The Linear side's batch then finds its items linked (or ambiguous,
	// for lin-2 and lin-3, whose only signal is TAN-2's title).
	var lrefs []backlog.Ref
	for _, id := range []string{"lin-1", "lin-2", "lin-3"} {
		lrefs = append(lrefs, backlog.Ref{Side: backlog.Linear, ID: id, Key: "ENG-" + id[4:]})
	}
	outs = s.SyncMany(t.Context(), hinted(lrefs...))
	mustOutcomes(t, outs)
	if len(bj.items) != 3 {
		t.Fatalf("jira items %d: a twin of an ambiguous linear item was made", len(bj.items))
	}
}

func TestMatchedPairCommentsArePairedNotCopied(t *testing.T) {
	s, j, l, _, lf, _ := newMatchSyncer(t, "", false)
	jc, lc := newComments(), newComments()
	s.JiraComments, s.LinearComments = jc, lc
	jref := j.put(jiraItem("100", "TAN-1", "Checkout"))
	l.put(linearItem("lin-1", "ENG-1", "Checkout", ""))
	lf.attach["lin-1"] = []string{testJiraURL + "/browse/TAN-1"}
	jc.human("100", "", "alice@example.com", "Same words")
	jc.human("100", "", "alice@example.com", "Only in Jira")
	lc.human("lin-1", "", "alice@example.com", "Same words ")
	lc.human("lin-1", "", "bob@example.com", "Only in Linear")
	mustSync(t, s, jref)
	if n := len(jc.byIssue["100"]); n != 3 {
		t.Fatalf("jira comments %d, want 3 (two and the linear-only copy): %+v", n, jc.byIssue["100"])
	}
	if n := len(lc.byIssue["lin-1"]); n != 3 {
		t.Fatalf("linear comments %d, want 3: %+v", n, lc.byIssue["lin-1"])
	}
}

func TestMatchTitleMustBeUniqueBothWays(t *testing.T) {
	s, j, l, _, _, _ := newMatchSyncer(t, "", true)
	j.put(jiraItem("100", "TAN-1", "Dup"))
	a := l.put(linearItem("lin-1", "ENG-1", "Dup", ""))
	b := l.put(linearItem("lin-2", "ENG-2", "Dup", ""))
	// Each Linear item sees one Jira candidate, but the title is not
	// unique on the Linear side: both are ambiguous, nothing is made.
	for _, r := range []backlog.Ref{a, b, a} {
		if res := mustSync(t, s, r); res.Writes != 0 {
			t.Fatalf("%s: %+v", r.ID, res)
		}
	}
	if len(j.items) != 1 || len(s.Ambiguous()) != 2 {
		t.Fatalf("jira items %d, ambiguous %+v", len(j.items), s.Ambiguous())
	}
	for _, amb := range s.Ambiguous() {
		if len(amb.Candidates) != 2 {
			t.Fatalf("%+v", amb)
		}
	}
}

func TestFirstSyncPolicies(t *testing.T) {
	for _, tc := range []struct {
		pol        backlog.Policy
		wantTitle  string // both sides after the first merge ("" : each keeps its own)
		wantOpen   bool
		wantWinner backlog.Side
	}{
		{backlog.PolicyJira, "Jira title", false, backlog.Jira},
		{backlog.PolicyLinear, "Linear title", false, backlog.Linear},
		{backlog.PolicyNewest, "Linear title", false, backlog.Linear}, // Linear's is the later edit
		{backlog.PolicyManual, "", true, ""},
	} {
		t.Run(string(tc.pol), func(t *testing.T) {
			s, j, l, _, _, _ := newMatchSyncer(t, "TAN-1,ENG-1\n", false)
			// The fields' own policy says otherwise: first_sync rules the
			// first merge.
			s.Policies = Policies{Default: backlog.PolicyManual}
			if tc.pol == backlog.PolicyManual {
				s.Policies = Policies{Default: backlog.PolicyJira}
			}
			s.FirstSync = tc.pol
			ji := jiraItem("100", "TAN-1", "Jira title")
			ji.UpdatedAt = time.Unix(1_700_000_000, 0)
			li := linearItem("lin-1", "ENG-1", "Linear title", "")
			li.UpdatedAt = time.Unix(1_700_000_100, 0)
			jref := j.put(ji)
			l.put(li)
			mustSync(t, s, jref)
			jt, _ := j.Get(t.Context(), "100")
			lt, _ := l.Get(t.Context(), "lin-1")
			if tc.wantTitle != "" && (jt.Title != tc.wantTitle || lt.Title != tc.wantTitle) {
				t.Fatalf("titles %q / %q, want %q", jt.Title, lt.Title, tc.wantTitle)
			}
			if tc.wantTitle == "" && (jt.Title != "Jira title" || lt.Title != "Linear title") {
				t.Fatalf("manual changed a side: %q / %q", jt.Title, lt.Title)
			}
			cs, err := s.State.Conflicts(t.Context(), store.ConflictFilter{LinkID: "lin-1"})
			if err != nil || len(cs) != 1 {
				t.Fatalf("conflicts %+v %v: every difference is logged", cs, err)
			}
			c := cs[0]
			if c.Field != backlog.Title || c.Policy != tc.pol || c.Open() != tc.wantOpen || c.Decision != tc.wantWinner || !strings.Contains(c.Note, "first sync") {
				t.Fatalf("conflict %+v", c)
			}
			// The next pass is an ordinary one: nothing more is logged.
			mustSync(t, s, jref)
			if cs, _ = s.State.Conflicts(t.Context(), store.ConflictFilter{LinkID: "lin-1"}); len(cs) != 1 {
				t.Fatalf("%d conflicts after a second pass", len(cs))
			}
		})
	}
}
