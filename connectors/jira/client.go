package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	gojira "github.com/andygrunwald/go-jira"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

var (
	_ connectors.Connector = (*Client)(nil)
	_ connectors.Webhooks  = (*Client)(nil)
	_ connectors.Registrar = (*Client)(nil)
)

// OriginProperty is the issue entity property marking an issue Tandem
// created as a twin; its value is {"side": "linear", "id": "<linear id>"}.
const OriginProperty = "tandem.origin"

// pageSize is the search page size: Jira answers at most 100 issues per
// page when fields are requested.
const pageSize = 100

// overlap is subtracted from the poll cursor: JQL compares to the minute,
// and Jira's search index can lag a write by a few seconds.
const overlap = time.Minute

// Config locates and authenticates the Jira site and names the project.
type Config struct {
	URL, Email, Token, Project string
	WebhookSecret              string
	HTTPClient                 *http.Client // optional; its Transport carries the requests
	Log                        *slog.Logger // optional; default slog.Default()
	// Users maps emails to Jira accountIds, for people whose email Jira
	// hides or who use another address there (see users.go).
	Users map[string]string
	// EstimateField is the id of the number field holding estimates
	// (customfield_NNNNN); "" finds the story points field by type, then
	// by the names "Story Points" and "Story point estimate".
	EstimateField string
	// JQL narrows the synced issues: ANDed to `project = KEY` when
	// listing changed issues and the order.
	JQL string
	// LinkTypes maps more Jira issue link type names to canonical
	// relation types (the outward end's), beside DefaultLinkTypes
	// (mapping file: relations).
	LinkTypes map[string]backlog.RelationType
	// EpicsAsProjects reads epics as items of KindEpic and makes a twin of
	// KindEpic an epic (see epics.go).
	EpicsAsProjects bool
	// Files syncs issue attachments: Get and GetMany also read the
	// attachment field into Item.Attachments (AttachmentsRead set), in the
	// same call; see attachments.go. Off, no read asks for it.
	Files bool
}

// Client is the Jira connector for one project.
type Client struct {
	cfg  Config
	jc   *gojira.Client
	site string
	loc  *time.Location // the bot user's time zone: JQL dates are read in it

	projectID, projectKey string
	issueType             string // the type new twins get
	statuses              []status
	rankField             string // custom field id of the LexoRank field, "" if none
	accountID             string
	now                   func() time.Time
	twins                 twinCache
	ranks                 connectors.RankWatch            // ranks last seen, for Page.Order
	priorities            map[string]bool                 // lower-cased names the site has
	orderPage             int                             // Order's page size; 0: orderPageSize (tests lower it)
	flows                 workflows                       // transitions seen, see transition.go
	history               historyFields                   // custom fields the changelog names, see history.go
	changelogMax          int                             // FieldChange's page size; 0: changelogPage (tests change it)
	estimateField         string                          // number field of estimates, "" if none
	sprintField           string                          // the Sprint custom field, "" if none
	subtaskType           string                          // the project's sub-task issue type, "" if none
	epicType              string                          // the project's epic issue type, "" if none
	users                 *directory                      // assignees, see users.go
	linkTypes             map[string]backlog.RelationType // lower-cased link type name → canonical, see relations.go
	sprints               sprintDir                       // open sprints, see sprint.go
	budget                *budget                         // the last rate-limit headers, see Budget
	plain                 *http.Client                    // the same transport without credentials, for download URLs on another host (attachments.go)
}

// status is one workflow status of the project.
type status struct {
	ID, Name, Category string // Category is Jira's key: new, indeterminate, done
}

