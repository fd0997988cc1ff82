package linear

import "fmt"

// orderList is the local view of the manual order as a doubly linked list
// with its issues by id, so that Move places each of a pass's moves in
// O(1): a backfill's order pass moves thousands of issues in one list of
// thousands, which place (a slice copy and scans per move) makes
// quadratic. A move whose gap is too small to split falls back to place
// over the whole list (a re-spread, rare), which stays the reference: the
// property test checks that both give the same writes and order.
type orderList struct {
	byID       map[string]*orderNode
	head, tail *orderNode
}

type orderNode struct {
	slot
	prev, next *orderNode
}

func newOrderList(list []slot) *orderList {
	o := &orderList{byID: make(map[string]*orderNode, len(list))}
	o.fill(list)
	return o
}

func (o *orderList) fill(list []slot) {
	clear(o.byID)
	o.head, o.tail = nil, nil
	for _, s := range list {
		n := &orderNode{slot: s, prev: o.tail}
		if o.tail == nil {
			o.head = n
		} else {
			o.tail.next = n
		}
		o.tail = n
		o.byID[s.ID] = n
	}
}

// slots lists the view in order.
func (o *orderList) slots() []slot {
	out := make([]slot, 0, len(o.byID))
	for n := o.head; n != nil; n = n.next {
		out = append(out, n.slot)
	}
	return out
}

// place is place(o.slots(), id, after, before) applied to o.
func (o *orderList) place(id, after, before string) (writes []sortWrite, respread bool, err error) {
	n := o.byID[id]
	if n == nil {
		return nil, false, fmt.Errorf("issue %s: %w", id, errAnchor)
	}
	if id == after || id == before {
		return nil, false, fmt.Errorf("issue %s is its own anchor", id)
	}
	// The neighbours n goes between, in the list without n.
	var left, right *orderNode
	switch {
	case after != "":
		a := o.byID[after]
		if a == nil {
			return nil, false, fmt.Errorf("anchor %s: %w", after, errAnchor)
		}
		if a == n.prev {
			return nil, false, nil // already there
		}
		left, right = a, a.next
		if right == n {
			right = n.next
		}
	case before != "":
		b := o.byID[before]
		if b == nil {
			return nil, false, fmt.Errorf("anchor %s: %w", before, errAnchor)
		}
		if b == n.next {
			return nil, false, nil
		}
		left, right = b.prev, b
		if left == n {
			left = n.prev
		}
	default:
		if n == o.tail {
			return nil, false, nil
		}
		left = o.tail
	}
	v, ok := gapBetween(left, right)
	if !ok {
		out, writes, respread, err := place(o.slots(), id, after, before)
		if err == nil {
			o.fill(out)
		}
		return writes, respread, err
	}
	o.unlink(n)
	n.Sort, n.prev, n.next = v, left, right
	if left == nil {
		o.head = n
	} else {
		left.next = n
	}
	if right == nil {
		o.tail = n
	} else {
		right.prev = n
	}
	return []sortWrite{{ID: id, Sort: v}}, false, nil
}

func (o *orderList) unlink(n *orderNode) {
	if n.prev == nil {
		o.head = n.next
	} else {
		n.prev.next = n.next
	}
	if n.next == nil {
		o.tail = n.prev
	} else {
		n.next.prev = n.prev
	}
	n.prev, n.next = nil, nil
}

// gapBetween is between for the neighbours left and right (nil past an
// end).
func gapBetween(left, right *orderNode) (float64, bool) {
	var rest []slot
	if left != nil {
		rest = append(rest, left.slot)
	}
	at := len(rest)
	if right != nil {
		rest = append(rest, right.slot)
	}
	return between(rest, at)
}
