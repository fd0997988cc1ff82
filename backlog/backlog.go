package backlog

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Side names one of the two tools.
type Side string

const (
	Jira   Side = "jira"
	Linear Side = "linear"
)

// Other returns the opposite side.
func (s Side) Other() Side {
	if s == Jira {
		return Linear
	}
	return Jira
}

// Valid reports whether s is one of the two known sides.
func (s Side) Valid() bool { return s == Jira || s == Linear }

// Ref points at one item on one side. ID is the tool's stable id (Jira's
// numeric issue id, Linear's UUID); Key is the human key ("PROJ-12",
// "ENG-7"), informative only.
type Ref struct {
	Side Side   `json:"side"`
	ID   string `json:"id"`
	Key  string `json:"key,omitempty"`
}

// String renders the ref as side:id for logs and keys.
func (r Ref) String() string { return string(r.Side) + ":" + r.ID }

// IsZero reports whether the ref is unset.
func (r Ref) IsZero() bool { return r.ID == "" }

// ParseRef is the inverse of Ref.String (Key is not carried).
func ParseRef(s string) (Ref, error) {
	side, id, ok := strings.Cut(s, ":")
	if !ok || id == "" || !Side(side).Valid() {
		return Ref{}, fmt.Errorf("invalid ref %q: want jira:<id> or linear:<id>", s)
	}
	return Ref{Side: Side(side), ID: id}, nil
}

// Field names a synced field.
type Field string

const (
	Title       Field = "title"
	Description Field = "description"
	Status      Field = "status"
	Priority    Field = "priority"
	Assignee    Field = "assignee"
	Labels      Field = "labels"
	Estimate    Field = "estimate"
	DueDate     Field = "dueDate"
	Parent      Field = "parent"
	Sprint      Field = "sprint"
	Comments    Field = "comments"
	Rank        Field = "rank"
	// Relations are the item's relations to other synced items (blocks,
	// duplicates, related), a set like labels (see relations.go).
	Relations Field = "relations"
)

// AllFields lists every field of the canonical model, in display order.
var AllFields = []Field{Title, Description, Status, Priority, Assignee, Labels, Estimate, DueDate, Parent, Sprint, Relations, Comments, Attachments, Rank}

// SyncedFields are the fields the reconciler merges (comments, files and
// rank are synced by their own steps).
var SyncedFields = []Field{Title, Description, Status, Priority, Assignee, Labels, Estimate, DueDate, Parent, Sprint, Relations}

// Value is a field's canonical encoding. Each field documents its encoding on
// the Item accessor; equal values mean equal content, so the merge compares
// strings.
type Value string

// Category is a workflow-state category shared by both tools: Jira's status
// categories and Linear's state types both map onto it.
type Category string

const (
	CategoryBacklog  Category = "backlog"
	CategoryTodo     Category = "todo"
	CategoryStarted  Category = "started"
	CategoryDone     Category = "done"
	CategoryCanceled Category = "canceled"
)

// Valid reports whether c is a known category.
func (c Category) Valid() bool {
	switch c {
	case CategoryBacklog, CategoryTodo, CategoryStarted, CategoryDone, CategoryCanceled:
		return true
	}
	return false
}

// StatusValue is a workflow state: its name on the side it comes from and its
// category, used as the fallback when the other side has no state of that
// name.
type StatusValue struct {
	Name     string
	Category Category
}

// PriorityLevel is the canonical priority. Jira has five named levels, Linear
// four plus "No priority"; Lowest exists only in Jira.
type PriorityLevel string

const (
	PriorityNone    PriorityLevel = "none"
	PriorityHighest PriorityLevel = "highest" // Linear: Urgent
	PriorityHigh    PriorityLevel = "high"
	PriorityMedium  PriorityLevel = "medium"
	PriorityLow     PriorityLevel = "low"
	PriorityLowest  PriorityLevel = "lowest" // Linear has none: maps to Low
)

// Valid reports whether p is a known level.
func (p PriorityLevel) Valid() bool {
	switch p {
	case PriorityNone, PriorityHighest, PriorityHigh, PriorityMedium, PriorityLow, PriorityLowest:
		return true
	}
	return false
}

