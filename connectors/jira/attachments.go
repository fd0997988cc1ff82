package jira

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

var _ connectors.Attacher = (*Client)(nil)

// Attachments are Jira's issue attachments (REST v2 paths): the issue's
// attachment field lists them, POST issue/{id}/attachments uploads
// (multipart, X-Atlassian-Token: no-check), GET attachment/content/{id}
// downloads, DELETE attachment/{id} removes. A copy of a file above the
// cap is a remote link instead, with globalId FileLinkGlobalID. Adding or
// deleting a file records an "Attachment" changelog item and raises
// jira:issue_updated, which ParseWebhook reports like any update (and
// ignores when Tandem's account made it); attachment_created and
// attachment_deleted name no issue and are not subscribed to. Jira keeps
// no metadata on an attachment, so a copy's Source stays zero; Mine says
// Tandem's account uploaded it.

// FileLinkGlobalID is the globalId of the remote link Tandem puts on an
// issue for a file of the other side above the cap: one per source file,
// so a second AttachLink updates the link (Jira upserts by globalId).
func FileLinkGlobalID(source backlog.Ref) string {
	return "tandem-file:" + string(source.Side) + ":" + source.ID
}

// wireAttachment is an Attachment bean as far as we read it. Jira sends
// id as a string in the attachment field and the upload's answer, a
// number in attachment/{id}; created as a timestamp string, or epoch
// milliseconds in the upload's answer (the spec's example).
type wireAttachment struct {
	ID       json.RawMessage `json:"id"`
	Filename string          `json:"filename"`
	Author   *wireUser       `json:"author"`
	Created  json.RawMessage `json:"created"`
	Size     int64           `json:"size"`
	MimeType string          `json:"mimeType"`
	Content  string          `json:"content"`
}

func (w wireAttachment) id() string {
	return strings.Trim(strings.TrimSpace(string(w.ID)), `"`)
}

// toAttachment maps an Attachment bean.
func (c *Client) toAttachment(w wireAttachment) (backlog.Attachment, error) {
	a := backlog.Attachment{ID: w.id(), Name: w.Filename, Size: w.Size, MimeType: w.MimeType, URL: w.Content}
	if a.ID == "" || a.ID == "null" {
		return a, errors.New("an attachment without an id")
	}
	if u := w.Author; u != nil {
		a.Author = c.users.emailFor(u.AccountID, u.EmailAddress)
		if a.Author == "" {
			a.Author = u.DisplayName
		}
		a.Mine = u.AccountID != "" && u.AccountID == c.accountID
	}
	raw := strings.TrimSpace(string(w.Created))
	switch {
	case raw == "" || raw == "null":
	case strings.HasPrefix(raw, `"`):
		var s string
		_ = json.Unmarshal(w.Created, &s)
		t, err := parseJiraTime(s)
		if err != nil {
			return a, fmt.Errorf("attachment %s: %w", a.ID, err)
		}
		a.Created = t
	default:
		ms, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return a, fmt.Errorf("attachment %s: unreadable created time %s", a.ID, raw)
		}
		a.Created = time.UnixMilli(ms).UTC()
	}
	return a, nil
}

// toAttachments maps an attachment field, oldest first.
func (c *Client) toAttachments(raw json.RawMessage) ([]backlog.Attachment, error) {
	var ws []wireAttachment
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &ws); err != nil {
			return nil, err
		}
	}
	out := make([]backlog.Attachment, 0, len(ws))
	for _, w := range ws {
		a, err := c.toAttachment(w)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(x, y backlog.Attachment) int { return x.Created.Compare(y.Created) })
	return out, nil
}

// readAttachments fills it's files from the issue answer's attachment
// field, when Files is on and the answer has it.
func (c *Client) readAttachments(it *backlog.Item, w wireIssue) error {
	if !c.cfg.Files {
		return nil
	}
	raw, ok := w.Fields["attachment"]
	if !ok {
		return nil
	}
	as, err := c.toAttachments(raw)
	if err != nil {
		return fmt.Errorf("reading attachments of jira issue %s: %w", w.Key, err)
	}
	it.Attachments, it.AttachmentsRead = as, true
	return nil
}

