package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
)

// Remote issue links (GET/POST issue/{key}/remotelink, GET/PUT/DELETE
// issue/{key}/remotelink/{linkId}, DELETE issue/{key}/remotelink?globalId=),
// as the platform spec documents them: a POST whose globalId is already on
// the issue updates that link (200) instead of adding one (201); an update
// sets every field the request leaves out to null. Remote links are not
// issue fields: adding one leaves the issue's changelog, updated time and
// webhooks alone.

// remoteLink is one remote issue link.
type remoteLink struct {
	ID           int
	IssueID      int
	GlobalID     string
	Relationship string
	Application  json.RawMessage // nil: none
	Object       remoteObject
}

type remoteObject struct {
	URL     string
	Title   string
	Summary string
	Icon    json.RawMessage
	Status  json.RawMessage
}

// remoteLinkRequest is RemoteIssueLinkRequest.
type remoteLinkRequest struct {
	GlobalID     string          `json:"globalId"`
	Relationship string          `json:"relationship"`
	Application  json.RawMessage `json:"application"`
	Object       *struct {
		URL     string          `json:"url"`
		Title   string          `json:"title"`
		Summary string          `json:"summary"`
		Icon    json.RawMessage `json:"icon"`
		Status  json.RawMessage `json:"status"`
	} `json:"object"`
}

// RemoteLinkView is a snapshot of a remote link, for tests.
type RemoteLinkView struct {
	ID                   int
	GlobalID, URL, Title string
	Relationship         string
}

// check validates a request as Jira does (field errors, 400).
func (q *remoteLinkRequest) check() error {
	errs := map[string]string{}
	if q.Object == nil {
		errs["object"] = "'object' is required."
	} else {
		if q.Object.Title == "" {
			errs["title"] = "'title' is required."
		}
		if q.Object.URL == "" {
			errs["url"] = "'url' is required."
		}
	}
	if len(q.GlobalID) > 255 {
		errs["globalId"] = "The global ID must be less than 255 characters."
	}
	if len(errs) > 0 {
		return errFields(errs)
	}
	return nil
}

// fill replaces every field of l by the request's (absent ones become
// null, as the spec says for updates).
func (l *remoteLink) fill(q *remoteLinkRequest) {
	l.GlobalID = q.GlobalID
	l.Relationship = q.Relationship
	l.Application = nullable(q.Application)
	l.Object = remoteObject{URL: q.Object.URL, Title: q.Object.Title, Summary: q.Object.Summary, Icon: nullable(q.Object.Icon), Status: nullable(q.Object.Status)}
}

func nullable(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return compactJSON(raw)
}

func (s *Server) remoteLinkJSON(l *remoteLink, is *issue, ri *reqInfo) map[string]any {
	obj := map[string]any{"url": l.Object.URL, "title": l.Object.Title}
	if l.Object.Summary != "" {
		obj["summary"] = l.Object.Summary
	}
	if l.Object.Icon != nil {
		obj["icon"] = l.Object.Icon
	} else {
		obj["icon"] = map[string]any{}
	}
	if l.Object.Status != nil {
		obj["status"] = l.Object.Status
	} else {
		obj["status"] = map[string]any{"icon": map[string]any{}}
	}
	out := map[string]any{
		"id":     l.ID,
		"self":   s.remoteLinkSelf(l, is, ri),
		"object": obj,
	}
	if l.GlobalID != "" {
		out["globalId"] = l.GlobalID
	}
	if l.Relationship != "" {
		out["relationship"] = l.Relationship
	}
	if l.Application != nil {
		out["application"] = l.Application
	} else {
		out["application"] = map[string]any{}
	}
	return out
}

func (s *Server) remoteLinkSelf(l *remoteLink, is *issue, ri *reqInfo) string {
	return apiBase(ri.base, ri.ver) + "/issue/" + is.Key + "/remotelink/" + itoa(l.ID)
}

// remoteLinkByGlobalID is the issue's link with globalID, or nil. The
// caller holds s.mu.
func (s *Server) remoteLinkByGlobalID(is *issue, globalID string) *remoteLink {
	for _, l := range s.remoteLinks[is.ID] {
		if l.GlobalID == globalID {
			return l
		}
	}
	return nil
}

// addRemoteLink creates or (same globalId) updates a link; it reports
// whether it created one. The caller holds s.mu.
func (s *Server) addRemoteLink(is *issue, q *remoteLinkRequest) (*remoteLink, bool) {
	if q.GlobalID != "" {
		if l := s.remoteLinkByGlobalID(is, q.GlobalID); l != nil {
			l.fill(q)
			return l, false
		}
	}
	if s.remoteLinks == nil {
		s.remoteLinks = map[int][]*remoteLink{}
	}
	if s.nextRemoteLink == 0 {
		s.nextRemoteLink = 10000
	}
	l := &remoteLink{ID: s.nextRemoteLink, IssueID: is.ID}
	s.nextRemoteLink++
	l.fill(q)
	s.remoteLinks[is.ID] = append(s.remoteLinks[is.ID], l)
	return l, true
}

func (s *Server) dropRemoteLink(l *remoteLink) {
	s.remoteLinks[l.IssueID] = slices.DeleteFunc(s.remoteLinks[l.IssueID], func(x *remoteLink) bool { return x == l })
	if len(s.remoteLinks[l.IssueID]) == 0 {
		delete(s.remoteLinks, l.IssueID)
	}
}

