package sandbox

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/connectors/jira/adf"
)

// jiraTime is Jira's timestamp format, e.g. "2026-04-25T18:35:13.605+0000".
const jiraTime = "2006-01-02T15:04:05.000-0700"

func fmtTime(t time.Time) string { return t.UTC().Format(jiraTime) }

func apiBase(base string, ver int) string { return base + "/rest/api/" + strconv.Itoa(ver) }

func (s *Server) userJSON(u *user, base string, ver int) any {
	if u == nil {
		return nil
	}
	out := map[string]any{
		"self":         apiBase(base, ver) + "/user?accountId=" + url.QueryEscape(u.AccountID),
		"accountId":    u.AccountID,
		"emailAddress": u.Email,
		"avatarUrls": map[string]string{
			"48x48": "https://avatar.example.com/" + u.AccountID + "/48",
			"24x24": "https://avatar.example.com/" + u.AccountID + "/24",
			"16x16": "https://avatar.example.com/" + u.AccountID + "/16",
			"32x32": "https://avatar.example.com/" + u.AccountID + "/32",
		},
		"displayName": u.DisplayName,
		"active":      true,
		"timeZone":    "Etc/UTC",
		"accountType": "atlassian",
	}
	if u.HideEmail {
		// Jira Cloud leaves the email out when the user's privacy
		// settings hide it from the caller.
		delete(out, "emailAddress")
	}
	return out
}

func categoryJSON(c category, base string, ver int) map[string]any {
	return map[string]any{
		"self":      apiBase(base, ver) + "/statuscategory/" + strconv.Itoa(c.ID),
		"id":        c.ID,
		"key":       c.Key,
		"colorName": c.Color,
		"name":      c.Name,
	}
}

func statusJSON(st *status, base string, ver int) map[string]any {
	return map[string]any{
		"self":             apiBase(base, ver) + "/status/" + st.ID,
		"description":      "",
		"iconUrl":          base + "/images/icons/statuses/generic.png",
		"name":             st.Name,
		"untranslatedName": st.Name,
		"id":               st.ID,
		"statusCategory":   categoryJSON(st.Cat, base, ver),
	}
}

func priorityJSON(p *priority, base string, ver int) any {
	if p == nil {
		return nil
	}
	return map[string]any{
		"self":    apiBase(base, ver) + "/priority/" + p.ID,
		"iconUrl": base + "/images/icons/priorities/" + p.Icon,
		"name":    p.Name,
		"id":      p.ID,
	}
}

func typeJSON(t *issueType, base string, ver int) map[string]any {
	return map[string]any{
		"self":           apiBase(base, ver) + "/issuetype/" + t.ID,
		"id":             t.ID,
		"description":    t.Description,
		"iconUrl":        base + "/images/icons/issuetypes/" + strings.ToLower(t.Name) + ".svg",
		"name":           t.Name,
		"subtask":        t.Hierarchy < 0,
		"hierarchyLevel": t.Hierarchy,
	}
}

func (s *Server) projectJSON(base string, ver int) map[string]any {
	return map[string]any{
		"self":           apiBase(base, ver) + "/project/" + s.project.ID,
		"id":             s.project.ID,
		"key":            s.project.Key,
		"name":           s.project.Name,
		"projectTypeKey": "software",
		"simplified":     false,
		"avatarUrls": map[string]string{
			"48x48": base + "/rest/api/2/universal_avatar/view/type/project/avatar/10417",
			"24x24": base + "/rest/api/2/universal_avatar/view/type/project/avatar/10417?size=small",
			"16x16": base + "/rest/api/2/universal_avatar/view/type/project/avatar/10417?size=xsmall",
			"32x32": base + "/rest/api/2/universal_avatar/view/type/project/avatar/10417?size=medium",
		},
	}
}

// richText renders a stored ADF body for API version ver.
func richText(n *adf.Node, ver int) any {
	if n == nil {
		return nil
	}
	if ver == 3 {
		return n
	}
	return adf.ToWiki(n)
}

func resolutionJSON(is *issue, base string, ver int) any {
	if is.Resolved.IsZero() {
		return nil
	}
	id, name := resolutionFor(is.Status)
	return map[string]any{"self": apiBase(base, ver) + "/resolution/" + id, "id": id, "name": name, "description": ""}
}

func resolutionFor(st *status) (id, name string) {
	if st.Name == "Won't Do" {
		return "10001", "Won't Do"
	}
	return "10000", "Done"
}

