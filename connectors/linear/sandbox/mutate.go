package sandbox

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Mutations shared by the GraphQL API and the human-action helpers: both
// record history, bump updatedAt and emit webhooks with the actor. Callers
// hold s.mu.

func (s *Server) now() time.Time { return s.opts.Now().UTC().Truncate(time.Millisecond) }

func (s *Server) defaultState(t *team) *state {
	var unstarted *state
	for _, st := range s.w.teamStates(t) {
		if st.typ == "backlog" {
			return st
		}
		if st.typ == "unstarted" && unstarted == nil {
			unstarted = st
		}
	}
	return unstarted
}

func (s *Server) createIssue(actor *user, in map[string]any) (*issue, error) {
	now := s.now()
	teamID, _ := argStr(in, "teamId")
	t := s.w.team(teamID)
	if t == nil {
		return nil, notFound("Team")
	}
	id, _ := argStr(in, "id")
	if id != "" {
		if !uuidRE.MatchString(id) {
			return nil, invalidInput("Argument Validation Error", "id must be a UUID.")
		}
		if s.w.issue(id) != nil {
			return nil, invalidInput("Entity already exists: Issue "+id, "An issue with this id already exists.")
		}
	} else {
		id = newID()
	}
	title, _ := argStr(in, "title")
	if strings.TrimSpace(title) == "" {
		return nil, invalidInput("Argument Validation Error", "Title can't be empty.")
	}
	i := &issue{id: id, title: title, team: t, creator: actor, createdAt: now, updatedAt: now}
	if c, ok := argStr(in, "createdAt"); ok {
		if ct, err := parseTime(c, now); err == nil {
			i.createdAt = ct.UTC()
		}
	}
	i.state = s.defaultState(t)
	// A new issue goes to the top of the manual order: below the team's
	// smallest sortOrder (lower values come first, as the schema says of
	// every sortOrder it documents). Linear does not document where a new
	// issue lands; real payloads are consistent with the top: long-lived
	// workspaces carry large negative sortOrders on recent issues (e.g.
	// N8N-6945 at -154747 in a webhook captured in an n8n workflow
	// template), which only insertion below the minimum produces, and
	// IssueCreateInput's preserveSortOrderOnCreate ("whether the passed
	// sort order should be preserved") says Linear otherwise places the
	// issue itself. A sortOrder in the input is kept here (the flag is not
	// modelled).
	if min, ok := s.minSortOrder(t); ok {
		i.sortOrder = min - 1000
	}
	h := &history{} // a create records no history; reuse the field setters
	if err := s.applyIssueInput(i, in, h, nil, now); err != nil {
		return nil, err
	}
	t.nextNumber++
	i.number = t.nextNumber
	i.identifier = t.key + "-" + strconv.Itoa(i.number)
	s.stateTimes(i, nil, now)
	s.w.addIssue(i)
	s.w.syncID()
	s.emitIssue("create", i, actor, nil, now)
	return i, nil
}

// minSortOrder is the smallest sortOrder of the team's issues.
func (s *Server) minSortOrder(t *team) (float64, bool) {
	m, ok := math.Inf(1), false
	for _, i := range s.w.issues {
		if i.team == t {
			m, ok = math.Min(m, i.sortOrder), true
		}
	}
	return m, ok
}

