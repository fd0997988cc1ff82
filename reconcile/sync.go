package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/match"
	"github.com/tandem-sync/tandem/store"
)

// Syncer runs level-triggered sync passes. Its fields are set once before
// the first Sync; Sync is safe for concurrent use (passes on the same link
// exclude each other through the store's lock).
type Syncer struct {
	Jira, Linear connectors.Connector
	State        store.State
	// Site names the Jira site (its host); it seeds Linear twin ids.
	Site     string
	Fields   []backlog.Field // default backlog.SyncedFields
	Policies Policies
	// Directions restrict fields to one-way sync (mapping file).
	Directions map[backlog.Field]Direction
	// Statuses maps Jira status names to Linear state names where they
	// differ (mapping file).
	Statuses map[string]string
	// Deleted is what a deletion on one side does to the twin: "mark" (the
	// default: the pair stops syncing, the link is kept) or "mirror" (the
	// twin is deleted too, through JiraDeleter/LinearDeleter).
	Deleted                    string
	JiraDeleter, LinearDeleter connectors.Deleter
	// JiraScope and LinearScope tell whether an item is in scope; an item
	// that leaves it stops syncing, and a new item out of scope gets no
	// twin.
	JiraScope, LinearScope connectors.Scoper
	// JiraComments and LinearComments mirror comments when both are set
	// (connectors.Commenter); NoComments turns that off.
	JiraComments, LinearComments connectors.Commenter
	NoComments                   bool
	// JiraFiles and LinearFiles mirror files when both are set
	// (connectors.Attacher, see attachments.go); FileCap is the size above
	// which a file is linked rather than copied (default DefaultFileCap).
	JiraFiles, LinearFiles connectors.Attacher
	FileCap                int64
	// JiraLinks and LinearLinks, when both are set, make each new pair's
	// twins point at each other (connectors.CrossLinker: a Jira remote
	// link, a Linear attachment); NoCrossLinks turns that off.
	JiraLinks, LinearLinks connectors.CrossLinker
	NoCrossLinks           bool
	// OrderMaster is the side whose order the other mirrors ("" when
	// order is not mirrored). With Jira leading, a new Linear twin is born
	// where its source's rank puts it (a sortOrder from the LexoRank), so
	// the order pass after a backfill has nothing to move; Jira's bulk
	// create takes no rank, so Jira twins are placed by the order pass.
	OrderMaster backlog.Side
	// Match looks for an unlinked item's existing twin before one is
	// created (see match.go); the zero value is off.
	Match Matching
	// FirstSync settles every field that differs at a pair's first merge
	// (no base: a match, a link by hand, a relink after a lost store):
	// jira, linear, newest or manual (mapping first_sync). Each
	// difference is logged like a conflict. "": the fields' policies.
	FirstSync backlog.Policy
	LockTTL   time.Duration // default 30 s
	Now       func() time.Time
	Log       *slog.Logger
	// JiraHistory and LinearHistory, when set, tell when each side changed
	// a field (connectors.History), for conflict records and `newest`.
	JiraHistory, LinearHistory connectors.History
	// Iterations, when set, pairs sprints with cycles by their dates (see
	// sprint.go); unset, a sprint and a cycle match by name only.
	Iterations Iterations
	// Observe, when set, is told about every write a pass makes.
	Observe func(Event)

	ambMu     sync.Mutex
	ambiguous map[backlog.Ref]Ambiguity // see Ambiguous
	keepers   sync.Map                  // store.Lease → stop of its store.Keep
	origins   originCache
}

// originCache remembers the link of Jira twins Tandem made (their
// tandem.origin property names it, and never changes), so the passes
// their create's webhooks and polls start before the link is saved do
// not read the issue again and again to learn it.
type originCache struct {
	mu sync.Mutex
	m  map[string]string // jira issue id → link id
}

// maxOrigins bounds the cache; past it the cache starts over (a miss
// costs one read).
const maxOrigins = 100_000

func (c *originCache) note(jiraID, linkID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxOrigins {
		c.m = map[string]string{}
	}
	c.m[jiraID] = linkID
}

func (c *originCache) of(jiraID string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.m[jiraID]
	return id, ok
}

// Event describes one write a pass made: a twin created, a patch applied or
// a conflict recorded.
type Event struct {
	Kind     EventKind
	LinkID   string
	Jira     backlog.Ref
	Linear   backlog.Ref
	To       backlog.Side // the side written
	Fields   []backlog.Field
	Conflict *backlog.Conflict
	// Signal says why a pair was matched or what made an item
	// ambiguous; Candidates are an ambiguous item's candidates.
	Signal     match.Signal
	Candidates []backlog.Ref
	At         time.Time
	// SourceUpdated is when the side the change came from last changed
	// (patches), for latency measurement.
	SourceUpdated time.Time
}

