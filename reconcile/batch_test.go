package reconcile

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/store"
)

// batchMem is memConn with the batch capabilities; it counts batch calls
// and can fail items of a create or the whole create after it is made.
type batchMem struct {
	*memConn
	max                int
	gets, creates      int
	failItem           func(backlog.Item) error // per-item refusal
	crashAfterCreating bool                     // make the twins, then fail
}

func (b *batchMem) MaxGet() int    { return b.max }
func (b *batchMem) MaxCreate() int { return b.max }

func (b *batchMem) GetMany(ctx context.Context, ids []string) (map[string]backlog.Item, error) {
	if len(ids) > b.max {
		return nil, fmt.Errorf("%d ids, max %d", len(ids), b.max)
	}
	b.gets++
	out := map[string]backlog.Item{}
	for _, id := range ids {
		if it, err := b.Get(ctx, id); err == nil {
			out[id] = it
		}
	}
	return out, nil
}

func (b *batchMem) CreateMany(ctx context.Context, items []backlog.Item) ([]backlog.Ref, error) {
	if len(items) > b.max {
		return nil, fmt.Errorf("%d items, max %d", len(items), b.max)
	}
	b.creates++
	refs := make([]backlog.Ref, len(items))
	failed := map[int]error{}
	for i, it := range items {
		if b.failItem != nil {
			if err := b.failItem(it); err != nil {
				failed[i] = err
				continue
			}
		}
		r, err := b.Create(ctx, it)
		if err != nil {
			failed[i] = err
			continue
		}
		refs[i] = r
	}
	if b.crashAfterCreating {
		return nil, errors.New("connection reset after the create")
	}
	if len(failed) > 0 {
		return refs, &connectors.BatchError{Failed: failed}
	}
	return refs, nil
}

func newBatchSyncer(t *testing.T, max int) (*Syncer, *batchMem, *batchMem, store.State) {
	s, j, l, st := newSyncer(t, backlog.PolicyJira)
	bj, bl := &batchMem{memConn: j, max: max}, &batchMem{memConn: l, max: max}
	s.Jira, s.Linear = bj, bl
	return s, bj, bl, st
}

func hinted(refs ...backlog.Ref) []Hinted {
	out := make([]Hinted, len(refs))
	for i, r := range refs {
		out[i] = Hinted{Ref: r}
	}
	return out
}

func mustOutcomes(t *testing.T, outs []Outcome) {
	t.Helper()
	for i, o := range outs {
		if o.Err != nil {
			t.Fatalf("outcome %d: %v", i, o.Err)
		}
	}
}

func TestSyncManyBackfillsInBatches(t *testing.T) {
	for _, from := range []backlog.Side{backlog.Jira, backlog.Linear} {
		t.Run(string(from), func(t *testing.T) {
			s, bj, bl, st := newBatchSyncer(t, 50)
			src, dst := bj, bl
			if from == backlog.Linear {
				src, dst = bl, bj
			}
			if n := s.BatchSize(from); n != 50 {
				t.Fatalf("BatchSize = %d, want 50", n)
			}
			var refs []backlog.Ref
			for i := range 50 {
				refs = append(refs, src.put(backlog.Item{Ref: backlog.Ref{ID: fmt.Sprint("s", i), Key: fmt.Sprint("S-", i)}, Title: fmt.Sprint("item ", i)}))
			}
			outs := s.SyncMany(t.Context(), hinted(refs...))
			mustOutcomes(t, outs)
			for i, o := range outs {
				if o.Result.Writes != 1 {
					t.Fatalf("outcome %d: writes %d, want the create", i, o.Result.Writes)
				}
			}
			// One read of the sources, one create, one read of the twins.
			if src.gets != 1 || dst.creates != 1 || dst.gets != 1 || len(dst.items) != 50 {
				t.Fatalf("source reads %d, creates %d, twin reads %d, twins %d", src.gets, dst.creates, dst.gets, len(dst.items))
			}
			links, _ := st.Links(t.Context())
			for _, l := range links {
				if l.Pending != "" || l.Jira.ID == "" || l.Linear.ID == "" {
					t.Fatalf("link %+v not complete", l)
				}
				if _, err := st.Base(t.Context(), l.ID()); err != nil {
					t.Fatalf("base of %s: %v", l.ID(), err)
				}
			}
			if len(links) != 50 {
				t.Fatalf("%d links, want 50", len(links))
			}
			// Again, linked now: passes one by one, nothing written.
			w := bj.writes + bl.writes
			mustOutcomes(t, s.SyncMany(t.Context(), hinted(refs...)))
			if bj.writes+bl.writes != w || dst.creates != 1 {
				t.Fatalf("second round wrote %d", bj.writes+bl.writes-w)
			}
		})
	}
}

