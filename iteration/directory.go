package iteration

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SprintSource lists the open (active and future) sprints of the Jira
// project. reload asks for a fresh read; otherwise a cached list will do.
type SprintSource interface {
	Sprints(ctx context.Context, reload bool) ([]Sprint, error)
}

// CycleSource lists the Linear team's cycles and creates new ones.
type CycleSource interface {
	Cycles(ctx context.Context, reload bool) ([]Cycle, error)
	CreateCycle(ctx context.Context, name string, start, end time.Time) (Cycle, error)
}

// Default timings of a Directory.
const (
	DefaultReload = 10 * time.Minute // the lists are read again when older, on use
	DefaultRetry  = 10 * time.Second // the least time between two fresh reads
)

// Directory keeps the sprint and cycle lists and their pairing. It reads
// the lists only when asked about names (Ensure), so an idle daemon makes
// no calls: first from the sources' caches, then afresh when a name is
// neither a sprint nor a cycle it knows (at most once per Retry: a name
// met sooner arms one read for when it is up; a name still unknown after
// a read, such as a closed sprint's, is not asked about again until the
// next) or when the lists are older than Reload. OnChange hears of the
// pairs a fresh read makes, so their items can sync again. With CreateCycles, an open sprint with
// dates and no cycle gets one (cycleCreate with its name and dates);
// otherwise, or when that fails, it is reported once.
type Directory struct {
	Jira         SprintSource
	Linear       CycleSource
	Table        map[string]string // the mapping's sprints: table, sprint → cycle
	CreateCycles bool
	Reload       time.Duration // default DefaultReload
	Retry        time.Duration // default DefaultRetry
	Now          func() time.Time
	Log          *slog.Logger
	// OnChange, when set, is told the sprint and cycle names of the pairs
	// a fresh read made or changed (not the first read's), so items
	// already in them can be synced again: an issue in a sprint whose
	// cycle was just made joins it. It runs in its own goroutine.
	OnChange func(ctx context.Context, names []string)

	mu       sync.Mutex
	pairing  Pairing
	loaded   time.Time // when the lists were last read afresh (or first)
	tried    time.Time // the last fresh read
	ready    bool
	reported map[string]bool // sprints reported (or tried) once
	missing  map[string]bool // lower-case names unknown after a fresh read
	timer    *time.Timer     // a fresh read armed by later
	pend     []string        // the names that armed it
	stopped  bool
	bg       sync.WaitGroup // later's reads and OnChange calls in flight
	loadMu   sync.Mutex     // one load at a time
}

func (d *Directory) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Directory) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.Default()
}

func durOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Pairing is the current pairing (empty before the first Ensure).
func (d *Directory) Pairing() Pairing {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pairing
}

