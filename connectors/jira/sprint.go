package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tandem-sync/tandem/connectors"
)

// Sprints are written through the Agile API, not the Sprint field: POST
// /rest/agile/1.0/sprint/{id}/issue moves issues into an open sprint (out
// of any other open one), POST /rest/agile/1.0/backlog/issue moves them
// out of their open sprint. Canonically a sprint is its name, so the open
// (active and future) sprints of the project's Scrum boards are loaded at
// New (GET /board?projectKeyOrId=, GET /board/{id}/sprint?state=
// active,future) and again, at most once a minute, when a write names a
// sprint we do not know, and at least every sprintReload.
//
// Reading, the Sprint field lists every sprint the issue was in: the open
// one wins, else the latest closed one (by completion). Writing the name
// of a closed or unknown sprint cannot put the issue there: Project says
// it reads back as "" and Apply moves the issue to the backlog (logged
// once per name).

// sprintReload is how old the sprint list may get before a write reloads
// it; sprintRetry is the least time between two loads.
const (
	sprintReload = 10 * time.Minute
	sprintRetry  = time.Minute
	maxBoards    = 50 // boards looked at for sprints
	maxSprintPgs = 20 // pages of sprints per board
)

// wireSprint is an element of the Sprint field and an Agile Sprint bean.
type wireSprint struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	State        string `json:"state"`
	BoardID      int64  `json:"boardId"`
	OriginBoard  int64  `json:"originBoardId"`
	StartDate    string `json:"startDate"`
	EndDate      string `json:"endDate"`
	CompleteDate string `json:"completeDate"`
}

type sprintDir struct {
	mu      sync.Mutex
	byName  map[string]wireSprint // open sprints by exact name
	loaded  time.Time
	off     bool // the site has no Agile API for this project
	warned  map[string]bool
	tryLoad time.Time
}

// loadSprints reads the open sprints of the project's boards.
func (c *Client) loadSprints(ctx context.Context) error {
	c.sprints.mu.Lock()
	c.sprints.tryLoad = c.now()
	c.sprints.mu.Unlock()
	var boards []struct {
		ID   int64  `json:"id"`
		Type string `json:"type"`
	}
	for start := 0; start < maxBoards; {
		q := url.Values{"projectKeyOrId": {c.projectKey}, "startAt": {strconv.Itoa(start)}, "maxResults": {"50"}}
		var page struct {
			Values []struct {
				ID   int64  `json:"id"`
				Type string `json:"type"`
			} `json:"values"`
			IsLast bool `json:"isLast"`
		}
		err := c.call(ctx, "listing jira boards of "+c.projectKey, http.MethodGet, "rest/agile/1.0/board?"+q.Encode(), nil, &page)
		if err != nil {
			if connectors.IsPermanent(err) {
				// No Jira Software here (or no right to see boards):
				// sprints are not synced.
				c.sprints.mu.Lock()
				c.sprints.off, c.sprints.loaded = true, c.now()
				c.sprints.mu.Unlock()
				c.logger().Warn("jira: no boards readable, sprints not synced", "project", c.projectKey, "err", err)
				return nil
			}
			return err
		}
		boards = append(boards, page.Values...)
		start += len(page.Values)
		if page.IsLast || len(page.Values) == 0 {
			break
		}
	}
	byName := map[string]wireSprint{}
	for _, b := range boards {
		if b.Type != "" && b.Type != "scrum" {
			continue // kanban boards have no sprints
		}
		for start, pages := 0, 0; pages < maxSprintPgs; pages++ {
			q := url.Values{"state": {"active,future"}, "startAt": {strconv.Itoa(start)}, "maxResults": {"50"}}
			var page struct {
				Values []wireSprint `json:"values"`
				IsLast bool         `json:"isLast"`
			}
			if err := c.call(ctx, "listing jira sprints", http.MethodGet, "rest/agile/1.0/board/"+strconv.FormatInt(b.ID, 10)+"/sprint?"+q.Encode(), nil, &page); err != nil {
				if connectors.IsPermanent(err) {
					break // a board that does not support sprints
				}
				return err
			}
			for _, sp := range page.Values {
				if prev, dup := byName[sp.Name]; !dup || sp.ID < prev.ID {
					byName[sp.Name] = sp
				}
			}
			start += len(page.Values)
			if page.IsLast || len(page.Values) == 0 {
				break
			}
		}
	}
	c.sprints.mu.Lock()
	c.sprints.byName, c.sprints.loaded, c.sprints.off = byName, c.now(), false
	c.sprints.mu.Unlock()
	return nil
}

// openSprint is the open sprint named name.
func (c *Client) openSprint(name string) (wireSprint, bool) {
	c.sprints.mu.Lock()
	defer c.sprints.mu.Unlock()
	sp, ok := c.sprints.byName[name]
	return sp, ok
}

