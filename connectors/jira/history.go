package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	gojira "github.com/andygrunwald/go-jira"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

var _ connectors.History = (*Client)(nil)

// Field history comes from GET /rest/api/2/issue/{id}/changelog, a
// PageBeanChangelog paged by startAt/maxResults. Jira Cloud documents it as
// "sorted by date, starting from the oldest", with maxResults at most 100,
// so the newest change of a field sits at the end. FieldChange reads:
//
//   - the first page (startAt=0, maxResults=100). Most issues have fewer
//     than 100 changelog entries, so this one call is the whole log and
//     is scanned from its end;
//   - otherwise, knowing total, the last page and then the ones before it,
//     back to where the first page ended, stopping at the first page
//     holding a change of the field (newest first from there on).
//
// So an issue with a short log costs one request and a long one costs
// 1 + the pages after the change (the first call, unlike a maxResults=1
// probe for total, already answers the common case). A server answering
// fewer entries than asked lowers the page size for the following calls.
// Entries appended while paging are not looked at: they are newer than
// what the caller read.

// changelogPage is the page size asked for: Jira Cloud's maximum.
const changelogPage = 100

// maxChangelogCalls bounds one FieldChange (a hundred thousand entries at
// full pages).
const maxChangelogCalls = 1000

// wireChangelogPage is a PageBeanChangelog, as far as we read it.
type wireChangelogPage struct {
	StartAt    int64           `json:"startAt"`
	MaxResults int             `json:"maxResults"`
	Total      int64           `json:"total"`
	IsLast     bool            `json:"isLast"`
	Values     []wireChangelog `json:"values"`
}

// wireChangelog is one Changelog (a history entry).
type wireChangelog struct {
	ID     string `json:"id"`
	Author *struct {
		AccountID    string `json:"accountId"`
		DisplayName  string `json:"displayName"`
		EmailAddress string `json:"emailAddress"`
	} `json:"author"`
	Created string           `json:"created"`
	Items   []wireChangeItem `json:"items"`
}

// wireChangeItem is one ChangeDetails: which field the entry changed.
type wireChangeItem struct {
	Field   string `json:"field"`
	FieldID string `json:"fieldId"`
}

// historyFields are the custom fields whose changelog items stand for a
// canonical field, found among the site's fields at New.
type historyFields struct {
	sprint   []string // gh-sprint
	estimate []string // story points: jsw-story-points, or a number field named Story Points
	parent   []string // legacy Epic Link and Parent Link
}

// noteField records f when it is one of the custom fields history needs.
func (h *historyFields) noteField(f gojira.Field) {
	switch f.Schema.Custom {
	case "com.pyxis.greenhopper.jira:gh-sprint":
		h.sprint = append(h.sprint, f.ID)
	case "com.pyxis.greenhopper.jira:jsw-story-points":
		h.estimate = append(h.estimate, f.ID)
	case "com.pyxis.greenhopper.jira:gh-epic-link", "com.atlassian.jpo:jpo-custom-field-parent":
		h.parent = append(h.parent, f.ID)
	case "com.atlassian.jira.plugin.system.customfieldtypes:float":
		if strings.EqualFold(f.Name, "Story Points") {
			h.estimate = append(h.estimate, f.ID)
		}
	}
}

// fieldMatch says which changelog items are changes of one canonical
// field: an item whose fieldId is one of ids, or, for entries Jira logged
// without a fieldId (old entries, and parent changes, which Jira logs as
// IssueParentAssociation), whose field name is one of names. anyNames
// also accepts the names when a fieldId is present (the legacy Epic Link
// and Parent Link fields, whose ids we may not know).
type fieldMatch struct {
	ids, names []string
	anyNames   bool
}

func (m fieldMatch) matches(field, fieldID string) bool {
	if fieldID != "" && slices.Contains(m.ids, fieldID) {
		return true
	}
	if fieldID != "" && !m.anyNames {
		return false
	}
	return slices.ContainsFunc(m.names, func(n string) bool { return strings.EqualFold(n, field) })
}

// match is the matcher for canonical field f; false when Jira's changelog
// does not record f (comments, rank, fields the site lacks).
func (h *historyFields) match(f backlog.Field) (fieldMatch, bool) {
	sys := func(id string) (fieldMatch, bool) { return fieldMatch{ids: []string{id}, names: []string{id}}, true }
	switch f {
	case backlog.Title:
		return sys("summary")
	case backlog.Description:
		return sys("description")
	case backlog.Status:
		return sys("status")
	case backlog.Priority:
		return sys("priority")
	case backlog.Assignee:
		return sys("assignee")
	case backlog.Labels:
		return sys("labels")
	case backlog.DueDate:
		return sys("duedate")
	case backlog.Parent:
		return fieldMatch{
			ids:      append([]string{"parent"}, h.parent...),
			names:    []string{"IssueParentAssociation", "Parent Issue", "Parent", "Epic Link", "Parent Link"},
			anyNames: true,
		}, true
	case backlog.Sprint:
		return fieldMatch{ids: h.sprint, names: []string{"Sprint"}}, true
	case backlog.Estimate:
		return fieldMatch{ids: h.estimate, names: []string{"Story Points", "Story point estimate"}}, true
	}
	return fieldMatch{}, false
}

