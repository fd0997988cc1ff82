package jira

import (
	"encoding/json"
	"strings"

	"github.com/tandem-sync/tandem/backlog"
)

// Epics as projects (Config.EpicsAsProjects): an issue of the epic level
// (issuetype hierarchyLevel 1, as Jira Cloud's Epic type) reads as an item
// of KindEpic, whose twin is a Linear project; a twin of a Linear project
// is made with the project's epic type. Its children keep their parent
// field as any issue does.

// epicLevel is the issuetype hierarchyLevel of epics.
const epicLevel = 1

// readKind sets it.Kind from the issue's type.
func (c *Client) readKind(it *backlog.Item, w wireIssue) {
	if !c.cfg.EpicsAsProjects {
		return
	}
	var t *struct {
		Name           string `json:"name"`
		HierarchyLevel *int   `json:"hierarchyLevel"`
	}
	if raw, ok := w.Fields["issuetype"]; !ok || json.Unmarshal(raw, &t) != nil || t == nil {
		return
	}
	if (t.HierarchyLevel != nil && *t.HierarchyLevel == epicLevel) || (t.HierarchyLevel == nil && strings.EqualFold(t.Name, "Epic")) {
		it.Kind = backlog.KindEpic
	}
}

// epicFields narrows a twin's create fields to an epic's: the epic type,
// no parent; "" when the project has no epic type.
func (c *Client) epicFields(fields map[string]any) bool {
	if c.epicType == "" {
		return false
	}
	fields["issuetype"] = map[string]string{"name": c.epicType}
	delete(fields, "parent")
	return true
}
