package linear

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

var _ connectors.Orderer = (*Client)(nil)

// Linear keeps the manual order as a Float sortOrder on each issue; lower
// comes first. Linear has no "move before/after" call: the client picks a
// number strictly between the new neighbours and writes it with
// issueUpdate, one issue per call (MaxBatch 1). When two neighbours are too
// close to split, a few issues around the insertion point are re-spaced
// evenly, one issueUpdate each.

const (
	// orderPage is how many issues one listing page holds: Linear's
	// largest page (the official pagination page documents only the
	// default of 50; guides and clients agree on a maximum of 250).
	orderPage = 250
	// sortStep is the distance from the end neighbour when an issue goes
	// first or last, and the spacing of a re-spread that reaches an end.
	sortStep = 1000.0
	// minGap is the smallest gap between neighbours the midpoint rule
	// splits; below it the neighbourhood is re-spread.
	minGap = 1e-6
	// roomGap is the spacing a re-spread must reach: enough for several
	// later midpoints before the next re-spread.
	roomGap = 64 * minGap
)

// slot is one issue of the local view of the manual order.
type slot struct {
	ID   string
	Sort float64
}

// sortWrite is one sortOrder to write.
type sortWrite struct {
	ID   string
	Sort float64
}

// sortSlots orders slots as Order reports them: ascending sortOrder, ties
// by id (Linear leaves the order of equal sortOrders unspecified; the id
// makes ours deterministic).
func sortSlots(s []slot) {
	slices.SortFunc(s, func(a, b slot) int {
		if c := cmp.Compare(a.Sort, b.Sort); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// errAnchor says a move names an item (or anchor) the list does not hold.
var errAnchor = errors.New("not in the manual order")

// place computes the sortOrder writes that put id right after the item
// after, or right before before when after is "" (both "": last), in list
// (ordered as sortSlots orders), and returns list with the move applied.
// It writes one sortOrder in the common case, none when id already sits
// there, and re-spreads the smallest window of neighbours that gives room
// when the gap is too small to split (respread is then true and writes
// holds the window's items too). list is not modified.
func place(list []slot, id, after, before string) (out []slot, writes []sortWrite, respread bool, err error) {
	from := slices.IndexFunc(list, func(s slot) bool { return s.ID == id })
	if from < 0 {
		return nil, nil, false, fmt.Errorf("issue %s: %w", id, errAnchor)
	}
	if id == after || id == before {
		return nil, nil, false, fmt.Errorf("issue %s is its own anchor", id)
	}
	rest := slices.Delete(slices.Clone(list), from, from+1)
	at := len(rest)
	switch {
	case after != "":
		i := slices.IndexFunc(rest, func(s slot) bool { return s.ID == after })
		if i < 0 {
			return nil, nil, false, fmt.Errorf("anchor %s: %w", after, errAnchor)
		}
		at = i + 1
	case before != "":
		i := slices.IndexFunc(rest, func(s slot) bool { return s.ID == before })
		if i < 0 {
			return nil, nil, false, fmt.Errorf("anchor %s: %w", before, errAnchor)
		}
		at = i
	}
	if at == from {
		return slices.Clone(list), nil, false, nil // already there
	}
	out = make([]slot, 0, len(list))
	out = append(append(append(out, rest[:at]...), slot{ID: id}), rest[at:]...)
	if v, ok := between(rest, at); ok {
		out[at].Sort = v
		return out, []sortWrite{{ID: id, Sort: v}}, false, nil
	}
	lo, vals := respreadWindow(rest, at)
	for k, v := range vals {
		i := lo + k // index in out: the window starts at lo and holds the moved item
		if i == at || out[i].Sort != v {
			writes = append(writes, sortWrite{ID: out[i].ID, Sort: v})
		}
		out[i].Sort = v
	}
	return out, writes, true, nil
}

// between returns a sortOrder strictly between rest[at-1] and rest[at] (or
// beyond the one that exists at an end), ok false when the gap is too small
// to split.
func between(rest []slot, at int) (float64, bool) {
	switch {
	case len(rest) == 0:
		return 0, true
	case at == 0:
		return beyond(rest[0].Sort, -1), true
	case at == len(rest):
		return beyond(rest[at-1].Sort, 1), true
	}
	lo, hi := rest[at-1].Sort, rest[at].Sort
	mid := lo + (hi-lo)/2
	if !(hi-lo >= minGap) || !(lo < mid && mid < hi) {
		return 0, false
	}
	return mid, true
}

// beyond returns a value a step past v in direction dir (±1), with the
// step grown until it shows in float64 at v's magnitude.
func beyond(v float64, dir float64) float64 {
	step := endStep(v)
	return v + dir*step
}

// endStep is sortStep, or more when v is so large that sortStep would not
// change it visibly.
func endStep(v float64) float64 {
	step := sortStep
	for step < math.Abs(v)*1e-12 {
		step *= 2
	}
	return step
}

// respreadWindow picks the smallest window of rest around the insertion
// point at whose outer neighbours leave room to space the window's items
// plus the moved one evenly (the widest such window of that size), and
// returns the window's first index in the list with the item inserted and
// the new sortOrders of its items there, in order (the moved item at
// position at-lo). Each candidate is judged in O(1), so even a list of
// equal sortOrders costs O(n²) cheap checks at worst.
func respreadWindow(rest []slot, at int) (lo int, vals []float64) {
	n := len(rest)
	for size := 1; size <= n; size++ {
		best, bestGap := -1, 0.0
		for i := max(0, at-size); i <= min(at, n-size); i++ {
			if gap, ok := spreadGap(rest, i, i+size); ok && gap > bestGap {
				best, bestGap = i, gap
			}
		}
		if best < 0 {
			continue
		}
		if v, ok := spreadVals(rest, best, best+size, bestGap); ok {
			return best, v
		}
	}
	// Not reached: with no outer neighbours the whole list always spreads.
	vals = make([]float64, n+1)
	for k := range vals {
		vals[k] = float64(k+1) * sortStep
	}
	return 0, vals
}

// spreadGap is the spacing that re-spreading the window rest[i:j] plus one
// inserted item would use: the outer neighbours' distance split evenly, or
// endStep past the one neighbour there is at an end. ok is false when it
// is below roomGap or too fine to show at the neighbours' magnitude.
func spreadGap(rest []slot, i, j int) (gap float64, ok bool) {
	k := float64(j - i + 1)
	hasL, hasR := i > 0, j < len(rest)
	switch {
	case hasL && hasR:
		L, R := rest[i-1].Sort, rest[j].Sort
		gap = (R - L) / (k + 1)
		return gap, gap >= roomGap && gap >= math.Max(math.Abs(L), math.Abs(R))*1e-12
	case hasL:
		return endStep(rest[i-1].Sort + k*sortStep), true
	case hasR:
		return endStep(rest[j].Sort - k*sortStep), true
	}
	return sortStep, true
}

// spreadVals lays out the window's j-i+1 values at spacing gap, strictly
// between the outer neighbours; ok is false if float64 rounding breaks
// that.
func spreadVals(rest []slot, i, j int, gap float64) ([]float64, bool) {
	k := j - i + 1
	hasL, hasR := i > 0, j < len(rest)
	start := sortStep
	switch {
	case hasL:
		start = rest[i-1].Sort + gap
	case hasR:
		start = rest[j].Sort - float64(k)*gap
	}
	vals := make([]float64, k)
	for m := range vals {
		vals[m] = start + float64(m)*gap
		if (m > 0 && !(vals[m-1] < vals[m])) || (hasL && !(rest[i-1].Sort < vals[m])) || (hasR && !(vals[m] < rest[j].Sort)) {
			return nil, false
		}
	}
	return vals, true
}

// ---- the Orderer

// orderQuery lists in Linear's default order (createdAt), which a move
// does not change, so a move between pages cannot skip or repeat an issue.
var orderQuery = `query TandemOrder($filter: IssueFilter, $after: String) {
  issues(filter: $filter, first: ` + strconv.Itoa(orderPage) + `, after: $after) {
    nodes { id sortOrder updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}`

// MaxBatch implements connectors.Orderer: a Linear move places one issue
// (its writes are batched into requests by Move).
func (c *Client) MaxBatch() int { return 1 }

// Order implements connectors.Orderer: the ids of the team's non-archived
// issues in ascending sortOrder, ties by id.
func (c *Client) Order(ctx context.Context) ([]string, error) {
	view, versions, err := c.orderView(ctx)
	if err != nil {
		return nil, err
	}
	c.listed.keep(view, versions)
	out := make([]string, len(view))
	for i, s := range view {
		out[i] = s.ID
	}
	return out, nil
}

// orderView pages through the team's non-archived issues (id and
// sortOrder only) and sorts them as Order reports them.
func (c *Client) orderView(ctx context.Context) ([]slot, map[string]string, error) {
	filter := c.issueFilter()
	var view []slot
	versions := map[string]string{}
	seen := map[string]bool{}
	after := ""
	for {
		vars := map[string]any{"filter": filter}
		if after != "" {
			vars["after"] = after
		}
		var out struct {
			Issues struct {
				Nodes []struct {
					ID        string    `json:"id"`
					SortOrder float64   `json:"sortOrder"`
					UpdatedAt time.Time `json:"updatedAt"`
				} `json:"nodes"`
				PageInfo struct {
					HasNextPage bool   `json:"hasNextPage"`
					EndCursor   string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"issues"`
		}
		if err := c.exec(ctx, "listing linear manual order", orderQuery, vars, &out); err != nil {
			return nil, nil, err
		}
		for _, n := range out.Issues.Nodes {
			if !seen[n.ID] {
				seen[n.ID] = true
				view = append(view, slot{ID: n.ID, Sort: n.SortOrder})
				if !n.UpdatedAt.IsZero() {
					versions[n.ID] = n.UpdatedAt.UTC().Format(time.RFC3339Nano)
				}
				c.ranks.Saw(n.ID, sortKey(n.SortOrder))
			}
		}
		if !out.Issues.PageInfo.HasNextPage || out.Issues.PageInfo.EndCursor == "" {
			break
		}
		after = out.Issues.PageInfo.EndCursor
	}
	sortSlots(view)
	return view, versions, nil
}

// sortKey is a sortOrder as RankWatch keeps it.
func sortKey(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// moveChunk is how many sortOrder writes one request carries, as aliased
// issueUpdate fields of one mutation: GraphQL runs a mutation's root
// fields one after another in document order, so the writes keep the
// order writeOrder gives them, and Linear's request budget counts the
// request once (its complexity budget counts each field).
const moveChunk = 50

// sortDocument is the mutation of n sortOrder writes.
func sortDocument(n int) string {
	var b strings.Builder
	b.WriteString("mutation TandemSort(")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$id%d: String!, $s%d: Float!", i, i)
	}
	b.WriteString(") {\n")
	for i := range n {
		fmt.Fprintf(&b, "  m%d: issueUpdate(id: $id%d, input: {sortOrder: $s%d}) { success issue { id updatedAt } }\n", i, i, i)
	}
	b.WriteString("}")
	return b.String()
}

// Move implements connectors.Orderer. It reads the order once (the same
// listing as Order, ⌈n/250⌉ queries, not counted in calls), then plans
// each move's new sortOrder, strictly between its new neighbours, keeping
// its view up to date so later moves of the batch see earlier ones (a gap
// too small to split re-spreads the neighbours), and sends the writes in
// requests of up to moveChunk. Each write's echo is remembered (OwnWrite).
func (c *Client) Move(ctx context.Context, moves []backlog.Move) (calls int, err error) {
	for _, m := range moves {
		if len(m.IDs) != 1 {
			return 0, connectors.Permanent(fmt.Errorf("linear moves one issue per call, got a move of %d", len(m.IDs)))
		}
	}
	if len(moves) == 0 {
		return 0, nil
	}
	// The order pass reads the order (Order) right before it moves: that
	// listing serves, when it is that fresh, instead of a second one.
	view, versions, ok := c.listed.take(time.Now())
	if !ok {
		var err error
		if view, versions, err = c.orderView(ctx); err != nil {
			return 0, err
		}
	}
	sorts := make(map[string]float64, len(view)) // each issue's sortOrder as the moves so far leave it
	for _, sl := range view {
		sorts[sl.ID] = sl.Sort
	}
	// A move that cannot be placed ends the batch: the moves before it
	// are made, and its error returned.
	var all []sortWrite
	var stop error
	list := newOrderList(view)
	for _, m := range moves {
		id := m.IDs[0]
		writes, respread, err := list.place(id, m.After, m.Before)
		if errors.Is(err, errAnchor) {
			stop = fmt.Errorf("moving linear issue %s: %w: %w", id, connectors.ErrNotFound, err)
			break
		}
		if err != nil {
			stop = connectors.Permanent(fmt.Errorf("moving linear issue %s: %w", id, err))
			break
		}
		if respread {
			c.log.Info("linear: re-spreading sortOrder", "issue", id, "after", m.After, "before", m.Before, "writes", len(writes))
		}
		all = append(all, writeOrderBy(func(id string) float64 { return sorts[id] }, writes, id)...)
		for _, w := range writes {
			sorts[w.ID] = w.Sort
		}
	}
	for len(all) > 0 {
		chunk := all[:min(len(all), moveChunk)]
		all = all[len(chunk):]
		calls++ // every request sent counts, answered or not
		if err := c.writeSorts(ctx, chunk, versions); err != nil {
			return calls, err
		}
	}
	return calls, stop
}

// writeSorts sends one request of sortOrder writes.
func (c *Client) writeSorts(ctx context.Context, ws []sortWrite, versions map[string]string) error {
	vars := make(map[string]any, 2*len(ws))
	for i, w := range ws {
		vars[fmt.Sprintf("id%d", i)] = w.ID
		vars[fmt.Sprintf("s%d", i)] = w.Sort
	}
	var out map[string]struct {
		Success bool `json:"success"`
		Issue   struct {
			ID        string    `json:"id"`
			UpdatedAt time.Time `json:"updatedAt"`
		} `json:"issue"`
	}
	op := "moving linear issue " + ws[0].ID
	if len(ws) > 1 {
		op = fmt.Sprintf("moving %d linear issues", len(ws))
	}
	if err := c.exec(ctx, op, sortDocument(len(ws)), vars, &out); err != nil {
		return err
	}
	for i, w := range ws {
		r, ok := out[fmt.Sprintf("m%d", i)]
		if !ok || !r.Success {
			return fmt.Errorf("moving linear issue %s: success false", w.ID)
		}
		// Our own move: its echo in the next poll is not a reorder, and
		// its webhook is no change a pass needs to read.
		c.ranks.Saw(w.ID, sortKey(w.Sort))
		if !r.Issue.UpdatedAt.IsZero() {
			after := r.Issue.UpdatedAt.UTC().Format(time.RFC3339Nano)
			c.own.note(w.ID, versions[w.ID], after)
			versions[w.ID] = after
		}
	}
	return nil
}

// writeOrder orders a move's writes so that a batch cut short (an error
// after some writes) never reorders the other issues among themselves:
// issues whose sortOrder grows are written from the last to the first, the
// ones whose sortOrder shrinks from the first to the last, and the moved
// issue id last. Any prefix of the result then keeps every pair of other
// issues in their old relative order (each written value is strictly
// between its written and unwritten neighbours' values). old is the view
// before the move.
func writeOrder(old []slot, writes []sortWrite, id string) []sortWrite {
	return writeOrderBy(func(id string) float64 {
		for _, s := range old {
			if s.ID == id {
				return s.Sort
			}
		}
		return 0
	}, writes, id)
}

// writeOrderBy is writeOrder with the old sortOrder of each written issue
// from oldSort. The view is sorted by (sortOrder, id), so that pair
// orders the written issues as their old positions do, without a look-up
// of positions in the whole view.
func writeOrderBy(oldSort func(id string) float64, writes []sortWrite, id string) []sortWrite {
	type w struct {
		sortWrite
		old float64
	}
	var up, down, moved []w
	for _, x := range writes {
		o := w{x, oldSort(x.ID)}
		switch {
		case x.ID == id:
			moved = append(moved, o)
		case x.Sort > o.old:
			up = append(up, o)
		default:
			down = append(down, o)
		}
	}
	byOld := func(a, b w) int { return cmp.Or(cmp.Compare(a.old, b.old), cmp.Compare(a.ID, b.ID)) }
	slices.SortFunc(up, func(a, b w) int { return byOld(b, a) })
	slices.SortFunc(down, byOld)
	out := make([]sortWrite, 0, len(writes))
	for _, l := range [][]w{up, down, moved} {
		for _, x := range l {
			out = append(out, x.sortWrite)
		}
	}
	return out
}

// ownWrites remembers the versions Tandem's own moves left, with the
// version each moved issue had before, for OwnWrite.
type ownWrites struct {
	mu sync.Mutex
	m  map[string]string // id + " " + version after → version before
}

// maxOwnWrites bounds the memory; past it the memory starts over (an echo
// then costs one read, never a missed change).
const maxOwnWrites = 100000

func (o *ownWrites) note(id, before, after string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil || len(o.m) >= maxOwnWrites {
		o.m = map[string]string{}
	}
	o.m[id+" "+after] = before
}

func (o *ownWrites) lookup(id, after string) (string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	b, ok := o.m[id+" "+after]
	return b, ok
}

// OwnWrite implements connectors.OwnWrites: version is what one of this
// client's moves left on issue id, and before what the issue had when the
// move's listing read it.
func (c *Client) OwnWrite(id, version string) (before string, ok bool) {
	return c.own.lookup(id, version)
}

// listedOrder is the order Order last listed, for a Move right after it.
type listedOrder struct {
	mu       sync.Mutex
	view     []slot
	versions map[string]string
	at       time.Time
}

// listedFresh is how old a listing Move takes instead of reading again.
const listedFresh = 5 * time.Second

func (l *listedOrder) keep(view []slot, versions map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.view, l.versions, l.at = slices.Clone(view), versions, time.Now()
}

// take hands out the listing once, when fresh.
func (l *listedOrder) take(now time.Time) ([]slot, map[string]string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	view, versions, at := l.view, l.versions, l.at
	l.view, l.versions = nil, nil
	if view == nil || now.Sub(at) > listedFresh {
		return nil, nil, false
	}
	return view, versions, true
}