// Attachments implements connectors.Attacher: one read of the issue's
// attachment field.
func (c *Client) Attachments(ctx context.Context, issueID string) ([]backlog.Attachment, error) {
	var w wireIssue
	op := "listing attachments of jira issue " + issueID
	if err := c.call(ctx, op, http.MethodGet, "rest/api/2/issue/"+url.PathEscape(issueID)+"?fields=attachment", nil, &w); err != nil {
		return nil, err
	}
	as, err := c.toAttachments(w.Fields["attachment"])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return as, nil
}

// sameHost is the Jira client's redirect policy: a redirect on the site
// is followed (with the credentials); one to another host (Jira's media
// host, with a signed URL) is handed back, for Open to follow without
// them.
func sameHost(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		return http.ErrUseLastResponse
	}
	return nil
}

// contentURL is where a's bytes are read: its content URL (or the site's
// for its id), asking the site to serve them without a redirect.
func (c *Client) contentURL(a backlog.Attachment) (string, error) {
	raw := a.URL
	if raw == "" {
		if a.ID == "" {
			return "", connectors.Permanent(errors.New("jira: an attachment needs its id or content URL"))
		}
		raw = strings.TrimRight(c.cfg.URL, "/") + "/rest/api/2/attachment/content/" + url.PathEscape(a.ID)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", connectors.Permanent(fmt.Errorf("jira: invalid attachment URL %q", raw))
	}
	if u.Host == c.site && strings.Contains(u.Path, "/attachment/content/") {
		q := u.Query()
		q.Set("redirect", "false")
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// Open implements connectors.Attacher: one GET of the content (two when
// the site redirects to another host), streamed.
func (c *Client) Open(ctx context.Context, a backlog.Attachment) (io.ReadCloser, int64, error) {
	op := "downloading jira attachment " + a.ID
	u, err := c.contentURL(a)
	if err != nil {
		return nil, 0, err
	}
	if pu, _ := url.Parse(u); pu.Host != c.site {
		// Not the site: the credentials stay home.
		return c.openPlain(ctx, op, u)
	}
	req, err := c.jc.NewRawRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Del("Content-Type")
	resp, err := c.jc.Do(req, nil)
	if err == nil {
		return resp.Body, resp.ContentLength, nil
	}
	if resp == nil || resp.Response == nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	loc := resp.Header.Get("Location")
	if resp.StatusCode < 300 || resp.StatusCode > 399 || loc == "" {
		return nil, 0, c.fail(op, resp, err)
	}
	resp.Body.Close()
	target, err := req.URL.Parse(loc)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: bad redirect %q: %w", op, loc, err)
	}
	return c.openPlain(ctx, op, target.String())
}

// openPlain reads a download URL off the site (Jira's media host, whose
// signed URL needs no credentials) through the same transport, without
// the site's credentials.
func (c *Client) openPlain(ctx context.Context, op, target string) (io.ReadCloser, int64, error) {
	media, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	mr, err := c.plain.Do(media)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	if mr.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(mr.Body, 64<<10))
		mr.Body.Close()
		switch {
		case mr.StatusCode == http.StatusNotFound:
			return nil, 0, fmt.Errorf("%s: %w (media 404)", op, connectors.ErrNotFound)
		case mr.StatusCode >= 400 && mr.StatusCode < 500 && mr.StatusCode != http.StatusTooManyRequests:
			return nil, 0, connectors.Permanent(fmt.Errorf("%s: media host answered %d", op, mr.StatusCode))
		}
		return nil, 0, fmt.Errorf("%s: media host answered %d", op, mr.StatusCode)
	}
	return mr.Body, mr.ContentLength, nil
}

var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// partName is a file name fit for a Content-Disposition parameter.
func partName(name string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	if strings.TrimSpace(name) == "" {
		name = "file"
	}
	return quoteEscaper.Replace(name)
}