// FieldChange implements connectors.History: the newest changelog entry
// with an item for f (see the top of this file for the paging), with its
// created time and its author's email, or display name when the author's
// privacy settings hide the email ("" when Jira names no author). A field
// the changelog does not record and an issue whose log never touched f
// give a zero Change. An unknown issue is ErrNotFound.
func (c *Client) FieldChange(ctx context.Context, id string, f backlog.Field) (backlog.Change, error) {
	m, ok := c.history.match(f)
	if !ok {
		return backlog.Change{}, nil
	}
	op := "reading jira changelog of " + id
	page := func(start int64, max int) (wireChangelogPage, error) {
		var p wireChangelogPage
		q := url.Values{"startAt": {strconv.FormatInt(start, 10)}, "maxResults": {strconv.Itoa(max)}}
		err := c.call(ctx, op, http.MethodGet, "rest/api/2/issue/"+url.PathEscape(id)+"/changelog?"+q.Encode(), nil, &p)
		return p, err
	}
	size := changelogPage
	if c.changelogMax > 0 {
		size = c.changelogMax
	}
	first, err := page(0, size)
	if err != nil {
		return backlog.Change{}, err
	}
	if first.MaxResults > 0 && first.MaxResults < size {
		size = first.MaxResults
	}
	lo := int64(len(first.Values)) // entries [0, lo) are in first
	end := first.Total
	if first.IsLast || end <= lo {
		end = lo
	} else if lo == 0 {
		return backlog.Change{}, fmt.Errorf("%s: empty first page of %d entries", op, first.Total)
	}
	for calls := 1; end > lo; calls++ {
		if calls >= maxChangelogCalls {
			return backlog.Change{}, fmt.Errorf("%s: more than %d pages", op, maxChangelogCalls)
		}
		start := max(lo, end-int64(size))
		want := int(end - start)
		p, err := page(start, want)
		if err != nil {
			return backlog.Change{}, err
		}
		if len(p.Values) < want {
			// A lower page cap than the first answer said, or a log that
			// shrank: retry the same window in smaller pages.
			if len(p.Values) == 0 {
				return backlog.Change{}, fmt.Errorf("%s: empty page at %d of %d", op, start, end)
			}
			size = len(p.Values)
			continue
		}
		if ch, ok, err := newestChange(p.Values, m); err != nil || ok {
			return ch, wrapOp(op, err)
		}
		end = start
	}
	ch, _, err := newestChange(first.Values, m)
	return ch, wrapOp(op, err)
}

func wrapOp(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, err)
}

// newestChange returns the newest entry of vals (oldest first, as Jira
// sends them) with an item matching m. Entries are taken by their position;
// an entry dated later than a following one (clock skew on Jira's side)
// still wins only by position, as Jira's own order is the truth.
func newestChange(vals []wireChangelog, m fieldMatch) (backlog.Change, bool, error) {
	for i := len(vals) - 1; i >= 0; i-- {
		h := &vals[i]
		if !slices.ContainsFunc(h.Items, func(it wireChangeItem) bool { return m.matches(it.Field, it.FieldID) }) {
			continue
		}
		at, err := parseJiraTime(h.Created)
		if err != nil {
			return backlog.Change{}, false, fmt.Errorf("changelog entry %s: %w", h.ID, err)
		}
		return backlog.Change{At: at, By: h.by()}, true, nil
	}
	return backlog.Change{}, false, nil
}

// by names the author: email, else display name, else "".
func (h *wireChangelog) by() string {
	if h.Author == nil {
		return ""
	}
	if h.Author.EmailAddress != "" {
		return h.Author.EmailAddress
	}
	return h.Author.DisplayName
}

// parseJiraTime reads a REST v2 timestamp ("2026-04-25T18:35:13.605+0530"),
// accepting RFC 3339 too.
func parseJiraTime(s string) (time.Time, error) {
	if t, err := time.Parse(jiraTime, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if s == "" {
		return time.Time{}, errors.New("no created time")
	}
	return time.Time{}, fmt.Errorf("unreadable created time %q", s)
}

// decodeChangelogPage parses a PageBeanChangelog body (used by the fuzz
// test; FieldChange decodes through go-jira).
func decodeChangelogPage(body []byte) (wireChangelogPage, error) {
	var p wireChangelogPage
	if err := json.Unmarshal(body, &p); err != nil {
		return p, fmt.Errorf("decoding jira changelog page: %w", err)
	}
	return p, nil
}
