package admin

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestUIHandlerServesAssets(t *testing.T) {
	h := UIHandler()
	tests := []struct {
		path, ctype, contains string
	}{
		{"/ui/", "text/html; charset=utf-8", `data-testid="conflict-table"`},
		{"/ui", "text/html; charset=utf-8", `<script type="module" src="/ui/app.js">`},
		{"/ui/index.html", "text/html; charset=utf-8", "<!doctype html>"},
		{"/ui/app.js", "text/javascript; charset=utf-8", "/api/v1/conflicts"},
		{"/ui/diff.js", "text/javascript; charset=utf-8", "export function diffWords"},
		{"/ui/markdown.js", "text/javascript; charset=utf-8", "export function render"},
		{"/ui/app.css", "text/css; charset=utf-8", ".sides"},
		{"/ui/favicon.svg", "image/svg+xml", "<svg"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := get(t, h, http.MethodGet, tt.path, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200", rec.Code)
			}
			if got := rec.Header().Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type %q, want %q", got, tt.ctype)
			}
			if got := rec.Header().Get("Cache-Control"); got != "no-cache" {
				t.Errorf("Cache-Control %q, want no-cache", got)
			}
			csp := rec.Header().Get("Content-Security-Policy")
			if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe") {
				t.Errorf("Content-Security-Policy %q: want default-src 'self' and nothing unsafe", csp)
			}
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			if rec.Header().Get("ETag") == "" {
				t.Error("no ETag")
			}
			if !strings.Contains(rec.Body.String(), tt.contains) {
				t.Errorf("body lacks %q", tt.contains)
			}
		})
	}
}

func TestUIHandlerRejects(t *testing.T) {
	h := UIHandler()
	tests := []struct {
		method, path string
		code         int
	}{
		{http.MethodGet, "/ui/missing.js", http.StatusNotFound},
		{http.MethodGet, "/ui/app.js/", http.StatusNotFound},
		{http.MethodGet, "/ui/sub/app.js", http.StatusNotFound},
		{http.MethodGet, "/ui/../ui.go", http.StatusNotFound},
		{http.MethodGet, "/ui/.%2e/ui.go", http.StatusNotFound},
		{http.MethodGet, "/uifoo", http.StatusNotFound},
		{http.MethodGet, "/ui/ui", http.StatusNotFound},
		{http.MethodPost, "/ui/", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/ui/app.js", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := get(t, h, tt.method, tt.path, nil)
			if rec.Code != tt.code {
				t.Fatalf("status %d, want %d", rec.Code, tt.code)
			}
			if !strings.Contains(rec.Header().Get("Content-Security-Policy"), "default-src 'self'") {
				t.Error("error answers need the CSP too")
			}
		})
	}
}

func TestUIHandlerRevalidates(t *testing.T) {
	h := UIHandler()
	first := get(t, h, http.MethodGet, "/ui/app.js", nil)
	etag := first.Header().Get("ETag")
	again := get(t, h, http.MethodGet, "/ui/app.js", map[string]string{"If-None-Match": etag})
	if again.Code != http.StatusNotModified {
		t.Fatalf("If-None-Match with the current ETag: status %d, want 304", again.Code)
	}
	head := get(t, h, http.MethodHead, "/ui/", nil)
	if head.Code != http.StatusOK || head.Body.Len() != 0 {
		t.Fatalf("HEAD: status %d, %d body bytes", head.Code, head.Body.Len())
	}
}

// Behind http.StripPrefix the handler sees paths without /ui.
func TestUIHandlerStripped(t *testing.T) {
	h := http.StripPrefix("/ui", UIHandler())
	for _, p := range []string{"/ui", "/ui/", "/ui/app.css"} {
		if rec := get(t, h, http.MethodGet, p, nil); rec.Code != http.StatusOK {
			t.Errorf("%s: status %d", p, rec.Code)
		}
	}
}

var (
	assetRef  = regexp.MustCompile(`(?:src|href)="([^"]+)"`)
	importRef = regexp.MustCompile(`(?m)^import .* from "\./([^"]+)";`)
)

// Every asset the page refers to is served, and the page keeps to what the
// CSP allows: no inline script, style or event handler, nothing from
// another origin.
func TestUIPageIsSelfContained(t *testing.T) {
	h := UIHandler()
	index := get(t, h, http.MethodGet, "/ui/", nil).Body.String()
	refs := assetRef.FindAllStringSubmatch(index, -1)
	if len(refs) < 3 {
		t.Fatalf("only %d asset references in index.html", len(refs))
	}
	for _, m := range refs {
		ref := m[1]
		if strings.HasPrefix(ref, "#") {
			continue
		}
		if !strings.HasPrefix(ref, "/ui/") {
			t.Errorf("index.html refers to %q, outside /ui/", ref)
			continue
		}
		if rec := get(t, h, http.MethodGet, ref, nil); rec.Code != http.StatusOK {
			t.Errorf("index.html refers to %q: status %d", ref, rec.Code)
		}
	}
	if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]*\S[^<]*</script>`).MatchString(index) {
		t.Error("inline script in index.html (the CSP blocks it)")
	}
	if regexp.MustCompile(`(?i)\s(on[a-z]+|style)=`).MatchString(index) {
		t.Error("inline event handler or style attribute in index.html (the CSP blocks it)")
	}
	if strings.Contains(index, "//") && regexp.MustCompile(`(?:src|href)="(?:https?:)?//`).MatchString(index) {
		t.Error("index.html loads something from another origin")
	}

	err := fs.WalkDir(uiFiles, "ui", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		src, err := fs.ReadFile(uiFiles, p)
		if err != nil {
			return err
		}
		for _, m := range importRef.FindAllStringSubmatch(string(src), -1) {
			if rec := get(t, h, http.MethodGet, "/ui/"+m[1], nil); rec.Code != http.StatusOK {
				t.Errorf("%s imports %q: status %d", p, m[1], rec.Code)
			}
		}
		// User text must reach the DOM as text, never as markup.
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "localStorage"} {
			if strings.Contains(string(src), bad) {
				t.Errorf("%s uses %s", p, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAssetName(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"/ui", "index.html", true},
		{"/ui/", "index.html", true},
		{"", "index.html", true},
		{"/", "index.html", true},
		{"/ui/app.js", "app.js", true},
		{"/app.js", "app.js", true},
		{"/ui/a/b.js", "", false},
		{"/ui/..", "", false},
		{"/ui/./app.js", "", false},
		{"/uix", "", false},
	}
	for _, tt := range tests {
		got, ok := assetName(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("assetName(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