// EventKind names what an Event reports.
type EventKind string

const (
	EventCreated  EventKind = "created"
	EventPatched  EventKind = "patched"
	EventConflict EventKind = "conflict"
	// EventMatched: an unlinked item was linked to its existing twin.
	EventMatched EventKind = "matched"
	// EventAmbiguous: an unlinked item has several candidate twins and
	// was left unlinked.
	EventAmbiguous EventKind = "ambiguous"
)

// Result tells the caller what to do next with the key.
type Result struct {
	// RequeueAfter > 0 asks for another pass after that delay (the link
	// was locked by another pass).
	RequeueAfter time.Duration
	// Writes counts the writes made to the two tools.
	Writes int
	// Created counts the twins the pass made (they need placing in the
	// manual order).
	Created int
}

func (s *Syncer) fields() []backlog.Field {
	if len(s.Fields) > 0 {
		return s.Fields
	}
	return backlog.SyncedFields
}

func (s *Syncer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Syncer) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

func (s *Syncer) conn(side backlog.Side) connectors.Connector {
	if side == backlog.Jira {
		return s.Jira
	}
	return s.Linear
}

func (s *Syncer) emit(e Event) {
	if s.Observe != nil {
		e.At = s.now()
		s.Observe(e)
	}
}

// Sync brings the item ref names and its twin into agreement. It reads the
// current state of both sides; it never trusts an event's content, so
// repeated, late or reordered calls are harmless. A link locked by another
// pass yields Result.RequeueAfter, not an error. Errors are to be retried
// with backoff unless connectors.IsPermanent says otherwise.
func (s *Syncer) Sync(ctx context.Context, ref backlog.Ref) (Result, error) {
	linkID, prefetched, err := s.linkIDFor(ctx, ref)
	if err != nil {
		return Result{}, err
	}
	if linkID == "" {
		return Result{}, nil // gone before we looked: nothing to do
	}
	ttl := s.LockTTL
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	lease, err := s.lock(ctx, "link:"+linkID, ttl)
	if errors.Is(err, store.ErrLocked) {
		return Result{RequeueAfter: 50 * time.Millisecond}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("locking link %s: %w", linkID, err)
	}
	// The pass may have been cancelled; unlock still releases the lock.
	defer s.unlock(ctx, lease)
	return s.syncLocked(ctx, lease, ref, linkID, prefetched)
}

// linkIDFor names the link ref belongs to, before any lock is taken. For an
// unlinked Jira issue it reads the issue (to see whether it is a twin we
// created) and hands the read on.
func (s *Syncer) linkIDFor(ctx context.Context, ref backlog.Ref) (string, *backlog.Item, error) {
	l, err := s.State.LinkBy(ctx, ref)
	if err == nil {
		return l.ID(), nil, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return "", nil, fmt.Errorf("looking up link of %s: %w", ref, err)
	}
	if ref.Side == backlog.Linear {
		return ref.ID, nil, nil
	}
	if id, ok := s.origins.of(ref.ID); ok {
		// A twin we made whose link is being saved: no read to learn its
		// origin again (the pass waits for the lock of its link).
		return id, nil, nil
	}
	it, err := s.Jira.Get(ctx, ref.ID)
	if errors.Is(err, connectors.ErrNotFound) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("reading jira issue %s: %w", ref.ID, err)
	}
	if it.Origin.Side == backlog.Linear && it.Origin.ID != "" {
		s.origins.note(ref.ID, it.Origin.ID)
		return it.Origin.ID, &it, nil
	}
	return backlog.TwinID(s.Site, ref.ID), &it, nil
}

func (s *Syncer) syncLocked(ctx context.Context, lease store.Lease, ref backlog.Ref, linkID string, prefetched *backlog.Item) (Result, error) {
	link, err := s.State.Link(ctx, linkID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return s.adopt(ctx, lease, ref, linkID, prefetched)
	case err != nil:
		return Result{}, fmt.Errorf("reading link %s: %w", linkID, err)
	}
	if link.Pending != "" {
		return s.finishCreate(ctx, lease, link)
	}
	return s.merge(ctx, lease, link, ref.Side)
}

