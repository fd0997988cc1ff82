package jira

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

var _ connectors.CrossLinker = (*Client)(nil)

// RemoteLinkGlobalID is the globalId of the remote link Tandem puts on a
// Jira issue pointing at its Linear twin: derived from the Linear issue
// id, so a second POST updates the link instead of adding one (Jira's
// createOrUpdateRemoteIssueLink).
func RemoteLinkGlobalID(linearID string) string { return "tandem:linear:" + linearID }

// ItemURL is the browse URL on the site.
func (c *Client) ItemURL(ref backlog.Ref) string {
	key := ref.Key
	if key == "" {
		key = ref.ID
	}
	if key == "" {
		return ""
	}
	return strings.TrimRight(c.cfg.URL, "/") + "/browse/" + url.PathEscape(key)
}

// CrossLink makes (or updates) the remote link "Linear ENG-12" to the
// Linear twin on Jira issue id.
func (c *Client) CrossLink(ctx context.Context, id string, twin backlog.Ref, u string) error {
	if twin.ID == "" || u == "" {
		return connectors.Permanent(errBadCrossLink)
	}
	title := "Linear " + twin.Key
	if twin.Key == "" {
		title = "Linear issue"
	}
	_, err := c.remoteLink(ctx, "linking jira issue "+id+" to its twin", id, RemoteLinkGlobalID(twin.ID), title, u, linearApp)
	return err
}

// linearApp is the application of the remote links to Linear.
var linearApp = map[string]any{"type": "app.linear", "name": "Linear"}

// remoteLink creates, or updates when the issue has one with globalID
// (Jira's createOrUpdateRemoteIssueLink), the remote link to u on issue
// id, in one call, and returns the link's id. app may be nil.
func (c *Client) remoteLink(ctx context.Context, op, id, globalID, title, u string, app map[string]any) (string, error) {
	body := map[string]any{
		"globalId": globalID,
		"object":   map[string]any{"url": u, "title": title},
	}
	if app != nil {
		body["application"] = app
	}
	var res struct {
		ID json.Number `json:"id"`
	}
	if err := c.call(ctx, op, http.MethodPost, "rest/api/2/issue/"+url.PathEscape(id)+"/remotelink", body, &res); err != nil {
		return "", err
	}
	return res.ID.String(), nil
}

type crossLinkError string

func (e crossLinkError) Error() string { return string(e) }

const errBadCrossLink = crossLinkError("jira: a cross link needs the twin's id and url")

// Uncross deletes the remote link to the Linear twin (by its globalId).
func (c *Client) Uncross(ctx context.Context, id string, twin backlog.Ref, _ string) error {
	if twin.ID == "" {
		return connectors.Permanent(errBadCrossLink)
	}
	q := url.Values{"globalId": {RemoteLinkGlobalID(twin.ID)}}
	err := c.call(ctx, "unlinking jira issue "+id+" from its twin", http.MethodDelete, "rest/api/2/issue/"+url.PathEscape(id)+"/remotelink?"+q.Encode(), nil, nil)
	if errors.Is(err, connectors.ErrNotFound) {
		if _, gerr := c.Get(ctx, id); gerr != nil {
			return gerr // the issue itself is gone
		}
		return nil // no such link: nothing to remove
	}
	return err
}
