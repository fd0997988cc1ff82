package linear

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

// tolerance is how far webhookTimestamp may be from now (Linear's SDK:
// ±60 s).
const tolerance = 60 * time.Second

// ParseWebhook implements connectors.Webhooks. It checks Linear-Signature
// (hex HMAC-SHA256 of the raw body, constant-time), then webhookTimestamp
// (body field, Linear-Timestamp header as fallback; skipped when neither is
// present, as Linear's SDK does) within ±60 s of now. Issue events name
// data.id, Comment events data.issueId; issues of other teams and other
// entity types are acknowledged and ignored. An Issue update whose
// updatedFrom has sortOrder sets Delivery.Order.
func (c *Client) ParseWebhook(h http.Header, body []byte, now time.Time) (connectors.Delivery, error) {
	d, p, err := parseWebhookPayload(c.secret, c.teamID, c.teamKey, h, body, now)
	if err != nil {
		return d, err
	}
	if p.Type == "Project" {
		if !c.epics {
			return connectors.Delivery{ID: d.ID, Ignored: "event type Project"}, nil
		}
		for _, r := range d.Refs {
			c.projects.add(r.ID)
		}
		return d, nil
	}
	if c.files && p.Type == "Attachment" {
		return c.fileDelivery(d, p), nil
	}
	if len(d.Refs) == 1 && ownIssueWrite(p, c.viewerID) {
		// Tandem's own write (its API key's user is its own, people do not
		// share it): the pass that wrote it holds it already, and without
		// this every twin a backfill makes or updates would queue a
		// webhook pass before the edits people make. A change an
		// automation made along with ours is still seen by the poll.
		return connectors.Delivery{ID: d.ID, Ignored: "Tandem's own change to " + firstNonEmpty(d.Refs[0].Key, d.Refs[0].ID)}, nil
	}
	if d.Order && len(d.Refs) == 1 {
		// The echo of our own Move carries the sortOrder Move wrote (and
		// noted): that is no reorder to mirror.
		if p.Data.SortOrder != nil && !c.ranks.Saw(d.Refs[0].ID, sortKey(*p.Data.SortOrder)) {
			d.Order = false
		}
	}
	return d, nil
}

// fileDelivery is an Attachment delivery's issue, when it is a file (not a
// link attachment) and not Tandem's own upload. It carries no version: an
// attachment does not move the issue's updatedAt.
func (c *Client) fileDelivery(d connectors.Delivery, p payload) connectors.Delivery {
	switch {
	case p.Data.IssueID == "":
		return connectors.Delivery{ID: d.ID, Ignored: "attachment without an issue"}
	case !strings.HasPrefix(p.Data.URL, c.filesAt):
		return connectors.Delivery{ID: d.ID, Ignored: "link attachment (not a file)"}
	case p.Actor != nil && p.Actor.ID == c.viewerID:
		return connectors.Delivery{ID: d.ID, Ignored: "Tandem's own file change"}
	}
	return connectors.Delivery{ID: d.ID, Refs: []backlog.Ref{{Side: backlog.Linear, ID: p.Data.IssueID}}}
}

// ownIssueWrite reports whether a (verified) delivery is an Issue create or
// update whose actor is self, the user of Tandem's API key.
func ownIssueWrite(p payload, self string) bool {
	if self == "" || p.Type != "Issue" || p.Actor == nil {
		return false
	}
	return p.Actor.ID == self && (p.Action == "create" || p.Action == "update")
}

// payload is the part of an EntityWebhookPayload we read.
type payload struct {
	Action string `json:"action"`
	Type   string `json:"type"`
	Actor  *struct {
		ID string `json:"id"`
	} `json:"actor"`
	WebhookTimestamp json.RawMessage `json:"webhookTimestamp"`
	// UpdatedFrom holds the previous values of the changed properties; read
	// leniently, as only a hint.
	UpdatedFrom json.RawMessage `json:"updatedFrom"`
	Data        struct {
		ID         string `json:"id"`
		Identifier string `json:"identifier"`
		UpdatedAt  string `json:"updatedAt"`
		IssueID    string `json:"issueId"`
		TeamID     string `json:"teamId"`
		Team       *struct {
			ID  string `json:"id"`
			Key string `json:"key"`
		} `json:"team"`
		Issue *struct {
			ID string `json:"id"`
		} `json:"issue"`
		TeamIDs   []string `json:"teamIds"` // a Project's
		URL       string   `json:"url"`     // an Attachment's
		SortOrder *float64 `json:"sortOrder"`
	} `json:"data"`
}

