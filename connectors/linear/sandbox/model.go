package sandbox

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The in-memory workspace. Every field is guarded by Server.mu.

type user struct {
	id, name, displayName, email, key string
	active, admin                     bool
	createdAt                         time.Time
}

type team struct {
	id, key, name string
	createdAt     time.Time
	nextNumber    int
	// Estimation settings (Team.issueEstimationType, …AllowZero,
	// …Extended).
	estType            string
	estZero, estExtend bool
}

// estimateScale lists the estimates a team accepts, ascending; nil when
// estimates are off (notUsed). Linear's estimates guide: exponential 1, 2,
// 4, 8, 16; Fibonacci 1, 2, 3, 5, 8; linear 1–5; T-shirt XS…XL stored as 1,
// 2, 3, 5, 8; "extend" adds two points (32, 64; 13, 21; 6, 7; XXL 13, XXXL
// 21); "allow zero" adds 0.
func (t *team) estimateScale() []float64 {
	var base, ext []float64
	switch t.estType {
	case "exponential":
		base, ext = []float64{1, 2, 4, 8, 16}, []float64{32, 64}
	case "fibonacci", "tShirt":
		base, ext = []float64{1, 2, 3, 5, 8}, []float64{13, 21}
	case "linear":
		base, ext = []float64{1, 2, 3, 4, 5}, []float64{6, 7}
	default:
		return nil
	}
	var out []float64
	if t.estZero {
		out = append(out, 0)
	}
	out = append(out, base...)
	if t.estExtend {
		out = append(out, ext...)
	}
	return out
}

// displayName is how Linear's UI shows a cycle: its name, else "Cycle N".
func (c *cycle) displayName() string {
	if c.name != "" {
		return c.name
	}
	return "Cycle " + strconv.Itoa(c.number)
}

type state struct {
	id, name, typ, color string
	position             float64
	team                 *team
	createdAt            time.Time
}

type label struct {
	id, name, color, description string
	team                         *team // nil: a workspace label
	createdAt, updatedAt         time.Time
}

type cycle struct {
	id               string
	number           int
	name             string
	team             *team
	startsAt, endsAt time.Time
	createdAt        time.Time
}

type project struct {
	id, name, slugID, description string
	content                       string // the long Markdown body
	targetDate                    string // YYYY-MM-DD or ""
	status                        *projectStatus
	trashed                       bool
	archivedAt                    *time.Time
	teams                         []*team
	createdAt, updatedAt          time.Time
}

type issue struct {
	id, identifier    string
	number            int
	title             string
	description       string
	priority          int
	estimate          *float64
	dueDate           string
	state             *state
	assignee, creator *user
	labels            []*label
	parent            *issue
	cycle             *cycle
	project           *project
	sortOrder         float64
	team              *team
	createdAt         time.Time
	updatedAt         time.Time
	archivedAt        *time.Time
	completedAt       *time.Time
	canceledAt        *time.Time
	startedAt         *time.Time
	trashed           bool
	history           []*history
	seq               int // its place in world.issues, see candidates.go
}

type comment struct {
	id, body             string
	user                 *user
	issue                *issue
	parent               *comment // a reply's thread root; nil for a top-level comment
	createdAt, updatedAt time.Time
	editedAt             *time.Time
}

type history struct {
	id                       string
	issue                    *issue
	actor                    *user
	createdAt                time.Time
	fromState, toState       *state
	fromTitle, toTitle       *string
	fromPriority, toPriority *float64
	fromAssignee, toAssignee *user
	fromEstimate, toEstimate *float64
	fromDueDate, toDueDate   *string
	fromParent, toParent     *issue
	fromCycle, toCycle       *cycle
	fromSort, toSort         *float64 // sortOrder: only in changes, IssueHistory has no field for it
	addedLabels, removedLbls []string
	updatedDescription       bool
	projectChanged           bool // recorded as an entry; its from/to ids are not modelled
	archived                 *bool
	trashed                  *bool
}

type webhook struct {
	id, url, label, secret string
	team                   *team
	allPublicTeams         bool
	resourceTypes          []string
	enabled                bool
	creator                *user
	createdAt, updatedAt   time.Time
}

type world struct {
	orgID, orgName, urlKey string
	orgCreated             time.Time
	users                  []*user
	teams                  []*team
	states                 []*state
	labels                 []*label
	cycles                 []*cycle
	projects               []*project
	projectStatuses        []*projectStatus
	issues                 []*issue
	comments               []*comment
	webhooks               []*webhook
	relations              []*relation   // see relations.go
	attachments            []*attachment // see attachments.go
	lastSyncID             float64
	byKey                  map[string]*issue        // id and upper-case identifier
	byUpdated              []*issue                 // every issue by updatedAt, see index.go
	text                   textIndex                // title and description trigrams, see candidates.go
	issueFiles             map[*issue][]*attachment // every issue's attachments, oldest first
}

