package admin

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/reconcile"
	"github.com/tandem-sync/tandem/store"
)

// Status is the daemon's running state, as /api/v1/status reports it.
type Status struct {
	Queue      int   `json:"queue"`
	Passes     int64 `json:"passes"`
	Failures   int64 `json:"failures"`
	Deliveries int64 `json:"deliveries"`
}

// API serves /api/v1 and /ui. Set the fields, then mount Handler.
type API struct {
	State store.State
	Token string
	// Enqueue asks for a sync pass of a ref (daemon.Daemon.Enqueue).
	Enqueue func(r *http.Request, ref backlog.Ref) error
	// Status reports the daemon's counters.
	Status func() Status
	Feed   *Feed
	// Linker, when set, serves linking and unlinking by hand.
	Linker Linker
	Log    *slog.Logger
	Now    func() time.Time
}

// Conflict is a conflict record as the API shows it.
type Conflict struct {
	backlog.Conflict
	Open bool `json:"open"`
}

func view(c backlog.Conflict) Conflict { return Conflict{Conflict: c, Open: c.Open()} }

// Handler returns the API and page behind the bearer token check.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/conflicts", a.listConflicts)
	mux.HandleFunc("GET /api/v1/conflicts/{id}", a.getConflict)
	mux.HandleFunc("POST /api/v1/conflicts/{id}/resolve", a.resolve)
	mux.HandleFunc("GET /api/v1/links", a.links)
	mux.HandleFunc("GET /api/v1/status", a.status)
	mux.HandleFunc("GET /api/v1/propagations", a.propagations)
	a.linkRoutes(mux)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	api := a.auth(mux)
	ui := UIHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			api.ServeHTTP(w, r)
			return
		}
		// The page itself is static; it asks for the token and sends it
		// with every API call.
		ui.ServeHTTP(w, r)
	})
}

func (a *API) auth(next http.Handler) http.Handler {
	want := []byte("Bearer " + a.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if a.Token == "" || subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tandem"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong admin token (Authorization: Bearer $TANDEM_ADMIN_TOKEN)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (a *API) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// ParseFilter reads conflict filters from query parameters: open, field,
// since (RFC 3339 or a date), limit.
func ParseFilter(q map[string][]string) (store.ConflictFilter, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var f store.ConflictFilter
	if v := get("open"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, fmt.Errorf("open=%q: want true or false", v)
		}
		f.OpenOnly = b
	}
	if v := get("field"); v != "" {
		known := false
		for _, k := range backlog.AllFields {
			known = known || string(k) == v
		}
		if !known {
			return f, fmt.Errorf("field=%q is not a field", v)
		}
		f.Field = backlog.Field(v)
	}
	if v := get("since"); v != "" {
		t, err := ParseSince(v)
		if err != nil {
			return f, err
		}
		f.Since = t
	}
	if v := get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return f, fmt.Errorf("limit=%q: want a count", v)
		}
		f.Limit = n
	}
	return f, nil
}

// ParseSince reads an RFC 3339 time or a YYYY-MM-DD date (UTC midnight).
func ParseSince(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("since=%q: want RFC 3339 (2026-11-26T10:00:00Z) or a date (2026-11-26)", v)
}

func (a *API) listConflicts(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	cs, err := a.State.Conflicts(r.Context(), f)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "reading conflicts: "+err.Error())
		return
	}
	out := make([]Conflict, len(cs))
	for i, c := range cs {
		out[i] = view(c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"conflicts": out})
}

func (a *API) getConflict(w http.ResponseWriter, r *http.Request) {
	c, err := a.State.Conflict(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no conflict "+r.PathValue("id"))
		return
	}
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, view(c))
}

// ResolveRequest is the body of POST /api/v1/conflicts/{id}/resolve.
type ResolveRequest struct {
	Take  string  `json:"take,omitempty"`
	Value *string `json:"value,omitempty"`
	By    string  `json:"by,omitempty"`
}

func (a *API) resolve(w http.ResponseWriter, r *http.Request) {
	var req ResolveRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "reading body: "+err.Error()+` (want {"take":"jira|linear|base"} or {"value":"..."})`)
		return
	}
	d := reconcile.Decision{Take: req.Take, By: req.By}
	if req.Value != nil {
		if req.Take != "" && req.Take != "value" {
			writeError(w, http.StatusBadRequest, "give either take or value, not both")
			return
		}
		d.Take, d.Value = "value", backlog.Value(*req.Value)
	}
	if d.By == "" {
		d.By = "api"
	}
	c, err := reconcile.Resolve(r.Context(), a.State, r.PathValue("id"), d, a.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "no conflict "+r.PathValue("id"))
		return
	case errors.Is(err, reconcile.ErrSettled):
		writeError(w, http.StatusConflict, err.Error())
		return
	case errors.Is(err, reconcile.ErrBadDecision):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	if a.Log != nil {
		a.Log.Info("conflict settled", "conflict", c.ID, "field", c.Field, "took", c.Took, "by", c.SettledBy, "jira", c.Jira.Key, "linear", c.Linear.Key)
	}
	if a.Enqueue != nil {
		ref := c.Jira
		if ref.ID == "" {
			ref = c.Linear
		}
		if err := a.Enqueue(r, ref); err != nil {
			// The decision is saved; the next poll or edit applies it.
			writeError(w, http.StatusAccepted, "decision saved, sync pass not queued: "+err.Error())
			return
		}
	}
	writeJSON(w, http.StatusOK, view(c))
}

func (a *API) links(w http.ResponseWriter, r *http.Request) {
	ls, err := a.State.Links(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	type link struct {
		ID string `json:"id"`
		backlog.Link
	}
	out := make([]link, len(ls))
	for i, l := range ls {
		out[i] = link{ID: l.ID(), Link: l}
	}
	writeJSON(w, http.StatusOK, map[string]any{"links": out})
}

func (a *API) status(w http.ResponseWriter, r *http.Request) {
	ls, err := a.State.Links(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	all, err := a.State.Conflicts(r.Context(), store.ConflictFilter{})
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	open := 0
	for _, c := range all {
		if c.Open() {
			open++
		}
	}
	var st Status
	if a.Status != nil {
		st = a.Status()
	}
	var recent []Propagation
	if a.Feed != nil {
		recent = a.Feed.Recent(20)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"links": len(ls), "openConflicts": open, "conflicts": len(all),
		"queue": st.Queue, "passes": st.Passes, "failures": st.Failures, "deliveries": st.Deliveries,
		"recent": recent,
	})
}

func (a *API) propagations(w http.ResponseWriter, r *http.Request) {
	n := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "limit: want a count")
			return
		}
	}
	var out []Propagation
	if a.Feed != nil {
		out = a.Feed.Recent(n)
	}
	if out == nil {
		out = []Propagation{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"propagations": out})
}