// adopt handles a ref with no link: a Jira twin we created whose link was
// lost, or a new in-scope item that needs a twin.
func (s *Syncer) adopt(ctx context.Context, lease store.Lease, ref backlog.Ref, linkID string, prefetched *backlog.Item) (Result, error) {
	var src backlog.Item
	if prefetched != nil {
		src = *prefetched
	} else {
		var err error
		src, err = s.conn(ref.Side).Get(ctx, ref.ID)
		if errors.Is(err, connectors.ErrNotFound) {
			return Result{}, nil
		}
		if err != nil {
			return Result{}, fmt.Errorf("reading %s: %w", ref, err)
		}
	}
	now := s.now()
	if src.Ref.Side == backlog.Jira && src.Origin.Side == backlog.Linear && src.Origin.ID != "" {
		// A Jira twin of a Linear issue; the link is missing (lost after
		// the create). Link it again; with no base, the first merge
		// settles any difference by policy and logs it.
		link := backlog.Link{Jira: src.Ref, Linear: src.Origin, Created: now, Kind: src.Kind}
		// Its first merge cross-links the pair when the base was lost
		// too (idempotent: the links are keyed by the twin).
		if err := s.State.SaveLink(ctx, link); err != nil {
			return Result{}, fmt.Errorf("relinking %s: %w", src.Ref, err)
		}
		s.log().Info("relinked twin", "link", linkID, "jira", src.Ref.Key, "linear", src.Origin.ID)
		return s.merge(ctx, lease, link, "")
	}
	if sc := s.scope(src.Ref.Side); sc != nil {
		in, err := sc.InScope(ctx, src)
		if err != nil {
			return Result{}, fmt.Errorf("checking scope of %s: %w", src.Ref, err)
		}
		if !in {
			return Result{}, nil // not ours to sync
		}
	}
	if src.Archived {
		return Result{}, nil // an archived issue gets no twin
	}
	if s.Match.on() && src.Kind != backlog.KindEpic {
		ds, err := s.findTwins(ctx, []backlog.Item{src})
		if err != nil {
			return Result{}, err
		}
		if res, done, err := s.adoptMatch(ctx, lease, linkID, src, ds[0]); done {
			return res, err
		}
	}
	link := backlog.Link{Created: now, Kind: src.Kind}
	switch src.Ref.Side {
	case backlog.Jira:
		link.Jira = src.Ref
		link.Linear = backlog.Ref{Side: backlog.Linear, ID: linkID}
		link.Pending = backlog.Linear
	default:
		link.Linear = src.Ref
		link.Pending = backlog.Jira
	}
	// The pending link is saved before the create call, so a crash between
	// the two is resumed by finishCreate instead of creating again.
	if err := s.State.SaveLink(ctx, link); err != nil {
		return Result{}, fmt.Errorf("saving pending link %s: %w", linkID, err)
	}
	return s.create(ctx, lease, link, src)
}

// finishCreate resumes a pending link: the twin may or may not exist.
func (s *Syncer) finishCreate(ctx context.Context, lease store.Lease, link backlog.Link) (Result, error) {
	srcSide := link.Pending.Other()
	src, err := s.conn(srcSide).Get(ctx, link.Ref(srcSide).ID)
	if errors.Is(err, connectors.ErrNotFound) {
		// The source vanished before its twin was made: drop the link.
		if err := s.State.DeleteLink(ctx, link.ID()); err != nil {
			return Result{}, fmt.Errorf("dropping orphan link %s: %w", link.ID(), err)
		}
		return Result{}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("reading %s: %w", link.Ref(srcSide), err)
	}
	return s.create(ctx, lease, link, src)
}

func (s *Syncer) create(ctx context.Context, lease store.Lease, link backlog.Link, src backlog.Item) (Result, error) {
	twin, wait, err := s.twinOf(ctx, link, src)
	if err != nil || wait != nil {
		return *wait, err
	}
	ref, err := s.conn(link.Pending).Create(ctx, twin)
	if err != nil {
		return Result{}, fmt.Errorf("creating %s twin of %s: %w", link.Pending, src.Ref, err)
	}
	_, _, xw, err := s.created(ctx, lease, link, src, ref, nil, false)
	if err != nil {
		return Result{Writes: 1 + xw}, err
	}
	res := Result{Writes: 1 + xw, Created: 1}
	more, err := s.relationsToWrite(ctx, src)
	more = more || s.extrasToCopy(src)
	if err != nil || more {
		if err != nil {
			return res, err
		}
		return s.passAfterCreate(ctx, lease, link.ID(), res)
	}
	return res, nil
}

