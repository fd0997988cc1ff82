package sandbox

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// IssueView is a snapshot of one issue for tests.
type IssueView struct {
	ID, Key        string
	Summary        string
	Description    string // wiki markup
	Status         string
	StatusCategory string // new, indeterminate, done
	Priority       string // "" when none
	Type           string
	Labels         []string
	Assignee       string // email, "" when unassigned
	DueDate        string
	StoryPoints    *float64
	Parent         string   // the parent's key, "" when none
	Sprints        []string // the Sprint field's sprint names, oldest first
	Rank           string   // wire form, e.g. "0|i0000f:"
	Created        time.Time
	Updated        time.Time
	Properties     map[string]json.RawMessage
	Comments       []string // bodies in wiki markup
	Changelog      int      // number of changelog entries
}

func (s *Server) view(is *issue) IssueView {
	v := IssueView{
		ID: itoa(is.ID), Key: is.Key, Summary: is.Summary, Description: wikiOf(is.Desc),
		Status: is.Status.Name, StatusCategory: is.Status.Cat.Key, Type: is.Type.Name,
		Labels: slices.Clone(is.Labels), DueDate: is.DueDate, Rank: formatRank(is.Rank),
		Created: is.Created, Updated: is.Updated, Properties: maps.Clone(is.Props), Changelog: len(is.History),
	}
	if is.Priority != nil {
		v.Priority = is.Priority.Name
	}
	if is.Assignee != nil {
		v.Assignee = is.Assignee.Email
	}
	if is.StoryPoints != nil {
		p := *is.StoryPoints
		v.StoryPoints = &p
	}
	if is.Parent != nil {
		v.Parent = is.Parent.Key
	}
	for _, sp := range is.Sprints {
		v.Sprints = append(v.Sprints, sp.Name)
	}
	for _, c := range s.liveComments(is) {
		v.Comments = append(v.Comments, wikiOf(c.Body))
	}
	return v
}

// Issue returns a snapshot of one issue by id or key.
func (s *Server) Issue(idOrKey string) (IssueView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.lookup(idOrKey)
	if is == nil {
		return IssueView{}, false
	}
	return s.view(is), true
}

// Issues returns every issue in rank order.
func (s *Server) Issues() []IssueView {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []IssueView
	for _, is := range s.ordered() {
		out = append(out, s.view(is))
	}
	return out
}

func (s *Server) actor(email string) (*user, error) {
	u := s.userByEmail(email)
	if u == nil {
		return nil, fmt.Errorf("sandbox: no user %q", email)
	}
	return u, nil
}

// actorOn is the acting user and the issue idOrKey names, or the error
// about whichever is missing (the user first). The caller holds s.mu.
func (s *Server) actorOn(email, idOrKey string) (*user, *issue, error) {
	u, err := s.actor(email)
	if err != nil {
		return nil, nil, err
	}
	is, err := s.findIssue(idOrKey)
	if err != nil {
		return nil, nil, err
	}
	return u, is, nil
}

// actorOnComment is actorOn and the issue's live comment with commentID, or
// the error about the first that is missing. The caller holds s.mu.
func (s *Server) actorOnComment(email, idOrKey, commentID string) (*user, *issue, *comment, error) {
	u, is, err := s.actorOn(email, idOrKey)
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := s.liveComment(is, commentID)
	if err != nil {
		return nil, nil, nil, err
	}
	return u, is, c, nil
}

func rawFields(fields map[string]any) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(fields))
	for k, v := range fields {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("sandbox: field %s: %w", k, err)
		}
		out[k] = b
	}
	return out, nil
}

