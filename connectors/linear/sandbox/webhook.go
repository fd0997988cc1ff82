package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/tandem-sync/tandem/connectors/linear/sandbox/gql"
)

// Webhook deliveries: an EntityWebhookPayload per registered webhook whose
// team and resource types match, POSTed asynchronously and signed with the
// webhook's secret (Linear-Signature: lowercase hex HMAC-SHA256 of the raw
// body). A non-200 answer or one slower than 5 s is retried at most 3 times
// after Options.RetryDelay, then dropped.

type delivery struct {
	id       string // Linear-Delivery, the same for every attempt
	hook     *webhook
	url      string
	secret   string
	event    string
	envelope map[string]any // everything but webhookTimestamp
	attempt  int
	due      time.Time
}

const maxRetries = 3

func ts(t time.Time) string { return t.UTC().Format(gql.TimeFormat) }

func (s *Server) issuePayload(i *issue) map[string]any {
	labels := make([]any, 0, len(i.labels))
	for _, l := range i.labels {
		labels = append(labels, map[string]any{"id": l.id, "name": l.name, "color": l.color})
	}
	d := map[string]any{
		"id": i.id, "createdAt": ts(i.createdAt), "updatedAt": ts(i.updatedAt),
		"archivedAt": tsPtr(i.archivedAt), "number": i.number, "identifier": i.identifier,
		"title": i.title, "description": i.description, "priority": i.priority,
		"priorityLabel": priorityLabel(i.priority), "estimate": valueOrNil(i.estimate),
		"sortOrder": i.sortOrder, "prioritySortOrder": i.sortOrder, "boardOrder": 0,
		"startedAt": tsPtr(i.startedAt), "completedAt": tsPtr(i.completedAt), "canceledAt": tsPtr(i.canceledAt),
		"dueDate": nullStr(i.dueDate), "trashed": nil, "teamId": i.team.id,
		"cycleId": idOrNil(i.cycle), "projectId": idOrNil(i.project), "parentId": idOrNil(i.parent), "stateId": i.state.id,
		"assigneeId": idOrNil(i.assignee), "creatorId": idOrNil(i.creator),
		"labelIds": labelIDs(i.labels), "labels": labels, "previousIdentifiers": []string{},
		"subscriberIds": []string{}, "reactionData": []any{},
		"state": map[string]any{"id": i.state.id, "name": i.state.name, "color": i.state.color, "type": i.state.typ},
		"team":  map[string]any{"id": i.team.id, "key": i.team.key, "name": i.team.name},
		"url":   s.w.issueURL(i),
	}
	if i.trashed {
		d["trashed"] = true
	}
	if i.assignee != nil {
		d["assignee"] = map[string]any{"id": i.assignee.id, "name": i.assignee.name, "email": i.assignee.email}
	}
	if i.creator != nil {
		d["creator"] = map[string]any{"id": i.creator.id, "name": i.creator.name, "email": i.creator.email}
	}
	if i.cycle != nil {
		d["cycle"] = map[string]any{"id": i.cycle.id, "number": i.cycle.number, "name": nullStr(i.cycle.name),
			"startsAt": ts(i.cycle.startsAt), "endsAt": ts(i.cycle.endsAt)}
	}
	return d
}

func (s *Server) commentPayload(c *comment) map[string]any {
	d := map[string]any{
		"id": c.id, "createdAt": ts(c.createdAt), "updatedAt": ts(c.updatedAt), "archivedAt": nil,
		"body": c.body, "editedAt": tsPtr(c.editedAt), "issueId": c.issue.id, "userId": idOrNil(c.user),
		"reactionData": []any{},
		"issue":        map[string]any{"id": c.issue.id, "title": c.issue.title},
	}
	if c.user != nil {
		d["user"] = map[string]any{"id": c.user.id, "name": c.user.name}
	}
	if c.parent != nil { // only replies carry parentId (see the reply fixture)
		d["parentId"] = c.parent.id
	}
	return d
}

func tsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

func (s *Server) emitIssue(action string, i *issue, actor *user, from map[string]any, now time.Time) {
	s.emit(action, "Issue", i.team, s.issuePayload(i), from, actor, s.w.issueURL(i), now)
}