// twinOf is the item to create as src's twin on link's pending side. The
// parent travels as its link id: the twin gets its own side's id of the
// parent when the parent already has a twin there, else none yet (a later
// pass sets it). A parent with no twin is made first; when that pass has
// to wait, wait holds its result and the create waits too.
func (s *Syncer) twinOf(ctx context.Context, link backlog.Link, src backlog.Item) (twin backlog.Item, wait *Result, err error) {
	if isEpic(link, src) {
		epicItem(&src)
	}
	if s.syncsParent() && src.Parent != "" {
		p, err := s.canonParent(ctx, src.Ref.Side, src.Parent)
		if err != nil {
			return twin, &Result{}, err
		}
		if strings.HasPrefix(string(p), "?") {
			// The parent has no twin yet: make it first, since a tool may
			// not take a parent later (Jira: a sub-task is one from birth).
			if res, ok := s.syncParentFirst(ctx, backlog.Ref{Side: src.Ref.Side, ID: src.Parent}); !ok {
				return twin, &res, nil
			}
			if p, err = s.canonParent(ctx, src.Ref.Side, src.Parent); err != nil {
				return twin, &Result{}, err
			}
		}
		src.Parent = string(p)
	}
	twin = src
	twin.Relations = nil // added by the pass after the create
	twin.Rank = s.birthRank(link.Pending, src)
	if src.Sprint != "" {
		if err := s.ensureSprints(ctx, backlog.Value(src.Sprint)); err != nil {
			return twin, &Result{}, err
		}
		twin.Sprint = string(s.toSide(link.Pending, backlog.Sprint, backlog.Value(src.Sprint)))
	}
	twin.Origin = src.Ref
	twin.Ref = backlog.Ref{Side: link.Pending}
	if link.Pending == backlog.Linear {
		twin.Ref.ID = link.Linear.ID
	}
	if twin.Parent != "" {
		local, ok, err := s.localParent(ctx, link.Pending, backlog.Value(twin.Parent))
		if err != nil {
			return twin, &Result{}, err
		}
		if !ok {
			local = ""
		}
		twin.Parent = local
	}
	return twin, nil, nil
}

// created completes link once src's twin ref exists: the twins
// cross-linked, the link saved, then the base (from the twin as read back;
// read here when twin is nil). It returns the twin, whether it differs
// from src (a field its create could not set) and the cross-link writes. The
// cross-links come before the link leaves pending, so a failure there is
// resumed by finishCreate (the create is idempotent) and links them again.
func (s *Syncer) created(ctx context.Context, lease store.Lease, link backlog.Link, src backlog.Item, ref backlog.Ref, twin *backlog.Item, crossLinked bool) (backlog.Item, bool, int, error) {
	link = filled(link, ref)
	var xw int
	if !crossLinked {
		var err error
		if xw, err = s.crossLink(ctx, link); err != nil {
			return backlog.Item{}, false, xw, err
		}
	}
	link.Pending = ""
	if err := s.State.SaveLink(ctx, link); err != nil {
		return backlog.Item{}, false, xw, fmt.Errorf("saving link %s: %w", link.ID(), err)
	}
	if twin == nil {
		t, err := s.conn(ref.Side).Get(ctx, ref.ID)
		if err != nil {
			return backlog.Item{}, false, xw, fmt.Errorf("reading new twin %s: %w", ref, err)
		}
		twin = &t
	}
	base, differs, err := s.createdBase(ctx, src, *twin)
	if err != nil {
		return backlog.Item{}, false, xw, err
	}
	if err := s.State.SaveBase(ctx, lease, link.ID(), base); err != nil {
		return backlog.Item{}, false, xw, fmt.Errorf("saving base of %s: %w", link.ID(), err)
	}
	s.log().Info("created twin", "link", link.ID(), "from", src.Ref, "to", ref, "jira", link.Jira.Key, "linear", link.Linear.Key)
	s.emit(Event{Kind: EventCreated, LinkID: link.ID(), Jira: link.Jira, Linear: link.Linear, To: ref.Side})
	return *twin, differs, xw, nil
}

// birthRank is the rank a new twin on side to is created with: a Linear
// sortOrder at its Jira source's place when Jira leads the order, else
// none (the tool places it; the order pass moves it).
func (s *Syncer) birthRank(to backlog.Side, src backlog.Item) string {
	if s.OrderMaster != backlog.Jira || to != backlog.Linear || src.Ref.Side != backlog.Jira {
		return ""
	}
	pos, ok := backlog.LexoRankPosition(src.Rank)
	if !ok {
		return ""
	}
	// Spread so that neighbouring Jira ranks (six base-36 digits and a
	// suffix) stay far apart in float64 sortOrders.
	return strconv.FormatFloat(pos*birthRankScale, 'f', -1, 64)
}

// birthRankScale maps a LexoRank position (0 to 10) to sortOrders: ranks
// one apart in their sixth digit land about 0.5 apart, in their seventh
// 0.01, far above Linear's smallest gap the Move midpoints use.
const birthRankScale = 1e9

// filled is link with the ref of its twin just made.
func filled(link backlog.Link, ref backlog.Ref) backlog.Link {
	if link.Pending == backlog.Jira {
		link.Jira = ref
	} else {
		link.Linear.Key = ref.Key
	}
	return link
}

