package sandbox

import (
	"slices"
	"strconv"
	"time"
)

// createCycle is cycleCreate: a cycle of the team from startsAt to endsAt,
// numbered after the team's last; name optional (unnamed, Linear's UI
// shows "Cycle N"). A team's cycles cannot overlap, as in Linear. It
// raises a Cycle create webhook. The caller holds s.mu.
func (s *Server) createCycle(actor *user, in map[string]any) (*cycle, error) {
	w := s.w
	tid, _ := argStr(in, "teamId")
	t := w.team(tid)
	if t == nil {
		return nil, notFound("Team")
	}
	now := s.now()
	start, err := parseTime(in["startsAt"], now)
	if err != nil {
		return nil, invalidInput("Argument Validation Error", "startsAt must be a date.")
	}
	end, err := parseTime(in["endsAt"], now)
	if err != nil {
		return nil, invalidInput("Argument Validation Error", "endsAt must be a date.")
	}
	if !end.After(start) {
		return nil, invalidInput("Argument Validation Error", "endsAt must be after startsAt.")
	}
	number := 0
	for _, c := range w.cycles {
		if c.team != t {
			continue
		}
		number = max(number, c.number)
		if start.Before(c.endsAt) && c.startsAt.Before(end) {
			return nil, invalidInput("Cycle overlaps", "Cycles can't overlap: the new cycle overlaps cycle "+c.displayName()+".")
		}
	}
	id, _ := argStr(in, "id")
	if id == "" {
		id = newID()
	} else if w.cycle(id) != nil || !uuidRE.MatchString(id) {
		return nil, invalidInput("Argument Validation Error", "Invalid cycle id.")
	}
	name, _ := argStr(in, "name")
	c := &cycle{id: id, number: number + 1, name: name, team: t, startsAt: start.UTC(), endsAt: end.UTC(), createdAt: now}
	w.cycles = append(w.cycles, c)
	slices.SortStableFunc(w.cycles, func(a, b *cycle) int { return a.startsAt.Compare(b.startsAt) })
	w.syncID()
	s.emit("create", "Cycle", t, s.cyclePayload(c), nil, actor, "https://linear.app/"+w.urlKey+"/team/"+t.key+"/cycle/"+strconv.Itoa(c.number), now)
	return c, nil
}

// cyclePayload is a Cycle webhook's data.
func (s *Server) cyclePayload(c *cycle) map[string]any {
	// A new cycle's scope histories are empty.
	empty := []any{}
	return map[string]any{"id": c.id, "number": c.number, "name": nullStr(c.name), "startsAt": ts(c.startsAt), "endsAt": ts(c.endsAt),
		"teamId": c.team.id, "createdAt": ts(c.createdAt), "updatedAt": ts(c.createdAt),
		"completedIssueCountHistory": empty, "completedScopeHistory": empty, "inProgressScopeHistory": empty,
		"issueCountHistory": empty, "scopeHistory": empty, "uncompletedIssuesUponCloseIds": empty}
}

// UserCreateCycle adds a cycle to the team (key or id) as a person in
// Linear's UI would; name "" leaves it unnamed. It returns the cycle's id.
func (s *Server) UserCreateCycle(actorEmail, teamKey, name string, start, end time.Time) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.w.userByEmail(actorEmail)
	if u == nil {
		return "", notFound("User")
	}
	in := map[string]any{"teamId": teamKey, "startsAt": start.UTC().Format(time.RFC3339), "endsAt": end.UTC().Format(time.RFC3339)}
	if name != "" {
		in["name"] = name
	}
	c, err := s.createCycle(u, in)
	if err != nil {
		return "", err
	}
	return c.id, nil
}

// CycleView is a cycle as a test sees it.
type CycleView struct {
	ID, Name         string // Name "" when unnamed
	Number           int
	StartsAt, EndsAt time.Time
}

// Cycles lists the team's (key or id) cycles by start.
func (s *Server) Cycles(teamKey string) []CycleView {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.w.team(teamKey)
	var out []CycleView
	for _, c := range s.w.cycles {
		if c.team == t {
			out = append(out, CycleView{ID: c.id, Name: c.name, Number: c.number, StartsAt: c.startsAt, EndsAt: c.endsAt})
		}
	}
	return out
}