func TestSyncManyMixedBatch(t *testing.T) {
	s, bj, bl, st := newBatchSyncer(t, 10)
	ctx := t.Context()
	linked := bj.put(backlog.Item{Ref: backlog.Ref{ID: "1", Key: "TAN-1"}, Title: "linked"})
	mustSync(t, s, linked)
	fresh := bj.put(backlog.Item{Ref: backlog.Ref{ID: "2", Key: "TAN-2"}, Title: "fresh"})
	gone := backlog.Ref{Side: backlog.Jira, ID: "404"}
	// A Jira twin of a Linear issue whose link was lost: relinked, not
	// copied back.
	lin := bl.put(backlog.Item{Ref: backlog.Ref{ID: "lin-9", Key: "ENG-9"}, Title: "from linear"})
	twinOfLinear := bj.put(backlog.Item{Ref: backlog.Ref{ID: "3", Key: "TAN-3"}, Title: "from linear", Origin: lin})
	archived := bj.put(backlog.Item{Ref: backlog.Ref{ID: "4", Key: "TAN-4"}, Title: "old", Archived: true})
	outs := s.SyncMany(ctx, hinted(linked, fresh, gone, twinOfLinear, archived))
	mustOutcomes(t, outs)
	if outs[0].Result.Writes != 0 || outs[1].Result.Writes != 1 || outs[2].Result.Writes != 0 || outs[4].Result.Writes != 0 {
		t.Fatalf("outcomes %+v", outs)
	}
	if l, err := st.LinkBy(ctx, twinOfLinear); err != nil || l.Linear.ID != "lin-9" {
		t.Fatalf("relink: %+v %v", l, err)
	}
	if _, err := st.LinkBy(ctx, archived); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("archived item linked: %v", err)
	}
	// linked's twin, fresh's twin and the Linear original.
	if len(bl.items) != 3 {
		t.Fatalf("linear holds %d items, want 3", len(bl.items))
	}
}

func TestSyncManyPartialFailureResumesWithoutDuplicates(t *testing.T) {
	s, bj, bl, st := newBatchSyncer(t, 10)
	ctx := t.Context()
	var refs []backlog.Ref
	for i := range 5 {
		refs = append(refs, bj.put(backlog.Item{Ref: backlog.Ref{ID: fmt.Sprint(i), Key: fmt.Sprint("TAN-", i)}, Title: fmt.Sprint("t", i)}))
	}
	bl.failItem = func(it backlog.Item) error {
		if it.Title == "t2" {
			return errors.New("refused for now")
		}
		return nil
	}
	outs := s.SyncMany(ctx, hinted(refs...))
	for i, o := range outs {
		if (o.Err != nil) != (i == 2) {
			t.Fatalf("outcome %d: %v", i, o.Err)
		}
	}
	l, err := st.LinkBy(ctx, refs[2])
	if err != nil || l.Pending != backlog.Linear {
		t.Fatalf("failed item's link = %+v %v, want pending", l, err)
	}
	bl.failItem = nil
	mustSync(t, s, refs[2])
	if len(bl.items) != 5 || bl.writes != 5 {
		t.Fatalf("linear has %d items after %d writes, want 5", len(bl.items), bl.writes)
	}
}

