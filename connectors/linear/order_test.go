package linear

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
	"github.com/tandem-sync/tandem/reconcile"
)

// ---- pure sortOrder arithmetic

func slots(sorts ...float64) []slot {
	out := make([]slot, len(sorts))
	for i, s := range sorts {
		out[i] = slot{ID: string(rune('a' + i)), Sort: s}
	}
	return out
}

func ids(list []slot) string {
	var b []byte
	for _, s := range list {
		b = append(b, s.ID...)
	}
	return string(b)
}

func TestPlace(t *testing.T) {
	cases := []struct {
		name          string
		list          []slot
		id, after, bf string
		order         string      // ids after the move
		writes        []sortWrite // nil: check only the count
		nwrites       int
		respread      bool
	}{
		{name: "to the top", list: slots(1000, 2000, 3000), id: "c", bf: "a", order: "cab", writes: []sortWrite{{"c", 0}}},
		{name: "to the bottom", list: slots(1000, 2000, 3000), id: "a", after: "c", order: "bca", writes: []sortWrite{{"a", 4000}}},
		{name: "between", list: slots(1000, 2000, 3000), id: "c", after: "a", order: "acb", writes: []sortWrite{{"c", 1500}}},
		{name: "before in the middle", list: slots(1000, 2000, 3000), id: "a", bf: "c", order: "bac", writes: []sortWrite{{"a", 2500}}},
		{name: "no anchor: last", list: slots(1, 2, 3), id: "a", order: "bca", writes: []sortWrite{{"a", 1003}}},
		{name: "already there", list: slots(1, 2, 3), id: "b", after: "a", order: "abc", nwrites: 0},
		{name: "already first", list: slots(1, 2, 3), id: "a", bf: "b", order: "abc", nwrites: 0},
		{name: "negative values", list: slots(-5000, -4000), id: "b", bf: "a", order: "ba", writes: []sortWrite{{"b", -6000}}},
		{name: "huge magnitude top", list: slots(1e300, 2e300), id: "b", bf: "a", order: "ba", nwrites: 1},
		{name: "alone", list: slots(7), id: "a", order: "a", nwrites: 0},
		// b and c are equal: no number fits between them; c (the right
		// neighbour) is re-spaced towards d.
		{name: "equal neighbours", list: slots(0, 1, 1, 2), id: "a", after: "b", order: "bacd", nwrites: 2, respread: true},
		{name: "tiny gap", list: slots(0, 1, 1+1e-7, 5), id: "a", after: "b", order: "bacd", nwrites: 2, respread: true},
		// All equal: the window must reach an end, where there is room.
		{name: "all equal", list: slots(3, 3, 3, 3, 3), id: "e", after: "b", order: "abecd", respread: true, nwrites: -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			orig := slices.Clone(c.list)
			out, writes, respread, err := place(c.list, c.id, c.after, c.bf)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.list, orig) {
				t.Fatal("place modified its input")
			}
			if ids(out) != c.order {
				t.Fatalf("order %s, want %s", ids(out), c.order)
			}
			if respread != c.respread {
				t.Fatalf("respread = %v", respread)
			}
			if c.writes != nil && !slices.Equal(writes, c.writes) {
				t.Fatalf("writes %v, want %v", writes, c.writes)
			}
			if c.writes == nil && c.nwrites >= 0 && len(writes) != c.nwrites {
				t.Fatalf("%d writes (%v), want %d", len(writes), writes, c.nwrites)
			}
			checkView(t, out, c.list, writes)
		})
	}
}

// checkView: out is strictly ordered by (sort, id) as Order reads it back,
// and equals the old list with the writes applied.
func checkView(t interface {
	Helper()
	Fatalf(string, ...any)
}, out, old []slot, writes []sortWrite) {
	t.Helper()
	val := map[string]float64{}
	for _, s := range old {
		val[s.ID] = s.Sort
	}
	for _, w := range writes {
		val[w.ID] = w.Sort
	}
	back := make([]slot, 0, len(val))
	for id, v := range val {
		back = append(back, slot{ID: id, Sort: v})
	}
	sortSlots(back)
	if !slices.Equal(back, out) {
		t.Fatalf("read back %v, view %v", back, out)
	}
}

