package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Routes ordinary clients (jira.js, the Jira UI, scripts) send besides
// the ones Tandem uses: PUT /issue/{key}/assignee, GET /issue/{key}/editmeta,
// and the Agile views of issues (GET /rest/agile/1.0/issue/{key} and
// /board/{id}/issue), which add the sprint, closedSprints and flagged
// fields to the issue.

// assignIssue is PUT /rest/api/{2,3}/issue/{key}/assignee: the body is a
// user ({"accountId": "..."}); accountId null unassigns, "-1" gives the
// project's default assignee (the sandbox project has none: unassigned).
// The change is logged and raises jira:issue_updated (issue_assigned) with
// the changelog, as an edit of the assignee field does.
func (s *Server) assignIssue(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	var body map[string]json.RawMessage
	if !decodeBody(w, r, &body) {
		return
	}
	raw, ok := body["accountId"]
	if !ok {
		if _, byName := body["name"]; byName {
			// GDPR strict mode: Jira Cloud no longer takes user names.
			writeErr(w, http.StatusBadRequest, "The query parameter 'name' is not supported in GDPR strict mode.")
			return
		}
		writeErr(w, http.StatusBadRequest, "accountId must be provided.")
		return
	}
	if !isNull(raw) {
		if _, isStr := jsonString(raw); !isStr {
			writeErr(w, http.StatusBadRequest, "accountId must be a string.")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pathIssue(w, r)
	if is == nil {
		return
	}
	if isNull(raw) {
		raw = json.RawMessage("null")
	} else {
		raw, _ = json.Marshal(map[string]json.RawMessage{"accountId": raw})
	}
	items, msg := s.setField(is, "assignee", raw, ri.ver, false)
	if msg != "" {
		writeFieldErrs(w, http.StatusBadRequest, map[string]string{"assignee": msg})
		return
	}
	if h := s.record(is, ri.user, items); h != nil {
		s.emitIssue("jira:issue_updated", "issue_assigned", is, ri.user, h)
	}
	w.WriteHeader(http.StatusNoContent)
}

// editableFields are the fields the edit screen offers, in editmeta
// order, with their operations.
var editableFields = []struct {
	id  string
	ops []string
}{
	{"summary", []string{"set"}},
	{"issuetype", []string{"set"}},
	{"parent", []string{"set"}},
	{"description", []string{"set"}},
	{"priority", []string{"set"}},
	{"labels", []string{"add", "set", "remove"}},
	{"assignee", []string{"set"}},
	{"reporter", []string{"set"}},
	{"duedate", []string{"set"}},
	{StoryPointsField, []string{"set"}},
	{SprintField, []string{"set"}},
	{"comment", []string{"add", "edit", "remove"}},
}

// getEditMeta is GET /rest/api/{2,3}/issue/{key}/editmeta
// (IssueUpdateMetadata): the fields the issue's edit screen shows. A
// sub-task has no Sprint field (it shares its parent's sprint).
func (s *Server) getEditMeta(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pathIssue(w, r)
	if is == nil {
		return
	}
	defs := map[string]fieldDef{}
	for _, d := range s.fieldDefs() {
		defs[d.ID] = d
	}
	api := apiBase(ri.base, ri.ver)
	fields := map[string]any{}
	for _, ef := range editableFields {
		if ef.id == SprintField && is.Type.Hierarchy < 0 {
			continue
		}
		if ef.id == "parent" && is.Type.Hierarchy > 0 {
			continue // an epic has no parent here
		}
		d := defs[ef.id]
		sch := map[string]any{"type": d.Type}
		if d.Items != "" {
			sch["items"] = d.Items
		}
		if d.System != "" {
			sch["system"] = d.System
		}
		if d.Custom != "" {
			sch["custom"], sch["customId"] = d.Custom, d.CustomID
		}
		m := map[string]any{"key": d.ID, "name": d.Name, "operations": ef.ops, "required": ef.id == "summary" || ef.id == "issuetype",
			"schema": sch, "hasDefaultValue": false}
		switch ef.id {
		case "priority":
			vals := []any{}
			for _, p := range s.priorities {
				vals = append(vals, priorityJSON(p, ri.base, ri.ver))
			}
			m["allowedValues"] = vals
		case "issuetype":
			vals := []any{}
			for _, t := range s.types {
				if (t.Hierarchy < 0) == (is.Type.Hierarchy < 0) {
					vals = append(vals, typeJSON(t, ri.base, ri.ver))
				}
			}
			m["allowedValues"] = vals
		case "assignee":
			m["autoCompleteUrl"] = api + "/user/assignable/search?issueKey=" + is.Key + "&query="
		case "reporter":
			m["autoCompleteUrl"] = api + "/user/recommend?context=Reporter&issueKey=" + is.Key
		case "labels":
			m["autoCompleteUrl"] = ri.base + "/rest/api/1.0/labels/" + itoa(is.ID) + "/suggest?query="
		}
		fields[ef.id] = m
	}
	writeJSON(w, http.StatusOK, map[string]any{"fields": fields})
}

// agileIssue renders is as the Agile API does: the v2 issue with the
// sprint (the open one), closedSprints and flagged fields, when the field
// selection asks for them.
func (s *Server) agileIssue(is *issue, base string, o renderOpts) map[string]any {
	out := s.renderIssue(is, base, 2, o)
	f, ok := out["fields"].(map[string]any)
	if !ok {
		return out
	}
	src := is
	if is.Type.Hierarchy < 0 && is.Parent != nil {
		src = is.Parent // a sub-task is in its parent's sprints
	}
	var open any
	closed := []any{}
	for _, sp := range src.Sprints {
		if sp.State == SprintClosed {
			closed = append(closed, sp.json(base))
		} else {
			open = sp.json(base)
		}
	}
	if o.fields.has("sprint") {
		f["sprint"] = open
	}
	if o.fields.has("closedSprints") {
		f["closedSprints"] = closed
	}
	if o.fields.has("flagged") {
		f["flagged"] = false
	}
	return out
}

// getAgileIssue is GET /rest/agile/1.0/issue/{issueIdOrKey}.
func (s *Server) getAgileIssue(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pathIssue(w, r)
	if is == nil {
		return
	}
	o := renderOpts{fields: parseFieldSel(q["fields"], "*all"), expand: parseExpand(q["expand"])}
	writeJSON(w, http.StatusOK, s.agileIssue(is, ri.base, o))
}

// getBoardIssues is GET /rest/agile/1.0/board/{boardId}/issue: every issue
// of the board (its filter is the project), in rank order, narrowed by
// jql; paged by startAt and maxResults (at most 50 by default).
func (s *Server) getBoardIssues(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	if !knownBoard(w, r) {
		return
	}
	start, max, ok := readPaging(w, r, 50)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var filter pred
	if jql := strings.TrimSpace(r.URL.Query().Get("jql")); jql != "" {
		q, err := s.parseJQL(jql, ri.user)
		if err != nil {
			writeErr(w, http.StatusBadRequest, err.Error())
			return
		}
		filter = q.where
	}
	var list []*issue
	for _, is := range s.ordered() {
		if filter != nil && filter(is) != yes {
			continue
		}
		list = append(list, is)
	}
	o := renderOpts{fields: parseFieldSel(r.URL.Query()["fields"], "*navigable"), expand: parseExpand(r.URL.Query()["expand"])}
	issues := []any{}
	for i := start; i < len(list) && len(issues) < max; i++ {
		issues = append(issues, s.agileIssue(list[i], ri.base, o))
	}
	writeJSON(w, http.StatusOK, map[string]any{"expand": "schema,names", "startAt": start, "maxResults": max, "total": len(list), "issues": issues})
}
