package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sprint is a Scrum sprint of the project's board.
type sprint struct {
	ID       int
	Name     string
	State    string // future, active, closed
	Goal     string
	Start    time.Time // zero for a future sprint
	End      time.Time
	Complete time.Time // set when closed
	Board    int
}

// Sprint states as the Agile API spells them.
const (
	SprintFuture = "future"
	SprintActive = "active"
	SprintClosed = "closed"
)

// seedSprints gives the board one closed, one active and one future
// sprint, named as Jira names new sprints ("<KEY> Sprint <n>").
func (s *Server) seedSprints() {
	now := s.now()
	start := now.Add(-21 * 24 * time.Hour).Truncate(time.Hour)
	s.sprints = []*sprint{
		{ID: 1, Name: s.project.Key + " Sprint 1", State: SprintClosed, Start: start, End: start.Add(14 * 24 * time.Hour), Complete: start.Add(14 * 24 * time.Hour), Board: boardID},
		{ID: 2, Name: s.project.Key + " Sprint 2", State: SprintActive, Goal: "Ship the login fixes", Start: start.Add(14 * 24 * time.Hour), End: start.Add(28 * 24 * time.Hour), Board: boardID},
		{ID: 3, Name: s.project.Key + " Sprint 3", State: SprintFuture, Board: boardID},
	}
	s.nextSprint = 3
}

func (s *Server) sprintByID(id int) *sprint {
	for _, sp := range s.sprints {
		if sp.ID == id {
			return sp
		}
	}
	return nil
}

func (s *Server) sprintByName(name string) *sprint {
	for _, sp := range s.sprints {
		if sp.Name == name {
			return sp
		}
	}
	return nil
}

// sprintTime is the Agile API's and the Sprint field's timestamp form.
func sprintTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// sprintJSON is the Agile API's Sprint bean.
func (sp *sprint) json(base string) map[string]any {
	m := map[string]any{
		"id":            sp.ID,
		"self":          base + "/rest/agile/1.0/sprint/" + strconv.Itoa(sp.ID),
		"state":         sp.State,
		"name":          sp.Name,
		"originBoardId": sp.Board,
	}
	if sp.Goal != "" {
		m["goal"] = sp.Goal
	}
	if !sp.Start.IsZero() {
		m["startDate"], m["endDate"] = sprintTime(sp.Start), sprintTime(sp.End)
	}
	if !sp.Complete.IsZero() {
		m["completeDate"] = sprintTime(sp.Complete)
	}
	return m
}

// fieldValue is one element of the Sprint custom field's value, as Jira
// Cloud renders it in issue answers (boardId there, not originBoardId;
// the goal always present).
func (sp *sprint) fieldValue() map[string]any {
	m := map[string]any{"id": sp.ID, "name": sp.Name, "state": sp.State, "boardId": sp.Board, "goal": sp.Goal}
	if !sp.Start.IsZero() {
		m["startDate"], m["endDate"] = sprintTime(sp.Start), sprintTime(sp.End)
	}
	if !sp.Complete.IsZero() {
		m["completeDate"] = sprintTime(sp.Complete)
	}
	return m
}

// sprintField renders the Sprint field of is: nil when it was never in a
// sprint.
func sprintField(is *issue) any {
	if is.Type.Hierarchy < 0 && is.Parent != nil {
		is = is.Parent // a sub-task is in its parent's sprints
	}
	if len(is.Sprints) == 0 {
		return nil
	}
	out := make([]any, 0, len(is.Sprints))
	for _, sp := range is.Sprints {
		out = append(out, sp.fieldValue())
	}
	return out
}

func sprintIDs(l []*sprint) (ids, names string) {
	var a, b []string
	for _, sp := range l {
		a = append(a, strconv.Itoa(sp.ID))
		b = append(b, sp.Name)
	}
	return strings.Join(a, ", "), strings.Join(b, ", ")
}

// moveToSprint puts is into sp (nil: the backlog): the issue leaves any
// open sprint, keeps its closed ones; the caller holds s.mu.
func (s *Server) moveToSprint(is *issue, actor *user, sp *sprint) {
	next := slices.DeleteFunc(slices.Clone(is.Sprints), func(x *sprint) bool { return x.State != SprintClosed })
	if sp != nil {
		next = append(next, sp)
	}
	if slices.Equal(next, is.Sprints) {
		return
	}
	fromIDs, fromNames := sprintIDs(is.Sprints)
	toIDs, toNames := sprintIDs(next)
	is.Sprints = next
	h := s.record(is, actor, []changeItem{{Field: "Sprint", FieldType: "custom", FieldID: SprintField, From: sp2(fromIDs), FromString: sp2(fromNames), To: sp2(toIDs), ToString: sp2(toNames)}})
	s.emitIssue("jira:issue_updated", "issue_updated", is, actor, h)
}

