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
