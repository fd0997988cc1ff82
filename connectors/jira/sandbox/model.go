package sandbox

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/connectors/jira/adf"
)

// Field ids of the custom fields, as on a typical Jira Cloud site (they
// differ per site; clients must find them through GET /field).
const (
	RankField        = "customfield_10019"
	StoryPointsField = "customfield_10016"
	SprintField      = "customfield_10020"
)

// Seed accounts.
const (
	BotEmail = "tandem-bot@example.com"
	BotToken = "jira-bot-token"
)

type user struct {
	AccountID   string
	Email       string
	DisplayName string
	Token       string
	HideEmail   bool // the profile's email visibility is not "anyone"
}

// category is a Jira status category.
type category struct {
	ID    int
	Key   string
	Color string
	Name  string
}

var (
	catNew  = category{2, "new", "blue-gray", "To Do"}
	catProg = category{4, "indeterminate", "yellow", "In Progress"}
	catDone = category{3, "done", "green", "Done"}
)

type status struct {
	ID   string
	Name string
	Cat  category
}

type priority struct {
	ID, Name, Icon, Color string
}

type issueType struct {
	ID, Name, Description string
	Hierarchy             int
}

// transition is one workflow transition: available from any status in From.
type transition struct {
	ID   string
	Name string
	From []string // status ids
	To   string   // status id
}

type project struct {
	ID, Key, Name string
}

// history is one changelog entry.
type history struct {
	ID      int
	Author  *user
	Created time.Time
	Items   []changeItem
}

type changeItem struct {
	Field      string
	FieldType  string
	FieldID    string
	From       *string
	FromString *string
	To         *string
	ToString   *string
}

type comment struct {
	ID       int
	Author   *user
	Updater  *user
	Body     *adf.Node
	Created  time.Time
	Updated  time.Time
	IssueID  int
	Deleted  bool
	Property map[string]json.RawMessage
}

type issue struct {
	ID          int
	Key         string
	Project     *project
	Type        *issueType
	Summary     string
	Desc        *adf.Node // nil: no description
	Status      *status
	Priority    *priority
	Labels      []string
	Assignee    *user
	Reporter    *user
	Creator     *user
	DueDate     string
	StoryPoints *float64
	Parent      *issue    // nil: none
	Sprints     []*sprint // every sprint it was in, oldest first; at most one open
	Rank        string    // LexoRank digits without bucket and colon, see rank.go
	Created     time.Time
	Updated     time.Time
	CatChanged  time.Time
	Resolved    time.Time // zero when unresolved
	Props       map[string]json.RawMessage
	Comments    []*comment
	History     []*history
}

func (s *Server) seedCatalog() {
	s.users = []*user{
		{AccountID: "5b10ac8d82e05b22cc7d4ef5", Email: BotEmail, DisplayName: "Tandem Bot", Token: BotToken},
		{AccountID: "5b10a2844c20165700ede21g", Email: "alice@example.com", DisplayName: "Alice Example", Token: "alice-token"},
		{AccountID: "5b109f2e9729b51b54dc274d", Email: "bob@example.com", DisplayName: "Bob Example", Token: "bob-token"},
		{AccountID: "5b10ac8d82e05b22cc7d4ef6", Email: "carol@example.com", DisplayName: "Carol Example", Token: "carol-token"},
	}
	s.statuses = []*status{
		{"10000", "To Do", catNew},
		{"3", "In Progress", catProg},
		{"10001", "In Review", catProg},
		{"10002", "Done", catDone},
		{"10003", "Won't Do", catDone},
	}
	s.transitions = []transition{
		{"11", "Start Progress", []string{"10000"}, "3"},
		{"21", "Request Review", []string{"3"}, "10001"},
		{"31", "Stop Progress", []string{"3"}, "10000"},
		{"41", "Done", []string{"10001"}, "10002"},
		{"51", "Back to In Progress", []string{"10001"}, "3"},
		{"61", "Reopen", []string{"10002", "10003"}, "10000"},
		{"71", "Won't Do", []string{"10000"}, "10003"},
	}
	s.priorities = []*priority{
		{"1", "Highest", "highest.svg", "#d04437"},
		{"2", "High", "high.svg", "#f15C75"},
		{"3", "Medium", "medium.svg", "#f79232"},
		{"4", "Low", "low.svg", "#707070"},
		{"5", "Lowest", "lowest.svg", "#999999"},
	}
	s.types = []*issueType{
		{"10001", "Story", "Stories track functionality or features expressed as user goals.", 0},
		{"10002", "Task", "Tasks track small, distinct pieces of work.", 0},
		{"10004", "Bug", "Bugs track problems or errors.", 0},
		{"10000", "Epic", "Epics track collections of related bugs, stories, and tasks.", 1},
		{"10003", "Sub-task", "Subtasks track small pieces of work that are part of a larger task.", -1},
	}
}