func parseWebhook(secret []byte, teamID, teamKey string, h http.Header, body []byte, now time.Time) (connectors.Delivery, error) {
	d, _, err := parseWebhookPayload(secret, teamID, teamKey, h, body, now)
	return d, err
}

// parseWebhookPayload is parseWebhook with the payload it decoded (once:
// ParseWebhook reads the rest of what it needs from it).
func parseWebhookPayload(secret []byte, teamID, teamKey string, h http.Header, body []byte, now time.Time) (connectors.Delivery, payload, error) {
	sig := strings.TrimSpace(h.Get("Linear-Signature"))
	if sig == "" {
		return connectors.Delivery{}, payload{}, fmt.Errorf("linear webhook: missing Linear-Signature: %w", connectors.ErrUnauthorized)
	}
	if len(secret) == 0 {
		return connectors.Delivery{}, payload{}, fmt.Errorf("linear webhook: no signing secret configured: %w", connectors.ErrUnauthorized)
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return connectors.Delivery{}, payload{}, fmt.Errorf("linear webhook: malformed signature: %w", connectors.ErrUnauthorized)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return connectors.Delivery{}, payload{}, fmt.Errorf("linear webhook: bad signature: %w", connectors.ErrUnauthorized)
	}
	var p payload
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&p); err != nil {
		return connectors.Delivery{}, payload{}, fmt.Errorf("linear webhook: %v: %w", err, connectors.ErrBadRequest)
	}
	ts, ok, err := timestamp(p.WebhookTimestamp, h.Get("Linear-Timestamp"))
	if err != nil {
		return connectors.Delivery{}, payload{}, fmt.Errorf("linear webhook: %v: %w", err, connectors.ErrBadRequest)
	}
	if ok {
		if d := now.Sub(ts); d > tolerance || d < -tolerance {
			return connectors.Delivery{}, payload{}, fmt.Errorf("linear webhook: timestamp %s is %s from now: %w",
				ts.UTC().Format(time.RFC3339), d.Round(time.Second), connectors.ErrUnauthorized)
		}
	}
	if p.Type == "" || p.Action == "" {
		return connectors.Delivery{}, payload{}, fmt.Errorf("linear webhook: missing type or action: %w", connectors.ErrBadRequest)
	}
	d := connectors.Delivery{ID: h.Get("Linear-Delivery")}
	switch p.Type {
	case "Issue":
		if p.Data.ID == "" {
			return connectors.Delivery{}, payload{}, fmt.Errorf("linear webhook: Issue event without data.id: %w", connectors.ErrBadRequest)
		}
		tid, tkey := p.Data.TeamID, ""
		if p.Data.Team != nil {
			tkey = p.Data.Team.Key
			if tid == "" {
				tid = p.Data.Team.ID
			}
		}
		if (tid != "" && tid != teamID) || (tid == "" && tkey != "" && !strings.EqualFold(tkey, teamKey)) {
			d.Ignored = "issue of another team (" + firstNonEmpty(tkey, tid) + ")"
			return d, p, nil
		}
		d.Refs = []backlog.Ref{{Side: backlog.Linear, ID: p.Data.ID, Key: p.Data.Identifier}}
		if p.Action != "remove" {
			if t, err := time.Parse(time.RFC3339Nano, p.Data.UpdatedAt); err == nil {
				d.Versions = map[string]string{p.Data.ID: t.UTC().Format(time.RFC3339Nano)}
			}
		}
		// A drag in a manual view (or our own Move) changes sortOrder: the
		// daemon runs an order pass.
		var from map[string]json.RawMessage
		if json.Unmarshal(p.UpdatedFrom, &from) == nil {
			_, d.Order = from["sortOrder"]
		}
	case "Comment":
		id := p.Data.IssueID
		if id == "" && p.Data.Issue != nil {
			id = p.Data.Issue.ID
		}
		if id == "" {
			d.Ignored = "comment on something other than an issue"
			return d, p, nil
		}
		// Comment payloads carry no team; Get tells whether it is ours.
		d.Refs = []backlog.Ref{{Side: backlog.Linear, ID: id}}
	case "Project":
		if p.Data.ID == "" {
			return connectors.Delivery{}, payload{}, fmt.Errorf("linear webhook: Project event without data.id: %w", connectors.ErrBadRequest)
		}
		if !slices.Contains(p.Data.TeamIDs, teamID) {
			d.Ignored = "project of other teams"
			return d, p, nil
		}
		d.Refs = []backlog.Ref{{Side: backlog.Linear, ID: p.Data.ID}}
		if p.Action != "remove" {
			if t, err := time.Parse(time.RFC3339Nano, p.Data.UpdatedAt); err == nil {
				d.Versions = map[string]string{p.Data.ID: t.UTC().Format(time.RFC3339Nano)}
			}
		}
	default:
		d.Ignored = "event type " + p.Type
	}
	return d, p, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// timestamp reads webhookTimestamp (ms) from the body, else the header.
