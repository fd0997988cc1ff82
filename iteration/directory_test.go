package iteration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

type fakeSources struct {
	mu         sync.Mutex
	sprints    []Sprint
	cycles     []Cycle
	cached     []Sprint       // when set, what a read without reload gives
	reads      map[string]int // "sprints", "sprints reload", ...
	created    []string
	failList   error
	failCreate error
}

func (f *fakeSources) count(k string, reload bool) {
	if f.reads == nil {
		f.reads = map[string]int{}
	}
	if reload {
		k += " reload"
	}
	f.reads[k]++
}

func (f *fakeSources) Sprints(_ context.Context, reload bool) ([]Sprint, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("sprints", reload)
	if f.cached != nil && !reload {
		return append([]Sprint(nil), f.cached...), f.failList
	}
	return append([]Sprint(nil), f.sprints...), f.failList
}

func (f *fakeSources) Cycles(_ context.Context, reload bool) ([]Cycle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("cycles", reload)
	return append([]Cycle(nil), f.cycles...), nil
}

func (f *fakeSources) CreateCycle(_ context.Context, name string, start, end time.Time) (Cycle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failCreate != nil {
		return Cycle{}, f.failCreate
	}
	f.created = append(f.created, name)
	c := Cycle{ID: "new" + name, Name: name, Number: len(f.cycles) + 1, Start: start, End: end}
	f.cycles = append(f.cycles, c)
	return c, nil
}

func (f *fakeSources) reads0() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprint(f.reads)
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newDir(f *fakeSources, create bool) (*Directory, *testClock, *bytes.Buffer) {
	clk := &testClock{t: now}
	var logs bytes.Buffer
	d := &Directory{Jira: f, Linear: f, CreateCycles: create, Now: clk.now, Log: slog.New(slog.NewTextHandler(&logs, nil))}
	return d, clk, &logs
}

func TestDirectoryReadsOnlyWhenAsked(t *testing.T) {
	ds, dc := defaultWorld()
	f := &fakeSources{sprints: ds, cycles: dc}
	d, clk, _ := newDir(f, false)
	ctx := context.Background()
	// Nothing to translate: no reads.
	if err := d.Ensure(ctx, "", ""); err != nil {
		t.Fatal(err)
	}
	if f.reads0() != "map[]" {
		t.Fatalf("reads with no names: %s", f.reads0())
	}
	// First use: the sources' caches.
	if err := d.Ensure(ctx, "TAN Sprint 2", ""); err != nil {
		t.Fatal(err)
	}
	if got := f.reads0(); got != "map[cycles:1 sprints:1]" {
		t.Fatalf("first use: %s", got)
	}
	if c, _ := d.Pairing().CycleFor("TAN Sprint 2"); c != "Cycle 2" {
		t.Fatalf("TAN Sprint 2 → %q", c)
	}
	// Known names: no reads, however often.
	for range 5 {
		clk.add(time.Second)
		if err := d.Ensure(ctx, "TAN Sprint 2", "Cycle 2", "Hardening"); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.reads0(); got != "map[cycles:1 sprints:1]" {
		t.Fatalf("known names: %s", got)
	}
	// A new sprint, named by an item: read afresh, once per Retry.
	f.mu.Lock()
	f.sprints = append(f.sprints, sprint(4, "TAN Sprint 4", Future, 0, 0))
	f.cycles = append(f.cycles, cycle(4, "", 28-15.0/24, 42-15.0/24))
	f.mu.Unlock()
	if err := d.Ensure(ctx, "TAN Sprint 4"); err != nil {
		t.Fatal(err)
	}
	if c, ok := d.Pairing().CycleFor("TAN Sprint 4"); !ok || c != "Cycle 4" {
		t.Fatalf("new sprint → %q %v", c, ok)
	}
	for range 3 {
		if err := d.Ensure(ctx, "Nobody's Sprint"); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.reads0(); got != "map[cycles:1 cycles reload:1 sprints:1 sprints reload:1]" {
		t.Fatalf("unknown names within a minute: %s", got)
	}
	clk.add(DefaultRetry)
	if err := d.Ensure(ctx, "Nobody's Sprint"); err != nil {
		t.Fatal(err)
	}
	if got := f.reads0(); got != "map[cycles:1 cycles reload:2 sprints:1 sprints reload:2]" {
		t.Fatalf("unknown name after a minute: %s", got)
	}
	// Still unknown after that fresh read (as a closed sprint's name
	// stays): not asked about again; another new name is.
	clk.add(DefaultRetry)
	if err := d.Ensure(ctx, "Nobody's Sprint"); err != nil {
		t.Fatal(err)
	}
	if got := f.reads0(); got != "map[cycles:1 cycles reload:2 sprints:1 sprints reload:2]" {
		t.Fatalf("a name still unknown after a fresh read: %s", got)
	}
	if err := d.Ensure(ctx, "TAN Sprint 5"); err != nil {
		t.Fatal(err)
	}
	if got := f.reads0(); got != "map[cycles:1 cycles reload:3 sprints:1 sprints reload:3]" {
		t.Fatalf("another unknown name after a minute: %s", got)
	}
	// Old lists are read again on use, not on their own.
	clk.add(DefaultReload)
	if got := f.reads0(); got != "map[cycles:1 cycles reload:3 sprints:1 sprints reload:3]" {
		t.Fatalf("reads while idle: %s", got)
	}
	if err := d.Ensure(ctx, "TAN Sprint 2"); err != nil {
		t.Fatal(err)
	}
	if got := f.reads0(); got != "map[cycles:1 cycles reload:4 sprints:1 sprints reload:4]" {
		t.Fatalf("stale lists: %s", got)
	}
}

func TestDirectoryReportsOnce(t *testing.T) {
	f := &fakeSources{sprints: []Sprint{sprint(2, "S2", Active, -7, 7), sprint(5, "S5", Future, 30, 44)}, cycles: []Cycle{cycle(1, "", -7, 7)}}
	d, clk, logs := newDir(f, false)
	ctx := context.Background()
	for range 4 {
		clk.add(DefaultReload)
		if err := d.Ensure(ctx, "unknown"); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), "sprint=S5") {
		t.Fatalf("%d warnings:\n%s", n, logs)
	}
	if len(f.created) != 0 {
		t.Fatalf("created %v without create_cycles", f.created)
	}
	if _, ok := d.Pairing().CycleFor("S5"); ok {
		t.Fatal("S5 has a cycle")
	}
}

func TestDirectoryCreatesCycles(t *testing.T) {
	f := &fakeSources{
		sprints: []Sprint{sprint(2, "S2", Active, -7, 7), sprint(5, "S5", Future, 30, 44), sprint(6, "S6", Future, 0, 0), sprint(1, "S1", Closed, -30, -20)},
		cycles:  []Cycle{cycle(1, "", -7, 7)},
	}
	d, clk, logs := newDir(f, true)
	ctx := context.Background()
	if err := d.Ensure(ctx, "S5"); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(f.created) != "[S5]" {
		t.Fatalf("created %v, want [S5] (S6 has no dates, S1 is closed)", f.created)
	}
	if c, _ := d.Pairing().CycleFor("S5"); c != "S5" {
		t.Fatalf("S5 → %q", c)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), "sprint=S6") {
		t.Fatalf("want one warning, for S6:\n%s", logs)
	}
	// Later passes create nothing more and warn no more.
	for range 3 {
		clk.add(DefaultReload)
		if err := d.Ensure(ctx, "S6"); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.created) != 1 || strings.Count(logs.String(), "level=WARN") != 1 {
		t.Fatalf("created %v; logs:\n%s", f.created, logs)
	}
	// S6 gets dates: now it gets a cycle.
	f.mu.Lock()
	f.sprints[2] = sprint(6, "S6", Future, 44, 58)
	f.mu.Unlock()
	clk.add(DefaultReload)
	if err := d.Ensure(ctx, "S6"); err != nil {
		t.Fatal(err)
	}
	if c, _ := d.Pairing().CycleFor("S6"); c != "S6" || fmt.Sprint(f.created) != "[S5 S6]" {
		t.Fatalf("S6 → %q, created %v", c, f.created)
	}
}

