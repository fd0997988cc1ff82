package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/store"
)

// RunModel drives a store with random sequences of calls (rapid state
// machine) and compares every answer with a plain in-memory model of the
// contract: links and their Jira index (including one link claiming
// another's Jira id), bases under leases old and new, cursors, locks and
// their tokens, the conflict log and its order, delivery dedupe and the
// dirty set. Ttls are long, so time plays no part; expiry is Run's job.
//
// location is as for RunPersistent; when reopenable is true the machine
// also closes and reopens the store between steps and expects nothing but
// held locks to change.
func RunModel(t *testing.T, location func(t *testing.T) (open func() store.State), reopenable bool) {
	t.Helper()
	rapid.Check(t, func(rt *rapid.T) {
		open := location(t)
		m := newModel(open())
		defer func() { _ = m.s.Close() }()
		actions := m.actions()
		if reopenable {
			actions["reopen"] = func(rt *rapid.T) { m.reopen(rt, open) }
		}
		actions[""] = m.check
		rt.Repeat(actions)
	})
}

type model struct {
	s store.State

	links      map[string]backlog.Link
	jira       map[string]string
	bases      map[string]backlog.Snapshot
	cursors    map[string]string
	held       map[string]int64 // lock name -> token of the holder
	lastToken  map[string]int64
	leases     []store.Lease // every lease ever handed out
	conflicts  map[string]modelConflict
	conflictN  int64
	seen       map[string]bool
	dirty      map[string]int64
	dirtyMax   int64
	dirtySeqs  []int64 // every seq handed out, for stale clears
	generated  map[string]bool
	deliveryID int
}

type modelConflict struct {
	c   backlog.Conflict
	ord int64 // insertion order
}

func newModel(s store.State) *model {
	return &model{
		s: s, links: map[string]backlog.Link{}, jira: map[string]string{}, bases: map[string]backlog.Snapshot{},
		cursors: map[string]string{}, held: map[string]int64{}, lastToken: map[string]int64{},
		conflicts: map[string]modelConflict{}, seen: map[string]bool{}, dirty: map[string]int64{},
		generated: map[string]bool{},
	}
}

var (
	linkIDs   = []string{"lin-0", "lin-1", "lin-2", "lin-3"}
	jiraIDs   = []string{"", "10", "11", "12", "13"}
	lockNames = []string{"link:lin-0", "link:lin-1", "poller"}
	dirtyKeys = []string{"jira:10", "jira:11", "linear:lin-0"}
	// Times for conflicts: equal ones and ones inside one microsecond, so
	// the order's tie-breaks are exercised.
	conflictTimes = []time.Time{t0, t0, t0.Add(time.Second), t0.Add(time.Second + 300*time.Nanosecond), t0.Add(-time.Hour)}
)

