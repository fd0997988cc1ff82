package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tandem-sync/tandem/backlog"
)

// Mapping is the optional mapping file (TANDEM_MAPPING, YAML): how fields
// sync and how conflicts on them are settled. Every setting has a default,
// so a standard project needs no file.
//
//	order_master: jira          # jira | linear | off
//	conflicts:
//	  default: jira             # jira | linear | newest | manual
//	  retention:
//	    max_age: 720h           # settled records older than this are dropped
//	    max_count: 10000        # and beyond this many settled records
//	fields:
//	  title:       {policy: newest}
//	  description: {policy: manual}
//	relations:                  # Jira link types beyond Blocks, Duplicate, Relates
//	  Cloners: related
//	parent:
//	  jira_epics: linear_projects # epics ⇄ Linear projects (default: linear_issues)
type Mapping struct {
	OrderMaster   string
	DefaultPolicy backlog.Policy
	Policies      map[backlog.Field]backlog.Policy
	// Directions: both (default), jira_to_linear, linear_to_jira, off.
	Directions map[backlog.Field]string
	Retention  Retention
	// Statuses maps Jira status names to Linear state names where the
	// names differ (otherwise: same name, then same category).
	Statuses map[string]string
	// Priorities maps Jira priority names to canonical levels (highest,
	// high, medium, low, lowest, none) for sites with their own scheme.
	Priorities map[string]backlog.PriorityLevel
	// Users pairs people whose emails differ or are hidden: by email, the
	// Jira accountId and the Linear email.
	Users map[string]UserMapping
	// Sprints pairs Jira sprint names with Linear cycle names where the
	// dates do not tell (otherwise: the cycle whose dates overlap most).
	Sprints map[string]string
	Jira    JiraMapping
	Linear  LinearMapping
	// Deleted says what happens to a twin when its item is deleted or
	// archived: "mark" (default: the link is kept and marked) or "mirror".
	Deleted string
	// Relations maps more Jira issue link type names to canonical
	// relation types (blocks, related, duplicates; the type the link's
	// outward end holds), beside the defaults Blocks → blocks, Duplicate
	// → duplicates, Relates → related: `relations: {Cloners: related}`.
	Relations map[string]backlog.RelationType
	// Match configures matching before creating (issue 8):
	//
	//	match:
	//	  title: exact        # exact, unique titles match (default: off)
	//	  pairs: pairs.csv    # a pairs file (Jira key, Linear identifier per line)
	//	  off: true           # no matching at all
	Match MatchMapping
	// FirstSync settles what differs at a pair's first sync (a matched
	// pair has no base): jira (default, the system of record), linear,
	// newest or manual.
	FirstSync backlog.Policy
	// NoCrossLinks (cross_links: off) stops Tandem putting on each twin a
	// link to the other (a Jira remote link, a Linear attachment); they
	// cost one write per side per pair and are the signal that re-links
	// pairs after a lost store.
	NoCrossLinks bool
	// NoFiles (attachments: off) stops Tandem copying files; FileCap
	// (attachments.max_bytes, default 10 MB) is the size above which a
	// file gets a link on the other side instead of a copy.
	NoFiles bool
	FileCap int64
	// Epics says what a Jira epic becomes in Linear (parent.jira_epics):
	// an issue (EpicsAsIssues, the default) or a project (EpicsAsProjects).
	Epics Epics
	// Lines remembers where each setting was written, for later checks
	// against the tools' metadata (tandem config check): "statuses.To Do".
	Lines map[string]int
}

// MatchMapping is the match: section.
type MatchMapping struct {
	Off        bool   // no look-up before creating
	TitleExact bool   // title: exact
	PairsFile  string // pairs: path, relative to the mapping file's directory
}

// UserMapping names one person on both sides.
type UserMapping struct {
	JiraAccountID string
	LinearEmail   string
}

// JiraMapping holds Jira-side settings.
type JiraMapping struct {
	JQL              string // extra scope filter, ANDed to the project
	StoryPointsField string // custom field id of the estimate (default: found by name)
}

// LinearMapping holds Linear-side settings.
type LinearMapping struct {
	Labels       []string // narrow the team to issues with one of these labels
	Project      string   // narrow the team to one project
	CreateLabels bool     // create labels missing in Linear
	CreateCycles bool     // create a cycle for a Jira sprint no cycle pairs with
}