// New connects to Jira: it checks the credentials and loads the project,
// its statuses, the priorities and the Rank field.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.URL == "" || cfg.Email == "" || cfg.Token == "" || cfg.Project == "" {
		return nil, errors.New("jira: URL, email, token and project are required")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("jira: invalid URL %q", cfg.URL)
	}
	base := http.DefaultTransport
	var timeout time.Duration
	if cfg.HTTPClient != nil {
		if cfg.HTTPClient.Transport != nil {
			base = cfg.HTTPClient.Transport
		}
		timeout = cfg.HTTPClient.Timeout
	}
	bud := &budget{}
	rec := &headerRecorder{base: base, budget: bud}
	hc := &http.Client{Timeout: timeout, Transport: &gojira.BasicAuthTransport{Username: cfg.Email, Password: cfg.Token, Transport: rec}, CheckRedirect: sameHost}
	jc, err := gojira.NewClient(hc, strings.TrimRight(cfg.URL, "/")+"/")
	if err != nil {
		return nil, fmt.Errorf("jira: creating client: %w", err)
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	c := &Client{cfg: cfg, jc: jc, site: u.Host, loc: time.UTC, now: time.Now, users: newDirectory(cfg.Users), budget: bud, linkTypes: linkTypeTable(cfg.LinkTypes),
		plain: &http.Client{Timeout: timeout, Transport: rec}}

	me, resp, err := jc.User.GetSelfWithContext(ctx)
	if err != nil {
		return nil, c.fail("checking jira credentials", resp, err)
	}
	c.accountID = me.AccountID
	if me.TimeZone != "" {
		if loc, err := time.LoadLocation(me.TimeZone); err == nil {
			c.loc = loc
		}
	}

	p, resp, err := jc.Project.GetWithContext(ctx, cfg.Project)
	if err != nil {
		return nil, c.fail("loading jira project "+cfg.Project, resp, err)
	}
	c.projectID, c.projectKey = p.ID, p.Key
	for _, want := range []string{"Story", "Task"} {
		for _, t := range p.IssueTypes {
			if c.issueType == "" && strings.EqualFold(t.Name, want) && !t.Subtask {
				c.issueType = t.Name
			}
		}
	}
	if c.issueType == "" {
		for _, t := range p.IssueTypes {
			if c.issueType == "" && !t.Subtask {
				c.issueType = t.Name
			}
		}
	}
	if c.issueType == "" {
		return nil, fmt.Errorf("jira: project %s has no issue type for new issues", c.projectKey)
	}
	for _, t := range p.IssueTypes {
		if c.subtaskType == "" && t.Subtask {
			c.subtaskType = t.Name
		}
		if c.epicType == "" && strings.EqualFold(t.Name, "Epic") {
			c.epicType = t.Name
		}
	}

	if err := c.loadStatuses(ctx); err != nil {
		return nil, err
	}

	prios, resp, err := jc.Priority.GetListWithContext(ctx)
	if err != nil {
		return nil, c.fail("loading jira priorities", resp, err)
	}
	c.priorities = map[string]bool{}
	for _, p := range prios {
		c.priorities[strings.ToLower(p.Name)] = true
	}

	fields, resp, err := jc.Field.GetListWithContext(ctx)
	if err != nil {
		return nil, c.fail("loading jira fields", resp, err)
	}
	for _, f := range fields {
		switch f.Schema.Custom {
		case "com.pyxis.greenhopper.jira:gh-lexo-rank":
			c.rankField = f.ID
		case "com.pyxis.greenhopper.jira:gh-sprint":
			if c.sprintField == "" {
				c.sprintField = f.ID
			}
		}
		c.history.noteField(f)
	}
	if c.estimateField, err = estimateField(fields, cfg.EstimateField); err != nil {
		return nil, err
	}
	if cfg.JQL != "" {
		// One search checks the scope filter parses.
		if _, _, err := c.searchIDs(ctx, "checking the jira scope JQL", c.scope(), 1, ""); err != nil {
			return nil, fmt.Errorf("jira: scope JQL %q: %w", cfg.JQL, err)
		}
	}
	if err := c.loadUsers(ctx); err != nil {
		if !connectors.IsPermanent(err) {
			return nil, err
		}
		// Without the right to list users, only Config.Users maps people.
		c.logger().Warn("jira: cannot list assignable users; only the users mapping assigns people", "project", c.projectKey, "err", err)
	}
	if c.sprintField != "" {
		if err := c.loadSprints(ctx); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// estimateField picks the estimate field: the configured id, else the
// Jira Software story points field, else a number field named like one.
func estimateField(fields []gojira.Field, want string) (string, error) {
	if want != "" {
		for _, f := range fields {
			if f.ID == want {
				return f.ID, nil
			}
		}
		return "", fmt.Errorf("jira: estimate field %q does not exist", want)
	}
	for _, f := range fields {
		if f.Schema.Custom == "com.pyxis.greenhopper.jira:jsw-story-points" {
			return f.ID, nil
		}
	}
	for _, name := range []string{"Story Points", "Story point estimate"} {
		for _, f := range fields {
			if strings.EqualFold(f.Name, name) && f.Schema.Type == "number" {
				return f.ID, nil
			}
		}
	}
	return "", nil
}

// loadStatuses reads the project's statuses (all issue types, deduplicated).
func (c *Client) loadStatuses(ctx context.Context) error {
	var types []struct {
		Statuses []struct {
			ID             string `json:"id"`
			Name           string `json:"name"`
			StatusCategory struct {
				Key string `json:"key"`
			} `json:"statusCategory"`
		} `json:"statuses"`
	}
	if err := c.call(ctx, "loading jira statuses", http.MethodGet, "rest/api/2/project/"+url.PathEscape(c.projectKey)+"/statuses", nil, &types); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, t := range types {
		for _, s := range t.Statuses {
			if !seen[s.ID] {
				seen[s.ID] = true
				c.statuses = append(c.statuses, status{ID: s.ID, Name: s.Name, Category: s.StatusCategory.Key})
			}
		}
	}
	if len(c.statuses) == 0 {
		return fmt.Errorf("jira: project %s has no statuses", c.projectKey)
	}
	return nil
}

// logger is where the connector logs.
func (c *Client) logger() *slog.Logger {
	if c.cfg.Log != nil {
		return c.cfg.Log
	}
	return slog.Default()
}

// Side names the tool.
func (c *Client) Side() backlog.Side { return backlog.Jira }

// Site is the Jira site's host, used in backlog.TwinID.
func (c *Client) Site() string { return c.site }

// ProjectKey is the synced project's key.
func (c *Client) ProjectKey() string { return c.projectKey }

// call sends one request through go-jira and decodes the answer into out
// (when non-nil).
func (c *Client) call(ctx context.Context, op, method, path string, body, out any) error {
	req, err := c.jc.NewRequestWithContext(ctx, method, path, body)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	resp, err := c.jc.Do(req, out)
	if err != nil {
		return c.fail(op, resp, err)
	}
	if out == nil && resp != nil && resp.Body != nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return nil
}

// fail maps a failed call to the connector error contract: 404 wraps
// ErrNotFound, 429 is a *RateLimitError, other 4xx are permanent (with
// Jira's messages), 5xx and network errors are plain (retried).
func (c *Client) fail(op string, resp *gojira.Response, err error) error {
	if resp == nil || resp.Response == nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	code := resp.StatusCode
	text := jiraMessages(resp, err)
	switch {
	case code == http.StatusNotFound:
		return fmt.Errorf("%s: %w (jira 404: %s)", op, connectors.ErrNotFound, text)
	case code == http.StatusTooManyRequests:
		return fmt.Errorf("%s: %w", op, &connectors.RateLimitError{Side: backlog.Jira, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))})
	case code == http.StatusRequestTimeout || code == http.StatusConflict || code == http.StatusTooEarly:
		return fmt.Errorf("%s: jira %d: %s", op, code, text)
	case code >= 400 && code < 500:
		return connectors.Permanent(fmt.Errorf("%s: jira %d: %s", op, code, text))
	}
	return fmt.Errorf("%s: jira %d: %s", op, code, text)
}