// checkPrefixes: after any prefix of the ordered writes, the issues other
// than the moved one read back in their old relative order.
func checkPrefixes(t interface {
	Helper()
	Fatalf(string, ...any)
}, old []slot, writes []sortWrite, moved string) {
	t.Helper()
	var want []string
	for _, s := range old {
		if s.ID != moved {
			want = append(want, s.ID)
		}
	}
	for k := range writes {
		val := map[string]float64{}
		for _, s := range old {
			val[s.ID] = s.Sort
		}
		for _, w := range writes[:k+1] {
			val[w.ID] = w.Sort
		}
		var back []slot
		for id, v := range val {
			if id != moved {
				back = append(back, slot{ID: id, Sort: v})
			}
		}
		sortSlots(back)
		for i, s := range back {
			if s.ID != want[i] {
				t.Fatalf("after %d of %d writes %v the others read back out of order", k+1, len(writes), writes)
			}
		}
	}
	if len(writes) > 0 && writes[len(writes)-1].ID != moved {
		t.Fatalf("the moved issue is not written last: %v", writes)
	}
}

func TestPlaceErrors(t *testing.T) {
	list := slots(1, 2, 3)
	for name, m := range map[string][3]string{
		"unknown item":   {"z", "a", ""},
		"unknown after":  {"a", "z", ""},
		"unknown before": {"a", "", "z"},
	} {
		if _, _, _, err := place(list, m[0], m[1], m[2]); !errors.Is(err, errAnchor) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, _, err := place(list, "a", "a", ""); err == nil || errors.Is(err, errAnchor) {
		t.Errorf("own anchor: %v", err)
	}
}

func TestRespreadWindow(t *testing.T) {
	cases := []struct {
		name   string
		rest   []slot
		at     int
		lo     int
		values []float64
	}{
		// Inserting between b(1) and c(1): window {c} between b(1) and
		// d(4) spaces c and the new item at 2 and 3.
		{"one neighbour", slots(0, 1, 1, 4), 2, 2, []float64{2, 3}},
		// Between a(0) and b(0) with c(0) right after: the best window of
		// size 1 is {a} (reaches the open start), spaced by sortStep below b.
		{"open start", slots(0, 0, 0), 1, 0, []float64{-2000, -1000}},
		{"open end", slots(5, 5), 2, 1, []float64{1005, 2005}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lo, vals := respreadWindow(c.rest, c.at)
			if lo != c.lo || !slices.Equal(vals, c.values) {
				t.Fatalf("window at %d = %v, want %d %v", lo, vals, c.lo, c.values)
			}
		})
	}
}

func TestSpreadGap(t *testing.T) {
	rest := slots(0, 1e-5, 2e-5, 10)
	if _, ok := spreadGap(rest, 1, 2); ok {
		t.Error("a gap of 1e-5 split three ways is room")
	}
	if g, ok := spreadGap(rest, 2, 3); !ok || g != (10-1e-5)/3 {
		t.Errorf("gap %v %v", g, ok)
	}
	if g, ok := spreadGap(slots(1e20, 1e20), 0, 1); !ok || g < 1e20*1e-12 {
		t.Errorf("open start at 1e20: %v %v", g, ok)
	}
	// 1e15 apart at 1e18 is room in absolute terms but not at that
	// magnitude (float64 has ~16 digits)... still representable: allowed.
	if _, ok := spreadGap(slots(1e18, 1e18+4096, 2e18), 1, 1); !ok {
		t.Log("tight window at 1e18 refused (fine: a wider one is taken)")
	}
}

