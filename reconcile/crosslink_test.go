package reconcile

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

// memLinks is a CrossLinker over a memConn: one link per (item, twin),
// as the tools key them; fail makes the next calls fail with that error.
type memLinks struct {
	side  backlog.Side
	mu    sync.Mutex
	links map[string]map[string]string // item id → twin id → url
	calls int
	fail  []error
}

func newLinks(side backlog.Side) *memLinks {
	return &memLinks{side: side, links: map[string]map[string]string{}}
}

func (m *memLinks) ItemURL(ref backlog.Ref) string {
	if ref.Key == "" {
		return ""
	}
	return "https://" + string(m.side) + "/" + ref.Key
}

func (m *memLinks) CrossLink(_ context.Context, id string, twin backlog.Ref, url string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if len(m.fail) > 0 {
		err := m.fail[0]
		m.fail = m.fail[1:]
		return err
	}
	if m.links[id] == nil {
		m.links[id] = map[string]string{}
	}
	m.links[id][twin.ID] = url
	return nil
}

func (m *memLinks) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, ls := range m.links {
		n += len(ls)
	}
	return n
}

func TestCreateCrossLinksTwinsOnce(t *testing.T) {
	for _, from := range []backlog.Side{backlog.Jira, backlog.Linear} {
		t.Run(string(from), func(t *testing.T) {
			s, j, l, st := newSyncer(t, backlog.PolicyJira)
			jx, lx := newLinks(backlog.Jira), newLinks(backlog.Linear)
			s.JiraLinks, s.LinearLinks = jx, lx
			var ref backlog.Ref
			if from == backlog.Jira {
				ref = j.put(backlog.Item{Ref: backlog.Ref{ID: "100", Key: "TAN-1"}, Title: "Login"})
			} else {
				ref = l.put(backlog.Item{Ref: backlog.Ref{ID: "lin-1", Key: "ENG-1"}, Title: "Login"})
			}
			// The create and one cross-link on each side.
			if res := mustSync(t, s, ref); res.Writes != 3 || res.Created != 1 {
				t.Fatalf("result %+v, want 3 writes (create, two cross-links)", res)
			}
			link, err := st.LinkBy(t.Context(), ref)
			if err != nil {
				t.Fatal(err)
			}
			if jx.links[link.Jira.ID][link.Linear.ID] != lx.ItemURL(link.Linear) || lx.links[link.Linear.ID][link.Jira.ID] != jx.ItemURL(link.Jira) {
				t.Fatalf("cross-links: jira %v linear %v (link %+v)", jx.links, lx.links, link)
			}
			// Idle passes, from both sides, add no call.
			for range 3 {
				mustSync(t, s, link.Jira)
				mustSync(t, s, link.Linear)
			}
			if jx.calls != 1 || lx.calls != 1 {
				t.Fatalf("cross-link calls jira %d linear %d, want 1 each", jx.calls, lx.calls)
			}
		})
	}
}

func TestCrossLinkFailureResumes(t *testing.T) {
	s, j, l, st := newSyncer(t, backlog.PolicyJira)
	jx, lx := newLinks(backlog.Jira), newLinks(backlog.Linear)
	s.JiraLinks, s.LinearLinks = jx, lx
	// A transient failure: the pass fails, the link stays pending, and the
	// next pass finds the twin (no second create) and links it.
	lx.fail = []error{errors.New("connection reset")}
	ref := j.put(backlog.Item{Ref: backlog.Ref{ID: "100", Key: "TAN-1"}, Title: "Login"})
	if _, err := s.Sync(t.Context(), ref); err == nil {
		t.Fatal("a failed cross-link did not fail the pass")
	}
	link, err := st.Link(t.Context(), backlog.TwinID("jira.example", "100"))
	if err != nil || link.Pending != backlog.Linear {
		t.Fatalf("link %+v, %v: want it still pending", link, err)
	}
	mustSync(t, s, ref)
	if link, _ = st.Link(t.Context(), link.ID()); link.Pending != "" {
		t.Fatalf("link still pending: %+v", link)
	}
	if len(l.items) != 1 || jx.count() != 1 || lx.count() != 1 {
		t.Fatalf("linear items %d, cross-links jira %d linear %d", len(l.items), jx.count(), lx.count())
	}
	// A permanent refusal (no permission to link) is logged and skipped.
	jx.fail = []error{connectors.Permanent(errors.New("jira 403: no permission to link issues"))}
	ref2 := j.put(backlog.Item{Ref: backlog.Ref{ID: "101", Key: "TAN-2"}, Title: "Logout"})
	mustSync(t, s, ref2)
	if link, err := st.LinkBy(t.Context(), ref2); err != nil || link.Pending != "" {
		t.Fatalf("link %+v, %v", link, err)
	}
	if lx.count() != 2 || jx.count() != 1 {
		t.Fatalf("cross-links jira %d linear %d", jx.count(), lx.count())
	}
	// NoCrossLinks turns them off.
	s.NoCrossLinks = true
	ref3 := j.put(backlog.Item{Ref: backlog.Ref{ID: "102", Key: "TAN-3"}, Title: "Signup"})
	if res := mustSync(t, s, ref3); res.Writes != 1 {
		t.Fatalf("writes %d with cross-links off", res.Writes)
	}
}