func (s *Server) commentJSON(c *comment, is *issue, base string, ver int) map[string]any {
	return map[string]any{
		"self":         apiBase(base, ver) + "/issue/" + strconv.Itoa(is.ID) + "/comment/" + strconv.Itoa(c.ID),
		"id":           strconv.Itoa(c.ID),
		"author":       s.userJSON(c.Author, base, ver),
		"body":         richText(c.Body, ver),
		"updateAuthor": s.userJSON(c.Updater, base, ver),
		"created":      fmtTime(c.Created),
		"updated":      fmtTime(c.Updated),
		"jsdPublic":    true,
	}
}

func (s *Server) liveComments(is *issue) []*comment {
	var out []*comment
	for _, c := range is.Comments {
		if !c.Deleted {
			out = append(out, c)
		}
	}
	return out
}

// allFields renders every field of is.
func (s *Server) allFields(is *issue, base string, ver int) map[string]any {
	f := map[string]any{
		"summary":                  is.Summary,
		"description":              richText(is.Desc, ver),
		"status":                   statusJSON(is.Status, base, ver),
		"statusCategory":           categoryJSON(is.Status.Cat, base, ver),
		"statuscategorychangedate": fmtTime(is.CatChanged),
		"priority":                 priorityJSON(is.Priority, base, ver),
		"issuetype":                typeJSON(is.Type, base, ver),
		"project":                  s.projectJSON(base, ver),
		"labels":                   nonNil(is.Labels),
		"assignee":                 s.userJSON(is.Assignee, base, ver),
		"reporter":                 s.userJSON(is.Reporter, base, ver),
		"creator":                  s.userJSON(is.Creator, base, ver),
		"created":                  fmtTime(is.Created),
		"updated":                  fmtTime(is.Updated),
		"duedate":                  nil,
		"resolution":               resolutionJSON(is, base, ver),
		"resolutiondate":           nil,
		"issuelinks":               s.issueLinksField(is, base, ver),
		"attachment":               s.attachmentField(is, base, ver),
		"components":               []any{},
		"fixVersions":              []any{},
		"environment":              nil,
		RankField:                  formatRank(is.Rank),
		StoryPointsField:           nil,
		SprintField:                sprintField(is),
	}
	if is.Parent != nil {
		f["parent"] = s.issueRef(is.Parent, base, ver)
	}
	subs := []any{}
	for _, c := range s.subtasks(is) {
		subs = append(subs, s.issueRef(c, base, ver))
	}
	f["subtasks"] = subs
	if is.DueDate != "" {
		f["duedate"] = is.DueDate
	}
	if !is.Resolved.IsZero() {
		f["resolutiondate"] = fmtTime(is.Resolved)
	}
	if is.StoryPoints != nil {
		f[StoryPointsField] = *is.StoryPoints
	}
	cs := s.liveComments(is)
	list := make([]any, 0, len(cs))
	for _, c := range cs {
		list = append(list, s.commentJSON(c, is, base, ver))
	}
	f["comment"] = map[string]any{
		"comments":   list,
		"self":       apiBase(base, ver) + "/issue/" + strconv.Itoa(is.ID) + "/comment",
		"maxResults": len(list),
		"total":      len(list),
		"startAt":    0,
	}
	return f
}

