package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

const boardID = 1

// rankRequest is RankIssuesRequestBean.
type rankRequest struct {
	Issues            []string `json:"issues"`
	RankBeforeIssue   string   `json:"rankBeforeIssue"`
	RankAfterIssue    string   `json:"rankAfterIssue"`
	RankCustomFieldID *int64   `json:"rankCustomFieldId"`
}

type rankEntry struct {
	IssueID  int      `json:"issueId"`
	IssueKey string   `json:"issueKey"`
	Status   int      `json:"status"`
	Errors   []string `json:"errors,omitempty"`
}

// rank moves issues (in the given order) before or after the anchor; the
// caller holds s.mu. It returns one entry per requested issue.
func (s *Server) rank(actor *user, req rankRequest) ([]rankEntry, error) {
	if len(req.Issues) == 0 {
		return nil, errMsg(400, "There must be at least one issue to rank.")
	}
	if len(req.Issues) > 50 {
		return nil, errMsg(400, "Only 50 issues can be ranked at once.")
	}
	if (req.RankBeforeIssue == "") == (req.RankAfterIssue == "") {
		return nil, errMsg(400, "Either rankBeforeIssue or rankAfterIssue must be specified.")
	}
	if req.RankCustomFieldID != nil && *req.RankCustomFieldID != 10019 {
		return nil, errMsg(400, fmt.Sprintf("The rank field with id %d does not exist.", *req.RankCustomFieldID))
	}
	anchorRef := req.RankBeforeIssue + req.RankAfterIssue
	anchor := s.lookup(anchorRef)
	if anchor == nil {
		return nil, errMsg(400, fmt.Sprintf("Issue '%s' to rank against does not exist.", anchorRef))
	}
	entries := make([]rankEntry, len(req.Issues))
	var moving []*issue
	for i, ref := range req.Issues {
		is := s.lookup(ref)
		switch {
		case is == nil:
			entries[i] = rankEntry{IssueKey: ref, Status: 404, Errors: []string{"Issue does not exist or you do not have permission to see it."}}
		case is == anchor:
			entries[i] = rankEntry{IssueID: is.ID, IssueKey: is.Key, Status: 400, Errors: []string{"Cannot rank an issue relative to itself."}}
		case slices.Contains(moving, is):
			entries[i] = rankEntry{IssueID: is.ID, IssueKey: is.Key, Status: 400, Errors: []string{"The issue is listed more than once."}}
		case s.rankFault(is):
			// The spec's own example of a partial failure.
			entries[i] = rankEntry{IssueID: is.ID, IssueKey: is.Key, Status: s.rankFaults[is.ID].status, Errors: []string{"JIRA Agile cannot execute the rank operation at this time. Please try again later."}}
		default:
			entries[i] = rankEntry{IssueID: is.ID, IssueKey: is.Key, Status: 200}
			moving = append(moving, is)
		}
	}
	if len(moving) == 0 {
		return entries, nil
	}
	// Neighbours of the anchor among the issues that stay put.
	var rest []*issue
	for _, is := range s.ordered() {
		if !slices.Contains(moving, is) {
			rest = append(rest, is)
		}
	}
	ai := slices.Index(rest, anchor)
	var lo, hi string
	if req.RankBeforeIssue != "" {
		hi = anchor.Rank
		if ai > 0 {
			lo = rest[ai-1].Rank
		}
	} else {
		lo = anchor.Rank
		if ai+1 < len(rest) {
			hi = rest[ai+1].Rank
		}
	}
	ranks := ranksBetween(lo, hi, len(moving))
	for i, is := range moving {
		// Ranks are distinct, so comparing them tells the direction.
		dir := "Ranked higher"
		if ranks[i] > is.Rank {
			dir = "Ranked lower"
		}
		s.setRank(is, ranks[i])
		h := s.record(is, actor, []changeItem{{Field: "Rank", FieldType: "custom", FieldID: RankField, From: sp(""), FromString: sp(""), To: sp(""), ToString: sp(dir)}})
		s.emitIssue("jira:issue_updated", "issue_updated", is, actor, h)
	}
	return entries, nil
}

// fault is an injected per-issue rank failure.
type fault struct {
	left   int // failures still to come
	status int // the entry's status in the 207 answer
}

// FailRank makes the named issues (ids or keys) fail their next n rank
// attempts (REST or UserRank) with status in a 207 answer, as Jira does
// when Agile cannot rank an issue for now; the other issues of the same
// request are ranked. n <= 0 clears the faults of those issues.
func (s *Server) FailRank(n, status int, issues ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rankFaults == nil {
		s.rankFaults = map[int]fault{}
	}
	for _, ref := range issues {
		if is := s.lookup(ref); is != nil {
			if n <= 0 {
				delete(s.rankFaults, is.ID)
			} else {
				s.rankFaults[is.ID] = fault{left: n, status: status}
			}
		}
	}
}

// rankFault says whether ranking is must fail now, using up one injected
// failure; the caller holds s.mu.
func (s *Server) rankFault(is *issue) bool {
	f, ok := s.rankFaults[is.ID]
	if !ok || f.left <= 0 {
		return false
	}
	f.left--
	s.rankFaults[is.ID] = f
	return true
}

func (s *Server) rankIssues(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	var req rankRequest
	if !decodeBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	entries, err := s.rank(ri.user, req)
	if err != nil {
		writeError(w, err)
		return
	}
	for _, e := range entries {
		if e.Status != 200 {
			writeJSON(w, http.StatusMultiStatus, map[string]any{"entries": entries})
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) boardJSON(base string) map[string]any {
	return map[string]any{
		"id":   boardID,
		"self": base + "/rest/agile/1.0/board/1",
		"name": s.project.Key + " board",
		"type": "scrum",
		"location": map[string]any{
			"projectId": 10000, "displayName": s.project.Name + " (" + s.project.Key + ")",
			"projectName": s.project.Name, "projectKey": s.project.Key, "projectTypeKey": "software", "name": s.project.Name,
		},
	}
}

func (s *Server) getBoards(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	start, max, ok := readPaging(w, r, 50)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	vals := []any{}
	loc := r.URL.Query().Get("projectKeyOrId")
	if start == 0 && max > 0 && (loc == "" || s.projectMatches(loc)) {
		vals = append(vals, s.boardJSON(ri.base))
	}
	writeJSON(w, http.StatusOK, map[string]any{"maxResults": max, "startAt": start, "total": len(vals), "isLast": true, "values": vals})
}

func (s *Server) getBoard(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	if !knownBoard(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.boardJSON(ri.base))
}

// getBacklog lists the board's unresolved issues in rank order; Agile
// answers in the v2 representation.
func (s *Server) getBacklog(w http.ResponseWriter, r *http.Request) {
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
		if is.Status.Cat == catDone || (filter != nil && filter(is) != yes) {
			continue
		}
		list = append(list, is)
	}
	o := renderOpts{fields: parseFieldSel(r.URL.Query()["fields"], "*navigable"), expand: parseExpand(r.URL.Query()["expand"])}
	issues := []any{}
	for i := start; i < len(list) && len(issues) < max; i++ {
		issues = append(issues, s.renderIssue(list[i], ri.base, 2, o))
	}
	writeJSON(w, http.StatusOK, map[string]any{"expand": "schema,names", "startAt": start, "maxResults": max, "total": len(list), "issues": issues})
}