func TestBackfillCrossLinks(t *testing.T) {
	s, bj, _, st := newBatchSyncer(t, 50)
	jx, lx := newLinks(backlog.Jira), newLinks(backlog.Linear)
	s.JiraLinks, s.LinearLinks = jx, lx
	var refs []backlog.Ref
	for i := range 5 {
		id := string(rune('a'+i)) + "1"
		refs = append(refs, bj.put(backlog.Item{Ref: backlog.Ref{ID: id, Key: "TAN-" + id}, Title: "T" + id}))
	}
	outs := s.SyncMany(t.Context(), hinted(refs...))
	mustOutcomes(t, outs)
	for i, o := range outs {
		if o.Result.Writes != 3 || o.Result.Created != 1 {
			t.Fatalf("outcome %d: %+v", i, o.Result)
		}
		link, err := st.LinkBy(t.Context(), refs[i])
		if err != nil || jx.links[link.Jira.ID][link.Linear.ID] == "" || lx.links[link.Linear.ID][link.Jira.ID] == "" {
			t.Fatalf("pair %d not cross-linked: %+v %v", i, link, err)
		}
	}
}

func (m *memLinks) Uncross(_ context.Context, id string, twin backlog.Ref, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	delete(m.links[id], twin.ID)
	return nil
}

// batchLinks is memLinks that also cross-links in batches.
type batchLinks struct {
	*memLinks
	batches int
}

func (b *batchLinks) MaxCrossLinks() int { return 2 }
func (b *batchLinks) CrossLinkMany(ctx context.Context, ls []connectors.CrossLinkArgs) error {
	b.batches++
	for _, l := range ls {
		if err := b.memLinks.CrossLink(ctx, l.ID, l.Twin, l.URL); err != nil {
			return err
		}
	}
	return nil
}

func TestBackfillCrossLinksBatched(t *testing.T) {
	s, bj, _, st := newBatchSyncer(t, 50)
	jx, lx := newLinks(backlog.Jira), &batchLinks{memLinks: newLinks(backlog.Linear)}
	s.JiraLinks, s.LinearLinks = jx, lx
	var refs []backlog.Ref
	for i := range 5 {
		id := string(rune('a'+i)) + "1"
		refs = append(refs, bj.put(backlog.Item{Ref: backlog.Ref{ID: id, Key: "TAN-" + id}, Title: "T" + id}))
	}
	outs := s.SyncMany(t.Context(), hinted(refs...))
	mustOutcomes(t, outs)
	if lx.batches != 3 || jx.calls != 5 {
		t.Fatalf("linear batches %d (want 3 of at most 2), jira calls %d", lx.batches, jx.calls)
	}
	writes := 0
	for i, o := range outs {
		writes += o.Result.Writes
		link, err := st.LinkBy(t.Context(), refs[i])
		if err != nil || link.Pending != "" || lx.links[link.Linear.ID][link.Jira.ID] == "" || jx.links[link.Jira.ID][link.Linear.ID] == "" {
			t.Fatalf("pair %d: %+v %v", i, link, err)
		}
	}
	// Writes: the twins are counted one each (the batch create's own
	// accounting), plus 5 Jira links and 3 Linear requests.
	if writes != 5+5+3 {
		t.Fatalf("writes %d", writes)
	}
	// A failed batch leaves its pairs pending; their next pass links them.
	s2, bj2, _, st2 := newBatchSyncer(t, 50)
	jx2, lx2 := newLinks(backlog.Jira), &batchLinks{memLinks: newLinks(backlog.Linear)}
	lx2.fail = []error{errors.New("connection reset")}
	s2.JiraLinks, s2.LinearLinks = jx2, lx2
	r := bj2.put(backlog.Item{Ref: backlog.Ref{ID: "z1", Key: "TAN-9"}, Title: "Z"})
	outs = s2.SyncMany(t.Context(), hinted(r))
	if outs[0].Err == nil {
		t.Fatal("a failed cross-link batch did not fail the pair")
	}
	if l, err := st2.LinkBy(t.Context(), r); err != nil || l.Pending == "" {
		t.Fatalf("link %+v %v: want pending", l, err)
	}
	mustSync(t, s2, r)
	if l, _ := st2.LinkBy(t.Context(), r); l.Pending != "" || lx2.count() != 1 {
		t.Fatalf("after the retry: %+v, linear links %d", l, lx2.count())
	}
}