// jiraMessages extracts Jira's errorMessages and errors from a failed call.
func jiraMessages(resp *gojira.Response, err error) string {
	var body struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
	var jerr *gojira.Error
	if errors.As(err, &jerr) {
		body.ErrorMessages, body.Errors = jerr.ErrorMessages, jerr.Errors
	} else if resp.Body != nil {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if json.Unmarshal(raw, &body) != nil && len(raw) > 0 {
			return strings.TrimSpace(string(raw))
		}
	}
	parts := append([]string(nil), body.ErrorMessages...)
	keys := make([]string, 0, len(body.Errors))
	for k := range body.Errors {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		parts = append(parts, k+": "+body.Errors[k])
	}
	if len(parts) == 0 {
		return http.StatusText(resp.StatusCode)
	}
	return strings.Join(parts, "; ")
}

// retryAfter reads Retry-After (seconds or an HTTP date); a minute when
// absent or unreadable.
func retryAfter(v string) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
		return 0
	}
	return time.Minute
}

// cursor is the poll position. Normally it holds Since, the latest update
// seen; pages are fresh queries from Since (minus the overlap), so edits and
// deletions between pages cannot shift an issue out of view, as they can
// with offset page tokens (singer-io/tap-jira#110). When a whole page falls
// inside one overlap window, no update-based query can get past it, so the
// window [Window, Window+2m) is walked by issue key instead (Key is the last
// key seen).
type cursor struct {
	Since  time.Time `json:"since,omitzero"`
	Window time.Time `json:"window,omitzero"`
	Key    string    `json:"key,omitempty"`
}

// windowLen is the span of a crowded window: a page that could not advance
// holds updates in [T, T+2m) where T is its query's minute.
const windowLen = 2 * time.Minute

// skew is how far the Jira clock may run ahead of ours: a crowded window is
// only left behind once it is this far in the past, so that an edit landing
// in it while we walk it is not lost.
const skew = 5 * time.Minute

// jqlTime formats t for JQL (minute precision, the bot user's zone),
// rounded down.
func (c *Client) jqlTime(t time.Time) string {
	return c.minute(t).Format("2006/01/02 15:04")
}

func (c *Client) minute(t time.Time) time.Time {
	t = t.In(c.loc)
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, c.loc)
}

func (c *Client) project() string { return "project = " + jqlQuote(c.projectKey) }

// scope is the JQL of the synced issues: the project, narrowed by
// Config.JQL.
func (c *Client) scope() string {
	if strings.TrimSpace(c.cfg.JQL) == "" {
		return c.project()
	}
	return c.project() + " AND (" + c.cfg.JQL + ")"
}

// Changed returns one page of refs of issues updated since the cursor,
// oldest first. See cursor for how pages advance.
func (c *Client) Changed(ctx context.Context, cur string) (connectors.Page, error) {
	var cu cursor
	if cur != "" {
		if err := json.Unmarshal([]byte(cur), &cu); err != nil {
			return connectors.Page{}, connectors.Permanent(fmt.Errorf("jira: invalid cursor %q: %w", cur, err))
		}
	}
	if !cu.Window.IsZero() {
		return c.changedWindow(ctx, cu)
	}
	jql := c.scope()
	if !cu.Since.IsZero() {
		jql += ` AND updated >= "` + c.jqlTime(cu.Since.Add(-overlap)) + `"`
	}
	jql += " ORDER BY updated ASC"
	issues, last, settled, full, err := c.search(ctx, jql)
	if err != nil {
		return connectors.Page{}, err
	}
	page := connectors.Page{Refs: refsOf(issues), Versions: versionsOf(issues), Order: c.reranked(issues)}
	next := cu
	switch {
	case !full:
		// The query is exhausted: everything updated up to last was seen,
		// and, once the server's clock is past them, every stamp before
		// its settled time: the mark moves there even when nothing
		// changed, so idle rounds stop re-reading a burst's last minute.
		if last.After(next.Since) {
			next.Since = last
		}
		if settled.After(next.Since) {
			next.Since = settled
		}
	case last.After(cu.Since) && (cu.Since.IsZero() || c.jqlTime(last.Add(-overlap)) != c.jqlTime(cu.Since.Add(-overlap))):
		// Every issue updated before the next query's first minute was on
		// this page.
		next.Since, page.More = last, true
	default:
		next.Window, next.Key, page.More = c.minute(cu.Since.Add(-overlap)), "", true
	}
	page.Next = encodeCursor(next)
	return page, nil
}

