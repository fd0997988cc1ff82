package admin

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// The admin page: static HTML, CSS and JavaScript (no framework, nothing
// loaded from elsewhere) that talks to the JSON API under /api/v1.
//
//go:embed ui
var uiFiles embed.FS

// CSP is the Content-Security-Policy of every UI response: the page loads
// scripts, styles, images and API answers from its own origin only, runs no
// inline script, cannot be framed and posts no form anywhere else.
const CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

// uiTypes are the content types of the assets we ship, fixed here rather
// than taken from the host's mime tables, which differ between machines.
var uiTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".json": "application/json",
	".png":  "image/png",
	".ico":  "image/x-icon",
}

type uiAsset struct {
	body  []byte
	ctype string
	etag  string
}

// UIHandler serves the admin page's embedded assets: the page at /ui and
// /ui/, the other files at /ui/<name>. It answers GET and HEAD only (405
// otherwise) and 404 for anything it does not ship. Every answer carries
// Cache-Control: no-cache (with an ETag, so a reload revalidates cheaply)
// and the strict CSP above. Mount it for both "/ui" and "/ui/"; it also
// works behind http.StripPrefix("/ui", ...).
//
// It does no authentication: the page holds no data, and asks for the
// admin token before it calls the API.
func UIHandler() http.Handler {
	assets := loadAssets()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-cache")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name, ok := assetName(r.URL.Path)
		a, found := assets[name]
		if !ok || !found {
			http.NotFound(w, r)
			return
		}
		h.Set("Content-Type", a.ctype)
		h.Set("ETag", a.etag)
		// ServeContent answers If-None-Match with 304 and handles HEAD and
		// ranges; a zero modtime leaves Last-Modified out.
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
	})
}

// assetName maps a request path to a file under ui/: "" and "/" (the page)
// to index.html. Only plain file names directly under /ui/ are served.
func assetName(p string) (string, bool) {
	p = strings.TrimPrefix(p, "/ui")
	if p == "" || p == "/" {
		return "index.html", true
	}
	if !strings.HasPrefix(p, "/") {
		return "", false // "/uifoo"
	}
	name := p[1:]
	if name == "" || strings.Contains(name, "/") || path.Clean(name) != name || !fs.ValidPath(name) {
		return "", false
	}
	return name, true
}

func loadAssets() map[string]uiAsset {
	sub, err := fs.Sub(uiFiles, "ui")
	if err != nil {
		panic("admin: embedded ui missing: " + err.Error()) // a build defect, not input
	}
	assets := map[string]uiAsset{}
	entries, err := fs.ReadDir(sub, ".")
	if err != nil {
		panic("admin: reading embedded ui: " + err.Error())
	}
	for _, e := range entries {
		ctype, ok := uiTypes[path.Ext(e.Name())]
		if e.IsDir() || !ok {
			continue
		}
		body, err := fs.ReadFile(sub, e.Name())
		if err != nil {
			panic("admin: reading embedded ui: " + err.Error())
		}
		sum := sha256.Sum256(body)
		assets[e.Name()] = uiAsset{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return assets
}