// merge is the pass of a linked pair. trigger names the side whose change
// started it ("" when unknown): that side is read first, and when it holds
// what the base says the pass ends there (see quiet).
func (s *Syncer) merge(ctx context.Context, lease store.Lease, link backlog.Link, trigger backlog.Side) (Result, error) {
	return s.mergeKnown(ctx, lease, link, trigger)
}

// mergeKnown is merge with items already read (just now, under the
// lease): those sides are not read again.
func (s *Syncer) mergeKnown(ctx context.Context, lease store.Lease, link backlog.Link, trigger backlog.Side, known ...backlog.Item) (Result, error) {
	if link.Stopped == UnlinkedByHand {
		return Result{}, nil // a person undid the pair: nothing to read
	}
	pre := known
	if trigger != "" && link.Stopped == "" {
		done, it, err := s.quiet(ctx, lease, link, trigger)
		if err != nil || done {
			return Result{}, err
		}
		if it != nil {
			pre = append(pre, *it)
		}
	}
	read := func(side backlog.Side) (backlog.Item, error) {
		for _, p := range pre {
			if p.Ref.Side == side {
				return p, nil
			}
		}
		it, err := s.conn(side).Get(ctx, link.Ref(side).ID)
		if err != nil && !errors.Is(err, connectors.ErrNotFound) {
			return it, fmt.Errorf("reading %s issue %s: %w", side, link.Ref(side).ID, err)
		}
		return it, err
	}
	jira, jerr := read(backlog.Jira)
	if jerr != nil && !errors.Is(jerr, connectors.ErrNotFound) {
		return Result{}, jerr
	}
	linear, lerr := read(backlog.Linear)
	if lerr != nil && !errors.Is(lerr, connectors.ErrNotFound) {
		return Result{}, lerr
	}
	// Deleted, archived or out of scope: the pair stops syncing (and a
	// deletion may be mirrored); back in scope, it resumes.
	stop, writes, err := s.stopReason(ctx, link, jira, jerr, linear, lerr)
	if err != nil {
		return Result{Writes: writes}, err
	}
	if stop != link.Stopped {
		if stop == "" {
			s.log().Info("pair syncs again", "link", link.ID(), "jira", link.Jira.Key, "linear", link.Linear.Key, "was", link.Stopped)
		} else {
			s.log().Warn("pair stops syncing; link kept", "link", link.ID(), "jira", link.Jira.Key, "linear", link.Linear.Key, "why", stop)
		}
		link.Stopped = stop
		if err := s.State.SaveLink(ctx, link); err != nil {
			return Result{Writes: writes}, fmt.Errorf("marking link %s: %w", link.ID(), err)
		}
	}
	if stop != "" {
		return Result{Writes: writes}, nil
	}
	base, err := s.State.Base(ctx, link.ID())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Result{}, fmt.Errorf("reading base of %s: %w", link.ID(), err)
	}
	// A pair's first merge (a match, a link made by hand, a relink after
	// the store was lost) cross-links its twins; the base saved below
	// makes it the only one. A failure fails the pass, which runs again.
	var crossWrites int
	if base == nil {
		if crossWrites, err = s.crossLink(ctx, link); err != nil {
			return Result{Writes: crossWrites}, err
		}
	}
	held, settled, err := s.linkConflicts(ctx, link.ID())
	if err != nil {
		return Result{}, err
	}
	epic := isEpic(link)
	if epic {
		epicItem(&jira)
		epicItem(&linear)
	}
	if err := s.canonParents(ctx, &jira, &linear); err != nil {
		return Result{}, err
	}
	if err := s.ensureSprints(ctx, backlog.Value(jira.Sprint), backlog.Value(linear.Sprint), base[backlog.Sprint]); err != nil {
		return Result{}, err
	}
	relWait, err := s.canonBothRelations(ctx, &jira, &linear)
	if err != nil {
		return Result{}, err
	}
	pj, pl := s.projectors()
	if epic {
		pj, pl = epicProjector(pj), epicProjector(pl)
	}
	mj, ml, moved := s.sprintInputs(base, jira, linear, pj, pl)
	in := Input{
		Fields: s.fields(), Base: base, Jira: mj, Linear: ml,
		ProjectJira: pj, ProjectLinear: pl,
		Policies: s.Policies, Directions: s.Directions, Held: held, Now: s.now(),
	}
	first := base == nil
	if first && s.FirstSync.Valid() {
		in.Policies = Policies{Default: s.FirstSync}
	}
	out := Merge(in)
	if len(out.Conflicts) > 0 && (s.JiraHistory != nil || s.LinearHistory != nil) {
		// Conflicts record (and `newest` decides by) when each side changed
		// that very field: ask the histories, then decide again.
		in.JiraChanges = s.changes(ctx, s.JiraHistory, link.Jira.ID, out.Conflicts)
		in.LinearChanges = s.changes(ctx, s.LinearHistory, link.Linear.ID, out.Conflicts)
		out = Merge(in)
	}
	// A person's decision on a conflict: its value goes to both sides.
	for _, c := range settled {
		for _, side := range []backlog.Side{backlog.Jira, backlog.Linear} {
			it, proj, patch := jira, pj, out.Patch(side)
			if side == backlog.Linear {
				it, proj = linear, pl
			}
			cur := it.Get(c.Field)
			if proj(c.Field, c.Value) == cur {
				continue
			}
			switch c.Field {
			case backlog.Labels:
				patch[c.Field] = backlog.LabelPatch(cur, proj(c.Field, c.Value))
			case backlog.Relations:
				patch[c.Field] = backlog.SetPatch(cur, c.Value)
			default:
				patch[c.Field] = c.Value
			}
		}
		out.Base[c.Field] = c.Value
	}
	wait, err := s.localParents(ctx, &out, base)
	if err != nil {
		return Result{}, err
	}
	if rw, err := s.localRelations(ctx, &out); err != nil {
		return Result{}, err
	} else if rw {
		// A relation could not be written yet: keep the old base, so the
		// next pass sees the difference again rather than a removal.
		if b, had := base[backlog.Relations]; had {
			out.Base[backlog.Relations] = b
		} else {
			delete(out.Base, backlog.Relations)
		}
		relWait = true
	}
	wait = wait || relWait
	s.sprintCatchUp(&out, moved, jira, linear, pj, pl)
	res := Result{Writes: crossWrites}
	pairs, cw, err := s.syncComments(ctx, link, base[backlog.Comments], jira, linear)
	res.Writes += cw
	if err != nil {
		return res, err
	}
	if pairs != "" {
		out.Base[backlog.Comments] = pairs
	}
	files, fw, err := s.syncFiles(ctx, link, base[backlog.Attachments], jira, linear)
	res.Writes += fw
	if err != nil {
		return res, err
	}
	if files != "" {
		out.Base[backlog.Attachments] = files
	} else {
		delete(out.Base, backlog.Attachments)
	}
	// The versions read, so a later report of the same version skips the
	// pass (a write below makes a new version on the side written: its
	// echo then costs one read, in quiet).
	for _, it := range []backlog.Item{jira, linear} {
		if v := versionOf(it); v != "" {
			out.Base[versionKey(it.Ref.Side)] = backlog.Value(v)
		}
	}
	if wait {
		res.RequeueAfter = unresolvedRetry
	}
	if !out.Changed(base) && len(out.Conflicts) == 0 && len(settled) == 0 {
		if len(out.Primaries) > 0 {
			sub := s.syncPrimaries(ctx, out.Primaries)
			res.Writes += sub.Writes
			res.RequeueAfter = max(res.RequeueAfter, sub.RequeueAfter)
		}
		return res, nil // nothing to write (comments aside: cw counted above)
	}
	for _, c := range out.Conflicts {
		if first {
			c.Note = "first sync of the pair: the sides differed"
		}
		id, err := s.State.AddConflict(ctx, c)
		if err != nil {
			return Result{}, fmt.Errorf("logging conflict on %s of %s: %w", c.Field, link.ID(), err)
		}
		c.ID = id
		s.log().Info("conflict", "link", link.ID(), "jira", link.Jira.Key, "linear", link.Linear.Key,
			"field", c.Field, "policy", c.Policy, "decision", c.Decision, "conflict", id)
		s.emit(Event{Kind: EventConflict, LinkID: link.ID(), Jira: link.Jira, Linear: link.Linear, Conflict: &c})
	}
	for _, side := range []backlog.Side{backlog.Jira, backlog.Linear} {
		p := out.Patch(side)
		if len(p) == 0 {
			continue
		}
		for _, f := range []backlog.Field{backlog.Status, backlog.Sprint} {
			if v, ok := p[f]; ok {
				p[f] = s.toSide(side, f, v)
			}
		}
		if err := s.conn(side).Apply(ctx, link.Ref(side).ID, p); err != nil {
			var refused *connectors.RefusedError
			if !errors.As(err, &refused) {
				return res, fmt.Errorf("writing %v to %s: %w", p.Fields(), link.Ref(side), err)
			}
			// The other fields were written; the refused ones wait, as
			// open conflicts, for a person.
			res.Writes++
			if err := s.recordRefusal(ctx, link, side, refused, jira, linear, base, &out); err != nil {
				return res, err
			}
			continue
		}
		res.Writes++
		s.log().Info("propagated", "link", link.ID(), "jira", link.Jira.Key, "linear", link.Linear.Key, "to", side, "fields", p.Fields())
		src := jira.UpdatedAt
		if side == backlog.Jira {
			src = linear.UpdatedAt
		}
		s.emit(Event{Kind: EventPatched, LinkID: link.ID(), Jira: link.Jira, Linear: link.Linear, To: side, Fields: p.Fields(), SourceUpdated: src})
	}
	if err := s.State.SaveBase(ctx, lease, link.ID(), out.Base); err != nil {
		return res, fmt.Errorf("saving base of %s: %w", link.ID(), err)
	}
	if len(out.Primaries) > 0 {
		sub := s.syncPrimaries(ctx, out.Primaries)
		res.Writes += sub.Writes
		res.RequeueAfter = max(res.RequeueAfter, sub.RequeueAfter)
	}
	for _, c := range settled {
		c.Applied = true
		if err := s.State.UpdateConflict(ctx, c); err != nil {
			return res, fmt.Errorf("marking conflict %s applied: %w", c.ID, err)
		}
		s.log().Info("conflict decision applied", "link", link.ID(), "conflict", c.ID, "field", c.Field, "took", c.Took, "by", c.SettledBy)
	}
	return res, nil
}