// applyIssueInput writes the fields of an IssueCreateInput/IssueUpdateInput
// into i, recording changes in h and previous values in from (nil on create).
func (s *Server) applyIssueInput(i *issue, in map[string]any, h *history, from map[string]any, now time.Time) error {
	note := func(k string, v any) {
		if from != nil {
			if _, ok := from[k]; !ok {
				from[k] = v
			}
		}
	}
	if v, ok := in["title"]; ok {
		title, _ := v.(string)
		if strings.TrimSpace(title) == "" {
			return invalidInput("Argument Validation Error", "Title can't be empty.")
		}
		if title != i.title {
			note("title", i.title)
			h.fromTitle, h.toTitle = ptr(i.title), ptr(title)
			i.title = title
		}
	}
	if v, ok := in["description"]; ok {
		d, _ := v.(string)
		if d != i.description {
			note("description", nullStr(i.description))
			h.updatedDescription = true
			i.description = d
		}
	}
	if v, ok := in["stateId"]; ok && v != nil {
		st := s.w.state(v.(string))
		if st == nil || st.team != i.team {
			return notFound("WorkflowState")
		}
		if st != i.state {
			note("stateId", idOrNil(i.state))
			h.fromState, h.toState = i.state, st
			prev := i.state
			i.state = st
			s.stateTimes(i, prev, now)
		}
	}
	if v, ok := in["priority"]; ok && v != nil {
		p, _ := argInt(in, "priority")
		if p < 0 || p > 4 {
			return invalidInput("Argument Validation Error", "priority must be between 0 and 4.")
		}
		if p != i.priority {
			note("priority", i.priority)
			h.fromPriority, h.toPriority = ptr(float64(i.priority)), ptr(float64(p))
			i.priority = p
		}
	}
	if v, ok := in["assigneeId"]; ok {
		var u *user
		if v != nil {
			if u = s.w.userByID(v.(string)); u == nil {
				return notFound("User")
			}
		}
		if u != i.assignee {
			note("assigneeId", idOrNil(i.assignee))
			h.fromAssignee, h.toAssignee = i.assignee, u
			i.assignee = u
		}
	}
	if v, ok := in["estimate"]; ok {
		var e *float64
		if v != nil {
			f, _ := argFloat(in, "estimate")
			// Estimates are Ints on the team's scale. Whether Linear
			// refuses an off-scale value is not documented; refusing it
			// here keeps clients honest (they must round).
			if !slices.Contains(i.team.estimateScale(), f) {
				return invalidInput("Argument Validation Error", "estimate is not on the team's estimate scale.")
			}
			e = &f
		}
		if !eqFloatPtr(e, i.estimate) {
			note("estimate", valueOrNil(i.estimate))
			h.fromEstimate, h.toEstimate = i.estimate, e
			i.estimate = e
		}
	}
	if v, ok := in["dueDate"]; ok {
		d := ""
		if v != nil {
			d, _ = v.(string)
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				return invalidInput("Argument Validation Error", "dueDate must be a date (YYYY-MM-DD).")
			}
		}
		if d != i.dueDate {
			note("dueDate", nullStr(i.dueDate))
			h.fromDueDate, h.toDueDate = ptr(i.dueDate), ptr(d)
			i.dueDate = d
		}
	}
	if v, ok := in["parentId"]; ok {
		var p *issue
		if v != nil {
			if p = s.w.issue(v.(string)); p == nil {
				return notFound("Issue")
			}
			for a := p; a != nil; a = a.parent {
				if a == i {
					return invalidInput("Argument Validation Error", "An issue can't be its own ancestor.")
				}
			}
		}
		if p != i.parent {
			note("parentId", idOrNil(i.parent))
			h.fromParent, h.toParent = i.parent, p
			i.parent = p
		}
	}
	if v, ok := in["cycleId"]; ok {
		var c *cycle
		if v != nil {
			if c = s.w.cycle(v.(string)); c == nil || c.team != i.team {
				return notFound("Cycle")
			}
		}
		if c != i.cycle {
			note("cycleId", idOrNil(i.cycle))
			h.fromCycle, h.toCycle = i.cycle, c
			i.cycle = c
		}
	}
	if v, ok := in["projectId"]; ok {
		var p *project
		if v != nil {
			if p = s.w.project(v.(string)); p == nil {
				return notFound("Project")
			}
			if !slices.Contains(p.teams, i.team) {
				return invalidInput("Argument Validation Error", "The issue's team is not part of the project.")
			}
		}
		if p != i.project {
			// IssueHistory's fromProjectId/toProjectId are not modelled.
			note("projectId", idOrNil(i.project))
			i.project = p
			h.projectChanged = true
		}
	}
	if _, ok := in["sortOrder"]; ok {
		if f, ok := argFloat(in, "sortOrder"); ok && f != i.sortOrder {
			note("sortOrder", i.sortOrder)
			h.fromSort, h.toSort = ptr(i.sortOrder), ptr(f)
			i.sortOrder = f
		}
	}
	// Labels: labelIds replaces, addedLabelIds/removedLabelIds adjust.
	labels := slices.Clone(i.labels)
	changedLabels := false
	if ids, ok := argStrings(in, "labelIds"); ok && has(in, "labelIds") {
		labels = nil
		var err error
		if labels, err = s.withLabels(labels, ids); err != nil {
			return err
		}
		changedLabels = true
	}
	if ids, ok := argStrings(in, "addedLabelIds"); ok {
		var err error
		if labels, err = s.withLabels(labels, ids); err != nil {
			return err
		}
		changedLabels = true
	}
	if ids, ok := argStrings(in, "removedLabelIds"); ok {
		labels = slices.DeleteFunc(labels, func(l *label) bool { return slices.Contains(ids, l.id) })
		changedLabels = true
	}
	if changedLabels {
		for _, l := range labels {
			if !slices.Contains(i.labels, l) {
				h.addedLabels = append(h.addedLabels, l.id)
			}
		}
		for _, l := range i.labels {
			if !slices.Contains(labels, l) {
				h.removedLbls = append(h.removedLbls, l.id)
			}
		}
		if len(h.addedLabels)+len(h.removedLbls) > 0 {
			note("labelIds", labelIDs(i.labels))
			i.labels = labels
		}
	}
	return nil
}

