package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/connectors/jira/adf"
)

func sp(s string) *string { return &s }

func notSettable(id string) string {
	return fmt.Sprintf("Field '%s' cannot be set. It is not on the appropriate screen, or unknown.", id)
}

// setField applies one field value (v2 or v3 shape) to is and returns the
// changelog items it causes; a non-empty message is a field error.
func (s *Server) setField(is *issue, id string, raw json.RawMessage, ver int, creating bool) ([]changeItem, string) {
	switch id {
	case "summary":
		v, ok := jsonString(raw)
		if !ok || strings.TrimSpace(v) == "" {
			return nil, "You must specify a summary of the issue."
		}
		if len([]rune(v)) > 255 {
			return nil, "Summary must be less than 255 characters."
		}
		if v == is.Summary {
			return nil, ""
		}
		old := is.Summary
		is.Summary = v
		it := changeItem{Field: "summary", FieldType: "jira", FieldID: "summary", ToString: sp(v)}
		if !creating {
			it.FromString = sp(old)
		}
		return []changeItem{it}, ""
	case "description":
		var n *adf.Node
		if !isNull(raw) {
			if ver == 3 {
				var err error
				n, err = adf.Parse(raw)
				if err != nil || n == nil || n.Type != "doc" {
					return nil, "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
				}
			} else {
				w, ok := jsonString(raw)
				if !ok {
					return nil, "Operation value must be a string"
				}
				if w != "" {
					n = adf.FromWiki(w)
				}
			}
		}
		oldW, newW := wikiOf(is.Desc), wikiOf(n)
		if oldW == newW && (is.Desc == nil) == (n == nil) {
			return nil, ""
		}
		is.Desc = n
		it := changeItem{Field: "description", FieldType: "jira", FieldID: "description"}
		if is.Desc != nil {
			it.ToString = sp(newW)
		}
		if !creating && oldW != "" {
			it.FromString = sp(oldW)
		}
		return []changeItem{it}, ""
	case "priority":
		var ref struct{ ID, Name string }
		if err := json.Unmarshal(raw, &ref); err != nil || isNull(raw) {
			return nil, "Specify the Priority (id or name) in the string format"
		}
		p := s.priorityByRef(ref.Name, ref.ID)
		if p == nil {
			return nil, "The priority selected is invalid."
		}
		if p == is.Priority {
			return nil, ""
		}
		old := is.Priority
		is.Priority = p
		it := changeItem{Field: "priority", FieldType: "jira", FieldID: "priority", To: sp(p.ID), ToString: sp(p.Name)}
		if old != nil && !creating {
			it.From, it.FromString = sp(old.ID), sp(old.Name)
		}
		return []changeItem{it}, ""
	case "labels":
		var ls []string
		if !isNull(raw) {
			if err := json.Unmarshal(raw, &ls); err != nil {
				return nil, "Operation value must be an array of strings"
			}
		}
		return s.setLabels(is, ls, creating)
	case "assignee":
		var nu *user
		if !isNull(raw) {
			var ref struct {
				AccountID string `json:"accountId"`
			}
			if err := json.Unmarshal(raw, &ref); err != nil {
				return nil, "Operation value must be a user object"
			}
			if ref.AccountID == "-1" {
				ref.AccountID = ""
			}
			if ref.AccountID != "" {
				nu = s.userByAccount(ref.AccountID)
				if nu == nil {
					return nil, fmt.Sprintf("User '%s' cannot be assigned issues.", ref.AccountID)
				}
			}
		}
		if nu == is.Assignee {
			return nil, ""
		}
		old := is.Assignee
		is.Assignee = nu
		it := changeItem{Field: "assignee", FieldType: "jira", FieldID: "assignee"}
		if old != nil {
			it.From, it.FromString = sp(old.AccountID), sp(old.DisplayName)
		}
		if nu != nil {
			it.To, it.ToString = sp(nu.AccountID), sp(nu.DisplayName)
		}
		return []changeItem{it}, ""
	case "duedate":
		d := ""
		if !isNull(raw) {
			v, ok := jsonString(raw)
			if !ok {
				return nil, "Operation value must be a string"
			}
			if v != "" {
				if _, err := time.Parse(time.DateOnly, v); err != nil {
					return nil, fmt.Sprintf("Error parsing date string: %s", v)
				}
			}
			d = v
		}
		if d == is.DueDate {
			return nil, ""
		}
		it := changeItem{Field: "duedate", FieldType: "jira", FieldID: "duedate"}
		if is.DueDate != "" {
			it.From, it.FromString = sp(is.DueDate), sp(is.DueDate+" 00:00:00.0")
		}
		if d != "" {
			it.To, it.ToString = sp(d), sp(d+" 00:00:00.0")
		}
		is.DueDate = d
		return []changeItem{it}, ""
	case StoryPointsField:
		var np *float64
		if !isNull(raw) {
			var f float64
			if err := json.Unmarshal(raw, &f); err != nil {
				return nil, "Operation value must be a number"
			}
			np = &f
		}
		if (np == nil && is.StoryPoints == nil) || (np != nil && is.StoryPoints != nil && *np == *is.StoryPoints) {
			return nil, ""
		}
		it := changeItem{Field: "Story point estimate", FieldType: "custom", FieldID: StoryPointsField}
		if is.StoryPoints != nil {
			it.FromString = sp(strconv.FormatFloat(*is.StoryPoints, 'g', -1, 64))
		}
		if np != nil {
			it.ToString = sp(strconv.FormatFloat(*np, 'g', -1, 64))
		}
		is.StoryPoints = np
		return []changeItem{it}, ""
	case SprintField:
		var sp *sprint
		if !isNull(raw) {
			var id int
			if err := json.Unmarshal(raw, &id); err != nil {
				return nil, "Number value expected as the Sprint id."
			}
			if sp = s.sprintByID(id); sp == nil {
				return nil, fmt.Sprintf("Sprint with id %d does not exist.", id)
			}
			if sp.State == SprintClosed {
				return nil, "Issue can be assigned only active or future sprints."
			}
		}
		if is.Type.Hierarchy < 0 {
			return nil, "Sub-tasks are in the sprint of their parent."
		}
		next := slices.DeleteFunc(slices.Clone(is.Sprints), func(x *sprint) bool { return x.State != SprintClosed })
		if sp != nil {
			next = append(next, sp)
		}
		if slices.Equal(next, is.Sprints) {
			return nil, ""
		}
		fromIDs, fromNames := sprintIDs(is.Sprints)
		toIDs, toNames := sprintIDs(next)
		is.Sprints = next
		return []changeItem{{Field: "Sprint", FieldType: "custom", FieldID: SprintField, From: sp2(fromIDs), FromString: sp2(fromNames), To: sp2(toIDs), ToString: sp2(toNames)}}, ""
	case "issuetype":
		var ref struct{ ID, Name string }
		if err := json.Unmarshal(raw, &ref); err != nil {
			return nil, "Specify an issue type"
		}
		t := s.typeByRef(ref.Name, ref.ID)
		if t == nil {
			return nil, "Specify a valid issue type"
		}
		if t == is.Type {
			return nil, ""
		}
		it := changeItem{Field: "issuetype", FieldType: "jira", FieldID: "issuetype", From: sp(is.Type.ID), FromString: sp(is.Type.Name), To: sp(t.ID), ToString: sp(t.Name)}
		is.Type = t
		if creating {
			return nil, ""
		}
		return []changeItem{it}, ""
	case "parent":
		var np *issue
		if !isNull(raw) {
			var ref struct {
				ID   string `json:"id"`
				Key  string `json:"key"`
				None bool   `json:"none"`
			}
			if err := json.Unmarshal(raw, &ref); err != nil {
				return nil, "data was not an object"
			}
			if !ref.None {
				if ref.ID == "" && ref.Key == "" {
					return nil, "Specify the parent issue by id or key."
				}
				np = s.lookup(ref.ID + ref.Key)
				if ref.ID != "" && ref.Key != "" {
					np = s.lookup(ref.ID)
				}
				if np == nil {
					return nil, "Could not find issue by id or key."
				}
				if np.ID == is.ID && is.ID != 0 {
					return nil, "An issue cannot be its own parent."
				}
				if np.Type.Hierarchy != is.Type.Hierarchy+1 {
					return nil, "Given parent work item does not belong to appropriate hierarchy."
				}
			}
		}
		if np == nil && is.Type.Hierarchy < 0 && !creating {
			return nil, "A sub-task must have a parent."
		}
		if np == is.Parent {
			return nil, ""
		}
		it := changeItem{Field: "IssueParentAssociation", FieldType: "jira"}
		if is.Parent != nil {
			it.From, it.FromString = sp(itoa(is.Parent.ID)), sp(is.Parent.Key)
		}
		if np != nil {
			it.To, it.ToString = sp(itoa(np.ID)), sp(np.Key)
		}
		is.Parent = np // applyEdit's copy; applyEdit links the real issue
		return []changeItem{it}, ""
	case "reporter":
		var ref struct {
			AccountID string `json:"accountId"`
		}
		if err := json.Unmarshal(raw, &ref); err != nil || s.userByAccount(ref.AccountID) == nil {
			return nil, "Specified user does not exist or you do not have required permissions"
		}
		is.Reporter = s.userByAccount(ref.AccountID)
		return nil, ""
	}
	return nil, notSettable(id)
}

