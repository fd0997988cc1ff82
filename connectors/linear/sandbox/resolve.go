package sandbox

import (
	"slices"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/connectors/linear/sandbox/gql"
)

// Resolver objects: thin views of the world's entities. They run while the
// server holds s.mu.

type entity interface {
	gql.Object
	sortKey() (id string, created, updated time.Time)
}

// paginate orders items as Linear does (orderBy createdAt, the default, or
// updatedAt; newest first, id as the tie-break) and applies the Relay
// arguments. Cursors are entity ids; lookup resolves a cursor even when its
// entity is filtered out of this list.
func paginate(typ string, items []entity, args map[string]any, lookup func(string) entity) (*gql.Conn, error) {
	byUpdated := args["orderBy"] == "updatedAt"
	key := func(e entity) (time.Time, string) {
		id, c, u := e.sortKey()
		if byUpdated {
			return u, id
		}
		return c, id
	}
	// cmp < 0 when a comes first (newer).
	cmp := func(at time.Time, aid string, bt time.Time, bid string) int {
		if c := bt.Compare(at); c != 0 {
			return c
		}
		return strings.Compare(bid, aid)
	}
	items = slices.Clone(items)
	slices.SortStableFunc(items, func(a, b entity) int {
		at, aid := key(a)
		bt, bid := key(b)
		return cmp(at, aid, bt, bid)
	})
	lo, hi := 0, len(items)
	if after, ok := argStr(args, "after"); ok && after != "" {
		c := lookup(after)
		if c == nil {
			return nil, invalidInput("Invalid cursor: "+after, "The pagination cursor is invalid.")
		}
		ct, cid := key(c)
		for lo < hi {
			t, id := key(items[lo])
			if cmp(t, id, ct, cid) > 0 {
				break
			}
			lo++
		}
	}
	if before, ok := argStr(args, "before"); ok && before != "" {
		c := lookup(before)
		if c == nil {
			return nil, invalidInput("Invalid cursor: "+before, "The pagination cursor is invalid.")
		}
		ct, cid := key(c)
		n := lo
		for n < hi {
			t, id := key(items[n])
			if cmp(t, id, ct, cid) >= 0 {
				break
			}
			n++
		}
		hi = n
	}
	first, hasFirst := argInt(args, "first")
	last, hasLast := argInt(args, "last")
	if (hasFirst && first < 0) || (hasLast && last < 0) {
		return nil, invalidInput("Argument Validation Error", "first and last must be positive.")
	}
	if !hasFirst && !hasLast {
		first, hasFirst = 50, true
	}
	if hasFirst && hi-lo > first {
		hi = lo + first
	}
	if hasLast && hi-lo > last {
		lo = hi - last
	}
	conn := &gql.Conn{Type: typ, HasNext: hi < len(items), HasPrev: lo > 0}
	for _, e := range items[lo:hi] {
		id, _, _ := e.sortKey()
		conn.Nodes = append(conn.Nodes, e)
		conn.Cursors = append(conn.Cursors, id)
	}
	return conn, nil
}

