package daemon

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

func get(t *testing.T, q *queue) (string, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	k, ok := q.Get(ctx)
	if !ok {
		t.Fatal("queue empty")
	}
	return k.key, k.seq
}

func TestQueueCoalesces(t *testing.T) {
	q := newQueue()
	q.Add("a", 1)
	q.Add("b", 1)
	q.Add("a", 3) // coalesced, keeps the larger seq
	q.Add("a", 2)
	if k, s := get(t, q); k != "a" || s != 3 {
		t.Fatalf("got %s/%d, want a/3", k, s)
	}
	q.Add("a", 4) // while processing: handed out again after Done
	if k, _ := get(t, q); k != "b" {
		t.Fatalf("got %s, want b", k)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	if _, ok := q.Get(ctx); ok {
		t.Fatal("a was handed out twice at once")
	}
	cancel()
	q.Done("a")
	if k, s := get(t, q); k != "a" || s != 4 {
		t.Fatalf("got %s/%d, want a/4", k, s)
	}
	q.Done("a")
	q.Done("b")
	if q.Len() != 0 {
		t.Fatalf("len = %d", q.Len())
	}
}

func TestQueueAddAfter(t *testing.T) {
	q := newQueue()
	q.AddAfter("k", 7, 10*time.Millisecond, false)
	q.AddAfter("k", 8, time.Hour, false) // earlier timer wins
	if q.Len() != 1 {
		t.Fatalf("len = %d", q.Len())
	}
	if k, s := get(t, q); k != "k" || s != 7 {
		t.Fatalf("got %s/%d", k, s)
	}
}

// TestQueueNoKeyTwice hammers the queue from several workers and checks a
// key is never held by two at once and no add is lost.
func TestQueueNoKeyTwice(t *testing.T) {
	q := newQueue()
	ctx, cancel := context.WithCancel(t.Context())
	var mu sync.Mutex
	held := map[string]bool{}
	last := map[string]int64{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				it, ok := q.Get(ctx)
				if !ok {
					return
				}
				k, s := it.key, it.seq
				mu.Lock()
				if held[k] {
					t.Errorf("key %s held twice", k)
				}
				held[k] = true
				if s > last[k] {
					last[k] = s
				}
				mu.Unlock()
				time.Sleep(time.Microsecond)
				mu.Lock()
				held[k] = false
				mu.Unlock()
				q.Done(k)
			}
		})
	}
	keys := []string{"a", "b", "c"}
	for i := 1; i <= 3000; i++ {
		q.Add(keys[i%3], int64(i))
	}
	deadline := time.Now().Add(5 * time.Second)
	for q.Len() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	q.Close()
	wg.Wait()
	for i, k := range keys {
		want := int64(3000 - (3-i)%3)
		if i == 0 {
			want = 3000
		}
		if last[k] != want {
			t.Errorf("key %s last seq %d, want %d: an add was lost", k, last[k], want)
		}
	}
}

func TestAddUrgentGoesFirst(t *testing.T) {
	q := newQueue()
	q.Add("jira:1", 1)
	q.Add("jira:2", 2)
	q.AddUrgent("linear:a", 3)
	q.AddUrgent("jira:2", 4) // waiting already: moves up, behind linear:a
	q.Add("jira:3", 5)
	var got []string
	for range 4 {
		k, _ := get(t, q)
		got = append(got, k)
		q.Done(k)
	}
	want := []string{"linear:a", "jira:2", "jira:1", "jira:3"}
	if !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}

// TestGetUrgentTakesOnlyUrgentKeys: the worker kept for webhooks waits
// while only backfill keys wait, and takes an urgent key as soon as one
// comes.
func TestGetUrgentTakesOnlyUrgentKeys(t *testing.T) {
	q := newQueue()
	q.Add("jira:1", 1)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	if k, ok := q.GetUrgent(ctx); ok {
		t.Fatalf("GetUrgent took %s, a key no webhook queued", k.key)
	}
	cancel()
	got := make(chan string, 1)
	go func() {
		k, _ := q.GetUrgent(t.Context())
		got <- k.key
	}()
	time.Sleep(10 * time.Millisecond) // the worker waits
	q.AddUrgent("linear:a", 2)
	select {
	case k := <-got:
		if k != "linear:a" {
			t.Fatalf("GetUrgent = %s, want linear:a", k)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("GetUrgent never woke for an urgent key")
	}
	// The backfill key is still there for the other workers.
	if k, _ := get(t, q); k != "jira:1" {
		t.Fatalf("Get = %s, want jira:1", k)
	}
}

// TestAddWakesAPlainWorker: with the urgent worker and a plain one both
// waiting, a plain key reaches the plain one (a wake-up spent on the
// urgent worker would leave it unserved).
func TestAddWakesAPlainWorker(t *testing.T) {
	for range 50 {
		q := newQueue()
		urgentDone := make(chan struct{})
		ctx, cancel := context.WithCancel(t.Context())
		go func() { q.GetUrgent(ctx); close(urgentDone) }()
		got := make(chan string, 1)
		go func() {
			k, _ := q.Get(ctx)
			got <- k.key
		}()
		time.Sleep(2 * time.Millisecond) // both wait
		q.Add("jira:1", 1)
		select {
		case k := <-got:
			if k != "jira:1" {
				t.Fatalf("Get = %s", k)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("the plain worker never woke for a plain key")
		}
		cancel()
		<-urgentDone
	}
}

// TestRequeuedUrgentKeyStaysUrgent: a webhook's key requeued behind a lock
// goes before the waiting backfill keys again, and Get says it is urgent.
func TestRequeuedUrgentKeyStaysUrgent(t *testing.T) {
	q := newQueue()
	q.AddUrgent("linear:a", 1)
	k, _ := q.Get(t.Context())
	if !k.urgent {
		t.Fatal("an AddUrgent key came out not urgent")
	}
	for i := range 3 {
		q.Add("jira:"+string(rune('1'+i)), int64(2+i))
	}
	q.AddAfter(k.key, k.seq, time.Millisecond, true)
	q.Done(k.key)
	again, ok := q.GetUrgent(t.Context())
	if !ok || again.key != "linear:a" || !again.urgent || again.seq != 1 {
		t.Fatalf("GetUrgent = %+v %v, want linear:a urgent", again, ok)
	}
	q.Done(again.key)
	// A plain requeue stays plain, behind the keys waiting.
	q.AddAfter("linear:b", 9, time.Millisecond, false)
	var got []string
	for range 4 {
		k, ok := q.Get(t.Context())
		if !ok || k.urgent {
			t.Fatalf("Get = %+v %v", k, ok)
		}
		got = append(got, k.key)
		q.Done(k.key)
	}
	if want := []string{"jira:1", "jira:2", "jira:3", "linear:b"}; !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}

func TestRequeueWait(t *testing.T) {
	for _, c := range []struct {
		n      int
		urgent bool
		want   time.Duration
	}{
		{1, false, 50 * time.Millisecond},
		{9, false, 50 * time.Millisecond},
		{1, true, 50 * time.Millisecond},
		{2, true, 100 * time.Millisecond},
		{4, true, 400 * time.Millisecond},
		{6, true, 1600 * time.Millisecond},
		{7, true, 2 * time.Second},
		{40, true, 2 * time.Second},
	} {
		if got := requeueWait(50*time.Millisecond, c.n, c.urgent); got != c.want {
			t.Errorf("requeueWait(50ms, %d, %v) = %v, want %v", c.n, c.urgent, got, c.want)
		}
	}
}