func (s *Server) setLabels(is *issue, ls []string, creating bool) ([]changeItem, string) {
	for _, l := range ls {
		if strings.ContainsAny(l, " \t\n") {
			return nil, fmt.Sprintf("The label '%s' contains spaces which is invalid.", l)
		}
		if l == "" {
			return nil, "Label cannot be empty."
		}
	}
	ls = slices.Clone(ls)
	slices.Sort(ls)
	ls = slices.Compact(ls)
	if slices.Equal(ls, is.Labels) || (len(ls) == 0 && len(is.Labels) == 0) {
		return nil, ""
	}
	it := changeItem{Field: "labels", FieldType: "jira", FieldID: "labels", FromString: sp(strings.Join(is.Labels, " ")), ToString: sp(strings.Join(ls, " "))}
	if creating {
		it.FromString = nil
	}
	is.Labels = ls
	if len(ls) == 0 {
		is.Labels = nil
	}
	return []changeItem{it}, ""
}

func wikiOf(n *adf.Node) string {
	if n == nil {
		return ""
	}
	return adf.ToWiki(n)
}

// editRequest is IssueUpdateDetails.
type editRequest struct {
	Fields     map[string]json.RawMessage              `json:"fields"`
	Update     map[string][]map[string]json.RawMessage `json:"update"`
	Properties []struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	} `json:"properties"`
	Transition *struct {
		ID string `json:"id"`
	} `json:"transition"`
}

