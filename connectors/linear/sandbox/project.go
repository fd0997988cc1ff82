package sandbox

import (
	"strings"
	"time"

	"github.com/tandem-sync/tandem/connectors/linear/sandbox/gql"
)

// Projects: projectCreate and projectUpdate (name, description, content,
// targetDate, statusId, teamIds, trashed), the workspace's project
// statuses (one per ProjectStatusType, as a new workspace has them), and
// Project webhooks (create, update with updatedFrom, remove when trashed)
// delivered to hooks of any of the project's teams.

type projectStatus struct {
	id, name, typ, color string
	position             float64
	createdAt            time.Time
}

func (x *projectStatus) entityID() string { return x.id }

func (w *world) seedProjectStatuses(t0 time.Time) {
	for k, s := range []struct{ name, typ, color string }{
		{"Backlog", "backlog", "#bec2c8"}, {"Planned", "planned", "#e2e2e2"}, {"In Progress", "started", "#f2c94c"},
		{"Paused", "paused", "#95a2b3"}, {"Completed", "completed", "#5e6ad2"}, {"Canceled", "canceled", "#95a2b3"},
	} {
		w.projectStatuses = append(w.projectStatuses, &projectStatus{id: seedID("projectStatus/" + s.typ), name: s.name,
			typ: s.typ, color: s.color, position: float64(k), createdAt: t0})
	}
}

// projectStatusOf is the first status of a type.
func (w *world) projectStatusOf(typ string) *projectStatus {
	for _, s := range w.projectStatuses {
		if s.typ == typ {
			return s
		}
	}
	return nil
}

func (w *world) projectStatus(id string) *projectStatus {
	for _, s := range w.projectStatuses {
		if s.id == id {
			return s
		}
	}
	return nil
}

// createProject is projectCreate. The caller holds s.mu.
func (s *Server) createProject(actor *user, in map[string]any) (*project, error) {
	w := s.w
	name, _ := argStr(in, "name")
	if strings.TrimSpace(name) == "" {
		return nil, invalidInput("Argument Validation Error", "name should not be empty.")
	}
	tids, _ := argStrings(in, "teamIds")
	if len(tids) == 0 {
		return nil, invalidInput("Argument Validation Error", "teamIds should not be empty.")
	}
	var teams []*team
	for _, tid := range tids {
		t := w.team(tid)
		if t == nil {
			return nil, notFound("Team")
		}
		teams = append(teams, t)
	}
	id, _ := argStr(in, "id")
	switch {
	case id == "":
		id = newID()
	case w.project(id) != nil:
		return nil, invalidInput("Entity already exists: Project "+id, "A project with this id already exists.")
	case !uuidRE.MatchString(id):
		return nil, invalidInput("Argument Validation Error", "id must be a UUID.")
	}
	now := s.now()
	p := &project{id: id, name: name, slugID: strings.ReplaceAll(newID(), "-", "")[:12], teams: teams,
		status: w.projectStatusOf("backlog"), createdAt: now, updatedAt: now}
	if err := s.setProject(p, in, nil); err != nil {
		return nil, err
	}
	w.projects = append(w.projects, p)
	w.syncID()
	s.emitProject("create", p, actor, nil, now)
	return p, nil
}

// updateProject is projectUpdate; a change raises an update webhook (a
// trash a remove). The caller holds s.mu.
func (s *Server) updateProject(actor *user, p *project, in map[string]any) error {
	from := map[string]any{}
	if err := s.setProject(p, in, from); err != nil {
		return err
	}
	if len(from) == 0 {
		return nil
	}
	from["updatedAt"] = p.updatedAt
	p.updatedAt = s.now()
	s.w.syncID()
	action := "update"
	if _, ok := from["trashed"]; ok && p.trashed {
		action = "remove"
	}
	s.emitProject(action, p, actor, from, p.updatedAt)
	return nil
}