// Item is one backlog item as read from one side, in canonical form.
type Item struct {
	Ref         Ref
	Title       string
	Description string // Markdown
	Status      StatusValue
	Priority    PriorityLevel
	Assignee    string   // email of the assignee, "" when unassigned
	Labels      []string // label names
	Estimate    *float64
	DueDate     string // YYYY-MM-DD or ""
	Parent      string // the parent's id on the same side, or ""
	Sprint      string // sprint or cycle name, or ""
	Rank        string // the side's own order key (LexoRank, sortOrder)
	// Relations to other items of the same side (Relation.To is their id
	// there), of the types the mapping syncs.
	Relations []Relation
	UpdatedAt time.Time
	// Origin is set on an item Tandem created as a twin: the ref of the item
	// it mirrors. Connectors read it from their marker (a Jira issue
	// property; a Linear id derived from the Jira id).
	Origin Ref
	// Archived is set on an item the tool keeps but has archived or
	// trashed (Linear).
	Archived bool
	// Comments, when CommentsRead is set, are all the item's comments,
	// oldest first, read with the item (a pass then needs no second call
	// for them). CommentsRead is false when the tool's answer held only
	// some of them.
	Comments     []Comment
	CommentsRead bool
	// Attachments, when AttachmentsRead is set, are the item's files, read
	// with the item (as connectors.Attacher lists them: files only).
	Attachments     []Attachment
	AttachmentsRead bool
	// Kind is KindEpic for a Jira epic or a Linear project when epics sync
	// as projects (see Kind); KindIssue otherwise.
	Kind Kind
}

// Get returns the canonical encoding of field f.
//
//   - title, description, assignee, dueDate, parent, sprint, rank: the string
//   - status: "<category>:<name>" (see StatusValue)
//   - priority: the PriorityLevel
//   - labels: the names sorted and joined with "\n"
//   - estimate: the number in strconv 'g' form, "" when unset
//   - relations: EncodeRelations ("<type>:<to>" lines, sorted)
func (it Item) Get(f Field) Value {
	switch f {
	case Title:
		return Value(it.Title)
	case Description:
		return Value(it.Description)
	case Status:
		return EncodeStatus(it.Status)
	case Priority:
		return Value(it.Priority)
	case Assignee:
		return Value(it.Assignee)
	case Labels:
		l := slices.Clone(it.Labels)
		slices.Sort(l)
		return Value(strings.Join(slices.Compact(l), "\n"))
	case Estimate:
		if it.Estimate == nil {
			return ""
		}
		return Value(strconv.FormatFloat(*it.Estimate, 'g', -1, 64))
	case DueDate:
		return Value(it.DueDate)
	case Parent:
		return Value(it.Parent)
	case Sprint:
		return Value(it.Sprint)
	case Rank:
		return Value(it.Rank)
	case Relations:
		return EncodeRelations(it.Relations)
	}
	return ""
}

// Set stores v, a canonical encoding, into field f.
func (it *Item) Set(f Field, v Value) error {
	switch f {
	case Title:
		it.Title = string(v)
	case Description:
		it.Description = string(v)
	case Status:
		s, err := DecodeStatus(v)
		if err != nil {
			return err
		}
		it.Status = s
	case Priority:
		p := PriorityLevel(v)
		if p == "" {
			p = PriorityNone
		}
		if !p.Valid() {
			return fmt.Errorf("invalid priority %q", v)
		}
		it.Priority = p
	case Assignee:
		it.Assignee = string(v)
	case Labels:
		if v == "" {
			it.Labels = nil
		} else {
			it.Labels = strings.Split(string(v), "\n")
		}
	case Estimate:
		if v == "" {
			it.Estimate = nil
			return nil
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return fmt.Errorf("invalid estimate %q: %w", v, err)
		}
		it.Estimate = &f
	case DueDate:
		if v != "" {
			if _, err := time.Parse(time.DateOnly, string(v)); err != nil {
				return fmt.Errorf("invalid due date %q: want YYYY-MM-DD", v)
			}
		}
		it.DueDate = string(v)
	case Parent:
		it.Parent = string(v)
	case Sprint:
		it.Sprint = string(v)
	case Rank:
		it.Rank = string(v)
	case Relations:
		rs, err := DecodeRelations(v)
		if err != nil {
			return err
		}
		it.Relations = rs
	default:
		return fmt.Errorf("unknown field %q", f)
	}
	return nil
}

// Snapshot returns the canonical values of the given fields.
func (it Item) Snapshot(fields []Field) Snapshot {
	s := make(Snapshot, len(fields))
	for _, f := range fields {
		s[f] = it.Get(f)
	}
	return s
}

// EncodeStatus renders a status as "<category>:<name>".
func EncodeStatus(s StatusValue) Value {
	if s.Name == "" && s.Category == "" {
		return ""
	}
	return Value(string(s.Category) + ":" + s.Name)
}