func (m *model) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"saveLink": func(rt *rapid.T) {
			id := rapid.SampledFrom(linkIDs).Draw(rt, "link")
			jid := rapid.SampledFrom(jiraIDs).Draw(rt, "jira")
			l := link(id, jid)
			l.Created = t0.Add(time.Duration(rapid.IntRange(0, 3).Draw(rt, "created")) * time.Minute)
			if err := m.s.SaveLink(rt.Context(), l); err != nil {
				rt.Fatalf("SaveLink(%s, jira %q): %v", id, jid, err)
			}
			if old, ok := m.links[id]; ok && old.Jira.ID != "" && old.Jira.ID != jid && m.jira[old.Jira.ID] == id {
				delete(m.jira, old.Jira.ID)
			}
			m.links[id] = l
			if jid != "" {
				m.jira[jid] = id
			}
		},
		"deleteLink": func(rt *rapid.T) {
			id := rapid.SampledFrom(linkIDs).Draw(rt, "link")
			if err := m.s.DeleteLink(rt.Context(), id); err != nil {
				rt.Fatalf("DeleteLink(%s): %v", id, err)
			}
			if old, ok := m.links[id]; ok && old.Jira.ID != "" && m.jira[old.Jira.ID] == id {
				delete(m.jira, old.Jira.ID)
			}
			delete(m.links, id)
			delete(m.bases, id)
		},
		"lock": func(rt *rapid.T) {
			name := rapid.SampledFrom(lockNames).Draw(rt, "name")
			l, err := m.s.Lock(rt.Context(), name, time.Minute)
			if _, held := m.held[name]; held {
				if !errors.Is(err, store.ErrLocked) {
					rt.Fatalf("Lock(%s) while held: err = %v, want ErrLocked", name, err)
				}
				return
			}
			if err != nil {
				rt.Fatalf("Lock(%s): %v", name, err)
			}
			if l.Name != name || l.Token <= m.lastToken[name] {
				rt.Fatalf("Lock(%s) = %+v, want a token above %d", name, l, m.lastToken[name])
			}
			m.held[name], m.lastToken[name] = l.Token, l.Token
			m.leases = append(m.leases, l)
		},
		"unlock": func(rt *rapid.T) {
			l := m.drawLease(rt)
			if err := m.s.Unlock(rt.Context(), l); err != nil {
				rt.Fatalf("Unlock(%+v): %v", l, err)
			}
			if m.held[l.Name] == l.Token {
				delete(m.held, l.Name)
			}
		},
		"extend": func(rt *rapid.T) {
			l := m.drawLease(rt)
			err := m.s.Extend(rt.Context(), l, time.Minute)
			m.wantFenced(rt, "Extend", l, err)
		},
		"saveBase": func(rt *rapid.T) {
			l := m.drawLease(rt)
			id := rapid.SampledFrom(linkIDs).Draw(rt, "link")
			b := backlog.Snapshot{backlog.Title: backlog.Value(rapid.StringMatching(`[a-z ]{0,6}`).Draw(rt, "title"))}
			if rapid.Bool().Draw(rt, "withStatus") {
				b[backlog.Status] = "started:In Progress"
			}
			err := m.s.SaveBase(rt.Context(), l, id, b)
			if m.wantFenced(rt, "SaveBase", l, err) {
				m.bases[id] = b
			}
		},
		"saveCursor": func(rt *rapid.T) {
			name := rapid.SampledFrom([]string{"jira", "linear"}).Draw(rt, "name")
			v := rapid.SampledFrom([]string{"", "a", "b|42"}).Draw(rt, "value")
			if err := m.s.SaveCursor(rt.Context(), name, v); err != nil {
				rt.Fatalf("SaveCursor: %v", err)
			}
			m.cursors[name] = v
		},
		"addConflict": func(rt *rapid.T) {
			c := conflict(rapid.SampledFrom(linkIDs).Draw(rt, "link"), rapid.SampledFrom([]backlog.Field{backlog.Title, backlog.Status}).Draw(rt, "field"),
				rapid.SampledFrom(conflictTimes).Draw(rt, "at"))
			switch rapid.IntRange(0, 2).Draw(rt, "state") {
			case 0: // open
				c.Decision, c.SettledAt, c.SettledBy = "", time.Time{}, ""
			case 1: // settled and on both sides
				c.Applied = true
			}
			c.ID = rapid.SampledFrom([]string{"", "", "x1", "jira:10:title"}).Draw(rt, "id")
			id, err := m.s.AddConflict(rt.Context(), c)
			if err != nil {
				rt.Fatalf("AddConflict: %v", err)
			}
			if c.ID == "" {
				if id == "" || m.generated[id] || id == "x1" || id == "jira:10:title" {
					rt.Fatalf("AddConflict assigned id %q, not fresh", id)
				}
				m.generated[id] = true
			} else if id != c.ID {
				rt.Fatalf("AddConflict returned %q for chosen id %q", id, c.ID)
			}
			c.ID = id
			m.conflictN++
			m.conflicts[id] = modelConflict{c: c, ord: m.conflictN}
		},
		"updateConflict": func(rt *rapid.T) {
			ids := slices.Sorted(maps.Keys(m.conflicts))
			id := rapid.SampledFrom(append(ids, "unknown")).Draw(rt, "id")
			c := m.conflicts[id].c
			c.ID = id
			c.SettledBy, c.SettledAt, c.Decision = "carol", t0.Add(time.Hour), backlog.Jira
			c.Applied = rapid.Bool().Draw(rt, "applied")
			c.At = rapid.SampledFrom(conflictTimes).Draw(rt, "at")
			if rapid.Bool().Draw(rt, "moveLink") {
				c.LinkID = rapid.SampledFrom(linkIDs).Draw(rt, "newLink")
			}
			err := m.s.UpdateConflict(rt.Context(), c)
			if _, ok := m.conflicts[id]; !ok {
				if !errors.Is(err, store.ErrNotFound) {
					rt.Fatalf("UpdateConflict(unknown): err = %v, want ErrNotFound", err)
				}
				return
			}
			if err != nil {
				rt.Fatalf("UpdateConflict(%s): %v", id, err)
			}
			m.conflicts[id] = modelConflict{c: c, ord: m.conflicts[id].ord}
		},
		"pruneConflicts": func(rt *rapid.T) {
			p, ok := m.s.(store.ConflictPruner)
			if !ok {
				rt.Skip("no ConflictPruner")
			}
			before := rapid.SampledFrom(append([]time.Time{{}}, conflictTimes...)).Draw(rt, "before")
			keep := rapid.IntRange(0, 3).Draw(rt, "keep")
			n, err := p.PruneConflicts(rt.Context(), before, keep)
			if err != nil {
				rt.Fatalf("PruneConflicts: %v", err)
			}
			var victims []string
			for _, id := range m.listConflicts(store.ConflictFilter{}) {
				if store.Prunable(m.conflicts[id].c) {
					victims = append(victims, id)
				}
			}
			want := 0
			for i, id := range victims {
				if (keep > 0 && i >= keep) || (!before.IsZero() && m.conflicts[id].c.At.Before(before)) {
					delete(m.conflicts, id)
					want++
				}
			}
			if n != want {
				rt.Fatalf("PruneConflicts(%v, %d) dropped %d, want %d", before, keep, n, want)
			}
		},
		"listConflicts": func(rt *rapid.T) {
			f := store.ConflictFilter{
				OpenOnly:  rapid.Bool().Draw(rt, "openOnly"),
				Unapplied: rapid.Bool().Draw(rt, "unapplied"),
				Field:     rapid.SampledFrom([]backlog.Field{"", backlog.Title, backlog.Status}).Draw(rt, "field"),
				LinkID:    rapid.SampledFrom(append([]string{""}, linkIDs...)).Draw(rt, "linkID"),
				Since:     rapid.SampledFrom(append([]time.Time{{}}, conflictTimes...)).Draw(rt, "since"),
				Limit:     rapid.IntRange(0, 4).Draw(rt, "limit"),
			}
			got, err := m.s.Conflicts(rt.Context(), f)
			if err != nil {
				rt.Fatalf("Conflicts: %v", err)
			}
			if want := m.listConflicts(f); !slices.Equal(ids(got), want) {
				rt.Fatalf("Conflicts(%+v) = %v, want %v", f, ids(got), want)
			}
		},
		"seenDelivery": func(rt *rapid.T) {
			id := fmt.Sprint("d", rapid.IntRange(0, 3).Draw(rt, "delivery"))
			seen, err := m.s.SeenDelivery(rt.Context(), id, time.Minute)
			if err != nil {
				rt.Fatalf("SeenDelivery: %v", err)
			}
			if seen != m.seen[id] {
				rt.Fatalf("SeenDelivery(%s) = %v, want %v", id, seen, m.seen[id])
			}
			m.seen[id] = true
		},
		"forgetDelivery": func(rt *rapid.T) {
			id := fmt.Sprint("d", rapid.IntRange(0, 3).Draw(rt, "delivery"))
			if err := m.s.ForgetDelivery(rt.Context(), id); err != nil {
				rt.Fatalf("ForgetDelivery: %v", err)
			}
			delete(m.seen, id)
		},
		"markDirty": func(rt *rapid.T) {
			k := rapid.SampledFrom(dirtyKeys).Draw(rt, "key")
			seq, err := m.s.MarkDirty(rt.Context(), k)
			if err != nil {
				rt.Fatalf("MarkDirty: %v", err)
			}
			if seq <= m.dirtyMax {
				rt.Fatalf("MarkDirty seq %d not above %d", seq, m.dirtyMax)
			}
			m.dirty[k], m.dirtyMax = seq, seq
			m.dirtySeqs = append(m.dirtySeqs, seq)
		},
		"markDirtyMany": func(rt *rapid.T) {
			keys := rapid.SliceOfN(rapid.SampledFrom(dirtyKeys), 0, 4).Draw(rt, "keys")
			seqs, err := store.MarkDirtyMany(rt.Context(), m.s, keys)
			if err != nil {
				rt.Fatalf("MarkDirtyMany: %v", err)
			}
			if len(seqs) != len(keys) {
				rt.Fatalf("MarkDirtyMany(%v) gave %d seqs", keys, len(seqs))
			}
			for k, seq := range seqs {
				if seq <= m.dirtyMax {
					rt.Fatalf("MarkDirtyMany seq %d not above %d", seq, m.dirtyMax)
				}
				m.dirty[keys[k]], m.dirtyMax = seq, seq
				m.dirtySeqs = append(m.dirtySeqs, seq)
			}
		},
		"clearDirty": func(rt *rapid.T) {
			k := rapid.SampledFrom(dirtyKeys).Draw(rt, "key")
			seq := int64(0)
			if cur, ok := m.dirty[k]; ok && rapid.Bool().Draw(rt, "current") {
				seq = cur
			} else if len(m.dirtySeqs) > 0 {
				seq = rapid.SampledFrom(m.dirtySeqs).Draw(rt, "seq")
			}
			if err := m.s.ClearDirty(rt.Context(), k, seq); err != nil {
				rt.Fatalf("ClearDirty: %v", err)
			}
			if m.dirty[k] == seq {
				delete(m.dirty, k)
			}
		},
	}
}

