package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
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
type Mapping struct {
	OrderMaster   string
	DefaultPolicy backlog.Policy
	Policies      map[backlog.Field]backlog.Policy
	Retention     Retention
}

// Retention bounds the conflict log. Open conflicts are never dropped.
type Retention struct {
	MaxAge   time.Duration // 0: keep forever
	MaxCount int           // settled records kept at most; 0: no bound
}

// DefaultMapping is what applies without a file.
func DefaultMapping() Mapping {
	return Mapping{OrderMaster: "off", DefaultPolicy: backlog.PolicyJira, Policies: map[backlog.Field]backlog.Policy{},
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
	return ParseMapping(path, data)
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
		default:
			err = p.errf(k, "unknown setting %q (known: order_master, conflicts, fields)", k.Value)
		}
		if err != nil {
			return m, err
		}
	}
	return m, nil
}

type mappingParser struct{ file string }

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
			default:
				return p.errf(fk, "unknown setting fields.%s.%s (known: policy)", k.Value, fk.Value)
			}
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
