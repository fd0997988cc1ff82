package linear

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

var (
	_ connectors.CrossLinker      = (*Client)(nil)
	_ connectors.CrossLinkBatcher = (*Client)(nil)
)

// ItemURL is the issue's address: https://linear.app/<workspace>/issue/<identifier>
// (Linear adds the title slug when it redirects).
func (c *Client) ItemURL(ref backlog.Ref) string {
	c.mu.RLock()
	key := c.urlKey
	c.mu.RUnlock()
	if key == "" || ref.Key == "" {
		return ""
	}
	return "https://linear.app/" + url.PathEscape(key) + "/issue/" + url.PathEscape(ref.Key)
}

const crossLinkMutation = `mutation TandemCrossLink($input: AttachmentCreateInput!) {
  attachmentCreate(input: $input) { success attachment { id } }
}`

// CrossLink attaches the Jira twin's URL to Linear issue id, titled
// "Jira TAN-3". Linear keys attachments by URL within an issue, so a
// second call updates the one attachment.
func (c *Client) CrossLink(ctx context.Context, id string, twin backlog.Ref, u string) error {
	if u == "" {
		return connectors.Permanent(errors.New("linear: a cross link needs the twin's url"))
	}
	in := crossLinkInput(id, twin, u)
	var out struct {
		AttachmentCreate struct {
			Success bool `json:"success"`
		} `json:"attachmentCreate"`
	}
	if err := c.exec(ctx, "linking linear issue "+id+" to its twin", crossLinkMutation, map[string]any{"input": in}, &out); err != nil {
		return err
	}
	if !out.AttachmentCreate.Success {
		return errors.New("linking linear issue " + id + ": success false")
	}
	return nil
}

const uncrossQuery = `query TandemCrossLinks($url: String!) {
  attachmentsForURL(url: $url, first: 50) { nodes { id issue { id } } }
}`

const uncrossMutation = `mutation TandemUncross($id: String!) {
  attachmentDelete(id: $id) { success }
}`

// Uncross deletes the attachment of the Jira twin's URL from issue id:
// one look-up by URL, one delete per attachment found there.
func (c *Client) Uncross(ctx context.Context, id string, _ backlog.Ref, u string) error {
	if u == "" {
		return connectors.Permanent(errors.New("linear: removing a cross link needs the twin's url"))
	}
	var out struct {
		AttachmentsForURL struct {
			Nodes []struct {
				ID    string `json:"id"`
				Issue struct {
					ID string `json:"id"`
				} `json:"issue"`
			} `json:"nodes"`
		} `json:"attachmentsForURL"`
	}
	if err := c.exec(ctx, "finding the cross link of linear issue "+id, uncrossQuery, map[string]any{"url": u}, &out); err != nil {
		return err
	}
	for _, n := range out.AttachmentsForURL.Nodes {
		if n.Issue.ID != id {
			continue
		}
		var res struct {
			AttachmentDelete struct {
				Success bool `json:"success"`
			} `json:"attachmentDelete"`
		}
		if err := c.exec(ctx, "removing the cross link of linear issue "+id, uncrossMutation, map[string]any{"id": n.ID}, &res); err != nil {
			return err
		}
	}
	return nil
}

func crossLinkInput(id string, twin backlog.Ref, u string) map[string]any {
	key := twin.Key
	if key == "" {
		key = twin.ID
	}
	return map[string]any{"issueId": id, "url": u, "title": "Jira " + key, "subtitle": "Synced by Tandem"}
}

// maxCrossLinks is how many attachmentCreate one request carries, as the
// batched moves do.
const maxCrossLinks = 50

// MaxCrossLinks implements connectors.CrossLinkBatcher.
func (c *Client) MaxCrossLinks() int { return maxCrossLinks }

// CrossLinkMany implements connectors.CrossLinkBatcher: one request of
// aliased attachmentCreate mutations.
func (c *Client) CrossLinkMany(ctx context.Context, links []connectors.CrossLinkArgs) error {
	if len(links) > maxCrossLinks {
		return connectors.Permanent(fmt.Errorf("linear: %d cross links in one request, at most %d", len(links), maxCrossLinks))
	}
	if len(links) == 0 {
		return nil
	}
	var decl, body []string
	vars := map[string]any{}
	for i, l := range links {
		if l.URL == "" {
			return connectors.Permanent(errors.New("linear: a cross link needs the twin's url"))
		}
		v := "i" + strconv.Itoa(i)
		decl = append(decl, "$"+v+": AttachmentCreateInput!")
		body = append(body, "  a"+strconv.Itoa(i)+": attachmentCreate(input: $"+v+") { success }")
		vars[v] = crossLinkInput(l.ID, l.Twin, l.URL)
	}
	doc := "mutation TandemCrossLinks(" + strings.Join(decl, ", ") + ") {\n" + strings.Join(body, "\n") + "\n}"
	var out map[string]struct {
		Success bool `json:"success"`
	}
	if err := c.exec(ctx, fmt.Sprintf("linking %d linear issues to their twins", len(links)), doc, vars, &out); err != nil {
		return err
	}
	for i := range links {
		if !out["a"+strconv.Itoa(i)].Success {
			return fmt.Errorf("linking %d linear issues to their twins: %s: success false", len(links), links[i].ID)
		}
	}
	return nil
}
