package config

import (
	"go.yaml.in/yaml/v3"
)

// Epics is how a Jira epic maps (the parent: section):
//
//	parent:
//	  jira_epics: linear_projects   # or linear_issues (the default)
//
// linear_issues keeps an epic an issue like any other: its Linear twin is
// a parent issue and the epic's children are that issue's sub-issues.
// linear_projects makes an epic a Linear project of the team and its
// children the project's issues, as Linear's own Jira integration does.
type Epics string

const (
	EpicsAsIssues   Epics = "linear_issues"
	EpicsAsProjects Epics = "linear_projects"
)

func (p mappingParser) parent(n *yaml.Node, m *Mapping) error {
	if err := p.mapping(n, "parent"); err != nil {
		return err
	}
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "jira_epics":
			e, err := p.oneOf(v, "parent.jira_epics", string(EpicsAsIssues), string(EpicsAsProjects))
			if err != nil {
				return err
			}
			m.Epics = Epics(e)
		default:
			return p.errf(k, "unknown setting parent.%s (known: jira_epics)", k.Value)
		}
		m.Lines["parent."+k.Value] = k.Line
	}
	return nil
}

// checkEpics judges the parent: section against the rest of the file.
func (p mappingParser) checkEpics(m Mapping) error {
	if m.Epics == EpicsAsProjects && m.Linear.Project != "" {
		return &MappingError{File: p.file, Line: m.Lines["parent.jira_epics"],
			Msg: "parent.jira_epics: linear_projects cannot be used with linear.project (" + m.Linear.Project + "): epics become the team's projects, so the scope cannot be one project"}
	}
	return nil
}