func timestamp(field json.RawMessage, header string) (time.Time, bool, error) {
	raw := strings.TrimSpace(string(field))
	if raw == "" || raw == "null" {
		raw = strings.TrimSpace(header)
	}
	if raw == "" {
		return time.Time{}, false, nil
	}
	ms, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsNaN(ms) || math.IsInf(ms, 0) || ms < 0 || ms > 1e15 {
		return time.Time{}, false, fmt.Errorf("invalid webhookTimestamp %.40q", raw)
	}
	return time.UnixMilli(int64(ms)), true, nil
}

const webhooksQuery = `query TandemWebhooks($after: String) {
  webhooks(first: 100, after: $after) {
    nodes { id url enabled secret resourceTypes team { id } }
    pageInfo { hasNextPage endCursor }
  }
}`

const webhookCreateMutation = `mutation TandemWebhookCreate($input: WebhookCreateInput!) {
  webhookCreate(input: $input) { success webhook { id } }
}`

const webhookUpdateMutation = `mutation TandemWebhookUpdate($id: String!, $input: WebhookUpdateInput!) {
  webhookUpdate(id: $id, input: $input) { success webhook { id } }
}`

var resourceTypes = []string{"Issue", "Comment"}

// projectResourceTypes are resourceTypes with epics as projects.
var projectResourceTypes = []string{"Issue", "Comment", "Project"}

// EnsureWebhook implements connectors.Registrar: it reuses a webhook of the
// team with the same URL (updating its secret, resource types or enabled
// flag when they differ) or creates one.
func (c *Client) EnsureWebhook(ctx context.Context, url, secret string) error {
	resourceTypes := resourceTypes
	if c.epics {
		resourceTypes = projectResourceTypes
	}
	if c.files {
		resourceTypes = append(slices.Clone(resourceTypes), "Attachment")
	}
	type hook struct {
		ID            string   `json:"id"`
		URL           string   `json:"url"`
		Enabled       bool     `json:"enabled"`
		Secret        *string  `json:"secret"`
		ResourceTypes []string `json:"resourceTypes"`
		Team          *struct {
			ID string `json:"id"`
		} `json:"team"`
	}
	var found *hook
	after := ""
	for found == nil {
		var out struct {
			Webhooks struct {
				Nodes    []hook `json:"nodes"`
				PageInfo struct {
					HasNextPage bool   `json:"hasNextPage"`
					EndCursor   string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"webhooks"`
		}
		vars := map[string]any{}
		if after != "" {
			vars["after"] = after
		}
		if err := c.exec(ctx, "listing linear webhooks", webhooksQuery, vars, &out); err != nil {
			return err
		}
		for i, h := range out.Webhooks.Nodes {
			if h.URL == url && h.Team != nil && h.Team.ID == c.teamID {
				found = &out.Webhooks.Nodes[i]
				break
			}
		}
		if !out.Webhooks.PageInfo.HasNextPage || out.Webhooks.PageInfo.EndCursor == "" {
			break
		}
		after = out.Webhooks.PageInfo.EndCursor
	}
	var ok struct {
		WebhookCreate *struct{ Success bool } `json:"webhookCreate"`
		WebhookUpdate *struct{ Success bool } `json:"webhookUpdate"`
	}
	if found == nil {
		in := map[string]any{"url": url, "teamId": c.teamID, "resourceTypes": resourceTypes,
			"secret": secret, "label": "Tandem sync", "enabled": true}
		return c.exec(ctx, "creating linear webhook", webhookCreateMutation, map[string]any{"input": in}, &ok)
	}
	types := slices.Clone(found.ResourceTypes)
	for _, t := range resourceTypes {
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	// The secret may not be readable back; when unknown, set it.
	if found.Enabled && len(types) == len(found.ResourceTypes) && found.Secret != nil && *found.Secret == secret {
		return nil
	}
	in := map[string]any{"enabled": true, "resourceTypes": types, "secret": secret}
	return c.exec(ctx, "updating linear webhook "+found.ID, webhookUpdateMutation, map[string]any{"id": found.ID, "input": in}, &ok)
}
