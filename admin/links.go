package admin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/reconcile"
	"github.com/tandem-sync/tandem/store"
)

// Pairing by hand over the API (tandem link / unlink, the page):
//
//	POST /api/v1/links            {"jira": "TAN-3", "linear": "ENG-12"}
//	POST /api/v1/links/unlink     {"jira": "TAN-3"} or {"linear": "ENG-12"}
//	GET  /api/v1/ambiguous        items left unlinked with several candidates

// Linker pairs and unpairs items (reconcile.Syncer).
type Linker interface {
	LinkByHand(ctx context.Context, jiraKey, linearID string) (backlog.Link, error)
	UnlinkByHand(ctx context.Context, side backlog.Side, key string) (backlog.Link, error)
	Ambiguous() []reconcile.Ambiguity
}

// LinkRequest is the body of POST /api/v1/links and /links/unlink.
type LinkRequest struct {
	Jira   string `json:"jira,omitempty"`
	Linear string `json:"linear,omitempty"`
}

func (a *API) linkRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/links", a.link)
	mux.HandleFunc("POST /api/v1/links/unlink", a.unlink)
	mux.HandleFunc("GET /api/v1/ambiguous", a.ambiguous)
}

func readLinkRequest(w http.ResponseWriter, r *http.Request) (LinkRequest, bool) {
	var req LinkRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "body: want {\"jira\": KEY, \"linear\": ID}: "+err.Error())
		return req, false
	}
	return req, true
}

func (a *API) linkError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, reconcile.ErrLinked):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	default:
		writeError(w, http.StatusBadGateway, err.Error())
	}
}

func (a *API) link(w http.ResponseWriter, r *http.Request) {
	if a.Linker == nil {
		writeError(w, http.StatusNotImplemented, "linking by hand is not available here")
		return
	}
	req, ok := readLinkRequest(w, r)
	if !ok {
		return
	}
	if req.Jira == "" || req.Linear == "" {
		writeError(w, http.StatusBadRequest, "both jira and linear are required")
		return
	}
	l, err := a.Linker.LinkByHand(r.Context(), req.Jira, req.Linear)
	if err != nil {
		a.linkError(w, err)
		return
	}
	if a.Enqueue != nil {
		if err := a.Enqueue(r, l.Jira); err != nil {
			writeError(w, http.StatusServiceUnavailable, "linked; queueing its first pass: "+err.Error())
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": l.ID(), "jira": l.Jira, "linear": l.Linear, "created": l.Created})
}

func (a *API) unlink(w http.ResponseWriter, r *http.Request) {
	if a.Linker == nil {
		writeError(w, http.StatusNotImplemented, "unlinking by hand is not available here")
		return
	}
	req, ok := readLinkRequest(w, r)
	if !ok {
		return
	}
	side, key := backlog.Jira, req.Jira
	if (req.Jira == "") == (req.Linear == "") {
		writeError(w, http.StatusBadRequest, "name one side: jira or linear")
		return
	}
	if req.Linear != "" {
		side, key = backlog.Linear, req.Linear
	}
	l, err := a.Linker.UnlinkByHand(r.Context(), side, key)
	if err != nil {
		a.linkError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": l.ID(), "jira": l.Jira, "linear": l.Linear, "stopped": l.Stopped})
}

func (a *API) ambiguous(w http.ResponseWriter, _ *http.Request) {
	var out []reconcile.Ambiguity
	if a.Linker != nil {
		out = a.Linker.Ambiguous()
	}
	if out == nil {
		out = []reconcile.Ambiguity{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ambiguous": out})
}
