package sandbox

import (
	"slices"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/connectors/linear/sandbox/gql"
)

// Issue attachments of external URLs (Linear's "Attachments" guide): the
// URL identifies an attachment within its issue, so attachmentCreate and
// attachmentLinkURL with a URL the issue already has update that
// attachment instead of adding one. attachmentsForURL finds attachments
// by URL across the workspace; Issue.attachments and the attachments
// query list them. Every change raises an Attachment webhook (create,
// update, remove) with an AttachmentWebhookPayload. An attachment is not
// an issue field: the issue's updatedAt and history stay as they are.
// Files are uploaded by fileUpload (uploads.go) and attached by URL.

type attachment struct {
	id, url, title, subtitle string
	iconURL                  string
	metadata                 map[string]any
	groupBySource            bool
	issue                    *issue
	creator                  *user
	createdAt, updatedAt     time.Time
}

func (x *attachment) entityID() string { return x.id }

func (w *world) attachment(id string) *attachment { return byID(w.attachments, id) }

// issueAttachments lists the attachments of i, oldest first.
func (w *world) issueAttachments(i *issue) []*attachment {
	return w.issueFiles[i]
}

// linkAttachment creates an attachment on the issue, or updates the one
// with the same URL there. in holds AttachmentCreateInput's keys. The
// caller holds s.mu.
func (s *Server) linkAttachment(actor *user, in map[string]any) (*attachment, error) {
	w := s.w
	issueID, _ := argStr(in, "issueId")
	i := w.issue(issueID)
	if i == nil || i.trashed {
		return nil, notFound("Issue")
	}
	url, _ := argStr(in, "url")
	if strings.TrimSpace(url) == "" {
		return nil, invalidInput("Argument Validation Error", "url should not be empty.")
	}
	title, _ := argStr(in, "title")
	if strings.TrimSpace(title) == "" {
		return nil, invalidInput("Argument Validation Error", "title should not be empty.")
	}
	var meta map[string]any
	if m, ok := in["metadata"]; ok && m != nil {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil, invalidInput("Argument Validation Error", "metadata must be an object.")
		}
		meta = mm
	}
	now := s.now()
	for _, a := range w.issueAttachments(i) {
		if a.url != url {
			continue
		}
		from := map[string]any{"updatedAt": a.updatedAt}
		if a.title != title {
			from["title"] = a.title
		}
		a.title = title
		if sub, ok := argStr(in, "subtitle"); ok {
			if sub != a.subtitle {
				from["subtitle"] = nullStr(a.subtitle)
			}
			a.subtitle = sub
		}
		if meta != nil {
			a.metadata = meta
		}
		if icon, ok := argStr(in, "iconUrl"); ok {
			a.iconURL = icon
		}
		if v, ok := in["groupBySource"].(bool); ok {
			a.groupBySource = v
		}
		a.updatedAt = now
		w.syncID()
		s.emitAttachment("update", a, actor, from, now)
		return a, nil
	}
	id, _ := argStr(in, "id")
	if id != "" {
		if !uuidRE.MatchString(id) {
			return nil, invalidInput("Argument Validation Error", "id must be a UUID.")
		}
		if w.attachment(id) != nil {
			return nil, invalidInput("Entity already exists: Attachment "+id, "An attachment with this id already exists.")
		}
	} else {
		id = newID()
	}
	a := &attachment{id: id, url: url, title: title, issue: i, creator: actor, metadata: meta, createdAt: now, updatedAt: now}
	a.subtitle, _ = argStr(in, "subtitle")
	a.iconURL, _ = argStr(in, "iconUrl")
	a.groupBySource, _ = in["groupBySource"].(bool)
	w.attachments = append(w.attachments, a)
	if w.issueFiles == nil {
		w.issueFiles = map[*issue][]*attachment{}
	}
	w.issueFiles[i] = append(w.issueFiles[i], a)
	w.syncID()
	s.emitAttachment("create", a, actor, nil, now)
	return a, nil
}

func (s *Server) updateAttachment(actor *user, a *attachment, in map[string]any) error {
	title, _ := argStr(in, "title")
	if strings.TrimSpace(title) == "" {
		return invalidInput("Argument Validation Error", "title should not be empty.")
	}
	now := s.now()
	from := map[string]any{"updatedAt": a.updatedAt}
	if title != a.title {
		from["title"] = a.title
	}
	a.title = title
	if sub, ok := argStr(in, "subtitle"); ok {
		if sub != a.subtitle {
			from["subtitle"] = nullStr(a.subtitle)
		}
		a.subtitle = sub
	}
	if m, ok := in["metadata"]; ok && m != nil {
		mm, ok := m.(map[string]any)
		if !ok {
			return invalidInput("Argument Validation Error", "metadata must be an object.")
		}
		a.metadata = mm
	}
	if icon, ok := argStr(in, "iconUrl"); ok {
		a.iconURL = icon
	}
	a.updatedAt = now
	s.w.syncID()
	s.emitAttachment("update", a, actor, from, now)
	return nil
}

