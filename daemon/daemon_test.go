package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/budget"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/reconcile"
	"github.com/tandem-sync/tandem/store"
	"github.com/tandem-sync/tandem/store/embedded"
)

// hooks parses bodies of the form "id ref ref..." and knows two failures.
type hooks struct{}

func (hooks) ParseWebhook(h http.Header, body []byte, _ time.Time) (connectors.Delivery, error) {
	if h.Get("X-Sig") != "ok" {
		return connectors.Delivery{}, fmt.Errorf("bad signature: %w", connectors.ErrUnauthorized)
	}
	parts := strings.Fields(string(body))
	if len(parts) == 0 {
		return connectors.Delivery{}, fmt.Errorf("empty body: %w", connectors.ErrBadRequest)
	}
	d := connectors.Delivery{ID: parts[0]}
	for _, p := range parts[1:] {
		r, err := backlog.ParseRef(p)
		if err != nil {
			return connectors.Delivery{}, fmt.Errorf("%v: %w", err, connectors.ErrBadRequest)
		}
		d.Refs = append(d.Refs, r)
	}
	return d, nil
}

// recorder is a Syncer that records refs and fails as told.
type recorder struct {
	mu    sync.Mutex
	refs  []string
	fails map[string]error
}

func (r *recorder) Sync(_ context.Context, ref backlog.Ref) (reconcile.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refs = append(r.refs, ref.String())
	if err, ok := r.fails[ref.String()]; ok {
		delete(r.fails, ref.String())
		return reconcile.Result{}, err
	}
	return reconcile.Result{}, nil
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.refs...)
}

// pager is a Connector whose Changed serves fixed pages.
type pager struct {
	side  backlog.Side
	mu    sync.Mutex
	pages map[string]connectors.Page
}

func (p *pager) Side() backlog.Side { return p.side }
func (p *pager) Changed(_ context.Context, cursor string) (connectors.Page, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pg, ok := p.pages[cursor]; ok {
		return pg, nil
	}
	return connectors.Page{Next: cursor}, nil
}
func (p *pager) Get(context.Context, string) (backlog.Item, error) {
	return backlog.Item{}, connectors.ErrNotFound
}
func (p *pager) Create(context.Context, backlog.Item) (backlog.Ref, error) {
	return backlog.Ref{}, errors.New("not used")
}
func (p *pager) Apply(context.Context, string, backlog.Patch) error     { return errors.New("not used") }
func (p *pager) Project(_ backlog.Field, v backlog.Value) backlog.Value { return v }

func newDaemon(t *testing.T, st store.State, s Syncer, jira, linear *pager) *Daemon {
	t.Helper()
	if jira == nil {
		jira = &pager{side: backlog.Jira}
	}
	if linear == nil {
		linear = &pager{side: backlog.Linear}
	}
	return &Daemon{
		Syncer: s, State: st,
		Jira:      Side{Conn: jira, Hooks: hooks{}},
		Linear:    Side{Conn: linear, Hooks: hooks{}},
		PollEvery: 20 * time.Millisecond,
		Log:       slog.New(slog.DiscardHandler),
	}
}