// Retention bounds the conflict log. Open conflicts are never dropped.
type Retention struct {
	MaxAge   time.Duration // 0: keep forever
	MaxCount int           // settled records kept at most; 0: no bound
}

// DefaultMapping is what applies without a file.
func DefaultMapping() Mapping {
	return Mapping{OrderMaster: "off", DefaultPolicy: backlog.PolicyJira, Policies: map[backlog.Field]backlog.Policy{},
		Directions: map[backlog.Field]string{}, Statuses: map[string]string{}, Priorities: map[string]backlog.PriorityLevel{},
		Users: map[string]UserMapping{}, Sprints: map[string]string{}, Deleted: "mark", Lines: map[string]int{}, Relations: map[string]backlog.RelationType{}, FirstSync: backlog.PolicyJira, Epics: EpicsAsIssues,
		Retention: Retention{MaxAge: 90 * 24 * time.Hour, MaxCount: 100000}}
}

// MappingError is a problem in the mapping file at a line.
type MappingError struct {
	File string
	Line int
	Msg  string
}

func (e *MappingError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// LoadMapping reads and checks the mapping file at path.
func LoadMapping(path string) (Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Mapping{}, &MappingError{File: path, Msg: err.Error()}
	}
	m, err := ParseMapping(path, data)
	if err == nil && m.Match.PairsFile != "" && !filepath.IsAbs(m.Match.PairsFile) {
		m.Match.PairsFile = filepath.Join(filepath.Dir(path), m.Match.PairsFile)
	}
	return m, err
}

// ParseMapping parses a mapping document; file names it in errors.
func ParseMapping(file string, data []byte) (Mapping, error) {
	m := DefaultMapping()
	if len(bytes.TrimSpace(data)) == 0 {
		return m, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return m, &MappingError{File: file, Line: yamlLine(err), Msg: "not valid YAML: " + yamlMsg(err)}
	}
	if len(doc.Content) == 0 {
		return m, nil
	}
	p := mappingParser{file: file}
	root := doc.Content[0]
	if err := p.mapping(root, "the top level"); err != nil {
		return m, err
	}
	for i := 0; i < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		var err error
		switch k.Value {
		case "order_master":
			m.OrderMaster, err = p.oneOf(v, "order_master", "jira", "linear", "off")
		case "conflicts":
			err = p.conflicts(v, &m)
		case "fields":
			err = p.fields(v, &m)
		case "statuses":
			err = p.stringMap(v, "statuses", func(k, v *yaml.Node) error {
				m.Statuses[k.Value] = v.Value
				m.Lines["statuses."+k.Value] = k.Line
				return nil
			})
		case "priorities":
			err = p.stringMap(v, "priorities", func(k, v *yaml.Node) error {
				lvl := backlog.PriorityLevel(v.Value)
				if !lvl.Valid() {
					return p.errf(v, "priorities.%s: %q is not one of highest, high, medium, low, lowest, none", k.Value, v.Value)
				}
				m.Priorities[k.Value] = lvl
				m.Lines["priorities."+k.Value] = k.Line
				return nil
			})
		case "users":
			err = p.users(v, &m)
		case "sprints":
			err = p.stringMap(v, "sprints", func(k, v *yaml.Node) error {
				for other := range m.Sprints {
					if strings.EqualFold(m.Sprints[other], v.Value) {
						return p.errf(v, "sprints.%s: cycle %q is already paired with sprint %q", k.Value, v.Value, other)
					}
				}
				m.Sprints[k.Value] = v.Value
				m.Lines["sprints."+k.Value] = k.Line
				return nil
			})
		case "jira":
			err = p.jira(v, &m)
		case "linear":
			err = p.linear(v, &m)
		case "deleted":
			m.Deleted, err = p.oneOf(v, "deleted", "mark", "mirror")
		case "relations":
			err = p.stringMap(v, "relations", func(k, v *yaml.Node) error {
				t := backlog.RelationType(v.Value)
				if !t.Valid() {
					return p.errf(v, "relations.%s: %q is not one of %v", k.Value, v.Value, backlog.RelationTypes)
				}
				m.Relations[k.Value] = t
				m.Lines["relations."+k.Value] = k.Line
				return nil
			})
		case "match":
			err = p.match(v, &m)
		case "first_sync":
			m.FirstSync, err = p.policy(v, "first_sync")
		case "parent":
			err = p.parent(v, &m)
		case "attachments":
			err = p.attachments(v, &m)
		case "cross_links":
			var on string
			on, err = p.oneOf(v, "cross_links", "on", "off")
			m.NoCrossLinks = on == "off"
		default:
			err = p.errf(k, "unknown setting %q (known: order_master, conflicts, fields, statuses, priorities, users, sprints, jira, linear, deleted, relations, match, first_sync, cross_links, parent, attachments)", k.Value)
		}
		if err != nil {
			return m, err
		}
	}
	return m, p.checkEpics(m)
}