func (s *Server) deleteAttachment(actor *user, a *attachment) {
	s.w.attachments = slices.DeleteFunc(s.w.attachments, func(x *attachment) bool { return x == a })
	s.w.issueFiles[a.issue] = slices.DeleteFunc(s.w.issueFiles[a.issue], func(x *attachment) bool { return x == a })
	s.w.syncID()
	s.emitAttachment("remove", a, actor, nil, s.now())
}

func (s *Server) attachmentPayload(a *attachment) map[string]any {
	meta := a.metadata
	if meta == nil {
		meta = map[string]any{}
	}
	return map[string]any{
		"id": a.id, "createdAt": ts(a.createdAt), "updatedAt": ts(a.updatedAt), "archivedAt": nil,
		"title": a.title, "subtitle": nullStr(a.subtitle), "url": a.url,
		"creatorId": idOrNil(a.creator), "issueId": a.issue.id, "originalIssueId": nil,
		"externalUserCreatorId": nil, "groupBySource": a.groupBySource, "metadata": meta,
		"source": nil, "sourceType": "unknown",
	}
}

func (s *Server) emitAttachment(action string, a *attachment, actor *user, from map[string]any, now time.Time) {
	s.emit(action, "Attachment", a.issue.team, s.attachmentPayload(a), from, actor, a.url, now)
}

// ---- GraphQL

type attachmentObj struct {
	view
	a *attachment
}

func (o *attachmentObj) TypeName() string { return "Attachment" }
func (o *attachmentObj) sortKey() (string, time.Time, time.Time) {
	return o.a.id, o.a.createdAt, o.a.updatedAt
}
func (o *attachmentObj) Field(name string, _ map[string]any) (any, error) {
	a := o.a
	switch name {
	case "id":
		return a.id, nil
	case "url":
		return a.url, nil
	case "title":
		return a.title, nil
	case "subtitle":
		return nullStr(a.subtitle), nil
	case "metadata":
		if a.metadata == nil {
			return map[string]any{}, nil
		}
		return a.metadata, nil
	case "groupBySource":
		return a.groupBySource, nil
	case "issue":
		return o.issueObj(a.issue), nil
	case "originalIssue", "externalUserCreator", "archivedAt", "bodyData", "source":
		return nil, nil
	case "sourceType":
		return "unknown", nil
	case "creator":
		return o.userObj(a.creator), nil
	case "createdAt":
		return a.createdAt, nil
	case "updatedAt":
		return a.updatedAt, nil
	}
	return nil, gql.ErrUnmodelled
}

func (v view) attachmentsConn(base []*attachment, args map[string]any) (any, error) {
	filter := argMap(args, "filter")
	return connection("AttachmentConnection", base, args,
		func(a *attachment) (bool, error) { return v.s.matchAttachment(filter, a) },
		v.s.w.attachment, func(a *attachment) entity { return &attachmentObj{v, a} })
}

// attachmentQuery answers the Query fields about attachments; ok is false
// for any other field.
func (q *queryObj) attachmentQuery(name string, args map[string]any) (any, bool, error) {
	w := q.s.w
	switch name {
	case "attachment":
		id, _ := argStr(args, "id")
		if a := w.attachment(id); a != nil {
			return &attachmentObj{q.view, a}, true, nil
		}
		return nil, true, notFound("Attachment")
	case "attachments":
		v, err := q.attachmentsConn(w.attachments, args)
		return v, true, err
	case "attachmentsForURL":
		url, _ := argStr(args, "url")
		var base []*attachment
		for _, a := range w.attachments {
			if a.url == url {
				base = append(base, a)
			}
		}
		v, err := q.attachmentsConn(base, args)
		return v, true, err
	}
	return nil, false, nil
}

