package jira

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Assignees are people: canonically their email, in Jira an accountId.
// Jira Cloud shows a user's email only when their privacy settings allow
// it, so the mapping is, in order:
//
//   - Config.Users, the operator's overrides (email → accountId), both
//     ways; several emails naming one account read back as the first in
//     sort order;
//   - the project's assignable users (GET /user/assignable/search), loaded
//     at New and reloaded, at most once a minute, when a write names an
//     email we do not know, matched on their visible email, exactly
//     (case-insensitively); never on display names, so a person is never
//     confused with another.
//
// An email with no account is written as unassigned and logged once; an
// assignee whose email Jira hides and no override names reads as "" and
// is logged once.

// userReload is the least time between two loads of the assignable users.
const userReload = time.Minute

// maxUserPages bounds one load of the assignable users.
const maxUserPages = 100

// userPage is the page size asked of the assignable-user search.
const userPage = 1000

type directory struct {
	mu         sync.Mutex
	byEmail    map[string]string // lower-cased visible email → accountId
	emailOf    map[string]string // accountId → lower-cased visible email
	override   map[string]string // lower-cased email → accountId (Config.Users)
	overrideOf map[string]string // accountId → first override email
	nameOf     map[string]string // accountId → display name (mentions.go)
	loaded     time.Time
	warned     map[string]bool // warnings given, by key
}

func newDirectory(overrides map[string]string) *directory {
	d := &directory{override: map[string]string{}, overrideOf: map[string]string{}, warned: map[string]bool{}}
	emails := make([]string, 0, len(overrides))
	for e := range overrides {
		emails = append(emails, e)
	}
	slices.SortFunc(emails, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	for _, e := range emails {
		acc := strings.TrimSpace(overrides[e])
		le := strings.ToLower(strings.TrimSpace(e))
		if acc == "" || le == "" {
			continue
		}
		d.override[le] = acc
		if _, ok := d.overrideOf[acc]; !ok {
			d.overrideOf[acc] = le
		}
	}
	return d
}

// wireUser is a User bean as far as we read it.
type wireUser struct {
	AccountID    string `json:"accountId"`
	EmailAddress string `json:"emailAddress"`
	DisplayName  string `json:"displayName"`
	Active       *bool  `json:"active"`
}

// fetchUsers reads the project's active assignable users.
func (c *Client) fetchUsers(ctx context.Context) ([]wireUser, error) {
	var out []wireUser
	seen := map[string]bool{}
	for page := range maxUserPages {
		q := url.Values{"project": {c.projectKey}, "startAt": {strconv.Itoa(page * userPage)}, "maxResults": {strconv.Itoa(userPage)}}
		var us []wireUser
		if err := c.call(ctx, "loading jira assignable users", http.MethodGet, "rest/api/2/user/assignable/search?"+q.Encode(), nil, &us); err != nil {
			return nil, err
		}
		for _, u := range us {
			if u.AccountID == "" || (u.Active != nil && !*u.Active) || seen[u.AccountID] {
				continue
			}
			seen[u.AccountID] = true
			out = append(out, u)
		}
		// Jira may answer fewer than asked before the end (it filters
		// after paging), so only an empty page ends the list.
		if len(us) == 0 {
			break
		}
	}
	return out, nil
}

// loadUsers reads the project's assignable users into the directory.
func (c *Client) loadUsers(ctx context.Context) error {
	us, err := c.fetchUsers(ctx)
	if err != nil {
		return err
	}
	byEmail, emailOf, nameOf := map[string]string{}, map[string]string{}, map[string]string{}
	for _, u := range us {
		if u.DisplayName != "" {
			nameOf[u.AccountID] = u.DisplayName
		}
		if e := strings.ToLower(u.EmailAddress); e != "" {
			if prev, dup := byEmail[e]; dup && prev != u.AccountID {
				// Two accounts showing one email: trust neither.
				byEmail[e] = ""
				continue
			}
			byEmail[e], emailOf[u.AccountID] = u.AccountID, e
		}
	}
	c.users.mu.Lock()
	c.users.byEmail, c.users.emailOf, c.users.nameOf, c.users.loaded = byEmail, emailOf, nameOf, c.now()
	c.users.mu.Unlock()
	return nil
}

// accountFor is the accountId of email, "" when none is known.
func (d *directory) accountFor(email string) string {
	le := strings.ToLower(strings.TrimSpace(email))
	d.mu.Lock()
	defer d.mu.Unlock()
	if acc, ok := d.override[le]; ok {
		return acc
	}
	return d.byEmail[le]
}

// emailFor is the canonical email of an account; shown is the email the
// answer carried ("" when hidden).
func (d *directory) emailFor(accountID, shown string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.overrideOf[accountID]; ok {
		return e
	}
	if shown != "" {
		return strings.ToLower(shown)
	}
	return d.emailOf[accountID]
}

// once says whether the warning named key is new.
func (d *directory) once(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.warned[key] {
		return false
	}
	d.warned[key] = true
	return true
}

// resolveAssignee is the accountId to write for email ("" to unassign),
// reloading the users once when the email is unknown and the list is
// older than userReload.
func (c *Client) resolveAssignee(ctx context.Context, email string) (string, error) {
	if strings.TrimSpace(email) == "" {
		return "", nil
	}
	if acc := c.users.accountFor(email); acc != "" {
		return acc, nil
	}
	c.users.mu.Lock()
	stale := c.now().Sub(c.users.loaded) >= userReload
	c.users.mu.Unlock()
	if stale {
		if err := c.loadUsers(ctx); err != nil {
			return "", err
		}
		if acc := c.users.accountFor(email); acc != "" {
			return acc, nil
		}
	}
	if c.users.once("assignee:" + strings.ToLower(email)) {
		c.logger().Warn("jira: no assignable account for this email; leaving the issue unassigned (add it to the users mapping if the person has one)", "email", email, "project", c.projectKey)
	}
	return "", nil
}

// projectAssignee is what an assignee email reads back as.
func (c *Client) projectAssignee(email string) string {
	acc := c.users.accountFor(email)
	if acc == "" {
		return ""
	}
	return c.users.emailFor(acc, "")
}
