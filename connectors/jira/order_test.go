package jira

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
	"github.com/tandem-sync/tandem/reconcile"
)

const rankOp = "PUT /rest/agile/1.0/issue/rank"

// sandboxOrder is the sandbox's own rank order, as ids.
func sandboxOrder(sb *sandbox.Server) []string {
	var ids []string
	for _, v := range sb.Issues() {
		ids = append(ids, v.ID)
	}
	return ids
}

func TestOrderMatchesSandbox(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 500})
	// Shuffle a little so that rank order differs from creation order.
	for i, k := range []string{"TAN-500", "TAN-250", "TAN-17", "TAN-333"} {
		if err := e.sb.UserRank("alice@example.com", []string{k}, "TAN-"+[]string{"1", "100", "499", "2"}[i], i%2 == 0); err != nil {
			t.Fatal(err)
		}
	}
	want := sandboxOrder(e.sb)
	for _, page := range []int{0, 120} {
		e.c.orderPage = page
		e.sb.ResetCounts()
		got, err := e.c.Order(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("page %d: Order differs from the sandbox's rank order (%d vs %d ids; first %v vs %v)", page, len(got), len(want), got[:3], want[:3])
		}
		pages := 1
		if page > 0 {
			pages = (500 + page - 1) / page
		}
		if n := e.sb.Requests(sandbox.BotEmail).ByOperation["GET /rest/api/2/search/jql"]; n != pages {
			t.Errorf("page %d: %d searches, want %d", page, n, pages)
		}
	}
}

// plan returns the moves that bring the sandbox order to master, applied
// to the current order as reconcile would.
func planFor(t *testing.T, e *env, master []string) (moves []backlog.Move, want []string) {
	t.Helper()
	cur, err := e.c.Order(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	moves = reconcile.PlanOrder(master, cur, e.c.MaxBatch())
	return moves, reconcile.ApplyMoves(cur, moves)
}

func checkMoved(t *testing.T, e *env, want []string) {
	t.Helper()
	got, err := e.c.Order(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("order after the moves differs from ApplyMoves:\n got %v\nwant %v", got, want)
	}
	if !slices.Equal(sandboxOrder(e.sb), want) {
		t.Fatal("sandbox order differs from Order")
	}
}

func TestMoveToTopOneCall(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 200})
	cur := sandboxOrder(e.sb)
	master := append([]string{cur[150]}, slices.Delete(slices.Clone(cur), 150, 151)...)
	moves, want := planFor(t, e, master)
	if len(moves) != 1 || moves[0].Before != cur[0] {
		t.Fatalf("plan %+v", moves)
	}
	e.sb.ResetCounts()
	calls, err := e.c.Move(ctx(t), moves)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.sb.Requests(sandbox.BotEmail).ByOperation[rankOp]; calls != 1 || n != 1 {
		t.Errorf("calls %d, sandbox saw %d rank requests; want 1", calls, n)
	}
	checkMoved(t, e, want)
	if want[0] != cur[150] {
		t.Errorf("first is %s, want %s", want[0], cur[150])
	}
}

func TestMoveRunSplitInBatches(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 300})
	cur := sandboxOrder(e.sb)
	// The last 120 issues go to the top, in reverse order.
	tail := slices.Clone(cur[180:])
	slices.Reverse(tail)
	master := append(tail, cur[:180]...)
	moves, want := planFor(t, e, master)
	e.sb.ResetCounts()
	calls, err := e.c.Move(ctx(t), moves)
	if err != nil {
		t.Fatal(err)
	}
	n := e.sb.Requests(sandbox.BotEmail).ByOperation[rankOp]
	// 119 of the 120 move (one stays as the LIS anchor): 50 + 50 + 19.
	if len(moves) != 3 || calls != 3 || n != 3 {
		t.Errorf("%d moves, %d calls, sandbox saw %d rank requests; want 3", len(moves), calls, n)
	}
	checkMoved(t, e, want)
	if !slices.Equal(want[:120], tail) {
		t.Error("the moved run is not on top in master order")
	}
}