func TestSyncManyCrashAfterCreateMakesTwinsOnce(t *testing.T) {
	s, bj, bl, st := newBatchSyncer(t, 10)
	ctx := t.Context()
	var refs []backlog.Ref
	for i := range 6 {
		refs = append(refs, bl.put(backlog.Item{Ref: backlog.Ref{ID: fmt.Sprint("lin-", i), Key: fmt.Sprint("ENG-", i)}, Title: fmt.Sprint("t", i)}))
	}
	bj.crashAfterCreating = true
	for _, o := range s.SyncMany(ctx, hinted(refs...)) {
		if o.Err == nil {
			t.Fatal("the crashed batch reported success")
		}
	}
	links, _ := st.Links(ctx)
	if len(links) != 6 {
		t.Fatalf("%d pending links, want 6", len(links))
	}
	bj.crashAfterCreating = false
	// Resumed one by one (finishCreate) and in a batch: no second twin.
	mustSync(t, s, refs[0])
	mustOutcomes(t, s.SyncMany(ctx, hinted(refs...)))
	if len(bj.items) != 6 {
		t.Fatalf("jira holds %d issues, want 6", len(bj.items))
	}
	links, _ = st.Links(ctx)
	for _, l := range links {
		if l.Pending != "" {
			t.Fatalf("link %+v still pending", l)
		}
	}
}

func TestBatchSizeWithoutBatchCapabilities(t *testing.T) {
	s, _, _, _ := newSyncer(t, backlog.PolicyJira)
	if n := s.BatchSize(backlog.Jira); n != 1 {
		t.Fatalf("BatchSize = %d, want 1", n)
	}
	s2, bj, _, _ := newBatchSyncer(t, 50)
	s2.Linear = bj.memConn // Linear cannot create in batches
	if n := s2.BatchSize(backlog.Jira); n != 1 {
		t.Fatalf("BatchSize with one side batching = %d, want 1", n)
	}
}

// ownMem is memConn that knows its own writes' versions.
type ownMem struct {
	*memConn
	own map[string]string // version after → before
}

func (o ownMem) OwnWrite(_, v string) (string, bool) {
	b, ok := o.own[v]
	return b, ok
}

func TestReportedSynced(t *testing.T) {
	const v0, v1, v2, v3 = "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z", "2026-01-01T00:00:03Z"
	own := map[string]string{v1: v0, v2: v1} // two moves on top of v0
	cases := []struct {
		name, base, hint, latest string
		ok                       bool
	}{
		{"no report", v0, "", "", false},
		{"no base version", "", v0, "", false},
		{"the synced version", v0, v0, v0, true},
		{"an echo of a move", v0, v1, v1, true},
		{"a chain of moves, any order", v0, v2 + " " + v1, v2, true},
		{"create echo and move echo", v0, v0 + " " + v1, v1, true},
		{"an edit next to a move", v0, v1 + " " + v3, "", false},
		{"a move on a version not synced", v1, v1 + " " + v3, "", false},
		{"an older report than the base", v2, v0, v2, true},
		{"an older report next to a newer edit", v2, v0 + " " + v3, "", false},
		{"a report that is not a time", v0, "x", "", false},
		{"a move whose before is not reported", v0, v2, "", false},
	}
	s, _, l, _ := newSyncer(t, backlog.PolicyJira)
	s.Linear = ownMem{l, own}
	link := backlog.Link{Jira: backlog.Ref{Side: backlog.Jira, ID: "1"}, Linear: backlog.Ref{Side: backlog.Linear, ID: "x"}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			latest, ok := s.reportedSynced(link, backlog.Linear, backlog.Value(c.base), c.hint)
			if ok != c.ok || latest != c.latest {
				t.Fatalf("= %q %v, want %q %v", latest, ok, c.latest, c.ok)
			}
		})
	}
}
