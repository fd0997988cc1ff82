package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/store"
	"github.com/tandem-sync/tandem/store/storetest"
)

// These tests need a real Redis: TANDEM_TEST_REDIS_URL, or a local default.
// They fail, never skip, when it is unreachable: a green run must mean the
// shared store was exercised.
func testURL() string {
	if u := os.Getenv("TANDEM_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

var (
	reachOnce sync.Once
	reachErr  error
)

func requireRedis(tb testing.TB) {
	tb.Helper()
	reachOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var s *Store
		if s, reachErr = Open(ctx, testURL(), "probe:"); reachErr == nil {
			s.Close()
		}
	})
	if reachErr != nil {
		tb.Fatalf("store/redis tests need a Redis server (set TANDEM_TEST_REDIS_URL, or run "+
			"`redis-server --daemonize yes --port 6379 --save \"\" --appendonly no`): %v", reachErr)
	}
}

func randomPrefix(tb testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return "tandemtest:" + hex.EncodeToString(b) + ":"
}

// deletePrefix removes every key under prefix.
func deletePrefix(tb testing.TB, prefix string) {
	opt, err := goredis.ParseURL(testURL())
	if err != nil {
		tb.Errorf("cleanup: %v", err)
		return
	}
	rdb := goredis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx, cursor, prefix+"*", 500).Result()
		if err != nil {
			tb.Errorf("cleanup of %s: %v", prefix, err)
			return
		}
		if len(keys) > 0 {
			if err := rdb.Unlink(ctx, keys...).Err(); err != nil {
				tb.Errorf("cleanup of %s: %v", prefix, err)
				return
			}
		}
		if cursor = next; cursor == 0 {
			return
		}
	}
}

// location reserves a fresh prefix, deleted when the test ends, and
// returns an opener for it.
func location(tb testing.TB) func() *Store {
	tb.Helper()
	requireRedis(tb)
	prefix := randomPrefix(tb)
	tb.Cleanup(func() { deletePrefix(tb, prefix) })
	return func() *Store {
		s, err := Open(tb.Context(), testURL(), prefix)
		if err != nil {
			tb.Fatalf("Open: %v", err)
		}
		return s
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.State { return location(t)() })
}

// TestConformanceReplicas runs the suite against two clients sharing one
// prefix, every call going to the other one: state that lived in a client
// instead of Redis would fail it.
func TestConformanceReplicas(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.State {
		open := location(t)
		return &replicas{s: [2]store.State{open(), open()}}
	})
}

// TestConformanceSmallPages lists conflicts three index entries at a time,
// so the suite's filters, limits and ties cross page boundaries.
func TestConformanceSmallPages(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.State {
		s := location(t)()
		s.page = 3
		return s
	})
}

func TestPersistence(t *testing.T) {
	t.Parallel()
	storetest.RunPersistent(t, func(t *testing.T) func() store.State {
		open := location(t)
		return func() store.State { return open() }
	})
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.State { return location(b)() })
}

func TestOpenErrorsHidePassword(t *testing.T) {
	t.Parallel()
	requireRedis(t)
	cases := []struct {
		name, url, want string
	}{
		{"unreachable", "redis://alice:s3cretpw@127.0.0.1:1/0", "127.0.0.1:1"},
		{"malformed", "redis://alice:s3cretpw@127.0.0.1:notaport/0", "127.0.0.1"},
		{"bad scheme", "http://alice:s3cretpw@127.0.0.1:6379/0", "http://"},
		{"bad db", "redis://alice:s3cretpw@127.0.0.1:6379/zero", "zero"},
		{"bad escape", "redis://alice:s3%zzpw@127.0.0.1:6379/0", "127.0.0.1:6379"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			s, err := Open(ctx, tc.url, "x:")
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) succeeded", tc.name)
			}
			msg := err.Error()
			if strings.Contains(msg, "s3cret") || strings.Contains(msg, "s3%zz") || strings.Contains(msg, "zzpw") {
				t.Fatalf("error leaks the password: %s", msg)
			}
			if !strings.Contains(msg, tc.want) {
				t.Fatalf("error %q does not name %q", msg, tc.want)
			}
		})
	}
}