// pathRemoteLink is the link {linkId} of the path's issue; when there is
// none it answers as Jira does and returns nils. The caller holds s.mu.
func (s *Server) pathRemoteLink(w http.ResponseWriter, r *http.Request) (*issue, *remoteLink) {
	is := s.pathIssue(w, r)
	if is == nil {
		return nil, nil
	}
	id, err := strconv.Atoi(r.PathValue("linkId"))
	if err != nil {
		writeErr(w, http.StatusBadRequest, "Invalid remote issue link id '"+r.PathValue("linkId")+"'.")
		return nil, nil
	}
	for _, ls := range s.remoteLinks {
		for _, l := range ls {
			if l.ID != id {
				continue
			}
			if l.IssueID != is.ID {
				writeErr(w, http.StatusBadRequest, "Remote issue link with id '"+itoa(id)+"' does not belong to issue with id '"+itoa(is.ID)+"'.")
				return nil, nil
			}
			return is, l
		}
	}
	writeErr(w, http.StatusNotFound, "No remote issue link with id '"+itoa(id)+"' exists.")
	return nil, nil
}

func (s *Server) getRemoteLinks(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pathIssue(w, r)
	if is == nil {
		return
	}
	if q := r.URL.Query(); q.Has("globalId") {
		// With a global id the one record is returned, not a list.
		l := s.remoteLinkByGlobalID(is, q.Get("globalId"))
		if l == nil {
			writeErr(w, http.StatusNotFound, "No remote issue link with global id '"+q.Get("globalId")+"' exists on issue '"+is.Key+"'.")
			return
		}
		writeJSON(w, http.StatusOK, s.remoteLinkJSON(l, is, ri))
		return
	}
	out := []any{}
	for _, l := range s.remoteLinks[is.ID] {
		out = append(out, s.remoteLinkJSON(l, is, ri))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) postRemoteLink(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	var q remoteLinkRequest
	if !decodeBody(w, r, &q) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pathIssue(w, r)
	if is == nil {
		return
	}
	if err := q.check(); err != nil {
		writeError(w, err)
		return
	}
	l, created := s.addRemoteLink(is, &q)
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	writeJSON(w, code, map[string]any{"id": l.ID, "self": s.remoteLinkSelf(l, is, ri)})
}

func (s *Server) getRemoteLink(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	is, l := s.pathRemoteLink(w, r)
	if l == nil {
		return
	}
	writeJSON(w, http.StatusOK, s.remoteLinkJSON(l, is, ri))
}

func (s *Server) putRemoteLink(w http.ResponseWriter, r *http.Request) {
	var q remoteLinkRequest
	if !decodeBody(w, r, &q) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is, l := s.pathRemoteLink(w, r)
	if l == nil {
		return
	}
	if err := q.check(); err != nil {
		writeError(w, err)
		return
	}
	if q.GlobalID != "" {
		if other := s.remoteLinkByGlobalID(is, q.GlobalID); other != nil && other != l {
			writeFieldErrs(w, http.StatusBadRequest, map[string]string{"globalId": "A remote issue link with global id '" + q.GlobalID + "' already exists on this issue."})
			return
		}
	}
	l.fill(&q)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteRemoteLink(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, l := s.pathRemoteLink(w, r)
	if l == nil {
		return
	}
	s.dropRemoteLink(l)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteRemoteLinkByGlobalID(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pathIssue(w, r)
	if is == nil {
		return
	}
	q := r.URL.Query()
	if q.Get("globalId") == "" {
		writeErr(w, http.StatusBadRequest, "The global ID must be provided.")
		return
	}
	l := s.remoteLinkByGlobalID(is, q.Get("globalId"))
	if l == nil {
		writeErr(w, http.StatusNotFound, "No remote issue link with global id '"+q.Get("globalId")+"' exists on issue '"+is.Key+"'.")
		return
	}
	s.dropRemoteLink(l)
	w.WriteHeader(http.StatusNoContent)
}

// RemoteLinks returns the remote links of an issue, oldest first.
func (s *Server) RemoteLinks(idOrKey string) []RemoteLinkView {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.lookup(idOrKey)
	if is == nil {
		return nil
	}
	var out []RemoteLinkView
	for _, l := range s.remoteLinks[is.ID] {
		out = append(out, RemoteLinkView{ID: l.ID, GlobalID: l.GlobalID, URL: l.Object.URL, Title: l.Object.Title, Relationship: l.Relationship})
	}
	return out
}

// UserRemoteLink adds a web link to an issue as a person (or another app)
// would, not counted as an API request; a globalId already on the issue
// updates that link. It returns the link's id.
func (s *Server) UserRemoteLink(actorEmail, idOrKey, globalID, url, title string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, is, err := s.actorOn(actorEmail, idOrKey)
	if err != nil {
		return 0, err
	}
	q := &remoteLinkRequest{GlobalID: globalID}
	q.Object = &struct {
		URL     string          `json:"url"`
		Title   string          `json:"title"`
		Summary string          `json:"summary"`
		Icon    json.RawMessage `json:"icon"`
		Status  json.RawMessage `json:"status"`
	}{URL: url, Title: title}
	if err := q.check(); err != nil {
		return 0, err
	}
	l, _ := s.addRemoteLink(is, q)
	return l.ID, nil
}
