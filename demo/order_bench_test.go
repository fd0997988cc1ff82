package demo

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/jira"
	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	"github.com/tandem-sync/tandem/connectors/linear"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
	"github.com/tandem-sync/tandem/reconcile"
	"github.com/tandem-sync/tandem/store/embedded"
)

// orderWorld is two 5,000-item backlogs, linked item by item in the same
// order, with an order pass between them and no daemon.
type orderWorld struct {
	jsb    *jirasb.Server
	lsb    *linearsb.Server
	order  *reconcile.OrderSyncer
	master backlog.Side
}

func newOrderWorld(b *testing.B, n int, master backlog.Side) *orderWorld {
	ctx := b.Context()
	w := &orderWorld{jsb: jirasb.New(jirasb.Options{SeedIssues: n}), lsb: linearsb.New(linearsb.Options{SeedIssues: n}), master: master}
	ju, err := w.jsb.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	lu, err := w.lsb.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.jsb.Close(); w.lsb.Close() })
	quiet := slog.New(slog.DiscardHandler)
	jc, err := jira.New(ctx, jira.Config{URL: ju, Email: jirasb.BotEmail, Token: jirasb.BotToken, Project: "TAN", HTTPClient: &http.Client{}})
	if err != nil {
		b.Fatal(err)
	}
	lc, err := linear.New(ctx, linear.Config{URL: lu, APIKey: linearsb.BotKey, Team: "ENG", HTTPClient: &http.Client{}})
	if err != nil {
		b.Fatal(err)
	}
	st, err := embedded.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	js, ls := w.jsb.Issues(), w.lsb.Issues()
	for i := range min(len(js), len(ls)) {
		if err := st.SaveLink(ctx, backlog.Link{Jira: backlog.Ref{Side: backlog.Jira, ID: js[i].ID}, Linear: backlog.Ref{Side: backlog.Linear, ID: ls[i].ID}}); err != nil {
			b.Fatal(err)
		}
	}
	var jo, lo connectors.Orderer = any(jc).(connectors.Orderer), lc
	w.order = &reconcile.OrderSyncer{Master: master, Jira: jo, Linear: lo, State: st, Log: quiet}
	if res, err := w.order.Sync(ctx); err != nil || res.Moved != 0 {
		b.Fatalf("linked in the same order, yet %+v %v", res, err)
	}
	return w
}

// drag moves one random master item to a random place, as a person would.
func (w *orderWorld) drag(b *testing.B, r *rand.Rand) {
	if w.master == backlog.Jira {
		is := w.jsb.Issues()
		from, to := r.IntN(len(is)), r.IntN(len(is))
		if from == to {
			return
		}
		if err := w.jsb.UserRank(Alice, []string{is[from].Key}, is[to].Key, from > to); err != nil {
			b.Fatal(err)
		}
		return
	}
	is := w.lsb.Issues()
	from, to := r.IntN(len(is)), r.IntN(len(is)-1)
	if from == to {
		return
	}
	next := is[to].SortOrder + 1
	if to+1 < len(is) {
		next = is[to+1].SortOrder
	}
	if err := w.lsb.UserMove(Bob, is[from].ID, (is[to].SortOrder+next)/2); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkOrderMirror measures one order pass after 1 and after 100
// random drags in a 5,000-item master backlog: the time of the pass
// (listing both orders, planning, moving) and the write calls it made.
func BenchmarkOrderMirror(b *testing.B) {
	for _, master := range []backlog.Side{backlog.Jira, backlog.Linear} {
		for _, drags := range []int{1, 100} {
			b.Run(fmt.Sprintf("master=%s/items=5000/drags=%d", master, drags), func(b *testing.B) {
				w := newOrderWorld(b, 5000, master)
				r := rand.New(rand.NewPCG(1, uint64(drags)))
				var calls, moved int
				b.ResetTimer()
				for b.Loop() {
					b.StopTimer()
					for range drags {
						w.drag(b, r)
					}
					b.StartTimer()
					res, err := w.order.Sync(context.Background())
					if err != nil {
						b.Fatal(err)
					}
					calls += res.Calls
					moved += res.Moved
				}
				b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
				b.ReportMetric(float64(moved)/float64(b.N), "moved/op")
			})
		}
	}
}