// withLabels appends to labels each label ids names that it lacks; an id
// naming no label is Linear's "Entity not found: IssueLabel".
func (s *Server) withLabels(labels []*label, ids []string) ([]*label, error) {
	for _, id := range ids {
		l := s.w.label(id)
		if l == nil {
			return nil, notFound("IssueLabel")
		}
		if !slices.Contains(labels, l) {
			labels = append(labels, l)
		}
	}
	return labels, nil
}

// stateTimes keeps startedAt/completedAt/canceledAt in line with the state.
func (s *Server) stateTimes(i *issue, prev *state, now time.Time) {
	if prev != nil && prev.typ == i.state.typ {
		return
	}
	i.completedAt, i.canceledAt = nil, nil
	switch i.state.typ {
	case "started":
		if i.startedAt == nil {
			i.startedAt = ptr(now)
		}
	case "completed":
		i.completedAt = ptr(now)
	case "canceled":
		i.canceledAt = ptr(now)
	case "backlog", "unstarted", "triage":
		i.startedAt = nil
	}
}

func (s *Server) updateIssue(actor *user, i *issue, in map[string]any) error {
	now := s.now()
	if v, ok := in["teamId"]; ok && v != nil {
		if t := s.w.team(v.(string)); t == nil || t != i.team {
			return unsupported("moving an issue to another team")
		}
	}
	before := *i
	h := &history{id: newID(), issue: i, actor: actor, createdAt: now}
	from := map[string]any{}
	if err := s.applyIssueInput(i, in, h, from, now); err != nil {
		*i = before // all or nothing, as one transaction
		return err
	}
	if len(from) == 0 {
		return nil
	}
	from["updatedAt"] = before.updatedAt
	for k, t := range map[string][2]*time.Time{
		"completedAt": {before.completedAt, i.completedAt},
		"canceledAt":  {before.canceledAt, i.canceledAt},
		"startedAt":   {before.startedAt, i.startedAt},
	} {
		if !timePtrEq(t[0], t[1]) {
			from[k] = valueOrNil(t[0])
		}
	}
	s.w.touch(i, now)
	if h.fromTitle != nil || h.fromState != nil || h.toState != nil || h.fromPriority != nil || h.updatedDescription ||
		h.fromAssignee != nil || h.toAssignee != nil || h.fromEstimate != nil || h.toEstimate != nil ||
		h.fromDueDate != nil || h.fromParent != nil || h.toParent != nil || h.fromCycle != nil || h.toCycle != nil ||
		h.fromSort != nil || h.projectChanged || len(h.addedLabels)+len(h.removedLbls) > 0 {
		i.history = append(i.history, h)
	}
	s.w.syncID()
	s.emitIssue("update", i, actor, from, now)
	return nil
}

func (s *Server) archiveIssue(actor *user, i *issue, trash bool) {
	now := s.now()
	from := map[string]any{"updatedAt": i.updatedAt, "archivedAt": valueOrNil(i.archivedAt)}
	h := &history{id: newID(), issue: i, actor: actor, createdAt: now, archived: ptr(true)}
	if trash {
		from["trashed"] = nil
		i.trashed = true
		h.trashed = ptr(true)
	}
	i.archivedAt = ptr(now)
	s.w.touch(i, now)
	i.history = append(i.history, h)
	s.w.syncID()
	action := "update"
	if trash {
		action = "remove"
	}
	s.emitIssue(action, i, actor, from, now)
}