// UserCreate creates an issue as a human would in the UI: same rules,
// changelog and webhooks as POST /rest/api/2/issue, not counted as an API
// request. Fields use the v2 shapes; project and issuetype default to the
// project and Story.
func (s *Server) UserCreate(actorEmail string, fields map[string]any) (id, key string, err error) {
	raw, err := rawFields(fields)
	if err != nil {
		return "", "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.actor(actorEmail)
	if err != nil {
		return "", "", err
	}
	if _, ok := raw["project"]; !ok {
		raw["project"] = json.RawMessage(`{"key":"` + s.project.Key + `"}`)
	}
	if _, ok := raw["issuetype"]; !ok {
		raw["issuetype"] = json.RawMessage(`{"name":"Story"}`)
	}
	is, err := s.create(u, editRequest{Fields: raw}, 2)
	if err != nil {
		return "", "", err
	}
	return itoa(is.ID), is.Key, nil
}

// UserEdit edits fields (v2 shapes) as a human.
func (s *Server) UserEdit(actorEmail, idOrKey string, fields map[string]any) error {
	raw, err := rawFields(fields)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, is, err := s.actorOn(actorEmail, idOrKey)
	if err != nil {
		return err
	}
	return s.edit(u, is, editRequest{Fields: raw}, 2)
}

// UserTransition moves an issue to the named status through the one
// transition leading there from its current status; it fails like Jira when
// no transition does.
func (s *Server) UserTransition(actorEmail, idOrKey, toStatusName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, is, err := s.actorOn(actorEmail, idOrKey)
	if err != nil {
		return err
	}
	for _, t := range s.transitionsFrom(is.Status.ID) {
		if strings.EqualFold(s.statusByID(t.To).Name, toStatusName) {
			s.transition(is, u, t)
			return nil
		}
	}
	return errMsg(400, fmt.Sprintf("No transition leads from '%s' to '%s' for issue %s.", is.Status.Name, toStatusName, is.Key))
}

// UserComment adds a comment (wiki markup) as a human.
func (s *Server) UserComment(actorEmail, idOrKey, body string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, is, err := s.actorOn(actorEmail, idOrKey)
	if err != nil {
		return err
	}
	n, err := s.commentBody(mustJSON(body), 2)
	if err != nil {
		return err
	}
	s.comment(is, u, n)
	return nil
}

// UserDelete deletes an issue as a human.
func (s *Server) UserDelete(actorEmail, idOrKey string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, is, err := s.actorOn(actorEmail, idOrKey)
	if err != nil {
		return err
	}
	s.remove(is, u)
	return nil
}

// UserRank ranks issues before (before=true) or after anchor, as a human
// dragging them on the board.
func (s *Server) UserRank(actorEmail string, issues []string, anchor string, before bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.actor(actorEmail)
	if err != nil {
		return err
	}
	req := rankRequest{Issues: issues}
	if before {
		req.RankBeforeIssue = anchor
	} else {
		req.RankAfterIssue = anchor
	}
	entries, err := s.rank(u, req)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Status != 200 {
			return fmt.Errorf("sandbox: ranking %s: %s", e.IssueKey, strings.Join(e.Errors, "; "))
		}
	}
	return nil
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// UserEditComment replaces a comment's body (wiki markup) as a human; the
// comment_updated webhook follows.
func (s *Server) UserEditComment(actorEmail, idOrKey, commentID, body string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, is, c, err := s.actorOnComment(actorEmail, idOrKey, commentID)
	if err != nil {
		return err
	}
	n, err := s.commentBody(mustJSON(body), 2)
	if err != nil {
		return err
	}
	s.editComment(is, c, n, u)
	return nil
}

// UserDeleteComment deletes a comment as a human; the comment_deleted
// webhook follows.
func (s *Server) UserDeleteComment(actorEmail, idOrKey, commentID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, is, c, err := s.actorOnComment(actorEmail, idOrKey, commentID)
	if err != nil {
		return err
	}
	s.markCommentDeleted(is, c, u)
	return nil
}

// CommentIDs lists the ids of an issue's live comments, oldest first.
func (s *Server) CommentIDs(idOrKey string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.lookup(idOrKey)
	if is == nil {
		return nil
	}
	var out []string
	for _, c := range s.liveComments(is) {
		out = append(out, itoa(c.ID))
	}
	return out
}
