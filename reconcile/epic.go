package reconcile

import (
	"github.com/tandem-sync/tandem/backlog"
)

// Epics as projects: a pair of KindEpic (a Jira epic ⇄ a Linear project)
// syncs backlog.EpicFields only. Its items are cut down to those fields
// before the merge (a project has no priority, assignee, labels, estimate,
// cycle, parent, relations or comments Tandem syncs), so the other fields
// read alike on both sides and never write; and its status is compared by
// category (a project status is of its own kind, not one of the team's
// workflow states). The children's Parent is the epic pair's link id, as
// for any parent (parent.go); matching and cross-links are issues' only.

// epicItem cuts it down to what an epic ⇄ project pair syncs.
func epicItem(it *backlog.Item) {
	*it = backlog.Item{Ref: it.Ref, Kind: backlog.KindEpic, Title: it.Title, Description: it.Description,
		Status:   backlog.StatusValue{Category: it.Status.Category},
		Priority: backlog.PriorityNone, DueDate: it.DueDate, UpdatedAt: it.UpdatedAt, Origin: it.Origin,
		Archived: it.Archived, Comments: []backlog.Comment{}, CommentsRead: true,
		Attachments: []backlog.Attachment{}, AttachmentsRead: true}
}

// epicProjector compares a status by its category.
func epicProjector(p Projector) Projector {
	return func(f backlog.Field, v backlog.Value) backlog.Value {
		if f == backlog.Status {
			st, err := backlog.DecodeStatus(v)
			if err != nil || v == "" {
				return v
			}
			return backlog.EncodeStatus(backlog.StatusValue{Category: st.Category})
		}
		return p(f, v)
	}
}

// isEpic says whether a pass deals with an epic ⇄ project pair.
func isEpic(link backlog.Link, items ...backlog.Item) bool {
	if link.Kind == backlog.KindEpic {
		return true
	}
	for _, it := range items {
		if it.Kind == backlog.KindEpic {
			return true
		}
	}
	return false
}
