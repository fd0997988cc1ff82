package linear

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	graphql "github.com/hasura/go-graphql-client"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

var (
	_ connectors.Connector = (*Client)(nil)
	_ connectors.Webhooks  = (*Client)(nil)
	_ connectors.Registrar = (*Client)(nil)
)

// Config says which Linear workspace and team to sync.
type Config struct {
	URL           string // API base, e.g. https://api.linear.app; the client posts to URL+"/graphql"
	APIKey        string // personal API key ("lin_api_…"), sent as is; "Bearer …" for OAuth tokens
	Team          string // team key, e.g. "ENG"
	WebhookSecret string // signing secret of our webhook
	HTTPClient    *http.Client
	Logger        *slog.Logger // nil: slog.Default()
	// Users maps a canonical email to the Linear user it means (a user id
	// or the user's Linear email), for people whose emails differ between
	// the tools. The key is what the user's assignments read back as.
	Users map[string]string
	// CreateLabels creates a label name missing in the team and the
	// workspace (as a team label) when a write adds it; off, the name is
	// reported once and skipped.
	CreateLabels bool
	// Labels and Project narrow the team: only issues carrying one of the
	// labels (names, case-insensitive) and in the project (name or id)
	// are in scope of Changed and Order. Create puts a new issue in scope
	// (the first label, the project).
	Labels  []string
	Project string
	// EpicsAsProjects makes the team's projects items of KindEpic (the
	// twins of Jira epics) and an issue's project its parent when it has
	// no parent issue (see projects.go).
	EpicsAsProjects bool
	// Files makes issue reads carry the issue's files and the Attacher
	// methods work (see files.go).
	Files bool
}

// Client is the Linear connector for one team. It is safe for concurrent
// use.
type Client struct {
	gql    *graphql.Client
	secret []byte
	now    func() time.Time
	log    *slog.Logger

	viewerID, viewerEmail string
	teamID, teamKey       string
	overrides             map[string]string
	createLabels          bool
	scopeLabels           []string
	scopeProject          string
	projectID             string               // the scope project's id, resolved at New
	placed                placements           // team and project of issues Get read, for InScope
	ranks                 connectors.RankWatch // sortOrder last seen, for Page.Order
	own                   ownWrites            // versions of our own moves, for OwnWrite
	made                  madeItems            // issues batch creates answered with, for Created
	listed                listedOrder          // Order's last listing, for the Move after it

	budget *budget // the last rate-limit headers, see Budget

	files   bool   // Config.Files
	filesAt string // the URL prefix of uploaded files (filesPrefix)
	// filesFrag is the issue fragment with the files (files on only).
	filesFrag string
	http      *http.Client // the API's client (the key sent), for files
	storage   *http.Client // the same transport without the key: signed upload URLs

	epics           bool       // Config.EpicsAsProjects
	projects        projectSet // project ids seen, see projects.go
	projectStatusMu sync.Mutex
	projectStatuses map[string]string // status type → id, read on first write

	mu       sync.RWMutex
	cat      catalog
	loadedAt time.Time
	warned   map[string]bool // note keys already logged
	urlKey   string          // the workspace's, in issue URLs
	meta     Metadata
}

// refreshEvery bounds how often a write naming an unknown user or cycle
// reloads the catalog.
const refreshEvery = time.Minute

// pageSize is how many issues one Changed page holds.
const pageSize = 50

// overlap is how far before the last high-water mark Changed looks again,
// for clock skew between Linear's writers.
const overlap = 5 * time.Second

// New connects to Linear: checks the key (viewer), finds the team by key
// and loads its workflow states, cycles, the workspace users and labels.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.URL == "" || cfg.APIKey == "" || cfg.Team == "" {
		return nil, connectors.Permanent(errors.New("linear: URL, API key and team are required"))
	}
	base := cfg.HTTPClient
	if base == nil {
		base = &http.Client{Timeout: 30 * time.Second}
	}
	hc := *base
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c := &Client{secret: []byte(cfg.WebhookSecret), now: time.Now, log: cfg.Logger, overrides: cfg.Users,
		createLabels: cfg.CreateLabels, scopeLabels: cfg.Labels, scopeProject: cfg.Project, warned: map[string]bool{},
		epics: cfg.EpicsAsProjects}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.budget = &budget{}
	hc.Transport = &transport{base: rt, key: cfg.APIKey, now: func() time.Time { return c.now() }, budget: c.budget}
	c.files, c.filesAt = cfg.Files, filesPrefix(cfg.URL)
	if c.files {
		c.filesFrag = c.filesFragment()
	}
	c.http, c.storage = &hc, &http.Client{Transport: rt, Timeout: hc.Timeout}
	c.gql = graphql.NewClient(strings.TrimRight(cfg.URL, "/")+"/graphql", &hc)
	if err := c.load(ctx, cfg.Team); err != nil {
		return nil, err
	}
	if cfg.Project != "" {
		if err := c.resolveProject(ctx); err != nil {
			return nil, err
		}
	}
	if c.epics {
		if err := c.loadProjects(ctx); err != nil {
			return nil, err
		}
	}
	return c, nil
}

const setupQuery = `query TandemSetup($team: String!) {
  viewer { id email }
  organization { urlKey }
  team(id: $team) {
    id key name issueEstimationType issueEstimationAllowZero issueEstimationExtended
    states(first: 100) { nodes { id name type position } }
    cycles(first: 100) { nodes { id name number startsAt endsAt } }
  }
  users(first: 250, includeDisabled: true) { nodes { id email name displayName url } pageInfo { hasNextPage endCursor } }
  issueLabels(first: 250) { nodes { id name team { id } } pageInfo { hasNextPage endCursor } }
}`