func toEntities[T entity](xs []T) []entity {
	out := make([]entity, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// ---- views

type view struct {
	s      *Server
	viewer *user
}

func (v view) userObj(u *user) gql.Object {
	if u == nil {
		return nil
	}
	return &userObj{v, u}
}

func (v view) issueObj(i *issue) gql.Object {
	if i == nil {
		return nil
	}
	return &issueObj{v, i}
}

func (v view) stateObj(st *state) gql.Object {
	if st == nil {
		return nil
	}
	return &stateObj{v, st}
}

func (v view) teamObj(t *team) gql.Object {
	if t == nil {
		return nil
	}
	return &teamObj{v, t}
}

func (v view) cycleObj(c *cycle) gql.Object {
	if c == nil {
		return nil
	}
	return &cycleObj{v, c}
}

func (v view) lookupIssue(id string) entity {
	if i := v.s.w.issue(id); i != nil {
		return &issueObj{v, i}
	}
	return nil
}

// connection answers a connection field of type typ over base: the items
// match keeps (all when match is nil), wrapped, paginated; find resolves a
// cursor's id.
func connection[T any](typ string, base []*T, args map[string]any, match func(*T) (bool, error), find func(string) *T, wrap func(*T) entity) (any, error) {
	var out []entity
	for _, x := range base {
		if match != nil {
			ok, err := match(x)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		out = append(out, wrap(x))
	}
	return paginate(typ, out, args, func(id string) entity {
		if x := find(id); x != nil {
			return wrap(x)
		}
		return nil
	})
}

// issuesWhere answers an issues(...) field over the workspace's issues
// that keep holds for.
func (v view) issuesWhere(args map[string]any, keep func(*issue) bool) (any, error) {
	var base []*issue
	for _, i := range v.s.w.issues {
		if keep(i) {
			base = append(base, i)
		}
	}
	return v.issuesConn(base, args)
}

// issuesConn answers an issues(...) field over base (already scoped).
func (v view) issuesConn(base []*issue, args map[string]any) (any, error) {
	var out []entity
	filter := argMap(args, "filter")
	for _, i := range base {
		if (i.archivedAt != nil || i.trashed) && !argBool(args, "includeArchived") {
			continue
		}
		ok, err := v.s.matchIssue(filter, i)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, &issueObj{v, i})
		}
	}
	if sort, ok := args["sort"]; ok && sort != nil {
		return nil, unsupported("issues(sort:)")
	}
	return paginate("IssueConnection", out, args, v.lookupIssue)
}

func (v view) statesConn(base []*state, args map[string]any) (any, error) {
	filter := argMap(args, "filter")
	return connection("WorkflowStateConnection", base, args,
		func(st *state) (bool, error) { return v.s.matchState(filter, st) },
		v.s.w.state, func(st *state) entity { return &stateObj{v, st} })
}

func (v view) teamsConn(args map[string]any) (any, error) {
	filter := argMap(args, "filter")
	return connection("TeamConnection", v.s.w.teams, args,
		func(t *team) (bool, error) { return matchTeam(filter, t) },
		v.s.w.team, func(t *team) entity { return &teamObj{v, t} })
}

func (v view) usersConn(args map[string]any) (any, error) {
	filter := argMap(args, "filter")
	return connection("UserConnection", v.s.w.users, args,
		func(u *user) (bool, error) {
			if !u.active && !argBool(args, "includeDisabled") {
				return false, nil
			}
			return matchUser(filter, u)
		},
		v.s.w.userByID, func(u *user) entity { return &userObj{v, u} })
}

func (v view) labelsConn(base []*label, args map[string]any) (any, error) {
	filter := argMap(args, "filter")
	return connection("IssueLabelConnection", base, args,
		func(l *label) (bool, error) { return matchLabel(filter, l) },
		v.s.w.label, func(l *label) entity { return &labelObj{v, l} })
}

func (v view) commentsConn(base []*comment, args map[string]any) (any, error) {
	filter := argMap(args, "filter")
	return connection("CommentConnection", base, args,
		func(c *comment) (bool, error) { return v.s.matchComment(filter, c) },
		v.s.w.comment, func(c *comment) entity { return &commentObj{v, c} })
}

func (v view) webhooksConn(base []*webhook, args map[string]any) (any, error) {
	return connection("WebhookConnection", base, args, nil,
		v.s.w.webhook, func(h *webhook) entity { return &webhookObj{v, h} })
}

func (v view) cyclesConn(base []*cycle, args map[string]any) (any, error) {
	return connection("CycleConnection", base, args, nil,
		v.s.w.cycle, func(c *cycle) entity { return &cycleObj{v, c} })
}

func (v view) projectsConn(base []*project, args map[string]any) (any, error) {
	filter := argMap(args, "filter")
	return connection("ProjectConnection", base, args,
		func(p *project) (bool, error) { return v.s.matchProject(filter, p) },
		v.s.w.project, func(p *project) entity { return &projectObj{v, p} })
}

// ---- Query

type queryObj struct{ view }

func (q *queryObj) TypeName() string { return "Query" }

func (q *queryObj) Field(name string, args map[string]any) (any, error) {
	w := q.s.w
	id, _ := argStr(args, "id")
	switch name {
	case "viewer":
		return q.userObj(q.viewer), nil
	case "organization":
		return &orgObj{q.view}, nil
	case "teams":
		return q.teamsConn(args)
	case "team":
		if t := w.team(id); t != nil {
			return q.teamObj(t), nil
		}
		return nil, notFound("Team")
	case "workflowStates":
		return q.statesConn(w.states, args)
	case "workflowState":
		if st := w.state(id); st != nil {
			return q.stateObj(st), nil
		}
		return nil, notFound("WorkflowState")
	case "users":
		return q.usersConn(args)
	case "user":
		if u := w.userByID(id); u != nil {
			return q.userObj(u), nil
		}
		return nil, notFound("User")
	case "issueLabels":
		return q.labelsConn(w.labels, args)
	case "issueLabel":
		if l := w.label(id); l != nil {
			return &labelObj{q.view, l}, nil
		}
		return nil, notFound("IssueLabel")
	case "issues":
		f := argMap(args, "filter")
		base := w.narrowIssues(f)
		if t, ok := q.s.updatedBound(f); ok {
			// A bounded query lists by updatedAt, from the index or from
			// the narrowed issues, whichever is shorter.
			if recent := w.updatedFrom(t); len(recent) <= len(base) {
				base = recent
			} else {
				base = slices.SortedFunc(slices.Values(base), cmpUpdated)
			}
		}
		if len(base) == 0 && len(w.issues) > 0 {
			// The filter's errors still show when nothing can match.
			if _, err := q.s.matchIssue(f, w.issues[0]); err != nil {
				return nil, err
			}
		}
		return q.issuesConn(base, args)
	case "issueRelations":
		return q.relationsConn(args, nil)
	case "issueRelation":
		if r := byID(w.relations, id); r != nil {
			return &relationObj{q.view, r}, nil
		}
		return nil, notFound("IssueRelation")
	case "issue": // a trashed (deleted) issue still reads, with trashed: true
		if i := w.issue(id); i != nil {
			return q.issueObj(i), nil
		}
		return nil, notFound("Issue")
	case "comments":
		return q.commentsConn(w.comments, args)
	case "comment":
		if c := w.comment(id); c != nil {
			return &commentObj{q.view, c}, nil
		}
		return nil, notFound("Comment")
	case "webhooks":
		return q.webhooksConn(w.webhooks, args)
	case "webhook":
		if h := w.webhook(id); h != nil {
			return &webhookObj{q.view, h}, nil
		}
		return nil, notFound("Webhook")
	case "cycles":
		return q.cyclesConn(w.cycles, args)
	case "cycle":
		if c := w.cycle(id); c != nil {
			return q.cycleObj(c), nil
		}
		return nil, notFound("Cycle")
	case "projects":
		return q.projectsConn(w.projects, args)
	case "projectStatuses":
		return q.projectStatusesConn(args)
	case "project":
		if p := w.project(id); p != nil {
			return &projectObj{q.view, p}, nil
		}
		return nil, notFound("Project")
	}
	if v, ok, err := q.attachmentQuery(name, args); ok {
		return v, err
	}
	return nil, gql.ErrUnmodelled
}

// ---- Organization

type orgObj struct{ view }

func (o *orgObj) TypeName() string { return "Organization" }
func (o *orgObj) Field(name string, args map[string]any) (any, error) {
	w := o.s.w
	switch name {
	case "id":
		return w.orgID, nil
	case "name":
		return w.orgName, nil
	case "urlKey":
		return w.urlKey, nil
	case "createdAt", "updatedAt":
		return w.orgCreated, nil
	case "userCount":
		return len(w.users), nil
	case "users":
		return o.usersConn(args)
	case "teams":
		return o.teamsConn(args)
	case "labels":
		return o.labelsConn(w.labels, args)
	}
	return nil, gql.ErrUnmodelled
}

// ---- User

type userObj struct {
	view
	u *user
}

func (o *userObj) TypeName() string { return "User" }
func (o *userObj) sortKey() (string, time.Time, time.Time) {
	return o.u.id, o.u.createdAt, o.u.createdAt
}
func (o *userObj) Field(name string, args map[string]any) (any, error) {
	u := o.u
	switch name {
	case "id":
		return u.id, nil
	case "name":
		return u.name, nil
	case "displayName":
		return u.displayName, nil
	case "email":
		return u.email, nil
	case "active":
		return u.active, nil
	case "admin":
		return u.admin, nil
	case "isMe":
		return o.viewer == u, nil
	case "createdAt", "updatedAt":
		return u.createdAt, nil
	case "url":
		return "https://linear.app/" + o.s.w.urlKey + "/profiles/" + u.displayName, nil
	case "initials":
		var b strings.Builder
		for _, p := range strings.Fields(u.name) {
			b.WriteString(strings.ToUpper(p[:1]))
		}
		return b.String(), nil
	case "avatarBackgroundColor":
		return "#5e6ad2", nil
	case "isAssignable", "isMentionable":
		return u.active, nil
	case "organization":
		return &orgObj{o.view}, nil
	case "assignedIssues", "createdIssues":
		return o.issuesWhere(args, func(i *issue) bool {
			return name == "assignedIssues" && i.assignee == u || name == "createdIssues" && i.creator == u
		})
	case "teams":
		return o.teamsConn(args)
	}
	return nil, gql.ErrUnmodelled
}

// ---- Team

type teamObj struct {
	view
	t *team
}

func (o *teamObj) TypeName() string { return "Team" }
func (o *teamObj) sortKey() (string, time.Time, time.Time) {
	return o.t.id, o.t.createdAt, o.t.createdAt
}
func (o *teamObj) Field(name string, args map[string]any) (any, error) {
	t, w := o.t, o.s.w
	switch name {
	case "id":
		return t.id, nil
	case "key":
		return t.key, nil
	case "name", "displayName":
		return t.name, nil
	case "createdAt", "updatedAt":
		return t.createdAt, nil
	case "timezone":
		return "Etc/UTC", nil
	case "organization":
		return &orgObj{o.view}, nil
	case "states":
		return o.statesConn(w.teamStates(t), args)
	case "defaultIssueState":
		return o.stateObj(o.s.defaultState(t)), nil
	case "issues":
		return o.issuesWhere(args, func(i *issue) bool { return i.team == t })
	case "issueCount":
		n := 0
		for _, i := range w.issues {
			if i.team == t && (i.archivedAt == nil || argBool(args, "includeArchived")) {
				n++
			}
		}
		return n, nil
	case "labels":
		var base []*label
		for _, l := range w.labels {
			if l.team == nil || l.team == t {
				base = append(base, l)
			}
		}
		return o.labelsConn(base, args)
	case "members":
		return o.usersConn(args)
	case "webhooks":
		var base []*webhook
		for _, h := range w.webhooks {
			if h.team == t {
				base = append(base, h)
			}
		}
		return o.webhooksConn(base, args)
	case "cycles":
		var base []*cycle
		for _, c := range w.cycles {
			if c.team == t {
				base = append(base, c)
			}
		}
		return o.cyclesConn(base, args)
	case "activeCycle":
		now := o.s.now()
		for _, c := range w.cycles {
			if c.team == t && !now.Before(c.startsAt) && now.Before(c.endsAt) {
				return o.cycleObj(c), nil
			}
		}
		return nil, nil
	case "cyclesEnabled":
		return true, nil
	case "projects":
		var base []*project
		for _, p := range w.projects {
			if slices.Contains(p.teams, t) {
				base = append(base, p)
			}
		}
		return o.projectsConn(base, args)
	case "issueEstimationType":
		return t.estType, nil
	case "issueEstimationAllowZero":
		return t.estZero, nil
	case "issueEstimationExtended":
		return t.estExtend, nil
	}
	return nil, gql.ErrUnmodelled
}

// ---- WorkflowState

type stateObj struct {
	view
	st *state
}

func (o *stateObj) TypeName() string { return "WorkflowState" }
func (o *stateObj) sortKey() (string, time.Time, time.Time) {
	return o.st.id, o.st.createdAt, o.st.createdAt
}
func (o *stateObj) Field(name string, args map[string]any) (any, error) {
	st := o.st
	switch name {
	case "id":
		return st.id, nil
	case "name":
		return st.name, nil
	case "type":
		return st.typ, nil
	case "color":
		return st.color, nil
	case "position":
		return st.position, nil
	case "team":
		return o.teamObj(st.team), nil
	case "createdAt", "updatedAt":
		return st.createdAt, nil
	case "issues":
		return o.issuesWhere(args, func(i *issue) bool { return i.state == st })
	}
	return nil, gql.ErrUnmodelled
}

// ---- IssueLabel

type labelObj struct {
	view
	l *label
}

func (o *labelObj) TypeName() string { return "IssueLabel" }
func (o *labelObj) sortKey() (string, time.Time, time.Time) {
	return o.l.id, o.l.createdAt, o.l.updatedAt
}
func (o *labelObj) Field(name string, args map[string]any) (any, error) {
	l := o.l
	switch name {
	case "id":
		return l.id, nil
	case "name":
		return l.name, nil
	case "color":
		return l.color, nil
	case "description":
		return nullStr(l.description), nil
	case "team":
		return o.teamObj(l.team), nil
	case "createdAt":
		return l.createdAt, nil
	case "updatedAt":
		return l.updatedAt, nil
	case "isGroup":
		return false, nil
	case "organization":
		return &orgObj{o.view}, nil
	case "issues":
		return o.issuesWhere(args, func(i *issue) bool { return slices.Contains(i.labels, l) })
	}
	return nil, gql.ErrUnmodelled
}

// ---- Cycle

type cycleObj struct {
	view
	c *cycle
}

func (o *cycleObj) TypeName() string { return "Cycle" }
func (o *cycleObj) sortKey() (string, time.Time, time.Time) {
	return o.c.id, o.c.createdAt, o.c.createdAt
}
func (o *cycleObj) Field(name string, args map[string]any) (any, error) {
	c := o.c
	switch name {
	case "id":
		return c.id, nil
	case "number":
		return float64(c.number), nil
	case "name":
		return nullStr(c.name), nil
	case "startsAt":
		return c.startsAt, nil
	case "endsAt":
		return c.endsAt, nil
	case "createdAt", "updatedAt":
		return c.createdAt, nil
	case "team":
		return o.teamObj(c.team), nil
	case "issues":
		return o.issuesWhere(args, func(i *issue) bool { return i.cycle == c })
	}
	return nil, gql.ErrUnmodelled
}

// ---- Project

type projectObj struct {
	view
	p *project
}

func (o *projectObj) TypeName() string { return "Project" }
func (o *projectObj) sortKey() (string, time.Time, time.Time) {
	return o.p.id, o.p.createdAt, o.p.updatedAt
}
func (o *projectObj) Field(name string, args map[string]any) (any, error) {
	p := o.p
	switch name {
	case "id":
		return p.id, nil
	case "name":
		return p.name, nil
	case "slugId":
		return p.slugID, nil
	case "description":
		return p.description, nil
	case "content", "targetDate", "status", "state", "trashed", "archivedAt":
		return o.more(name)
	case "url":
		return "https://linear.app/" + o.s.w.urlKey + "/project/" + slug(p.name) + "-" + p.slugID, nil
	case "createdAt":
		return p.createdAt, nil
	case "updatedAt":
		return p.updatedAt, nil
	case "teams":
		var out []entity
		for _, t := range p.teams {
			out = append(out, &teamObj{o.view, t})
		}
		return paginate("TeamConnection", out, args, func(id string) entity {
			if t := o.s.w.team(id); t != nil {
				return &teamObj{o.view, t}
			}
			return nil
		})
	case "issues":
		return o.issuesWhere(args, func(i *issue) bool { return i.project == p })
	}
	return nil, gql.ErrUnmodelled
}

// ---- Issue

type issueObj struct {
	view
	i *issue
}

func (o *issueObj) TypeName() string { return "Issue" }
func (o *issueObj) sortKey() (string, time.Time, time.Time) {
	return o.i.id, o.i.createdAt, o.i.updatedAt
}
func (o *issueObj) Field(name string, args map[string]any) (any, error) {
	i, w := o.i, o.s.w
	switch name {
	case "id":
		return i.id, nil
	case "identifier":
		return i.identifier, nil
	case "number":
		return float64(i.number), nil
	case "title":
		return i.title, nil
	case "description":
		return nullStr(i.description), nil
	case "priority":
		return float64(i.priority), nil
	case "priorityLabel":
		return priorityLabel(i.priority), nil
	case "estimate":
		return i.estimate, nil
	case "dueDate":
		return nullStr(i.dueDate), nil
	case "state":
		return o.stateObj(i.state), nil
	case "assignee":
		return o.userObj(i.assignee), nil
	case "creator":
		return o.userObj(i.creator), nil
	case "labelIds":
		return labelIDs(i.labels), nil
	case "labels":
		return o.labelsConn(i.labels, args)
	case "parent":
		return o.issueObj(i.parent), nil
	case "children":
		return o.issuesWhere(args, func(c *issue) bool { return c.parent == i })
	case "cycle":
		return o.cycleObj(i.cycle), nil
	case "project":
		if i.project == nil {
			return nil, nil
		}
		return &projectObj{o.view, i.project}, nil
	case "sortOrder", "prioritySortOrder", "boardOrder":
		return i.sortOrder, nil
	case "createdAt":
		return i.createdAt, nil
	case "updatedAt":
		return i.updatedAt, nil
	case "archivedAt":
		return i.archivedAt, nil
	case "completedAt":
		return i.completedAt, nil
	case "canceledAt":
		return i.canceledAt, nil
	case "startedAt":
		return i.startedAt, nil
	case "trashed":
		if i.trashed {
			return true, nil
		}
		return nil, nil
	case "url":
		return w.issueURL(i), nil
	case "branchName":
		return w.branchName(i), nil
	case "team":
		return o.teamObj(i.team), nil
	case "previousIdentifiers":
		return []string{}, nil
	case "sharedAccess": // nothing is shared in the sandbox; every field takes its default
		return &gql.Fields{Type: "IssueSharedAccess", Values: map[string]any{}}, nil
	case "comments":
		var base []*comment
		for _, c := range w.comments {
			if c.issue == i {
				base = append(base, c)
			}
		}
		return o.commentsConn(base, args)
	case "relations":
		return o.relationsConn(args, func(r *relation) bool { return r.issue == i })
	case "inverseRelations":
		return o.relationsConn(args, func(r *relation) bool { return r.related == i })
	case "attachments":
		return o.attachmentsConn(w.issueAttachments(i), args)
	case "history":
		out := make([]entity, 0, len(i.history))
		for _, h := range i.history {
			out = append(out, &historyObj{o.view, h})
		}
		return paginate("IssueHistoryConnection", out, args, func(id string) entity {
			for _, h := range i.history {
				if h.id == id {
					return &historyObj{o.view, h}
				}
			}
			return nil
		})
	}
	return nil, gql.ErrUnmodelled
}

// ---- Comment

type commentObj struct {
	view
	c *comment
}

func (o *commentObj) TypeName() string { return "Comment" }
func (o *commentObj) sortKey() (string, time.Time, time.Time) {
	return o.c.id, o.c.createdAt, o.c.updatedAt
}
func (o *commentObj) Field(name string, args map[string]any) (any, error) {
	c := o.c
	switch name {
	case "id":
		return c.id, nil
	case "body":
		return c.body, nil
	case "user":
		return o.userObj(c.user), nil
	case "issue":
		return o.issueObj(c.issue), nil
	case "issueId":
		return c.issue.id, nil
	case "parent":
		if c.parent == nil {
			return nil, nil
		}
		return &commentObj{o.view, c.parent}, nil
	case "parentId":
		if c.parent == nil {
			return nil, nil
		}
		return c.parent.id, nil
	case "children":
		var base []*comment
		for _, x := range o.s.w.comments {
			if x.parent == c {
				base = append(base, x)
			}
		}
		return o.commentsConn(base, args)
	case "createdAt":
		return c.createdAt, nil
	case "updatedAt":
		return c.updatedAt, nil
	case "editedAt":
		return c.editedAt, nil
	case "url":
		return o.s.w.issueURL(c.issue) + "#comment-" + c.id[:8], nil
	case "reactionData":
		return map[string]any{}, nil
	}
	return nil, gql.ErrUnmodelled
}

// ---- IssueHistory

type historyObj struct {
	view
	h *history
}

func (o *historyObj) TypeName() string { return "IssueHistory" }
func (o *historyObj) sortKey() (string, time.Time, time.Time) {
	return o.h.id, o.h.createdAt, o.h.createdAt
}
func (o *historyObj) Field(name string, _ map[string]any) (any, error) {
	h := o.h
	labelObjs := func(ids []string) any {
		if ids == nil {
			return nil
		}
		var out []gql.Object
		for _, id := range ids {
			if l := o.s.w.label(id); l != nil {
				out = append(out, &labelObj{o.view, l})
			}
		}
		return out
	}
	switch name {
	case "id":
		return h.id, nil
	case "issue":
		return o.issueObj(h.issue), nil
	case "actor":
		return o.userObj(h.actor), nil
	case "actorId":
		return idOrNil(h.actor), nil
	case "createdAt", "updatedAt":
		return h.createdAt, nil
	case "fromState":
		return o.stateObj(h.fromState), nil
	case "toState":
		return o.stateObj(h.toState), nil
	case "fromStateId":
		return idOrNil(h.fromState), nil
	case "toStateId":
		return idOrNil(h.toState), nil
	case "fromTitle":
		return h.fromTitle, nil
	case "toTitle":
		return h.toTitle, nil
	case "fromPriority":
		return h.fromPriority, nil
	case "toPriority":
		return h.toPriority, nil
	case "fromAssignee":
		return o.userObj(h.fromAssignee), nil
	case "toAssignee":
		return o.userObj(h.toAssignee), nil
	case "fromAssigneeId":
		return idOrNil(h.fromAssignee), nil
	case "toAssigneeId":
		return idOrNil(h.toAssignee), nil
	case "fromEstimate":
		return h.fromEstimate, nil
	case "toEstimate":
		return h.toEstimate, nil
	case "fromDueDate":
		return emptyNil(h.fromDueDate), nil
	case "toDueDate":
		return emptyNil(h.toDueDate), nil
	case "fromParent":
		return o.issueObj(h.fromParent), nil
	case "toParent":
		return o.issueObj(h.toParent), nil
	case "fromParentId":
		return idOrNil(h.fromParent), nil
	case "toParentId":
		return idOrNil(h.toParent), nil
	case "fromCycle":
		return o.cycleObj(h.fromCycle), nil
	case "toCycle":
		return o.cycleObj(h.toCycle), nil
	case "fromCycleId":
		return idOrNil(h.fromCycle), nil
	case "toCycleId":
		return idOrNil(h.toCycle), nil
	case "addedLabelIds":
		return h.addedLabels, nil
	case "removedLabelIds":
		return h.removedLbls, nil
	case "addedLabels":
		return labelObjs(h.addedLabels), nil
	case "removedLabels":
		return labelObjs(h.removedLbls), nil
	case "updatedDescription":
		return h.updatedDescription, nil
	case "descriptionUpdatedBy":
		// One entry per update here, so its one actor edited the
		// description (Linear may fold several editors into one entry).
		if !h.updatedDescription || h.actor == nil {
			return nil, nil
		}
		return []gql.Object{o.userObj(h.actor)}, nil
	case "changes":
		// IssueHistory has no sortOrder field; a manual reorder is kept in
		// the [Internal] changes object, as {"sortOrder":{"from":…,"to":…}}
		// (the shape is ours: Linear does not document it).
		if h.fromSort == nil {
			return nil, nil
		}
		return map[string]any{"sortOrder": map[string]any{"from": *h.fromSort, "to": *h.toSort}}, nil
	case "archived":
		return h.archived, nil
	case "trashed":
		return h.trashed, nil
	}
	return nil, gql.ErrUnmodelled
}

func emptyNil(s *string) any {
	if s == nil || *s == "" {
		return nil
	}
	return *s
}

// ---- Webhook

type webhookObj struct {
	view
	h *webhook
}

func (o *webhookObj) TypeName() string { return "Webhook" }
func (o *webhookObj) sortKey() (string, time.Time, time.Time) {
	return o.h.id, o.h.createdAt, o.h.updatedAt
}
func (o *webhookObj) Field(name string, _ map[string]any) (any, error) {
	h := o.h
	switch name {
	case "id":
		return h.id, nil
	case "url":
		return h.url, nil
	case "label":
		return nullStr(h.label), nil
	case "secret":
		return nullStr(h.secret), nil
	case "team":
		return o.teamObj(h.team), nil
	case "teamIds":
		if h.team == nil {
			return nil, nil
		}
		return []string{h.team.id}, nil
	case "resourceTypes":
		return h.resourceTypes, nil
	case "enabled":
		return h.enabled, nil
	case "allPublicTeams":
		return h.allPublicTeams, nil
	case "creator":
		return o.userObj(h.creator), nil
	case "createdAt":
		return h.createdAt, nil
	case "updatedAt":
		return h.updatedAt, nil
	case "failures":
		return []gql.Object{}, nil
	}
	return nil, gql.ErrUnmodelled
}
