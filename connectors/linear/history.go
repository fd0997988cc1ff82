package linear

import (
	"context"
	"fmt"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

var _ connectors.History = (*Client)(nil)

// historyEntry is one IssueHistory node; a document selects only the
// fields that tell about the field asked for, the rest stay nil.
type historyEntry struct {
	CreatedAt time.Time `json:"createdAt"`
	Actor     *struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"actor"`
	BotActor *struct {
		Name *string `json:"name"`
	} `json:"botActor"`

	FromTitle          *string  `json:"fromTitle"`
	ToTitle            *string  `json:"toTitle"`
	UpdatedDescription *bool    `json:"updatedDescription"`
	FromStateID        *string  `json:"fromStateId"`
	ToStateID          *string  `json:"toStateId"`
	FromPriority       *float64 `json:"fromPriority"`
	ToPriority         *float64 `json:"toPriority"`
	FromAssigneeID     *string  `json:"fromAssigneeId"`
	ToAssigneeID       *string  `json:"toAssigneeId"`
	AddedLabelIDs      []string `json:"addedLabelIds"`
	RemovedLabelIDs    []string `json:"removedLabelIds"`
	FromEstimate       *float64 `json:"fromEstimate"`
	ToEstimate         *float64 `json:"toEstimate"`
	FromDueDate        *string  `json:"fromDueDate"`
	ToDueDate          *string  `json:"toDueDate"`
	FromParentID       *string  `json:"fromParentId"`
	ToParentID         *string  `json:"toParentId"`
	FromCycleID        *string  `json:"fromCycleId"`
	ToCycleID          *string  `json:"toCycleId"`
}

// historyField says which IssueHistory fields tell that a canonical field
// changed. Linear leaves the from/to pair of an untouched property null;
// for a relation (assignee, parent, cycle) one side of the pair is null
// when the issue had none before or has none after, so either being set
// means a change.
type historyField struct {
	selection string
	changed   func(h *historyEntry) bool
}

var historyFields = map[backlog.Field]historyField{
	backlog.Title: {"fromTitle toTitle", func(h *historyEntry) bool { return h.FromTitle != nil || h.ToTitle != nil }},
	backlog.Description: {"updatedDescription", func(h *historyEntry) bool {
		return h.UpdatedDescription != nil && *h.UpdatedDescription
	}},
	backlog.Status: {"fromStateId toStateId", func(h *historyEntry) bool { return h.FromStateID != nil || h.ToStateID != nil }},
	backlog.Priority: {"fromPriority toPriority", func(h *historyEntry) bool {
		return h.FromPriority != nil || h.ToPriority != nil
	}},
	backlog.Assignee: {"fromAssigneeId toAssigneeId", func(h *historyEntry) bool {
		return h.FromAssigneeID != nil || h.ToAssigneeID != nil
	}},
	backlog.Labels: {"addedLabelIds removedLabelIds", func(h *historyEntry) bool {
		return len(h.AddedLabelIDs)+len(h.RemovedLabelIDs) > 0
	}},
	backlog.Estimate: {"fromEstimate toEstimate", func(h *historyEntry) bool {
		return h.FromEstimate != nil || h.ToEstimate != nil
	}},
	backlog.DueDate: {"fromDueDate toDueDate", func(h *historyEntry) bool { return h.FromDueDate != nil || h.ToDueDate != nil }},
	backlog.Parent:  {"fromParentId toParentId", func(h *historyEntry) bool { return h.FromParentID != nil || h.ToParentID != nil }},
	backlog.Sprint:  {"fromCycleId toCycleId", func(h *historyEntry) bool { return h.FromCycleID != nil || h.ToCycleID != nil }},
}

// historyPage is how many history entries one request reads.
const historyPage = 50

// historyQuery is the document reading one page of an issue's history with
// the given field selection, newest first: Linear orders connections by
// createdAt unless told otherwise, most recent first (its pagination docs:
// "by default results are ordered by createdAt"; the direction is what
// clients reading history(first: 1) as "last change" rely on).
func historyQuery(selection string) string {
	return fmt.Sprintf(`query TandemHistory($id: String!, $after: String) {
  issue(id: $id) {
    history(first: %d, after: $after, orderBy: createdAt) {
      nodes { createdAt actor { name email } botActor { name } %s }
      pageInfo { hasNextPage endCursor }
    }
  }
}`, historyPage, selection)
}

// FieldChange implements connectors.History: it pages through the issue's
// history newest first and returns the first entry that changed f, with
// its createdAt and its actor's email (the name when Linear hides the
// email; the bot's name for an integration's change). A field the history
// does not record (comments, rank: a manual reorder has no IssueHistory
// field) and an issue whose history never touched f give a zero Change. An
// unknown issue is ErrNotFound.
func (c *Client) FieldChange(ctx context.Context, id string, f backlog.Field) (backlog.Change, error) {
	hf, ok := historyFields[f]
	if !ok {
		return backlog.Change{}, nil
	}
	doc := historyQuery(hf.selection)
	what := fmt.Sprintf("reading linear history of %s", id)
	after := ""
	for {
		vars := map[string]any{"id": id}
		if after != "" {
			vars["after"] = after
		}
		var out struct {
			Issue *struct {
				History struct {
					Nodes    []historyEntry `json:"nodes"`
					PageInfo struct {
						HasNextPage bool   `json:"hasNextPage"`
						EndCursor   string `json:"endCursor"`
					} `json:"pageInfo"`
				} `json:"history"`
			} `json:"issue"`
		}
		if err := c.exec(ctx, what, doc, vars, &out); err != nil {
			return backlog.Change{}, err
		}
		if out.Issue == nil {
			return backlog.Change{}, fmt.Errorf("%s: %w", what, connectors.ErrNotFound)
		}
		for i := range out.Issue.History.Nodes {
			if h := &out.Issue.History.Nodes[i]; hf.changed(h) {
				return backlog.Change{At: h.CreatedAt, By: h.by()}, nil
			}
		}
		pi := out.Issue.History.PageInfo
		if !pi.HasNextPage || pi.EndCursor == "" {
			return backlog.Change{}, nil
		}
		if pi.EndCursor == after {
			return backlog.Change{}, fmt.Errorf("%s: page cursor %q does not advance", what, after)
		}
		after = pi.EndCursor
	}
}

// by names who made a change: the user's email, else their name, else the
// integration's name; "" when Linear names no one.
func (h *historyEntry) by() string {
	if h.Actor != nil {
		if h.Actor.Email != "" {
			return h.Actor.Email
		}
		if h.Actor.Name != "" {
			return h.Actor.Name
		}
	}
	if h.BotActor != nil && h.BotActor.Name != nil {
		return *h.BotActor.Name
	}
	return ""
}