func (s *Server) userByEmail(email string) *user {
	for _, u := range s.users {
		if strings.EqualFold(u.Email, email) {
			return u
		}
	}
	return nil
}

func (s *Server) userByAccount(id string) *user {
	for _, u := range s.users {
		if u.AccountID == id {
			return u
		}
	}
	return nil
}

func (s *Server) statusByID(id string) *status {
	for _, st := range s.statuses {
		if st.ID == id {
			return st
		}
	}
	return nil
}

func (s *Server) statusByName(name string) *status {
	for _, st := range s.statuses {
		if strings.EqualFold(st.Name, name) || st.ID == name {
			return st
		}
	}
	return nil
}

func (s *Server) priorityByRef(name, id string) *priority {
	for _, p := range s.priorities {
		if (id != "" && p.ID == id) || (id == "" && name != "" && strings.EqualFold(p.Name, name)) {
			return p
		}
	}
	return nil
}

func (s *Server) typeByRef(name, id string) *issueType {
	for _, t := range s.types {
		if (id != "" && t.ID == id) || (id == "" && name != "" && strings.EqualFold(t.Name, name)) {
			return t
		}
	}
	return nil
}

// transitionsFrom lists the transitions available from status id.
func (s *Server) transitionsFrom(statusID string) []transition {
	var out []transition
	for _, t := range s.transitions {
		if slices.Contains(t.From, statusID) {
			out = append(out, t)
		}
	}
	return out
}

// RemoveTransition deletes the workflow transition named name, as an
// admin editing the workflow would, and says whether there was one.
func (s *Server) RemoveTransition(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.transitions)
	s.transitions = slices.DeleteFunc(s.transitions, func(t transition) bool { return strings.EqualFold(t.Name, name) })
	return len(s.transitions) < n
}

// lookup finds a live issue by id or key.
func (s *Server) lookup(idOrKey string) *issue {
	if is, ok := s.byKey[strings.ToUpper(idOrKey)]; ok {
		return is
	}
	var id int
	if _, err := fmt.Sscan(idOrKey, &id); err == nil && fmt.Sprint(id) == idOrKey {
		return s.byID[id]
	}
	return nil
}

// ordered returns the live issues in rank order.
func (s *Server) ordered() []*issue {
	out := make([]*issue, 0, len(s.byID))
	for _, is := range s.byID {
		out = append(out, is)
	}
	slices.SortFunc(out, byRank)
	return out
}

// setParent links is under p (nil: no parent), keeping the children
// index; the caller holds s.mu.
func (s *Server) setParent(is, p *issue) {
	s.unlinkChild(is)
	is.Parent = p
	if p != nil {
		if s.children == nil {
			s.children = map[*issue][]*issue{}
		}
		s.children[p] = append(s.children[p], is)
	}
}

// unlinkChild drops is from its parent's children (is.Parent stays, for
// the deletion's webhook).
func (s *Server) unlinkChild(is *issue) {
	if is.Parent == nil {
		return
	}
	kids := slices.DeleteFunc(s.children[is.Parent], func(c *issue) bool { return c == is })
	if len(kids) == 0 {
		delete(s.children, is.Parent)
	} else {
		s.children[is.Parent] = kids
	}
}

// childrenOf returns is's children in rank order.
func (s *Server) childrenOf(is *issue) []*issue {
	out := slices.Clone(s.children[is])
	slices.SortFunc(out, byRank)
	return out
}

// subtasks returns is's sub-tasks in rank order.
func (s *Server) subtasks(is *issue) []*issue {
	return slices.DeleteFunc(s.childrenOf(is), func(c *issue) bool { return c.Type.Hierarchy >= 0 })
}

func byRank(a, b *issue) int {
	if c := strings.Compare(a.Rank, b.Rank); c != 0 {
		return c
	}
	return a.ID - b.ID
}

type seedIssue struct {
	summary, typ, status, prio, assignee, desc string
	labels                                     []string
	due                                        string
	points                                     float64
}