// changedWindow walks a crowded window by key.
func (c *Client) changedWindow(ctx context.Context, cu cursor) (connectors.Page, error) {
	end := cu.Window.Add(windowLen)
	jql := c.scope() + ` AND updated >= "` + c.jqlTime(cu.Window) + `" AND updated < "` + c.jqlTime(end) + `"`
	if cu.Key != "" {
		jql += " AND key > " + jqlQuote(cu.Key)
	}
	jql += " ORDER BY key ASC"
	issues, _, settled, full, err := c.search(ctx, jql)
	if err != nil {
		return connectors.Page{}, err
	}
	page := connectors.Page{Refs: refsOf(issues), Versions: versionsOf(issues), Order: c.reranked(issues)}
	next := cu
	switch {
	case full:
		next.Key, page.More = issues[len(issues)-1].Key, true
	case c.now().Add(-skew).After(end) || !settled.Before(end):
		// The window is done and old enough that nothing new lands in it
		// (by our clock less the skew Jira's may have, or by Jira's own
		// clock, its Date).
		next = cursor{Since: end.Add(overlap)}
		page.More = true
	default:
		// The window is still live: poll it again later from the start.
		next = cursor{Since: cu.Since}
	}
	page.Next = encodeCursor(next)
	return page, nil
}

// search runs one page of a JQL search for ids and update times. full says
// Jira has more results.
// settled is the server's clock (its Date header) less a second, the
// moment before which every change has a stamp the query could see; zero
// when the answer had no Date.
func (c *Client) search(ctx context.Context, jql string) (issues []gojira.Issue, last, settled time.Time, full bool, err error) {
	fields := []string{"updated"}
	if c.rankField != "" {
		fields = append(fields, c.rankField) // for Page.Order
	}
	issues, resp, err := c.jc.Issue.SearchV2JQLWithContext(ctx, jql, &gojira.SearchOptionsV2{
		MaxResults: pageSize,
		Fields:     fields,
	})
	if err != nil {
		return nil, last, settled, false, c.fail("searching changed jira issues", resp, err)
	}
	if resp != nil && resp.Response != nil {
		if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			settled = d.Add(-time.Second)
		}
	}
	for _, is := range issues {
		if is.Fields != nil {
			if t := time.Time(is.Fields.Updated); t.After(last) {
				last = t
			}
		}
	}
	full = resp != nil && !resp.IsLast && resp.NextPageToken != "" && len(issues) > 0
	return issues, last, settled, full, nil
}

// reranked notes the ranks of a page of changed issues and says whether
// one differs from the rank last seen (or was not seen before).
func (c *Client) reranked(issues []gojira.Issue) bool {
	moved := false
	for _, is := range issues {
		if is.Fields == nil || c.rankField == "" {
			continue
		}
		r, _ := is.Fields.Unknowns[c.rankField].(string)
		if c.ranks.Saw(is.ID, r) {
			moved = true
		}
	}
	return moved
}

// versionsOf maps each issue to its updated time, when the search
// returned it.
func versionsOf(issues []gojira.Issue) map[string]string {
	v := make(map[string]string, len(issues))
	for _, is := range issues {
		if is.Fields != nil && !time.Time(is.Fields.Updated).IsZero() {
			v[is.ID] = time.Time(is.Fields.Updated).UTC().Format(time.RFC3339Nano)
		}
	}
	return v
}

func refsOf(issues []gojira.Issue) []backlog.Ref {
	refs := make([]backlog.Ref, 0, len(issues))
	for _, is := range issues {
		refs = append(refs, backlog.Ref{Side: backlog.Jira, ID: is.ID, Key: is.Key})
	}
	return refs
}

func encodeCursor(cu cursor) string {
	b, _ := json.Marshal(cu)
	return string(b)
}

// issueFields are the fields Get reads.
func (c *Client) issueFields() string {
	f := "summary,description,status,priority,assignee,labels,duedate,parent,issuelinks,updated"
	if c.cfg.EpicsAsProjects {
		f += ",issuetype"
	}
	if c.cfg.Files {
		f += ",attachment"
	}
	for _, id := range []string{c.rankField, c.estimateField, c.sprintField} {
		if id != "" {
			f += "," + id
		}
	}
	return f
}