func TestDirectoryCreateFailsOnce(t *testing.T) {
	f := &fakeSources{sprints: []Sprint{sprint(5, "S5", Future, 30, 44)}, failCreate: errors.New("Cycles can't overlap")}
	d, clk, logs := newDir(f, true)
	for range 3 {
		clk.add(DefaultReload)
		if err := d.Ensure(context.Background(), "S5"); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), "overlap") {
		t.Fatalf("%d warnings:\n%s", n, logs)
	}
}

func TestDirectoryErrors(t *testing.T) {
	f := &fakeSources{failList: errors.New("jira down")}
	d, _, _ := newDir(f, false)
	if err := d.Ensure(context.Background(), "S1"); err == nil || !strings.Contains(err.Error(), "jira down") {
		t.Fatalf("err %v", err)
	}
	f.mu.Lock()
	f.failList = nil
	f.sprints = []Sprint{sprint(1, "S1", Active, -1, 1)}
	f.cycles = []Cycle{cycle(1, "", -1, 1)}
	f.mu.Unlock()
	// Not ready yet: the next use tries again at once.
	if err := d.Ensure(context.Background(), "S1"); err != nil {
		t.Fatal(err)
	}
	if c, _ := d.Pairing().CycleFor("S1"); c != "Cycle 1" {
		t.Fatalf("S1 → %q", c)
	}
}