// applyEdit applies fields and update operations atomically: on any error
// the issue is left untouched.
func (s *Server) applyEdit(is *issue, req editRequest, ver int, creating bool) ([]changeItem, error) {
	work := *is
	work.Labels = slices.Clone(is.Labels)
	work.Sprints = slices.Clone(is.Sprints)
	var items []changeItem
	errs := map[string]string{}
	keys := make([]string, 0, len(req.Fields))
	for k := range req.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if creating && k == "project" {
			continue
		}
		if _, dup := req.Update[k]; dup {
			errs[k] = fmt.Sprintf("Field '%s' cannot be set in both update and fields.", k)
			continue
		}
		its, msg := s.setField(&work, k, req.Fields[k], ver, creating)
		if msg != "" {
			errs[k] = msg
			continue
		}
		items = append(items, its...)
	}
	ukeys := make([]string, 0, len(req.Update))
	for k := range req.Update {
		ukeys = append(ukeys, k)
	}
	slices.Sort(ukeys)
	for _, k := range ukeys {
		for _, op := range req.Update[k] {
			for verb, raw := range op {
				var its []changeItem
				var msg string
				switch {
				case verb == "set":
					its, msg = s.setField(&work, k, raw, ver, creating)
				case k == "labels" && (verb == "add" || verb == "remove"):
					l, ok := jsonString(raw)
					if !ok {
						msg = "Operation value must be a string"
						break
					}
					ls := slices.Clone(work.Labels)
					if verb == "add" {
						ls = append(ls, l)
					} else {
						ls = slices.DeleteFunc(ls, func(x string) bool { return x == l })
					}
					its, msg = s.setLabels(&work, ls, creating)
				default:
					msg = fmt.Sprintf("Field '%s' does not support operation '%s'", k, verb)
				}
				if msg != "" {
					errs[k] = msg
				}
				items = append(items, its...)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errFields(errs)
	}
	old := is.Parent
	*is = work
	if p := is.Parent; p != old {
		is.Parent = old
		s.setParent(is, p)
	}
	return mergeItems(items), nil
}

// mergeItems keeps one item per field: the first from and the last to.
func mergeItems(items []changeItem) []changeItem {
	var out []changeItem
	for _, it := range items {
		if i := slices.IndexFunc(out, func(o changeItem) bool { return o.FieldID == it.FieldID && o.Field == it.Field }); i >= 0 {
			out[i].To, out[i].ToString = it.To, it.ToString
			continue
		}
		out = append(out, it)
	}
	return out
}

// record appends a changelog entry, bumps updated and returns the entry
// (nil when nothing changed).
func (s *Server) record(is *issue, actor *user, items []changeItem) *history {
	if len(items) == 0 {
		return nil
	}
	s.nextHistory++
	h := &history{ID: s.nextHistory, Author: actor, Created: s.now(), Items: items}
	is.History = append(is.History, h)
	s.touch(is, h.Created)
	return h
}

// create makes an issue from a create request; the caller holds s.mu.
func (s *Server) create(actor *user, req editRequest, ver int) (*issue, error) {
	errs := map[string]string{}
	projRaw, ok := req.Fields["project"]
	if !ok {
		errs["project"] = "Specify a valid project ID or key"
	} else {
		var ref struct{ ID, Key string }
		if err := json.Unmarshal(projRaw, &ref); err != nil || !(strings.EqualFold(ref.Key, s.project.Key) || ref.ID == s.project.ID) {
			errs["project"] = "Specify a valid project ID or key"
		}
	}
	if _, ok := req.Fields["issuetype"]; !ok {
		errs["issuetype"] = "Specify an issue type"
	}
	if _, ok := req.Fields["summary"]; !ok {
		errs["summary"] = "You must specify a summary of the issue."
	}
	for _, p := range req.Properties {
		if p.Key == "" || len(p.Key) > 255 {
			errs["properties"] = "The property key must not be empty or longer than 255 characters."
		} else if len(p.Value) > 32768 {
			errs["properties"] = "The property value is too long (maximum 32768 bytes)."
		}
	}
	if len(errs) > 0 {
		return nil, errFields(errs)
	}
	now := s.now()
	tmp := &issue{Project: s.project, Type: s.types[0], Status: s.statuses[0], Priority: s.priorityByRef("Medium", ""), Reporter: actor, Creator: actor, Props: map[string]json.RawMessage{}}
	items, err := s.applyEdit(tmp, req, ver, true)
	s.unlinkChild(tmp) // the draft is not an issue; the real one is linked below
	if err != nil {
		return nil, err
	}
	if tmp.Type.Hierarchy < 0 && tmp.Parent == nil {
		return nil, errFields(map[string]string{"parent": "Issue type is a sub-task but parent issue key or id not specified."})
	}
	var tr *transition
	if req.Transition != nil {
		for _, t := range s.transitionsFrom(tmp.Status.ID) {
			if t.ID == req.Transition.ID {
				tr = &t
			}
		}
		if tr == nil {
			return nil, errMsg(400, fmt.Sprintf("Transition id '%s' is not valid for this issue.", req.Transition.ID))
		}
	}
	is := s.newIssue(actor, now)
	id, key, rank := is.ID, is.Key, is.Rank
	*is = *tmp
	is.ID, is.Key, is.Rank, is.Created, is.Updated, is.CatChanged = id, key, rank, now, now, now
	if p := is.Parent; p != nil {
		is.Parent = nil
		s.setParent(is, p)
	}
	for _, p := range req.Properties {
		is.Props[p.Key] = compactJSON(p.Value)
	}
	items = append([]changeItem{{Field: "status", FieldType: "jira", FieldID: "status", To: sp(is.Status.ID), ToString: sp(is.Status.Name)}}, items...)
	s.emitIssue("jira:issue_created", "issue_created", is, actor, &history{ID: is.ID, Items: items})
	if tr != nil {
		s.transition(is, actor, *tr)
	}
	return is, nil
}

func compactJSON(raw json.RawMessage) json.RawMessage {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return raw
	}
	b, _ := json.Marshal(v)
	return b
}