const usersQuery = `query TandemUsers($after: String) {
  users(first: 250, after: $after, includeDisabled: true) { nodes { id email name displayName url } pageInfo { hasNextPage endCursor } }
}`

const labelsQuery = `query TandemLabels($after: String) {
  issueLabels(first: 250, after: $after) { nodes { id name team { id } } pageInfo { hasNextPage endCursor } }
}`

type pageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

type userPage struct {
	Nodes []struct {
		ID, Email, Name, DisplayName string
		URL                          string `json:"url"`
	} `json:"nodes"`
	PageInfo pageInfo `json:"pageInfo"`
}

type labelNode struct {
	ID, Name string
	Team     *struct{ ID string } `json:"team"`
}

type labelPage struct {
	Nodes    []labelNode `json:"nodes"`
	PageInfo pageInfo    `json:"pageInfo"`
}

// moreLabels reads the label pages after first, returning every label.
func (c *Client) moreLabels(ctx context.Context, first labelPage) ([]labelNode, error) {
	nodes := first.Nodes
	for pi := first.PageInfo; pi.HasNextPage && pi.EndCursor != ""; {
		var more struct {
			IssueLabels labelPage `json:"issueLabels"`
		}
		if err := c.exec(ctx, "loading linear labels", labelsQuery, map[string]any{"after": pi.EndCursor}, &more); err != nil {
			return nil, err
		}
		if more.IssueLabels.PageInfo.EndCursor == pi.EndCursor {
			return nil, fmt.Errorf("loading linear labels: page cursor %q does not advance", pi.EndCursor)
		}
		nodes = append(nodes, more.IssueLabels.Nodes...)
		pi = more.IssueLabels.PageInfo
	}
	return nodes, nil
}

// knowLabels makes sure the catalog names every label id the nodes carry
// (issues select labelIds, a tenth of a complexity point, rather than the
// labels connection): a label made since the catalog was read is looked
// up by reading the labels again, once per unknown id.
func (c *Client) knowLabels(ctx context.Context, nodes ...issueNode) error {
	c.mu.RLock()
	missing := false
	for _, n := range nodes {
		for _, id := range n.LabelIDs {
			if _, ok := c.cat.labelByID[id]; !ok && !c.cat.labelMissing[id] {
				missing = true
			}
		}
	}
	c.mu.RUnlock()
	if !missing {
		return nil
	}
	var out struct {
		IssueLabels labelPage `json:"issueLabels"`
	}
	if err := c.exec(ctx, "loading linear labels", labelsQuery, map[string]any{"after": nil}, &out); err != nil {
		return err
	}
	all, err := c.moreLabels(ctx, out.IssueLabels)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range all {
		c.cat.nameLabel(l.ID, l.Name)
	}
	// An id still unknown (a label deleted meanwhile) is not looked up
	// again.
	if c.cat.labelMissing == nil {
		c.cat.labelMissing = map[string]bool{}
	}
	for _, n := range nodes {
		for _, id := range n.LabelIDs {
			if _, ok := c.cat.labelByID[id]; !ok {
				c.cat.labelMissing[id] = true
			}
		}
	}
	return nil
}

