package linear

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

var _ connectors.Attacher = (*Client)(nil)

// Files (Config.Files) are the issue attachments whose URL is a file
// uploaded to Linear's storage (https://uploads.linear.app/…; for a
// sandbox or another base URL, <base>/uploads/…): link attachments
// (GitHub, Slack, Tandem's own cross-links and its links to files above
// the cap) are not files. Every issue read then carries the first
// filesPage files, filtered by that prefix, so an issue without files
// reads as such at a small price (some 9 points an issue); an issue with
// more is listed again by Attachments. A copy Tandem makes is uploaded
// (fileUpload, then a PUT of the bytes to the signed URL, streamed) and
// attached (attachmentCreate) with its source in the metadata
// (tandemSource: "jira:<attachment id>") and the subtitle. Attachments do
// not move an issue's updatedAt: the Attachment webhook, and on the poll's
// first page the attachments changed since, say which issues to pass.

// filesPage is how many files every issue read carries.
const filesPage = 3

// filesChangedPage is how many of the most recently changed files the
// poll's first page lists.
const filesChangedPage = 10

const fileNodeFields = `id title url metadata createdAt creator { id email name }`

type fileNode struct {
	ID        string         `json:"id"`
	Title     string         `json:"title"`
	URL       string         `json:"url"`
	Metadata  map[string]any `json:"metadata"`
	CreatedAt time.Time      `json:"createdAt"`
	Creator   *struct {
		ID    string `json:"id"`
		Email string `json:"email"`
		Name  string `json:"name"`
	} `json:"creator"`
}

type fileConn struct {
	Nodes    []fileNode `json:"nodes"`
	PageInfo struct {
		HasNextPage bool `json:"hasNextPage"`
	} `json:"pageInfo"`
}

// filesPrefix is where uploaded files live for the API at base.
func filesPrefix(base string) string {
	u, err := url.Parse(base)
	if err == nil && strings.EqualFold(u.Host, "api.linear.app") {
		return "https://uploads.linear.app/"
	}
	return strings.TrimRight(base, "/") + "/uploads/"
}

// filesSelection is the files connection an issue read carries.
func (c *Client) filesSelection(first int) string {
	return `attachments(filter: {url: {startsWith: ` + strconv.Quote(c.filesAt) + `}}, first: ` + strconv.Itoa(first) + `) { nodes { ` + fileNodeFields + ` } pageInfo { hasNextPage } }`
}

// withFiles is doc with the issue fragment carrying the files, when files
// sync.
func (c *Client) withFiles(doc string) string {
	if c.filesFrag == "" || !strings.Contains(doc, issueFields) {
		return doc
	}
	return strings.Replace(doc, issueFields, c.filesFrag, 1)
}

// filesFragment is the issue fragment with the files, built once at New.
func (c *Client) filesFragment() string {
	return strings.TrimSuffix(issueFields, "}") + "  " + c.filesSelection(filesPage) + "\n}"
}

// readFiles fills it's files from the read n, when it carries them all.
func (c *Client) readFiles(it *backlog.Item, n issueNode) {
	if !c.files || n.Files == nil || n.Files.PageInfo.HasNextPage {
		return
	}
	it.Attachments = c.toFiles(n.Files.Nodes)
	it.AttachmentsRead = true
}

func (c *Client) toFiles(ns []fileNode) []backlog.Attachment {
	out := make([]backlog.Attachment, 0, len(ns))
	for _, n := range ns {
		if !strings.HasPrefix(n.URL, c.filesAt) {
			continue
		}
		a := backlog.Attachment{ID: n.ID, Name: n.Title, URL: n.URL, Created: n.CreatedAt}
		if n.Creator != nil {
			a.Author = firstNonEmpty(n.Creator.Email, n.Creator.Name)
			a.Mine = n.Creator.ID == c.viewerID
		}
		if v, ok := n.Metadata["size"].(float64); ok && v > 0 {
			a.Size = int64(v)
		}
		a.MimeType, _ = n.Metadata["contentType"].(string)
		if a.MimeType == "" {
			// A person's upload carries no type Tandem can read: the
			// name's extension tells it, as browsers do.
			a.MimeType = mime.TypeByExtension(path.Ext(n.Title))
		}
		if src, ok := n.Metadata["tandemSource"].(string); ok {
			if r, err := backlog.ParseRef(src); err == nil {
				a.Source = r
			}
		}
		out = append(out, a)
	}
	return out
}

// Attachments implements connectors.Attacher: one query.
func (c *Client) Attachments(ctx context.Context, issueID string) ([]backlog.Attachment, error) {
	var out struct {
		Issue *struct {
			Attachments fileConn `json:"attachments"`
		} `json:"issue"`
	}
	doc := `query TandemFiles($id: String!) { issue(id: $id) { ` + c.filesSelection(250) + ` } }`
	if err := c.exec(ctx, "listing the files of linear issue "+issueID, doc, map[string]any{"id": issueID}, &out); err != nil {
		return nil, err
	}
	if out.Issue == nil {
		return nil, fmt.Errorf("listing the files of linear issue %s: %w", issueID, connectors.ErrNotFound)
	}
	return c.toFiles(out.Issue.Attachments.Nodes), nil
}

