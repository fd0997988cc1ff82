package jira

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

func filesOn(_ *sandbox.Server, cfg *Config) { cfg.Files = true }

// counting is a generated stream of n bytes (never held as a slice); it
// hashes what it gives out.
type counting struct {
	left int64
	x    uint32
	sum  interface {
		io.Writer
		Sum([]byte) []byte
	}
}

func newCounting(n int64) *counting { return &counting{left: n, x: 2463534242, sum: sha256.New()} }

func (c *counting) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	for i := range p {
		c.x ^= c.x << 13
		c.x ^= c.x >> 17
		c.x ^= c.x << 5
		p[i] = byte(c.x)
	}
	c.left -= int64(len(p))
	_, _ = c.sum.Write(p)
	return len(p), nil
}

func TestAttachmentsRead(t *testing.T) {
	e := newEnvWith(t, sandbox.Options{SeedIssues: 3}, filesOn)
	if _, err := e.sb.UserAttach("alice@example.com", "TAN-1", "spec.pdf", "application/pdf", []byte("%PDF-1.7")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sb.UserAttach(sandbox.BotEmail, "TAN-1", "copy.txt", "text/plain", []byte("mine")); err != nil {
		t.Fatal(err)
	}
	id := e.sb.Issues()[0].ID
	want := []backlog.Attachment{
		{Name: "spec.pdf", Size: 8, MimeType: "application/pdf", Author: "alice@example.com"},
		{Name: "copy.txt", Size: 4, MimeType: "text/plain", Author: sandbox.BotEmail, Mine: true},
	}
	check := func(t *testing.T, got []backlog.Attachment) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("got %+v", got)
		}
		for i, a := range got {
			w := want[i]
			if a.ID == "" || a.Name != w.Name || a.Size != w.Size || a.MimeType != w.MimeType || a.Author != w.Author || a.Mine != w.Mine ||
				a.Created.IsZero() || !strings.Contains(a.URL, "/attachment/content/"+a.ID) || a.Link || !a.Source.IsZero() {
				t.Errorf("attachment %d: %+v, want %+v", i, a, w)
			}
		}
	}
	for _, tc := range []struct {
		name string
		read func(t *testing.T) []backlog.Attachment
	}{
		{"Attachments", func(t *testing.T) []backlog.Attachment {
			as, err := e.c.Attachments(ctx(t), id)
			if err != nil {
				t.Fatal(err)
			}
			return as
		}},
		{"Get", func(t *testing.T) []backlog.Attachment {
			it, err := e.c.Get(ctx(t), id)
			if err != nil || !it.AttachmentsRead {
				t.Fatalf("Get: %v, read %v", err, it.AttachmentsRead)
			}
			return it.Attachments
		}},
		{"GetMany", func(t *testing.T) []backlog.Attachment {
			m, err := e.c.GetMany(ctx(t), []string{id})
			if err != nil || !m[id].AttachmentsRead {
				t.Fatalf("GetMany: %v, read %v", err, m[id].AttachmentsRead)
			}
			return m[id].Attachments
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.sb.ResetCounts()
			check(t, tc.read(t))
			if c := e.sb.Requests(sandbox.BotEmail); c.Reads+c.Writes != 1 {
				t.Errorf("%d calls, want 1: %v", c.Reads+c.Writes, c.ByOperation)
			}
		})
	}
	// No attachments: read, and empty.
	it, err := e.c.Get(ctx(t), e.sb.Issues()[1].ID)
	if err != nil || !it.AttachmentsRead || len(it.Attachments) != 0 {
		t.Errorf("issue without files: %v, %+v", err, it)
	}
}

func TestAttachmentsOff(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: 3})
	if _, err := e.sb.UserAttach("alice@example.com", "TAN-1", "spec.pdf", "application/pdf", []byte("x")); err != nil {
		t.Fatal(err)
	}
	id := e.sb.Issues()[0].ID
	recorder.mu.Lock()
	from := len(recorder.reqs)
	recorder.mu.Unlock()
	e.sb.ResetCounts()
	it, err := e.c.Get(ctx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.c.GetMany(ctx(t), []string{id})
	if err != nil {
		t.Fatal(err)
	}
	if it.AttachmentsRead || len(it.Attachments) != 0 || m[id].AttachmentsRead {
		t.Errorf("files read with Files off: %+v", it.Attachments)
	}
	if c := e.sb.Requests(sandbox.BotEmail); c.Reads+c.Writes != 2 {
		t.Errorf("%d calls, want 2: %v", c.Reads+c.Writes, c.ByOperation)
	}
	recorder.mu.Lock()
	defer recorder.mu.Unlock()
	for _, r := range recorder.reqs[from:] {
		if strings.Contains(r.url, "attachment") || bytes.Contains(r.body, []byte("attachment")) {
			t.Errorf("%s %s asks for attachments: %s", r.method, r.url, r.body)
		}
	}
}