// linkConflicts returns the fields of a link held by an open conflict and
// the settled decisions not yet written to both sides (the newest per
// field). Both wait in the conflict log between passes.
func (s *Syncer) linkConflicts(ctx context.Context, linkID string) (map[backlog.Field]bool, []backlog.Conflict, error) {
	cs, err := s.State.Conflicts(ctx, store.ConflictFilter{LinkID: linkID})
	if err != nil {
		return nil, nil, fmt.Errorf("reading conflicts of %s: %w", linkID, err)
	}
	held := map[backlog.Field]bool{}
	var settled []backlog.Conflict
	seen := map[backlog.Field]bool{}
	for _, c := range cs { // newest first
		switch {
		case c.Open():
			held[c.Field] = true
		case !c.Applied && !seen[c.Field] && !held[c.Field]:
			settled = append(settled, c)
			held[c.Field] = true // the decision, not the merge, sets it
		}
		seen[c.Field] = true
	}
	return held, settled, nil
}

// createdBase is the base of a fresh link: the source's values, except
// where the twin could not take them (a status no transition reaches): there
// the base is the twin's own value, so the next pass sees the source as
// changed and tries again, rather than taking the twin's value for an edit.
func (s *Syncer) createdBase(ctx context.Context, src, twin backlog.Item) (base backlog.Snapshot, differs bool, err error) {
	epic := isEpic(backlog.Link{}, src, twin)
	if epic {
		epicItem(&src)
		epicItem(&twin)
	}
	base = src.Snapshot(s.fields())
	twinRef := twin.Ref
	if s.syncsParent() && twin.Parent != "" {
		p, err := s.canonParent(ctx, twinRef.Side, twin.Parent)
		if err != nil {
			return nil, false, err
		}
		twin.Parent = string(p)
	}
	if s.syncsRelations() {
		// A twin is made without relations; the pass that follows the
		// create adds them (see relationsToWrite).
		twin.Relations = slices.Clone(twin.Relations)
		if _, _, err := s.canonRelations(ctx, &twin); err != nil {
			return nil, false, err
		}
		base[backlog.Relations] = twin.Get(backlog.Relations)
	}
	pj, pl := s.projectors()
	if epic {
		pj, pl = epicProjector(pj), epicProjector(pl)
	}
	project := pj
	if twinRef.Side == backlog.Linear {
		project = pl
	}
	for _, it := range []backlog.Item{src, twin} {
		if v := versionOf(it); v != "" {
			base[versionKey(it.Ref.Side)] = backlog.Value(v)
		}
		if s.syncsSprint() {
			base[sprintSeenKey(it.Ref.Side)] = backlog.Value(it.Sprint)
		}
	}
	for _, f := range s.fields() {
		if tv := twin.Get(f); tv != project(f, base[f]) {
			if f != backlog.Parent {
				// A bulk create cannot set everything (Jira's status
				// needs a transition): the pair's next merge carries it.
				s.log().Debug("twin differs from its source after create", "field", f, "source", src.Ref, "twin", twinRef)
				differs = true
			}
			base[f] = tv
		}
	}
	return base, differs, nil
}

