package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

var _ connectors.Commenter = (*Client)(nil)

// Comments live under /rest/api/2/issue/{id}/comment, bodies in wiki
// markup (REST v2), converted to and from Markdown by package wiki. Jira
// keeps no changelog for comments; comment_created, comment_updated and
// comment_deleted webhooks name the issue, which ParseWebhook reports.

// commentPage is the page size asked of the comment list (Jira's
// maximum is 5000; 100 keeps answers small).
const commentPage = 100

// maxCommentPages bounds one listing.
const maxCommentPages = 1000

// wireComment is a Comment bean as far as we read it.
type wireComment struct {
	ID      string    `json:"id"`
	Author  *wireUser `json:"author"`
	Body    string    `json:"body"`
	Created string    `json:"created"`
	Updated string    `json:"updated"`
}

// Comments implements connectors.Commenter: the issue's comments, oldest
// first, bodies in Markdown, authors by email (display name when Jira
// hides the email and no override names the account).
func (c *Client) Comments(ctx context.Context, issueID string) ([]backlog.Comment, error) {
	op := "listing comments of jira issue " + issueID
	var out []backlog.Comment
	seen := map[string]bool{}
	for start, pages := 0, 0; ; pages++ {
		if pages >= maxCommentPages {
			return nil, fmt.Errorf("%s: more than %d pages", op, maxCommentPages)
		}
		q := url.Values{"startAt": {strconv.Itoa(start)}, "maxResults": {strconv.Itoa(commentPage)}, "orderBy": {"created"}}
		var page struct {
			StartAt  int           `json:"startAt"`
			Total    int           `json:"total"`
			Comments []wireComment `json:"comments"`
		}
		if err := c.call(ctx, op, http.MethodGet, "rest/api/2/issue/"+url.PathEscape(issueID)+"/comment?"+q.Encode(), nil, &page); err != nil {
			return nil, err
		}
		for _, w := range page.Comments {
			if seen[w.ID] {
				continue // a comment added while paging shifts the pages
			}
			seen[w.ID] = true
			cm, err := c.toComment(w)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", op, err)
			}
			out = append(out, cm)
		}
		start += len(page.Comments)
		if len(page.Comments) == 0 || start >= page.Total {
			return out, nil
		}
	}
}

// toComment maps a comment bean.
func (c *Client) toComment(w wireComment) (backlog.Comment, error) {
	cm := backlog.Comment{ID: w.ID, Body: c.markdownFromWiki(w.Body)}
	if w.ID == "" {
		return cm, errors.New("a comment without an id")
	}
	if a := w.Author; a != nil {
		cm.Author = c.users.emailFor(a.AccountID, a.EmailAddress)
		if cm.Author == "" {
			cm.Author = a.DisplayName
		}
	}
	var err error
	if cm.Created, err = parseJiraTime(w.Created); err != nil {
		return cm, fmt.Errorf("comment %s: %w", w.ID, err)
	}
	if w.Updated == "" {
		cm.Updated = cm.Created
	} else if cm.Updated, err = parseJiraTime(w.Updated); err != nil {
		return cm, fmt.Errorf("comment %s: %w", w.ID, err)
	}
	return cm, nil
}

// commentBody is the wiki body for Markdown md; Jira refuses empty ones.
func (c *Client) commentBody(md string) (map[string]string, error) {
	w := c.wikiFromMarkdown(md)
	if strings.TrimSpace(w) == "" {
		return nil, connectors.Permanent(errors.New("jira: a comment body cannot be empty"))
	}
	return map[string]string{"body": w}, nil
}

// CreateComment implements connectors.Commenter.
func (c *Client) CreateComment(ctx context.Context, issueID, body string) (string, error) {
	b, err := c.commentBody(body)
	if err != nil {
		return "", err
	}
	var created wireComment
	if err := c.call(ctx, "commenting on jira issue "+issueID, http.MethodPost, "rest/api/2/issue/"+url.PathEscape(issueID)+"/comment", b, &created); err != nil {
		return "", err
	}
	if created.ID == "" {
		return "", fmt.Errorf("commenting on jira issue %s: the answer has no comment id", issueID)
	}
	return created.ID, nil
}

// UpdateComment implements connectors.Commenter.
func (c *Client) UpdateComment(ctx context.Context, issueID, commentID, body string) error {
	b, err := c.commentBody(body)
	if err != nil {
		return err
	}
	return c.call(ctx, "editing comment "+commentID+" of jira issue "+issueID, http.MethodPut,
		"rest/api/2/issue/"+url.PathEscape(issueID)+"/comment/"+url.PathEscape(commentID), b, nil)
}

// DeleteComment implements connectors.Commenter; a comment (or issue)
// that no longer exists is not an error.
func (c *Client) DeleteComment(ctx context.Context, issueID, commentID string) error {
	err := c.call(ctx, "deleting comment "+commentID+" of jira issue "+issueID, http.MethodDelete,
		"rest/api/2/issue/"+url.PathEscape(issueID)+"/comment/"+url.PathEscape(commentID), nil, nil)
	if errors.Is(err, connectors.ErrNotFound) {
		return nil
	}
	return err
}