func TestAttachmentOpen(t *testing.T) {
	e := newEnvWith(t, sandbox.Options{SeedIssues: 3}, filesOn)
	data := []byte("line one\nline two\n")
	aid, err := e.sb.UserAttach("alice@example.com", "TAN-2", "notes.txt", "text/plain", data)
	if err != nil {
		t.Fatal(err)
	}
	as, err := e.c.Attachments(ctx(t), "TAN-2")
	if err != nil || len(as) != 1 {
		t.Fatalf("%v %+v", err, as)
	}
	for _, tc := range []struct {
		name string
		a    backlog.Attachment
	}{
		{"content URL", as[0]},
		{"id only", backlog.Attachment{ID: aid}},
		// The URL without redirect=false is what a client follows on the
		// site, with the credentials.
		{"redirecting URL", backlog.Attachment{ID: aid, URL: e.url + "/rest/api/3/attachment/content/" + aid + "?redirect=true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.sb.ResetCounts()
			rc, size, err := e.c.Open(ctx(t), tc.a)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, data) || size != int64(len(data)) {
				t.Errorf("read %q (%v), size %d", got, err, size)
			}
			if c := e.sb.Requests(sandbox.BotEmail); c.Reads < 1 || c.Reads > 2 || c.Writes != 0 {
				t.Errorf("calls %v", c.ByOperation)
			}
		})
	}
	if err := e.sb.UserDeleteAttachment("alice@example.com", aid); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.c.Open(ctx(t), as[0]); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("a deleted file opens with %v, want ErrNotFound", err)
	}
}

// TestAttachmentOpenMedia follows a redirect to another host (Jira's
// media host) without the site's credentials.
func TestAttachmentOpenMedia(t *testing.T) {
	var auth string
	media := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "from media")
	}))
	t.Cleanup(media.Close)
	// The site: the sandbox, but one path redirects to the media host.
	var site *httptest.Server
	e := newEnvWith(t, sandbox.Options{SeedIssues: 1}, func(sb *sandbox.Server, cfg *Config) {
		site = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/media-redirect" {
				http.Redirect(w, r, media.URL+"/file/abc?token=signed", http.StatusSeeOther)
				return
			}
			sb.ServeHTTP(w, r)
		}))
		t.Cleanup(site.Close)
		cfg.URL = site.URL
		// Not the recorder: the media paths are no Jira API.
		cfg.HTTPClient = &http.Client{Transport: http.DefaultTransport, Timeout: 10 * time.Second}
	})
	rc, size, err := e.c.Open(ctx(t), backlog.Attachment{ID: "1", URL: site.URL + "/media-redirect"})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, _ := io.ReadAll(rc)
	if string(got) != "from media" || size != 10 || auth != "" {
		t.Errorf("read %q, size %d, media saw Authorization %q", got, size, auth)
	}
	// A URL off the site is read without the site's credentials.
	rc2, _, err := e.c.Open(ctx(t), backlog.Attachment{ID: "2", URL: media.URL + "/elsewhere"})
	if err != nil {
		t.Fatal(err)
	}
	rc2.Close()
	if auth != "" {
		t.Errorf("a URL off the site got Authorization %q", auth)
	}
}

// streamCheck passes requests on and records whether an upload's length
// was not buffered when sent (a stream: no GetBody to replay it; its
// length, when told, is the frame around the file's declared size).
type streamCheck struct {
	mu       sync.Mutex
	uploads  int
	buffered int
}