// edit applies an edit request; the caller holds s.mu.
func (s *Server) edit(actor *user, is *issue, req editRequest, ver int) error {
	items, err := s.applyEdit(is, req, ver, false)
	if err != nil {
		return err
	}
	for _, p := range req.Properties {
		is.Props[p.Key] = compactJSON(p.Value)
	}
	if h := s.record(is, actor, items); h != nil {
		s.emitIssue("jira:issue_updated", "issue_updated", is, actor, h)
	}
	return nil
}

// transition moves is along t; the caller holds s.mu and checked t is
// available.
func (s *Server) transition(is *issue, actor *user, t transition) {
	to := s.statusByID(t.To)
	from := is.Status
	items := []changeItem{{Field: "status", FieldType: "jira", FieldID: "status", From: sp(from.ID), FromString: sp(from.Name), To: sp(to.ID), ToString: sp(to.Name)}}
	now := s.now()
	if to.Cat == catDone && is.Resolved.IsZero() {
		id, name := resolutionFor(to)
		items = append(items, changeItem{Field: "resolution", FieldType: "jira", FieldID: "resolution", To: sp(id), ToString: sp(name)})
		is.Resolved = now
	} else if to.Cat != catDone && !is.Resolved.IsZero() {
		id, name := resolutionFor(from)
		items = append(items, changeItem{Field: "resolution", FieldType: "jira", FieldID: "resolution", From: sp(id), FromString: sp(name)})
		is.Resolved = time.Time{}
	}
	is.Status = to
	if to.Cat != from.Cat {
		is.CatChanged = now
	}
	h := s.record(is, actor, items)
	s.emitIssue("jira:issue_updated", "issue_generic", is, actor, h)
}