// TestPlaceProperty: for random ordered lists (duplicates and tiny gaps
// included) and random moves, the view after each move reads back (sorted
// by the new sortOrders, ties by id) as reconcile.ApplyMoves says, and each
// move costs one write (none when already in place) unless it re-spread.
func TestPlaceProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 30).Draw(t, "n")
		base := rapid.SampledFrom([]float64{0, 1, -1000, 1e6, 1e12}).Draw(t, "base")
		list := make([]slot, n)
		v := base
		for i := range list {
			switch rapid.IntRange(0, 4).Draw(t, "gap") {
			case 0: // duplicate
			case 1:
				v += 1e-9 // tiny
			case 2:
				v = math.Nextafter(v, math.Inf(1)) // one ulp
			case 3:
				v += 1
			default:
				v += 1000
			}
			list[i] = slot{ID: fmt.Sprintf("i%02d", i), Sort: v}
		}
		sortSlots(list)
		order := make([]string, n)
		for i, s := range list {
			order[i] = s.ID
		}
		moves := rapid.IntRange(1, 20).Draw(t, "moves")
		for range moves {
			id := order[rapid.IntRange(0, n-1).Draw(t, "id")]
			var m backlog.Move
			m.IDs = []string{id}
			anchor := order[rapid.IntRange(0, n-1).Draw(t, "anchor")]
			if anchor != id {
				switch rapid.IntRange(0, 2).Draw(t, "kind") {
				case 0:
					m.After = anchor
				case 1:
					m.Before = anchor
				}
			}
			out, writes, respread, err := place(list, id, m.After, m.Before)
			if err != nil {
				t.Fatal(err)
			}
			want := reconcile.ApplyMoves(order, []backlog.Move{m})
			got := make([]string, len(out))
			for i, s := range out {
				got[i] = s.ID
			}
			if !slices.Equal(got, want) {
				t.Fatalf("move %+v: %v, want %v", m, got, want)
			}
			checkView(t, out, list, writes)
			checkPrefixes(t, list, writeOrder(list, writes, id), id)
			switch {
			case !respread && len(writes) > 1:
				t.Fatalf("%d writes without a re-spread", len(writes))
			case len(writes) == 0 && !slices.Equal(want, order):
				t.Fatal("no write but the order changed")
			case respread && (len(writes) < 2 || !slices.ContainsFunc(writes, func(w sortWrite) bool { return w.ID == id })):
				t.Fatalf("re-spread writes %v", writes)
			}
			list, order = out, want
		}
	})
}

// ---- against the sandbox

func issueOrder(s *sandbox.Server) []string {
	var out []string
	for _, v := range s.Issues() {
		if !v.Archived && !v.Trashed {
			out = append(out, v.ID)
		}
	}
	return out
}

