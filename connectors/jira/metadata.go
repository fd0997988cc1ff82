package jira

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Metadata is what `tandem config check` shows of the Jira side: the
// names a mapping file may refer to.
type Metadata struct {
	Project     string
	IssueType   string // the type new twins get
	SubtaskType string // the type twins under a standard issue get; "" if none
	Statuses    []MetaStatus
	Priorities  []string
	Labels      []string
	Users       []MetaUser
	Fields      []MetaField // custom fields
	Sprints     []MetaSprint
	// Transitions are those seen so far (Jira shows a plain user only the
	// transitions out of an issue's current status); empty before any
	// status change.
	Transitions []MetaTransition
	// EstimateField and SprintField are the custom fields used for
	// estimates and sprints, "" when the site has none.
	EstimateField, SprintField string
	// LinkTypes are the site's issue link type names.
	LinkTypes []string
}

// MetaStatus is a workflow status; Category is the canonical one.
type MetaStatus struct {
	ID, Name, Category string
}

// MetaUser is an assignable user; Email is "" when Jira hides it and no
// override names the account.
type MetaUser struct {
	AccountID, Email, Name string
}

// MetaField is a custom field.
type MetaField struct {
	ID, Name, Type string
}

// MetaSprint is an open sprint of the project's boards.
type MetaSprint struct {
	ID          int64
	Name, State string
}

// MetaTransition is a workflow transition seen on an issue type.
type MetaTransition struct {
	IssueType, From, To, Name string
}

// maxLabelPages bounds the label listing.
const maxLabelPages = 100

// Metadata reads the project's statuses, the priorities, the site's
// labels, the assignable users, the custom fields and the open sprints.
func (c *Client) Metadata(ctx context.Context) (Metadata, error) {
	m := Metadata{Project: c.projectKey, IssueType: c.issueType, SubtaskType: c.subtaskType, EstimateField: c.estimateField, SprintField: c.sprintField}
	for _, s := range c.statuses {
		m.Statuses = append(m.Statuses, MetaStatus{ID: s.ID, Name: s.Name, Category: string(categoryOf(s.Category, s.Name))})
	}
	var lt struct {
		IssueLinkTypes []struct {
			Name string `json:"name"`
		} `json:"issueLinkTypes"`
	}
	if err := c.call(ctx, "listing jira issue link types", http.MethodGet, "rest/api/2/issueLinkType", nil, &lt); err != nil {
		return m, err
	}
	for _, t := range lt.IssueLinkTypes {
		m.LinkTypes = append(m.LinkTypes, t.Name)
	}
	prios, resp, err := c.jc.Priority.GetListWithContext(ctx)
	if err != nil {
		return m, c.fail("loading jira priorities", resp, err)
	}
	for _, p := range prios {
		m.Priorities = append(m.Priorities, p.Name)
	}
	for start, pages := 0, 0; pages < maxLabelPages; pages++ {
		q := url.Values{"startAt": {strconv.Itoa(start)}, "maxResults": {"1000"}}
		var page struct {
			Values []string `json:"values"`
			IsLast bool     `json:"isLast"`
		}
		if err := c.call(ctx, "listing jira labels", http.MethodGet, "rest/api/2/label?"+q.Encode(), nil, &page); err != nil {
			return m, err
		}
		m.Labels = append(m.Labels, page.Values...)
		start += len(page.Values)
		if page.IsLast || len(page.Values) == 0 {
			break
		}
	}
	us, err := c.fetchUsers(ctx)
	if err != nil {
		return m, err
	}
	for _, u := range us {
		m.Users = append(m.Users, MetaUser{AccountID: u.AccountID, Email: c.users.emailFor(u.AccountID, u.EmailAddress), Name: u.DisplayName})
	}
	fields, resp, err := c.jc.Field.GetListWithContext(ctx)
	if err != nil {
		return m, c.fail("loading jira fields", resp, err)
	}
	for _, f := range fields {
		if f.Custom {
			m.Fields = append(m.Fields, MetaField{ID: f.ID, Name: f.Name, Type: f.Schema.Type})
		}
	}
	slices.SortFunc(m.Fields, func(a, b MetaField) int { return strings.Compare(a.ID, b.ID) })
	if c.sprintField != "" {
		if err := c.loadSprints(ctx); err != nil {
			return m, err
		}
		c.sprints.mu.Lock()
		for _, sp := range c.sprints.byName {
			m.Sprints = append(m.Sprints, MetaSprint{ID: sp.ID, Name: sp.Name, State: sp.State})
		}
		c.sprints.mu.Unlock()
		slices.SortFunc(m.Sprints, func(a, b MetaSprint) int { return int(a.ID - b.ID) })
	}
	c.flows.mu.Lock()
	for k, es := range c.flows.edges {
		from := k.status
		for _, s := range c.statuses {
			if s.ID == k.status {
				from = s.Name
			}
		}
		for _, e := range es {
			m.Transitions = append(m.Transitions, MetaTransition{IssueType: k.issueType, From: from, To: e.To.Name, Name: e.Name})
		}
	}
	c.flows.mu.Unlock()
	slices.SortFunc(m.Transitions, func(a, b MetaTransition) int {
		for _, d := range []int{strings.Compare(a.IssueType, b.IssueType), strings.Compare(a.From, b.From), strings.Compare(a.To, b.To)} {
			if d != 0 {
				return d
			}
		}
		return strings.Compare(a.Name, b.Name)
	})
	return m, nil
}