func TestDirectoryOnChange(t *testing.T) {
	ds, dc := defaultWorld()
	f := &fakeSources{sprints: ds, cycles: dc}
	d, clk, _ := newDir(f, false)
	got := make(chan []string, 4)
	d.OnChange = func(_ context.Context, names []string) { got <- names }
	ctx := context.Background()
	if err := d.Ensure(ctx, "TAN Sprint 2"); err != nil {
		t.Fatal(err)
	}
	// A sprint scheduled after every cycle, then a cycle made for it by
	// hand: read when an item names the new cycle.
	f.mu.Lock()
	f.sprints = append(f.sprints, sprint(5, "TAN Sprint 5", Future, 40, 54))
	f.mu.Unlock()
	if err := d.Ensure(ctx, "TAN Sprint 5"); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.cycles = append(f.cycles, cycle(4, "", 40, 54))
	f.mu.Unlock()
	clk.add(DefaultRetry)
	if err := d.Ensure(ctx, "Cycle 4"); err != nil {
		t.Fatal(err)
	}
	select {
	case names := <-got:
		if fmt.Sprint(names) != "[TAN Sprint 5 Cycle 4]" {
			t.Fatalf("changed names %v", names)
		}
	case <-time.After(time.Second):
		t.Fatal("OnChange not called")
	}
	// Nothing new on the next fresh read: no call; the first read made none.
	clk.add(DefaultReload)
	if err := d.Ensure(ctx, "Cycle 4"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if len(got) != 0 {
		t.Fatalf("extra OnChange: %v", <-got)
	}
}

func TestDirectoryFirstUseWithANewName(t *testing.T) {
	ds, dc := defaultWorld()
	f := &fakeSources{sprints: ds, cycles: dc}
	d, _, _ := newDir(f, false)
	// Sprint 4 was made after the sources loaded: the cached lists lack it,
	// so the first use reads them afresh at once.
	f.mu.Lock()
	f.cached = ds
	f.sprints = append(f.sprints, sprint(4, "TAN Sprint 4", Future, 0, 0))
	f.cycles = append(f.cycles, cycle(4, "", 28-15.0/24, 42-15.0/24))
	f.mu.Unlock()
	if err := d.Ensure(context.Background(), "TAN Sprint 4"); err != nil {
		t.Fatal(err)
	}
	if got := f.reads0(); got != "map[cycles:1 cycles reload:1 sprints:1 sprints reload:1]" {
		t.Fatalf("reads %s", got)
	}
	if c, _ := d.Pairing().CycleFor("TAN Sprint 4"); c != "Cycle 4" {
		t.Fatalf("TAN Sprint 4 → %q", c)
	}
}

func TestDirectoryReadsLaterWhenTooSoon(t *testing.T) {
	ds, dc := defaultWorld()
	f := &fakeSources{sprints: ds, cycles: dc}
	d, clk, _ := newDir(f, false)
	d.Retry = 50 * time.Millisecond
	changed := make(chan []string, 2)
	d.OnChange = func(_ context.Context, names []string) { changed <- names }
	ctx := context.Background()
	if err := d.Ensure(ctx, "TAN Sprint 2"); err != nil {
		t.Fatal(err)
	}
	if err := d.Ensure(ctx, "Nobody"); err != nil { // a fresh read now
		t.Fatal(err)
	}
	// A cycle made right after: met too soon for another read...
	f.mu.Lock()
	f.sprints = append(f.sprints, sprint(5, "TAN Sprint 5", Future, 40, 54))
	f.cycles = append(f.cycles, cycle(4, "", 40, 54))
	f.mu.Unlock()
	if err := d.Ensure(ctx, "Cycle 4"); err != nil {
		t.Fatal(err)
	}
	if err := d.Ensure(ctx, "TAN Sprint 5"); err != nil {
		t.Fatal(err)
	}
	if got := f.reads0(); got != "map[cycles:1 cycles reload:1 sprints:1 sprints reload:1]" {
		t.Fatalf("reads too soon: %s", got)
	}
	// ...so one is made when the Retry is up, and the new pair reported.
	clk.add(d.Retry)
	select {
	case names := <-changed:
		if fmt.Sprint(names) != "[TAN Sprint 5 Cycle 4]" {
			t.Fatalf("changed %v", names)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no later read")
	}
	if got := f.reads0(); got != "map[cycles:1 cycles reload:2 sprints:1 sprints reload:2]" {
		t.Fatalf("reads: %s", got)
	}
	if c, _ := d.Pairing().CycleFor("TAN Sprint 5"); c != "Cycle 4" {
		t.Fatalf("TAN Sprint 5 → %q", c)
	}
}

func TestDirectoryStop(t *testing.T) {
	ds, dc := defaultWorld()
	f := &fakeSources{sprints: ds, cycles: dc}
	d, _, _ := newDir(f, false)
	d.Retry = time.Hour
	ctx := context.Background()
	if err := d.Ensure(ctx, "Nobody"); err != nil { // first use, then a fresh read
		t.Fatal(err)
	}
	if err := d.Ensure(ctx, "Somebody"); err != nil { // too soon: armed
		t.Fatal(err)
	}
	d.mu.Lock()
	armed := d.timer != nil
	d.mu.Unlock()
	if !armed {
		t.Fatal("no read armed")
	}
	done := make(chan struct{})
	go func() { d.Stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Stop waits for a read that will not run")
	}
	if err := d.Ensure(ctx, "Anybody"); err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	armed = d.timer != nil
	d.mu.Unlock()
	if armed {
		t.Fatal("a read armed after Stop")
	}
}