// DecodeStatus parses "<category>:<name>".
func DecodeStatus(v Value) (StatusValue, error) {
	if v == "" {
		return StatusValue{}, nil
	}
	c, n, ok := strings.Cut(string(v), ":")
	if !ok || !Category(c).Valid() {
		return StatusValue{}, fmt.Errorf("invalid status %q: want <category>:<name>", v)
	}
	return StatusValue{Name: n, Category: Category(c)}, nil
}

// Snapshot is a set of canonical field values: the base both sides agreed on
// at the last successful sync, or one side's current values.
type Snapshot map[Field]Value

// Patch is a set of field values to write to one side.
type Patch map[Field]Value

// Fields returns the patched fields in display order.
func (p Patch) Fields() []Field {
	var out []Field
	for _, f := range AllFields {
		if _, ok := p[f]; ok {
			out = append(out, f)
		}
	}
	return out
}

// Apply writes the patch into a copy of it. A Labels entry is a delta
// (LabelPatch), applied as adds and removes; so is a Relations entry
// (SetPatch).
func (p Patch) Apply(it Item) (Item, error) {
	for f, v := range p {
		if f == Relations {
			if err := it.Set(f, ApplySetPatch(it.Get(f), v)); err != nil {
				return it, err
			}
			continue
		}
		if f == Labels {
			add, remove := ParseLabelPatch(v)
			it.Labels = ApplyLabels(it.Labels, add, remove)
			continue
		}
		if err := it.Set(f, v); err != nil {
			return it, err
		}
	}
	return it, nil
}

// Labels are compared case-insensitively everywhere below: Jira's "bug"
// and Linear's "Bug" are one label, each side keeping its spelling.

// LabelPatch is the Labels entry of a Patch: the labels to add ("+name"
// lines) and to remove ("-name" lines) to go from set from to set to, so
// that a write never drops a label someone added meanwhile. Empty when the
// sets are equal.
func LabelPatch(from, to Value) Value {
	fs, ts := labelSet(from), labelSet(to)
	var lines []string
	for _, k := range sortedKeys(ts) {
		if _, ok := fs[k]; !ok {
			lines = append(lines, "+"+ts[k])
		}
	}
	for _, k := range sortedKeys(fs) {
		if _, ok := ts[k]; !ok {
			lines = append(lines, "-"+fs[k])
		}
	}
	return Value(strings.Join(lines, "\n"))
}

// ParseLabelPatch splits a LabelPatch into the labels to add and remove.
func ParseLabelPatch(v Value) (add, remove []string) {
	for _, line := range strings.Split(string(v), "\n") {
		switch {
		case strings.HasPrefix(line, "+") && len(line) > 1:
			add = append(add, line[1:])
		case strings.HasPrefix(line, "-") && len(line) > 1:
			remove = append(remove, line[1:])
		}
	}
	return add, remove
}