func TestOpenErrorUnwraps(t *testing.T) {
	t.Parallel()
	requireRedis(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Open(ctx, "redis://:pw@127.0.0.1:6379/0", "x:")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Open with a canceled context: err = %v, want context.Canceled in the chain", err)
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"redis://127.0.0.1:6379/0":            "redis://127.0.0.1:6379/0",
		"redis://:pw@127.0.0.1:6379/0":        "redis://:xxxxx@127.0.0.1:6379/0",
		"redis://u:pw@h:1/2":                  "redis://u:xxxxx@h:1/2",
		"redis://u:p%zz@h:1/2":                "redis://u:xxxxx@h:1/2",
		"redis://u:p@w@h:x/2":                 "redis://u:xxxxx@h:x/2",
		"u:pw@h:port":                         "u:xxxxx@h:port",
		"rediss://default:tok@cache.internal": "rediss://default:xxxxx@cache.internal",
	}
	for in, want := range cases {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestKeysUnderPrefix checks that every key an operation creates carries
// the prefix, by giving all ids a marker and finding every key holding it.
func TestKeysUnderPrefix(t *testing.T) {
	t.Parallel()
	s := location(t)()
	defer s.Close()
	ctx := t.Context()
	marker := strings.TrimSuffix(strings.TrimPrefix(s.prefix, "tandemtest:"), ":") + "x"
	if err := s.SaveLink(ctx, backlog.Link{Linear: backlog.Ref{Side: backlog.Linear, ID: "l" + marker}, Jira: backlog.Ref{Side: backlog.Jira, ID: "j" + marker}}); err != nil {
		t.Fatal(err)
	}
	l, err := s.Lock(ctx, "lock"+marker, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveBase(ctx, l, "l"+marker, backlog.Snapshot{backlog.Title: "t"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCursor(ctx, "cur"+marker, "v"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddConflict(ctx, backlog.Conflict{LinkID: "l" + marker, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SeenDelivery(ctx, "d"+marker, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkDirty(ctx, "k"+marker); err != nil {
		t.Fatal(err)
	}
	var keys []string
	iter := s.rdb.Scan(ctx, 0, "*"+marker[:12]+"*", 500).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	if len(keys) < 8 {
		t.Fatalf("found only %d keys: %v", len(keys), keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, s.prefix) {
			t.Errorf("key %q outside prefix %q", k, s.prefix)
		}
	}
}

// TestReplicasRace has two clients (two replicas) race for the same locks
// and fence each other's bases.
func TestReplicasRace(t *testing.T) {
	t.Parallel()
	open := location(t)
	a, b := open(), open()
	defer a.Close()
	defer b.Close()
	ctx := t.Context()
	var wins atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			_, err := s.Lock(ctx, "race", time.Minute)
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, store.ErrLocked):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d replicas won the lock, want 1", wins.Load())
	}

	old, err := a.Lock(ctx, "link:x", 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond)
	cur, err := b.Lock(ctx, "link:x", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SaveBase(ctx, old, "x", backlog.Snapshot{backlog.Title: "stale"}); !errors.Is(err, store.ErrLockLost) {
		t.Fatalf("stale replica's SaveBase: err = %v, want ErrLockLost", err)
	}
	if err := b.SaveBase(ctx, cur, "x", backlog.Snapshot{backlog.Title: "fresh"}); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Base(ctx, "x"); err != nil || got[backlog.Title] != "fresh" {
		t.Fatalf("Base seen by the other replica = %v, %v", got, err)
	}
}

func TestClosedStore(t *testing.T) {
	t.Parallel()
	s := location(t)()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Link(t.Context(), "x"); err == nil {
		t.Fatal("Link on a closed store succeeded")
	}
}

// TestTokensSurviveDataLoss: when Redis loses the fence counter (restart
// without persistence, eviction), new tokens still exceed old ones, so a
// holder from before the loss cannot pass the fence.
func TestTokensSurviveDataLoss(t *testing.T) {
	t.Parallel()
	s := location(t)()
	defer s.Close()
	ctx := t.Context()
	old, err := s.Lock(ctx, "link:x", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if old.Token < time.Now().Add(-time.Hour).UnixMicro() {
		t.Fatalf("first token %d does not start from the clock", old.Token)
	}
	for range 3 { // a few rounds, so the counter moved past its start
		l, err := s.Lock(ctx, "link:y", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		s.Unlock(ctx, l)
	}
	if err := s.rdb.Del(ctx, s.key("lock", "link:x"), s.key("fence", "link:x")).Err(); err != nil {
		t.Fatal(err)
	}
	cur, err := s.Lock(ctx, "link:x", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Token <= old.Token {
		t.Fatalf("token after losing the counter %d not above %d", cur.Token, old.Token)
	}
	if err := s.SaveBase(ctx, old, "x", backlog.Snapshot{}); !errors.Is(err, store.ErrLockLost) {
		t.Fatalf("SaveBase by the holder from before the loss: err = %v, want ErrLockLost", err)
	}
	if v, _ := s.rdb.Get(ctx, s.key("lock", "link:x")).Result(); v != strconv.FormatInt(cur.Token, 10) {
		t.Fatalf("lock value %q, want the token %d in decimal", v, cur.Token)
	}
}

// TestModel runs the model with conflict listings read two index entries
// per round trip, so every listing crosses pages (the one-page case is the
// conformance suite's).
func TestModel(t *testing.T) {
	t.Parallel()
	storetest.RunModel(t, func(t *testing.T) func() store.State {
		open := location(t)
		return func() store.State {
			s := open()
			s.page = 2
			return s
		}
	}, true)
}

// TestPruneSparesChangedRecord: a record updated between PruneConflicts'
// read and its drop (here, a person reopening the question by settling it
// again, not yet applied) is not dropped: the drop compares the JSON.
func TestPruneSparesChangedRecord(t *testing.T) {
	t.Parallel()
	s := location(t)()
	defer s.Close()
	ctx := t.Context()
	c := backlog.Conflict{LinkID: "l", Field: backlog.Title, At: time.Now().Add(-time.Hour), SettledAt: time.Now(), Applied: true}
	id, err := s.AddConflict(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	read, err := s.rdb.HGet(ctx, s.key("conflict"), id).Result()
	if err != nil {
		t.Fatal(err)
	}
	c.ID, c.Applied, c.SettledBy = id, false, "dana"
	if err := s.UpdateConflict(ctx, c); err != nil {
		t.Fatal(err)
	}
	n, err := dropConflictScript.Run(ctx, s.rdb, s.conflictKeys("")[:4], id, read, s.linkConflicts()).Int64()
	if err != nil || n != 0 {
		t.Fatalf("drop with a stale read = %d, %v; want 0", n, err)
	}
	if _, err := s.Conflict(ctx, id); err != nil {
		t.Fatalf("changed record was dropped: %v", err)
	}
	if cs, _ := s.Conflicts(ctx, store.ConflictFilter{LinkID: "l"}); len(cs) != 1 {
		t.Fatalf("changed record left its link index: %v", cs)
	}
}
