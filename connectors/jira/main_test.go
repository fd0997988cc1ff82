package jira

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/connectors/jira/internal/jiraspec"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

// recorded is one request the connector sent during the test run.
type recorded struct {
	method, url string
	header      http.Header
	body        []byte
}

// recorder is the transport every test client uses; TestMain checks each
// recorded request against Jira's OpenAPI specs.
var recorder = &recordingTransport{}

type recordingTransport struct {
	mu   sync.Mutex
	reqs []recorded
}

func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	t.mu.Lock()
	t.reqs = append(t.reqs, recorded{req.Method, req.URL.String(), req.Header.Clone(), body})
	t.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := checkRecorded(); err != nil {
			fmt.Fprintln(os.Stderr, "request fidelity:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// checkRecorded validates every recorded request against the specs: the
// operation must exist (REST v2 paths compared with the v3 spec), query
// parameters and JSON bodies must validate, with the rich-text fields of v2
// bodies (wiki strings where v3 has ADF) swapped for ADF; the admin webhook
// API, which neither spec documents, is skipped.
func checkRecorded() error {
	spec, err := jiraspec.Load()
	if err != nil {
		return err
	}
	recorder.mu.Lock()
	defer recorder.mu.Unlock()
	if len(recorder.reqs) == 0 {
		return nil // no test talked to Jira (a -run filter or a fuzz run)
	}
	var bad []string
	seen := map[string]bool{}
	for _, r := range recorder.reqs {
		body := r.body
		if strings.Contains(r.url, "/rest/api/2/") && len(body) > 0 {
			body = adfForWiki(body)
		}
		req, _ := http.NewRequest(r.method, r.url, bytes.NewReader(body))
		req.Header = r.header.Clone()
		if len(body) == 0 {
			req.Body = http.NoBody
		}
		if strings.HasPrefix(req.URL.Path, "/rest/webhooks/1.0/webhook") {
			continue // documented exception
		}
		// The upload's multipart schema (an array of Spring MultipartFile
		// beans) is not one kin-openapi decodes, nor one a client sends:
		// its path, method and parameters are checked, its body is not.
		multipart := strings.HasPrefix(r.header.Get("Content-Type"), "multipart/form-data")
		if err := spec.Validate(req, multipart); err != nil {
			key := r.method + " " + req.URL.Path + ": " + err.Error()
			if !seen[key] {
				seen[key] = true
				bad = append(bad, key)
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d requests do not match the OpenAPI specs:\n%s", len(bad), strings.Join(bad, "\n"))
	}
	return nil
}

// adfForWiki swaps the v2 rich-text strings of a request body (description,
// comment body) for an ADF document, the documented difference between v2
// and v3, so the rest of the body validates against the v3 schema. It also
// drops null members of "fields": Jira documents null as "clear the field",
// which the spec's free-form field schema cannot express.
func adfForWiki(body []byte) []byte {
	var v map[string]any
	if json.Unmarshal(body, &v) != nil {
		return body
	}
	doc := map[string]any{"type": "doc", "version": 1, "content": []any{}}
	if f, ok := v["fields"].(map[string]any); ok {
		if _, ok := f["description"].(string); ok {
			f["description"] = doc
		}
		for k, x := range f {
			if x == nil {
				delete(f, k)
			}
		}
	}
	if _, ok := v["body"].(string); ok {
		v["body"] = doc
	}
	out, _ := json.Marshal(v)
	return out
}

// env is a sandbox and a connector on it.
type env struct {
	sb     *sandbox.Server
	c      *Client
	url    string
	secret string
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newEnv(t *testing.T, opts sandbox.Options) *env {
	t.Helper()
	return newEnvWith(t, opts, nil)
}

// newEnvWith is newEnv with a hook to change the connector's Config (and
// the sandbox before New runs).
func newEnvWith(t *testing.T, opts sandbox.Options, setup func(sb *sandbox.Server, cfg *Config)) *env {
	t.Helper()
	sb := sandbox.New(opts)
	hs := httptest.NewServer(sb)
	t.Cleanup(func() { hs.Close(); _ = sb.Close() })
	cfg := Config{
		URL: hs.URL, Email: sandbox.BotEmail, Token: sandbox.BotToken, Project: "TAN",
		WebhookSecret: "hook-secret",
		HTTPClient:    &http.Client{Transport: recorder, Timeout: 10 * time.Second},
		Log:           slog.New(slog.NewTextHandler(t.Output(), nil)),
	}
	if setup != nil {
		setup(sb, &cfg)
	}
	c, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if opts.Now != nil {
		c.now = opts.Now
	}
	return &env{sb: sb, c: c, url: hs.URL, secret: "hook-secret"}
}

func ctx(t *testing.T) context.Context { return t.Context() }
