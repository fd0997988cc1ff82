package sandbox

import (
	"net/http"
	"strconv"
	"strings"
)

// Issue links, as Jira Cloud serves them (POST /issueLink, GET and DELETE
// /issueLink/{linkId}, GET /issueLinkType, the issuelinks field):
//
//   - A link has an inwardIssue I and an outwardIssue O and reads "I
//     <outward> O" ("TAN-1 blocks TAN-2" for {type: Blocks, inwardIssue:
//     TAN-1, outwardIssue: TAN-2}). In I's issuelinks field it shows with
//     outwardIssue O, in O's with inwardIssue I (Atlassian's "Jira issue
//     linking model" guide: the key names the other issue's role, and the
//     UI labels it with the type's outward or inward description).
//   - POST answers 201 with an empty body; a request that duplicates a
//     link answers 201 and makes no second link (the spec: "If the link
//     request duplicates a link, the response indicates that the issue
//     link was created").
//   - Creating or deleting a link records a "Link" changelog item on both
//     issues (toString / fromString "This issue blocks TAN-2"), bumps both
//     issues' updated time, and raises issuelink_created /
//     issuelink_deleted (body: issueLink {id, sourceIssueId,
//     destinationIssueId, issueLinkType {id, name, outwardName,
//     inwardName, isSubTaskLinkType, isSystemLinkType}, systemLink}, the
//     source being the inward issue). No jira:issue_updated is raised for a
//     link (Jira Cloud raises only the issuelink events).
//   - Deleting an issue deletes its links (without issuelink events: the
//     issue's jira:issue_deleted stands for them).
//
// Link types: Jira Cloud's four defaults with their descriptions (Blocks,
// Cloners, Duplicate, Relates).

type linkType struct {
	ID, Name, Inward, Outward string
}

var linkTypes = []*linkType{
	{ID: "10000", Name: "Blocks", Inward: "is blocked by", Outward: "blocks"},
	{ID: "10001", Name: "Cloners", Inward: "is cloned by", Outward: "clones"},
	{ID: "10002", Name: "Duplicate", Inward: "is duplicated by", Outward: "duplicates"},
	{ID: "10003", Name: "Relates", Inward: "relates to", Outward: "relates to"},
}

type issueLink struct {
	ID   int
	Type *linkType
	In   *issue // inwardIssue: reads "In <outward> Out"
	Out  *issue // outwardIssue
}

func linkTypeByRef(name, id string) *linkType {
	for _, t := range linkTypes {
		if (id != "" && t.ID == id) || (id == "" && name != "" && strings.EqualFold(t.Name, name)) {
			return t
		}
	}
	return nil
}

func (t *linkType) json(base string, ver int) map[string]any {
	return map[string]any{"id": t.ID, "name": t.Name, "inward": t.Inward, "outward": t.Outward, "self": apiBase(base, ver) + "/issueLinkType/" + t.ID}
}

// linksOf lists is's links in creation order; the caller holds s.mu.
func (s *Server) linksOf(is *issue) []*issueLink {
	var out []*issueLink
	for _, l := range s.links {
		if l.In == is || l.Out == is {
			out = append(out, l)
		}
	}
	return out
}

// issueLinksField renders is's issuelinks field.
func (s *Server) issueLinksField(is *issue, base string, ver int) []any {
	out := []any{}
	for _, l := range s.linksOf(is) {
		m := map[string]any{"id": itoa(l.ID), "self": apiBase(base, ver) + "/issueLink/" + itoa(l.ID), "type": l.Type.json(base, ver)}
		if l.In == is {
			m["outwardIssue"] = s.issueRef(l.Out, base, ver)
		} else {
			m["inwardIssue"] = s.issueRef(l.In, base, ver)
		}
		out = append(out, m)
	}
	return out
}

// link makes (or finds) the link "in <t.Outward> out"; the caller holds s.mu.
func (s *Server) link(actor *user, t *linkType, in, out *issue) *issueLink {
	for _, l := range s.links {
		if l.Type == t && l.In == in && l.Out == out {
			return l
		}
	}
	s.nextLink++
	l := &issueLink{ID: s.nextLink, Type: t, In: in, Out: out}
	s.links = append(s.links, l)
	s.recordLink(actor, l, true)
	s.emitLink("issuelink_created", l)
	return l
}

// unlink deletes l; the caller holds s.mu.
func (s *Server) unlink(actor *user, l *issueLink) {
	for i, x := range s.links {
		if x == l {
			s.links = append(s.links[:i], s.links[i+1:]...)
			break
		}
	}
	s.recordLink(actor, l, false)
	s.emitLink("issuelink_deleted", l)
}

// dropLinks forgets the links of a deleted issue; the caller holds s.mu.
func (s *Server) dropLinks(is *issue) {
	kept := s.links[:0]
	for _, l := range s.links {
		if l.In != is && l.Out != is {
			kept = append(kept, l)
		}
	}
	s.links = kept
}

// recordLink writes the "Link" changelog item on both issues.
func (s *Server) recordLink(actor *user, l *issueLink, added bool) {
	for _, side := range []struct {
		is, other *issue
		desc      string
	}{{l.In, l.Out, l.Type.Outward}, {l.Out, l.In, l.Type.Inward}} {
		text := "This issue " + side.desc + " " + side.other.Key
		it := changeItem{Field: "Link", FieldType: "jira"}
		if added {
			it.To, it.ToString = sp(side.other.Key), sp(text)
		} else {
			it.From, it.FromString = sp(side.other.Key), sp(text)
		}
		s.record(side.is, actor, []changeItem{it})
	}
}

