package sandbox

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

func (s *Server) getMyself(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userJSON(ri.user, ri.base, ri.ver).(map[string]any)
	u["emailAddress"] = ri.user.Email // one always sees one's own
	u["locale"] = "en_US"
	u["groups"] = map[string]any{"size": 1, "items": []any{}}
	u["applicationRoles"] = map[string]any{"size": 1, "items": []any{}}
	u["expand"] = "groups,applicationRoles"
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) getServerInfo(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	writeJSON(w, http.StatusOK, map[string]any{
		"baseUrl":        ri.base,
		"displayUrl":     ri.base,
		"version":        "1001.0.0-SNAPSHOT",
		"versionNumbers": []int{1001, 0, 0},
		"deploymentType": "Cloud",
		"buildNumber":    100283,
		"buildDate":      "2026-11-20T00:00:00.000+0000",
		"serverTime":     fmtTime(s.now()),
		"scmInfo":        "57a0ca5b4a0bb0ac5f3fee4764acb1c14e4d7e71",
		"serverTitle":    "Jira",
	})
}

func (s *Server) fullProject(base string, ver int) map[string]any {
	p := s.projectJSON(base, ver)
	types := []any{}
	for _, t := range s.types {
		types = append(types, typeJSON(t, base, ver))
	}
	p["issueTypes"] = types
	p["description"] = "Demo project served by the Tandem sandbox."
	p["lead"] = s.userJSON(s.users[1], base, ver)
	p["assigneeType"] = "UNASSIGNED"
	p["style"] = "classic"
	p["isPrivate"] = false
	p["properties"] = map[string]any{}
	p["expand"] = "description,lead,issueTypes,url,projectKeys,permissions,insight"
	return p
}

func (s *Server) getProjects(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, []any{s.projectJSON(ri.base, ri.ver)})
}

func (s *Server) searchProjects(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	start, max, ok := readPaging(w, r, 50)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	vals := []any{}
	q := strings.ToLower(r.URL.Query().Get("query"))
	keys := r.URL.Query()["keys"]
	match := (q == "" || strings.Contains(strings.ToLower(s.project.Name), q) || strings.Contains(strings.ToLower(s.project.Key), q)) &&
		(len(keys) == 0 || containsFold(keys, s.project.Key))
	total := 0
	if match {
		total = 1
		if start == 0 && max > 0 {
			vals = append(vals, s.projectJSON(ri.base, ri.ver))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"self": apiBase(ri.base, ri.ver) + "/project/search", "maxResults": max, "startAt": start,
		"total": total, "isLast": true, "values": vals,
	})
}

func containsFold(l []string, v string) bool {
	for _, x := range l {
		for _, y := range strings.Split(x, ",") {
			if strings.EqualFold(y, v) {
				return true
			}
		}
	}
	return false
}

func (s *Server) projectMatches(idOrKey string) bool {
	return strings.EqualFold(idOrKey, s.project.Key) || idOrKey == s.project.ID
}

// knownProject tells whether idOrKey names the project; when it does not it
// answers Jira's 404.
func (s *Server) knownProject(w http.ResponseWriter, idOrKey string) bool {
	if !s.projectMatches(idOrKey) {
		writeErr(w, http.StatusNotFound, "No project could be found with key '"+idOrKey+"'.")
		return false
	}
	return true
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.knownProject(w, r.PathValue("projectIdOrKey")) {
		return
	}
	writeJSON(w, http.StatusOK, s.fullProject(ri.base, ri.ver))
}