func (s *streamCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/attachments") {
		s.mu.Lock()
		s.uploads++
		if req.GetBody != nil {
			s.buffered++
		}
		s.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

func TestAttach(t *testing.T) {
	sc := &streamCheck{}
	e := newEnvWith(t, sandbox.Options{SeedIssues: 3}, func(sb *sandbox.Server, cfg *Config) {
		cfg.Files = true
		// Not the recorder, which reads every body whole.
		cfg.HTTPClient = &http.Client{Transport: sc, Timeout: time.Minute}
	})
	for _, tc := range []struct {
		name, file, mime string
		size             int64
	}{
		{"small", `a "quoted" name.txt`, "text/plain", 12},
		{"20 MB", "big.bin", "", 20 << 20},
		{"empty", "empty.txt", "text/plain", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := e.sb.Issue("TAN-1")
			e.sb.ResetCounts()
			src := newCounting(tc.size)
			id, err := e.c.Attach(ctx(t), "TAN-1", backlog.FileCopy{Name: tc.file, Size: tc.size, MimeType: tc.mime, Source: backlog.Ref{Side: backlog.Linear, ID: "att-1"}}, src)
			if err != nil {
				t.Fatal(err)
			}
			var got *sandbox.AttachmentView
			for _, a := range e.sb.Attachments("TAN-1") {
				if a.ID == id {
					got = &a
				}
			}
			if got == nil {
				t.Fatalf("no attachment %s", id)
			}
			wantMime := tc.mime
			if wantMime == "" {
				wantMime = "application/octet-stream"
			}
			if sum := sha256.Sum256(got.Data); !bytes.Equal(sum[:], src.sum.Sum(nil)) || int64(len(got.Data)) != tc.size ||
				got.Filename != tc.file || got.MimeType != wantMime || got.Author != sandbox.BotEmail {
				t.Errorf("stored %s %s by %s, %d bytes, want %d", got.Filename, got.MimeType, got.Author, len(got.Data), tc.size)
			}
			if c := e.sb.Requests(sandbox.BotEmail); c.Writes != 1 || c.Reads != 0 {
				t.Errorf("calls %v", c.ByOperation)
			}
			after, _ := e.sb.Issue("TAN-1")
			if after.Changelog != before.Changelog+1 {
				t.Errorf("changelog %d → %d", before.Changelog, after.Changelog)
			}
		})
	}
	if sc.uploads != 3 || sc.buffered != 0 {
		t.Errorf("%d uploads, %d with a buffered body", sc.uploads, sc.buffered)
	}
	// A reader that fails ends the upload with its error, and no file.
	n := len(e.sb.Attachments("TAN-2"))
	_, err := e.c.Attach(ctx(t), "TAN-2", backlog.FileCopy{Name: "x"}, io.MultiReader(strings.NewReader("part"), errReader{}))
	if err == nil || !strings.Contains(err.Error(), "disk on fire") || len(e.sb.Attachments("TAN-2")) != n {
		t.Errorf("failed read: %v, %d files", err, len(e.sb.Attachments("TAN-2")))
	}
	if _, err := e.c.Attach(ctx(t), "TAN-404", backlog.FileCopy{Name: "x"}, strings.NewReader("x")); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("unknown issue: %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestAttachLinkAndDelete(t *testing.T) {
	e := newEnvWith(t, sandbox.Options{SeedIssues: 3}, filesOn)
	f := backlog.FileCopy{Name: "video.mp4", Size: 900 << 20, Source: backlog.Ref{Side: backlog.Linear, ID: "att-9"}, Issue: "ENG-4"}
	e.sb.ResetCounts()
	id1, err := e.c.AttachLink(ctx(t), "TAN-1", f, "https://uploads.linear.app/v1.mp4")
	if err != nil {
		t.Fatal(err)
	}
	id2, err := e.c.AttachLink(ctx(t), "TAN-1", f, "https://uploads.linear.app/v2.mp4")
	if err != nil {
		t.Fatal(err)
	}
	links := e.sb.RemoteLinks("TAN-1")
	if id1 == "" || id1 != id2 || len(links) != 1 || links[0].URL != "https://uploads.linear.app/v2.mp4" ||
		links[0].GlobalID != "tandem-file:linear:att-9" || links[0].Title != "video.mp4 (in Linear, ENG-4)" {
		t.Errorf("ids %s, %s; links %+v", id1, id2, links)
	}
	if c := e.sb.Requests(sandbox.BotEmail); c.Writes != 2 || c.Reads != 0 {
		t.Errorf("calls %v", c.ByOperation)
	}
	// Files do not list links.
	if as, err := e.c.Attachments(ctx(t), "TAN-1"); err != nil || len(as) != 0 {
		t.Errorf("Attachments: %v %+v", err, as)
	}
	fid, err := e.sb.UserAttach("alice@example.com", "TAN-1", "a.txt", "text/plain", []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		a    backlog.Attachment
	}{
		{"file", backlog.Attachment{ID: fid}},
		{"link", backlog.Attachment{ID: id1, Link: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.sb.ResetCounts()
			if err := e.c.DeleteAttachment(ctx(t), "TAN-1", tc.a); err != nil {
				t.Fatal(err)
			}
			if c := e.sb.Requests(sandbox.BotEmail); c.Writes != 1 {
				t.Errorf("calls %v", c.ByOperation)
			}
			// Gone already: not an error.
			if err := e.c.DeleteAttachment(ctx(t), "TAN-1", tc.a); err != nil {
				t.Errorf("second delete: %v", err)
			}
		})
	}
	if len(e.sb.Attachments("TAN-1")) != 0 || len(e.sb.RemoteLinks("TAN-1")) != 0 {
		t.Errorf("left: %+v, %+v", e.sb.Attachments("TAN-1"), e.sb.RemoteLinks("TAN-1"))
	}
}

func TestAttachmentWebhooks(t *testing.T) {
	e := newEnvWith(t, sandbox.Options{SeedIssues: 3, RetryDelay: time.Millisecond}, filesOn)
	var mu sync.Mutex
	var got []connectors.Delivery
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		d, err := e.c.ParseWebhook(r.Header, body, time.Now())
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		got = append(got, d)
		mu.Unlock()
	}))
	t.Cleanup(rcv.Close)
	if err := e.c.EnsureWebhook(ctx(t), rcv.URL, e.secret); err != nil {
		t.Fatal(err)
	}
	wait := func(n int) []connectors.Delivery {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for {
			mu.Lock()
			k := len(got)
			mu.Unlock()
			if k >= n || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		out := got
		got = nil
		return out
	}
	// A person's file: the issue's ref, with its version.
	if _, err := e.sb.UserAttach("alice@example.com", "TAN-2", "a.txt", "text/plain", []byte("a")); err != nil {
		t.Fatal(err)
	}
	ds := wait(1)
	if len(ds) != 1 || len(ds[0].Refs) != 1 || ds[0].Refs[0].Key != "TAN-2" || ds[0].Versions[ds[0].Refs[0].ID] == "" {
		t.Errorf("a person's upload: %+v", ds)
	}
	// Tandem's own upload: its echo is acknowledged, no read.
	e.sb.ResetCounts()
	if _, err := e.c.Attach(ctx(t), "TAN-2", backlog.FileCopy{Name: "b.txt"}, strings.NewReader("b")); err != nil {
		t.Fatal(err)
	}
	ds = wait(1)
	if len(ds) != 1 || len(ds[0].Refs) != 0 || !strings.Contains(ds[0].Ignored, "own change") {
		t.Errorf("own upload's echo: %+v", ds)
	}
	if c := e.sb.Requests(sandbox.BotEmail); c.Reads != 0 {
		t.Errorf("the echo cost reads: %v", c.ByOperation)
	}
	// attachment_created names no issue: acknowledged, ignored; one that
	// does name it reports it.
	for _, tc := range []struct {
		name, body string
		ref        string
	}{
		{"no issue", `{"timestamp":1,"webhookEvent":"attachment_created","attachment":{"id":"10000","filename":"a.txt"}}`, ""},
		{"deleted, no issue", `{"timestamp":1,"webhookEvent":"attachment_deleted","attachment":{"id":"10000"}}`, ""},
		{"with the issue", `{"timestamp":1,"webhookEvent":"attachment_created","attachment":{"id":"10000"},"issue":{"id":"10002","key":"TAN-2","fields":{"project":{"key":"TAN"}}}}`, "10002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			d, err := e.c.ParseWebhook(http.Header{"X-Hub-Signature": {sign(e.secret, body)}}, body, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.ref == "" && (len(d.Refs) != 0 || d.Ignored == ""):
				t.Errorf("want ignored: %+v", d)
			case tc.ref != "" && (len(d.Refs) != 1 || d.Refs[0].ID != tc.ref):
				t.Errorf("want ref %s: %+v", tc.ref, d)
			}
		})
	}
}

