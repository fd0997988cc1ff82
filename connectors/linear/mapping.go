package linear

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/backlog"
)

// Linear ⇄ canonical mapping. Pure: no I/O, the team's states, users,
// labels and cycles come in as a catalog.

// state is one workflow state of the team.
type state struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Type     string  `json:"type"`
	Position float64 `json:"position"`
}

// catalog is what the mapping needs to know about the workspace.
type catalog struct {
	teamID  string
	states  []state           // by position
	users   map[string]string // lower-case email (own, or a Config.Users key) -> user id
	emailOf map[string]string // user id -> canonical email (a Config.Users key wins over the user's own)
	labels  map[string]string // lower-case name -> label id (the team's label wins over a workspace one)
	lnames  map[string]string // lower-case name -> the label's own spelling
	// labelByID names every label read (any team's or the workspace's),
	// for the labelIds issues carry; labelMissing holds ids looked up and
	// not found.
	labelByID    map[string]string
	labelMissing map[string]bool
	cycles       map[string]cycleRef
	people       people // profiles and names for mentions (mentions.go)
	est          estimation
	// createLabels: a label name missing in the team and workspace is
	// created on write (Config.CreateLabels), so it reads back as written.
	createLabels bool
}

// cycleRef is one of the team's cycles, under its display name.
type cycleRef struct{ ID, Name string }

// estimation is the team's estimate settings (Team.issueEstimationType,
// issueEstimationAllowZero, issueEstimationExtended).
type estimation struct {
	Type      string `json:"issueEstimationType"`
	AllowZero bool   `json:"issueEstimationAllowZero"`
	Extended  bool   `json:"issueEstimationExtended"`
}

// scale lists the estimates the team accepts, ascending; nil when
// estimates are off ("notUsed", or a type this client does not know).
// Linear's estimates guide: exponential 1, 2, 4, 8, 16; Fibonacci 1, 2, 3,
// 5, 8; linear 1–5; T-shirt XS, S, M, L, XL stored as 1, 2, 3, 5, 8.
// Extending adds two points (32, 64; 13, 21; 6, 7; XXL 13, XXXL 21);
// allowing zero adds 0.
func (e estimation) scale() []float64 {
	var base, ext []float64
	switch e.Type {
	case "exponential":
		base, ext = []float64{1, 2, 4, 8, 16}, []float64{32, 64}
	case "fibonacci", "tShirt":
		base, ext = []float64{1, 2, 3, 5, 8}, []float64{13, 21}
	case "linear":
		base, ext = []float64{1, 2, 3, 4, 5}, []float64{6, 7}
	default:
		return nil
	}
	var out []float64
	if e.AllowZero {
		out = append(out, 0)
	}
	out = append(out, base...)
	if e.Extended {
		out = append(out, ext...)
	}
	return out
}

// nearest returns the scale's value nearest to f (ties go to the larger
// one); ok is false when estimates are off.
func (e estimation) nearest(f float64) (v float64, ok bool) {
	sc := e.scale()
	if len(sc) == 0 {
		return 0, false
	}
	v = sc[0]
	for _, x := range sc[1:] {
		if math.Abs(x-f) <= math.Abs(v-f) {
			v = x
		}
	}
	return v, true
}

// categoryOf maps a Linear state type onto a canonical category.
func categoryOf(typ string) backlog.Category {
	switch typ {
	case "unstarted":
		return backlog.CategoryTodo
	case "started":
		return backlog.CategoryStarted
	case "completed":
		return backlog.CategoryDone
	case "canceled":
		return backlog.CategoryCanceled
	}
	return backlog.CategoryBacklog // backlog, triage and anything new
}

// typeOf is the Linear state type a canonical category maps to.
func typeOf(c backlog.Category) string {
	switch c {
	case backlog.CategoryTodo:
		return "unstarted"
	case backlog.CategoryStarted:
		return "started"
	case backlog.CategoryDone:
		return "completed"
	case backlog.CategoryCanceled:
		return "canceled"
	}
	return "backlog"
}

// stateFor picks the team state a canonical status lands on: the state of
// that name (case-insensitive), else the first state (by position) of the
// category's type. ok is false when the team has neither.
func (c *catalog) stateFor(sv backlog.StatusValue) (state, bool) {
	for _, st := range c.states {
		if strings.EqualFold(st.Name, sv.Name) {
			return st, true
		}
	}
	want := typeOf(sv.Category)
	for _, st := range c.states {
		if st.Type == want {
			return st, true
		}
	}
	return state{}, false
}