// attachmentMutation answers the Mutation fields about attachments; ok is
// false for any other field.
func (m *mutationObj) attachmentMutation(name string, args map[string]any) (any, bool, error) {
	s, w, actor := m.s, m.s.w, m.viewer
	id, _ := argStr(args, "id")
	switch name {
	case "attachmentCreate":
		a, err := s.linkAttachment(actor, argMap(args, "input"))
		if err != nil {
			return nil, true, err
		}
		return m.payload("AttachmentPayload", map[string]any{"attachment": &attachmentObj{m.view, a}}), true, nil
	case "attachmentLinkURL":
		in := map[string]any{}
		for _, k := range []string{"issueId", "url", "title", "id"} {
			if v, ok := args[k]; ok && v != nil {
				in[k] = v
			}
		}
		// Without a title Linear shows the URL itself.
		if t, _ := argStr(in, "title"); t == "" {
			in["title"] = in["url"]
		}
		a, err := s.linkAttachment(actor, in)
		if err != nil {
			return nil, true, err
		}
		return m.payload("AttachmentPayload", map[string]any{"attachment": &attachmentObj{m.view, a}}), true, nil
	case "attachmentUpdate":
		a := w.attachment(id)
		if a == nil {
			return nil, true, notFound("Attachment")
		}
		if err := s.updateAttachment(actor, a, argMap(args, "input")); err != nil {
			return nil, true, err
		}
		return m.payload("AttachmentPayload", map[string]any{"attachment": &attachmentObj{m.view, a}}), true, nil
	case "fileUpload":
		v, err := s.fileUpload(actor, args)
		if err != nil {
			return nil, true, err
		}
		return m.payload("UploadPayload", map[string]any{"uploadFile": v}), true, nil
	case "attachmentDelete":
		a := w.attachment(id)
		if a == nil {
			return nil, true, notFound("Attachment")
		}
		s.deleteAttachment(actor, a)
		return m.payload("DeletePayload", map[string]any{"entityId": a.id}), true, nil
	}
	return nil, false, nil
}

// matchAttachment evaluates an AttachmentFilter.
func (s *Server) matchAttachment(f map[string]any, a *attachment) (bool, error) {
	self := func(sub map[string]any) (bool, error) { return s.matchAttachment(sub, a) }
	strs := map[string]string{"title": a.title, "url": a.url}
	return matchFields(f, "AttachmentFilter", self, plainFields([]string{a.id}, strs, func(k string, v any) (bool, error) {
		switch k {
		case "subtitle":
			return matchString(v, strPtr(a.subtitle))
		case "createdAt":
			return s.matchDate(v, &a.createdAt)
		case "updatedAt":
			return s.matchDate(v, &a.updatedAt)
		case "creator":
			return matchNullable(asMap(v), a.creator == nil, func(m map[string]any) (bool, error) { return matchUser(m, a.creator) })
		}
		return false, errUnknownField
	}))
}

// matchAttachments evaluates an AttachmentCollectionFilter (some, every,
// length) over an issue's attachments.
func (s *Server) matchAttachments(f map[string]any, as []*attachment) (bool, error) {
	for k, v := range f {
		if v == nil {
			continue
		}
		switch k {
		case "some", "every":
			n := 0
			for _, a := range as {
				ok, err := s.matchAttachment(asMap(v), a)
				if err != nil {
					return false, err
				}
				if ok {
					n++
				}
			}
			if k == "some" && n == 0 || k == "every" && n != len(as) {
				return false, nil
			}
		case "length":
			ok, err := matchNumber(v, ptr(float64(len(as))))
			if err != nil || !ok {
				return false, err
			}
		default:
			return false, unsupported("AttachmentCollectionFilter." + k)
		}
	}
	return true, nil
}

// UserLinkURL attaches a URL to an issue as the user with that email would
// in Linear's UI (or as an integration such as Linear's Jira integration
// leaves it), with attachmentLinkURL's rules and webhooks, not counted as
// an API request. It returns the attachment's id.
func (s *Server) UserLinkURL(actorEmail, idOrIdentifier, url, title string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.w.userByEmail(actorEmail)
	if u == nil {
		return "", notFound("User")
	}
	if title == "" {
		title = url
	}
	a, err := s.linkAttachment(u, map[string]any{"issueId": idOrIdentifier, "url": url, "title": title})
	if err != nil {
		return "", err
	}
	return a.id, nil
}

// AttachmentView is a read-only copy of an attachment for tests.
type AttachmentView struct {
	ID, URL, Title, Subtitle string
	Creator                  string // email
}

// Attachments lists an issue's attachments, oldest first.
func (s *Server) Attachments(idOrIdentifier string) []AttachmentView {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.w.issue(idOrIdentifier)
	if i == nil {
		return nil
	}
	var out []AttachmentView
	for _, a := range s.w.issueAttachments(i) {
		v := AttachmentView{ID: a.id, URL: a.url, Title: a.title, Subtitle: a.subtitle}
		if a.creator != nil {
			v.Creator = a.creator.email
		}
		out = append(out, v)
	}
	return out
}
