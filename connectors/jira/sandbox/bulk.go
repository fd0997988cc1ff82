package sandbox

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
)

// Jira Cloud's caps on the bulk routes (the platform spec: "You can
// request up to 100 issues", "Creates upto 50 issues").
const (
	maxBulkFetch  = 100
	maxBulkCreate = 50
)

// bulkFetch serves POST /rest/api/{2,3}/issue/bulkfetch: the issues named
// by issueIdsOrKeys in ascending id order. An id or key that names no
// issue is left out (not listed in issueErrors, which the spec keeps for
// retriable errors and payload limits).
func (s *Server) bulkFetch(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	var req struct {
		IssueIdsOrKeys []string `json:"issueIdsOrKeys"`
		Fields         []string `json:"fields"`
		Expand         []string `json:"expand"`
		Properties     []string `json:"properties"`
		FieldsByKeys   bool     `json:"fieldsByKeys"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	// The spec's 400: "no issue IDs/keys were present, or more than 100
	// issue IDs/keys were requested" (the wording of the message is ours).
	if len(req.IssueIdsOrKeys) == 0 {
		writeErr(w, http.StatusBadRequest, "At least one issue ID or key is required.")
		return
	}
	if len(req.IssueIdsOrKeys) > maxBulkFetch {
		writeErr(w, http.StatusBadRequest, "The number of issue IDs or keys requested exceeds the maximum of "+strconv.Itoa(maxBulkFetch)+".")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []*issue
	for _, k := range req.IssueIdsOrKeys {
		if is := s.lookup(k); is != nil && !slices.Contains(found, is) {
			found = append(found, is)
		}
	}
	slices.SortFunc(found, func(a, b *issue) int { return a.ID - b.ID })
	all, keys := propSel(req.Properties)
	o := renderOpts{fields: parseFieldSel(req.Fields, "*navigable"), expand: parseExpand(req.Expand), props: keys, allProps: all, propsSet: len(req.Properties) > 0}
	issues := make([]any, 0, len(found))
	for _, is := range found {
		issues = append(issues, s.renderIssue(is, ri.base, ri.ver, o))
	}
	writeJSON(w, http.StatusOK, map[string]any{"issues": issues, "issueErrors": []any{}})
}

// bulkCreate serves POST /rest/api/{2,3}/issue/bulk: each of issueUpdates
// is created on its own, as POST /issue would (webhooks included); one
// that fails is reported in errors by its index (failedElementNumber)
// with its status and the error collection POST /issue answers. 201 when
// any was created, 400 when none was.
func (s *Server) bulkCreate(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	var req struct {
		IssueUpdates []editRequest `json:"issueUpdates"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if len(req.IssueUpdates) > maxBulkCreate {
		// Jira checks the count before any element; the wording is ours.
		writeErr(w, http.StatusBadRequest, "Too many issues: you can create up to "+strconv.Itoa(maxBulkCreate)+" issues in one bulk request.")
		return
	}
	s.mu.Lock()
	created := []any{}
	failures := []any{}
	for n, u := range req.IssueUpdates {
		is, err := s.create(ri.user, u, ri.ver)
		if err != nil {
			status, msgs, fields := http.StatusBadRequest, []string{}, map[string]string{}
			var he *httpError
			if errors.As(err, &he) {
				status = he.code
				if he.msgs != nil {
					msgs = he.msgs
				}
				if he.fields != nil {
					fields = he.fields
				}
			} else {
				msgs = []string{err.Error()}
			}
			failures = append(failures, map[string]any{
				"status": status, "failedElementNumber": n,
				"elementErrors": map[string]any{"errorMessages": msgs, "errors": fields},
			})
			continue
		}
		created = append(created, map[string]any{
			"id": itoa(is.ID), "key": is.Key, "self": apiBase(ri.base, ri.ver) + "/issue/" + itoa(is.ID),
		})
	}
	s.mu.Unlock()
	code := http.StatusCreated
	if len(created) == 0 {
		code = http.StatusBadRequest
	}
	writeJSON(w, code, map[string]any{"issues": created, "errors": failures})
}