// Open implements connectors.Attacher: a GET of the file with the API key
// (Linear's uploads are private).
func (c *Client) Open(ctx context.Context, a backlog.Attachment) (io.ReadCloser, int64, error) {
	if !strings.HasPrefix(a.URL, c.filesAt) {
		return nil, 0, connectors.Permanent(fmt.Errorf("linear file %s: %q is not a Linear upload", a.ID, a.URL))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL, nil)
	if err != nil {
		return nil, 0, connectors.Permanent(fmt.Errorf("linear file %s: %w", a.ID, err))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("reading linear file %s: %w", a.ID, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		resp.Body.Close()
		return nil, 0, fmt.Errorf("reading linear file %s: %w", a.ID, connectors.ErrNotFound)
	case resp.StatusCode != http.StatusOK:
		resp.Body.Close()
		err := fmt.Errorf("reading linear file %s: HTTP %d", a.ID, resp.StatusCode)
		if resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			err = connectors.Permanent(err)
		}
		return nil, 0, err
	}
	return resp.Body, resp.ContentLength, nil
}

const fileUploadMutation = `mutation TandemUpload($ct: String!, $name: String!, $size: Int!, $meta: JSON) {
  fileUpload(contentType: $ct, filename: $name, size: $size, metaData: $meta) {
    success uploadFile { uploadUrl assetUrl headers { key value } }
  }
}`

const fileAttachMutation = `mutation TandemAttachFile($in: AttachmentCreateInput!) {
  attachmentCreate(input: $in) { success attachment { id } }
}`

// Attach implements connectors.Attacher: fileUpload (one API call), the
// PUT of the bytes to the signed URL (storage, not the API: no key sent),
// then attachmentCreate (one API call).
func (c *Client) Attach(ctx context.Context, issueID string, f backlog.FileCopy, r io.Reader) (string, error) {
	ct := f.MimeType
	if ct == "" {
		ct = "application/octet-stream"
	}
	var up struct {
		FileUpload struct {
			UploadFile *struct {
				UploadURL string `json:"uploadUrl"`
				AssetURL  string `json:"assetUrl"`
				Headers   []struct{ Key, Value string }
			} `json:"uploadFile"`
		} `json:"fileUpload"`
	}
	meta := map[string]any{"tandemSource": f.Source.String()}
	if err := c.exec(ctx, "uploading "+f.Name+" to linear", fileUploadMutation,
		map[string]any{"ct": ct, "name": f.Name, "size": f.Size, "meta": meta}, &up); err != nil {
		return "", err
	}
	uf := up.FileUpload.UploadFile
	if uf == nil || uf.UploadURL == "" || uf.AssetURL == "" {
		return "", fmt.Errorf("uploading %s to linear: no upload URL in the answer", f.Name)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, uf.UploadURL, r)
	if err != nil {
		return "", connectors.Permanent(fmt.Errorf("uploading %s to linear: %w", f.Name, err))
	}
	req.ContentLength = f.Size
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Cache-Control", "public, max-age=31536000")
	for _, h := range uf.Headers {
		req.Header.Set(h.Key, h.Value)
	}
	resp, err := c.storage.Do(req)
	if err != nil {
		return "", fmt.Errorf("uploading %s to linear storage: %w", f.Name, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) //nolint:errcheck // drained for reuse
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("uploading %s to linear storage: HTTP %d", f.Name, resp.StatusCode)
	}
	return c.attach(ctx, issueID, f, uf.AssetURL, "From "+sourceName(f)+" · "+firstNonEmpty(f.Author, "someone"),
		map[string]any{"tandemSource": f.Source.String(), "size": f.Size, "contentType": ct})
}

// AttachLink implements connectors.Attacher: an attachment of the URL
// (Linear upserts attachments by URL per issue: idempotent).
func (c *Client) AttachLink(ctx context.Context, issueID string, f backlog.FileCopy, url string) (string, error) {
	return c.attach(ctx, issueID, f, url, "In "+sourceName(f)+" (above the size cap: linked, not copied)",
		map[string]any{"tandemSource": f.Source.String(), "size": f.Size, "link": true})
}