// changes asks one side's history about the conflicting fields. A history
// that fails is logged and left out: the item's updated time stands in.
func (s *Syncer) changes(ctx context.Context, h connectors.History, id string, cs []backlog.Conflict) map[backlog.Field]backlog.Change {
	if h == nil {
		return nil
	}
	out := map[backlog.Field]backlog.Change{}
	for _, c := range cs {
		ch, err := h.FieldChange(ctx, id, c.Field)
		if err != nil {
			s.log().Warn("reading field history", "id", id, "field", c.Field, "err", err)
			continue
		}
		out[c.Field] = ch
	}
	return out
}

// stopReason says why a pair must not sync now ("" when it may), mirroring
// a deletion first when the mapping says so.
func (s *Syncer) stopReason(ctx context.Context, link backlog.Link, jira backlog.Item, jerr error, linear backlog.Item, lerr error) (string, int, error) {
	jGone, lGone := jerr != nil, lerr != nil
	switch {
	case jGone && lGone:
		return "deleted in both tools", 0, nil
	case jGone || lGone:
		gone, other, otherID, del := backlog.Jira, backlog.Linear, link.Linear.ID, s.LinearDeleter
		if lGone {
			gone, other, otherID, del = backlog.Linear, backlog.Jira, link.Jira.ID, s.JiraDeleter
		}
		if s.Deleted == "mirror" && del != nil {
			if err := del.Delete(ctx, otherID); err != nil {
				return "", 0, fmt.Errorf("mirroring the deletion to %s %s: %w", other, otherID, err)
			}
			return "deleted in " + string(gone) + ", mirrored", 1, nil
		}
		return "deleted in " + string(gone), 0, nil
	case linear.Archived:
		return "archived in linear", 0, nil
	}
	for _, c := range []struct {
		side  backlog.Side
		scope connectors.Scoper
		it    backlog.Item
	}{{backlog.Jira, s.JiraScope, jira}, {backlog.Linear, s.LinearScope, linear}} {
		if c.scope == nil {
			continue
		}
		in, err := c.scope.InScope(ctx, c.it)
		if err != nil {
			return "", 0, fmt.Errorf("checking scope of %s: %w", c.it.Ref, err)
		}
		if !in {
			return "out of scope in " + string(c.side), 0, nil
		}
	}
	return "", 0, nil
}