type mappingParser struct{ file string }

func (p mappingParser) match(n *yaml.Node, m *Mapping) error {
	if err := p.mapping(n, "match"); err != nil {
		return err
	}
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "title":
			t, err := p.oneOf(v, "match.title", "exact", "off")
			if err != nil {
				return err
			}
			m.Match.TitleExact = t == "exact"
		case "pairs":
			if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
				return p.errf(v, "match.pairs: want the path of a pairs file")
			}
			m.Match.PairsFile = v.Value
		case "off":
			if err := v.Decode(&m.Match.Off); err != nil {
				return p.errf(v, "match.off: %q is not true or false", v.Value)
			}
		default:
			return p.errf(k, "unknown setting match.%s (known: title, pairs, off)", k.Value)
		}
		m.Lines["match."+k.Value] = k.Line
	}
	return nil
}

func (p mappingParser) errf(n *yaml.Node, format string, args ...any) error {
	return &MappingError{File: p.file, Line: n.Line, Msg: fmt.Sprintf(format, args...)}
}

func (p mappingParser) mapping(n *yaml.Node, where string) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "%s must be a mapping of keys to values", where)
	}
	return nil
}

func (p mappingParser) oneOf(n *yaml.Node, key string, allowed ...string) (string, error) {
	if n.Kind == yaml.ScalarNode {
		for _, a := range allowed {
			if n.Value == a {
				return a, nil
			}
		}
	}
	return "", p.errf(n, "%s: %q is not one of %s", key, n.Value, strings.Join(allowed, ", "))
}

func (p mappingParser) policy(n *yaml.Node, key string) (backlog.Policy, error) {
	v, err := p.oneOf(n, key, "jira", "linear", "newest", "manual")
	return backlog.Policy(v), err
}

func (p mappingParser) conflicts(n *yaml.Node, m *Mapping) error {
	if err := p.mapping(n, "conflicts"); err != nil {
		return err
	}
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "default":
			pol, err := p.policy(v, "conflicts.default")
			if err != nil {
				return err
			}
			m.DefaultPolicy = pol
		case "retention":
			if err := p.retention(v, m); err != nil {
				return err
			}
		default:
			return p.errf(k, "unknown setting conflicts.%s (known: default, retention)", k.Value)
		}
	}
	return nil
}

func (p mappingParser) retention(n *yaml.Node, m *Mapping) error {
	if err := p.mapping(n, "conflicts.retention"); err != nil {
		return err
	}
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "max_age":
			d, err := time.ParseDuration(v.Value)
			if err != nil || d < 0 {
				return p.errf(v, "conflicts.retention.max_age: %q is not a duration such as 720h (0 keeps records forever)", v.Value)
			}
			m.Retention.MaxAge = d
		case "max_count":
			var c int
			if err := v.Decode(&c); err != nil || c < 0 {
				return p.errf(v, "conflicts.retention.max_count: %q is not a count (0: no bound)", v.Value)
			}
			m.Retention.MaxCount = c
		default:
			return p.errf(k, "unknown setting conflicts.retention.%s (known: max_age, max_count)", k.Value)
		}
	}
	return nil
}