func (c *Client) attach(ctx context.Context, issueID string, f backlog.FileCopy, url, subtitle string, meta map[string]any) (string, error) {
	var out struct {
		AttachmentCreate struct {
			Attachment struct {
				ID string `json:"id"`
			} `json:"attachment"`
		} `json:"attachmentCreate"`
	}
	in := map[string]any{"issueId": issueID, "url": url, "title": f.Name, "subtitle": subtitle, "metadata": meta}
	if err := c.exec(ctx, "attaching "+f.Name+" to linear issue "+issueID, fileAttachMutation, map[string]any{"in": in}, &out); err != nil {
		return "", err
	}
	return out.AttachmentCreate.Attachment.ID, nil
}

func sourceName(f backlog.FileCopy) string {
	tool := "Jira"
	if f.Source.Side == backlog.Linear {
		tool = "Linear"
	}
	if f.Issue == "" {
		return tool
	}
	return tool + " " + f.Issue
}

const attachmentDeleteMutation = `mutation TandemDeleteFile($id: String!) { attachmentDelete(id: $id) { success } }`

// DeleteAttachment implements connectors.Attacher: attachmentDelete (the
// file or the link); one already gone is not an error.
func (c *Client) DeleteAttachment(ctx context.Context, _ string, a backlog.Attachment) error {
	var out json.RawMessage
	err := c.exec(ctx, "deleting linear attachment "+a.ID, attachmentDeleteMutation, map[string]any{"id": a.ID}, &out)
	if err != nil && connectors.IsPermanent(err) && strings.Contains(strings.ToLower(err.Error()), "not found") {
		return nil
	}
	return err
}

// withChangedFiles adds to a poll's first page the files changed since
// (Linear's attachments query is the workspace's: the issue's team says
// which are ours).
func (c *Client) withChangedFiles(q string, since time.Time) string {
	return strings.TrimSuffix(strings.TrimSpace(q), "}") + "  " + c.changedFilesSel(since, filesChangedPage, "") + "\n}"
}

// changedFilesSel lists the files changed since, newest first, a page of
// first after the cursor after.
func (c *Client) changedFilesSel(since time.Time, first int, after string) string {
	a := ""
	if after != "" {
		a = ", after: " + strconv.Quote(after)
	}
	return `files: attachments(filter: {url: {startsWith: ` + strconv.Quote(c.filesAt) + `}, updatedAt: {gte: ` +
		strconv.Quote(since.Add(-overlap).UTC().Format(time.RFC3339Nano)) + `}}, first: ` + strconv.Itoa(first) + a +
		`, orderBy: updatedAt) { nodes { id updatedAt issue { id identifier team { id } } } pageInfo { hasNextPage endCursor } }`
}

// filesAfter reads the pages of changed files after a full first page
// (more files changed since the last poll than it holds): a call only
// when that many did.
func (c *Client) filesAfter(ctx context.Context, since time.Time, after string) ([]changedFile, error) {
	var out []changedFile
	for after != "" {
		var res struct {
			Files changedFiles `json:"files"`
		}
		if err := c.exec(ctx, "listing changed linear files", "query TandemChangedFiles { "+c.changedFilesSel(since, 100, after)+" }", nil, &res); err != nil {
			return nil, err
		}
		out = append(out, res.Files.Nodes...)
		after = ""
		if res.Files.PageInfo.HasNextPage {
			after = res.Files.PageInfo.EndCursor
		}
	}
	return out, nil
}

// changedFiles is one page of files changed since a poll's mark.
type changedFiles struct {
	Nodes    []changedFile `json:"nodes"`
	PageInfo struct {
		HasNextPage bool   `json:"hasNextPage"`
		EndCursor   string `json:"endCursor"`
	} `json:"pageInfo"`
}

type changedFile = struct {
	ID        string    `json:"id"`
	UpdatedAt time.Time `json:"updatedAt"`
	Issue     *struct {
		ID, Identifier string
		Team           struct{ ID string }
	} `json:"issue"`
}

// changedFiles adds the issues of files changed since the cursor to the
// page, with no version (the issue's own did not move).
func (c *Client) changedFiles(page *connectors.Page, next *changedCursor, cur changedCursor, settledBefore time.Time, ns []changedFile) {
	listed := map[string]bool{}
	for _, r := range page.Refs {
		listed[r.ID] = true
	}
	for _, n := range ns {
		if n.Issue == nil || n.Issue.Team.ID != c.teamID {
			continue
		}
		tag := "file:" + n.ID + "@" + n.UpdatedAt.UTC().Format(time.RFC3339Nano)
		if n.UpdatedAt.Before(settledBefore) && len(next.Window) < maxWindow {
			next.Window = append(next.Window, tag)
		}
		if slices.Contains(cur.Skip, tag) {
			continue
		}
		if n.UpdatedAt.After(next.High) {
			next.High = n.UpdatedAt
		}
		delete(page.Versions, n.Issue.ID)
		if !listed[n.Issue.ID] {
			listed[n.Issue.ID] = true
			page.Refs = append(page.Refs, backlog.Ref{Side: backlog.Linear, ID: n.Issue.ID, Key: n.Issue.Identifier})
		}
	}
}