func (c *Client) load(ctx context.Context, teamKey string) error {
	var out struct {
		Viewer       struct{ ID, Email string } `json:"viewer"`
		Organization struct {
			URLKey string `json:"urlKey"`
		} `json:"organization"`
		Team struct {
			ID, Key, Name string
			estimation
			States struct{ Nodes []state } `json:"states"`
			Cycles struct {
				Nodes []struct {
					ID       string    `json:"id"`
					Name     *string   `json:"name"`
					Number   float64   `json:"number"`
					StartsAt time.Time `json:"startsAt"`
					EndsAt   time.Time `json:"endsAt"`
				} `json:"nodes"`
			} `json:"cycles"`
		} `json:"team"`
		Users       userPage  `json:"users"`
		IssueLabels labelPage `json:"issueLabels"`
	}
	if err := c.exec(ctx, "loading team "+teamKey, setupQuery, map[string]any{"team": teamKey}, &out); err != nil {
		return err
	}
	// Workspaces with more users or labels than a page: read the rest.
	for pi := out.Users.PageInfo; pi.HasNextPage && pi.EndCursor != ""; {
		var more struct {
			Users userPage `json:"users"`
		}
		if err := c.exec(ctx, "loading linear users", usersQuery, map[string]any{"after": pi.EndCursor}, &more); err != nil {
			return err
		}
		if more.Users.PageInfo.EndCursor == pi.EndCursor {
			return fmt.Errorf("loading linear users: page cursor %q does not advance", pi.EndCursor)
		}
		out.Users.Nodes = append(out.Users.Nodes, more.Users.Nodes...)
		pi = more.Users.PageInfo
	}
	labels, err := c.moreLabels(ctx, out.IssueLabels)
	if err != nil {
		return err
	}
	out.IssueLabels.Nodes = labels
	c.viewerID, c.viewerEmail = out.Viewer.ID, out.Viewer.Email
	c.teamID, c.teamKey = out.Team.ID, out.Team.Key
	cat := catalog{teamID: out.Team.ID, users: map[string]string{}, labels: map[string]string{}, lnames: map[string]string{}, labelByID: map[string]string{},
		cycles: map[string]cycleRef{}, emailOf: map[string]string{}, est: out.Team.estimation, createLabels: c.createLabels}
	var meta Metadata
	cat.states = out.Team.States.Nodes
	slices.SortStableFunc(cat.states, func(a, b state) int {
		switch {
		case a.Position < b.Position:
			return -1
		case a.Position > b.Position:
			return 1
		}
		return 0
	})
	if len(cat.states) == 0 {
		return connectors.Permanent(fmt.Errorf("linear: team %s has no workflow states", teamKey))
	}
	names := map[string]string{}
	for _, u := range out.Users.Nodes {
		cat.people.addUser(u.ID, u.Name, u.DisplayName, u.URL)
		names[u.ID] = u.Name
		cat.users[strings.ToLower(u.Email)] = u.ID
		cat.emailOf[u.ID] = strings.ToLower(u.Email)
		meta.Users = append(meta.Users, strings.ToLower(u.Email))
	}
	cat.people.finish(names)
	c.applyOverrides(&cat)
	for _, l := range out.IssueLabels.Nodes {
		cat.labelByID[l.ID] = l.Name
	}
	// A team label shadows a workspace label of the same name.
	for _, team := range []bool{false, true} {
		for _, l := range out.IssueLabels.Nodes {
			if (l.Team != nil && l.Team.ID == out.Team.ID) == team && (l.Team == nil || team) {
				cat.labels[strings.ToLower(l.Name)] = l.ID
				cat.lnames[strings.ToLower(l.Name)] = l.Name
			}
		}
	}
	for _, cy := range out.Team.Cycles.Nodes {
		name := cycleName(cy.Name, cy.Number)
		if _, dup := cat.cycles[strings.ToLower(name)]; !dup || cy.Name != nil {
			cat.cycles[strings.ToLower(name)] = cycleRef{ID: cy.ID, Name: name}
		}
		meta.Cycles = append(meta.Cycles, MetaCycle{ID: cy.ID, Name: name, Number: int(cy.Number), StartsAt: cy.StartsAt, EndsAt: cy.EndsAt})
	}
	meta.fill(&cat)
	c.mu.Lock()
	c.cat = cat
	c.meta = meta
	c.urlKey = out.Organization.URLKey
	c.loadedAt = c.now()
	c.mu.Unlock()
	return nil
}