func TestToAttachmentShapes(t *testing.T) {
	c := &Client{accountID: "me", users: newDirectory(nil)}
	for _, tc := range []struct {
		name, raw string
		want      backlog.Attachment
		bad       bool
	}{
		{"field form", `{"id":"10001","filename":"a.png","size":3,"mimeType":"image/png","content":"https://x/c/10001","created":"2026-04-25T18:35:13.605+0000","author":{"accountId":"me","displayName":"Bot"}}`,
			backlog.Attachment{ID: "10001", Name: "a.png", Size: 3, MimeType: "image/png", URL: "https://x/c/10001", Author: "Bot", Mine: true, Created: time.Date(2026, 4, 25, 18, 35, 13, 605e6, time.UTC)}, false},
		{"upload answer form", `{"id":10002,"filename":"b","created":1651316514000,"author":{"accountId":"x","emailAddress":"x@example.com"}}`,
			backlog.Attachment{ID: "10002", Name: "b", Author: "x@example.com", Created: time.UnixMilli(1651316514000).UTC()}, false},
		{"no id", `{"filename":"c"}`, backlog.Attachment{}, true},
		{"bad time", `{"id":"1","created":"yesterday"}`, backlog.Attachment{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w wireAttachment
			if err := json.Unmarshal([]byte(tc.raw), &w); err != nil {
				t.Fatal(err)
			}
			a, err := c.toAttachment(w)
			if (err != nil) != tc.bad {
				t.Fatalf("err %v, want failure %v", err, tc.bad)
			}
			if !tc.bad && (a.ID != tc.want.ID || a.Name != tc.want.Name || a.Size != tc.want.Size || a.MimeType != tc.want.MimeType ||
				a.URL != tc.want.URL || a.Author != tc.want.Author || a.Mine != tc.want.Mine || !a.Created.Equal(tc.want.Created)) {
				t.Errorf("got %+v, want %+v", a, tc.want)
			}
		})
	}
}
