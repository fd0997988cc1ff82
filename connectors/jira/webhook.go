package jira

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

// WebhookEvents are the events EnsureWebhook subscribes to.
var WebhookEvents = []string{
	"jira:issue_created", "jira:issue_updated", "jira:issue_deleted",
	"comment_created", "comment_updated", "comment_deleted",
	"issuelink_created", "issuelink_deleted",
}

// webhookBody is the part of a delivery we read (REST v2 representation).
type webhookBody struct {
	WebhookEvent string `json:"webhookEvent"`
	Issue        *struct {
		ID     string `json:"id"`
		Key    string `json:"key"`
		Fields struct {
			Updated string `json:"updated"`
			Project *struct {
				ID  string `json:"id"`
				Key string `json:"key"`
			} `json:"project"`
		} `json:"fields"`
	} `json:"issue"`
	// Changelog is read apart (see rankChanged), so that an odd changelog
	// never costs the delivery.
	Changelog json.RawMessage `json:"changelog"`
	// User is who made the change (Jira names the actor of every
	// issue event).
	User *struct {
		AccountID string `json:"accountId"`
	} `json:"user"`
	// IssueLink is the body of issuelink_created / issuelink_deleted:
	// the two issues by id (numbers), no project.
	IssueLink *struct {
		SourceIssueID      json.Number `json:"sourceIssueId"`
		DestinationIssueID json.Number `json:"destinationIssueId"`
	} `json:"issueLink"`
}

