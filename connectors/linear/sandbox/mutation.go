package sandbox

import (
	"slices"
	"strings"

	"github.com/tandem-sync/tandem/connectors/linear/sandbox/gql"
)

type mutationObj struct{ view }

func (m *mutationObj) TypeName() string { return "Mutation" }

func (m *mutationObj) payload(typ string, vals map[string]any) *gql.Fields {
	vals["success"] = true
	vals["lastSyncId"] = m.s.w.lastSyncID
	return &gql.Fields{Type: typ, Values: vals}
}

func (m *mutationObj) Field(name string, args map[string]any) (any, error) {
	s, w, actor := m.s, m.s.w, m.viewer
	in := argMap(args, "input")
	id, _ := argStr(args, "id")
	switch name {
	case "projectCreate":
		p, err := s.createProject(actor, in)
		if err != nil {
			return nil, err
		}
		return m.payload("ProjectPayload", map[string]any{"project": &projectObj{m.view, p}}), nil
	case "projectUpdate":
		p := w.project(id)
		if p == nil {
			return nil, notFound("Project")
		}
		if err := s.updateProject(actor, p, in); err != nil {
			return nil, err
		}
		return m.payload("ProjectPayload", map[string]any{"project": &projectObj{m.view, p}}), nil
	case "issueRelationCreate", "issueRelationUpdate", "issueRelationDelete":
		return m.relationField(name, args)
	case "issueCreate":
		i, err := s.createIssue(actor, in)
		if err != nil {
			return nil, err
		}
		return m.payload("IssuePayload", map[string]any{"issue": m.issueObj(i)}), nil
	case "issueBatchCreate":
		is, err := s.batchCreateIssues(actor, args)
		if err != nil {
			return nil, err
		}
		objs := make([]gql.Object, len(is))
		for k, i := range is {
			objs[k] = m.issueObj(i)
		}
		return m.payload("IssueBatchPayload", map[string]any{"issues": objs}), nil
	case "issueUpdate":
		i := w.issue(id)
		if i == nil || i.trashed {
			return nil, notFound("Issue")
		}
		if err := s.updateIssue(actor, i, in); err != nil {
			return nil, err
		}
		return m.payload("IssuePayload", map[string]any{"issue": m.issueObj(i)}), nil
	case "issueArchive", "issueDelete":
		i := w.issue(id)
		if i == nil || i.trashed {
			return nil, notFound("Issue")
		}
		// issueArchive(trash: true) trashes, as issueDelete does.
		s.archiveIssue(actor, i, name == "issueDelete" || argBool(args, "trash"))
		return m.payload("IssueArchivePayload", map[string]any{"entity": m.issueObj(i)}), nil
	case "issueUnarchive":
		i := w.issue(id)
		if i == nil || i.trashed {
			return nil, notFound("Issue")
		}
		if i.archivedAt != nil {
			from := map[string]any{"archivedAt": *i.archivedAt, "updatedAt": i.updatedAt}
			i.archivedAt = nil
			w.touch(i, s.now())
			i.history = append(i.history, &history{id: newID(), issue: i, actor: actor, createdAt: i.updatedAt, archived: ptr(false)})
			w.syncID()
			s.emitIssue("update", i, actor, from, i.updatedAt)
		}
		return m.payload("IssueArchivePayload", map[string]any{"entity": m.issueObj(i)}), nil
	case "commentCreate":
		c, err := s.createComment(actor, in)
		if err != nil {
			return nil, err
		}
		return m.payload("CommentPayload", map[string]any{"comment": &commentObj{m.view, c}}), nil
	case "commentUpdate":
		c := w.comment(id)
		if c == nil {
			return nil, notFound("Comment")
		}
		if c.user != actor {
			return nil, linearError("FORBIDDEN", "forbidden", "Forbidden", "You can only edit your own comments.", 403)
		}
		if err := s.updateComment(actor, c, in, argBool(args, "skipEditedAt")); err != nil {
			return nil, err
		}
		return m.payload("CommentPayload", map[string]any{"comment": &commentObj{m.view, c}}), nil
	case "commentDelete":
		c := w.comment(id)
		if c == nil {
			return nil, notFound("Comment")
		}
		s.deleteComment(actor, c)
		return m.payload("DeletePayload", map[string]any{"entityId": c.id}), nil
	case "issueLabelCreate":
		lname, _ := argStr(in, "name")
		if strings.TrimSpace(lname) == "" {
			return nil, invalidInput("Argument Validation Error", "Label name can't be empty.")
		}
		var t *team
		if tid, ok := argStr(in, "teamId"); ok && tid != "" {
			if t = w.team(tid); t == nil {
				return nil, notFound("Team")
			}
		}
		for _, l := range w.labels {
			if strings.EqualFold(l.name, lname) && (l.team == nil || l.team == t) {
				return nil, invalidInput("Duplicate label name", "A label with this name already exists.")
			}
		}
		lid, _ := argStr(in, "id")
		if lid == "" {
			lid = newID()
		} else if w.label(lid) != nil || !uuidRE.MatchString(lid) {
			return nil, invalidInput("Argument Validation Error", "Invalid label id.")
		}
		color, _ := argStr(in, "color")
		if color == "" {
			color = "#bec2c8"
		}
		desc, _ := argStr(in, "description")
		now := s.now()
		l := &label{id: lid, name: lname, color: color, description: desc, team: t, createdAt: now, updatedAt: now}
		w.labels = append(w.labels, l)
		w.syncID()
		return m.payload("IssueLabelPayload", map[string]any{"issueLabel": &labelObj{m.view, l}}), nil
	case "cycleCreate":
		c, err := s.createCycle(actor, in)
		if err != nil {
			return nil, err
		}
		return m.payload("CyclePayload", map[string]any{"cycle": m.cycleObj(c)}), nil
	case "webhookCreate":
		url, _ := argStr(in, "url")
		if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
			return nil, invalidInput("Argument Validation Error", "url must be a valid URL.")
		}
		types, _ := argStrings(in, "resourceTypes")
		if len(types) == 0 {
			return nil, invalidInput("Argument Validation Error", "resourceTypes must not be empty.")
		}
		h := &webhook{id: newID(), url: url, resourceTypes: types, enabled: true, creator: actor, createdAt: s.now()}
		h.updatedAt = h.createdAt
		if tid, ok := argStr(in, "teamId"); ok && tid != "" {
			if h.team = w.team(tid); h.team == nil {
				return nil, notFound("Team")
			}
		}
		h.allPublicTeams = argBool(in, "allPublicTeams")
		if h.team == nil && !h.allPublicTeams {
			return nil, invalidInput("Argument Validation Error", "teamId or allPublicTeams is required.")
		}
		if v, ok := in["enabled"].(bool); ok {
			h.enabled = v
		}
		h.label, _ = argStr(in, "label")
		h.secret, _ = argStr(in, "secret")
		if h.secret == "" {
			h.secret = "lin_wh_" + strings.ReplaceAll(newID(), "-", "")
		}
		w.webhooks = append(w.webhooks, h)
		w.syncID()
		return m.payload("WebhookPayload", map[string]any{"webhook": &webhookObj{m.view, h}}), nil
	case "webhookUpdate":
		h := w.webhook(id)
		if h == nil {
			return nil, notFound("Webhook")
		}
		if url, ok := argStr(in, "url"); ok {
			h.url = url
		}
		if l, ok := argStr(in, "label"); ok {
			h.label = l
		}
		if sec, ok := argStr(in, "secret"); ok {
			h.secret = sec
		}
		if types, ok := argStrings(in, "resourceTypes"); ok && types != nil {
			h.resourceTypes = types
		}
		if v, ok := in["enabled"].(bool); ok {
			h.enabled = v
		}
		h.updatedAt = s.now()
		w.syncID()
		return m.payload("WebhookPayload", map[string]any{"webhook": &webhookObj{m.view, h}}), nil
	case "webhookDelete":
		h := w.webhook(id)
		if h == nil {
			return nil, notFound("Webhook")
		}
		w.webhooks = slices.DeleteFunc(w.webhooks, func(x *webhook) bool { return x == h })
		w.syncID()
		return m.payload("DeletePayload", map[string]any{"entityId": h.id}), nil
	}
	if v, ok, err := m.attachmentMutation(name, args); ok {
		return v, err
	}
	return nil, gql.ErrUnmodelled
}