func TestOrderMatchesSandbox(t *testing.T) {
	s, c := setup(t, sandbox.Options{SeedIssues: 500})
	got, err := c.Order(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := issueOrder(s); len(got) != 500 || !slices.Equal(got, want) {
		t.Fatalf("Order gave %d ids, differing from Issues()", len(got))
	}
	if r := s.Requests(sandbox.BotEmail); r.Reads != 2 || r.Writes != 0 {
		t.Fatalf("500 issues read in %d queries, %d writes", r.Reads, r.Writes)
	}
	// Archived issues are out of the order.
	if err := s.UserUpdate(sandbox.AliceEmail, got[3], map[string]any{"sortOrder": -1.0}); err != nil {
		t.Fatal(err)
	}
	got, _ = c.Order(t.Context())
	if got[0] != issueOrder(s)[0] {
		t.Fatal("a human move is not seen")
	}
	if c.MaxBatch() != 1 {
		t.Fatal("MaxBatch")
	}
}

func TestMoveToTopCostsOneUpdate(t *testing.T) {
	s, c := setup(t, sandbox.Options{SeedIssues: 500})
	before := issueOrder(s)
	last := before[len(before)-1]
	calls, err := c.Move(t.Context(), []backlog.Move{{IDs: []string{last}, Before: before[0]}})
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Requests(sandbox.BotEmail).ByOperation["issueUpdate"]; calls != 1 || n != 1 {
		t.Fatalf("calls %d, issueUpdate %d", calls, n)
	}
	if got, want := issueOrder(s), reconcile.ApplyMoves(before, []backlog.Move{{IDs: []string{last}, Before: before[0]}}); !slices.Equal(got, want) {
		t.Fatal("order after the move is wrong")
	}
	// Moving it there again is free.
	s.ResetCounts()
	if calls, err := c.Move(t.Context(), []backlog.Move{{IDs: []string{last}, Before: before[0]}}); err != nil || calls != 0 ||
		s.Requests(sandbox.BotEmail).ByOperation["issueUpdate"] != 0 {
		t.Fatalf("no-op move: %d %v", calls, err)
	}
}

// TestRandomMoves: 100 random moves in one batch (the view is read once)
// give ApplyMoves' order, at one issueUpdate per move plus re-spreads.
func TestRandomMoves(t *testing.T) {
	s, c := setup(t, sandbox.Options{SeedIssues: 500})
	order := issueOrder(s)
	rng := rand.New(rand.NewPCG(7, 11))
	var moves []backlog.Move
	for range 100 {
		id := order[rng.IntN(len(order))]
		anchor := order[rng.IntN(len(order))]
		for anchor == id {
			anchor = order[rng.IntN(len(order))]
		}
		m := backlog.Move{IDs: []string{id}, After: anchor}
		// Half of the moves pile up right after the same issue, which
		// halves one gap again and again and forces re-spreads.
		if rng.IntN(2) == 0 {
			m.After = order[0]
			if id == order[0] {
				continue
			}
		}
		moves = append(moves, m)
	}
	want := reconcile.ApplyMoves(order, moves)
	calls, err := c.Move(t.Context(), moves)
	if err != nil {
		t.Fatal(err)
	}
	if got := issueOrder(s); !slices.Equal(got, want) {
		t.Fatal("order after the moves differs from ApplyMoves")
	}
	r := s.Requests(sandbox.BotEmail)
	if r.Writes != calls {
		t.Fatalf("calls %d, write requests %d", calls, r.Writes)
	}
	if r.Reads != 2 {
		t.Fatalf("the order was read with %d queries", r.Reads)
	}
	n := r.ByOperation["issueUpdate"]
	t.Logf("%d moves: %d issueUpdates in %d requests", len(moves), n, calls)
	if n < len(moves)-5 || n > len(moves)+40 || calls != (n+moveChunk-1)/moveChunk {
		t.Fatalf("%d issueUpdates in %d calls for %d moves", n, calls, len(moves))
	}
	// A fresh Order agrees.
	if got, _ := c.Order(t.Context()); !slices.Equal(got, want) {
		t.Fatal("Order disagrees")
	}
}

// TestRespreadEqualSortOrders: issues with equal sortOrders cannot be split;
// a move between two of them re-spreads the fewest neighbours.
func TestRespreadEqualSortOrders(t *testing.T) {
	s, c := setup(t, sandbox.Options{})
	order := issueOrder(s)
	// Give issues 3..7 the same sortOrder (a human's import, say).
	eq := s.Issues()[3].SortOrder
	for _, id := range order[3:8] {
		if err := s.UserMove(sandbox.AliceEmail, id, eq); err != nil {
			t.Fatal(err)
		}
	}
	order, _ = c.Order(t.Context()) // ties by id
	s.ResetCounts()
	hist := map[string]int{}
	for _, id := range order {
		hist[id] = historyOf(s, id)
	}
	m := backlog.Move{IDs: []string{order[0]}, After: order[5]}
	want := reconcile.ApplyMoves(order, []backlog.Move{m})
	calls, err := c.Move(t.Context(), []backlog.Move{m})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := c.Order(t.Context())
	if !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	// Between order[5] and order[6] (equal): the window is order[6:8]
	// (the rest of the run), bounded by order[8]; 1 + 2 writes.
	if n := s.Requests(sandbox.BotEmail).ByOperation["issueUpdate"]; calls != 1 || n != 3 {
		t.Fatalf("calls %d, issueUpdate %d", calls, n)
	}
	// Only the moved issue and order[6:8] were written.
	for k, id := range order {
		touched := historyOf(s, id) != hist[id]
		if touched != (k == 0 || k == 6 || k == 7) {
			t.Fatalf("issue %d touched: %v", k, touched)
		}
	}
}

func historyOf(s *sandbox.Server, id string) int { v, _ := s.Issue(id); return v.History }

func TestMoveErrors(t *testing.T) {
	s, c := setup(t, sandbox.Options{})
	order := issueOrder(s)
	// More than one id per move: refused before any call.
	calls, err := c.Move(t.Context(), []backlog.Move{{IDs: []string{order[0]}, After: order[3]}, {IDs: []string{order[1], order[2]}}})
	if !connectors.IsPermanent(err) || calls != 0 || s.Requests(sandbox.BotEmail).Reads != 0 {
		t.Fatalf("batch of two: %d %v", calls, err)
	}
	if calls, err := c.Move(t.Context(), nil); calls != 0 || err != nil {
		t.Fatalf("no moves: %d %v", calls, err)
	}
	// An anchor not in the order: ErrNotFound, after the moves before it.
	calls, err = c.Move(t.Context(), []backlog.Move{{IDs: []string{order[0]}, After: order[3]}, {IDs: []string{order[1]}, After: "nope"}})
	if !errors.Is(err, connectors.ErrNotFound) || calls != 1 {
		t.Fatalf("unknown anchor: %d %v", calls, err)
	}
	// A failing write is reported with the calls made.
	s.Fail(1, 500)
	calls, err = c.Move(t.Context(), []backlog.Move{{IDs: []string{order[0]}, Before: order[1]}})
	if err == nil {
		t.Fatalf("failure not reported: %d", calls)
	}
}

// TestOrderWebhook: a sortOrder change reaches ParseWebhook as a delivery
// with Order set; other edits do not set it.
func TestOrderWebhook(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]byte
	var heads []http.Header
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies, heads = append(bodies, b), append(heads, r.Header.Clone())
		mu.Unlock()
	}))
	defer hs.Close()
	s, c := setup(t, sandbox.Options{})
	if err := c.EnsureWebhook(t.Context(), hs.URL, testSecret); err != nil {
		t.Fatal(err)
	}
	order := issueOrder(s)
	if _, err := c.Move(t.Context(), []backlog.Move{{IDs: []string{order[2]}, Before: order[0]}}); err != nil {
		t.Fatal(err)
	}
	if err := s.UserUpdate(sandbox.AliceEmail, order[4], map[string]any{"title": "Renamed"}); err != nil {
		t.Fatal(err)
	}
	if err := s.UserMove(sandbox.AliceEmail, order[3], -5); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(bodies)
		mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	flags := map[string]bool{}
	for i, b := range bodies {
		d, err := c.ParseWebhook(heads[i], b, time.Now())
		if err != nil {
			t.Fatalf("delivery: %+v %v", d, err)
		}
		if d.Ignored != "" {
			flags["ignored"] = true
			continue
		}
		if len(d.Refs) != 1 {
			t.Fatalf("delivery: %+v", d)
		}
		flags[d.Refs[0].ID] = d.Order
	}
	// A person's drag is a reorder; an edit is not; the echo of our own
	// Move is acknowledged and ignored (no pass, no order pass).
	if _, seen := flags[order[2]]; seen || !flags["ignored"] || !flags[order[3]] || flags[order[4]] {
		t.Fatalf("Order flags %v", flags)
	}
	// Unit: updatedFrom of any shape is read leniently.
	now := time.UnixMilli(1_780_000_000_000)
	for body, want := range map[string]bool{
		`{"action":"update","type":"Issue","data":{"id":"i","teamId":"team"},"updatedFrom":{"sortOrder":1.5,"updatedAt":"x"}}`: true,
		`{"action":"update","type":"Issue","data":{"id":"i","teamId":"team"},"updatedFrom":{"title":"x"}}`:                     false,
		`{"action":"update","type":"Issue","data":{"id":"i","teamId":"team"},"updatedFrom":"sortOrder"}`:                       false,
		`{"action":"update","type":"Issue","data":{"id":"i","teamId":"team"},"updatedFrom":null}`:                              false,
	} {
		d, err := parseWebhook([]byte(testSecret), "team", "ENG", hdr(sign(testSecret, []byte(body))), []byte(body), now)
		if err != nil || d.Order != want {
			t.Errorf("%s: %+v %v", body, d, err)
		}
	}
}