// Get reads one issue.
func (c *Client) Get(ctx context.Context, id string) (backlog.Item, error) {
	var w wireIssue
	// The comment field comes along (Jira's issue answer holds the
	// comments), so a pass needs no second call for them.
	path := "rest/api/2/issue/" + url.PathEscape(id) + "?fields=" + url.QueryEscape(c.issueFields()+",comment") + "&properties=" + OriginProperty
	if err := c.call(ctx, "fetching jira issue "+id, http.MethodGet, path, nil, &w); err != nil {
		return backlog.Item{}, err
	}
	return c.toItem(w)
}

// twinLookback bounds the first scan for twins: a create interrupted
// longer ago than this is not recovered.
const twinLookback = 14 * 24 * time.Hour

// twinCache maps origins to the twins this bot created, read from the
// tandem.origin markers of its recent creations. Jira cannot search an
// entity property that no installed app declared for indexing, so the
// markers are read back from a search of the bot's own creations instead.
type twinCache struct {
	mu    sync.Mutex
	refs  map[backlog.Ref]backlog.Ref // origin (side and id) → twin
	since time.Time                   // creations up to here were scanned
}

// findTwin looks for an issue carrying the origin marker: in the cache, then
// among creations since the last scan.
func (c *Client) findTwin(ctx context.Context, origin backlog.Ref) (backlog.Ref, bool, error) {
	found, err := c.findTwins(ctx, []backlog.Ref{origin})
	if err != nil {
		return backlog.Ref{}, false, err
	}
	r, ok := found[backlog.Ref{Side: origin.Side, ID: origin.ID}]
	return r, ok, nil
}

// findTwins looks for the twins of origins (keyed by side and id): in the
// cache, then, when some are not there, with one scan of the creations
// since the last scan.
func (c *Client) findTwins(ctx context.Context, origins []backlog.Ref) (map[backlog.Ref]backlog.Ref, error) {
	c.twins.mu.Lock()
	defer c.twins.mu.Unlock()
	if c.twins.refs == nil {
		c.twins.refs = map[backlog.Ref]backlog.Ref{}
	}
	out := map[backlog.Ref]backlog.Ref{}
	hits := func() bool {
		all := true
		for _, o := range origins {
			key := backlog.Ref{Side: o.Side, ID: o.ID}
			if r, ok := c.twins.refs[key]; ok {
				out[key] = r
			} else {
				all = false
			}
		}
		return all
	}
	if hits() || len(origins) == 0 {
		return out, nil
	}
	if err := c.scanTwins(ctx, origins[0]); err != nil {
		return nil, err
	}
	hits()
	return out, nil
}

// scanTwins reads the origin markers of the bot's creations since the
// last scan into the cache. The caller holds c.twins.mu.
func (c *Client) scanTwins(ctx context.Context, origin backlog.Ref) error {
	since := c.twins.since
	if since.IsZero() {
		since = c.now().Add(-twinLookback)
	}
	jql := c.project() + ` AND creator = currentUser() AND created >= "` + c.jqlTime(since.Add(-overlap)) + `" ORDER BY created ASC`
	latest := since
	q := url.Values{"jql": {jql}, "maxResults": {strconv.Itoa(pageSize)}, "fields": {"created"}, "properties": {OriginProperty}}
	_, err := c.searchAll(ctx, "searching for the jira twin of "+origin.String(), q, 1000, func(issues []wireIssue) {
		for _, w := range issues {
			var created string
			_ = json.Unmarshal(w.Fields["created"], &created)
			if t, err := time.Parse(jiraTime, created); err == nil && t.After(latest) {
				latest = t
			}
			o, ok := originOf(w.Properties)
			if !ok {
				continue
			}
			twin := backlog.Ref{Side: backlog.Jira, ID: w.ID, Key: w.Key}
			if prev, dup := c.twins.refs[o]; dup && prev.ID != twin.ID {
				c.logger().Warn("several jira twins carry the same origin", "origin", o.String(), "kept", prev.Key, "other", twin.Key)
				continue
			}
			c.twins.refs[o] = twin
		}
	})
	if err != nil {
		return err
	}
	c.twins.since = latest
	return nil
}

// searchAll reads a JQL search (GET /rest/api/2/search/jql with q) page
// by page, handing each page's issues to each, for at most maxPages
// pages; more says pages were left unread.
func (c *Client) searchAll(ctx context.Context, op string, q url.Values, maxPages int, each func([]wireIssue)) (more bool, err error) {
	token := ""
	for range maxPages {
		if token != "" {
			q.Set("nextPageToken", token)
		}
		var res struct {
			Issues        []wireIssue `json:"issues"`
			NextPageToken string      `json:"nextPageToken"`
			IsLast        bool        `json:"isLast"`
		}
		if err := c.call(ctx, op, http.MethodGet, "rest/api/2/search/jql?"+q.Encode(), nil, &res); err != nil {
			return false, err
		}
		each(res.Issues)
		if res.IsLast || res.NextPageToken == "" || len(res.Issues) == 0 {
			return false, nil
		}
		token = res.NextPageToken
	}
	return true, nil
}

// remember records a twin this client just created.
func (c *Client) remember(origin, twin backlog.Ref) {
	c.twins.mu.Lock()
	defer c.twins.mu.Unlock()
	if c.twins.refs == nil {
		c.twins.refs = map[backlog.Ref]backlog.Ref{}
	}
	c.twins.refs[backlog.Ref{Side: origin.Side, ID: origin.ID}] = twin
}