// applyOverrides maps each Config.Users email onto the Linear user it
// names (by id, else by the user's Linear email); that user's assignments
// then read back as the override's email (the smallest one when several
// name the same user). An override naming nobody is ignored (logged once).
func (c *Client) applyOverrides(cat *catalog) {
	keys := make([]string, 0, len(c.overrides))
	for k := range c.overrides {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	claimed := map[string]bool{}
	for _, k := range keys {
		v := c.overrides[k]
		id := v
		if _, ok := cat.emailOf[id]; !ok {
			id = cat.users[strings.ToLower(v)]
		}
		if id == "" {
			c.report([]note{{key: "override\x00" + k, msg: "linear: Users override names no Linear user, ignored",
				attrs: []any{"email", k, "user", v}}})
			continue
		}
		key := strings.ToLower(k)
		cat.users[key] = id
		if !claimed[id] {
			cat.emailOf[id] = key
			claimed[id] = true
		}
	}
}

// Refresh reloads the team's states and cycles and the workspace's users
// and labels.
func (c *Client) Refresh(ctx context.Context) error { return c.load(ctx, c.teamKey) }

// Side implements connectors.Connector.
func (c *Client) Side() backlog.Side { return backlog.Linear }

// TeamID is the synced team's id.
func (c *Client) TeamID() string { return c.teamID }

// changedCursor is the opaque Changed cursor.
type changedCursor struct {
	// Since is the lower bound of this pass (zero: everything).
	Since time.Time `json:"since,omitzero"`
	// After is the page cursor within the pass.
	After string `json:"after,omitempty"`
	// High is the newest updatedAt seen in this pass so far.
	High time.Time `json:"high,omitzero"`
	// Skip holds id@updatedAt of the items the previous pass reported
	// inside the overlap window: the same versions are not reported again.
	Skip []string `json:"skip,omitempty"`
	// Window collects this pass's items near High, to become the next
	// pass's Skip.
	Window []string `json:"window,omitempty"`
}

// maxWindow bounds the cursor; past it the window is dropped, which only
// costs repeats.
const maxWindow = 200

// changedPage is the poll's page size: Linear's largest (its connections
// take first up to 250); the selection is four scalars, so the page costs
// about a thousand complexity points of the 10,000 one query may take.
const changedPage = 250

var changedQuery = `query TandemChanged($filter: IssueFilter, $after: String) {
  issues(filter: $filter, first: ` + strconv.Itoa(changedPage) + `, after: $after, orderBy: updatedAt, includeArchived: true) {
    nodes { id identifier updatedAt sortOrder }
    pageInfo { hasNextPage endCursor }
  }
}`

// changedProbe is the size of a poll's first page once the backfill is
// done. Linear prices a connection by its first argument, not by what it
// holds, and a poll with nothing new is most polls: a small first page
// keeps an idle poll at about a fifth of the points a full page costs
// (some 150 points, about 18,000 an hour at the 30 s default, of a key's
// 250,000); when more changed, the pages after it are full ones.
const changedProbe = 25

// changedFirstQuery is changedQuery with, on a pass's first page, the
// relations changed since the cursor (see relations.go): Linear sends no
// webhook for them. Its issues page is changedProbe long.
var changedFirstQuery = `query TandemChanged($filter: IssueFilter, $after: String) {
  issues(filter: $filter, first: ` + strconv.Itoa(changedProbe) + `, after: $after, orderBy: updatedAt, includeArchived: true) {
    nodes { id identifier updatedAt sortOrder }
    pageInfo { hasNextPage endCursor }
  }
  issueRelations(first: ` + strconv.Itoa(relationsChangedPage) + `, orderBy: updatedAt, includeArchived: true) {
    nodes { id updatedAt issue { id identifier } relatedIssue { id identifier } }
  }
}`

// Changed implements connectors.Connector. A pass pages through the team's
// issues updated at or after the cursor's since (minus a few seconds of
// overlap), most recently updated first; the next pass starts at the
// newest updatedAt this pass saw. An issue edited during a pass moves ahead
// of the pages still to come, but its new updatedAt is at or after that
// mark, so the next pass reports it: nothing is skipped. Versions already
// reported inside the overlap window are not reported again.
func (c *Client) Changed(ctx context.Context, cursor string) (connectors.Page, error) {
	var cur changedCursor
	if cursor != "" {
		if err := json.Unmarshal([]byte(cursor), &cur); err != nil {
			return connectors.Page{}, connectors.Permanent(fmt.Errorf("linear: bad cursor %q: %w", cursor, err))
		}
	}
	filter := c.issueFilter()
	if !cur.Since.IsZero() {
		filter["updatedAt"] = map[string]any{"gte": cur.Since.Add(-overlap).UTC().Format(time.RFC3339Nano)}
	}
	vars := map[string]any{"filter": filter}
	if cur.After != "" {
		vars["after"] = cur.After
	}
	var out struct {
		Issues struct {
			Nodes []struct {
				ID, Identifier string
				UpdatedAt      time.Time `json:"updatedAt"`
				SortOrder      float64   `json:"sortOrder"`
			} `json:"nodes"`
			PageInfo struct {
				HasNextPage bool   `json:"hasNextPage"`
				EndCursor   string `json:"endCursor"`
			} `json:"pageInfo"`
		} `json:"issues"`
		Projects *struct {
			Nodes []struct {
				ID        string    `json:"id"`
				UpdatedAt time.Time `json:"updatedAt"`
			} `json:"nodes"`
		} `json:"projects"`
		Files          *changedFiles `json:"files"`
		IssueRelations *struct {
			Nodes []struct {
				ID           string                           `json:"id"`
				UpdatedAt    time.Time                        `json:"updatedAt"`
				Issue        *struct{ ID, Identifier string } `json:"issue"`
				RelatedIssue *struct{ ID, Identifier string } `json:"relatedIssue"`
			} `json:"nodes"`
		} `json:"issueRelations"`
	}
	head := http.Header{} // must be non-nil: the client Adds into it
	query := changedQuery
	if cur.After == "" && !cur.Since.IsZero() {
		query = changedFirstQuery
	}
	if c.files && cur.After == "" && !cur.Since.IsZero() {
		query = c.withChangedFiles(query, cur.Since)
	}
	if c.epics && cur.After == "" {
		// The team's projects changed since the mark ride on the first
		// page (epics as projects): no call of their own.
		vars["projectFilter"] = c.projectFilter(cur.Since)
		query = withProjects(query)
	}
	if err := c.exec(ctx, "listing changed issues", query, vars, &out, graphql.BindResponseHeaders(&head)); err != nil {
		return connectors.Page{}, err
	}
	// A version is settled (safe to skip when seen again) once the server's
	// clock is past it by a second: any later edit gets a newer updatedAt.
	var settledBefore time.Time
	if d, err := http.ParseTime(head.Get("Date")); err == nil {
		settledBefore = d.Add(-time.Second)
	}
	var page connectors.Page
	next := cur
	for _, n := range out.Issues.Nodes {
		if n.UpdatedAt.After(next.High) {
			next.High = n.UpdatedAt
		}
		tag := n.ID + "@" + n.UpdatedAt.UTC().Format(time.RFC3339Nano)
		if n.UpdatedAt.Before(settledBefore) && !n.UpdatedAt.Before(next.High.Add(-overlap)) && len(next.Window) < maxWindow {
			next.Window = append(next.Window, tag)
		}
		if slices.Contains(cur.Skip, tag) {
			continue
		}
		page.Refs = append(page.Refs, backlog.Ref{Side: backlog.Linear, ID: n.ID, Key: n.Identifier})
		if c.ranks.Saw(n.ID, sortKey(n.SortOrder)) {
			page.Order = true
		}
		if page.Versions == nil {
			page.Versions = map[string]string{}
		}
		page.Versions[n.ID] = n.UpdatedAt.UTC().Format(time.RFC3339Nano)
	}
	if out.IssueRelations != nil {
		listed := map[string]bool{}
		for _, r := range page.Refs {
			listed[r.ID] = true
		}
		for _, n := range out.IssueRelations.Nodes {
			if n.UpdatedAt.Before(cur.Since.Add(-overlap)) {
				break // newest first: the rest is older
			}
			if n.UpdatedAt.After(next.High) {
				next.High = n.UpdatedAt
			}
			tag := "relation:" + n.ID + "@" + n.UpdatedAt.UTC().Format(time.RFC3339Nano)
			if n.UpdatedAt.Before(settledBefore) && len(next.Window) < maxWindow {
				next.Window = append(next.Window, tag)
			}
			if slices.Contains(cur.Skip, tag) {
				continue
			}
			for _, is := range []*struct{ ID, Identifier string }{n.Issue, n.RelatedIssue} {
				if is != nil && !listed[is.ID] {
					listed[is.ID] = true
					page.Refs = append(page.Refs, backlog.Ref{Side: backlog.Linear, ID: is.ID, Key: is.Identifier})
				}
			}
		}
	}
	if out.Files != nil {
		files := out.Files.Nodes
		if out.Files.PageInfo.HasNextPage {
			more, err := c.filesAfter(ctx, cur.Since, out.Files.PageInfo.EndCursor)
			if err != nil {
				return connectors.Page{}, err
			}
			files = append(files, more...)
		}
		c.changedFiles(&page, &next, cur, settledBefore, files)
	}
	if out.Projects != nil {
		for _, n := range out.Projects.Nodes {
			c.projects.add(n.ID)
			if n.UpdatedAt.After(next.High) {
				next.High = n.UpdatedAt
			}
			tag := "project:" + n.ID + "@" + n.UpdatedAt.UTC().Format(time.RFC3339Nano)
			if n.UpdatedAt.Before(settledBefore) && len(next.Window) < maxWindow {
				next.Window = append(next.Window, tag)
			}
			if slices.Contains(cur.Skip, tag) {
				continue
			}
			page.Refs = append(page.Refs, backlog.Ref{Side: backlog.Linear, ID: n.ID})
			if page.Versions == nil {
				page.Versions = map[string]string{}
			}
			page.Versions[n.ID] = n.UpdatedAt.UTC().Format(time.RFC3339Nano)
		}
	}
	if out.Issues.PageInfo.HasNextPage && out.Issues.PageInfo.EndCursor != "" {
		next.After = out.Issues.PageInfo.EndCursor
		page.More = true
	} else {
		end := changedCursor{Since: cur.Since}
		if next.High.After(end.Since) {
			end.Since = next.High
		}
		// Once the server's clock is past a time by the overlap, every
		// change stamped before it has been listed (the rounds covered
		// from the mark on), so the mark moves up to the settled time even
		// when nothing changed: an idle round then lists what changed in
		// the last few seconds, not a burst that ended minutes ago (a
		// backfill's last thousand twins, read again every round).
		if settledBefore.After(end.Since) {
			end.Since = settledBefore
		}
		keep := append(slices.Clone(next.Window), cur.Skip...)
		for _, tag := range keep {
			_, at, _ := strings.Cut(tag, "@")
			if t, err := time.Parse(time.RFC3339Nano, at); err == nil && !t.Before(end.Since.Add(-overlap)) {
				end.Skip = append(end.Skip, tag)
			}
		}
		slices.Sort(end.Skip)
		end.Skip = slices.Compact(end.Skip)
		if len(end.Skip) > maxWindow {
			end.Skip = nil
		}
		next = end
	}
	b, err := json.Marshal(next)
	if err != nil {
		return connectors.Page{}, err
	}
	page.Next = string(b)
	return page, nil
}

// getCommentsPage is how many comments Get reads with the issue: most
// issues have fewer, and a page costs Linear's complexity budget by its
// size (first × the comment's fields), so Get's page is smaller than
// Comments'. An issue with more is read on by Comments.
const getCommentsPage = 20

// getQuery reads an issue with its first page of comments, so that a pass
// needs no second call for them.
var getQuery = `query TandemIssue($id: String!) { issue(id: $id) { ...IssueFields
    comments(first: ` + strconv.Itoa(getCommentsPage) + `) {
      nodes {
        id body createdAt updatedAt
        user { name email }
        botActor { name }
        externalUser { name email }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
` + issueFields

// Get implements connectors.Connector. An archived or trashed (deleted,
// restorable for 30 days) issue reads with Archived set; ErrNotFound once
// Linear no longer has it.
func (c *Client) Get(ctx context.Context, id string) (backlog.Item, error) {
	if c.epics && c.projects.has(id) {
		return c.getProject(ctx, id)
	}
	n, err := c.getNode(ctx, id)
	if c.epics && errors.Is(err, connectors.ErrNotFound) {
		return c.getProject(ctx, id) // a project not seen since the start
	}
	if err != nil {
		return backlog.Item{}, err
	}
	if err := c.knowLabels(ctx, n); err != nil {
		return backlog.Item{}, err
	}
	c.mu.RLock()
	it, err := c.cat.toItem(n)
	c.mu.RUnlock()
	if err != nil {
		return backlog.Item{}, connectors.Permanent(err)
	}
	c.epicParent(&it, n)
	c.readFiles(&it, n)
	c.placed.note(n)
	if !n.relationsComplete() {
		if err := c.completeRelations(ctx, &it); err != nil {
			return backlog.Item{}, err
		}
	}
	if cs := n.Comments; cs != nil && !cs.PageInfo.HasNextPage {
		it.Comments = make([]backlog.Comment, 0, len(cs.Nodes))
		for _, cn := range cs.Nodes {
			it.Comments = append(it.Comments, backlog.Comment{ID: cn.ID, Author: cn.author(), Body: c.mentionsIn(cn.Body), Created: cn.CreatedAt, Updated: cn.UpdatedAt})
		}
		it.CommentsRead = true
	}
	return it, nil
}

func (c *Client) getNode(ctx context.Context, id string) (issueNode, error) {
	var out struct {
		Issue *issueNode `json:"issue"`
	}
	if err := c.exec(ctx, "fetching linear issue "+id, getQuery, map[string]any{"id": id}, &out); err != nil {
		return issueNode{}, err
	}
	if out.Issue == nil {
		return issueNode{}, fmt.Errorf("fetching linear issue %s: %w", id, connectors.ErrNotFound)
	}
	return *out.Issue, nil
}

const createMutation = `mutation TandemCreate($input: IssueCreateInput!) {
  issueCreate(input: $input) { success issue { id identifier } }
}`

// Create implements connectors.Connector. it.Ref.ID, when set, is the id
// the issue takes (a twin id derived from the Jira issue): the create is
// tried first, and only Linear's "Entity already exists" answer (our own
// earlier try, or another writer) makes it read the existing one back.
func (c *Client) Create(ctx context.Context, it backlog.Item) (backlog.Ref, error) {
	if c.epics && it.Kind == backlog.KindEpic {
		return c.createProject(ctx, it)
	}
	in, err := c.createInput(ctx, it)
	if err != nil {
		return backlog.Ref{}, err
	}
	var out struct {
		IssueCreate struct {
			Success bool                             `json:"success"`
			Issue   *struct{ ID, Identifier string } `json:"issue"`
		} `json:"issueCreate"`
	}
	err = c.exec(ctx, "creating linear issue", createMutation, map[string]any{"input": in}, &out)
	if err != nil && it.Ref.ID != "" && isDuplicate(err) {
		n, gerr := c.getNode(ctx, it.Ref.ID)
		if gerr != nil {
			return backlog.Ref{}, gerr
		}
		return backlog.Ref{Side: backlog.Linear, ID: n.ID, Key: n.Identifier}, nil
	}
	if err != nil {
		return backlog.Ref{}, createError(err)
	}
	if !out.IssueCreate.Success || out.IssueCreate.Issue == nil {
		return backlog.Ref{}, errors.New("creating linear issue: success false")
	}
	return backlog.Ref{Side: backlog.Linear, ID: out.IssueCreate.Issue.ID, Key: out.IssueCreate.Issue.Identifier}, nil
}

// createError keeps a create's "Entity not found" from reading as a
// missing issue: what is missing is something the new issue references
// (the parent).
func createError(err error) error {
	if errors.Is(err, connectors.ErrNotFound) {
		return connectors.Permanent(fmt.Errorf("creating linear issue: a referenced entity is missing: %v", err))
	}
	return err
}

// createInput builds the IssueCreateInput of it (creating labels it adds
// that do not exist yet).
func (c *Client) createInput(ctx context.Context, it backlog.Item) (map[string]any, error) {
	p := backlog.Patch{backlog.Title: backlog.Value(it.Title), backlog.Description: backlog.Value(it.Description),
		backlog.Priority: backlog.Value(it.Priority)}
	if it.Status != (backlog.StatusValue{}) {
		p[backlog.Status] = backlog.EncodeStatus(it.Status)
	}
	for _, f := range []backlog.Field{backlog.Assignee, backlog.Estimate, backlog.DueDate, backlog.Parent, backlog.Sprint, backlog.Rank} {
		if v := it.Get(f); v != "" {
			p[f] = v
		}
	}
	labels := it.Get(backlog.Labels)
	if len(c.scopeLabels) > 0 && !c.inLabelScope(it.Labels) {
		labels = backlog.Value(strings.Join(append(slices.Clone(it.Labels), c.scopeLabels[0]), "\n"))
	}
	if lp := backlog.LabelPatch("", labels); lp != "" {
		p[backlog.Labels] = lp
	}
	in, err := c.input(ctx, p)
	if err != nil {
		return nil, err
	}
	// A new issue's labels are its whole set: labelIds.
	if ids, ok := in["addedLabelIds"]; ok {
		in["labelIds"] = ids
		delete(in, "addedLabelIds")
	}
	c.parentInput(in, true)
	if _, ok := in["sortOrder"]; ok {
		// A twin born at its source's place (see reconcile's birthRank):
		// without the flag Linear may place the new issue itself.
		in["preserveSortOrderOnCreate"] = true
	}
	if c.projectID != "" {
		in["projectId"] = c.projectID
	}
	in["teamId"] = c.teamID
	if it.Ref.ID != "" {
		in["id"] = it.Ref.ID
	}
	return in, nil
}

const updateMutation = `mutation TandemUpdate($id: String!, $input: IssueUpdateInput!) {
  issueUpdate(id: $id, input: $input) { success issue { id updatedAt } }
}`

// Apply implements connectors.Connector with one issueUpdate for all the
// patched fields (labels that do not exist yet are created first).
func (c *Client) Apply(ctx context.Context, id string, p backlog.Patch) error {
	if c.epics && c.projects.has(id) {
		return c.applyProject(ctx, id, p)
	}
	if rel, ok := p[backlog.Relations]; ok {
		if err := c.applyRelations(ctx, id, rel); err != nil {
			return err
		}
		p = maps.Clone(p)
		delete(p, backlog.Relations)
	}
	if len(p) == 0 {
		return nil
	}
	in, err := c.input(ctx, p)
	if err != nil {
		return err
	}
	c.parentInput(in, false)
	if len(in) == 0 {
		return nil // nothing representable (e.g. only labels skipped)
	}
	var out struct {
		IssueUpdate struct {
			Success bool `json:"success"`
		} `json:"issueUpdate"`
	}
	if err := c.exec(ctx, "updating linear issue "+id, updateMutation, map[string]any{"id": id, "input": in}, &out); err != nil {
		return c.notFoundParent(ctx, id, in, err)
	}
	if !out.IssueUpdate.Success {
		return fmt.Errorf("updating linear issue %s: success false", id)
	}
	return nil
}

// notFoundParent tells a missing parent from a missing issue: Linear
// answers "Entity not found: Issue" for both, and ErrNotFound would tell
// the caller the issue itself is gone. When the patch set a parent and
// the issue still reads, the parent is what is missing: a permanent error
// that does not wrap ErrNotFound.
func (c *Client) notFoundParent(ctx context.Context, id string, in map[string]any, err error) error {
	parent, _ := in["parentId"].(string)
	if parent == "" || !errors.Is(err, connectors.ErrNotFound) {
		return err
	}
	if n, gerr := c.getNode(ctx, id); gerr != nil || (n.Trashed != nil && *n.Trashed) {
		return err // the issue itself is gone (trashed issues take no edits)
	}
	return connectors.Permanent(fmt.Errorf("updating linear issue %s: parent %s not found", id, parent))
}

// input builds the issue input of p, creating missing labels (their ids
// join addedLabelIds) and logging once per key what cannot be
// represented. A user, cycle or label the catalog does not know triggers
// one reload (at most once a minute) first.
func (c *Client) input(ctx context.Context, p backlog.Patch) (map[string]any, error) {
	c.mu.RLock()
	stale := false
	if v, ok := p[backlog.Assignee]; ok && v != "" {
		_, known := c.cat.users[strings.ToLower(string(v))]
		stale = !known
	}
	if v, ok := p[backlog.Sprint]; ok && v != "" {
		if _, known := c.cat.cycles[strings.ToLower(string(v))]; !known {
			stale = true
		}
	}
	if v, ok := p[backlog.Labels]; ok {
		add, _ := backlog.ParseLabelPatch(v)
		for _, name := range add {
			if _, known := c.cat.labels[strings.ToLower(name)]; !known {
				stale = true
			}
		}
	}
	stale = stale && c.now().Sub(c.loadedAt) > refreshEvery
	c.mu.RUnlock()
	if stale {
		if err := c.Refresh(ctx); err != nil {
			return nil, err
		}
	}
	c.mu.RLock()
	ci, err := c.cat.updateInput(p)
	c.mu.RUnlock()
	if err != nil {
		return nil, connectors.Permanent(fmt.Errorf("linear input: %w", err))
	}
	c.report(ci.notes)
	in := ci.fields
	if len(ci.missing) == 0 {
		return in, nil
	}
	ids, _ := in["addedLabelIds"].([]string)
	for _, name := range ci.missing {
		id, err := c.createLabel(ctx, name)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	in["addedLabelIds"] = ids
	return in, nil
}

// report logs each note whose key was not logged before.
func (c *Client) report(notes []note) {
	for _, n := range notes {
		c.mu.Lock()
		seen := c.warned[n.key]
		c.warned[n.key] = true
		c.mu.Unlock()
		if !seen {
			c.log.Warn(n.msg, n.attrs...)
		}
	}
}

const labelMutation = `mutation TandemLabel($input: IssueLabelCreateInput!) {
  issueLabelCreate(input: $input) { success issueLabel { id name } }
}`

func (c *Client) createLabel(ctx context.Context, name string) (string, error) {
	var out struct {
		IssueLabelCreate struct {
			IssueLabel struct{ ID, Name string } `json:"issueLabel"`
		} `json:"issueLabelCreate"`
	}
	err := c.exec(ctx, "creating linear label "+name, labelMutation,
		map[string]any{"input": map[string]any{"name": name, "teamId": c.teamID}}, &out)
	if isDuplicate(err) {
		// Someone (another worker) made it meanwhile: read it back.
		if rerr := c.Refresh(ctx); rerr != nil {
			return "", rerr
		}
		c.mu.RLock()
		id, ok := c.cat.labels[strings.ToLower(name)]
		c.mu.RUnlock()
		if ok {
			return id, nil
		}
	}
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.cat.labels[strings.ToLower(name)] = out.IssueLabelCreate.IssueLabel.ID
	c.cat.lnames[strings.ToLower(name)] = out.IssueLabelCreate.IssueLabel.Name
	c.cat.nameLabel(out.IssueLabelCreate.IssueLabel.ID, out.IssueLabelCreate.IssueLabel.Name)
	c.mu.Unlock()
	return out.IssueLabelCreate.IssueLabel.ID, nil
}

// Project implements connectors.Connector.
func (c *Client) Project(f backlog.Field, v backlog.Value) backlog.Value {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cat.project(f, v)
}

// ---- transport and errors

// exec runs one document and decodes its data into out, mapping Linear's
// errors: RATELIMITED → *connectors.RateLimitError, authentication →
// ErrUnauthorized (permanent), "Entity not found" → ErrNotFound, invalid
// input or a document the schema rejects → permanent.
func (c *Client) exec(ctx context.Context, what, doc string, vars map[string]any, out any, opts ...graphql.Option) error {
	data, err := c.gql.ExecRaw(ctx, c.withFiles(doc), vars, opts...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, classify(err))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return connectors.Permanent(fmt.Errorf("%s: decoding answer: %w", what, err))
	}
	return nil
}

// apiError is one GraphQL error Linear answered.
type apiError struct {
	Message string
	Code    string
	UserMsg string
}

func (e *apiError) Error() string {
	if e.UserMsg != "" && e.UserMsg != e.Message {
		return fmt.Sprintf("linear %s: %s (%s)", e.Code, e.Message, e.UserMsg)
	}
	return fmt.Sprintf("linear %s: %s", e.Code, e.Message)
}

func classify(err error) error {
	var rl *connectors.RateLimitError
	if errors.As(err, &rl) {
		return rl
	}
	if errors.Is(err, connectors.ErrUnauthorized) {
		return connectors.Permanent(unwrapTransport(err))
	}
	var gerrs graphql.Errors
	if !errors.As(err, &gerrs) || len(gerrs) == 0 {
		return err
	}
	for _, ge := range gerrs {
		code, _ := ge.Extensions["code"].(string)
		user, _ := ge.Extensions["userPresentableMessage"].(string)
		ae := &apiError{Message: ge.Message, Code: code, UserMsg: user}
		switch {
		case code == "RATELIMITED":
			return &connectors.RateLimitError{Side: backlog.Linear, RetryAfter: time.Minute}
		case code == "AUTHENTICATION_ERROR":
			return connectors.Permanent(fmt.Errorf("%w: %w", connectors.ErrUnauthorized, ae))
		case strings.HasPrefix(ge.Message, "Entity not found"):
			return fmt.Errorf("%w: %w", connectors.ErrNotFound, ae)
		case code == "INVALID_INPUT", code == "GRAPHQL_VALIDATION_FAILED", code == "FORBIDDEN",
			code == "BAD_USER_INPUT", code == "FEATURE_NOT_ACCESSIBLE":
			return connectors.Permanent(ae)
		case code != "" && code != graphql.ErrRequestError && code != graphql.ErrJsonDecode:
			return ae
		}
	}
	return err
}

// unwrapTransport digs the transport's own error out of the client's
// wrapping (graphql.Errors → *url.Error → ours).
func unwrapTransport(err error) error {
	var te *transportError
	if errors.As(err, &te) {
		return te
	}
	return err
}

func isDuplicate(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && strings.Contains(strings.ToLower(ae.Message+" "+ae.UserMsg), "already exist")
}

// transport adds the API key and turns Linear's 4xx answers into errors the
// client can read: go-graphql-client does not decode the body of a 4xx, so
// RATELIMITED and authentication errors become typed errors here, and any
// other 4xx carrying GraphQL errors is handed on as a 200 so the client
// decodes its errors (codes, messages).
type transport struct {
	base   http.RoundTripper
	key    string
	now    func() time.Time
	budget *budget
}

// transportError is an authentication failure seen by the transport.
type transportError struct{ ae *apiError }

func (e *transportError) Error() string { return e.ae.Error() }
func (e *transportError) Unwrap() error { return connectors.ErrUnauthorized }

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", t.key)
	req.Header.Set("User-Agent", "tandem-sync")
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if t.budget != nil {
		t.budget.record(resp.Header)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		resp.Body.Close()
		return nil, &connectors.RateLimitError{Side: backlog.Linear, RetryAfter: retryAfter(resp.Header, t.now())}
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		resp.Body.Close()
		return nil, &transportError{ae: &apiError{Code: strconv.Itoa(resp.StatusCode), Message: resp.Status}}
	}
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		return resp, nil
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	resp.Body.Close()
	if rerr != nil {
		return nil, fmt.Errorf("reading linear answer: %w", rerr)
	}
	var env struct {
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &env) == nil {
		for _, e := range env.Errors {
			code, _ := e.Extensions["code"].(string)
			user, _ := e.Extensions["userPresentableMessage"].(string)
			switch code {
			case "RATELIMITED":
				return nil, &connectors.RateLimitError{Side: backlog.Linear, RetryAfter: retryAfter(resp.Header, t.now())}
			case "AUTHENTICATION_ERROR":
				return nil, &transportError{ae: &apiError{Message: e.Message, Code: code, UserMsg: user}}
			}
		}
		if len(env.Errors) > 0 {
			resp.StatusCode, resp.Status = http.StatusOK, "200 OK"
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// retryAfter reads how long to wait from Linear's headers: Retry-After
// (seconds: when the refused request fits), else the reset of an exhausted
// budget (X-RateLimit-Requests-Reset / -Complexity-Reset, epoch
// milliseconds), else the nearest reset, else a minute.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	reset := func(name string) time.Duration {
		v, err := strconv.ParseInt(strings.TrimSpace(h.Get(name)), 10, 64)
		if err != nil || v <= 0 {
			return 0
		}
		at := time.UnixMilli(v)
		if v < 1e12 { // seconds, not milliseconds
			at = time.Unix(v, 0)
		}
		return max(at.Sub(now), time.Second)
	}
	var best time.Duration
	for _, b := range []string{"Requests", "Complexity"} {
		if h.Get("X-RateLimit-"+b+"-Remaining") == "0" {
			best = max(best, reset("X-RateLimit-"+b+"-Reset"))
		}
	}
	if best > 0 {
		return best
	}
	for _, b := range []string{"Requests", "Complexity"} {
		if d := reset("X-RateLimit-" + b + "-Reset"); d > 0 && (best == 0 || d < best) {
			best = d
		}
	}
	if best > 0 {
		return best
	}
	return time.Minute
}