// TestPlanOrderRoundTrip: the reconciler's plan for a shuffled master
// order, applied by Move, leaves the linked issues in the master's order
// and the unlinked ones where they were relative to each other, at one
// issueUpdate per planned move (plus re-spreads).
func TestPlanOrderRoundTrip(t *testing.T) {
	s, c := setup(t, sandbox.Options{SeedIssues: 200})
	mirror, err := c.Order(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 5))
	linked := map[string]bool{}
	var master []string
	for _, id := range mirror {
		if rng.IntN(4) > 0 { // three in four issues are linked
			master = append(master, id)
			linked[id] = true
		}
	}
	// The master moved a third of them around.
	for range len(master) / 3 {
		i, j := rng.IntN(len(master)), rng.IntN(len(master))
		master[i], master[j] = master[j], master[i]
	}
	moves := reconcile.PlanOrder(master, mirror, c.MaxBatch())
	calls, err := c.Move(t.Context(), moves)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := c.Order(t.Context())
	var gotLinked, gotUnlinked, wantUnlinked []string
	for _, id := range got {
		if linked[id] {
			gotLinked = append(gotLinked, id)
		} else {
			gotUnlinked = append(gotUnlinked, id)
		}
	}
	for _, id := range mirror {
		if !linked[id] {
			wantUnlinked = append(wantUnlinked, id)
		}
	}
	if !slices.Equal(gotLinked, master) || !slices.Equal(gotUnlinked, wantUnlinked) {
		t.Fatal("order after the plan differs from the master")
	}
	if n := s.Requests(sandbox.BotEmail).ByOperation["issueUpdate"]; n < len(moves) || n > len(moves)+10 || calls != (n+moveChunk-1)/moveChunk {
		t.Fatalf("%d moves, %d calls, %d issueUpdates", len(moves), calls, n)
	}
	t.Logf("%d linked issues, %d moves, %d issueUpdates", len(master), len(moves), calls)
	// A second plan is empty.
	if again := reconcile.PlanOrder(master, got, 1); len(again) != 0 {
		t.Fatalf("second plan: %d moves", len(again))
	}
}