var defaultBacklog = []seedIssue{
	{"Set up CI pipeline for the API service", "Task", "Done", "High", "alice@example.com",
		"We need CI on every push.\n\n* run {{go test ./...}}\n* run {{go vet}}\n* publish coverage\n\nSee [the runbook|https://example.com/runbook].", []string{"infra"}, "", 3},
	{"Login page returns 500 for unknown emails", "Bug", "In Progress", "Highest", "bob@example.com",
		"h3. Steps\n# open /login\n# enter {{nobody@example.com}}\n# submit\n\n*Expected:* an error message.\n*Actual:* HTTP 500.\n\n{code:go}\nif user == nil {\n\treturn errNotFound\n}\n{code}", []string{"bug", "auth"}, "2026-12-01", 2},
	{"As a user I can reset my password", "Story", "To Do", "Medium", "",
		"As a user who forgot the password I want a reset link by mail so that I can log in again.\n\n_Acceptance:_\n* link expires after 1 hour\n* old sessions end", []string{"auth"}, "", 5},
	{"Dark mode for the dashboard", "Story", "To Do", "Low", "",
		"Follow the system setting. Colors from the design system.", []string{"ui"}, "", 8},
	{"Export backlog as CSV", "Story", "In Review", "Medium", "alice@example.com",
		"Columns: key, summary, status, assignee.\n\n||key||summary||\n|TAN-1|Set up CI|", nil, "", 3},
	{"Upgrade Postgres to 17", "Task", "To Do", "High", "",
		"Plan the upgrade window with ops.", []string{"infra", "database"}, "2027-01-15", 0},
	{"Typo on the pricing page", "Bug", "Done", "Lowest", "bob@example.com",
		"\"Anual\" should be \"Annual\".", nil, "", 1},
	{"Rate limit the public API", "Story", "In Progress", "High", "alice@example.com",
		"Token bucket per API key.\n\n* 100 req/min default\n* configurable per plan\n\nBackground: -strike this- see RFC 6585.", []string{"api"}, "", 5},
	{"Replace the legacy PDF renderer", "Epic", "To Do", "Medium", "",
		"Epic for the renderer migration.", nil, "", 0},
	{"Onboarding email sequence", "Story", "Won't Do", "Low", "",
		"Marketing decided against it.", []string{"growth"}, "", 0},
	{"Flaky test in billing module", "Bug", "To Do", "Medium", "",
		"{{TestInvoiceRounding}} fails about once in 50 runs.\n\n{noformat}\n--- FAIL: TestInvoiceRounding (0.01s)\n{noformat}", []string{"bug", "tests"}, "", 2},
	{"Document the webhook retry policy", "Task", "To Do", "", "",
		"", []string{"docs"}, "", 1},
}

func (s *Server) seedIssues(n int) {
	if n < 0 {
		return
	}
	alice := s.userByEmail("alice@example.com")
	base := s.now().Add(-72 * time.Hour)
	count := len(defaultBacklog)
	if n > 0 {
		count = n
	}
	// A minute apart, or closer for a large project, so that every seeded
	// issue was created and updated in the past.
	step := min(time.Minute, 72*time.Hour/time.Duration(count+1))
	for i := range count {
		d := defaultBacklog[i%len(defaultBacklog)]
		summary := d.summary
		if i >= len(defaultBacklog) {
			summary = fmt.Sprintf("%s (%d)", d.summary, i+1)
		}
		at := base.Add(time.Duration(i) * step)
		is := s.newIssue(alice, at)
		is.Summary = summary
		is.Type = s.typeByRef(d.typ, "")
		if d.desc != "" {
			is.Desc = adf.FromWiki(d.desc)
		}
		is.Priority = s.priorityByRef(d.prio, "")
		if d.prio == "" {
			is.Priority = s.priorityByRef("Medium", "")
		}
		is.Labels = slices.Clone(d.labels)
		if d.assignee != "" {
			is.Assignee = s.userByEmail(d.assignee)
		}
		is.DueDate = d.due
		if d.points > 0 {
			p := d.points
			is.StoryPoints = &p
		}
		is.Status = s.statusByName(d.status)
		if is.Status.Cat == catDone {
			is.Resolved = at
		}
	}
}

// newIssue allocates an issue ranked last, in To Do.
func (s *Server) newIssue(reporter *user, at time.Time) *issue {
	s.nextIssue++
	s.nextKey++
	is := &issue{
		ID:         s.nextIssue,
		Key:        fmt.Sprintf("%s-%d", s.project.Key, s.nextKey),
		Project:    s.project,
		Type:       s.types[0],
		Status:     s.statuses[0],
		Priority:   s.priorityByRef("Medium", ""),
		Reporter:   reporter,
		Creator:    reporter,
		Created:    at,
		Updated:    at,
		CatChanged: at,
		Props:      map[string]json.RawMessage{},
	}
	s.setRank(is, s.rankLast())
	s.byID[is.ID] = is
	s.byKey[is.Key] = is
	s.indexIssue(is)
	return is
}