// rankChanged says whether a delivery's changelog has an item for the Rank
// field: by field id (the rank field found at New) or, when the site's id
// is unknown or differs, by the field name Jira gives it, "Rank".
func (c *Client) rankChanged(raw json.RawMessage) bool {
	var cl struct {
		Items []struct {
			Field   string `json:"field"`
			FieldID string `json:"fieldId"`
		} `json:"items"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &cl) != nil {
		return false
	}
	for _, it := range cl.Items {
		if (c.rankField != "" && it.FieldID == c.rankField) || strings.EqualFold(it.Field, "Rank") {
			return true
		}
	}
	return false
}

// ParseWebhook verifies an admin-webhook delivery (X-Hub-Signature:
// sha256=<hex HMAC of the raw body> when a secret is configured) and returns
// the issue it concerns when that issue is in our project; Order is set
// when the changelog reports a rank change. Jira signs no
// timestamp, so now is unused: replays are caught by the delivery id.
func (c *Client) ParseWebhook(h http.Header, body []byte, now time.Time) (connectors.Delivery, error) {
	if c.cfg.WebhookSecret != "" {
		if err := verifySignature(c.cfg.WebhookSecret, h.Get("X-Hub-Signature"), body); err != nil {
			return connectors.Delivery{}, err
		}
	}
	d := connectors.Delivery{ID: h.Get("X-Atlassian-Webhook-Identifier")}
	var b webhookBody
	if err := json.Unmarshal(body, &b); err != nil {
		return d, fmt.Errorf("jira webhook body: %w: %v", connectors.ErrBadRequest, err)
	}
	// attachment_created and _deleted name no issue in Jira Cloud's
	// deliveries (they are not subscribed to: the jira:issue_updated with
	// the Attachment changelog item reports the issue); one that does
	// carry the issue is taken as that issue's update.
	attachment := strings.HasPrefix(b.WebhookEvent, "attachment_") && b.Issue != nil
	if b.WebhookEvent != "" && !slices.Contains(WebhookEvents, b.WebhookEvent) && !attachment {
		d.Ignored = "event " + b.WebhookEvent + " is not watched"
		return d, nil
	}
	if b.IssueLink != nil && b.Issue == nil {
		// A link names its two issues by id only, with no project: both
		// are reported, and a pass of an issue outside the scope does
		// nothing. No version: the link moved their updated time.
		for _, id := range []json.Number{b.IssueLink.SourceIssueID, b.IssueLink.DestinationIssueID} {
			if id.String() != "" {
				d.Refs = append(d.Refs, backlog.Ref{Side: backlog.Jira, ID: id.String()})
			}
		}
		if len(d.Refs) == 0 {
			d.Ignored = "issue link names no issue"
		}
		return d, nil
	}
	if b.Issue == nil {
		d.Ignored = "delivery names no issue"
		return d, nil
	}
	if p := b.Issue.Fields.Project; p != nil {
		// The id is stable on a site; the key can be renamed.
		same := strings.EqualFold(p.Key, c.projectKey)
		if p.ID != "" && c.projectID != "" {
			same = p.ID == c.projectID
		}
		if !same {
			d.Ignored = "issue of project " + p.Key + ", not " + c.projectKey
			return d, nil
		}
	} else if !strings.HasPrefix(strings.ToUpper(b.Issue.Key), strings.ToUpper(c.projectKey)+"-") {
		d.Ignored = "issue " + b.Issue.Key + " is not in project " + c.projectKey
		return d, nil
	}
	if b.Issue.ID == "" {
		d.Ignored = "issue " + b.Issue.Key + " comes without an id"
		return d, nil
	}
	if (b.WebhookEvent == "jira:issue_created" || b.WebhookEvent == "jira:issue_updated") &&
		b.User != nil && b.User.AccountID != "" && b.User.AccountID == c.accountID {
		// Tandem's own write (its account is its own, people do not
		// share it): the pass that wrote it holds it already. Jira cannot
		// say the version a write made, so without this every echo
		// would cost a read (a status set by transitions, several). A
		// change a workflow made along with ours is still seen by the
		// poll, which reports the issue's new version.
		d.Ignored = "Tandem's own change to " + b.Issue.Key
		return d, nil
	}
	d.Refs = []backlog.Ref{{Side: backlog.Jira, ID: b.Issue.ID, Key: b.Issue.Key}}
	d.Order = c.rankChanged(b.Changelog)
	if b.WebhookEvent != "jira:issue_deleted" {
		if t, err := time.Parse(jiraTime, b.Issue.Fields.Updated); err == nil {
			d.Versions = map[string]string{b.Issue.ID: t.UTC().Format(time.RFC3339Nano)}
		}
	}
	return d, nil
}

func verifySignature(secret, header string, body []byte) error {
	if header == "" {
		return fmt.Errorf("jira webhook: %w: missing X-Hub-Signature", connectors.ErrUnauthorized)
	}
	method, sig, ok := strings.Cut(header, "=")
	if !ok || !strings.EqualFold(method, "sha256") {
		return fmt.Errorf("jira webhook: %w: unsupported signature method", connectors.ErrUnauthorized)
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("jira webhook: %w: signature is not hex", connectors.ErrUnauthorized)
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	if !hmac.Equal(m.Sum(nil), got) {
		return fmt.Errorf("jira webhook: %w: signature mismatch", connectors.ErrUnauthorized)
	}
	return nil
}

// adminWebhook is a registration of the admin webhook API.
type adminWebhook struct {
	Self        string            `json:"self,omitempty"`
	Name        string            `json:"name"`
	URL         string            `json:"url"`
	Events      []string          `json:"events"`
	Filters     map[string]string `json:"filters"`
	ExcludeBody bool              `json:"excludeBody"`
	Secret      string            `json:"secret,omitempty"`
	Enabled     *bool             `json:"enabled,omitempty"`
}

const webhookPath = "rest/webhooks/1.0/webhook"

// EnsureWebhook registers url as an admin webhook for our project's issue
// and comment events, signed with secret. A registration with the same URL
// is updated in place (the API never returns secrets, so it is always
// rewritten); further registrations of the URL are deleted.
func (c *Client) EnsureWebhook(ctx context.Context, target, secret string) error {
	var hooks []adminWebhook
	if err := c.call(ctx, "listing jira webhooks", http.MethodGet, webhookPath, nil, &hooks); err != nil {
		return err
	}
	enabled := true
	want := adminWebhook{
		Name:    "Tandem sync (" + c.projectKey + ")",
		URL:     target,
		Events:  WebhookEvents,
		Filters: map[string]string{"issue-related-events-section": "project = " + jqlQuote(c.projectKey)},
		Secret:  secret,
		Enabled: &enabled,
	}
	var same []adminWebhook
	for _, h := range hooks {
		if h.URL == target {
			same = append(same, h)
		}
	}
	if len(same) == 0 {
		return c.call(ctx, "registering jira webhook", http.MethodPost, webhookPath, want, nil)
	}
	for _, extra := range same[1:] {
		if err := c.call(ctx, "deleting duplicate jira webhook", http.MethodDelete, webhookPath+"/"+hookID(extra.Self), nil, nil); err != nil && !errors.Is(err, connectors.ErrNotFound) {
			return err
		}
	}
	err := c.call(ctx, "updating jira webhook", http.MethodPut, webhookPath+"/"+hookID(same[0].Self), want, nil)
	if err == nil {
		return nil
	}
	// A site that cannot update registrations: replace it.
	if err := c.call(ctx, "deleting jira webhook", http.MethodDelete, webhookPath+"/"+hookID(same[0].Self), nil, nil); err != nil && !errors.Is(err, connectors.ErrNotFound) {
		return err
	}
	return c.call(ctx, "registering jira webhook", http.MethodPost, webhookPath, want, nil)
}

// hookID is the last path segment of a registration's self link.
func hookID(self string) string {
	return self[strings.LastIndex(self, "/")+1:]
}