// setProject writes in's fields to p, noting each old value in from (nil
// for a create).
func (s *Server) setProject(p *project, in map[string]any, from map[string]any) error {
	note := func(k string, v any) {
		if from != nil {
			from[k] = v
		}
	}
	if v, ok := argStr(in, "name"); ok && v != p.name {
		if strings.TrimSpace(v) == "" {
			return invalidInput("Argument Validation Error", "name should not be empty.")
		}
		note("name", p.name)
		p.name = v
	}
	if v, ok := in["description"]; ok {
		d, _ := v.(string)
		if len(d) > 255 {
			return invalidInput("Argument Validation Error", "description must be shorter than or equal to 255 characters.")
		}
		if d != p.description {
			note("description", p.description)
			p.description = d
		}
	}
	if v, ok := in["content"]; ok {
		c, _ := v.(string)
		if c != p.content {
			note("content", nullStr(p.content))
			p.content = c
		}
	}
	if v, ok := in["targetDate"]; ok {
		d, _ := v.(string)
		if d != "" {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				return invalidInput("Argument Validation Error", "targetDate must be a date (YYYY-MM-DD).")
			}
		}
		if d != p.targetDate {
			note("targetDate", nullStr(p.targetDate))
			p.targetDate = d
		}
	}
	if v, ok := argStr(in, "statusId"); ok {
		st := s.w.projectStatus(v)
		if st == nil {
			return notFound("ProjectStatus")
		}
		if st != p.status {
			note("statusId", p.status.id)
			p.status = st
		}
	}
	if tids, ok := argStrings(in, "teamIds"); ok && from != nil {
		var teams []*team
		for _, tid := range tids {
			t := s.w.team(tid)
			if t == nil {
				return notFound("Team")
			}
			teams = append(teams, t)
		}
		old := make([]string, len(p.teams))
		for k, t := range p.teams {
			old[k] = t.id
		}
		note("teamIds", old)
		p.teams = teams
	}
	if v, ok := in["trashed"].(bool); ok && v != p.trashed {
		note("trashed", p.trashed)
		p.trashed = v
	}
	return nil
}

// projectPayload is a Project webhook's data (ProjectWebhookPayload).
func (s *Server) projectPayload(p *project) map[string]any {
	tids := make([]string, len(p.teams))
	for k, t := range p.teams {
		tids[k] = t.id
	}
	empty := []any{}
	d := map[string]any{
		"id": p.id, "createdAt": ts(p.createdAt), "updatedAt": ts(p.updatedAt), "archivedAt": tsPtr(p.archivedAt),
		"name": p.name, "description": p.description, "content": nullStr(p.content), "slugId": p.slugID,
		"color": "#bec2c8", "priority": 0, "prioritySortOrder": 0, "sortOrder": 0,
		"targetDate": nullStr(p.targetDate), "startDate": nil, "teamIds": tids, "labelIds": []string{}, "memberIds": []string{},
		"statusId": p.status.id, "status": map[string]any{"id": p.status.id, "name": p.status.name, "type": p.status.typ, "color": p.status.color},
		"completedIssueCountHistory": empty, "completedScopeHistory": empty, "inProgressScopeHistory": empty,
		"issueCountHistory": empty, "scopeHistory": empty,
		"url": s.w.projectURL(p),
	}
	if p.trashed {
		d["trashed"] = true
	}
	return d
}

func (w *world) projectURL(p *project) string {
	return "https://linear.app/" + w.urlKey + "/project/" + slug(p.name) + "-" + p.slugID
}

// emitProject raises a Project webhook to each hook of any of the
// project's teams, once per hook.
func (s *Server) emitProject(action string, p *project, actor *user, from map[string]any, now time.Time) {
	served := map[*webhook]bool{}
	for _, t := range p.teams {
		s.emitTo(action, "Project", t, s.projectPayload(p), from, actor, s.w.projectURL(p), now, served)
	}
}

// ---- GraphQL objects

