package jira

import (
	"encoding/json"
	"testing"

	"github.com/tandem-sync/tandem/backlog"
)

func TestReadKind(t *testing.T) {
	for _, tc := range []struct {
		name  string
		on    bool
		issue string
		want  backlog.Kind
	}{
		{"epic level", true, `{"name":"Initiative part","hierarchyLevel":1}`, backlog.KindEpic},
		{"story", true, `{"name":"Story","hierarchyLevel":0}`, backlog.KindIssue},
		{"named Epic, no level", true, `{"name":"Epic"}`, backlog.KindEpic},
		{"named Epic, level 0", true, `{"name":"Epic","hierarchyLevel":0}`, backlog.KindIssue},
		{"sub-task", true, `{"name":"Sub-task","hierarchyLevel":-1}`, backlog.KindIssue},
		{"no issuetype", true, ``, backlog.KindIssue},
		{"option off", false, `{"name":"Epic","hierarchyLevel":1}`, backlog.KindIssue},
	} {
		c := &Client{cfg: Config{EpicsAsProjects: tc.on}}
		w := wireIssue{Fields: map[string]json.RawMessage{}}
		if tc.issue != "" {
			w.Fields["issuetype"] = json.RawMessage(tc.issue)
		}
		var it backlog.Item
		c.readKind(&it, w)
		if it.Kind != tc.want {
			t.Errorf("%s: kind %q, want %q", tc.name, it.Kind, tc.want)
		}
	}
}
