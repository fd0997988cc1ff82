package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
)

// searchParams are the union of the GET query and POST body parameters.
type searchParams struct {
	JQL           string
	NextPageToken string
	StartAt       int
	MaxResults    int
	maxSet        bool
	Fields        []string
	Expand        []string
	Properties    []string
	propsSet      bool
}

func readSearchParams(r *http.Request) (searchParams, error) {
	var p searchParams
	if r.Method == http.MethodPost {
		var body struct {
			JQL           string          `json:"jql"`
			NextPageToken string          `json:"nextPageToken"`
			StartAt       int             `json:"startAt"`
			MaxResults    *int            `json:"maxResults"`
			Fields        []string        `json:"fields"`
			Expand        json.RawMessage `json:"expand"`
			Properties    []string        `json:"properties"`
		}
		if err := decode(r, &body); err != nil {
			return p, err
		}
		p.JQL, p.NextPageToken, p.StartAt, p.Fields, p.Properties = body.JQL, body.NextPageToken, body.StartAt, body.Fields, body.Properties
		p.propsSet = body.Properties != nil
		if body.MaxResults != nil {
			p.MaxResults, p.maxSet = *body.MaxResults, true
		}
		if len(body.Expand) > 0 {
			var s string
			var l []string
			if json.Unmarshal(body.Expand, &s) == nil {
				p.Expand = parseExpand([]string{s})
			} else if json.Unmarshal(body.Expand, &l) == nil {
				p.Expand = parseExpand(l)
			}
		}
		return p, nil
	}
	q := r.URL.Query()
	p.JQL, p.NextPageToken = q.Get("jql"), q.Get("nextPageToken")
	p.Fields, p.Properties, p.Expand = q["fields"], q["properties"], parseExpand(q["expand"])
	p.propsSet = len(q["properties"]) > 0
	var err error
	if v := q.Get("maxResults"); v != "" {
		if p.MaxResults, err = strconv.Atoi(v); err != nil {
			return p, errMsg(400, "The value '"+v+"' is not valid for maxResults.")
		}
		p.maxSet = true
	}
	if v := q.Get("startAt"); v != "" {
		if p.StartAt, err = strconv.Atoi(v); err != nil {
			return p, errMsg(400, "The value '"+v+"' is not valid for startAt.")
		}
	}
	return p, nil
}

// pageToken is the opaque nextPageToken: an offset bound to the query text.
type pageToken struct {
	Offset int    `json:"o"`
	Query  uint32 `json:"q"`
}

func encodeToken(off int, jql string) string {
	b, _ := json.Marshal(pageToken{Offset: off, Query: crc32.ChecksumIEEE([]byte(jql))})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(tok, jql string) (int, error) {
	bad := errMsg(400, "The provided next page token is invalid or expired.")
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, bad
	}
	var t pageToken
	if json.Unmarshal(b, &t) != nil || t.Offset < 0 || t.Query != crc32.ChecksumIEEE([]byte(jql)) {
		return 0, bad
	}
	return t.Offset, nil
}

// run evaluates jql; the caller holds s.mu.
func (s *Server) run(jql string, me *user, requireBound bool) ([]*issue, error) {
	q, err := s.parseJQL(jql, me)
	if err != nil {
		var je *jqlError
		if errors.As(err, &je) {
			return nil, errMsg(400, je.msg)
		}
		return nil, err
	}
	if requireBound && !q.bounded {
		return nil, errMsg(400, "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")
	}
	var out []*issue
	for _, is := range s.updatedFrom(q.since) {
		if q.where == nil || q.where(is) == yes {
			out = append(out, is)
		}
	}
	s.sortIssues(out, q.order)
	return out, nil
}

// renderResults renders at most n of res from index from on, with the
// search's fields, expand and properties.
func (s *Server) renderResults(res []*issue, from, n int, p searchParams, fields fieldSel, ri *reqInfo) []any {
	all, keys := propSel(p.Properties)
	o := renderOpts{fields: fields, expand: p.Expand, props: keys, allProps: all, propsSet: p.propsSet}
	issues := []any{}
	for i := from; i < len(res) && len(issues) < n; i++ {
		issues = append(issues, s.renderIssue(res[i], ri.base, ri.ver, o))
	}
	return issues
}

func (s *Server) searchJQL(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	p, err := readSearchParams(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if strings.TrimSpace(p.JQL) == "" && p.NextPageToken == "" {
		writeErr(w, http.StatusBadRequest, "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")
		return
	}
	sel := parseFieldSel(p.Fields, "id")
	limit := 5000
	if !sel.onlyID() || p.propsSet {
		limit = 100
	}
	max := 50
	if p.maxSet {
		max = p.MaxResults
	}
	if max <= 0 || max > limit {
		max = min(max, limit)
		if max <= 0 {
			max = 50
		}
	}
	off := 0
	if p.NextPageToken != "" {
		if off, err = decodeToken(p.NextPageToken, p.JQL); err != nil {
			writeError(w, err)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.run(p.JQL, ri.user, true)
	if err != nil {
		writeError(w, err)
		return
	}
	issues := s.renderResults(res, off, max, p, sel, ri)
	out := map[string]any{"issues": issues, "isLast": off+len(issues) >= len(res)}
	if off+len(issues) < len(res) {
		out["nextPageToken"] = encodeToken(off+len(issues), p.JQL)
	}
	writeJSON(w, http.StatusOK, out)
}

// searchOld serves the deprecated /search with startAt and total.
func (s *Server) searchOld(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	p, err := readSearchParams(r)
	if err != nil {
		writeError(w, err)
		return
	}
	limit := 50
	if p.maxSet {
		limit = max(0, min(p.MaxResults, 100))
	}
	if p.StartAt < 0 {
		writeErr(w, http.StatusBadRequest, "The value '"+strconv.Itoa(p.StartAt)+"' is not valid for startAt.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.run(p.JQL, ri.user, false)
	if err != nil {
		writeError(w, err)
		return
	}
	issues := s.renderResults(res, p.StartAt, limit, p, parseFieldSel(p.Fields, "*navigable"), ri)
	writeJSON(w, http.StatusOK, map[string]any{
		"expand": "schema,names", "startAt": p.StartAt, "maxResults": limit, "total": len(res), "issues": issues,
	})
}