// drawLease picks any lease ever handed out (current or stale), or a forged
// one.
func (m *model) drawLease(rt *rapid.T) store.Lease {
	forged := store.Lease{Name: rapid.SampledFrom(lockNames).Draw(rt, "forgedName"), Token: 1 << 40}
	return rapid.SampledFrom(append(slices.Clone(m.leases), forged)).Draw(rt, "lease")
}

// wantFenced checks err for a call that must succeed exactly when l is the
// current holder, and reports whether it did.
func (m *model) wantFenced(rt *rapid.T, what string, l store.Lease, err error) bool {
	if m.held[l.Name] == l.Token {
		if err != nil {
			rt.Fatalf("%s with the current lease %+v: %v", what, l, err)
		}
		return true
	}
	if !errors.Is(err, store.ErrLockLost) {
		rt.Fatalf("%s with stale lease %+v (holder %d): err = %v, want ErrLockLost", what, l, m.held[l.Name], err)
	}
	return false
}

func (m *model) listConflicts(f store.ConflictFilter) []string {
	var cs []modelConflict
	for _, c := range m.conflicts {
		if f.Match(c.c) {
			cs = append(cs, c)
		}
	}
	slices.SortFunc(cs, func(a, b modelConflict) int {
		if c := b.c.At.Compare(a.c.At); c != 0 {
			return c
		}
		return cmp.Compare(b.ord, a.ord)
	})
	if f.Limit > 0 && len(cs) > f.Limit {
		cs = cs[:f.Limit]
	}
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.c.ID
	}
	return out
}

