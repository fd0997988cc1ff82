package app

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestTimedBoundsTheWireNotTheWait: a request held back before it is sent
// (as the budget governor holds one) does not use up its timeout; a
// request slower on the wire than the timeout fails.
func TestTimedBoundsTheWireNotTheWait(t *testing.T) {
	slow := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-slow:
			case <-r.Context().Done():
			}
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	defer close(slow)
	hold := rtFunc(func(r *http.Request) (*http.Response, error) {
		time.Sleep(150 * time.Millisecond) // the governor's wait
		return timed(http.DefaultTransport, 100*time.Millisecond).RoundTrip(r)
	})
	c := &http.Client{Transport: hold}
	resp, err := c.Get(srv.URL + "/fast")
	if err != nil {
		t.Fatalf("a request held back longer than its timeout failed: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "ok" {
		t.Fatalf("body %q, %v", b, err)
	}
	_, err = c.Get(srv.URL + "/slow")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a request slower than its timeout: %v, want the deadline", err)
	}
}