func (p mappingParser) fields(n *yaml.Node, m *Mapping) error {
	if err := p.mapping(n, "fields"); err != nil {
		return err
	}
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := backlog.Field(k.Value)
		known := false
		for _, a := range backlog.AllFields {
			known = known || a == f
		}
		if !known {
			names := make([]string, len(backlog.AllFields))
			for j, a := range backlog.AllFields {
				names[j] = string(a)
			}
			return p.errf(k, "unknown field %q (fields: %s)", k.Value, strings.Join(names, ", "))
		}
		if err := p.mapping(v, "fields."+k.Value); err != nil {
			return err
		}
		for j := 0; j < len(v.Content); j += 2 {
			fk, fv := v.Content[j], v.Content[j+1]
			switch fk.Value {
			case "policy":
				pol, err := p.policy(fv, "fields."+k.Value+".policy")
				if err != nil {
					return err
				}
				m.Policies[f] = pol
			case "direction":
				d, err := p.oneOf(fv, "fields."+k.Value+".direction", "both", "jira_to_linear", "linear_to_jira", "off")
				if err != nil {
					return err
				}
				m.Directions[f] = d
			default:
				return p.errf(fk, "unknown setting fields.%s.%s (known: policy, direction)", k.Value, fk.Value)
			}
		}
	}
	return nil
}

// stringMap walks a mapping of scalar keys to scalar values.
func (p mappingParser) stringMap(n *yaml.Node, where string, each func(k, v *yaml.Node) error) error {
	if err := p.mapping(n, where); err != nil {
		return err
	}
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode || v.Value == "" {
			return p.errf(v, "%s.%s: want a name", where, k.Value)
		}
		if err := each(k, v); err != nil {
			return err
		}
	}
	return nil
}

func (p mappingParser) users(n *yaml.Node, m *Mapping) error {
	if err := p.mapping(n, "users"); err != nil {
		return err
	}
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !strings.Contains(k.Value, "@") {
			return p.errf(k, "users: %q is not an email address (key each person by email)", k.Value)
		}
		if err := p.mapping(v, "users."+k.Value); err != nil {
			return err
		}
		var u UserMapping
		for j := 0; j < len(v.Content); j += 2 {
			uk, uv := v.Content[j], v.Content[j+1]
			switch uk.Value {
			case "jira":
				u.JiraAccountID = uv.Value
			case "linear":
				u.LinearEmail = uv.Value
			default:
				return p.errf(uk, "unknown setting users.%s.%s (known: jira (accountId), linear (email))", k.Value, uk.Value)
			}
		}
		m.Users[k.Value] = u
		m.Lines["users."+k.Value] = k.Line
	}
	return nil
}

func (p mappingParser) jira(n *yaml.Node, m *Mapping) error {
	if err := p.mapping(n, "jira"); err != nil {
		return err
	}
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		m.Lines["jira."+k.Value] = v.Line
		switch k.Value {
		case "jql":
			m.Jira.JQL = v.Value
		case "story_points_field":
			if !strings.HasPrefix(v.Value, "customfield_") {
				return p.errf(v, "jira.%s: %q is not a custom field id such as customfield_10016", k.Value, v.Value)
			}
			m.Jira.StoryPointsField = v.Value
		default:
			return p.errf(k, "unknown setting jira.%s (known: jql, story_points_field)", k.Value)
		}
	}
	return nil
}

func (p mappingParser) linear(n *yaml.Node, m *Mapping) error {
	if err := p.mapping(n, "linear"); err != nil {
		return err
	}
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		m.Lines["linear."+k.Value] = v.Line
		switch k.Value {
		case "labels":
			if err := v.Decode(&m.Linear.Labels); err != nil {
				return p.errf(v, "linear.labels: want a list of label names")
			}
		case "project":
			m.Linear.Project = v.Value
		case "create_labels":
			if err := v.Decode(&m.Linear.CreateLabels); err != nil {
				return p.errf(v, "linear.create_labels: want true or false")
			}
		case "create_cycles":
			if err := v.Decode(&m.Linear.CreateCycles); err != nil {
				return p.errf(v, "linear.create_cycles: want true or false")
			}
		default:
			return p.errf(k, "unknown setting linear.%s (known: labels, project, create_labels, create_cycles)", k.Value)
		}
	}
	return nil
}

// yamlLine digs the line number out of a yaml error ("yaml: line 3: ...").
func yamlLine(err error) int {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	var line int
	if i := strings.Index(msg, "line "); i >= 0 {
		fmt.Sscanf(msg[i+5:], "%d", &line)
	}
	return line
}

func yamlMsg(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "line ") {
		msg = msg[i+2:]
	}
	return msg
}
