package linear

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

var _ connectors.Commenter = (*Client)(nil)

// Comments (connectors.Commenter): Linear comment bodies are Markdown, so
// they pass as they are. Threaded replies are listed with the rest, by
// creation time; the thread structure is not carried.

// commentsPage is how many comments one request reads.
const commentsPage = 100

var commentsQuery = `query TandemComments($id: String!, $after: String) {
  issue(id: $id) {
    comments(first: ` + strconv.Itoa(commentsPage) + `, after: $after) {
      nodes {
        id body createdAt updatedAt
        user { name email }
        botActor { name }
        externalUser { name email }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}`

type commentNode struct {
	ID        string    `json:"id"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	User      *struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"user"`
	BotActor *struct {
		Name *string `json:"name"`
	} `json:"botActor"`
	ExternalUser *struct {
		Name  string  `json:"name"`
		Email *string `json:"email"`
	} `json:"externalUser"`
}

// author is the comment's author: the user's email (their name when
// hidden), else the external user's email or name, else the bot's name.
func (n commentNode) author() string {
	switch {
	case n.User != nil && n.User.Email != "":
		return strings.ToLower(n.User.Email)
	case n.User != nil:
		return n.User.Name
	case n.ExternalUser != nil && n.ExternalUser.Email != nil && *n.ExternalUser.Email != "":
		return strings.ToLower(*n.ExternalUser.Email)
	case n.ExternalUser != nil:
		return n.ExternalUser.Name
	case n.BotActor != nil && n.BotActor.Name != nil:
		return *n.BotActor.Name
	}
	return ""
}

// Comments implements connectors.Commenter: every comment of the issue,
// oldest first (ties by id). An unknown issue is ErrNotFound.
func (c *Client) Comments(ctx context.Context, issueID string) ([]backlog.Comment, error) {
	what := "listing comments of linear issue " + issueID
	var out []backlog.Comment
	seen := map[string]bool{}
	after := ""
	for {
		vars := map[string]any{"id": issueID}
		if after != "" {
			vars["after"] = after
		}
		var resp struct {
			Issue *struct {
				Comments struct {
					Nodes    []commentNode `json:"nodes"`
					PageInfo struct {
						HasNextPage bool   `json:"hasNextPage"`
						EndCursor   string `json:"endCursor"`
					} `json:"pageInfo"`
				} `json:"comments"`
			} `json:"issue"`
		}
		if err := c.exec(ctx, what, commentsQuery, vars, &resp); err != nil {
			return nil, err
		}
		if resp.Issue == nil {
			return nil, fmt.Errorf("%s: %w", what, connectors.ErrNotFound)
		}
		for _, n := range resp.Issue.Comments.Nodes {
			if seen[n.ID] {
				continue
			}
			seen[n.ID] = true
			out = append(out, backlog.Comment{ID: n.ID, Author: n.author(), Body: c.mentionsIn(n.Body), Created: n.CreatedAt, Updated: n.UpdatedAt})
		}
		pi := resp.Issue.Comments.PageInfo
		if !pi.HasNextPage || pi.EndCursor == "" {
			break
		}
		if pi.EndCursor == after {
			return nil, fmt.Errorf("%s: page cursor %q does not advance", what, after)
		}
		after = pi.EndCursor
	}
	slices.SortStableFunc(out, func(a, b backlog.Comment) int {
		if d := a.Created.Compare(b.Created); d != 0 {
			return d
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

const commentCreateMutation = `mutation TandemCommentCreate($input: CommentCreateInput!) {
  commentCreate(input: $input) { success comment { id } }
}`

// CreateComment implements connectors.Commenter.
func (c *Client) CreateComment(ctx context.Context, issueID, body string) (string, error) {
	if strings.TrimSpace(body) == "" {
		return "", connectors.Permanent(errors.New("linear: empty comment body"))
	}
	var out struct {
		CommentCreate struct {
			Success bool                 `json:"success"`
			Comment *struct{ ID string } `json:"comment"`
		} `json:"commentCreate"`
	}
	what := "commenting on linear issue " + issueID
	err := c.exec(ctx, what, commentCreateMutation,
		map[string]any{"input": map[string]any{"issueId": issueID, "body": c.mentionsOut(body)}}, &out)
	if err != nil {
		return "", err
	}
	if !out.CommentCreate.Success || out.CommentCreate.Comment == nil {
		return "", fmt.Errorf("%s: success false", what)
	}
	return out.CommentCreate.Comment.ID, nil
}

const commentUpdateMutation = `mutation TandemCommentUpdate($id: String!, $input: CommentUpdateInput!) {
  commentUpdate(id: $id, input: $input) { success }
}`

// UpdateComment implements connectors.Commenter. Linear lets a user edit
// only their own comments: someone else's is a permanent error.
func (c *Client) UpdateComment(ctx context.Context, issueID, commentID, body string) error {
	if strings.TrimSpace(body) == "" {
		return connectors.Permanent(errors.New("linear: empty comment body"))
	}
	var out struct {
		CommentUpdate struct {
			Success bool `json:"success"`
		} `json:"commentUpdate"`
	}
	what := fmt.Sprintf("updating comment %s of linear issue %s", commentID, issueID)
	if err := c.exec(ctx, what, commentUpdateMutation,
		map[string]any{"id": commentID, "input": map[string]any{"body": c.mentionsOut(body)}}, &out); err != nil {
		return err
	}
	if !out.CommentUpdate.Success {
		return fmt.Errorf("%s: success false", what)
	}
	return nil
}

const commentDeleteMutation = `mutation TandemCommentDelete($id: String!) {
  commentDelete(id: $id) { success }
}`

// DeleteComment implements connectors.Commenter; a comment already gone
// is not an error.
func (c *Client) DeleteComment(ctx context.Context, issueID, commentID string) error {
	var out struct {
		CommentDelete struct {
			Success bool `json:"success"`
		} `json:"commentDelete"`
	}
	what := fmt.Sprintf("deleting comment %s of linear issue %s", commentID, issueID)
	err := c.exec(ctx, what, commentDeleteMutation, map[string]any{"id": commentID}, &out)
	if errors.Is(err, connectors.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !out.CommentDelete.Success {
		return fmt.Errorf("%s: success false", what)
	}
	return nil
}