func (s *Syncer) scope(side backlog.Side) connectors.Scoper {
	if side == backlog.Jira {
		return s.JiraScope
	}
	return s.LinearScope
}

// recordRefusal logs an open conflict for each field a tool refused and
// keeps those fields' old base, so they stay unsynced (held) until a person
// settles them.
func (s *Syncer) recordRefusal(ctx context.Context, link backlog.Link, side backlog.Side, refused *connectors.RefusedError, jira, linear backlog.Item, base backlog.Snapshot, out *Output) error {
	for _, f := range refused.Fields {
		if b, ok := base[f]; ok {
			out.Base[f] = b
		} else {
			delete(out.Base, f)
		}
		c := backlog.Conflict{
			LinkID: link.ID(), Jira: link.Jira, Linear: link.Linear, Field: f, Base: base[f],
			JiraVal: jira.Get(f), LinVal: linear.Get(f), JiraAt: jira.UpdatedAt, LinearAt: linear.UpdatedAt,
			Policy: backlog.PolicyManual, At: s.now(),
			Note: string(side) + " refused the value: " + refused.Error(),
		}
		id, err := s.State.AddConflict(ctx, c)
		if err != nil {
			return fmt.Errorf("logging the refusal of %s on %s: %w", f, link.ID(), err)
		}
		c.ID = id
		s.log().Warn("a tool refused a value; held for a person", "link", link.ID(), "jira", link.Jira.Key, "linear", link.Linear.Key,
			"side", side, "field", f, "conflict", id, "err", refused.Err)
		s.emit(Event{Kind: EventConflict, LinkID: link.ID(), Jira: link.Jira, Linear: link.Linear, Conflict: &c})
	}
	return nil
}

type parentDepthKey struct{}

// syncParentFirst runs the pass of a new item's parent before the item's
// own twin is made. ok is false when the item must wait (the parent's link
// is busy): res then asks for a retry.
func (s *Syncer) syncParentFirst(ctx context.Context, parent backlog.Ref) (Result, bool) {
	depth, _ := ctx.Value(parentDepthKey{}).(int)
	if depth >= 5 {
		return Result{}, true // a deep chain: create without, set later
	}
	res, err := s.Sync(context.WithValue(ctx, parentDepthKey{}, depth+1), parent)
	if err != nil {
		s.log().Warn("syncing a parent before its child", "parent", parent, "err", err)
		return Result{}, true
	}
	if res.RequeueAfter > 0 {
		return Result{RequeueAfter: res.RequeueAfter}, false
	}
	return Result{}, true
}