func TestMovePartialFailureRetriesFailedOnly(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 60})
	cur := sandboxOrder(e.sb)
	// One run of 10 issues after cur[0]; issues 2, 3 and 7 of the run fail
	// once, issue 7 twice.
	run := slices.Clone(cur[40:50])
	e.sb.FailRank(1, 503, run[2], run[3])
	e.sb.FailRank(2, 503, run[7])
	moves := []backlog.Move{{IDs: run, After: cur[0]}}
	want := reconcile.ApplyMoves(cur, moves)
	e.sb.ResetCounts()
	calls, err := e.c.Move(ctx(t), moves)
	if err != nil {
		t.Fatal(err)
	}
	// Round 1: the whole run; round 2: [2 3] and [7]; round 3: [7].
	if n := e.sb.Requests(sandbox.BotEmail).ByOperation[rankOp]; calls != 4 || n != 4 {
		t.Errorf("calls %d, sandbox saw %d; want 4", calls, n)
	}
	checkMoved(t, e, want)
	// Only the failed issues were ranked again: the others have one rank
	// changelog entry, the retried ones one too (failures record nothing).
	for _, id := range run {
		if v, _ := e.sb.Issue(id); v.Changelog != 1 {
			t.Errorf("issue %s has %d changelog entries, want 1", id, v.Changelog)
		}
	}
}

func TestMovePartialFailureGivesUp(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 20})
	cur := sandboxOrder(e.sb)
	e.sb.FailRank(5, 503, cur[12])
	moves := []backlog.Move{{IDs: []string{cur[10], cur[12], cur[14]}, Before: cur[1]}}
	calls, err := e.c.Move(ctx(t), moves)
	if err == nil || connectors.IsPermanent(err) || !strings.Contains(err.Error(), cur[12]) || strings.Contains(err.Error(), cur[10]) {
		t.Fatalf("err %v", err)
	}
	if calls != rankAttempts {
		t.Errorf("calls %d, want %d", calls, rankAttempts)
	}
	got := sandboxOrder(e.sb)
	if got[1] != cur[10] || got[2] != cur[14] || got[3] != cur[1] {
		t.Errorf("placed issues not before the anchor: %v", got[:4])
	}
	// A lasting failure (4xx) is not retried.
	e.sb.FailRank(1, 400, cur[5])
	calls, err = e.c.Move(ctx(t), []backlog.Move{{IDs: []string{cur[5]}, After: cur[18]}})
	if !connectors.IsPermanent(err) || calls != 1 {
		t.Errorf("lasting failure: calls %d, err %v", calls, err)
	}
}

func TestMoveChecksAndErrors(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 60})
	cur := sandboxOrder(e.sb)
	e.sb.ResetCounts()
	for name, m := range map[string]backlog.Move{
		"51 issues":    {IDs: cur[:51], After: cur[59]},
		"listed twice": {IDs: []string{cur[1], cur[1]}, After: cur[0]},
		"own anchor":   {IDs: []string{cur[1], cur[2]}, After: cur[2]},
	} {
		// A valid move first: nothing is sent when any move is bad.
		calls, err := e.c.Move(ctx(t), []backlog.Move{{IDs: cur[3:4], After: cur[5]}, m})
		if !connectors.IsPermanent(err) || calls != 0 {
			t.Errorf("%s: calls %d, err %v", name, calls, err)
		}
	}
	if n := e.sb.Requests(sandbox.BotEmail).ByOperation[rankOp]; n != 0 {
		t.Errorf("%d rank requests sent for bad moves", n)
	}
	// Empty moves cost nothing.
	if calls, err := e.c.Move(ctx(t), []backlog.Move{{}, {IDs: nil, After: cur[1]}}); calls != 0 || err != nil {
		t.Errorf("empty moves: %d, %v", calls, err)
	}
	// 429 is a RateLimitError, and the call counts.
	e.sb.RateLimit(1, 3*time.Second)
	calls, err := e.c.Move(ctx(t), []backlog.Move{{IDs: cur[3:4], After: cur[5]}})
	var rl *connectors.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second || calls != 1 {
		t.Errorf("rate limit: calls %d, err %v", calls, err)
	}
	// A missing anchor is a permanent error (Jira answers 400).
	if _, err := e.c.Move(ctx(t), []backlog.Move{{IDs: cur[3:4], After: "99999"}}); !connectors.IsPermanent(err) {
		t.Errorf("missing anchor: %v", err)
	}
	// A vanished issue is reported as not found.
	if err := e.sb.UserDelete("alice@example.com", cur[7]); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Move(ctx(t), []backlog.Move{{IDs: []string{cur[7]}, After: cur[1]}}); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("vanished issue: %v", err)
	}
}

