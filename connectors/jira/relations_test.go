package jira

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

// TestRelationsReadWrite: links read as relations from both ends, a mapped
// extra type reads as its canonical type, unmapped types are not read, and
// Apply adds and removes links in the direction the relation says.
func TestRelationsReadWrite(t *testing.T) {
	e := newEnvWith(t, sandbox.Options{}, func(_ *sandbox.Server, cfg *Config) {
		cfg.LinkTypes = map[string]backlog.RelationType{"cloners": backlog.RelRelated}
	})
	v1, _ := e.sb.Issue("TAN-1")
	v2, _ := e.sb.Issue("TAN-2")
	v3, _ := e.sb.Issue("TAN-3")
	if _, err := e.sb.UserLink("alice@example.com", "Blocks", "TAN-1", "TAN-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sb.UserLink("alice@example.com", "Cloners", "TAN-3", "TAN-1"); err != nil {
		t.Fatal(err)
	}
	read := func(id string) backlog.Value {
		t.Helper()
		it, err := e.c.Get(ctx(t), id)
		if err != nil {
			t.Fatal(err)
		}
		return it.Get(backlog.Relations)
	}
	if got, want := read(v1.ID), backlog.EncodeRelations([]backlog.Relation{{Type: backlog.RelBlocks, To: v2.ID}, {Type: backlog.RelRelated, To: v3.ID}}); got != want {
		t.Errorf("TAN-1 relations %q, want %q", got, want)
	}
	if got, want := read(v2.ID), backlog.Value("blocked_by:"+v1.ID); got != want {
		t.Errorf("TAN-2 relations %q, want %q", got, want)
	}
	// Apply on TAN-2: it duplicates TAN-3, and is no longer blocked by TAN-1.
	p := backlog.Patch{backlog.Relations: backlog.SetPatch(read(v2.ID), backlog.Value("duplicates:"+v3.ID))}
	if err := e.c.Apply(ctx(t), v2.ID, p); err != nil {
		t.Fatal(err)
	}
	links := e.sb.Links("TAN-2")
	if len(links) != 1 || links[0].Type != "Duplicate" || links[0].Inward != "TAN-2" || links[0].Outward != "TAN-3" {
		t.Errorf("TAN-2 links %+v, want TAN-2 duplicates TAN-3 only", links)
	}
	if got, want := read(v3.ID), backlog.EncodeRelations([]backlog.Relation{{Type: backlog.RelDuplicatedBy, To: v2.ID}, {Type: backlog.RelRelated, To: v1.ID}}); got != want {
		t.Errorf("TAN-3 relations %q, want %q", got, want)
	}
	// Without the mapping, Cloners is not read (and so never removed).
	plain := newEnv(t, sandbox.Options{})
	if _, err := plain.sb.UserLink("alice@example.com", "Cloners", "TAN-3", "TAN-1"); err != nil {
		t.Fatal(err)
	}
	it, err := plain.c.Get(ctx(t), v1.ID)
	if err != nil || len(it.Relations) != 0 {
		t.Errorf("unmapped link type read: %v %v", it.Relations, err)
	}
}

// TestLinkWebhook: an issuelink delivery reports both issues.
func TestLinkWebhook(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	body, _ := json.Marshal(map[string]any{"timestamp": 1, "webhookEvent": "issuelink_created",
		"issueLink": map[string]any{"id": 10001, "sourceIssueId": 10010, "destinationIssueId": 10011, "issueLinkType": map[string]any{"id": 10000, "name": "Blocks"}}})
	d, err := e.c.ParseWebhook(http.Header{"X-Hub-Signature": {sign(e.secret, body)}}, body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Refs) != 2 || d.Refs[0].ID != "10010" || d.Refs[1].ID != "10011" || d.Ignored != "" {
		t.Errorf("delivery %+v, want both issues", d)
	}
	// A real delivery (apis/fixtures): its two issues.
	c := &Client{projectKey: "TAN"}
	d, err = c.ParseWebhook(http.Header{}, fixture(t, "issuelink_created_logged.json"), time.Now())
	if err != nil || len(d.Refs) != 2 || d.Refs[0].ID != "11442" || d.Refs[1].ID != "11961" {
		t.Errorf("fixture delivery %+v, %v: want 11442 and 11961", d, err)
	}
}