func (s *Server) emitLink(event string, l *issueLink) {
	hooks := s.hooksFor(event, nil)
	if len(hooks) == 0 {
		return
	}
	body := map[string]any{
		"timestamp":    s.now().UnixMilli(),
		"webhookEvent": event,
		"issueLink": map[string]any{
			"id":                 l.ID,
			"sourceIssueId":      l.In.ID,
			"destinationIssueId": l.Out.ID,
			"issueLinkType": map[string]any{
				"id": mustAtoi(l.Type.ID), "name": l.Type.Name, "outwardName": l.Type.Outward, "inwardName": l.Type.Inward,
				"isSubTaskLinkType": false, "isSystemLinkType": false,
			},
			"systemLink": false,
		},
	}
	s.send(hooks, body)
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

type linkRequest struct {
	Type *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"type"`
	InwardIssue  *struct{ ID, Key string } `json:"inwardIssue"`
	OutwardIssue *struct{ ID, Key string } `json:"outwardIssue"`
}

func (s *Server) createLink(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	var req linkRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Type == nil || req.InwardIssue == nil || req.OutwardIssue == nil {
		writeErr(w, http.StatusBadRequest, "The issue link type, inward issue and outward issue are required.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := linkTypeByRef(req.Type.Name, req.Type.ID)
	if t == nil {
		writeErr(w, http.StatusNotFound, "No issue link type with name '"+req.Type.Name+"' found.")
		return
	}
	ref := func(x *struct{ ID, Key string }) *issue {
		if x.ID != "" {
			return s.lookup(x.ID)
		}
		return s.lookup(x.Key)
	}
	in, out := ref(req.InwardIssue), ref(req.OutwardIssue)
	if in == nil || out == nil {
		writeErr(w, http.StatusNotFound, "Issue Does Not Exist")
		return
	}
	if in == out {
		writeErr(w, http.StatusBadRequest, "You cannot link an issue to itself.")
		return
	}
	s.link(ri.user, t, in, out)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(http.StatusCreated)
}

func (s *Server) pathLink(w http.ResponseWriter, r *http.Request) *issueLink {
	id, err := strconv.Atoi(r.PathValue("linkId"))
	if err != nil {
		writeErr(w, http.StatusBadRequest, "The issue link ID is invalid.")
		return nil
	}
	for _, l := range s.links {
		if l.ID == id {
			return l
		}
	}
	writeErr(w, http.StatusNotFound, "No issue link with id '"+r.PathValue("linkId")+"' exists.")
	return nil
}

func (s *Server) getLink(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.pathLink(w, r)
	if l == nil {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": itoa(l.ID), "self": apiBase(ri.base, ri.ver) + "/issueLink/" + itoa(l.ID), "type": l.Type.json(ri.base, ri.ver),
		"inwardIssue": s.issueRef(l.In, ri.base, ri.ver), "outwardIssue": s.issueRef(l.Out, ri.base, ri.ver),
	})
}

func (s *Server) deleteLink(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.pathLink(w, r)
	if l == nil {
		return
	}
	s.unlink(ri.user, l)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getLinkTypes(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	list := make([]any, 0, len(linkTypes))
	for _, t := range linkTypes {
		list = append(list, t.json(ri.base, ri.ver))
	}
	writeJSON(w, http.StatusOK, map[string]any{"issueLinkTypes": list})
}

// LinkView is one issue link as a test sees it.
type LinkView struct {
	ID              string
	Type            string // Blocks, Duplicate, ...
	Inward, Outward string // issue keys: reads "Inward <outward> Outward"
}

// Links lists the links of the issue idOrKey.
func (s *Server) Links(idOrKey string) []LinkView {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.lookup(idOrKey)
	if is == nil {
		return nil
	}
	var out []LinkView
	for _, l := range s.linksOf(is) {
		out = append(out, LinkView{ID: itoa(l.ID), Type: l.Type.Name, Inward: l.In.Key, Outward: l.Out.Key})
	}
	return out
}

// UserLink links two issues as a person would ("inward <outward desc>
// outward": UserLink(a, "Blocks", "TAN-1", "TAN-2") makes TAN-1 block
// TAN-2) and returns the link's id.
func (s *Server) UserLink(actorEmail, typeName, inward, outward string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userByEmail(actorEmail)
	if u == nil {
		return "", errMsg(401, "no such user "+actorEmail)
	}
	t := linkTypeByRef(typeName, "")
	if t == nil {
		return "", errMsg(404, "no issue link type "+typeName)
	}
	in, out := s.lookup(inward), s.lookup(outward)
	if in == nil || out == nil {
		return "", errIssueNotFound
	}
	return itoa(s.link(u, t, in, out).ID), nil
}

// UserUnlink deletes a link as a person would.
func (s *Server) UserUnlink(actorEmail, linkID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userByEmail(actorEmail)
	if u == nil {
		return errMsg(401, "no such user "+actorEmail)
	}
	for _, l := range s.links {
		if itoa(l.ID) == linkID {
			s.unlink(u, l)
			return nil
		}
	}
	return errMsg(404, "no issue link "+linkID)
}
