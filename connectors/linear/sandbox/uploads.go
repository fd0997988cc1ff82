package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/connectors/linear/sandbox/gql"
)

// File uploads, as Linear's "Uploading files" guide describes them: the
// fileUpload mutation hands out a signed upload URL (Linear's is a Google
// Cloud Storage URL), the headers the PUT must carry, and the asset URL
// the file will be read at (Linear's: https://uploads.linear.app/<org
// id>/<uuid>/<uuid>). The client PUTs the bytes with those headers and the
// declared Content-Type; the size must be the one declared. Then it
// references the asset URL, as an attachment (attachmentCreate) or in
// Markdown. Reading an asset needs the API key in Authorization (Linear's
// uploads are private unless makePublic).
//
// Here both URLs are under the sandbox's own base: the upload URL at
// /storage/upload/<token> (single use; expires after uploadURLLife), the
// asset URL at /uploads/<org id>/<uuid>/<uuid>. Neither route is GraphQL:
// they spend no API budget, and count as Storage requests (ByOperation
// "storage PUT", "storage GET").

// uploadURLLife is how long an upload URL takes a PUT (Linear's signed
// URLs are short-lived).
const uploadURLLife = 10 * time.Minute

// maxUpload bounds one file, as Linear's storage bounds uploads (its
// guide names no figure; the sandbox keeps files in memory).
const maxUpload = 512 << 20

type upload struct {
	token, assetPath      string
	contentType, filename string
	size                  int64
	public                bool
	meta                  map[string]any
	expires               time.Time
	headers               [][2]string
	data                  []byte
	done                  bool
	uploader              *user
}

func randToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// baseURL is the URL the sandbox is reached at: Start's, else the host of
// the last request (a sandbox served in-process through ServeHTTP).
func (s *Server) baseURL() string {
	if s.url != "" {
		return s.url
	}
	return s.seenBase
}

// fileUpload answers the fileUpload mutation. The caller holds s.mu.
func (s *Server) fileUpload(actor *user, args map[string]any) (any, error) {
	ct, _ := argStr(args, "contentType")
	name, _ := argStr(args, "filename")
	size, ok := argInt(args, "size")
	switch {
	case strings.TrimSpace(ct) == "":
		return nil, invalidInput("Argument Validation Error", "contentType should not be empty.")
	case strings.TrimSpace(name) == "":
		return nil, invalidInput("Argument Validation Error", "filename should not be empty.")
	case !ok || size <= 0:
		return nil, invalidInput("Argument Validation Error", "size must be a positive integer.")
	case size > maxUpload:
		return nil, invalidInput("File too large", fmt.Sprintf("The file is larger than the %d MB an upload may be.", maxUpload>>20))
	}
	meta, _ := args["metaData"].(map[string]any)
	public, _ := args["makePublic"].(bool)
	u := &upload{
		token: randToken(), assetPath: "/uploads/" + s.w.orgID + "/" + newID() + "/" + newID(),
		contentType: ct, filename: name, size: int64(size), public: public, meta: meta,
		expires: s.now().Add(uploadURLLife), uploader: actor,
	}
	u.headers = [][2]string{
		{"Content-Disposition", `attachment; filename="` + strings.ReplaceAll(name, `"`, `\"`) + `"`},
		{"x-goog-content-length-range", strconv.Itoa(size) + "," + strconv.Itoa(size)},
	}
	if s.uploads == nil {
		s.uploads, s.assets = map[string]*upload{}, map[string]*upload{}
	}
	s.uploads[u.token], s.assets[u.assetPath] = u, u
	base := s.baseURL()
	headers := make([]any, len(u.headers))
	for i, h := range u.headers {
		headers[i] = &gql.Fields{Type: "UploadFileHeader", Values: map[string]any{"key": h[0], "value": h[1]}}
	}
	metaOut := any(nil)
	if meta != nil {
		metaOut = meta
	}
	file := &gql.Fields{Type: "UploadFile", Values: map[string]any{
		"uploadUrl": base + "/storage/upload/" + u.token, "assetUrl": base + u.assetPath,
		"contentType": ct, "filename": name, "size": size, "metaData": metaOut, "headers": headers,
	}}
	return file, nil
}

// storageError answers as Google Cloud Storage does: an XML error body.
func storageError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml; charset=UTF-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<?xml version='1.0' encoding='UTF-8'?><Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
}

