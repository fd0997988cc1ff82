package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// webhookEvents are the events an admin webhook can subscribe to.
var webhookEvents = []string{
	"jira:issue_created", "jira:issue_updated", "jira:issue_deleted",
	"comment_created", "comment_updated", "comment_deleted",
	"issue_property_set", "issue_property_deleted",
	"issuelink_created", "issuelink_deleted",
	"attachment_created", "attachment_deleted",
}

// maxRetries is how often a delivery is retried after the first attempt.
const maxRetries = 4

type webhook struct {
	ID          int
	Name        string
	URL         string
	Events      []string
	JQL         string
	ExcludeBody bool
	Secret      string
	Enabled     bool
	Updated     time.Time
	UpdatedBy   *user
}

// webhookRequest is the admin webhook registration body.
type webhookRequest struct {
	Name        string            `json:"name"`
	URL         string            `json:"url"`
	Events      []string          `json:"events"`
	Filters     map[string]string `json:"filters"`
	ExcludeBody bool              `json:"excludeBody"`
	Secret      string            `json:"secret"`
	Enabled     *bool             `json:"enabled"`
}

func (s *Server) webhookJSON(h *webhook, base string) map[string]any {
	return map[string]any{
		"self":                   base + "/rest/webhooks/1.0/webhook/" + itoa(h.ID),
		"name":                   h.Name,
		"url":                    h.URL,
		"events":                 h.Events,
		"filters":                map[string]string{"issue-related-events-section": h.JQL},
		"excludeBody":            h.ExcludeBody,
		"enabled":                h.Enabled,
		"lastUpdated":            h.Updated.UnixMilli(),
		"lastUpdatedUser":        h.UpdatedBy.AccountID,
		"lastUpdatedDisplayName": h.UpdatedBy.DisplayName,
	}
}

// validateWebhook checks a registration; the caller holds s.mu.
func (s *Server) validateWebhook(req webhookRequest, me *user) error {
	if req.Name == "" {
		return errFields(map[string]string{"name": "Webhook name is required."})
	}
	u, err := url.Parse(req.URL)
	if req.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errFields(map[string]string{"url": "Webhook URL is invalid."})
	}
	for _, e := range req.Events {
		if !slices.Contains(webhookEvents, e) {
			return errFields(map[string]string{"events": "Unknown webhook event '" + e + "'."})
		}
	}
	if jql := req.Filters["issue-related-events-section"]; jql != "" {
		if _, err := s.parseJQL(jql, me); err != nil {
			return errFields(map[string]string{"filters": err.Error()})
		}
	}
	return nil
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	var req webhookRequest
	if !decodeBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.validateWebhook(req, ri.user); err != nil {
		writeError(w, err)
		return
	}
	s.nextHook++
	h := &webhook{ID: s.nextHook, Enabled: true}
	s.fillWebhook(h, req, ri.user)
	s.hooks = append(s.hooks, h)
	writeJSON(w, http.StatusCreated, s.webhookJSON(h, ri.base))
}

func (s *Server) fillWebhook(h *webhook, req webhookRequest, u *user) {
	h.Name, h.URL, h.Events, h.JQL = req.Name, req.URL, slices.Clone(req.Events), req.Filters["issue-related-events-section"]
	h.ExcludeBody, h.Secret = req.ExcludeBody, req.Secret
	if h.Events == nil {
		h.Events = []string{}
	}
	if req.Enabled != nil {
		h.Enabled = *req.Enabled
	}
	h.Updated, h.UpdatedBy = s.now(), u
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, h := range s.hooks {
		out = append(out, s.webhookJSON(h, ri.base))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) hookByID(id string) (int, *webhook) {
	for i, h := range s.hooks {
		if itoa(h.ID) == id {
			return i, h
		}
	}
	return -1, nil
}

// pathHook is the webhook the path's {id} names and its index; when there
// is none it answers Jira's 404 and the webhook is nil. The caller holds s.mu.
func (s *Server) pathHook(w http.ResponseWriter, r *http.Request) (int, *webhook) {
	i, h := s.hookByID(r.PathValue("id"))
	if h == nil {
		writeErr(w, http.StatusNotFound, "Webhook with id "+r.PathValue("id")+" does not exist.")
	}
	return i, h
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	_, h := s.pathHook(w, r)
	if h == nil {
		return
	}
	writeJSON(w, http.StatusOK, s.webhookJSON(h, ri.base))
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	var req webhookRequest
	if !decodeBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, h := s.pathHook(w, r)
	if h == nil {
		return
	}
	if err := s.validateWebhook(req, ri.user); err != nil {
		writeError(w, err)
		return
	}
	s.fillWebhook(h, req, ri.user)
	writeJSON(w, http.StatusOK, s.webhookJSON(h, ri.base))
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, h := s.pathHook(w, r)
	if h == nil {
		return
	}
	s.hooks = slices.Delete(s.hooks, i, i+1)
	w.WriteHeader(http.StatusNoContent)
}

// PauseWebhooks drops every event while paused (as if delivery failed for
// good), so tests can exercise polling.
func (s *Server) PauseWebhooks(paused bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paused = paused
}

// PendingDeliveries is the number of deliveries not yet answered for good
// (in flight or waiting for a retry).
func (s *Server) PendingDeliveries() int { return int(s.pending.Load()) }

// Deliveries is the number of delivery attempts sent.
func (s *Server) Deliveries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deliveries
}

