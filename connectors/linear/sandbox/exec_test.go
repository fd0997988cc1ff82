package sandbox

import (
	"strings"
	"testing"
)

func TestViewerAndTypename(t *testing.T) {
	s := newTest(t, Options{})
	d := mustOK(t, post(t, s, BotKey, `{ viewer { __typename id email name displayName active admin } organization { id name urlKey } }`, nil))
	if got := dig(d, "viewer", "email"); got != BotEmail {
		t.Fatalf("viewer email = %v", got)
	}
	if got := dig(d, "viewer", "__typename"); got != "User" {
		t.Fatalf("__typename = %v", got)
	}
	if dig(d, "organization", "urlKey") != "tandem" {
		t.Fatalf("organization: %v", d["organization"])
	}
}

func TestFragmentsAliasesVariables(t *testing.T) {
	s := newTest(t, Options{})
	q := `
query Q($key: String! = "ENG", $n: Int = 2, $withState: Boolean!) {
  eng: team(id: $key) { ...TeamBits }
  again: team(id: "ENG") { key }
  issues(first: $n) {
    nodes {
      ... on Node { id }
      ... on Issue { identifier state @include(if: $withState) { name } }
      ...IssueBits
    }
    pageInfo { hasNextPage endCursor }
  }
}
fragment TeamBits on Team { id key name states { nodes { name type position } } }
fragment IssueBits on Issue { title priority priorityLabel team { key } }`
	d := mustOK(t, post(t, s, BotKey, q, map[string]any{"withState": true}))
	if dig(d, "eng", "key") != "ENG" || dig(d, "again", "key") != "ENG" {
		t.Fatalf("aliases: %v", d)
	}
	if n := len(dig(d, "eng", "states", "nodes").([]any)); n != 6 {
		t.Fatalf("states = %d", n)
	}
	nodes := dig(d, "issues", "nodes").([]any)
	if len(nodes) != 2 {
		t.Fatalf("first: 2 gave %d nodes", len(nodes))
	}
	n0 := nodes[0].(map[string]any)
	for _, k := range []string{"id", "identifier", "state", "title", "priority", "priorityLabel", "team"} {
		if _, ok := n0[k]; !ok {
			t.Errorf("missing %s in %v", k, n0)
		}
	}
	if dig(d, "issues", "pageInfo", "hasNextPage") != true {
		t.Fatalf("hasNextPage should be true")
	}
	// @include(if: false) drops the field.
	d = mustOK(t, post(t, s, BotKey, q, map[string]any{"withState": false}))
	if _, ok := dig(d, "issues", "nodes", 0).(map[string]any)["state"]; ok {
		t.Fatalf("state included despite @include(if:false)")
	}
}

func TestUnionAndInterfaceFragmentsAndDefaults(t *testing.T) {
	s := newTest(t, Options{})
	// Unmodelled fields: nullable -> null, non-null scalar -> zero, non-null
	// connection -> empty, DateTime -> createdAt.
	d := mustOK(t, post(t, s, BotKey, `{ issue(id: "ENG-1") {
		id createdAt snoozedUntilAt customerTicketCount reactionData
		attachments { nodes { id } pageInfo { hasNextPage endCursor } }
		subscribers(first: 3) { edges { cursor } }
		previousIdentifiers labelIds
	} }`, nil))
	iss := d["issue"].(map[string]any)
	if iss["snoozedUntilAt"] != nil {
		t.Errorf("nullable unmodelled field should be null: %v", iss["snoozedUntilAt"])
	}
	if iss["customerTicketCount"] != float64(0) {
		t.Errorf("non-null Int should be 0: %v", iss["customerTicketCount"])
	}
	if m, ok := iss["reactionData"].(map[string]any); !ok || len(m) != 0 {
		t.Errorf("JSONObject should be {}: %v", iss["reactionData"])
	}
	if dig(iss, "attachments", "pageInfo", "hasNextPage") != false || len(dig(iss, "attachments", "nodes").([]any)) != 0 {
		t.Errorf("connection should be empty: %v", iss["attachments"])
	}
	if l, ok := iss["previousIdentifiers"].([]any); !ok || len(l) != 0 {
		t.Errorf("list should be []: %v", iss["previousIdentifiers"])
	}
	// A DateTime the sandbox does not model answers the entity's createdAt.
	d = mustOK(t, post(t, s, BotKey, `{ team(id: "ENG") { createdAt } viewer { createdAt statusUntilAt } }`, nil))
	if dig(d, "team", "createdAt") == nil {
		t.Errorf("createdAt missing")
	}
}

func TestNonNullObjectUnmodelledIsAnError(t *testing.T) {
	s := newTest(t, Options{})
	r := post(t, s, BotKey, `{ viewer { id } initiative(id: "x") { id } }`, nil)
	if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "Query.initiative") {
		t.Fatalf("want an error naming Query.initiative, got %s", r.Raw)
	}
	if r.Data != nil {
		t.Fatalf("a non-null root field's null must null data: %s", r.Raw)
	}
}

func TestValidationErrors(t *testing.T) {
	s := newTest(t, Options{})
	cases := map[string]string{
		"unknown field":    `{ viewer { nope } }`,
		"syntax":           `{ viewer { id `,
		"wrong arg type":   `{ issues(first: "x") { nodes { id } } }`,
		"missing variable": `query Q($id: String!) { issue(id: $id) { id } }`,
		"empty":            ``,
	}
	for name, q := range cases {
		t.Run(name, func(t *testing.T) {
			r := post(t, s, BotKey, q, nil)
			if r.Status != 400 || len(r.Errors) == 0 {
				t.Fatalf("status %d: %s", r.Status, r.Raw)
			}
			if name != "empty" && name != "missing variable" {
				if r.Errors[0].Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
					t.Fatalf("code: %s", r.Raw)
				}
			}
		})
	}
	if len(s.ValidationErrors()) != len(cases) {
		t.Fatalf("recorded %d validation errors, want %d", len(s.ValidationErrors()), len(cases))
	}
	r := post(t, s, BotKey, `{ viewer { nope } }`, nil)
	if len(r.Errors[0].Locations) == 0 {
		t.Fatalf("validation errors carry locations: %s", r.Raw)
	}
}

func TestOperationName(t *testing.T) {
	s := newTest(t, Options{})
	doc := `query A { viewer { id } } query B { organization { id } }`
	r := post(t, s, BotKey, doc, nil)
	if r.Status != 400 {
		t.Fatalf("two operations without a name: %d", r.Status)
	}
	body := []byte(`{"query":"query A { viewer { id } } query B { organization { id } }","operationName":"B"}`)
	d := mustOK(t, postRaw(t, s, BotKey, body))
	if d["organization"] == nil || d["viewer"] != nil {
		t.Fatalf("operationName B ran the wrong operation: %v", d)
	}
}
