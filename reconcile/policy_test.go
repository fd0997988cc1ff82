package reconcile

import (
	"context"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/store"
)

// TestPoliciesPerFieldKind runs every policy on a text field (title,
// description), a scalar (priority, status) and a set (labels): each side
// changed the field to something else since the base.
func TestPoliciesPerFieldKind(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	type kind struct {
		field           backlog.Field
		base, jira, lin backlog.Value
	}
	kinds := []kind{
		{backlog.Title, "Checkout", "Checkout v2", "New checkout"},
		{backlog.Description, "# Spec\n\n- a", "# Spec\n\n- a\n- b", "# Spec\n\n- a\n- c"},
		{backlog.Priority, "medium", "high", "low"},
		{backlog.Status, "todo:To Do", "started:In Progress", "done:Done"},
		{backlog.Labels, "ui", "api\nui", "ux"},
	}
	for _, k := range kinds {
		for _, pol := range []backlog.Policy{backlog.PolicyJira, backlog.PolicyLinear, backlog.PolicyNewest, backlog.PolicyManual} {
			for _, linearLater := range []bool{false, true} {
				if pol != backlog.PolicyNewest && linearLater {
					continue
				}
				name := string(k.field) + "/" + string(pol)
				if pol == backlog.PolicyNewest {
					name += map[bool]string{true: "/linear-later", false: "/jira-later"}[linearLater]
				}
				t.Run(name, func(t *testing.T) {
					var j, l backlog.Item
					if err := j.Set(k.field, k.jira); err != nil {
						t.Fatal(err)
					}
					if err := l.Set(k.field, k.lin); err != nil {
						t.Fatal(err)
					}
					jc := map[backlog.Field]backlog.Change{k.field: {At: t0.Add(time.Minute), By: "alice@example.com"}}
					lc := map[backlog.Field]backlog.Change{k.field: {At: t0, By: "bob@example.com"}}
					if linearLater {
						lc[k.field] = backlog.Change{At: t0.Add(2 * time.Minute), By: "bob@example.com"}
					}
					out := Merge(Input{Fields: []backlog.Field{k.field}, Base: backlog.Snapshot{k.field: k.base}, Jira: j, Linear: l,
						Policies: Policies{Fields: map[backlog.Field]backlog.Policy{k.field: pol}}, JiraChanges: jc, LinearChanges: lc, Now: t0.Add(time.Hour)})
					if k.field == backlog.Labels {
						// A set merges whatever the policy: Jira added api,
						// Linear removed ui and added ux.
						if len(out.Conflicts) != 0 || out.Base[k.field] != "api\nux" ||
							out.Jira[k.field] != "+ux\n-ui" || out.Linear[k.field] != "+api" {
							t.Fatalf("labels must merge as sets: %+v", out)
						}
						return
					}
					if len(out.Conflicts) != 1 {
						t.Fatalf("%d conflicts", len(out.Conflicts))
					}
					c := out.Conflicts[0]
					if c.Base != k.base || c.JiraVal != k.jira || c.LinVal != k.lin || c.JiraBy != "alice@example.com" || c.LinearBy != "bob@example.com" || c.Policy != pol {
						t.Fatalf("record = %+v", c)
					}
					want := map[backlog.Policy]backlog.Side{backlog.PolicyJira: backlog.Jira, backlog.PolicyLinear: backlog.Linear, backlog.PolicyNewest: backlog.Jira}[pol]
					if linearLater {
						want = backlog.Linear
					}
					switch want {
					case backlog.Jira:
						if out.Linear[k.field] != k.jira || len(out.Jira) != 0 || out.Base[k.field] != k.jira || c.Decision != backlog.Jira || c.Open() {
							t.Fatalf("want jira kept: %+v", out)
						}
					case backlog.Linear:
						if out.Jira[k.field] != k.lin || len(out.Linear) != 0 || out.Base[k.field] != k.lin || c.Decision != backlog.Linear || c.Open() {
							t.Fatalf("want linear kept: %+v", out)
						}
					default: // manual
						if len(out.Jira)+len(out.Linear) != 0 || out.Base[k.field] != k.base || !c.Open() {
							t.Fatalf("manual must hold both sides open: %+v", out)
						}
					}
				})
			}
		}
	}
}