// Attach implements connectors.Attacher: one multipart upload, streamed
// from r through a pipe (the file is never held in memory).
func (c *Client) Attach(ctx context.Context, issueID string, f backlog.FileCopy, r io.Reader) (string, error) {
	op := "attaching " + f.Name + " to jira issue " + issueID
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	var readErr error
	done := make(chan struct{})
	defer func() {
		pr.Close() // ends the writer when the request stopped reading early
		<-done     // r is not read after Attach returns
	}()
	ct := f.MimeType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+partName(f.Name)+`"`)
	h.Set("Content-Type", ct)
	go func() {
		defer close(done)
		part, err := mw.CreatePart(h)
		if err == nil {
			_, err = io.Copy(part, r)
			if err != nil && !errors.Is(err, io.ErrClosedPipe) {
				readErr = err
			}
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := c.jc.NewRawRequestWithContext(ctx, http.MethodPost, "rest/api/2/issue/"+url.PathEscape(issueID)+"/attachments", pr)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	if f.Size > 0 {
		// The body's length is known (the part's frame around f.Size
		// bytes): sent as Content-Length, not chunked, so the server can
		// size its buffer (and refuse an oversize file) up front.
		var frame bytes.Buffer
		fw := multipart.NewWriter(&frame)
		if err := fw.SetBoundary(mw.Boundary()); err == nil {
			if _, err := fw.CreatePart(h); err == nil && fw.Close() == nil {
				req.ContentLength = int64(frame.Len()) + f.Size
			}
		}
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-Atlassian-Token", "no-check")
	req.Header.Set("Accept", "application/json")
	var made []wireAttachment
	resp, err := c.jc.Do(req, &made)
	if err != nil {
		pr.Close()
		<-done
		if readErr != nil {
			return "", fmt.Errorf("%s: reading the file: %w", op, readErr)
		}
		return "", c.fail(op, resp, err)
	}
	if len(made) == 0 || made[0].id() == "" {
		return "", fmt.Errorf("%s: the answer names no attachment", op)
	}
	return made[0].id(), nil
}

// sideName is how a side reads in a title.
func sideName(s backlog.Side) string {
	switch s {
	case backlog.Linear:
		return "Linear"
	case backlog.Jira:
		return "Jira"
	}
	return string(s)
}

// AttachLink implements connectors.Attacher: one remote link, upserted by
// FileLinkGlobalID(f.Source).
func (c *Client) AttachLink(ctx context.Context, issueID string, f backlog.FileCopy, u string) (string, error) {
	if f.Source.ID == "" || u == "" {
		return "", connectors.Permanent(errors.New("jira: a file link needs the source file's id and url"))
	}
	title := f.Name
	if title == "" {
		title = "file"
	}
	in := "in " + sideName(f.Source.Side)
	if f.Issue != "" {
		in += ", " + f.Issue
	}
	title += " (" + in + ")"
	var app map[string]any
	if f.Source.Side == backlog.Linear {
		app = linearApp
	}
	return c.remoteLink(ctx, "linking "+f.Name+" on jira issue "+issueID, issueID, FileLinkGlobalID(f.Source), title, u, app)
}

// DeleteAttachment implements connectors.Attacher: one DELETE of the
// attachment or (a.Link) of the remote link; one already gone is not an
// error.
func (c *Client) DeleteAttachment(ctx context.Context, issueID string, a backlog.Attachment) error {
	if a.ID == "" {
		return connectors.Permanent(errors.New("jira: deleting an attachment needs its id"))
	}
	var err error
	if a.Link {
		err = c.call(ctx, "deleting file link "+a.ID+" of jira issue "+issueID, http.MethodDelete,
			"rest/api/2/issue/"+url.PathEscape(issueID)+"/remotelink/"+url.PathEscape(a.ID), nil, nil)
	} else {
		err = c.call(ctx, "deleting jira attachment "+a.ID, http.MethodDelete, "rest/api/2/attachment/"+url.PathEscape(a.ID), nil, nil)
	}
	if errors.Is(err, connectors.ErrNotFound) {
		return nil
	}
	return err
}