// Create makes a Jira twin of it, or returns the existing twin carrying
// it.Origin's marker. One create call sets every field the issue screen
// takes (a parent that Jira's hierarchy refuses is dropped, logged, and
// the create retried without it); then the twin is moved into its sprint
// (Agile call) and to it.Status along the shortest workflow path (see
// moveTo). When there is no path it stays where it is and the next sync
// pass reports the unreachable status through Apply.
func (c *Client) Create(ctx context.Context, it backlog.Item) (backlog.Ref, error) {
	if it.Origin.IsZero() {
		return backlog.Ref{}, connectors.Permanent(errors.New("jira: create needs the origin ref of the item it mirrors"))
	}
	if ref, ok, err := c.findTwin(ctx, it.Origin); err != nil || ok {
		return ref, err
	}
	fields, err := c.createFields(ctx, it)
	if err != nil {
		return backlog.Ref{}, err
	}
	body := createBody(it, fields)
	var created struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	op := "creating jira twin of " + it.Origin.String()
	err = c.call(ctx, op, http.MethodPost, "rest/api/2/issue", body, &created)
	if err != nil && fields["parent"] != nil && connectors.IsPermanent(err) && strings.Contains(err.Error(), "parent:") {
		c.logger().Warn("jira refused the twin's parent; creating it without", "origin", it.Origin.String(), "parent", it.Parent, "err", err)
		delete(fields, "parent")
		fields["issuetype"] = map[string]string{"name": c.issueType}
		err = c.call(ctx, op, http.MethodPost, "rest/api/2/issue", body, &created)
	}
	if err != nil {
		return backlog.Ref{}, err
	}
	ref := backlog.Ref{Side: backlog.Jira, ID: created.ID, Key: created.Key}
	c.remember(it.Origin, ref)
	return ref, c.afterCreate(ctx, it, ref, fields, nil)
}

// createBody is the create request of it: its fields and the origin
// marker (issue property tandem.origin), set in the same call.
func createBody(it backlog.Item, fields map[string]any) map[string]any {
	return map[string]any{
		"fields": fields,
		"properties": []any{map[string]any{
			"key":   OriginProperty,
			"value": map[string]string{"side": string(it.Origin.Side), "id": it.Origin.ID},
		}},
	}
}

// createFields are the create screen's fields of a twin of it.
func (c *Client) createFields(ctx context.Context, it backlog.Item) (map[string]any, error) {
	fields := map[string]any{
		"project":   map[string]string{"key": c.projectKey},
		"issuetype": map[string]string{"name": c.issueType},
		"summary":   projectTitle(it.Title),
	}
	if it.Description != "" {
		fields["description"] = c.wikiFromMarkdown(it.Description)
	}
	if p := c.sitePriority(it.Priority); p != "" && it.Priority != backlog.PriorityNone {
		fields["priority"] = map[string]string{"name": p}
	}
	if it.Assignee != "" {
		acc, err := c.resolveAssignee(ctx, it.Assignee)
		if err != nil {
			return nil, err
		}
		if acc != "" {
			fields["assignee"] = map[string]string{"accountId": acc}
		}
	}
	if ls := c.writableLabels(it.Labels); len(ls) > 0 {
		fields["labels"] = ls
	}
	if c.estimateField != "" && it.Estimate != nil {
		if f, ok := parseEstimate(it.Get(backlog.Estimate)); ok {
			fields[c.estimateField] = f
		}
	}
	if validDate(backlog.Value(it.DueDate)) {
		fields["duedate"] = it.DueDate
	}
	if it.Kind == backlog.KindEpic && c.cfg.EpicsAsProjects && c.epicFields(fields) {
		return fields, nil
	}
	if it.Parent != "" {
		typ, err := c.childType(ctx, it.Parent)
		if err != nil {
			return nil, err
		}
		if typ != "" {
			fields["issuetype"] = map[string]string{"name": typ}
			fields["parent"] = parentRef(it.Parent)
		}
	}
	return fields, nil
}

// typeName is the issue type a create's fields name.
func typeName(fields map[string]any) string {
	t, _ := fields["issuetype"].(map[string]string)
	return t["name"]
}

// afterCreate moves a new twin into its sprint and to its status (the
// create screen takes neither); step is the transition its create call
// took already (nil for none).
func (c *Client) afterCreate(ctx context.Context, it backlog.Item, ref backlog.Ref, fields map[string]any, step *edge) error {
	created := ref
	subtask := c.subtaskType != "" && typeName(fields) == c.subtaskType
	if it.Sprint != "" && subtask {
		c.logger().Info("jira: a sub-task shares its parent's sprint; the twin's sprint is not set", "jira", created.Key, "sprint", it.Sprint)
	} else if it.Sprint != "" {
		if err := c.refreshSprints(ctx); err != nil {
			return err
		}
		if _, ok := c.openSprint(it.Sprint); ok {
			if err := c.moveToSprint(ctx, created.ID, it.Sprint); err != nil {
				return err
			}
		} else if c.users.once("sprint:" + it.Sprint) {
			c.logger().Warn("jira: no open sprint of this name; the twin stays in the backlog", "sprint", it.Sprint, "jira", created.Key)
		}
	}
	if it.Status.Name != "" || it.Status.Category != "" {
		if err := c.moveNew(ctx, created.ID, typeName(fields), step, backlog.EncodeStatus(it.Status)); err != nil {
			if connectors.IsPermanent(err) {
				c.logger().Warn("jira twin not moved to its status", "jira", created.Key, "origin", it.Origin.String(), "err", err)
				return nil
			}
			return err
		}
	}
	return nil
}