// TestMoveProperty: for random backlogs with ties and random moves,
// Move against the sandbox gives reconcile.ApplyMoves' order and makes as
// many issueUpdates as it reports.
func TestMoveProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		s, c := setup(t, sandbox.Options{})
		order := issueOrder(s)
		for _, id := range order {
			v := float64(rapid.IntRange(0, 4).Draw(rt, "sort")) // few values: many ties
			if err := s.UserMove(sandbox.AliceEmail, id, v); err != nil {
				rt.Fatal(err)
			}
		}
		order, err := c.Order(t.Context())
		if err != nil {
			rt.Fatal(err)
		}
		var moves []backlog.Move
		for range rapid.IntRange(1, 8).Draw(rt, "moves") {
			id := rapid.SampledFrom(order).Draw(rt, "id")
			anchor := rapid.SampledFrom(order).Draw(rt, "anchor")
			m := backlog.Move{IDs: []string{id}}
			if anchor != id {
				if rapid.Bool().Draw(rt, "after") {
					m.After = anchor
				} else {
					m.Before = anchor
				}
			}
			moves = append(moves, m)
		}
		s.ResetCounts()
		calls, err := c.Move(t.Context(), moves)
		if err != nil {
			rt.Fatal(err)
		}
		got, _ := c.Order(t.Context())
		if want := reconcile.ApplyMoves(order, moves); !slices.Equal(got, want) {
			rt.Fatalf("order %v, want %v", got, want)
		}
		if n := s.Requests(sandbox.BotEmail).Writes; n != calls {
			rt.Fatalf("calls %d, write requests %d", calls, n)
		}
	})
}

// TestOrderListAgreesWithPlace: Move's linked list places every move as
// place does over the whole slice (same writes, same re-spreads, same
// errors, same order after), on crowded lists too.
func TestOrderListAgreesWithPlace(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 12).Draw(t, "n")
		list := make([]slot, n)
		for i := range list {
			v := float64(rapid.IntRange(-3, 3).Draw(t, "sort")) // crowded: equal values force re-spreads
			if rapid.Bool().Draw(t, "spread") {
				v *= 1000
			}
			list[i] = slot{ID: fmt.Sprintf("i%02d", i), Sort: v}
		}
		sortSlots(list)
		o := newOrderList(list)
		ids := []string{"", "missing"}
		for _, s := range list {
			ids = append(ids, s.ID)
		}
		for range rapid.IntRange(1, 30).Draw(t, "moves") {
			id := rapid.SampledFrom(ids[1:]).Draw(t, "id")
			after, before := rapid.SampledFrom(ids).Draw(t, "after"), ""
			if after == "" {
				before = rapid.SampledFrom(ids).Draw(t, "before")
			}
			out, want, wantRespread, wantErr := place(list, id, after, before)
			got, respread, err := o.place(id, after, before)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("move %s after %q before %q: error %v, place's %v", id, after, before, err, wantErr)
			}
			if err != nil {
				continue
			}
			if !slices.Equal(got, want) || respread != wantRespread {
				t.Fatalf("move %s after %q before %q: writes %v (re-spread %v), place's %v (%v)", id, after, before, got, respread, want, wantRespread)
			}
			if !slices.Equal(o.slots(), out) {
				t.Fatalf("move %s after %q before %q: list %v, place's %v", id, after, before, o.slots(), out)
			}
			list = out
		}
	})
}
