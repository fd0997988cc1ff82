package reconcile

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/store/embedded"
)

// memOrder is a tool's manual order behind connectors.Orderer.
type memOrder struct {
	ids   []string
	batch int
	calls int
}

func (m *memOrder) Order(context.Context) ([]string, error) { return slices.Clone(m.ids), nil }
func (m *memOrder) MaxBatch() int                           { return m.batch }
func (m *memOrder) Move(_ context.Context, moves []backlog.Move) (int, error) {
	for _, mv := range moves {
		if len(mv.IDs) > m.batch {
			return 0, fmt.Errorf("move of %d > batch %d", len(mv.IDs), m.batch)
		}
	}
	m.ids = ApplyMoves(m.ids, moves)
	m.calls += len(moves)
	return len(moves), nil
}

func TestOrderSyncProperties(t *testing.T) {
	dir := t.TempDir()
	st, err := embedded.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	round := 0
	rapid.Check(t, func(t *rapid.T) {
		round++
		ctx := context.Background()
		master := rapid.SampledFrom([]backlog.Side{backlog.Jira, backlog.Linear}).Draw(t, "master")
		n := rapid.IntRange(0, 80).Draw(t, "items")
		prefix := fmt.Sprintf("r%d-", round)
		jira := &memOrder{batch: 50}
		linear := &memOrder{batch: 1}
		// Random backlogs: some items linked, some only on one side.
		for i := range n {
			jid, lid := fmt.Sprintf("%sj%d", prefix, i), fmt.Sprintf("%sl%d", prefix, i)
			switch rapid.IntRange(0, 5).Draw(t, "kind") {
			case 0:
				jira.ids = append(jira.ids, jid)
			case 1:
				linear.ids = append(linear.ids, lid)
			default:
				jira.ids = append(jira.ids, jid)
				linear.ids = append(linear.ids, lid)
				if err := st.SaveLink(ctx, backlog.Link{Jira: backlog.Ref{Side: backlog.Jira, ID: jid}, Linear: backlog.Ref{Side: backlog.Linear, ID: lid}}); err != nil {
					t.Fatal(err)
				}
			}
		}
		jira.ids = rapid.Permutation(jira.ids).Draw(t, "jiraOrder")
		linear.ids = rapid.Permutation(linear.ids).Draw(t, "linearOrder")
		o := &OrderSyncer{Master: master, Jira: jira, Linear: linear, State: st, Log: slog.New(slog.DiscardHandler)}
		mo, mi := jira, linear
		if master == backlog.Linear {
			mo, mi = linear, jira
		}
		twinOf := func(id string) string {
			if master == backlog.Jira {
				return prefix + "l" + id[len(prefix)+1:]
			}
			return prefix + "j" + id[len(prefix)+1:]
		}
		check := func(label string) {
			res, err := o.Sync(ctx)
			if err != nil {
				t.Fatal(err)
			}
			linkedMirror := map[string]bool{}
			var want []string
			for _, id := range mo.ids {
				tw := twinOf(id)
				if slices.Contains(mi.ids, tw) {
					want = append(want, tw)
					linkedMirror[tw] = true
				}
			}
			var got []string
			for _, id := range mi.ids {
				if linkedMirror[id] {
					got = append(got, id)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s: mirror order %v, want %v", label, got, want)
			}
			if res.Calls > res.Moved {
				t.Fatalf("%s: %d calls for %d moved items", label, res.Calls, res.Moved)
			}
			again, err := o.Sync(ctx)
			if err != nil || again.Moved != 0 {
				t.Fatalf("%s: second pass moved %d (%v)", label, again.Moved, err)
			}
		}
		check("initial")
		// The product owner drags a few items in the master tool.
		for k := rapid.IntRange(0, 5).Draw(t, "drags"); k > 0 && len(mo.ids) > 1; k-- {
			from := rapid.IntRange(0, len(mo.ids)-1).Draw(t, "from")
			id := mo.ids[from]
			rest := slices.Delete(slices.Clone(mo.ids), from, from+1)
			to := rapid.IntRange(0, len(rest)).Draw(t, "to")
			mo.ids = slices.Insert(rest, to, id)
		}
		check("after drags")
	})
}

func TestOrderSyncRevertsMirrorReorder(t *testing.T) {
	st, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := t.Context()
	jira := &memOrder{ids: []string{"j1", "j2", "j3"}, batch: 50}
	linear := &memOrder{ids: []string{"l1", "l2", "l3"}, batch: 1}
	for i := 1; i <= 3; i++ {
		st.SaveLink(ctx, backlog.Link{Jira: backlog.Ref{Side: backlog.Jira, ID: fmt.Sprint("j", i)}, Linear: backlog.Ref{Side: backlog.Linear, ID: fmt.Sprint("l", i)}})
	}
	o := &OrderSyncer{Master: backlog.Jira, Jira: jira, Linear: linear, State: st, Log: slog.New(slog.DiscardHandler)}
	if res, err := o.Sync(ctx); err != nil || res.Moved != 0 {
		t.Fatalf("in order already: %+v %v", res, err)
	}
	linear.ids = []string{"l3", "l1", "l2"} // someone drags in the mirror
	res, err := o.Sync(ctx)
	if err != nil || res.Moved != 1 || res.Calls != 1 || !res.Reverted {
		t.Fatalf("res = %+v, %v: want one move, reverted", res, err)
	}
	if !slices.Equal(linear.ids, []string{"l1", "l2", "l3"}) {
		t.Fatalf("linear = %v", linear.ids)
	}
	jira.ids = []string{"j2", "j1", "j3"} // the owner drags in the master
	res, err = o.Sync(ctx)
	if err != nil || res.Moved != 1 || res.Reverted {
		t.Fatalf("res = %+v, %v: want one move, not a revert", res, err)
	}
}