// childType is the issue type a new issue under parent takes: a standard
// type under an epic-level parent, the sub-task type under a standard
// issue; "" (no parent) under a sub-task, which cannot have children.
func (c *Client) childType(ctx context.Context, parent string) (string, error) {
	var w struct {
		Fields struct {
			IssueType struct {
				Subtask        bool `json:"subtask"`
				HierarchyLevel int  `json:"hierarchyLevel"`
			} `json:"issuetype"`
		} `json:"fields"`
	}
	err := c.call(ctx, "reading the parent jira issue "+parent, http.MethodGet, "rest/api/2/issue/"+url.PathEscape(parent)+"?fields=issuetype", nil, &w)
	if errors.Is(err, connectors.ErrNotFound) {
		c.logger().Warn("jira: the twin's parent does not exist; created without", "parent", parent)
		return "", nil
	}
	if err != nil {
		return "", err
	}
	t := w.Fields.IssueType
	switch {
	case t.Subtask || t.HierarchyLevel < 0:
		c.logger().Warn("jira: a sub-task cannot be a parent; twin created without", "parent", parent)
		return "", nil
	case t.HierarchyLevel == 0:
		if c.subtaskType == "" {
			c.logger().Warn("jira: the project has no sub-task type; twin created without parent", "parent", parent)
			return "", nil
		}
		return c.subtaskType, nil
	}
	return c.issueType, nil
}

// parentRef is the parent field's value for a parent id (or key).
func parentRef(v string) map[string]string {
	if v != "" && strings.Trim(v, "0123456789") == "" {
		return map[string]string{"id": v}
	}
	return map[string]string{"key": v}
}

// writableLabels keeps the labels Jira can hold and logs, once per
// label, those it cannot.
func (c *Client) writableLabels(ls []string) []string {
	for _, l := range ls {
		if !validLabel(l) && c.users.once("label:"+l) {
			c.logger().Warn("jira: labels cannot contain spaces or be empty; label not synced", "label", l)
		}
	}
	return projectLabels(ls)
}

// Apply writes p to the issue in as few calls as Jira allows: one edit
// for summary, description, priority, assignee, labels (add and remove
// operations, so that labels someone added meanwhile stay), due date,
// estimate and parent; one Agile call for the sprint; then the
// transitions to the status (see moveTo).
func (c *Client) Apply(ctx context.Context, id string, p backlog.Patch) error {
	fields := map[string]any{}
	update := map[string]any{}
	var statusVal backlog.Value
	hasStatus, hasSprint := false, false
	var sprint string
	var relations backlog.Value
	for _, f := range p.Fields() {
		v := p[f]
		switch f {
		case backlog.Title:
			fields["summary"] = projectTitle(string(v))
		case backlog.Description:
			if v == "" {
				fields["description"] = nil
			} else {
				fields["description"] = c.wikiFromMarkdown(string(v))
			}
		case backlog.Priority:
			if name := c.sitePriority(backlog.PriorityLevel(v)); name != "" {
				fields["priority"] = map[string]string{"name": name}
			}
		case backlog.Assignee:
			acc, err := c.resolveAssignee(ctx, string(v))
			if err != nil {
				return err
			}
			if acc == "" {
				fields["assignee"] = nil
			} else {
				fields["assignee"] = map[string]string{"accountId": acc}
			}
		case backlog.Labels:
			add, remove := backlog.ParseLabelPatch(v)
			var ops []any
			for _, l := range c.writableLabels(add) {
				ops = append(ops, map[string]string{"add": l})
			}
			for _, l := range projectLabels(remove) {
				ops = append(ops, map[string]string{"remove": l})
			}
			if len(ops) > 0 {
				update["labels"] = ops
			}
		case backlog.Estimate:
			if c.estimateField == "" {
				if c.users.once("estimate-field") {
					c.logger().Warn("jira: the site has no story points field; estimates not synced", "project", c.projectKey)
				}
				continue
			}
			if v == "" {
				fields[c.estimateField] = nil
				continue
			}
			n, ok := parseEstimate(v)
			if !ok {
				return connectors.Permanent(fmt.Errorf("jira: invalid estimate %q", v))
			}
			fields[c.estimateField] = n
		case backlog.DueDate:
			if v == "" {
				fields["duedate"] = nil
			} else if !validDate(v) {
				return connectors.Permanent(fmt.Errorf("jira: invalid due date %q: want YYYY-MM-DD", v))
			} else {
				fields["duedate"] = string(v)
			}
		case backlog.Parent:
			if v == "" {
				fields["parent"] = nil
			} else {
				fields["parent"] = parentRef(string(v))
			}
		case backlog.Sprint:
			sprint, hasSprint = string(v), true
		case backlog.Relations:
			relations = v
		case backlog.Status:
			statusVal, hasStatus = v, true
		default:
			return connectors.Permanent(fmt.Errorf("jira: writing field %s is not supported", f))
		}
	}
	refused, err := c.edit(ctx, id, fields, update)
	if err != nil {
		return err
	}
	// A permanent failure of one step (a sub-task cannot change sprint)
	// does not keep the next from running; transient ones end the Apply,
	// which is safe to repeat. Every refused field is named in one
	// RefusedError: the reconciler holds exactly those for a person and
	// takes the rest as written.
	var rs refusals
	rs.add(refused, "")
	if relations != "" {
		if err := c.applyRelations(ctx, id, relations); err != nil {
			if !connectors.IsPermanent(err) || errors.Is(err, connectors.ErrNotFound) {
				return err
			}
			rs.add(err, backlog.Relations)
		}
	}
	if hasSprint {
		if err := c.refreshSprints(ctx); err != nil {
			return err
		}
		if err := c.moveToSprint(ctx, id, sprint); err != nil {
			if !connectors.IsPermanent(err) || errors.Is(err, connectors.ErrNotFound) {
				return err
			}
			rs.add(err, backlog.Sprint)
		}
	}
	if hasStatus {
		if err := c.moveTo(ctx, id, statusVal); err != nil {
			if !connectors.IsPermanent(err) || errors.Is(err, connectors.ErrNotFound) {
				return err
			}
			rs.add(err, backlog.Status)
		}
	}
	return rs.err()
}