// issueRef is the short issue form of the parent and subtasks fields.
func (s *Server) issueRef(is *issue, base string, ver int) map[string]any {
	return map[string]any{
		"id":   strconv.Itoa(is.ID),
		"key":  is.Key,
		"self": apiBase(base, ver) + "/issue/" + strconv.Itoa(is.ID),
		"fields": map[string]any{
			"summary":   is.Summary,
			"status":    statusJSON(is.Status, base, ver),
			"priority":  priorityJSON(is.Priority, base, ver),
			"issuetype": typeJSON(is.Type, base, ver),
		},
	}
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// fieldSel decides which fields a response carries, following Jira's
// `fields` parameter: "*all", "*navigable", field ids, "-id" to exclude.
type fieldSel struct {
	all     bool
	include map[string]bool
	exclude map[string]bool
}

func parseFieldSel(params []string, def string) fieldSel {
	var items []string
	for _, p := range params {
		for _, it := range strings.Split(p, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
	}
	if len(items) == 0 {
		items = []string{def}
	}
	sel := fieldSel{include: map[string]bool{}, exclude: map[string]bool{}}
	onlyExcl := true
	for _, it := range items {
		switch {
		case it == "*all" || it == "*navigable":
			sel.all = true
			onlyExcl = false
		case strings.HasPrefix(it, "-"):
			sel.exclude[it[1:]] = true
		default:
			sel.include[it] = true
			onlyExcl = false
		}
	}
	if onlyExcl {
		sel.all = true // "-description" means navigable fields minus description
	}
	return sel
}

func (f fieldSel) has(id string) bool {
	if f.exclude[id] {
		return false
	}
	return f.all || f.include[id]
}

// onlyID says whether the selection asks for no field at all ("id").
func (f fieldSel) onlyID() bool {
	if f.all {
		return false
	}
	for k := range f.include {
		if k != "id" && k != "key" {
			return false
		}
	}
	return true
}

// propSel parses the `properties` parameter.
func propSel(params []string) (all bool, keys []string) {
	for _, p := range params {
		for _, k := range strings.Split(p, ",") {
			k = strings.TrimSpace(k)
			switch {
			case k == "":
			case k == "*all":
				all = true
			default:
				keys = append(keys, k)
			}
		}
	}
	return all, keys
}

type renderOpts struct {
	fields   fieldSel
	expand   []string
	props    []string
	allProps bool
	propsSet bool
}

func parseExpand(params []string) []string {
	var out []string
	for _, p := range params {
		for _, e := range strings.Split(p, ",") {
			if e = strings.TrimSpace(e); e != "" {
				out = append(out, e)
			}
		}
	}
	return out
}

// renderIssue renders an IssueBean.
func (s *Server) renderIssue(is *issue, base string, ver int, o renderOpts) map[string]any {
	out := map[string]any{
		"expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
		"id":     strconv.Itoa(is.ID),
		"self":   apiBase(base, ver) + "/issue/" + strconv.Itoa(is.ID),
		"key":    is.Key,
	}
	if !o.fields.onlyID() {
		all := s.allFields(is, base, ver)
		f := map[string]any{}
		for k, v := range all {
			if o.fields.has(k) {
				f[k] = v
			}
		}
		out["fields"] = f
	}
	if o.propsSet {
		props := map[string]any{}
		for k, v := range is.Props {
			if (o.allProps || slices.Contains(o.props, k)) && !slices.Contains(o.props, "-"+k) {
				props[k] = v
			}
		}
		out["properties"] = props
	}
	for _, e := range o.expand {
		switch e {
		case "changelog":
			hs := make([]any, 0, len(is.History))
			for _, h := range is.History {
				hs = append(hs, s.historyJSON(h, base, ver))
			}
			out["changelog"] = map[string]any{"startAt": 0, "maxResults": len(hs), "total": len(hs), "histories": hs}
		case "renderedFields":
			rf := map[string]any{"description": nil, "created": is.Created.Format("02/Jan/06 3:04 PM"), "updated": is.Updated.Format("02/Jan/06 3:04 PM")}
			if is.Desc != nil {
				rf["description"] = "<p>" + htmlEscape(adf.ToWiki(is.Desc)) + "</p>"
			}
			out["renderedFields"] = rf
		case "names":
			names := map[string]string{}
			for _, fd := range s.fieldDefs() {
				if o.fields.has(fd.ID) {
					names[fd.ID] = fd.Name
				}
			}
			out["names"] = names
		case "transitions":
			var ts []any
			for _, t := range s.transitionsFrom(is.Status.ID) {
				ts = append(ts, s.transitionJSON(t, base, ver))
			}
			out["transitions"] = ts
		}
	}
	return out
}

func htmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;")
	return r.Replace(s)
}

func (s *Server) historyJSON(h *history, base string, ver int) map[string]any {
	items := make([]any, 0, len(h.Items))
	for _, it := range h.Items {
		items = append(items, it.json())
	}
	return map[string]any{
		"id":      strconv.Itoa(h.ID),
		"author":  s.userJSON(h.Author, base, ver),
		"created": fmtTime(h.Created),
		"items":   items,
	}
}

func (c changeItem) json() map[string]any {
	m := map[string]any{
		"field":      c.Field,
		"fieldtype":  c.FieldType,
		"fieldId":    c.FieldID,
		"from":       c.From,
		"fromString": c.FromString,
		"to":         c.To,
		"toString":   c.ToString,
	}
	if c.FieldID == "" {
		// Jira logs some items without a fieldId (IssueParentAssociation).
		delete(m, "fieldId")
	}
	return m
}

func (s *Server) transitionJSON(t transition, base string, ver int) map[string]any {
	return map[string]any{
		"id":            t.ID,
		"name":          t.Name,
		"to":            statusJSON(s.statusByID(t.To), base, ver),
		"hasScreen":     false,
		"isGlobal":      false,
		"isInitial":     false,
		"isAvailable":   true,
		"isConditional": false,
		"isLooped":      false,
	}
}

type fieldDef struct {
	ID, Name, Type, Items, System, Custom string
	CustomID                              int
	Clause                                []string
}

func (s *Server) fieldDefs() []fieldDef {
	return []fieldDef{
		{ID: "summary", Name: "Summary", Type: "string", System: "summary", Clause: []string{"summary"}},
		{ID: "description", Name: "Description", Type: "string", System: "description", Clause: []string{"description"}},
		{ID: "status", Name: "Status", Type: "status", System: "status", Clause: []string{"status"}},
		{ID: "statusCategory", Name: "Status Category", Type: "statusCategory", System: "statusCategory", Clause: []string{"statusCategory"}},
		{ID: "priority", Name: "Priority", Type: "priority", System: "priority", Clause: []string{"priority"}},
		{ID: "issuetype", Name: "Issue Type", Type: "issuetype", System: "issuetype", Clause: []string{"issuetype", "type"}},
		{ID: "project", Name: "Project", Type: "project", System: "project", Clause: []string{"project"}},
		{ID: "labels", Name: "Labels", Type: "array", Items: "string", System: "labels", Clause: []string{"labels"}},
		{ID: "assignee", Name: "Assignee", Type: "user", System: "assignee", Clause: []string{"assignee"}},
		{ID: "reporter", Name: "Reporter", Type: "user", System: "reporter", Clause: []string{"reporter"}},
		{ID: "creator", Name: "Creator", Type: "user", System: "creator", Clause: []string{"creator"}},
		{ID: "created", Name: "Created", Type: "datetime", System: "created", Clause: []string{"created", "createdDate"}},
		{ID: "updated", Name: "Updated", Type: "datetime", System: "updated", Clause: []string{"updated", "updatedDate"}},
		{ID: "duedate", Name: "Due date", Type: "date", System: "duedate", Clause: []string{"due", "duedate"}},
		{ID: "resolution", Name: "Resolution", Type: "resolution", System: "resolution", Clause: []string{"resolution"}},
		{ID: "resolutiondate", Name: "Resolved", Type: "datetime", System: "resolutiondate", Clause: []string{"resolved", "resolutiondate"}},
		{ID: "parent", Name: "Parent", Type: "issuelink", System: "parent", Clause: []string{"parent"}},
		{ID: "subtasks", Name: "Sub-tasks", Type: "array", Items: "issuelinks", System: "subtasks", Clause: []string{"subtasks"}},
		{ID: "attachment", Name: "Attachment", Type: "array", Items: "attachment", System: "attachment", Clause: []string{"attachments"}},
		{ID: "comment", Name: "Comment", Type: "comments-page", System: "comment", Clause: []string{"comment"}},
		{ID: "issuekey", Name: "Key", Clause: []string{"id", "issue", "issuekey", "key"}},
		{ID: RankField, Name: "Rank", Type: "any", Custom: "com.pyxis.greenhopper.jira:gh-lexo-rank", CustomID: 10019, Clause: []string{"cf[10019]", "Rank"}},
		{ID: StoryPointsField, Name: "Story point estimate", Type: "number", Custom: "com.pyxis.greenhopper.jira:jsw-story-points", CustomID: 10016, Clause: []string{"cf[10016]", "Story point estimate"}},
		{ID: SprintField, Name: "Sprint", Type: "array", Items: "json", Custom: "com.pyxis.greenhopper.jira:gh-sprint", CustomID: 10020, Clause: []string{"cf[10020]", "Sprint"}},
	}
}

func (d fieldDef) json() map[string]any {
	m := map[string]any{
		"id":          d.ID,
		"key":         d.ID,
		"name":        d.Name,
		"custom":      d.Custom != "",
		"orderable":   d.ID != "issuekey",
		"navigable":   true,
		"searchable":  true,
		"clauseNames": d.Clause,
	}
	if d.Type != "" {
		sch := map[string]any{"type": d.Type}
		if d.Items != "" {
			sch["items"] = d.Items
		}
		if d.System != "" {
			sch["system"] = d.System
		}
		if d.Custom != "" {
			sch["custom"] = d.Custom
			sch["customId"] = d.CustomID
		}
		m["schema"] = sch
	}
	return m
}

// jsonString decodes a JSON string value, reporting whether it was one.
func jsonString(raw json.RawMessage) (string, bool) {
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", false
	}
	return v, true
}

func isNull(raw json.RawMessage) bool {
	return strings.TrimSpace(string(raw)) == "null" || len(raw) == 0
}

func itoa(i int) string { return strconv.Itoa(i) }