// hooksFor lists the enabled hooks subscribed to event whose filter matches
// is; the caller holds s.mu.
func (s *Server) hooksFor(event string, is *issue) []*webhook {
	if s.paused {
		return nil
	}
	var out []*webhook
	for _, h := range s.hooks {
		if !h.Enabled || !slices.Contains(h.Events, event) {
			continue
		}
		if h.JQL != "" && is != nil {
			q, err := s.parseJQL(h.JQL, h.UpdatedBy)
			if err != nil || (q.where != nil && q.where(is) != yes) {
				continue
			}
		}
		out = append(out, h)
	}
	return out
}

func (s *Server) eventBase(event, typeName string, actor *user) map[string]any {
	m := map[string]any{
		"timestamp":    s.now().UnixMilli(),
		"webhookEvent": event,
		"user":         s.userJSON(actor, s.base, 2),
	}
	if typeName != "" {
		m["issue_event_type_name"] = typeName
	}
	return m
}

// emitIssue sends an issue event to the subscribed hooks; the caller holds s.mu.
func (s *Server) emitIssue(event, typeName string, is *issue, actor *user, h *history) {
	hooks := s.hooksFor(event, is)
	if len(hooks) == 0 {
		return
	}
	body := s.eventBase(event, typeName, actor)
	body["issue"] = s.renderIssue(is, s.base, 2, renderOpts{fields: parseFieldSel(nil, "*all")})
	if h != nil {
		items := make([]any, 0, len(h.Items))
		for _, it := range h.Items {
			items = append(items, it.json())
		}
		body["changelog"] = map[string]any{"id": itoa(h.ID), "items": items}
	}
	s.send(hooks, body)
}

// emitComment sends comment_* events and the matching jira:issue_updated.
func (s *Server) emitComment(event, typeName string, is *issue, c *comment, actor *user) {
	if hooks := s.hooksFor(event, is); len(hooks) > 0 {
		body := map[string]any{"timestamp": s.now().UnixMilli(), "webhookEvent": event}
		body["comment"] = s.commentJSON(c, is, s.base, 2)
		all := s.allFields(is, s.base, 2)
		small := map[string]any{}
		for _, k := range []string{"summary", "issuetype", "project", "assignee", "priority", "status"} {
			small[k] = all[k]
		}
		body["issue"] = map[string]any{"id": itoa(is.ID), "self": apiBase(s.base, 2) + "/issue/" + itoa(is.ID), "key": is.Key, "fields": small}
		s.send(hooks, body)
	}
	if hooks := s.hooksFor("jira:issue_updated", is); len(hooks) > 0 {
		body := s.eventBase("jira:issue_updated", typeName, actor)
		body["issue"] = s.renderIssue(is, s.base, 2, renderOpts{fields: parseFieldSel(nil, "*all")})
		body["comment"] = s.commentJSON(c, is, s.base, 2)
		s.send(hooks, body)
	}
}

func (s *Server) emitProperty(event string, is *issue, key string, actor *user) {
	hooks := s.hooksFor(event, is)
	if len(hooks) == 0 {
		return
	}
	body := map[string]any{"timestamp": s.now().UnixMilli(), "webhookEvent": event, "user": s.userJSON(actor, s.base, 2)}
	prop := map[string]any{"key": key}
	if v, ok := is.Props[key]; ok {
		prop["value"] = v
	}
	body["property"] = prop
	body["issue"] = map[string]any{"id": itoa(is.ID), "key": is.Key, "self": apiBase(s.base, 2) + "/issue/" + itoa(is.ID)}
	s.send(hooks, body)
}

// send marshals body once and delivers it to each hook in the background.
func (s *Server) send(hooks []*webhook, body map[string]any) {
	if s.ctx.Err() != nil {
		return // closed
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return
	}
	for _, h := range hooks {
		payload := raw
		if h.ExcludeBody {
			payload = nil
		}
		s.wg.Add(1)
		s.pending.Add(1)
		go s.deliver(h.URL, h.Secret, payload, uuid.NewString())
	}
}

// retryable says whether Jira retries a delivery that got code.
func retryable(code int) bool {
	switch code {
	case 408, 409, 425, 429:
		return true
	}
	return code >= 500
}

var deliveryClient = &http.Client{Timeout: 10 * time.Second}

func (s *Server) deliver(target, secret string, body []byte, id string) {
	defer s.wg.Done()
	defer s.pending.Add(-1)
	for attempt := 0; attempt <= maxRetries; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(s.opts.RetryDelay):
			case <-s.ctx.Done():
				return
			}
		}
		code, err := s.post(s.ctx, target, secret, body, id, attempt)
		if errors.Is(err, context.Canceled) {
			return
		}
		if err == nil && !retryable(code) {
			return
		}
	}
}

func (s *Server) post(ctx context.Context, target, secret string, body []byte, id string, attempt int) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("User-Agent", "Atlassian Webhook HTTP Client")
	req.Header.Set("X-Atlassian-Webhook-Identifier", id)
	req.Header.Set("X-Atlassian-Webhook-Flow", "Primary")
	if attempt > 0 {
		req.Header.Set("X-Atlassian-Webhook-Retry", strconv.Itoa(attempt))
	}
	if secret != "" {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		req.Header.Set("X-Hub-Signature", "sha256="+hex.EncodeToString(m.Sum(nil)))
	}
	s.mu.Lock()
	s.deliveries++
	s.mu.Unlock()
	resp, err := deliveryClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