func (s *Server) createComment(actor *user, in map[string]any) (*comment, error) {
	now := s.now()
	issueID, _ := argStr(in, "issueId")
	i := s.w.issue(issueID)
	if i == nil || i.trashed {
		return nil, notFound("Issue")
	}
	body, _ := argStr(in, "body")
	if strings.TrimSpace(body) == "" {
		return nil, invalidInput("Argument Validation Error", "Comment body can't be empty.")
	}
	id, _ := argStr(in, "id")
	if id != "" {
		if !uuidRE.MatchString(id) {
			return nil, invalidInput("Argument Validation Error", "id must be a UUID.")
		}
		if s.w.comment(id) != nil {
			return nil, invalidInput("Entity already exists: Comment "+id, "A comment with this id already exists.")
		}
	} else {
		id = newID()
	}
	c := &comment{id: id, body: body, user: actor, issue: i, createdAt: now, updatedAt: now}
	if pid, ok := argStr(in, "parentId"); ok && pid != "" {
		p := s.w.comment(pid)
		if p == nil || p.issue != i {
			return nil, notFound("Comment")
		}
		// Linear threads are one level deep: a reply to a reply joins
		// the root's thread.
		for p.parent != nil {
			p = p.parent
		}
		c.parent = p
	}
	s.w.comments = append(s.w.comments, c)
	s.w.syncID()
	s.emitComment("create", c, actor, nil, now)
	return c, nil
}

func (s *Server) updateComment(actor *user, c *comment, in map[string]any, skipEditedAt bool) error {
	now := s.now()
	body, ok := argStr(in, "body")
	if !ok || body == c.body {
		return nil
	}
	if strings.TrimSpace(body) == "" {
		return invalidInput("Argument Validation Error", "Comment body can't be empty.")
	}
	from := map[string]any{"body": c.body, "updatedAt": c.updatedAt, "editedAt": valueOrNil(c.editedAt)}
	c.body = body
	c.updatedAt = now
	if !skipEditedAt {
		c.editedAt = ptr(now)
	}
	s.w.syncID()
	s.emitComment("update", c, actor, from, now)
	return nil
}

func (s *Server) deleteComment(actor *user, c *comment) {
	now := s.now()
	s.w.comments = slices.DeleteFunc(s.w.comments, func(x *comment) bool { return x == c })
	s.w.syncID()
	s.emitComment("remove", c, actor, nil, now)
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// idOrNil is p's id, or nil (JSON null) when there is no p.
func idOrNil[T any, P idEntity[T]](p P) any {
	if p == nil {
		return nil
	}
	return p.entityID()
}

// valueOrNil is *p, or nil (JSON null) when p is nil.
func valueOrNil[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func timePtrEq(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func eqFloatPtr(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func labelIDs(ls []*label) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.id)
	}
	return out
}

// maxBatchCreate is how many issues one issueBatchCreate takes. Linear
// does not document the cap of issueBatchCreate; its sibling
// issueBatchUpdate takes at most 50 ids, and the same is assumed here.
const maxBatchCreate = 50

// batchCreateIssues creates input.issues in one transaction, as Linear's
// issueBatchCreate does ("Creates a list of issues in one transaction"):
// when one issue fails, none is created (nor any webhook sent) and the
// error is that issue's.
func (s *Server) batchCreateIssues(actor *user, args map[string]any) ([]*issue, error) {
	in := argMap(args, "input")
	list, _ := in["issues"].([]any)
	if len(list) > maxBatchCreate {
		return nil, invalidInput("Argument Validation Error",
			"You can only create up to "+strconv.Itoa(maxBatchCreate)+" issues at once.")
	}
	w := s.w
	nIssues, nQueue, syncID := len(w.issues), len(s.queue), w.lastSyncID
	numbers := map[*team]int{}
	for _, t := range w.teams {
		numbers[t] = t.nextNumber
	}
	var made []*issue
	for _, x := range list {
		m, _ := x.(map[string]any)
		i, err := s.createIssue(actor, m)
		if err != nil {
			for _, i := range made {
				w.unindexUpdated(i)
				delete(w.byKey, i.id)
				delete(w.byKey, strings.ToUpper(i.identifier))
			}
			w.issues = w.issues[:nIssues]
			s.queue = s.queue[:nQueue]
			w.lastSyncID = syncID
			for t, n := range numbers {
				t.nextNumber = n
			}
			return nil, err
		}
		made = append(made, i)
	}
	return made, nil
}
