package sandbox

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Issue attachments, as the platform spec documents them:
//
//   - POST issue/{key}/attachments takes multipart/form-data with one or
//     more parts named "file" and needs the X-Atlassian-Token: no-check
//     header (without it Jira's XSRF check answers 403); it answers 200
//     with the array of Attachment beans made. More than 60 files answer
//     413, as does an upload above UploadLimit.
//   - GET attachment/{id} is the AttachmentMetadata bean (id a number
//     there, a string in Attachment beans, as the spec's two schemas say);
//     DELETE attachment/{id} answers 204; GET attachment/meta the
//     settings.
//   - GET attachment/content/{id} answers 303 to the download URL unless
//     redirect=false, when it answers 200 with the bytes (Content-Type,
//     Content-Length; Range is not modelled). Real Jira's Location points
//     at its media host with a signed token; the sandbox points at the
//     same route with redirect=false, so a client that follows the
//     redirect with its credentials is served.
//   - The issue's attachment field lists them, oldest first.
//   - Adding or deleting one records an "Attachment" changelog item
//     (to / from the attachment id, toString / fromString the file name),
//     bumps updated and raises jira:issue_updated with that changelog,
//     plus attachment_created / attachment_deleted. The latter carry the
//     attachment only, no issue (jira.js's AttachmentWebhookPayload:
//     Atlassian does not document them), and so no JQL filter applies.
//   - Deleting an issue deletes its attachments without attachment events.

// UploadLimit is the sandbox site's maximum attachment size in bytes
// (attachment/meta's uploadLimit; Jira Cloud's default is 1 GB, the
// sandbox keeps bytes in memory).
const UploadLimit = 256 << 20

// maxUploadFiles is how many files one upload takes (the spec's 413).
const maxUploadFiles = 60

type attachment struct {
	ID       int
	IssueID  int
	Filename string
	MimeType string
	Author   *user
	Created  time.Time
	Data     []byte
}

// AttachmentView is a snapshot of an attachment, for tests.
type AttachmentView struct {
	ID, Filename, MimeType, Author string // Author: the email
	Data                           []byte
}

func (s *Server) attachmentJSON(a *attachment, base string, ver int) map[string]any {
	out := map[string]any{
		"self":     apiBase(base, ver) + "/attachment/" + itoa(a.ID),
		"id":       itoa(a.ID),
		"filename": a.Filename,
		"author":   s.userJSON(a.Author, base, ver),
		"created":  fmtTime(a.Created),
		"size":     len(a.Data),
		"mimeType": a.MimeType,
		"content":  apiBase(base, ver) + "/attachment/content/" + itoa(a.ID),
	}
	if strings.HasPrefix(a.MimeType, "image/") {
		out["thumbnail"] = apiBase(base, ver) + "/attachment/thumbnail/" + itoa(a.ID)
	}
	return out
}

// attachmentField renders is's attachment field.
func (s *Server) attachmentField(is *issue, base string, ver int) []any {
	out := []any{}
	for _, a := range s.attachments[is.ID] {
		out = append(out, s.attachmentJSON(a, base, ver))
	}
	return out
}

func (s *Server) attachmentByID(id string) *attachment {
	n, err := strconv.Atoi(id)
	if err != nil {
		return nil
	}
	for _, as := range s.attachments {
		for _, a := range as {
			if a.ID == n {
				return a
			}
		}
	}
	return nil
}

// pathAttachment is the attachment the path's {id} names; when there is
// none it answers Jira's 404 and returns nil. The caller holds s.mu.
func (s *Server) pathAttachment(w http.ResponseWriter, r *http.Request) *attachment {
	a := s.attachmentByID(r.PathValue("id"))
	if a == nil {
		writeErr(w, http.StatusNotFound, "The attachment with id '"+r.PathValue("id")+"' does not exist")
	}
	return a
}

// attach adds a file to is as actor, with its changelog and webhooks;
// the caller holds s.mu.
func (s *Server) attach(is *issue, actor *user, name, mimeType string, data []byte) *attachment {
	if s.attachments == nil {
		s.attachments = map[int][]*attachment{}
	}
	if s.nextAttachment == 0 {
		s.nextAttachment = 10000
	}
	a := &attachment{ID: s.nextAttachment, IssueID: is.ID, Filename: name, MimeType: mimeType, Author: actor, Created: s.now(), Data: data}
	s.nextAttachment++
	s.attachments[is.ID] = append(s.attachments[is.ID], a)
	h := s.record(is, actor, []changeItem{{Field: "Attachment", FieldType: "jira", FieldID: "attachment", To: sp(itoa(a.ID)), ToString: sp(name)}})
	s.emitAttachment("attachment_created", a)
	s.emitIssue("jira:issue_updated", "issue_updated", is, actor, h)
	return a
}

// detach deletes a as actor; the caller holds s.mu.
func (s *Server) detach(a *attachment, actor *user) {
	s.attachments[a.IssueID] = slices.DeleteFunc(s.attachments[a.IssueID], func(x *attachment) bool { return x == a })
	if len(s.attachments[a.IssueID]) == 0 {
		delete(s.attachments, a.IssueID)
	}
	is := s.byID[a.IssueID]
	if is == nil {
		return
	}
	h := s.record(is, actor, []changeItem{{Field: "Attachment", FieldType: "jira", FieldID: "attachment", From: sp(itoa(a.ID)), FromString: sp(a.Filename)}})
	s.emitAttachment("attachment_deleted", a)
	s.emitIssue("jira:issue_updated", "issue_updated", is, actor, h)
}

