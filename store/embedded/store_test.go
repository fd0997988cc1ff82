package embedded

import (
	"testing"

	"github.com/tandem-sync/tandem/store"
	"github.com/tandem-sync/tandem/store/storetest"
)

func openTemp(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.State { return openTemp(t, t.TempDir()) })
}

func TestPersistence(t *testing.T) {
	storetest.RunPersistent(t, func(t *testing.T) func() store.State {
		dir := t.TempDir()
		return func() store.State { return openTemp(t, dir) }
	})
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.State { return openTemp(b, b.TempDir()) })
}

// TestModel checks logic, not durability (TestTornTail and friends do
// that), so it skips fsyncs to afford many runs.
func TestModel(t *testing.T) {
	storetest.RunModel(t, func(t *testing.T) func() store.State {
		dir := t.TempDir()
		return func() store.State {
			s, err := open(dir, true)
			if err != nil {
				t.Fatalf("open(%s): %v", dir, err)
			}
			return s
		}
	}, true)
}