// projectSprint is what a sprint name reads back as.
func (c *Client) projectSprint(name string) string {
	if c.sprintField == "" {
		return ""
	}
	if _, ok := c.openSprint(name); ok {
		return name
	}
	return ""
}

// readSprint picks the canonical sprint from the Sprint field's value.
func readSprint(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return "", fmt.Errorf("reading the sprint field: %w", err)
	}
	sps := make([]wireSprint, 0, len(elems))
	for _, e := range elems {
		var sp wireSprint
		if err := json.Unmarshal(e, &sp); err == nil {
			sps = append(sps, sp)
			continue
		}
		var legacy string
		if err := json.Unmarshal(e, &legacy); err != nil {
			return "", fmt.Errorf("reading the sprint field: element %s is neither a sprint nor a string", e)
		}
		sp, ok := parseLegacySprint(legacy)
		if !ok {
			return "", fmt.Errorf("reading the sprint field: unreadable sprint %q", legacy)
		}
		sps = append(sps, sp)
	}
	var open, closed *wireSprint
	for i := range sps {
		sp := &sps[i]
		if sp.State != "closed" {
			open = sp // Jira keeps an issue in one open sprint; the last wins
			continue
		}
		if closed == nil || sp.CompleteDate >= closed.CompleteDate {
			closed = sp
		}
	}
	switch {
	case open != nil:
		return open.Name, nil
	case closed != nil:
		return closed.Name, nil
	}
	return "", nil
}

// parseLegacySprint reads the string form older Jira versions give the
// Sprint field: "com.atlassian.greenhopper.service.sprint.Sprint@77c1[id=266,
// rapidViewId=174,state=CLOSED,name=GSC Sprint 26,startDate=...,
// completeDate=...,sequence=266,goal=<null>]". A name may hold commas, so
// it runs up to the next known key.
func parseLegacySprint(s string) (wireSprint, bool) {
	open := strings.IndexByte(s, '[')
	if open < 0 || !strings.HasSuffix(s, "]") {
		return wireSprint{}, false
	}
	body := s[open+1 : len(s)-1]
	keys := []string{"id", "rapidViewId", "state", "name", "startDate", "endDate", "completeDate", "activatedDate", "sequence", "goal", "autoStartStop", "synced"}
	vals := map[string]string{}
	for i := 0; i < len(body); {
		eq := strings.IndexByte(body[i:], '=')
		if eq < 0 {
			break
		}
		key := body[i : i+eq]
		rest := body[i+eq+1:]
		end := len(rest)
		for _, k := range keys {
			if j := strings.Index(rest, ","+k+"="); j >= 0 && j < end {
				end = j
			}
		}
		vals[key] = rest[:end]
		i += eq + 1 + end + 1
	}
	name, ok := vals["name"]
	if !ok {
		return wireSprint{}, false
	}
	sp := wireSprint{Name: name, State: strings.ToLower(vals["state"])}
	sp.ID, _ = strconv.ParseInt(vals["id"], 10, 64)
	if c := vals["completeDate"]; c != "<null>" {
		sp.CompleteDate = c
	}
	return sp, true
}

// moveToSprint puts issue id in the open sprint named name, or in the
// backlog when name is "" or no open sprint has that name.
func (c *Client) moveToSprint(ctx context.Context, id, name string) error {
	if c.sprintField == "" {
		return nil
	}
	sp, ok := c.openSprint(name)
	if name != "" && !ok {
		c.sprints.mu.Lock()
		retry := c.now().Sub(c.sprints.tryLoad) >= sprintRetry
		c.sprints.mu.Unlock()
		if retry {
			if err := c.loadSprints(ctx); err != nil {
				return err
			}
			sp, ok = c.openSprint(name)
		}
	}
	c.sprints.mu.Lock()
	off := c.sprints.off
	c.sprints.mu.Unlock()
	if off {
		return nil
	}
	body := map[string]any{"issues": []string{id}}
	if ok {
		return c.call(ctx, "moving jira issue "+id+" to sprint "+sp.Name, http.MethodPost, "rest/agile/1.0/sprint/"+strconv.FormatInt(sp.ID, 10)+"/issue", body, nil)
	}
	if name != "" && c.users.once("sprint:"+name) {
		c.logger().Warn("jira: no open sprint of this name; moving the issue to the backlog", "sprint", name, "jira", id)
	}
	return c.call(ctx, "moving jira issue "+id+" to the backlog", http.MethodPost, "rest/agile/1.0/backlog/issue", body, nil)
}

// refreshSprints reloads the sprint list when it is older than
// sprintReload.
func (c *Client) refreshSprints(ctx context.Context) error {
	c.sprints.mu.Lock()
	stale := c.sprintField != "" && c.now().Sub(c.sprints.loaded) >= sprintReload && c.now().Sub(c.sprints.tryLoad) >= sprintRetry
	c.sprints.mu.Unlock()
	if !stale {
		return nil
	}
	return c.loadSprints(ctx)
}