func (o *projectObj) more(name string) (any, error) {
	p := o.p
	switch name {
	case "content":
		return nullStr(p.content), nil
	case "targetDate":
		return nullStr(p.targetDate), nil
	case "status":
		return &projectStatusObj{o.view, p.status}, nil
	case "state":
		return p.status.typ, nil
	case "trashed":
		if p.trashed {
			return true, nil
		}
		return nil, nil
	case "archivedAt":
		return tsPtr(p.archivedAt), nil
	}
	return nil, nil
}

type projectStatusObj struct {
	view
	st *projectStatus
}

func (o *projectStatusObj) TypeName() string { return "ProjectStatus" }
func (o *projectStatusObj) sortKey() (string, time.Time, time.Time) {
	return o.st.id, o.st.createdAt, o.st.createdAt
}
func (o *projectStatusObj) Field(name string, args map[string]any) (any, error) {
	st := o.st
	switch name {
	case "id":
		return st.id, nil
	case "name":
		return st.name, nil
	case "type":
		return st.typ, nil
	case "color":
		return st.color, nil
	case "position":
		return st.position, nil
	case "indefinite":
		return st.typ == "backlog" || st.typ == "paused", nil
	case "description", "archivedAt":
		return nil, nil
	case "createdAt", "updatedAt":
		return st.createdAt, nil
	}
	return nil, gql.ErrUnmodelled
}

func (v view) projectStatusesConn(args map[string]any) (any, error) {
	return connection("ProjectStatusConnection", v.s.w.projectStatuses, args, nil,
		v.s.w.projectStatus, func(st *projectStatus) entity { return &projectStatusObj{v, st} })
}

// ---- as a person in the UI

// UserCreateProject makes a project of the team (key or id) as a person,
// raising a Project create webhook; it returns the project's id.
func (s *Server) UserCreateProject(actorEmail, teamKey string, input map[string]any) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.w.userByEmail(actorEmail)
	if u == nil {
		return "", notFound("User")
	}
	t := s.w.team(teamKey)
	if t == nil {
		return "", notFound("Team")
	}
	in := map[string]any{"teamIds": []any{t.id}}
	for k, v := range input {
		in[k] = v
	}
	p, err := s.createProject(u, in)
	if err != nil {
		return "", err
	}
	return p.id, nil
}

// UserUpdateProject edits a project (id or slugId) as a person with a
// ProjectUpdateInput, raising a Project update webhook.
func (s *Server) UserUpdateProject(actorEmail, idOrSlug string, input map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.w.userByEmail(actorEmail)
	if u == nil {
		return notFound("User")
	}
	p := s.w.project(idOrSlug)
	if p == nil {
		return notFound("Project")
	}
	return s.updateProject(u, p, input)
}

// ProjectView is a project as a test sees it.
type ProjectView struct {
	ID, Name, Content, TargetDate string
	StatusType                    string
	Trashed                       bool
	Teams                         []string // team keys
}

// Project reads one project (id or slugId).
func (s *Server) Project(idOrSlug string) (ProjectView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.w.project(idOrSlug)
	if p == nil {
		return ProjectView{}, false
	}
	return projectView(p), true
}

// Projects lists every project, oldest first.
func (s *Server) Projects() []ProjectView {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ProjectView, 0, len(s.w.projects))
	for _, p := range s.w.projects {
		out = append(out, projectView(p))
	}
	return out
}

func projectView(p *project) ProjectView {
	v := ProjectView{ID: p.id, Name: p.name, Content: p.content, TargetDate: p.targetDate, StatusType: p.status.typ, Trashed: p.trashed}
	for _, t := range p.teams {
		v.Teams = append(v.Teams, t.key)
	}
	return v
}

// ProjectStatusView is a workspace project status.
type ProjectStatusView struct{ ID, Name, Type string }

// ProjectStatuses lists the workspace's project statuses by position.
func (s *Server) ProjectStatuses() []ProjectStatusView {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ProjectStatusView, 0, len(s.w.projectStatuses))
	for _, st := range s.w.projectStatuses {
		out = append(out, ProjectStatusView{ID: st.id, Name: st.name, Type: st.typ})
	}
	return out
}
