package connectors

import (
	"errors"
	"strings"
	"testing"
)

func TestBatchError(t *testing.T) {
	e := &BatchError{Failed: map[int]error{4: Permanent(errors.New("bad parent")), 1: ErrNotFound}}
	if got := e.Error(); got != "2 of the batch failed: item 1: not found; item 4: bad parent" {
		t.Fatalf("Error() = %q", got)
	}
	if !e.Permanent() {
		t.Fatal("permanent and not-found errors are permanent")
	}
	e.Failed[7] = errors.New("timeout")
	if e.Permanent() {
		t.Fatal("a transient item makes the batch worth retrying")
	}
	for i := 10; i < 20; i++ {
		e.Failed[i] = errors.New("x")
	}
	if got := e.Error(); !strings.HasPrefix(got, "13 of the batch failed: item 1:") || !strings.HasSuffix(got, "and 10 more") {
		t.Fatalf("long Error() = %q", got)
	}
	var empty BatchError
	if empty.Permanent() {
		t.Fatal("an empty batch error is not permanent")
	}
}
