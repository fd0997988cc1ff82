package jira

import (
	"context"
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
	body := map[string]any{
		"globalId":    RemoteLinkGlobalID(twin.ID),
		"application": map[string]any{"type": "app.linear", "name": "Linear"},
		"object":      map[string]any{"url": u, "title": title},
	}
	return c.call(ctx, "linking jira issue "+id+" to its twin", http.MethodPost, "rest/api/2/issue/"+url.PathEscape(id)+"/remotelink", body, nil)
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