// history is a memConn with field histories.
type history struct {
	*memConn
	changes map[string]map[backlog.Field]backlog.Change
}

func (h *history) FieldChange(_ context.Context, id string, f backlog.Field) (backlog.Change, error) {
	return h.changes[id][f], nil
}

// TestNewestUsesFieldHistoryNotUpdatedAt: Jira's issue was updated last
// (another field), but Linear changed the title after Jira did; `newest`
// keeps Linear's title.
func TestNewestUsesFieldHistoryNotUpdatedAt(t *testing.T) {
	s, j, l, st := newSyncer(t, backlog.PolicyNewest)
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	ref := j.put(backlog.Item{Ref: backlog.Ref{ID: "1"}, Title: "A", Priority: backlog.PriorityLow})
	mustSync(t, s, ref)
	lid := backlog.TwinID("jira.example", "1")
	// Interleaved: Jira title 09:01, Linear title 09:02, Jira priority 09:03.
	j.edit("1", func(it *backlog.Item) {
		it.Title = "Jira title"
		it.Priority = backlog.PriorityHigh
		it.UpdatedAt = t0.Add(3 * time.Minute)
	})
	l.edit(lid, func(it *backlog.Item) { it.Title = "Linear title"; it.UpdatedAt = t0.Add(2 * time.Minute) })
	jh := &history{memConn: j, changes: map[string]map[backlog.Field]backlog.Change{"1": {
		backlog.Title: {At: t0.Add(time.Minute), By: "alice@example.com"}, backlog.Priority: {At: t0.Add(3 * time.Minute), By: "alice@example.com"}}}}
	lh := &history{memConn: l, changes: map[string]map[backlog.Field]backlog.Change{lid: {
		backlog.Title: {At: t0.Add(2 * time.Minute), By: "bob@example.com"}}}}
	s.JiraHistory, s.LinearHistory = jh, lh
	mustSync(t, s, ref)
	ji, _ := j.Get(t.Context(), "1")
	li, _ := l.Get(t.Context(), lid)
	if ji.Title != "Linear title" || li.Title != "Linear title" {
		t.Fatalf("titles jira %q linear %q: newest must follow the title's own history", ji.Title, li.Title)
	}
	if li.Priority != backlog.PriorityHigh {
		t.Fatalf("the non-conflicting priority edit must still flow: %q", li.Priority)
	}
	cs, _ := st.Conflicts(t.Context(), store.ConflictFilter{})
	if len(cs) != 1 || cs[0].Decision != backlog.Linear || !cs[0].LinearAt.Equal(t0.Add(2*time.Minute)) || cs[0].JiraBy != "alice@example.com" {
		t.Fatalf("conflicts = %+v", cs)
	}
	// Without histories the issues' updated times would have picked Jira.
	s2, j2, l2, _ := newSyncer(t, backlog.PolicyNewest)
	ref2 := j2.put(backlog.Item{Ref: backlog.Ref{ID: "1"}, Title: "A"})
	mustSync(t, s2, ref2)
	j2.edit("1", func(it *backlog.Item) { it.Title = "Jira title"; it.UpdatedAt = t0.Add(3 * time.Minute) })
	l2.edit(lid, func(it *backlog.Item) { it.Title = "Linear title"; it.UpdatedAt = t0.Add(2 * time.Minute) })
	mustSync(t, s2, ref2)
	if li, _ := l2.Get(t.Context(), lid); li.Title != "Jira title" {
		t.Fatalf("control: %q", li.Title)
	}
}