func openStore(t *testing.T) store.State {
	t.Helper()
	st, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func post(t *testing.T, h http.Handler, path, sig, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("X-Sig", sig)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func TestWebhookAnswers(t *testing.T) {
	st := openStore(t)
	d := newDaemon(t, st, &recorder{}, nil, nil)
	h := d.Handler()
	cases := []struct {
		name, path, sig, body string
		want                  int
	}{
		{"bad signature", "/webhooks/jira", "bad", "d1 jira:1", http.StatusUnauthorized},
		{"malformed", "/webhooks/jira", "ok", "", http.StatusBadRequest},
		{"bad ref", "/webhooks/linear", "ok", "d2 nope", http.StatusBadRequest},
		{"good", "/webhooks/jira", "ok", "d3 jira:10001", http.StatusOK},
		{"good linear", "/webhooks/linear", "ok", "d4 linear:abc", http.StatusOK},
	}
	for _, tc := range cases {
		if code, body := post(t, h, tc.path, tc.sig, tc.body); code != tc.want {
			t.Errorf("%s: status %d (%s), want %d", tc.name, code, body, tc.want)
		}
	}
	dirty, err := st.Dirty(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(dirty) != 2 || dirty["jira:10001"] == 0 || dirty["linear:abc"] == 0 {
		t.Fatalf("dirty = %v, want exactly the two accepted refs", dirty)
	}
	// A redelivery (same id) is acknowledged without new work.
	seq := dirty["jira:10001"]
	if code, body := post(t, h, "/webhooks/jira", "ok", "d3 jira:10001"); code != 200 || !strings.Contains(body, "duplicate") {
		t.Fatalf("redelivery: %d %q", code, body)
	}
	dirty, _ = st.Dirty(t.Context())
	if dirty["jira:10001"] != seq {
		t.Fatal("a duplicate delivery marked the key again")
	}
	if s := d.Stats(); s.Deliveries != 3 || s.Duplicates != 1 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestWebhookUnavailableStoreIs503(t *testing.T) {
	st, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d := newDaemon(t, st, &recorder{}, nil, nil)
	st.Close() // the store is gone: the delivery must not be acknowledged
	if code, _ := post(t, d.Handler(), "/webhooks/jira", "ok", "d1 jira:1"); code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", code)
	}
}

// TestRunReplaysAndClears: keys left dirty by an earlier run are synced at
// start; a transient failure is retried, a permanent one is dropped; every
// mark is cleared once served.
func TestRunReplaysAndClears(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	for _, k := range []string{"jira:1", "linear:2", "jira:3"} {
		if _, err := st.MarkDirty(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	rec := &recorder{fails: map[string]error{
		"jira:1": errors.New("timeout"),
		"jira:3": connectors.Permanent(errors.New("no transition")),
	}}
	d := newDaemon(t, st, rec, nil, nil)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		dirty, _ := st.Dirty(ctx)
		if len(dirty) == 0 && d.Idle() {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	dirty, _ := st.Dirty(ctx)
	if len(dirty) != 0 {
		t.Fatalf("still dirty: %v", dirty)
	}
	count := map[string]int{}
	for _, r := range rec.seen() {
		count[r]++
	}
	if count["jira:1"] != 2 || count["linear:2"] != 1 || count["jira:3"] != 1 {
		t.Fatalf("passes = %v, want jira:1 twice (retried), the others once", count)
	}
}

// TestPollMarksThenAdvances: the poller marks a page's refs dirty, then
// saves the cursor, and follows More to the next page.
func TestPollMarksThenAdvances(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	jira := &pager{side: backlog.Jira, pages: map[string]connectors.Page{
		"":   {Refs: []backlog.Ref{{Side: backlog.Jira, ID: "1"}}, Next: "p2", More: true},
		"p2": {Refs: []backlog.Ref{{Side: backlog.Jira, ID: "2"}}, Next: "p3"},
	}}
	rec := &recorder{}
	d := newDaemon(t, st, rec, jira, nil)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c, _ := st.Cursor(ctx, "poll:jira"); c == "p3" && len(rec.seen()) >= 2 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if c, _ := st.Cursor(ctx, "poll:jira"); c != "p3" {
		t.Fatalf("cursor = %q, want p3", c)
	}
	got := strings.Join(rec.seen(), ",")
	if !strings.Contains(got, "jira:1") || !strings.Contains(got, "jira:2") {
		t.Fatalf("synced %s", got)
	}
}

// TestRetentionDropsOnlySettled: the daemon's pruner keeps open and
// not-yet-applied conflicts however old, and bounds the settled ones.
func TestRetentionDropsOnlySettled(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	old := time.Now().Add(-48 * time.Hour)
	add := func(c backlog.Conflict) string {
		c.Field, c.LinkID = backlog.Title, "l1"
		id, err := st.AddConflict(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	openID := add(backlog.Conflict{At: old, Policy: backlog.PolicyManual})
	pendingID := add(backlog.Conflict{At: old, Policy: backlog.PolicyManual, Took: "jira", SettledAt: old, SettledBy: "cli"})
	oldSettled := add(backlog.Conflict{At: old, Policy: backlog.PolicyJira, Decision: backlog.Jira, SettledAt: old, Applied: true})
	var recent []string
	for i := range 3 {
		at := time.Now().Add(time.Duration(i-10) * time.Minute)
		recent = append(recent, add(backlog.Conflict{At: at, Policy: backlog.PolicyJira, Decision: backlog.Jira, SettledAt: at, Applied: true}))
	}
	d := newDaemon(t, st, &recorder{}, nil, nil)
	d.RetainAge, d.RetainCount = 24*time.Hour, 2
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d.Run(runCtx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := st.Conflict(ctx, recent[0]); errors.Is(err, store.ErrNotFound) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	for _, id := range []string{openID, pendingID, recent[1], recent[2]} {
		if _, err := st.Conflict(ctx, id); err != nil {
			t.Errorf("%s dropped: %v", id, err)
		}
	}
	for _, id := range []string{oldSettled, recent[0]} {
		if _, err := st.Conflict(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s kept: %v (want dropped by age or count)", id, err)
		}
	}
}

// TestBackfillProgress: the first rounds' work is reported while it runs
// and once when it is done.
func TestBackfillProgress(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	var refs []backlog.Ref
	for i := range 30 {
		refs = append(refs, backlog.Ref{Side: backlog.Jira, ID: fmt.Sprint(i)})
	}
	jira := &pager{side: backlog.Jira, pages: map[string]connectors.Page{"": {Refs: refs, Next: "end"}}}
	rec := &recorder{}
	var out strings.Builder
	var mu sync.Mutex
	d := newDaemon(t, st, rec, jira, nil)
	d.Progress = writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) })
	d.ProgressEvery = 5 * time.Millisecond
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d.Run(runCtx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		finished := strings.Contains(out.String(), "synced in")
		mu.Unlock()
		if finished {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(out.String(), "backfill: 30 synced in") {
		t.Fatalf("progress output %q", out.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestPollSkipsVersionsAlreadyQueued: an overlapping poll window reporting
// the same version of an item again queues no second pass; a new version
// does.
func TestPollSkipsVersionsAlreadyQueued(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	one := []backlog.Ref{{Side: backlog.Jira, ID: "1"}}
	jira := &pager{side: backlog.Jira, pages: map[string]connectors.Page{
		"":   {Refs: one, Versions: map[string]string{"1": "v1"}, Next: "c1"},
		"c1": {Refs: one, Versions: map[string]string{"1": "v1"}, Next: "c1"},
	}}
	rec := &recorder{}
	d := newDaemon(t, st, rec, jira, nil)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	count := func() int {
		n := 0
		for _, r := range rec.seen() {
			if r == "jira:1" {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(5 * time.Second)
	for (d.Stats().Polls < 10 || count() < 1) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := count(); n != 1 {
		t.Fatalf("%d passes over %d polls of one unchanged version, want 1", n, d.Stats().Polls)
	}
	jira.mu.Lock()
	jira.pages["c1"] = connectors.Page{Refs: one, Versions: map[string]string{"1": "v2"}, Next: "c1"}
	jira.mu.Unlock()
	deadline = time.Now().Add(5 * time.Second)
	for count() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d passes after a new version, want 2", n)
	}
}

func TestHintsKeepEveryReportedVersion(t *testing.T) {
	const v0, v1, v2 = "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.5Z", "2026-01-01T00:00:02Z"
	d := &Daemon{}
	if h := d.takeHint("k"); h != "" {
		t.Fatalf("no report: %q", h)
	}
	d.hint("k", v2)
	d.hint("k", v0)
	d.hint("k", v2)
	d.hint("k", v1)
	if h := d.takeHint("k"); h != v0+" "+v1+" "+v2 {
		t.Fatalf("hint = %q, want the three, oldest first", h)
	}
	if h := d.takeHint("k"); h != "" {
		t.Fatalf("hint after take = %q", h)
	}
	// A report with no version makes the pass read.
	d.hint("k", v0)
	d.hint("k", "")
	if h := d.takeHint("k"); h != "" {
		t.Fatalf("hint with an unversioned report = %q", h)
	}
	// A requeued key hands its versions back, merged with new reports.
	d.hint("k", v0+" "+v1)
	d.hint("k", v2)
	if h := d.takeHint("k"); h != v0+" "+v1+" "+v2 {
		t.Fatalf("requeued hint = %q", h)
	}
	// Past maxHinted versions, the pass reads.
	for i := range maxHinted + 1 {
		d.hint("k", fmt.Sprintf("2026-01-01T00:00:%02dZ", i))
	}
	if h := d.takeHint("k"); h != "" {
		t.Fatalf("hint of %d versions = %q", maxHinted+1, h)
	}
}

func TestQueueMoreTakesMatchingReadyKeys(t *testing.T) {
	q := newQueue()
	for i, k := range []string{"jira:1", "linear:a", "jira:2", "jira:3", "linear:b"} {
		q.Add(k, int64(i+1))
	}
	first, _ := q.Get(t.Context())
	key := first.key
	more := q.More(1, func(k string) bool { return strings.HasPrefix(k, "jira:") })
	if key != "jira:1" || len(more) != 1 || more[0].key != "jira:2" || more[0].seq != 3 {
		t.Fatalf("got %s + %+v", key, more)
	}
	// A key handed out is held: added again, it waits for Done.
	q.Add("jira:2", 9)
	rest := q.More(10, func(string) bool { return true })
	if len(rest) != 3 || rest[0].key != "linear:a" || rest[1].key != "jira:3" || rest[2].key != "linear:b" {
		t.Fatalf("rest = %+v", rest)
	}
	q.Done("jira:2")
	if k, _ := q.Get(t.Context()); k.key != "jira:2" || k.seq != 9 {
		t.Fatalf("after Done: %+v", k)
	}
}

func TestBudgetETA(t *testing.T) {
	hour := budget.Snapshot{Limit: 2500, Remaining: 2500, PerSecond: 2500.0 / 3600}
	for _, tc := range []struct {
		name        string
		left        int
		done, spent int64
		sn          budget.Snapshot
		want        time.Duration
	}{
		{"budget unknown", 1000, 100, 50, budget.Snapshot{}, 0},
		{"nothing done yet", 1000, 0, 0, hour, 0},
		// 0.5 calls a pass, 1,000 left: 500 calls, within 1,750 usable.
		{"fits the budget", 1000, 100, 50, hour, 0},
		// 2 calls a pass: 2,000 calls, 250 over the 1,750 usable,
		// back at 0.694 a second: 360 s.
		{"over the budget", 1000, 100, 200, hour, 360 * time.Second},
		// The budget is at the backfill's reserve: all 500 come back.
		{"budget at the reserve", 1000, 100, 50, budget.Snapshot{Limit: 2500, Remaining: 750, PerSecond: 2500.0 / 3600}, 720 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := budgetETA(tc.left, tc.done, tc.spent, tc.sn)
			if d := got - tc.want; d < -time.Second || d > time.Second {
				t.Fatalf("budgetETA = %v, want %v", got, tc.want)
			}
		})
	}
}