func TestMoveWithoutAnchorGoesLast(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 10})
	cur := sandboxOrder(e.sb)
	moves := []backlog.Move{{IDs: []string{cur[9], cur[0], cur[4]}}}
	want := reconcile.ApplyMoves(cur, moves)
	calls, err := e.c.Move(ctx(t), moves)
	if err != nil || calls != 2 {
		t.Fatalf("calls %d, err %v", calls, err)
	}
	checkMoved(t, e, want)
	// Every issue in one move: they end up in the move's order.
	all := slices.Clone(want)
	slices.Reverse(all)
	if _, err := e.c.Move(ctx(t), []backlog.Move{{IDs: all}}); err != nil {
		t.Fatal(err)
	}
	checkMoved(t, e, all)
}

// TestMovePlansRoundTrip: for random target orders, PlanOrder's moves
// applied through Move leave exactly the order ApplyMoves predicts, in one
// call per move.
func TestMovePlansRoundTrip(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 80})
	rapid.Check(t, func(rt *rapid.T) {
		cur, err := e.c.Order(ctx(t))
		if err != nil {
			rt.Fatal(err)
		}
		// master: a random subset of the issues (the linked ones) in a
		// random order, partly kept from the current order.
		var master []string
		for _, id := range cur {
			if rapid.IntRange(0, 9).Draw(rt, "link") > 0 {
				master = append(master, id)
			}
		}
		for range rapid.IntRange(0, 30).Draw(rt, "swaps") {
			if len(master) < 2 {
				break
			}
			i := rapid.IntRange(0, len(master)-1).Draw(rt, "i")
			j := rapid.IntRange(0, len(master)-1).Draw(rt, "j")
			master[i], master[j] = master[j], master[i]
		}
		batch := rapid.SampledFrom([]int{1, 3, rankBatch}).Draw(rt, "batch")
		moves := reconcile.PlanOrder(master, cur, batch)
		want := reconcile.ApplyMoves(cur, moves)
		calls, err := e.c.Move(ctx(t), moves)
		if err != nil {
			rt.Fatal(err)
		}
		if calls != len(moves) {
			rt.Fatalf("%d calls for %d moves", calls, len(moves))
		}
		got, err := e.c.Order(ctx(t))
		if err != nil {
			rt.Fatal(err)
		}
		if !slices.Equal(got, want) {
			rt.Fatalf("order differs from ApplyMoves")
		}
		// The linked issues now follow master.
		var linked []string
		in := map[string]bool{}
		for _, id := range master {
			in[id] = true
		}
		for _, id := range got {
			if in[id] {
				linked = append(linked, id)
			}
		}
		if !slices.Equal(linked, master) {
			rt.Fatalf("linked order %v, want %v", linked, master)
		}
	})
}

