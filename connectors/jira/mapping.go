package jira

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/backlog"
)

// jiraTime is the REST v2 timestamp layout, e.g. "2026-04-25T18:35:13.605+0530".
const jiraTime = "2006-01-02T15:04:05.000-0700"

// wireIssue is an IssueBean in the REST v2 representation, as far as we read it.
type wireIssue struct {
	ID         string                     `json:"id"`
	Key        string                     `json:"key"`
	Fields     map[string]json.RawMessage `json:"fields"`
	Properties map[string]json.RawMessage `json:"properties"`
}

type wireStatus struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	StatusCategory struct {
		Key string `json:"key"`
	} `json:"statusCategory"`
}

// toItem maps an issue to the canonical item.
func (c *Client) toItem(w wireIssue) (backlog.Item, error) {
	it := backlog.Item{Ref: backlog.Ref{Side: backlog.Jira, ID: w.ID, Key: w.Key}, Priority: backlog.PriorityNone}
	str := func(k string) string {
		var s string
		_ = json.Unmarshal(w.Fields[k], &s)
		return s
	}
	it.Title = str("summary")
	if d := str("description"); d != "" {
		it.Description = c.markdownFromWiki(d)
	}
	var st wireStatus
	if raw, ok := w.Fields["status"]; ok {
		if err := json.Unmarshal(raw, &st); err != nil {
			return it, fmt.Errorf("reading status of jira issue %s: %w", w.Key, err)
		}
		it.Status = backlog.StatusValue{Name: st.Name, Category: categoryOf(st.StatusCategory.Key, st.Name)}
	}
	var pr struct{ Name string }
	if raw, ok := w.Fields["priority"]; ok && json.Unmarshal(raw, &pr) == nil {
		it.Priority = priorityLevel(pr.Name)
	}
	var as *wireUser
	if raw, ok := w.Fields["assignee"]; ok && json.Unmarshal(raw, &as) == nil && as != nil && as.AccountID != "" {
		it.Assignee = c.users.emailFor(as.AccountID, as.EmailAddress)
		if it.Assignee == "" && c.users.once("hidden:"+as.AccountID) {
			c.logger().Warn("jira: the assignee's email is hidden; it reads as unassigned until the users mapping names it", "jira", w.Key, "accountId", as.AccountID, "name", as.DisplayName)
		}
	}
	if raw, ok := w.Fields["labels"]; ok {
		_ = json.Unmarshal(raw, &it.Labels)
		slices.Sort(it.Labels)
		it.Labels = slices.Compact(it.Labels)
		if len(it.Labels) == 0 {
			it.Labels = nil
		}
	}
	it.DueDate = str("duedate")
	rels, err := c.readRelations(w.Fields["issuelinks"])
	if err != nil {
		return it, fmt.Errorf("reading the links of jira issue %s: %w", w.Key, err)
	}
	it.Relations = rels
	var parent *struct {
		ID string `json:"id"`
	}
	if raw, ok := w.Fields["parent"]; ok && json.Unmarshal(raw, &parent) == nil && parent != nil {
		it.Parent = parent.ID
	}
	if c.estimateField != "" {
		var est *float64
		if raw, ok := w.Fields[c.estimateField]; ok {
			if err := json.Unmarshal(raw, &est); err != nil {
				return it, fmt.Errorf("reading the estimate of jira issue %s: %w", w.Key, err)
			}
		}
		it.Estimate = est
	}
	if c.sprintField != "" {
		s, err := readSprint(w.Fields[c.sprintField])
		if err != nil {
			return it, fmt.Errorf("jira issue %s: %w", w.Key, err)
		}
		it.Sprint = s
	}
	if c.rankField != "" {
		it.Rank = str(c.rankField)
	}
	if u := str("updated"); u != "" {
		t, err := time.Parse(jiraTime, u)
		if err != nil {
			return it, fmt.Errorf("reading updated of jira issue %s: %w", w.Key, err)
		}
		it.UpdatedAt = t
	}
	if o, ok := originOf(w.Properties); ok {
		it.Origin = o
	}
	c.readKind(&it, w)
	if err := c.readAttachments(&it, w); err != nil {
		return it, err
	}
	if raw, ok := w.Fields["comment"]; ok && string(raw) != "null" {
		var page struct {
			StartAt  int           `json:"startAt"`
			Total    int           `json:"total"`
			Comments []wireComment `json:"comments"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return it, fmt.Errorf("reading comments of jira issue %s: %w", w.Key, err)
		}
		// Only a complete list stands in for Comments (Jira caps the
		// comments an issue answer carries).
		if page.StartAt == 0 && len(page.Comments) >= page.Total {
			it.Comments = make([]backlog.Comment, 0, len(page.Comments))
			for _, wc := range page.Comments {
				cm, err := c.toComment(wc)
				if err != nil {
					return it, fmt.Errorf("reading comments of jira issue %s: %w", w.Key, err)
				}
				it.Comments = append(it.Comments, cm)
			}
			it.CommentsRead = true
		}
	}
	return it, nil
}

// originOf reads the tandem.origin marker from an issue's properties.
func originOf(props map[string]json.RawMessage) (backlog.Ref, bool) {
	raw, ok := props[OriginProperty]
	if !ok {
		return backlog.Ref{}, false
	}
	var o struct{ Side, ID string }
	if json.Unmarshal(raw, &o) != nil || !backlog.Side(o.Side).Valid() || o.ID == "" {
		return backlog.Ref{}, false
	}
	return backlog.Ref{Side: backlog.Side(o.Side), ID: o.ID}, true
}

// categoryOf maps a Jira status category key to the canonical category. A
// done-category status named like a cancellation reads as canceled, so that
// it round-trips with Linear's canceled states.
func categoryOf(key, name string) backlog.Category {
	switch key {
	case "new":
		return backlog.CategoryTodo
	case "indeterminate":
		return backlog.CategoryStarted
	case "done":
		if isCancelName(name) {
			return backlog.CategoryCanceled
		}
		return backlog.CategoryDone
	}
	return backlog.CategoryTodo
}

func isCancelName(name string) bool {
	n := strings.ToLower(strings.ReplaceAll(name, "’", "'"))
	for _, w := range []string{"won't do", "wont do", "cancel", "declined", "rejected", "obsolete", "duplicate"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// jiraCategory is the Jira category a canonical category lands in.
func jiraCategory(c backlog.Category) string {
	switch c {
	case backlog.CategoryStarted:
		return "indeterminate"
	case backlog.CategoryDone, backlog.CategoryCanceled:
		return "done"
	}
	return "new"
}

var priorities = []struct {
	name  string
	level backlog.PriorityLevel
}{
	{"Highest", backlog.PriorityHighest},
	{"High", backlog.PriorityHigh},
	{"Medium", backlog.PriorityMedium},
	{"Low", backlog.PriorityLow},
	{"Lowest", backlog.PriorityLowest},
}

// priorityLevel maps a Jira priority name; unknown names read as none.
func priorityLevel(name string) backlog.PriorityLevel {
	for _, p := range priorities {
		if strings.EqualFold(p.name, name) {
			return p.level
		}
	}
	return backlog.PriorityNone
}

// priorityName is the Jira priority of a level, "" for none.
func priorityName(l backlog.PriorityLevel) string {
	for _, p := range priorities {
		if p.level == l {
			return p.name
		}
	}
	return ""
}

// sitePriority is the priority the site uses for a level: the one of that
// name, else the nearest existing one (a site may have dropped some), else
// "" when the site has none of the five.
func (c *Client) sitePriority(l backlog.PriorityLevel) string {
	if l == backlog.PriorityNone || priorityName(l) == "" {
		l = backlog.PriorityMedium // Jira's default: an issue always has one
	}
	at := 0
	for i, p := range priorities {
		if p.level == l {
			at = i
		}
	}
	has := func(i int) bool {
		return i >= 0 && i < len(priorities) && (c.priorities == nil || c.priorities[strings.ToLower(priorities[i].name)])
	}
	for d := 0; d < len(priorities); d++ {
		if has(at + d) {
			return priorities[at+d].name
		}
		if has(at - d) {
			return priorities[at-d].name
		}
	}
	return ""
}

// projectTitle is what Jira keeps of a summary: one line of at most 255
// characters.
func projectTitle(s string) string {
	s = strings.Join(strings.Fields(strings.ReplaceAll(strings.ReplaceAll(s, "\r", " "), "\n", " ")), " ")
	if r := []rune(s); len(r) > 255 {
		s = string(r[:255])
	}
	return s
}

// Project returns the value field f reads back as after writing v.
func (c *Client) Project(f backlog.Field, v backlog.Value) backlog.Value {
	switch f {
	case backlog.Title:
		return backlog.Value(projectTitle(string(v)))
	case backlog.Description:
		if v == "" {
			return ""
		}
		return backlog.Value(c.markdownFromWiki(c.wikiFromMarkdown(string(v))))
	case backlog.Priority:
		if name := c.sitePriority(backlog.PriorityLevel(v)); name != "" {
			return backlog.Value(priorityLevel(name))
		}
		return backlog.Value(backlog.PriorityNone)
	case backlog.Status:
		sv, err := backlog.DecodeStatus(v)
		if err != nil || (sv.Name == "" && sv.Category == "") {
			return v
		}
		s, ok := c.statusFor(sv)
		if !ok {
			return v
		}
		return backlog.EncodeStatus(backlog.StatusValue{Name: s.Name, Category: categoryOf(s.Category, s.Name)})
	case backlog.Assignee:
		return backlog.Value(c.projectAssignee(string(v)))
	case backlog.Labels:
		var it backlog.Item
		_ = it.Set(backlog.Labels, v)
		return backlog.Value(strings.Join(projectLabels(it.Labels), "\n"))
	case backlog.Estimate:
		f, ok := parseEstimate(v)
		if !ok || c.estimateField == "" {
			return ""
		}
		return backlog.Value(strconv.FormatFloat(f, 'g', -1, 64))
	case backlog.DueDate:
		if !validDate(v) {
			return ""
		}
		return v
	case backlog.Parent:
		return v
	case backlog.Sprint:
		return backlog.Value(c.projectSprint(string(v)))
	}
	return v
}

// validLabel says whether Jira can hold a label: no whitespace, not
// empty, at most 255 characters.
func validLabel(l string) bool {
	return l != "" && len([]rune(l)) <= 255 && !strings.ContainsFunc(l, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v' || r == 0x85 || r == 0xA0 || r == 0x2028 || r == 0x2029 || r == 0x3000
	})
}

// projectLabels keeps the labels Jira can hold, sorted, without
// duplicates.
func projectLabels(ls []string) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		if validLabel(l) {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// parseEstimate reads a canonical estimate; false for "" and for what a
// JSON number cannot hold.
func parseEstimate(v backlog.Value) (float64, bool) {
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func validDate(v backlog.Value) bool {
	if v == "" {
		return false
	}
	_, err := time.Parse(time.DateOnly, string(v))
	return err == nil
}

// statusFor picks the Jira status for a canonical one: the same name, else
// the first status of the matching category (a cancellation-like one for
// canceled).
func (c *Client) statusFor(sv backlog.StatusValue) (status, bool) {
	for _, s := range c.statuses {
		if strings.EqualFold(s.Name, sv.Name) {
			return s, true
		}
	}
	cat := jiraCategory(sv.Category)
	if sv.Category == backlog.CategoryCanceled {
		for _, s := range c.statuses {
			if s.Category == "done" && isCancelName(s.Name) {
				return s, true
			}
		}
	}
	if sv.Category == backlog.CategoryDone {
		for _, s := range c.statuses {
			if s.Category == "done" && !isCancelName(s.Name) {
				return s, true
			}
		}
	}
	for _, s := range c.statuses {
		if s.Category == cat {
			return s, true
		}
	}
	return status{}, false
}