// serveUpload takes the PUT of an upload URL.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimPrefix(r.URL.Path, "/storage/upload/")
	s.mu.Lock()
	u := s.uploads[token]
	if u != nil {
		s.countStorage(u.uploader, "storage PUT")
	}
	now := s.now()
	s.mu.Unlock()
	if r.Method != http.MethodPut {
		w.Header().Set("Allow", http.MethodPut)
		storageError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
		return
	}
	if u == nil || u.done || now.After(u.expires) {
		storageError(w, http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided, or the URL has expired.")
		return
	}
	if r.Header.Get("Content-Type") != u.contentType {
		storageError(w, http.StatusForbidden, "SignatureDoesNotMatch", "Content-Type "+strconv.Quote(r.Header.Get("Content-Type"))+" is not the signed "+strconv.Quote(u.contentType)+".")
		return
	}
	for _, h := range u.headers {
		if r.Header.Get(h[0]) != h[1] {
			storageError(w, http.StatusForbidden, "SignatureDoesNotMatch", "The signed header "+h[0]+" is missing or differs.")
			return
		}
	}
	if r.ContentLength >= 0 && r.ContentLength != u.size {
		storageError(w, http.StatusBadRequest, "EntityTooLarge", fmt.Sprintf("Content-Length %d is outside the signed range %d,%d.", r.ContentLength, u.size, u.size))
		return
	}
	data := make([]byte, 0, u.size)
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Body.Read(buf)
		data = append(data, buf[:n]...)
		if int64(len(data)) > u.size {
			storageError(w, http.StatusBadRequest, "EntityTooLarge", "The body is longer than the signed size.")
			return
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			storageError(w, http.StatusBadRequest, "IncompleteBody", "The body could not be read: "+err.Error())
			return
		}
	}
	if int64(len(data)) != u.size {
		storageError(w, http.StatusBadRequest, "IncompleteBody", fmt.Sprintf("The body has %d bytes, not the signed %d.", len(data), u.size))
		return
	}
	s.mu.Lock()
	u.data, u.done = data, true
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// serveAsset answers the GET of an asset URL.
func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	s.mu.Lock()
	u := s.assets[r.URL.Path]
	s.mu.Unlock()
	var who *user
	if auth := r.Header.Get("Authorization"); auth != "" {
		who = s.authenticate(auth)
	}
	if u == nil || !u.done {
		http.NotFound(w, r)
		return
	}
	if !u.public && (who == nil || !who.active) {
		http.Error(w, "Unauthorized: the file needs the API key in Authorization", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	if who != nil {
		s.countStorage(who, "storage GET")
	}
	data, ct, name := u.data, u.contentType, u.filename
	s.mu.Unlock()
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(name, `"`, `\"`)+`"`)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(data)
	}
}

// countStorage counts a storage request of u. The caller holds s.mu.
func (s *Server) countStorage(u *user, op string) {
	if u == nil {
		return
	}
	c := s.countsFor(u.email)
	c.Storage++
	c.ByOperation[op]++
}

// Asset returns the bytes of an uploaded file by its asset URL (or path),
// and whether it exists.
func (s *Server) Asset(url string) ([]byte, bool) {
	path := url
	if i := strings.Index(url, "/uploads/"); i >= 0 {
		path = url[i:]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.assets[path]
	if u == nil || !u.done {
		return nil, false
	}
	return u.data, true
}

// UserAttachFile uploads a file and attaches it to an issue (by id or
// identifier) as the person with actorEmail does in Linear's app (the
// upload flow, then attachmentCreate); it returns the attachment's id.
func (s *Server) UserAttachFile(actorEmail, issue, name, contentType string, data []byte) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	actor := s.w.userByEmail(actorEmail)
	if actor == nil {
		return "", fmt.Errorf("no user %s", actorEmail)
	}
	i := s.w.issue(issue)
	if i == nil {
		return "", fmt.Errorf("no issue %s", issue)
	}
	v, err := s.fileUpload(actor, map[string]any{"contentType": contentType, "filename": name, "size": len(data)})
	if err != nil {
		return "", err
	}
	asset := v.(*gql.Fields).Values["assetUrl"].(string)
	u := s.assets[asset[strings.Index(asset, "/uploads/"):]]
	u.data, u.done = slices.Clone(data), true
	a, err := s.linkAttachment(actor, map[string]any{"issueId": i.id, "url": asset, "title": name})
	if err != nil {
		return "", err
	}
	return a.id, nil
}

// UserDeleteAttachment deletes an attachment as a person would.
func (s *Server) UserDeleteAttachment(actorEmail, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	actor := s.w.userByEmail(actorEmail)
	if actor == nil {
		return fmt.Errorf("no user %s", actorEmail)
	}
	a := s.w.attachment(id)
	if a == nil {
		return fmt.Errorf("no attachment %s", id)
	}
	s.deleteAttachment(actor, a)
	return nil
}

// FileView is an attachment of an issue with the bytes of its file ("" URL
// host aside: nil Data for a link attachment).
type FileView struct {
	ID, Title, Subtitle, URL, Creator string // Creator: the email
	Metadata                          map[string]any
	Data                              []byte
}

// IssueAttachments lists an issue's attachments (by id or identifier),
// oldest first, with the bytes of those that are uploaded files.
func (s *Server) IssueAttachments(issue string) []FileView {
	s.mu.Lock()
	i := s.w.issue(issue)
	var out []FileView
	if i != nil {
		for _, a := range s.w.issueAttachments(i) {
			v := FileView{ID: a.id, Title: a.title, Subtitle: a.subtitle, URL: a.url, Metadata: a.metadata}
			if a.creator != nil {
				v.Creator = a.creator.email
			}
			out = append(out, v)
		}
	}
	s.mu.Unlock()
	for k := range out {
		if b, ok := s.Asset(out[k].URL); ok {
			out[k].Data = b
		}
	}
	return out
}