func (s *Server) emitComment(action string, c *comment, actor *user, from map[string]any, now time.Time) {
	url := s.w.issueURL(c.issue) + "#comment-" + c.id[:8]
	s.emit(action, "Comment", c.issue.team, s.commentPayload(c), from, actor, url, now)
}

// emit queues one delivery per matching webhook. Caller holds s.mu.
func (s *Server) emit(action, typ string, t *team, data, from map[string]any, actor *user, url string, now time.Time) {
	s.emitTo(action, typ, t, data, from, actor, url, now, nil)
}

// emitTo is emit skipping (and then noting) the hooks in served, for an
// entity of several teams that each hook hears of once.
func (s *Server) emitTo(action, typ string, t *team, data, from map[string]any, actor *user, url string, now time.Time, served map[*webhook]bool) {
	for _, h := range s.w.webhooks {
		if !h.enabled || !slices.Contains(h.resourceTypes, typ) || (h.team != t && !h.allPublicTeams) || served[h] {
			continue
		}
		if served != nil {
			served[h] = true
		}
		env := map[string]any{
			"action": action, "type": typ, "createdAt": ts(now), "data": data, "url": url,
			"organizationId": s.w.orgID, "webhookId": h.id,
		}
		if from != nil {
			uf := map[string]any{}
			for k, v := range from {
				if tv, ok := v.(time.Time); ok {
					v = ts(tv)
				}
				uf[k] = v
			}
			env["updatedFrom"] = uf
		}
		if actor != nil {
			env["actor"] = map[string]any{"id": actor.id, "name": actor.name, "email": actor.email,
				"type": "user", "url": "https://linear.app/" + s.w.urlKey + "/profiles/" + actor.displayName}
		}
		s.queue = append(s.queue, &delivery{id: newID(), hook: h, url: h.url, secret: h.secret, event: typ, envelope: env})
	}
	s.kick()
}

func (s *Server) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// deliverLoop sends due deliveries until the server closes.
func (s *Server) deliverLoop(ctx context.Context) {
	defer close(s.loopDone)
	for {
		s.mu.Lock()
		var due []*delivery
		next := time.Duration(-1)
		if !s.paused {
			now := time.Now()
			keep := s.queue[:0]
			for _, d := range s.queue {
				if !d.due.After(now) {
					due = append(due, d)
					continue
				}
				if wait := d.due.Sub(now); next < 0 || wait < next {
					next = wait
				}
				keep = append(keep, d)
			}
			s.queue = keep
			s.inflight += len(due)
		}
		s.mu.Unlock()
		for _, d := range due {
			go s.attempt(ctx, d)
		}
		var timer <-chan time.Time
		if next >= 0 {
			timer = time.After(next)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer:
		}
	}
}

func (s *Server) attempt(ctx context.Context, d *delivery) {
	env := make(map[string]any, len(d.envelope)+1)
	for k, v := range d.envelope {
		env[k] = v
	}
	env["webhookTimestamp"] = s.opts.Now().UnixMilli()
	body, _ := json.Marshal(env)
	mac := hmac.New(sha256.New, []byte(d.secret))
	mac.Write(body)
	ok := false
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		req.Header.Set("User-Agent", "Linear-Webhook")
		req.Header.Set("Linear-Delivery", d.id)
		req.Header.Set("Linear-Event", d.event)
		req.Header.Set("Linear-Signature", hex.EncodeToString(mac.Sum(nil)))
		req.Header.Set("Linear-Timestamp", strconv.FormatInt(env["webhookTimestamp"].(int64), 10))
		resp, err := s.hookClient.Do(req)
		if err == nil {
			ok = resp.StatusCode == http.StatusOK
			resp.Body.Close()
		}
	}
	s.mu.Lock()
	s.inflight--
	s.attempts++
	if ok {
		s.delivered++
	} else if d.attempt < maxRetries && ctx.Err() == nil {
		d.attempt++
		d.due = time.Now().Add(s.opts.RetryDelay)
		s.queue = append(s.queue, d)
	} else {
		s.dropped++
	}
	s.mu.Unlock()
	s.kick()
}