func (s *Server) emitAttachment(event string, a *attachment) {
	hooks := s.hooksFor(event, nil)
	if len(hooks) == 0 {
		return
	}
	s.send(hooks, map[string]any{
		"timestamp":    s.now().UnixMilli(),
		"webhookEvent": event,
		"attachment":   s.attachmentJSON(a, s.base, 2),
	})
}

// upload is one file part read from a request.
type upload struct {
	name, mimeType string
	data           []byte
}

// readUploads reads the "file" parts of a multipart body as a stream;
// other parts are skipped, as Jira ignores them.
func readUploads(r *http.Request) ([]upload, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, errMsg(http.StatusUnsupportedMediaType, "Unsupported Media Type: the request must be multipart/form-data.")
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	var out []upload
	var total int64
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errMsg(http.StatusBadRequest, "Malformed multipart body: "+err.Error())
		}
		if p.FormName() != "file" {
			_, _ = io.Copy(io.Discard, p)
			continue
		}
		if len(out) == maxUploadFiles {
			return nil, errMsg(http.StatusRequestEntityTooLarge, "More than 60 files were sent in one request.")
		}
		var buf bytes.Buffer
		if len(out) == 0 && r.ContentLength > 0 && r.ContentLength <= UploadLimit {
			buf.Grow(int(r.ContentLength)) // the file and its frame: one buffer, not doublings
		}
		n, err := io.Copy(&buf, io.LimitReader(p, UploadLimit-total+1))
		if err != nil {
			return nil, errMsg(http.StatusBadRequest, "Reading the upload: "+err.Error())
		}
		total += n
		if total > UploadLimit {
			return nil, errMsg(http.StatusRequestEntityTooLarge, "The attachments exceed the maximum attachment size for issues.")
		}
		ct := p.Header.Get("Content-Type")
		if ct == "" {
			ct = "application/octet-stream"
		}
		name := p.FileName()
		if name == "" {
			name = "file"
		}
		out = append(out, upload{name: name, mimeType: ct, data: buf.Bytes()})
	}
	return out, nil
}

func (s *Server) addAttachments(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	if !strings.EqualFold(r.Header.Get("X-Atlassian-Token"), "no-check") {
		writeErr(w, http.StatusForbidden, "XSRF check failed")
		return
	}
	s.mu.Lock()
	is := s.pathIssue(w, r)
	s.mu.Unlock()
	if is == nil {
		return
	}
	ups, err := readUploads(r)
	if err != nil {
		writeError(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if is = s.pathIssue(w, r); is == nil {
		return // deleted while the upload was read
	}
	out := []any{}
	for _, u := range ups {
		out = append(out, s.attachmentJSON(s.attach(is, ri.user, u.name, u.mimeType, u.data), ri.base, ri.ver))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getAttachment(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.pathAttachment(w, r)
	if a == nil {
		return
	}
	m := s.attachmentJSON(a, ri.base, ri.ver)
	m["id"] = a.ID // AttachmentMetadata's id is an integer
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) deleteAttachment(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.pathAttachment(w, r)
	if a == nil {
		return
	}
	s.detach(a, ri.user)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getAttachmentContent(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	redirect := true
	if v := r.URL.Query().Get("redirect"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeErr(w, http.StatusBadRequest, "The value '"+v+"' is not valid for redirect.")
			return
		}
		redirect = b
	}
	s.mu.Lock()
	a := s.pathAttachment(w, r)
	var data []byte
	var mimeType string
	if a != nil {
		data, mimeType = a.Data, a.MimeType
	}
	s.mu.Unlock()
	if a == nil {
		return
	}
	if redirect {
		w.Header().Set("Location", apiBase(ri.base, ri.ver)+"/attachment/content/"+itoa(a.ID)+"?redirect=false")
		w.WriteHeader(http.StatusSeeOther)
		return
	}
	w.Header().Set("Content-Type", mimeType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data) // the slice is never modified after upload
}

func (s *Server) getAttachmentMeta(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"enabled": true, "uploadLimit": UploadLimit})
}

// UserAttach attaches a file to an issue as a person would in the UI, not
// counted as an API request; changelog and webhooks as the REST upload.
// It returns the attachment's id.
func (s *Server) UserAttach(actorEmail, idOrKey, name, mimeType string, data []byte) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, is, err := s.actorOn(actorEmail, idOrKey)
	if err != nil {
		return "", err
	}
	if mimeType == "" {
		mimeType = "application/octet-stream"
	}
	return itoa(s.attach(is, u, name, mimeType, bytes.Clone(data)).ID), nil
}

// UserDeleteAttachment deletes an attachment as a person would.
func (s *Server) UserDeleteAttachment(actorEmail, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.actor(actorEmail)
	if err != nil {
		return err
	}
	a := s.attachmentByID(id)
	if a == nil {
		return errMsg(http.StatusNotFound, "The attachment with id '"+id+"' does not exist")
	}
	s.detach(a, u)
	return nil
}

// Attachments returns the attachments of an issue, oldest first.
func (s *Server) Attachments(idOrKey string) []AttachmentView {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.lookup(idOrKey)
	if is == nil {
		return nil
	}
	var out []AttachmentView
	for _, a := range s.attachments[is.ID] {
		out = append(out, AttachmentView{ID: itoa(a.ID), Filename: a.Filename, MimeType: a.MimeType, Author: a.Author.Email, Data: a.Data})
	}
	return out
}
