package sandbox

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

const attachmentFields = `id url title subtitle metadata groupBySource sourceType createdAt updatedAt creator { email } issue { identifier }`

func TestAttachments(t *testing.T) {
	sink := &hookSink{}
	hs := httptest.NewServer(sink)
	defer hs.Close()
	s := newTest(t, Options{})
	mustOK(t, post(t, s, BotKey, `mutation($in: WebhookCreateInput!) { webhookCreate(input: $in) { success } }`,
		map[string]any{"in": map[string]any{"url": hs.URL, "teamId": "ENG", "resourceTypes": []any{"Attachment"}, "secret": "x"}}))
	before, _ := s.Issue("ENG-1")
	create := `mutation($in: AttachmentCreateInput!) { attachmentCreate(input: $in) { success lastSyncId attachment { ` + attachmentFields + ` } } }`
	d := mustOK(t, post(t, s, BotKey, create, map[string]any{"in": map[string]any{
		"issueId": "ENG-1", "url": "https://acme.atlassian.net/browse/TAN-3", "title": "Jira TAN-3", "metadata": map[string]any{"key": "TAN-3"}}}))
	a := dig(d, "attachmentCreate", "attachment").(map[string]any)
	id := a["id"].(string)
	if a["title"] != "Jira TAN-3" || dig(a, "issue", "identifier") != "ENG-1" || dig(a, "metadata", "key") != "TAN-3" || dig(a, "creator", "email") != BotEmail || a["subtitle"] != nil {
		t.Fatalf("created: %v", a)
	}
	// The same URL on the same issue updates that attachment.
	d = mustOK(t, post(t, s, BotKey, create, map[string]any{"in": map[string]any{
		"issueId": before.ID, "url": "https://acme.atlassian.net/browse/TAN-3", "title": "Jira TAN-3 (renamed)", "subtitle": "In Progress"}}))
	if got := dig(d, "attachmentCreate", "attachment"); dig(got, "id") != id || dig(got, "title") != "Jira TAN-3 (renamed)" || dig(got, "subtitle") != "In Progress" {
		t.Fatalf("upsert: %v", got)
	}
	// attachmentLinkURL: the same rule; without a title the URL is the title.
	link := `mutation($issue: String!, $url: String!, $title: String) { attachmentLinkURL(issueId: $issue, url: $url, title: $title) { success attachment { id title url } } }`
	d = mustOK(t, post(t, s, BotKey, link, map[string]any{"issue": "ENG-1", "url": "https://acme.atlassian.net/browse/TAN-3", "title": "Jira TAN-3"}))
	if dig(d, "attachmentLinkURL", "attachment", "id") != id {
		t.Fatalf("link same url: %v", d)
	}
	d = mustOK(t, post(t, s, BotKey, link, map[string]any{"issue": "ENG-1", "url": "https://example.com/doc"}))
	if dig(d, "attachmentLinkURL", "attachment", "title") != "https://example.com/doc" {
		t.Fatalf("link without title: %v", d)
	}
	// The same URL on another issue is another attachment.
	mustOK(t, post(t, s, BotKey, link, map[string]any{"issue": "ENG-2", "url": "https://acme.atlassian.net/browse/TAN-3", "title": "Jira TAN-3"}))
	if n := len(s.Attachments("ENG-1")); n != 2 {
		t.Fatalf("ENG-1 has %d attachments, want 2: %v", n, s.Attachments("ENG-1"))
	}
	forURL := `query($url: String!) { attachmentsForURL(url: $url) { nodes { id issue { identifier } } pageInfo { hasNextPage } } }`
	d = mustOK(t, post(t, s, BotKey, forURL, map[string]any{"url": "https://acme.atlassian.net/browse/TAN-3"}))
	nodes := dig(d, "attachmentsForURL", "nodes").([]any)
	if len(nodes) != 2 {
		t.Fatalf("attachmentsForURL: %v", nodes)
	}
	d = mustOK(t, post(t, s, BotKey, forURL, map[string]any{"url": "https://acme.atlassian.net/browse/TAN-4"}))
	if len(dig(d, "attachmentsForURL", "nodes").([]any)) != 0 {
		t.Fatalf("attachmentsForURL of an unknown url: %v", d)
	}
	// Issue.attachments, with a filter; the attachments query; attachment(id).
	d = mustOK(t, post(t, s, BotKey, `query { issue(id: "ENG-1") { attachments { nodes { url } } jira: attachments(filter: {url: {startsWith: "https://acme.atlassian.net/browse/"}}) { nodes { url } } } }`, nil))
	if len(dig(d, "issue", "attachments", "nodes").([]any)) != 2 || len(dig(d, "issue", "jira", "nodes").([]any)) != 1 {
		t.Fatalf("Issue.attachments: %v", d)
	}
	d = mustOK(t, post(t, s, BotKey, `query { attachments(filter: {title: {eq: "Jira TAN-3"}}) { nodes { id } } }`, nil))
	if len(dig(d, "attachments", "nodes").([]any)) != 2 {
		t.Fatalf("attachments query: %v", d)
	}
	d = mustOK(t, post(t, s, BotKey, `query($id: String!) { attachment(id: $id) { url } }`, map[string]any{"id": id}))
	if dig(d, "attachment", "url") != "https://acme.atlassian.net/browse/TAN-3" {
		t.Fatalf("attachment(id): %v", d)
	}
	// IssueFilter.attachments finds the issues linking any of some URLs in
	// one call.
	d = mustOK(t, post(t, s, BotKey, issuesQ, map[string]any{"filter": map[string]any{"attachments": map[string]any{"some": map[string]any{"url": map[string]any{"in": []any{"https://acme.atlassian.net/browse/TAN-3", "https://x"}}}}}}))
	if got := ids(t, d); len(got) != 2 {
		t.Fatalf("issues by attachment url: %v", got)
	}
	d = mustOK(t, post(t, s, BotKey, issuesQ, map[string]any{"filter": map[string]any{"attachments": map[string]any{"length": map[string]any{"eq": 0}}}}))
	if got := ids(t, d); len(got) != 10 {
		t.Fatalf("issues without attachments: %v", got)
	}
	// attachmentUpdate needs a title; attachmentDelete removes.
	upd := `mutation($id: String!, $in: AttachmentUpdateInput!) { attachmentUpdate(id: $id, input: $in) { success attachment { title subtitle } } }`
	d = mustOK(t, post(t, s, BotKey, upd, map[string]any{"id": id, "in": map[string]any{"title": "Jira TAN-3", "subtitle": "Done"}}))
	if dig(d, "attachmentUpdate", "attachment", "subtitle") != "Done" {
		t.Fatalf("update: %v", d)
	}
	if r := post(t, s, BotKey, upd, map[string]any{"id": id, "in": map[string]any{"title": " "}}); len(r.Errors) == 0 {
		t.Fatal("an empty title was taken")
	}
	d = mustOK(t, post(t, s, BotKey, `mutation($id: String!) { attachmentDelete(id: $id) { success entityId } }`, map[string]any{"id": id}))
	if dig(d, "attachmentDelete", "entityId") != id || len(s.Attachments("ENG-1")) != 1 {
		t.Fatalf("delete: %v %v", d, s.Attachments("ENG-1"))
	}
	if r := post(t, s, BotKey, `mutation($id: String!) { attachmentDelete(id: $id) { success } }`, map[string]any{"id": id}); len(r.Errors) == 0 {
		t.Fatal("deleting twice succeeded")
	}
	// Errors.
	for _, in := range []map[string]any{
		{"issueId": "ENG-404", "url": "https://x", "title": "t"},
		{"issueId": "ENG-1", "url": " ", "title": "t"},
		{"issueId": "ENG-1", "url": "https://y", "title": ""},
		{"issueId": "ENG-1", "url": "https://y", "title": "t", "id": "not-a-uuid"},
	} {
		if r := post(t, s, BotKey, create, map[string]any{"in": in}); len(r.Errors) == 0 {
			t.Errorf("%v was taken", in)
		}
	}
	// An attachment is not an edit of the issue.
	after, _ := s.Issue("ENG-1")
	if !after.UpdatedAt.Equal(before.UpdatedAt) || after.History != before.History {
		t.Errorf("the issue changed: %v/%d → %v/%d", before.UpdatedAt, before.History, after.UpdatedAt, after.History)
	}
	// A person's link (or an integration's).
	if _, err := s.UserLinkURL(AliceEmail, "ENG-3", "https://acme.atlassian.net/browse/TAN-9", ""); err != nil {
		t.Fatal(err)
	}
	if got := s.Attachments("ENG-3"); len(got) != 1 || got[0].Creator != AliceEmail || got[0].Title != got[0].URL {
		t.Fatalf("UserLinkURL: %v", got)
	}
	// Webhooks: the payloads carry AttachmentWebhookPayload's fields.
	waitFor(t, "attachment deliveries", func() bool { return sink.count() == 8 })
	sch, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, b := range sink.bodies {
		var p map[string]any
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		if p["type"] != "Attachment" {
			t.Fatalf("type %v", p["type"])
		}
		actions[p["action"].(string)]++
		data := p["data"].(map[string]any)
		typ := sch.Types["AttachmentWebhookPayload"]
		for _, f := range typ.Fields {
			if x, ok := data[f.Name]; f.Type.NonNull && (!ok || x == nil) {
				t.Errorf("AttachmentWebhookPayload.%s (non-null) missing", f.Name)
			}
		}
		for k := range data {
			if typ.Fields.ForName(k) == nil {
				t.Errorf("payload key %s is not in AttachmentWebhookPayload", k)
			}
		}
		for _, f := range sch.Types["EntityWebhookPayload"].Fields {
			if x, ok := p[f.Name]; f.Type.NonNull && (!ok || x == nil) {
				t.Errorf("EntityWebhookPayload.%s missing", f.Name)
			}
		}
		if p["action"] == "update" && p["updatedFrom"] == nil {
			t.Errorf("update without updatedFrom: %s", b)
		}
		if !strings.HasPrefix(data["url"].(string), "https://") {
			t.Errorf("url %v", data["url"])
		}
	}
	if actions["create"] != 4 || actions["update"] != 3 || actions["remove"] != 1 {
		// create: TAN-3 on ENG-1, doc, TAN-3 on ENG-2, TAN-9 on ENG-3;
		// update: the upsert, the link of the same URL, attachmentUpdate.
		t.Errorf("actions: %v", actions)
	}
}