// Ensure makes the pairing current enough for names (sprint or cycle
// names an item holds; "" is ignored): it loads the lists on first use,
// and reads them afresh when a name is unknown or they are old.
func (d *Directory) Ensure(ctx context.Context, names ...string) error {
	d.mu.Lock()
	ready, p, missing := d.ready, d.pairing, d.missing
	now := d.now()
	canRetry := now.Sub(d.tried) >= durOr(d.Retry, DefaultRetry)
	stale := now.Sub(d.loaded) >= durOr(d.Reload, DefaultReload)
	d.mu.Unlock()
	asked := false
	for _, n := range names {
		asked = asked || n != ""
	}
	if !asked {
		return nil // nothing to translate: no reason to read
	}
	if !ready {
		// First use: the lists the sources hold already; a name still
		// unknown then asks for a fresh read below.
		if err := d.load(ctx, false); err != nil {
			return err
		}
		d.mu.Lock()
		p, missing = d.pairing, d.missing
		d.mu.Unlock()
		stale = false
	}
	var unknown []string
	for _, n := range names {
		if n != "" && !p.Knows(n) && !missing[strings.ToLower(n)] {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) == 0 && !stale {
		return nil
	}
	if !canRetry {
		if len(unknown) > 0 {
			d.later(ctx, unknown) // read afresh once the Retry is up
		}
		return nil
	}
	return d.fresh(ctx, unknown)
}

// fresh reads the lists afresh; names still unknown after that (a closed
// sprint, a typo) do not ask again until the lists are old.
func (d *Directory) fresh(ctx context.Context, unknown []string) error {
	if err := d.load(ctx, true); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, n := range unknown {
		if !d.pairing.Knows(n) {
			if d.missing == nil {
				d.missing = map[string]bool{}
			}
			d.missing[strings.ToLower(n)] = true
		}
	}
	return nil
}

// later arms one fresh read for when the Retry since the last is up, for
// names met too soon after it (their items then sync again through
// OnChange once the read pairs them).
func (d *Directory) later(ctx context.Context, unknown []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	if d.timer != nil {
		d.pend = append(d.pend, unknown...)
		return
	}
	d.pend = append([]string(nil), unknown...)
	wait := durOr(d.Retry, DefaultRetry) - d.now().Sub(d.tried)
	bg := context.WithoutCancel(ctx)
	d.bg.Add(1)
	d.timer = time.AfterFunc(max(wait, 0), func() {
		defer d.bg.Done()
		d.mu.Lock()
		names, stopped := d.pend, d.stopped
		d.timer, d.pend = nil, nil
		d.mu.Unlock()
		if stopped {
			return
		}
		if err := d.fresh(bg, names); err != nil {
			d.log().Warn("reading sprints and cycles", "err", err)
		}
	})
}

// Stop cancels an armed read and waits for reads and OnChange calls in
// flight; none start after it.
func (d *Directory) Stop() {
	d.mu.Lock()
	d.stopped = true
	if d.timer != nil && d.timer.Stop() {
		d.timer = nil
		d.bg.Done() // its function will not run
	}
	d.mu.Unlock()
	d.bg.Wait()
}

// load reads both lists, pairs them, creates or reports missing cycles.
func (d *Directory) load(ctx context.Context, reload bool) error {
	d.loadMu.Lock()
	defer d.loadMu.Unlock()
	d.mu.Lock()
	done := (!reload && d.ready) || (reload && d.now().Sub(d.tried) < durOr(d.Retry, DefaultRetry))
	if !done && reload {
		d.tried = d.now() // the first read is from the sources' caches: no fresh read spent
	}
	d.mu.Unlock()
	if done {
		return nil // another pass just read them
	}
	sprints, err := d.Jira.Sprints(ctx, reload)
	if err != nil {
		return fmt.Errorf("listing jira sprints: %w", err)
	}
	cycles, err := d.Linear.Cycles(ctx, reload)
	if err != nil {
		return fmt.Errorf("listing linear cycles: %w", err)
	}
	now := d.now()
	p := Match(sprints, cycles, d.Table, now)
	created := false
	for _, s := range p.Unmatched {
		// Once per sprint as it stands: given dates later, it is looked at
		// again.
		key := strconv.FormatInt(s.ID, 10) + "\x00" + s.Name + "\x00" + s.Start.String() + "\x00" + s.End.String()
		d.mu.Lock()
		seen := d.reported[key]
		if d.reported == nil {
			d.reported = map[string]bool{}
		}
		d.reported[key] = true
		d.mu.Unlock()
		if seen {
			continue
		}
		switch {
		case d.CreateCycles && s.Dated() && s.End.After(now):
			c, err := d.Linear.CreateCycle(ctx, s.Name, s.Start, s.End)
			if err != nil {
				d.log().Warn("linear: could not create a cycle for the jira sprint; its issues get no cycle", "sprint", s.Name, "err", err)
				continue
			}
			d.log().Info("linear: created a cycle for the jira sprint", "sprint", s.Name, "cycle", c.Name)
			cycles = append(cycles, c)
			created = true
		case d.CreateCycles:
			d.log().Warn("jira sprint has no dates and no upcoming linear cycle pairs with it by order; its issues get no cycle until it is scheduled", "sprint", s.Name)
		default:
			d.log().Warn("jira sprint has no linear cycle (none overlaps its dates); its issues get no cycle. Set linear.create_cycles or pair it in the mapping's sprints: table",
				"sprint", s.Name)
		}
	}
	if created {
		p = Match(sprints, cycles, d.Table, now)
	}
	d.mu.Lock()
	old, wasReady := d.pairing, d.ready
	d.pairing, d.ready = p, true
	if reload || d.loaded.IsZero() {
		d.loaded = now
	}
	if reload {
		d.missing = nil
	}
	d.mu.Unlock()
	if names := changedPairs(old, p); wasReady && len(names) > 0 && d.OnChange != nil {
		d.mu.Lock()
		stopped := d.stopped
		if !stopped {
			d.bg.Add(1)
		}
		d.mu.Unlock()
		if !stopped {
			d.log().Info("sprint ⇄ cycle pairs changed; their items sync again", "names", names)
			go func() {
				defer d.bg.Done()
				d.OnChange(context.WithoutCancel(ctx), names)
			}()
		}
	}
	return nil
}

// changedPairs lists the sprint and cycle names of the pairs in p that are
// not in old, or paired differently there, and of old's pairs gone from p.
func changedPairs(old, p Pairing) []string {
	key := func(pr Pair) string { return strings.ToLower(pr.Sprint.Name) + "\x00" + strings.ToLower(pr.Cycle.Name) }
	had, has := map[string]Pair{}, map[string]Pair{}
	for _, pr := range old.Pairs {
		had[key(pr)] = pr
	}
	for _, pr := range p.Pairs {
		has[key(pr)] = pr
	}
	seen := map[string]bool{}
	var names []string
	addPair := func(pr Pair) {
		for _, n := range []string{pr.Sprint.Name, pr.Cycle.Name} {
			if !seen[strings.ToLower(n)] {
				seen[strings.ToLower(n)] = true
				names = append(names, n)
			}
		}
	}
	for _, pr := range p.Pairs {
		if _, ok := had[key(pr)]; !ok {
			addPair(pr)
		}
	}
	for _, pr := range old.Pairs {
		if _, ok := has[key(pr)]; !ok {
			addPair(pr)
		}
	}
	return names
}