func (s *Server) findTransition(is *issue, id string) (transition, bool) {
	for _, t := range s.transitionsFrom(is.Status.ID) {
		if t.ID == id {
			return t, true
		}
	}
	return transition{}, false
}

// Handlers.

func (s *Server) createIssue(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	var req editRequest
	if !decodeBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	is, err := s.create(ri.user, req, ri.ver)
	s.mu.Unlock()
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": itoa(is.ID), "key": is.Key, "self": apiBase(ri.base, ri.ver) + "/issue/" + itoa(is.ID),
	})
}

func (s *Server) getIssue(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pathIssue(w, r)
	if is == nil {
		return
	}
	all, keys := propSel(q["properties"])
	o := renderOpts{fields: parseFieldSel(q["fields"], "*all"), expand: parseExpand(q["expand"]), props: keys, allProps: all, propsSet: len(q["properties"]) > 0}
	writeJSON(w, http.StatusOK, s.renderIssue(is, ri.base, ri.ver, o))
}

func (s *Server) editIssue(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	var req editRequest
	if !decodeBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pathIssue(w, r)
	if is == nil {
		return
	}
	if err := s.edit(ri.user, is, req, ri.ver); err != nil {
		writeError(w, err)
		return
	}
	if r.URL.Query().Get("returnIssue") == "true" {
		writeJSON(w, http.StatusOK, s.renderIssue(is, ri.base, ri.ver, renderOpts{fields: parseFieldSel(nil, "*all")}))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteIssue(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pathIssue(w, r)
	if is == nil {
		return
	}
	// Without deleteSubtasks=true an issue with sub-tasks stays (Jira's
	// 400; the message as Jira's own REST tests quote it).
	if r.URL.Query().Get("deleteSubtasks") != "true" && len(s.subtasks(is)) > 0 {
		writeError(w, errMsg(http.StatusBadRequest, "The issue '"+is.Key+"' has subtasks.  You must specify the 'deleteSubtasks' parameter to delete this issue and all its subtasks."))
		return
	}
	s.remove(is, ri.user)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) remove(is *issue, actor *user) {
	// Deleting an issue deletes its sub-tasks; other children lose their
	// parent.
	for _, c := range s.childrenOf(is) {
		if c.Type.Hierarchy < 0 {
			s.remove(c, actor)
			continue
		}
		s.setParent(c, nil)
	}
	// Jira Cloud sends no issue_event_type_name with a deletion (a 2023
	// Cloud capture: timestamp, webhookEvent, user, issue).
	s.emitIssue("jira:issue_deleted", "", is, actor, nil)
	s.unlinkChild(is)
	s.dropLinks(is)
	delete(s.remoteLinks, is.ID)
	delete(s.attachments, is.ID)
	s.unindexIssue(is)
	delete(s.byID, is.ID)
	delete(s.byKey, is.Key)
}

func (s *Server) getTransitions(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pathIssue(w, r)
	if is == nil {
		return
	}
	want := r.URL.Query().Get("transitionId")
	ts := []any{}
	for _, t := range s.transitionsFrom(is.Status.ID) {
		if want == "" || want == t.ID {
			ts = append(ts, s.transitionJSON(t, ri.base, ri.ver))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"expand": "transitions", "transitions": ts})
}

func (s *Server) doTransition(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	var req editRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Transition == nil || req.Transition.ID == "" {
		writeErr(w, http.StatusBadRequest, "Missing 'transition' identifier")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pathIssue(w, r)
	if is == nil {
		return
	}
	t, ok := s.findTransition(is, req.Transition.ID)
	if !ok {
		writeErr(w, http.StatusBadRequest, fmt.Sprintf("Transition id '%s' is not valid for this issue.", req.Transition.ID))
		return
	}
	for k := range req.Fields {
		if k != "resolution" {
			writeFieldErrs(w, http.StatusBadRequest, map[string]string{k: notSettable(k)})
			return
		}
	}
	if len(req.Fields) > 0 || len(req.Update) > 0 {
		delete(req.Fields, "resolution")
		if err := s.edit(ri.user, is, editRequest{Fields: req.Fields, Update: req.Update}, ri.ver); err != nil {
			writeError(w, err)
			return
		}
	}
	s.transition(is, ri.user, t)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getChangelog(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	start, max, ok := readPaging(w, r, 100)
	if !ok {
		return
	}
	// Jira Cloud answers at most 100 entries a page, oldest first, and
	// says so in maxResults.
	max = min(max, maxChangelogPage)
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pathIssue(w, r)
	if is == nil {
		return
	}
	vals := []any{}
	for i := start; i < len(is.History) && len(vals) < max; i++ {
		vals = append(vals, s.historyJSON(is.History[i], ri.base, ri.ver))
	}
	self := apiBase(ri.base, ri.ver) + "/issue/" + is.Key + "/changelog"
	out := map[string]any{
		"self": self + fmt.Sprintf("?maxResults=%d&startAt=%d", max, start), "maxResults": max, "startAt": start,
		"total": len(is.History), "isLast": start+len(vals) >= len(is.History), "values": vals,
	}
	if start+len(vals) < len(is.History) {
		out["nextPage"] = self + fmt.Sprintf("?maxResults=%d&startAt=%d", max, start+len(vals))
	}
	writeJSON(w, http.StatusOK, out)
}

// readPaging is paging's startAt and maxResults; when they are bad it
// answers Jira's 400 and reports false.
func readPaging(w http.ResponseWriter, r *http.Request, def int) (start, max int, ok bool) {
	start, max, err := paging(r, def)
	if err != nil {
		writeError(w, err)
		return 0, 0, false
	}
	return start, max, true
}

// paging reads startAt and maxResults.
func paging(r *http.Request, def int) (start, max int, err error) {
	q := r.URL.Query()
	max = def
	if v := q.Get("startAt"); v != "" {
		if start, err = strconv.Atoi(v); err != nil || start < 0 {
			return 0, 0, errMsg(400, fmt.Sprintf("The value '%s' is not valid for startAt.", v))
		}
	}
	if v := q.Get("maxResults"); v != "" {
		if max, err = strconv.Atoi(v); err != nil || max < 0 {
			return 0, 0, errMsg(400, fmt.Sprintf("The value '%s' is not valid for maxResults.", v))
		}
	}
	return start, max, nil
}

// Comments.

func (s *Server) findComment(is *issue, id string) *comment {
	for _, c := range is.Comments {
		if itoa(c.ID) == id && !c.Deleted {
			return c
		}
	}
	return nil
}

// liveComment is the issue's live comment with the id, or Jira's 404 error.
func (s *Server) liveComment(is *issue, id string) (*comment, error) {
	c := s.findComment(is, id)
	if c == nil {
		return nil, errMsg(http.StatusNotFound, "Can not find a comment for the id: "+id+".")
	}
	return c, nil
}

// pathComment is the issue and live comment the path's {issueIdOrKey} and
// {id} name; when either is missing it answers Jira's 404 and the comment is
// nil. The caller holds s.mu.
func (s *Server) pathComment(w http.ResponseWriter, r *http.Request) (*issue, *comment) {
	is := s.pathIssue(w, r)
	if is == nil {
		return nil, nil
	}
	c, err := s.liveComment(is, r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return is, nil
	}
	return is, c
}

// readCommentBody decodes a {"body": …} request into a comment body; when it
// cannot, it answers Jira's 400 and reports false.
func (s *Server) readCommentBody(w http.ResponseWriter, r *http.Request, ver int) (*adf.Node, bool) {
	var req struct {
		Body json.RawMessage `json:"body"`
	}
	if !decodeBody(w, r, &req) {
		return nil, false
	}
	body, err := s.commentBody(req.Body, ver)
	if err != nil {
		writeError(w, err)
		return nil, false
	}
	return body, true
}

// editComment replaces a comment's body as actor; comment_updated follows.
func (s *Server) editComment(is *issue, c *comment, body *adf.Node, actor *user) {
	c.Body, c.Updater, c.Updated = body, actor, s.now()
	s.touch(is, c.Updated)
	s.emitComment("comment_updated", "issue_comment_edited", is, c, actor)
}

// markCommentDeleted deletes a comment as actor; comment_deleted follows.
func (s *Server) markCommentDeleted(is *issue, c *comment, actor *user) {
	c.Deleted = true
	s.touch(is, s.now())
	s.emitComment("comment_deleted", "issue_comment_deleted", is, c, actor)
}

func (s *Server) getComments(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	start, max, ok := readPaging(w, r, 100)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pathIssue(w, r)
	if is == nil {
		return
	}
	cs := s.liveComments(is)
	if r.URL.Query().Get("orderBy") == "-created" {
		slices.Reverse(cs)
	}
	list := []any{}
	for i := start; i < len(cs) && len(list) < max; i++ {
		list = append(list, s.commentJSON(cs[i], is, ri.base, ri.ver))
	}
	writeJSON(w, http.StatusOK, map[string]any{"startAt": start, "maxResults": max, "total": len(cs), "comments": list})
}

func (s *Server) commentBody(raw json.RawMessage, ver int) (*adf.Node, error) {
	empty := errFields(map[string]string{"comment": "Comment body can not be empty!"})
	if isNull(raw) {
		return nil, empty
	}
	if ver == 3 {
		n, err := adf.Parse(raw)
		if err != nil || n == nil || n.Type != "doc" {
			return nil, errFields(map[string]string{"comment": "Comment body is not a valid Atlassian Document."})
		}
		if len(n.Content) == 0 {
			return nil, empty
		}
		return n, nil
	}
	v, ok := jsonString(raw)
	if !ok || strings.TrimSpace(v) == "" {
		return nil, empty
	}
	return adf.FromWiki(v), nil
}

func (s *Server) addComment(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	body, ok := s.readCommentBody(w, r, ri.ver)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pathIssue(w, r)
	if is == nil {
		return
	}
	c := s.comment(is, ri.user, body)
	writeJSON(w, http.StatusCreated, s.commentJSON(c, is, ri.base, ri.ver))
}

func (s *Server) comment(is *issue, actor *user, body *adf.Node) *comment {
	s.nextComment++
	now := s.now()
	c := &comment{ID: s.nextComment, Author: actor, Updater: actor, Body: body, Created: now, Updated: now, IssueID: is.ID}
	is.Comments = append(is.Comments, c)
	s.touch(is, now)
	s.emitComment("comment_created", "issue_commented", is, c, actor)
	return c
}

func (s *Server) getComment(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	is, c := s.pathComment(w, r)
	if c == nil {
		return
	}
	writeJSON(w, http.StatusOK, s.commentJSON(c, is, ri.base, ri.ver))
}

func (s *Server) updateComment(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	body, ok := s.readCommentBody(w, r, ri.ver)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is, c := s.pathComment(w, r)
	if c == nil {
		return
	}
	s.editComment(is, c, body, ri.user)
	writeJSON(w, http.StatusOK, s.commentJSON(c, is, ri.base, ri.ver))
}

func (s *Server) deleteComment(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	is, c := s.pathComment(w, r)
	if c == nil {
		return
	}
	s.markCommentDeleted(is, c, ri.user)
	w.WriteHeader(http.StatusNoContent)
}

// Entity properties.

func errPropertyNotFound(key string) error {
	return errMsg(http.StatusNotFound, fmt.Sprintf("The property with key '%s' does not exist.", key))
}

func (s *Server) getPropertyKeys(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pathIssue(w, r)
	if is == nil {
		return
	}
	keys := make([]string, 0, len(is.Props))
	for k := range is.Props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := []any{}
	for _, k := range keys {
		out = append(out, map[string]string{"self": apiBase(ri.base, ri.ver) + "/issue/" + itoa(is.ID) + "/properties/" + k, "key": k})
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
}

func (s *Server) getProperty(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pathIssue(w, r)
	if is == nil {
		return
	}
	k := r.PathValue("propertyKey")
	v, ok := is.Props[k]
	if !ok {
		writeError(w, errPropertyNotFound(k))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"key": k, "value": v})
}

func (s *Server) setProperty(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	var v json.RawMessage
	if !decodeBody(w, r, &v) {
		return
	}
	k := r.PathValue("propertyKey")
	if len(k) > 255 {
		writeErr(w, http.StatusBadRequest, "The property key cannot be longer than 255 characters.")
		return
	}
	if len(v) > 32768 {
		writeErr(w, http.StatusBadRequest, "The property value cannot be longer than 32768 bytes.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pathIssue(w, r)
	if is == nil {
		return
	}
	_, existed := is.Props[k]
	is.Props[k] = compactJSON(v)
	s.emitProperty("issue_property_set", is, k, ri.user)
	if existed {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

func (s *Server) deleteProperty(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pathIssue(w, r)
	if is == nil {
		return
	}
	k := r.PathValue("propertyKey")
	if _, ok := is.Props[k]; !ok {
		writeError(w, errPropertyNotFound(k))
		return
	}
	delete(is.Props, k)
	s.emitProperty("issue_property_deleted", is, k, ri.user)
	w.WriteHeader(http.StatusNoContent)
}
