package connectors

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
)

// flaky fails Get with the queued errors, then succeeds.
type flaky struct {
	errs  []error
	calls int
}

func (f *flaky) Side() backlog.Side { return backlog.Jira }
func (f *flaky) Changed(context.Context, string) (Page, error) {
	return Page{}, f.next()
}
func (f *flaky) Get(_ context.Context, id string) (backlog.Item, error) {
	return backlog.Item{Ref: backlog.Ref{Side: backlog.Jira, ID: id}}, f.next()
}
func (f *flaky) Create(context.Context, backlog.Item) (backlog.Ref, error) {
	return backlog.Ref{}, f.next()
}
func (f *flaky) Apply(context.Context, string, backlog.Patch) error     { return f.next() }
func (f *flaky) Project(_ backlog.Field, v backlog.Value) backlog.Value { return v }
func (f *flaky) next() error {
	f.calls++
	if len(f.errs) == 0 {
		return nil
	}
	err := f.errs[0]
	f.errs = f.errs[1:]
	return err
}

func TestWithRetry(t *testing.T) {
	transient := errors.New("connection reset")
	cases := []struct {
		name      string
		errs      []error
		wantCalls int
		wantErr   error
		wantWait  time.Duration // minimum total wait
	}{
		{"success", nil, 1, nil, 0},
		{"transient then ok", []error{transient, transient}, 3, nil, 0},
		{"rate limit waits retry-after", []error{&RateLimitError{Side: backlog.Jira, RetryAfter: 30 * time.Millisecond}}, 2, nil, 30 * time.Millisecond},
		{"rate limit too long returns", []error{&RateLimitError{Side: backlog.Jira, RetryAfter: time.Hour}}, 1, &RateLimitError{}, 0},
		{"permanent returns at once", []error{Permanent(errors.New("no such transition"))}, 1, &PermanentError{}, 0},
		{"not found returns at once", []error{ErrNotFound}, 1, ErrNotFound, 0},
		{"gives up after attempts", []error{transient, transient, transient, transient}, 3, transient, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &flaky{errs: tc.errs}
			var waited time.Duration
			c := WithRetry(f, RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: time.Second,
				OnWait: func(_ backlog.Side, _ error, d time.Duration) { waited += d }})
			_, err := c.Get(t.Context(), "1")
			if f.calls != tc.wantCalls {
				t.Fatalf("calls = %d, want %d", f.calls, tc.wantCalls)
			}
			switch want := tc.wantErr.(type) {
			case nil:
				if err != nil {
					t.Fatalf("err = %v", err)
				}
			case *RateLimitError:
				var rl *RateLimitError
				if !errors.As(err, &rl) {
					t.Fatalf("err = %v, want a rate limit error", err)
				}
			case *PermanentError:
				if !IsPermanent(err) {
					t.Fatalf("err = %v, want permanent", err)
				}
			default:
				if !errors.Is(err, want) {
					t.Fatalf("err = %v, want %v", err, want)
				}
			}
			if waited < tc.wantWait {
				t.Fatalf("waited %s, want at least %s", waited, tc.wantWait)
			}
		})
	}
}

func TestWithRetryStopsOnCancel(t *testing.T) {
	f := &flaky{errs: []error{errors.New("down"), errors.New("down"), errors.New("down")}}
	c := WithRetry(f, RetryPolicy{Attempts: 3, Base: time.Hour, Max: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.Get(ctx, "1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's error", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("retry wait ignored the context")
	}
}