func TestRerankCalls(t *testing.T) {
	ids := []string{"a", "b", "c", "d", "e"}
	for _, tc := range []struct {
		name          string
		placed        string
		after, before string
		want          []rankCall
	}{
		{"middle runs", "ace", "X", "", []rankCall{{IDs: []string{"b"}, After: "a"}, {IDs: []string{"d"}, After: "c"}}},
		{"first after anchor", "cde", "X", "", []rankCall{{IDs: []string{"a", "b"}, After: "X"}}},
		{"first before placed", "cde", "", "Y", []rankCall{{IDs: []string{"a", "b"}, Before: "c"}}},
		{"all before anchor", "", "", "Y", []rankCall{{IDs: ids, Before: "Y"}}},
		{"tail", "ab", "", "Y", []rankCall{{IDs: []string{"c", "d", "e"}, After: "b"}}},
		{"none", "abcde", "X", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			placed := map[string]bool{}
			for _, r := range tc.placed {
				placed[string(r)] = true
			}
			got := rerankCalls(ids, placed, tc.after, tc.before)
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v", got)
			}
			for i := range got {
				if !slices.Equal(got[i].IDs, tc.want[i].IDs) || got[i].After != tc.want[i].After || got[i].Before != tc.want[i].Before {
					t.Errorf("call %d: %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestRerankCallsProperty: after a partial rank (the placed issues form
// the move's run, in order, at the anchor), applying the re-rank calls
// leaves exactly the order the whole move asked for.
func TestRerankCallsProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(2, 30).Draw(rt, "n")
		cur := make([]string, n)
		for i := range cur {
			cur[i] = fmt.Sprint("i", i)
		}
		cur = rapid.Permutation(cur).Draw(rt, "cur")
		k := rapid.IntRange(1, n-1).Draw(rt, "k")
		ids := cur[:k]
		ids = rapid.Permutation(slices.Clone(ids)).Draw(rt, "ids")
		anchor := rapid.SampledFrom(cur[k:]).Draw(rt, "anchor")
		m := backlog.Move{IDs: ids}
		if rapid.Bool().Draw(rt, "before") {
			m.Before = anchor
		} else {
			m.After = anchor
		}
		placed := map[string]bool{}
		var run []string
		for _, id := range ids {
			if rapid.Bool().Draw(rt, "placed "+id) {
				placed[id] = true
				run = append(run, id)
			}
		}
		got := reconcile.ApplyMoves(cur, []backlog.Move{{IDs: run, After: m.After, Before: m.Before}})
		for _, rc := range rerankCalls(ids, placed, m.After, m.Before) {
			if len(rc.IDs) == 0 || (rc.After == "") == (rc.Before == "") || slices.Contains(rc.IDs, rc.After+rc.Before) {
				rt.Fatalf("bad call %+v", rc)
			}
			for _, id := range rc.IDs {
				if placed[id] {
					rt.Fatalf("call %+v re-ranks placed %s", rc, id)
				}
			}
			got = reconcile.ApplyMoves(got, []backlog.Move{{IDs: rc.IDs, After: rc.After, Before: rc.Before}})
		}
		if want := reconcile.ApplyMoves(cur, []backlog.Move{m}); !slices.Equal(got, want) {
			rt.Fatalf("got %v, want %v", got, want)
		}
	})
}

// TestMoveWithFaultsProperty: with random transient rank failures (at most
// two per issue), planned moves still leave the order ApplyMoves
// predicts.
func TestMoveWithFaultsProperty(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 60})
	rapid.Check(t, func(rt *rapid.T) {
		cur, err := e.c.Order(ctx(t))
		if err != nil {
			rt.Fatal(err)
		}
		master := rapid.Permutation(cur).Draw(rt, "master")
		moves := reconcile.PlanOrder(master, cur, rapid.SampledFrom([]int{5, rankBatch}).Draw(rt, "batch"))
		var failing []string
		for _, id := range cur {
			if rapid.IntRange(0, 9).Draw(rt, "fail "+id) == 0 {
				failing = append(failing, id)
			}
		}
		e.sb.FailRank(rapid.IntRange(1, 2).Draw(rt, "times"), 503, failing...)
		defer e.sb.FailRank(0, 0, failing...)
		calls, err := e.c.Move(ctx(t), moves)
		if err != nil {
			rt.Fatal(err)
		}
		if calls < len(moves) {
			rt.Fatalf("%d calls for %d moves", calls, len(moves))
		}
		got, err := e.c.Order(ctx(t))
		if err != nil {
			rt.Fatal(err)
		}
		if !slices.Equal(got, master) {
			rt.Fatalf("order differs from master")
		}
	})
}