// sp2 is sp for a possibly empty string: nil when empty, as Jira logs it.
func sp2(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

// sprintIssues checks a move request's issues; the caller holds s.mu.
func (s *Server) sprintIssues(refs []string) ([]*issue, error) {
	if len(refs) == 0 {
		return nil, errMsg(400, "There must be at least one issue to move.")
	}
	if len(refs) > 50 {
		return nil, errMsg(400, "Only 50 issues can be moved at once.")
	}
	var out []*issue
	for _, ref := range refs {
		is := s.lookup(ref)
		if is == nil {
			return nil, errMsg(400, fmt.Sprintf("Issue '%s' does not exist or you do not have permission to see it.", ref))
		}
		if is.Type.Hierarchy < 0 {
			return nil, errMsg(400, fmt.Sprintf("Issue '%s' is a sub-task; sub-tasks move with their parent.", is.Key))
		}
		out = append(out, is)
	}
	return out, nil
}

// knownBoard tells whether the path's {boardId} is the board; when it is
// not it answers Jira's 404.
func knownBoard(w http.ResponseWriter, r *http.Request) bool {
	if r.PathValue("boardId") != strconv.Itoa(boardID) {
		writeErr(w, http.StatusNotFound, "Board does not exist or you do not have permission to see it.")
		return false
	}
	return true
}

func (s *Server) getSprints(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	if !knownBoard(w, r) {
		return
	}
	start, max, ok := readPaging(w, r, 50)
	if !ok {
		return
	}
	max = min(max, 50)
	var states []string
	for _, v := range r.URL.Query()["state"] {
		for _, st := range strings.Split(v, ",") {
			st = strings.TrimSpace(st)
			if st != SprintFuture && st != SprintActive && st != SprintClosed {
				writeErr(w, http.StatusBadRequest, "The state '"+st+"' is not valid; valid states are future, active and closed.")
				return
			}
			states = append(states, st)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*sprint
	for _, sp := range s.sprints {
		if len(states) == 0 || slices.Contains(states, sp.State) {
			list = append(list, sp)
		}
	}
	vals := []any{}
	for i := start; i < len(list) && len(vals) < max; i++ {
		vals = append(vals, list[i].json(ri.base))
	}
	writeJSON(w, http.StatusOK, map[string]any{"maxResults": max, "startAt": start, "total": len(list), "isLast": start+len(vals) >= len(list), "values": vals})
}

// pathSprint is the sprint the path's {sprintId} names; when there is none
// it answers Jira's 404 and returns nil. The caller holds s.mu.
func (s *Server) pathSprint(w http.ResponseWriter, r *http.Request) *sprint {
	id, _ := strconv.Atoi(r.PathValue("sprintId"))
	sp := s.sprintByID(id)
	if sp == nil {
		writeErr(w, http.StatusNotFound, "Sprint does not exist or you do not have permission to see it.")
	}
	return sp
}

// moveIssues moves the issues refs name into sp (nil: the backlog) and
// answers 204, or answers the request's error and moves none. The caller
// holds s.mu.
func (s *Server) moveIssues(w http.ResponseWriter, refs []string, actor *user, sp *sprint) {
	issues, err := s.sprintIssues(refs)
	if err != nil {
		writeError(w, err)
		return
	}
	for _, is := range issues {
		s.moveToSprint(is, actor, sp)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getSprint(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	sp := s.pathSprint(w, r)
	if sp == nil {
		return
	}
	writeJSON(w, http.StatusOK, sp.json(ri.base))
}

// moveIssuesRequest is the body of POST /sprint/{id}/issue and /backlog/issue.
type moveIssuesRequest struct {
	Issues            []string `json:"issues"`
	RankBeforeIssue   string   `json:"rankBeforeIssue"`
	RankAfterIssue    string   `json:"rankAfterIssue"`
	RankCustomFieldID *int64   `json:"rankCustomFieldId"`
}

func (s *Server) moveToSprintHandler(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	var req moveIssuesRequest
	if !decodeBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sp := s.pathSprint(w, r)
	if sp == nil {
		return
	}
	if sp.State == SprintClosed {
		writeErr(w, http.StatusBadRequest, "Issues cannot be moved to a closed sprint.")
		return
	}
	s.moveIssues(w, req.Issues, ri.user, sp)
}

func (s *Server) moveToBacklogHandler(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	var req moveIssuesRequest
	if !decodeBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.moveIssues(w, req.Issues, ri.user, nil)
}

// AddSprint adds a sprint to the board, as a board admin would, and
// returns its id. state is future, active or closed.
func (s *Server) AddSprint(name, state string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextSprint++
	sp := &sprint{ID: s.nextSprint, Name: name, State: state, Board: boardID}
	if state != SprintFuture {
		sp.Start = s.now().Truncate(time.Hour)
		sp.End = sp.Start.Add(14 * 24 * time.Hour)
	}
	if state == SprintClosed {
		sp.Complete = sp.End
	}
	s.sprints = append(s.sprints, sp)
	return sp.ID
}

// CloseSprint completes the named sprint; its issues keep it in their
// Sprint field. It says whether there was such a sprint.
func (s *Server) CloseSprint(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp := s.sprintByName(name)
	if sp == nil {
		return false
	}
	sp.State, sp.Complete = SprintClosed, s.now()
	if sp.Start.IsZero() {
		sp.Start, sp.End = sp.Complete, sp.Complete
	}
	return true
}

// UserSprint moves an issue into the named sprint ("" for the backlog) as
// a human dragging it on the board.
func (s *Server) UserSprint(actorEmail, idOrKey, sprintName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, is, err := s.actorOn(actorEmail, idOrKey)
	if err != nil {
		return err
	}
	var sp *sprint
	if sprintName != "" {
		if sp = s.sprintByName(sprintName); sp == nil || sp.State == SprintClosed {
			return fmt.Errorf("sandbox: no open sprint %q", sprintName)
		}
	}
	s.moveToSprint(is, u, sp)
	return nil
}

// AddScheduledSprint adds a sprint with planned dates to the board, as a
// board admin scheduling a future sprint would, and returns its id.
func (s *Server) AddScheduledSprint(name, state string, start, end time.Time) int {
	id := s.AddSprint(name, state)
	s.mu.Lock()
	defer s.mu.Unlock()
	sp := s.sprintByID(id)
	sp.Start, sp.End = start.UTC().Truncate(time.Millisecond), end.UTC().Truncate(time.Millisecond)
	if state == SprintClosed {
		sp.Complete = sp.End
	}
	return id
}