func (s *Server) getProjectStatuses(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.knownProject(w, r.PathValue("projectIdOrKey")) {
		return
	}
	out := []any{}
	for _, t := range s.types {
		sts := []any{}
		for _, st := range s.statuses {
			sts = append(sts, statusJSON(st, ri.base, ri.ver))
		}
		out = append(out, map[string]any{
			"self": apiBase(ri.base, ri.ver) + "/issuetype/" + t.ID, "id": t.ID, "name": t.Name, "subtask": false, "statuses": sts,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getStatuses(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, st := range s.statuses {
		j := statusJSON(st, ri.base, ri.ver)
		j["scope"] = map[string]any{"type": "PROJECT", "project": map[string]string{"id": s.project.ID}}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getPriorities(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, p := range s.priorities {
		j := priorityJSON(p, ri.base, ri.ver).(map[string]any)
		j["statusColor"] = p.Color
		j["description"] = p.Name
		j["isDefault"] = p.Name == "Medium"
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getIssueTypes(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, t := range s.types {
		out = append(out, typeJSON(t, ri.base, ri.ver))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getFields(w http.ResponseWriter, r *http.Request) {
	out := []any{}
	for _, d := range s.fieldDefs() {
		out = append(out, d.json())
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	id := r.URL.Query().Get("accountId")
	if id == "" {
		writeErr(w, http.StatusBadRequest, "The query parameter 'accountId' is required.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userByAccount(id)
	if u == nil {
		writeErr(w, http.StatusNotFound, "Specified user does not exist or you do not have required permissions")
		return
	}
	writeJSON(w, http.StatusOK, s.userJSON(u, ri.base, ri.ver))
}

func (s *Server) searchUsers(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	q := strings.ToLower(r.URL.Query().Get("query"))
	acc := r.URL.Query().Get("accountId")
	if q == "" && acc == "" && r.URL.Query().Get("property") == "" {
		writeErr(w, http.StatusBadRequest, "One of 'query', 'accountId' or 'property' query parameters must be provided.")
		return
	}
	start, max, ok := readPaging(w, r, 50)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	n := 0
	for _, u := range s.users {
		if acc != "" && u.AccountID != acc {
			continue
		}
		if q != "" && !strings.HasPrefix(strings.ToLower(u.Email), q) && !strings.HasPrefix(strings.ToLower(u.DisplayName), q) &&
			!strings.Contains(strings.ToLower(u.DisplayName), " "+q) {
			continue
		}
		if n >= start && len(out) < max {
			out = append(out, s.userJSON(u, ri.base, ri.ver))
		}
		n++
	}
	writeJSON(w, http.StatusOK, out)
}

// getCreateMeta lists the issue types a project can create
// (PageOfCreateMetaIssueTypes).
func (s *Server) getCreateMeta(w http.ResponseWriter, r *http.Request, project string) {
	ri := info(r)
	start, max, ok := readPaging(w, r, 50)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.knownProject(w, project) {
		return
	}
	types := []any{}
	for i := start; i < len(s.types) && len(types) < max; i++ {
		types = append(types, typeJSON(s.types[i], ri.base, ri.ver))
	}
	writeJSON(w, http.StatusOK, map[string]any{"issueTypes": types, "maxResults": max, "startAt": start, "total": len(s.types)})
}

// searchAssignable lists the users who can be assigned issues of the
// project (or of one issue); with a query, those whose display name or
// visible email starts with it (Jira does not match hidden emails).
func (s *Server) searchAssignable(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	qv := r.URL.Query()
	if qv.Get("project") == "" && qv.Get("issueKey") == "" && qv.Get("issueId") == "" {
		writeErr(w, http.StatusBadRequest, "One of the following query parameters must be provided: issueKey, issueId, project.")
		return
	}
	start, max, ok := readPaging(w, r, 50)
	if !ok {
		return
	}
	max = min(max, 1000)
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := qv.Get("project"); p != "" && !s.knownProject(w, p) {
		return
	}
	for _, k := range []string{qv.Get("issueKey"), qv.Get("issueId")} {
		if k != "" && s.lookup(k) == nil {
			writeError(w, errIssueNotFound)
			return
		}
	}
	q := strings.ToLower(qv.Get("query"))
	acc := qv.Get("accountId")
	out := []any{}
	n := 0
	for _, u := range s.users {
		if acc != "" && u.AccountID != acc {
			continue
		}
		if q != "" && !(strings.HasPrefix(strings.ToLower(u.DisplayName), q) || strings.Contains(strings.ToLower(u.DisplayName), " "+q) ||
			(!u.HideEmail && strings.HasPrefix(strings.ToLower(u.Email), q))) {
			continue
		}
		if n >= start && len(out) < max {
			out = append(out, s.userJSON(u, ri.base, ri.ver))
		}
		n++
	}
	writeJSON(w, http.StatusOK, out)
}

// getLabels lists the labels in use on the site (PageBeanString), sorted.
func (s *Server) getLabels(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	start, max, ok := readPaging(w, r, 1000)
	if !ok {
		return
	}
	max = min(max, 1000)
	s.mu.Lock()
	set := map[string]bool{}
	for _, is := range s.byID {
		for _, l := range is.Labels {
			set[l] = true
		}
	}
	s.mu.Unlock()
	all := make([]string, 0, len(set))
	for l := range set {
		all = append(all, l)
	}
	slices.Sort(all)
	vals := []string{}
	for i := start; i < len(all) && len(vals) < max; i++ {
		vals = append(vals, all[i])
	}
	self := apiBase(ri.base, ri.ver) + "/label"
	out := map[string]any{
		"self": self + "?maxResults=" + strconv.Itoa(max) + "&startAt=" + strconv.Itoa(start), "maxResults": max, "startAt": start,
		"total": len(all), "isLast": start+len(vals) >= len(all), "values": vals,
	}
	if start+len(vals) < len(all) {
		out["nextPage"] = self + "?maxResults=" + strconv.Itoa(max) + "&startAt=" + strconv.Itoa(start+len(vals))
	}
	writeJSON(w, http.StatusOK, out)
}