// addIssue stores a new issue and indexes it.
func (w *world) addIssue(i *issue) {
	if w.byKey == nil {
		w.byKey = map[string]*issue{}
	}
	i.seq = len(w.issues)
	w.issues = append(w.issues, i)
	w.byKey[i.id] = i
	w.byKey[strings.ToUpper(i.identifier)] = i
	w.indexUpdated(i)
	w.indexText(i)
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func newID() string { return uuid.NewString() }

func (w *world) syncID() float64 { w.lastSyncID++; return w.lastSyncID }

// idEntity is a model pointer type with an id.
type idEntity[T any] interface {
	*T
	entityID() string
}

func (x *state) entityID() string   { return x.id }
func (x *user) entityID() string    { return x.id }
func (x *issue) entityID() string   { return x.id }
func (x *project) entityID() string { return x.id }
func (x *cycle) entityID() string   { return x.id }
func (x *label) entityID() string   { return x.id }
func (x *comment) entityID() string { return x.id }
func (x *webhook) entityID() string { return x.id }

// byID is the element of xs with the id, or nil.
func byID[T any, P idEntity[T]](xs []P, id string) P {
	for _, x := range xs {
		if x.entityID() == id {
			return x
		}
	}
	return nil
}

func (w *world) userByID(id string) *user { return byID(w.users, id) }

func (w *world) userByEmail(email string) *user {
	for _, u := range w.users {
		if strings.EqualFold(u.email, email) {
			return u
		}
	}
	return nil
}

func (w *world) userByKey(key string) *user {
	if key == "" {
		return nil
	}
	for _, u := range w.users {
		if u.key == key {
			return u
		}
	}
	return nil
}

// team accepts an id or a key, as Linear's team(id:) does.
func (w *world) team(idOrKey string) *team {
	for _, t := range w.teams {
		if t.id == idOrKey || strings.EqualFold(t.key, idOrKey) {
			return t
		}
	}
	return nil
}

func (w *world) state(id string) *state { return byID(w.states, id) }

func (w *world) teamStates(t *team) []*state {
	var out []*state
	for _, s := range w.states {
		if s.team == t {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b *state) int { return cmpFloat(a.position, b.position) })
	return out
}

func (w *world) label(id string) *label { return byID(w.labels, id) }

func (w *world) cycle(id string) *cycle { return byID(w.cycles, id) }

// project accepts an id or a slugId.
func (w *world) project(idOrSlug string) *project {
	for _, p := range w.projects {
		if p.id == idOrSlug || p.slugID == idOrSlug {
			return p
		}
	}
	return nil
}

// issue accepts a UUID or an identifier such as "ENG-12".
func (w *world) issue(idOrIdentifier string) *issue {
	if i, ok := w.byKey[idOrIdentifier]; ok {
		return i
	}
	return w.byKey[strings.ToUpper(idOrIdentifier)]
}

func (w *world) comment(id string) *comment { return byID(w.comments, id) }

func (w *world) webhook(id string) *webhook { return byID(w.webhooks, id) }

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var priorityLabels = []string{"No priority", "Urgent", "High", "Medium", "Low"}

func priorityLabel(p int) string {
	if p >= 0 && p < len(priorityLabels) {
		return priorityLabels[p]
	}
	return priorityLabels[0]
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

func slug(title string) string {
	s := strings.Trim(slugRE.ReplaceAllString(strings.ToLower(title), "-"), "-")
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-")
	}
	return s
}

func (w *world) issueURL(i *issue) string {
	return fmt.Sprintf("https://linear.app/%s/issue/%s/%s", w.urlKey, i.identifier, slug(i.title))
}

func (w *world) branchName(i *issue) string {
	b := strings.ToLower(i.identifier)
	if s := slug(i.title); s != "" {
		b += "-" + s
	}
	if i.assignee != nil {
		b = strings.Split(i.assignee.email, "@")[0] + "/" + b
	}
	return b
}

// sortedIssues returns the issues in manual order: sortOrder, then creation.
func (w *world) sortedIssues() []*issue {
	out := slices.Clone(w.issues)
	slices.SortStableFunc(out, func(a, b *issue) int {
		if c := cmpFloat(a.sortOrder, b.sortOrder); c != 0 {
			return c
		}
		return a.createdAt.Compare(b.createdAt)
	})
	return out
}

func ptr[T any](v T) *T { return &v }
