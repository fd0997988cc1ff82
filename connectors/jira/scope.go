package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

var (
	_ connectors.Scoper  = (*Client)(nil)
	_ connectors.Deleter = (*Client)(nil)
)

// InScope reports whether the issue is in the project and matches
// Config.JQL. Without a JQL scope, an item whose key carries the project
// key needs no request; otherwise one search asks Jira whether the issue
// matches `id = X AND project = KEY AND (JQL)`. An issue Jira does not know
// (deleted, or hidden from the bot) is out of scope.
func (c *Client) InScope(ctx context.Context, it backlog.Item) (bool, error) {
	if it.Ref.Side != "" && it.Ref.Side != backlog.Jira {
		return false, connectors.Permanent(fmt.Errorf("jira: %s is not a jira issue", it.Ref.String()))
	}
	if strings.TrimSpace(c.cfg.JQL) == "" && c.keyInProject(it.Ref.Key) {
		return true, nil
	}
	var clause string
	switch {
	case it.Ref.ID != "":
		if strings.Trim(it.Ref.ID, "0123456789") != "" {
			return false, connectors.Permanent(fmt.Errorf("jira: invalid issue id %q", it.Ref.ID))
		}
		clause = "id = " + it.Ref.ID
	case it.Ref.Key != "":
		clause = "key = " + jqlQuote(it.Ref.Key)
	default:
		return false, connectors.Permanent(errors.New("jira: scope check of an item without id or key"))
	}
	ids, _, err := c.searchIDs(ctx, "checking the jira scope of "+it.Ref.String(), clause+" AND "+c.scope(), 1, "")
	if err != nil {
		// JQL naming an issue that does not exist is Jira's 400 "An issue
		// with key 'X' does not exist for field 'id'".
		if connectors.IsPermanent(err) && strings.Contains(err.Error(), "does not exist for field") {
			return false, nil
		}
		return false, err
	}
	return len(ids) > 0, nil
}

// keyInProject says whether key is an issue key of the synced project.
// Keys of moved issues change with the project, so a current key names
// the project; a stale one is checked by search instead.
func (c *Client) keyInProject(key string) bool {
	p, n, ok := strings.Cut(key, "-")
	return ok && n != "" && strings.Trim(n, "0123456789") == "" && strings.EqualFold(p, c.projectKey)
}

// Delete deletes the issue, and its sub-tasks with it, as Jira requires
// (deleteSubtasks: without it, an issue with sub-tasks cannot be
// deleted). An issue already gone is not an error. A refusal (no Delete
// issues permission) is permanent.
func (c *Client) Delete(ctx context.Context, id string) error {
	if id == "" {
		return connectors.Permanent(errors.New("jira: delete of an empty issue id"))
	}
	path := "rest/api/2/issue/" + url.PathEscape(id) + "?deleteSubtasks=true"
	err := c.call(ctx, "deleting jira issue "+id, http.MethodDelete, path, nil, nil)
	if errors.Is(err, connectors.ErrNotFound) {
		return nil
	}
	if err == nil {
		c.logger().Info("jira: issue deleted", "jira", id, "project", c.projectKey)
	}
	return err
}