// refusals gathers the permanent failures of an Apply's steps.
type refusals struct {
	fields []backlog.Field
	errs   []error
}

// add records err (nil: nothing) as a refusal of its RefusedError's
// fields, else of field.
func (rs *refusals) add(err error, field backlog.Field) {
	if err == nil {
		return
	}
	var r *connectors.RefusedError
	if errors.As(err, &r) {
		rs.fields = append(rs.fields, r.Fields...)
		rs.errs = append(rs.errs, r.Err)
		return
	}
	rs.fields = append(rs.fields, field)
	rs.errs = append(rs.errs, err)
}

func (rs *refusals) err() error {
	if len(rs.errs) == 0 {
		return nil
	}
	return connectors.Refused(errors.Join(rs.errs...), rs.fields...)
}

// edit sends one edit of fields and update operations. When Jira refuses
// some of them (a parent outside the hierarchy, an account that cannot be
// assigned), the others are sent again without them, so that one field
// Jira cannot hold does not block the rest; refused is then a permanent
// error naming what was refused.
func (c *Client) edit(ctx context.Context, id string, fields, update map[string]any) (refused error, err error) {
	send := func() error {
		if len(fields) == 0 && len(update) == 0 {
			return nil
		}
		body := map[string]any{}
		if len(fields) > 0 {
			body["fields"] = fields
		}
		if len(update) > 0 {
			body["update"] = update
		}
		return c.call(ctx, "editing jira issue "+id, http.MethodPut, "rest/api/2/issue/"+url.PathEscape(id), body, nil)
	}
	err = send()
	if err == nil || !connectors.IsPermanent(err) || errors.Is(err, connectors.ErrNotFound) {
		return nil, err
	}
	// Jira names refused fields as "<id>: <message>" (see jiraMessages).
	var bad []string
	for _, m := range []map[string]any{fields, update} {
		for k := range m {
			if strings.Contains(err.Error(), k+": ") {
				bad = append(bad, k)
				delete(m, k)
			}
		}
	}
	if len(bad) == 0 {
		return nil, err
	}
	slices.Sort(bad)
	refused = connectors.Refused(fmt.Errorf("jira issue %s kept its %s: %w", id, strings.Join(bad, ", "), err), refusedFields(bad)...)
	if len(fields)+len(update) == 0 {
		// Every field was refused: still a refusal (held for a person),
		// not a failed write, which would fail the whole pass and keep
		// the pair's other changes from travelling the other way.
		return refused, nil
	}
	c.logger().Warn("jira refused some fields; writing the others", "jira", id, "refused", strings.Join(bad, ","), "err", err)
	if err := send(); err != nil {
		return nil, err
	}
	return refused, nil
}

func nonNilStrings(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// jqlQuote renders s as a JQL string literal.
func jqlQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// refusedFields names the canonical fields behind refused Jira field ids.
func refusedFields(ids []string) []backlog.Field {
	var out []backlog.Field
	for _, id := range ids {
		switch id {
		case "summary":
			out = append(out, backlog.Title)
		case "description":
			out = append(out, backlog.Description)
		case "priority":
			out = append(out, backlog.Priority)
		case "assignee":
			out = append(out, backlog.Assignee)
		case "labels":
			out = append(out, backlog.Labels)
		case "duedate":
			out = append(out, backlog.DueDate)
		case "parent":
			out = append(out, backlog.Parent)
		default:
			out = append(out, backlog.Estimate) // the story points field
		}
	}
	return out
}