// reopen closes and reopens the store. Held locks are released first: a
// shared store keeps them and a single-node one drops them, and the
// contract allows both.
func (m *model) reopen(rt *rapid.T, open func() store.State) {
	for name, token := range m.held {
		if err := m.s.Unlock(rt.Context(), store.Lease{Name: name, Token: token}); err != nil {
			rt.Fatalf("Unlock before reopen: %v", err)
		}
	}
	clear(m.held)
	if err := m.s.Close(); err != nil {
		rt.Fatalf("Close: %v", err)
	}
	m.s = open()
}

// check compares the whole observable state with the model.
func (m *model) check(rt *rapid.T) {
	ctx := rt.Context()
	ls, err := m.s.Links(ctx)
	if err != nil {
		rt.Fatalf("Links: %v", err)
	}
	if len(ls) != len(m.links) {
		rt.Fatalf("Links: %d links, want %d", len(ls), len(m.links))
	}
	for _, l := range ls {
		if w, ok := m.links[l.ID()]; !ok || !sameLink(l, w) {
			rt.Fatalf("Links has %+v, want %+v", l, w)
		}
	}
	for _, jid := range jiraIDs[1:] {
		got, err := m.s.LinkBy(ctx, backlog.Ref{Side: backlog.Jira, ID: jid})
		id, ok := m.jira[jid]
		if !ok {
			if !errors.Is(err, store.ErrNotFound) {
				rt.Fatalf("LinkBy(jira %s) = %+v, %v; want ErrNotFound", jid, got, err)
			}
			continue
		}
		if err != nil || !sameLink(got, m.links[id]) {
			rt.Fatalf("LinkBy(jira %s) = %+v, %v; want %+v", jid, got, err, m.links[id])
		}
	}
	for _, id := range linkIDs {
		b, err := m.s.Base(ctx, id)
		want, ok := m.bases[id]
		switch {
		case !ok && !errors.Is(err, store.ErrNotFound):
			rt.Fatalf("Base(%s) = %v, %v; want ErrNotFound", id, b, err)
		case ok && (err != nil || !maps.Equal(b, want)):
			rt.Fatalf("Base(%s) = %v, %v; want %v", id, b, err, want)
		}
	}
	for _, name := range []string{"jira", "linear"} {
		if c, err := m.s.Cursor(ctx, name); err != nil || c != m.cursors[name] {
			rt.Fatalf("Cursor(%s) = %q, %v; want %q", name, c, err, m.cursors[name])
		}
	}
	d, err := m.s.Dirty(ctx)
	if err != nil || !maps.Equal(d, m.dirty) {
		rt.Fatalf("Dirty = %v, %v; want %v", d, err, m.dirty)
	}
	all, err := m.s.Conflicts(ctx, store.ConflictFilter{})
	if err != nil {
		rt.Fatalf("Conflicts: %v", err)
	}
	if want := m.listConflicts(store.ConflictFilter{}); !slices.Equal(ids(all), want) {
		rt.Fatalf("Conflicts = %v, want %v", ids(all), want)
	}
	for _, c := range all {
		if !sameConflict(c, m.conflicts[c.ID].c) {
			rt.Fatalf("conflict %s = %+v, want %+v", c.ID, c, m.conflicts[c.ID].c)
		}
	}
}

func sameConflict(a, b backlog.Conflict) bool {
	na, nb := normConflict(a), normConflict(b)
	return na == nb
}