// ApplyLabels returns labels with add added (unless present in any case)
// and remove removed (in any case), sorted.
func ApplyLabels(labels, add, remove []string) []string {
	set := map[string]string{}
	for _, l := range slices.Sorted(slices.Values(labels)) {
		if _, dup := set[strings.ToLower(l)]; !dup {
			set[strings.ToLower(l)] = l
		}
	}
	for _, l := range add {
		if _, ok := set[strings.ToLower(l)]; !ok {
			set[strings.ToLower(l)] = l
		}
	}
	for _, l := range remove {
		delete(set, strings.ToLower(l))
	}
	out := make([]string, 0, len(set))
	for _, l := range set {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// MergeLabels is the three-way merge of label sets: a label added on
// either side since the base is in, a label removed on either side is out.
func MergeLabels(base, jira, linear Value) Value {
	b, j, l := labelSet(base), labelSet(jira), labelSet(linear)
	out := map[string]string{}
	for k, x := range b {
		_, inJ := j[k]
		_, inL := l[k]
		if inJ && inL {
			out[k] = x
		}
	}
	for _, side := range []map[string]string{j, l} {
		for k, x := range side {
			if _, ok := b[k]; !ok {
				out[k] = x
			}
		}
	}
	vals := make([]string, 0, len(out))
	for _, x := range out {
		vals = append(vals, x)
	}
	slices.Sort(vals)
	return Value(strings.Join(vals, "\n"))
}

// labelSet maps each label's lower-case form to its spelling (the first
// in the value's sorted order, where two differ only in case).
func labelSet(v Value) map[string]string {
	set := map[string]string{}
	for _, l := range strings.Split(string(v), "\n") {
		if _, dup := set[strings.ToLower(l)]; l != "" && !dup {
			set[strings.ToLower(l)] = l
		}
	}
	return set
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Comment is one comment of an item, in canonical form.
type Comment struct {
	ID      string
	Author  string // email, or display name when the tool hides it
	Body    string // Markdown
	Created time.Time
	Updated time.Time
}

// Link ties an item on Jira to its twin on Linear. The Linear id is known
// from the start (a twin created in Linear gets an id derived from the Jira
// issue), so it names the link; Jira is empty while a Jira twin is being
// created.
type Link struct {
	Jira    Ref       `json:"jira"`
	Linear  Ref       `json:"linear"`
	Created time.Time `json:"created"`
	// Pending is set while the twin on Pending's side is being created.
	Pending Side `json:"pending,omitempty"`
	// Stopped says why the pair no longer syncs ("" while it does): an
	// item left the scope, or was deleted or archived (and the mapping
	// says to only mark it). The link is kept so syncing can resume.
	Stopped string `json:"stopped,omitempty"`
	// Kind is KindEpic for a Jira epic ⇄ Linear project pair (Linear.ID
	// is then the project's id).
	Kind Kind `json:"kind,omitempty"`
}

// ID is the link's stable name: the Linear issue id.
func (l Link) ID() string { return l.Linear.ID }

// Ref returns the link's ref on side s.
func (l Link) Ref(s Side) Ref {
	if s == Jira {
		return l.Jira
	}
	return l.Linear
}

// Policy says how a conflict on a field is settled.
type Policy string

const (
	PolicyJira   Policy = "jira"
	PolicyLinear Policy = "linear"
	PolicyNewest Policy = "newest"
	PolicyManual Policy = "manual"
)

// Valid reports whether p is a known policy.
func (p Policy) Valid() bool {
	switch p {
	case PolicyJira, PolicyLinear, PolicyNewest, PolicyManual:
		return true
	}
	return false
}

// Conflict records a field changed on both sides to different values since
// the base, and what was done about it.
type Conflict struct {
	ID       string    `json:"id"`
	LinkID   string    `json:"linkId"`
	Jira     Ref       `json:"jira"`
	Linear   Ref       `json:"linear"`
	Field    Field     `json:"field"`
	Base     Value     `json:"base"`
	JiraVal  Value     `json:"jiraValue"`
	LinVal   Value     `json:"linearValue"`
	JiraAt   time.Time `json:"jiraAt,omitzero"`
	LinearAt time.Time `json:"linearAt,omitzero"`
	JiraBy   string    `json:"jiraBy,omitempty"`
	LinearBy string    `json:"linearBy,omitempty"`
	Policy   Policy    `json:"policy"`
	// Decision is the side whose value was kept, or "" while the conflict is
	// open (manual policy) and when a person settled it with the base or a
	// value of their own (Took says which).
	Decision Side `json:"decision,omitempty"`
	// Took is how a person settled it: "jira", "linear", "base" or
	// "value"; "" for a decision by policy.
	Took      string    `json:"took,omitempty"`
	Value     Value     `json:"value"` // the value written to both sides
	At        time.Time `json:"at"`
	SettledBy string    `json:"settledBy,omitempty"`
	SettledAt time.Time `json:"settledAt,omitzero"`
	// Applied is set once Value is on both sides (at once for a decision
	// by policy; after the next sync pass for a person's).
	Applied bool `json:"applied,omitempty"`
	// Note explains a conflict that is not two edits: a tool refused to
	// take a value (no workflow path to a status, a required field).
	Note string `json:"note,omitempty"`
}

// Open reports whether the conflict still waits for a decision.
func (c Conflict) Open() bool { return c.SettledAt.IsZero() }

// TwinID derives the id a Linear twin of a Jira issue takes, so that a
// create retried after a crash asks for the same id and Linear refuses or
// finds the duplicate. site distinguishes Jira sites (the base URL's host),
// jiraID is Jira's numeric issue id. The result has the shape of a UUID v4,
// the shape Linear accepts for a client-chosen id.
func TwinID(site, jiraID string) string {
	sum := sha256.Sum256([]byte("tandem/twin/v1\x00" + site + "\x00" + jiraID))
	b := sum[:16]
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Move places IDs, in that order, as one contiguous run right after the
// item After, or right before Before when After is empty. IDs, After and
// Before are ids of one side. A move plan is applied in sequence.
type Move struct {
	IDs    []string `json:"ids"`
	After  string   `json:"after,omitempty"`
	Before string   `json:"before,omitempty"`
}

// Change is when, and by whom, a field of an item last changed, as the
// tool's history tells it (Jira changelog, Linear issue history).
type Change struct {
	At time.Time
	By string // email, or a display name when the tool hides the email
}