// Linear priorities: 0 none, 1 urgent, 2 high, 3 medium, 4 low.
func priorityFromLinear(p float64) backlog.PriorityLevel {
	switch int(p) {
	case 1:
		return backlog.PriorityHighest
	case 2:
		return backlog.PriorityHigh
	case 3:
		return backlog.PriorityMedium
	case 4:
		return backlog.PriorityLow
	}
	return backlog.PriorityNone
}

func priorityToLinear(p backlog.PriorityLevel) int {
	switch p {
	case backlog.PriorityHighest:
		return 1
	case backlog.PriorityHigh:
		return 2
	case backlog.PriorityMedium:
		return 3
	case backlog.PriorityLow, backlog.PriorityLowest:
		return 4
	}
	return 0
}

// formatRank renders a sortOrder as the canonical rank string.
func formatRank(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// issueNode is the Issue selection every read uses (issueFields).
type issueNode struct {
	// Comments is read by Get only (nil elsewhere).
	Comments *struct {
		Nodes    []commentNode `json:"nodes"`
		PageInfo struct {
			HasNextPage bool `json:"hasNextPage"`
		} `json:"pageInfo"`
	} `json:"comments"`
	// Files is read when files sync (nil otherwise; see files.go).
	Files       *fileConn `json:"attachments"`
	ID          string    `json:"id"`
	Identifier  string    `json:"identifier"`
	Title       string    `json:"title"`
	Description *string   `json:"description"`
	Priority    float64   `json:"priority"`
	Estimate    *float64  `json:"estimate"`
	DueDate     *string   `json:"dueDate"`
	SortOrder   float64   `json:"sortOrder"`
	UpdatedAt   string    `json:"updatedAt"`
	ArchivedAt  *string   `json:"archivedAt"`
	Trashed     *bool     `json:"trashed"`
	State       state     `json:"state"`
	Assignee    *struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"assignee"`
	// LabelIDs names the labels (a tenth of a complexity point, where the
	// labels connection costs one a label and page); the catalog names
	// them (Client.knowLabels).
	LabelIDs []string `json:"labelIds"`
	Parent   *struct {
		ID string `json:"id"`
	} `json:"parent"`
	Cycle *struct {
		Name   *string `json:"name"`
		Number float64 `json:"number"`
	} `json:"cycle"`
	Team struct {
		ID string `json:"id"`
	} `json:"team"`
	Project *struct {
		ID string `json:"id"`
	} `json:"project"`
	Relations        *relationConn `json:"relations"`
	InverseRelations *relationConn `json:"inverseRelations"`
}

// relationsComplete says whether the read carried all of the issue's
// relations (see relationsPage).
func (n issueNode) relationsComplete() bool {
	_, ok := relationsOf(n.Relations, n.InverseRelations)
	return ok
}

// issueFields carries the first relationsPage (5) relations of each
// connection (without their ids: only a write needs them).
const issueFields = `fragment IssueFields on Issue {
  id identifier title description priority estimate dueDate sortOrder updatedAt archivedAt trashed
  state { id name type position }
  assignee { id email }
  labelIds
  parent { id }
  cycle { name number }
  team { id }
  project { id }
  relations(first: 5) { nodes { type relatedIssue { id } } pageInfo { hasNextPage } }
  inverseRelations(first: 5) { nodes { type issue { id } } pageInfo { hasNextPage } }
}`

// labelNames is the names of n's labels, sorted (ids the catalog cannot
// name are left out: Client.knowLabels looks them up first).
func (c *catalog) labelNames(n issueNode) []string {
	var out []string
	for _, id := range n.LabelIDs {
		if name, ok := c.labelByID[id]; ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// nameLabel records a label's name by its id.
func (c *catalog) nameLabel(id, name string) {
	if c.labelByID == nil {
		c.labelByID = map[string]string{}
	}
	c.labelByID[id] = name
}

func cycleName(name *string, number float64) string {
	if name != nil && *name != "" {
		return *name
	}
	return fmt.Sprintf("Cycle %g", number)
}

// toItem converts an issue to canonical form. The assignee reads as the
// canonical email of its user (a Config.Users key when one maps to it).
func (c *catalog) toItem(n issueNode) (backlog.Item, error) {
	it := backlog.Item{
		Ref:      backlog.Ref{Side: backlog.Linear, ID: n.ID, Key: n.Identifier},
		Title:    n.Title,
		Status:   backlog.StatusValue{Name: n.State.Name, Category: categoryOf(n.State.Type)},
		Priority: priorityFromLinear(n.Priority),
		Estimate: n.Estimate,
		Rank:     formatRank(n.SortOrder),
		// Trashed issues are archived too; both can be restored.
		Archived: n.ArchivedAt != nil || (n.Trashed != nil && *n.Trashed),
	}
	if n.Description != nil {
		it.Description = c.mentionsIn(*n.Description)
	}
	if n.DueDate != nil {
		it.DueDate = *n.DueDate
	}
	if n.Assignee != nil {
		it.Assignee = strings.ToLower(n.Assignee.Email)
		if e, ok := c.emailOf[n.Assignee.ID]; ok {
			it.Assignee = e
		}
	}
	it.Labels = c.labelNames(n)
	if n.Parent != nil {
		it.Parent = n.Parent.ID
	}
	if n.Cycle != nil {
		it.Sprint = cycleName(n.Cycle.Name, n.Cycle.Number)
	}
	it.Relations, _ = relationsOf(n.Relations, n.InverseRelations)
	if n.UpdatedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, n.UpdatedAt)
		if err != nil {
			return backlog.Item{}, fmt.Errorf("issue %s updatedAt %q: %w", n.ID, n.UpdatedAt, err)
		}
		it.UpdatedAt = t
	}
	return it, nil
}

// project is Connector.Project over a catalog.
func (c *catalog) project(f backlog.Field, v backlog.Value) backlog.Value {
	switch f {
	case backlog.Description:
		return backlog.Value(c.mentionsIn(c.mentionsOut(string(v))))
	case backlog.Status:
		sv, err := backlog.DecodeStatus(v)
		if err != nil || v == "" {
			return v
		}
		st, ok := c.stateFor(sv)
		if !ok {
			return v
		}
		return backlog.EncodeStatus(backlog.StatusValue{Name: st.Name, Category: categoryOf(st.Type)})
	case backlog.Priority:
		if v == "" {
			return backlog.Value(backlog.PriorityNone)
		}
		p := backlog.PriorityLevel(v)
		if !p.Valid() {
			return v
		}
		return backlog.Value(priorityFromLinear(float64(priorityToLinear(p))))
	case backlog.Assignee:
		if v == "" {
			return ""
		}
		id, ok := c.users[strings.ToLower(string(v))]
		if !ok {
			return "" // no such person here: left unassigned
		}
		return backlog.Value(c.emailOf[id])
	case backlog.Estimate:
		if v == "" {
			return v
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return v
		}
		n, ok := c.est.nearest(f)
		if !ok {
			return "" // estimates are off in this team
		}
		return backlog.Value(strconv.FormatFloat(n, 'g', -1, 64))
	case backlog.Sprint:
		if v == "" {
			return ""
		}
		cy, ok := c.cycles[strings.ToLower(string(v))]
		if !ok {
			return ""
		}
		return backlog.Value(cy.Name)
	case backlog.Labels:
		// Label names are case-insensitive in Linear: an existing label
		// reads back in its own spelling; a missing one only when it is
		// created on write.
		it := backlog.Item{}
		_ = it.Set(backlog.Labels, v)
		kept := it.Labels[:0]
		created := map[string]bool{}
		for _, name := range it.Labels {
			if name == "" {
				continue
			}
			if own, ok := c.lnames[strings.ToLower(name)]; ok {
				kept = append(kept, own)
			} else if c.createLabels && !created[strings.ToLower(name)] {
				// Created in the value's (sorted) order: the first
				// spelling makes the label, the others find it.
				created[strings.ToLower(name)] = true
				kept = append(kept, name)
			}
		}
		it.Labels = kept
		return it.Get(backlog.Labels) // sorted, deduplicated
	}
	return v
}

// note is something a write could not represent, reported once per key.
type note struct {
	key, msg string
	attrs    []any
}

// input is a patch turned into Linear input: the IssueUpdateInput (or the
// matching part of an IssueCreateInput), the label names to create before
// writing (their ids go into addedLabelIds), and what could not be
// represented.
type input struct {
	fields  map[string]any
	missing []string
	notes   []note
}

// updateInput turns a patch into Linear input. The Labels entry is a delta
// (backlog.ParseLabelPatch): known names become addedLabelIds and
// removedLabelIds; a name to add that does not exist goes to missing when
// labels may be created, else to notes; removing a name that does not
// exist is a no-op. An email with no Linear user writes unassigned, a
// cycle name that does not exist writes no cycle, an estimate off the
// team's scale is rounded to its nearest value (each noted).
func (c *catalog) updateInput(p backlog.Patch) (input, error) {
	out := input{fields: map[string]any{}}
	in := out.fields
	for _, f := range p.Fields() {
		v := p[f]
		switch f {
		case backlog.Title:
			if strings.TrimSpace(string(v)) == "" {
				return input{}, fmt.Errorf("empty title")
			}
			in["title"] = string(v)
		case backlog.Description:
			in["description"] = c.mentionsOut(string(v))
		case backlog.Status:
			if v == "" {
				continue
			}
			sv, err := backlog.DecodeStatus(v)
			if err != nil {
				return input{}, err
			}
			st, ok := c.stateFor(sv)
			if !ok {
				return input{}, fmt.Errorf("no Linear state for status %q", v)
			}
			in["stateId"] = st.ID
		case backlog.Priority:
			p := backlog.PriorityLevel(v)
			if v == "" {
				p = backlog.PriorityNone
			}
			if !p.Valid() {
				return input{}, fmt.Errorf("invalid priority %q", v)
			}
			in["priority"] = priorityToLinear(p)
		case backlog.Assignee:
			in["assigneeId"] = nil
			if v == "" {
				continue
			}
			if id, ok := c.users[strings.ToLower(string(v))]; ok {
				in["assigneeId"] = id
			} else {
				out.notes = append(out.notes, note{key: "assignee\x00" + strings.ToLower(string(v)),
					msg: "linear: no user with this email, left unassigned", attrs: []any{"email", string(v)}})
			}
		case backlog.Labels:
			add, remove := backlog.ParseLabelPatch(v)
			added, removed := []string{}, []string{}
			for _, name := range add {
				if id, ok := c.labels[strings.ToLower(name)]; ok {
					added = append(added, id)
				} else if c.createLabels {
					out.missing = append(out.missing, name)
				} else {
					out.notes = append(out.notes, note{key: "label\x00" + strings.ToLower(name),
						msg: "linear: no label of this name and creating labels is off, skipped", attrs: []any{"label", name}})
				}
			}
			for _, name := range remove {
				if id, ok := c.labels[strings.ToLower(name)]; ok && !slices.Contains(added, id) {
					removed = append(removed, id)
				}
			}
			if len(added) > 0 {
				in["addedLabelIds"] = added
			}
			if len(removed) > 0 {
				in["removedLabelIds"] = removed
			}
		case backlog.Estimate:
			if v == "" {
				in["estimate"] = nil
				continue
			}
			f, err := strconv.ParseFloat(string(v), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return input{}, fmt.Errorf("invalid estimate %q", v)
			}
			n, ok := c.est.nearest(f)
			if !ok {
				in["estimate"] = nil
				out.notes = append(out.notes, note{key: "estimate\x00off", msg: "linear: estimates are off in this team, estimate not written",
					attrs: []any{"estimate", string(v)}})
				continue
			}
			if n != f {
				out.notes = append(out.notes, note{key: "estimate\x00" + string(v), msg: "linear: estimate not on the team's scale, rounded",
					attrs: []any{"estimate", string(v), "written", n, "scale", c.est.Type}})
			}
			in["estimate"] = int(n) // Linear estimates are Ints
		case backlog.DueDate:
			if v == "" {
				in["dueDate"] = nil
				continue
			}
			if _, err := time.Parse(time.DateOnly, string(v)); err != nil {
				return input{}, fmt.Errorf("invalid due date %q", v)
			}
			in["dueDate"] = string(v)
		case backlog.Parent:
			if v == "" {
				in["parentId"] = nil
			} else {
				in["parentId"] = string(v)
			}
		case backlog.Sprint:
			in["cycleId"] = nil
			if v == "" {
				continue
			}
			if cy, ok := c.cycles[strings.ToLower(string(v))]; ok {
				in["cycleId"] = cy.ID
			} else {
				out.notes = append(out.notes, note{key: "cycle\x00" + strings.ToLower(string(v)),
					msg: "linear: no cycle of this name, left out of any cycle", attrs: []any{"cycle", string(v)}})
			}
		case backlog.Rank:
			f, err := strconv.ParseFloat(string(v), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return input{}, fmt.Errorf("invalid rank %q: want a Linear sortOrder", v)
			}
			in["sortOrder"] = f
		}
	}
	return out, nil
}
