package jira

import (
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
)

// mentionClient knows alice and bob from the assignable users (with
// display names), carol only through an override (no name), and has an
// account (acc-ghost) whose email it never learned.
func mentionClient() *Client {
	c := testClient()
	c.users = newDirectory(map[string]string{"carol@example.com": "acc-carol"})
	c.users.byEmail = map[string]string{"alice@example.com": aliceID, "bob@example.com": bobID}
	c.users.emailOf = map[string]string{aliceID: "alice@example.com", bobID: "bob@example.com"}
	c.users.nameOf = map[string]string{aliceID: "Alice Example", bobID: "Bob [QA] Example", "acc-ghost": "Ghost"}
	return c
}

func TestMentionsRead(t *testing.T) {
	c := mentionClient()
	for _, tc := range []struct{ name, wiki, md string }{
		{"known", "ping [~accountid:" + aliceID + "] now", "ping [@Alice Example](mailto:alice@example.com) now"},
		{"case of prefix", "[~AccountId:" + aliceID + "]", "[@Alice Example](mailto:alice@example.com)"},
		{"override without a name", "cc [~accountid:acc-carol]", "cc [@carol@example.com](mailto:carol@example.com)"},
		{"name with brackets", "[~accountid:" + bobID + "]", `[@Bob \[QA\] Example](mailto:bob@example.com)`},
		{"unknown account", "cc [~accountid:acc-nobody]", "cc [~accountid:acc-nobody]"},
		{"known name, no email", "cc [~accountid:acc-ghost]", "cc [~accountid:acc-ghost]"},
		{"several", "[~accountid:" + aliceID + "], [~accountid:acc-x] and [~accountid:" + bobID + "]",
			`[@Alice Example](mailto:alice@example.com), [~accountid:acc-x] and [@Bob \[QA\] Example](mailto:bob@example.com)`},
		{"in a list", "* first [~accountid:" + aliceID + "]\n** nested [~accountid:" + aliceID + "]",
			"- first [@Alice Example](mailto:alice@example.com)\n  - nested [@Alice Example](mailto:alice@example.com)"},
		{"in a quote", "bq. asked [~accountid:" + aliceID + "]", "> asked [@Alice Example](mailto:alice@example.com)"},
		{"in a table", "||who||\n|[~accountid:" + aliceID + "]|", "| who |\n| --- |\n| [@Alice Example](mailto:alice@example.com) |"},
		{"code block", "{code}\n[~accountid:" + aliceID + "]\n{code}", "```\n[~accountid:" + aliceID + "]\n```"},
		{"monospace", "{{[~accountid:" + aliceID + "]}}", "`[~accountid:" + aliceID + "]`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.markdownFromWiki(tc.wiki); got != tc.md {
				t.Errorf("markdownFromWiki(%q)\n got %q\nwant %q", tc.wiki, got, tc.md)
			}
		})
	}
}

func TestMentionsWrite(t *testing.T) {
	c := mentionClient()
	alice := "[~accountid:" + aliceID + "]"
	for _, tc := range []struct{ name, md, wiki string }{
		{"known", "ping [@Alice Example](mailto:alice@example.com) now", "ping " + alice + " now"},
		{"any name, email decides", "[@Al](mailto:ALICE@Example.com)", alice},
		{"escaped address", "[@Al](mailto:alice%40example.com)", alice},
		{"override", "[@Carol](mailto:carol@example.com)", "[~accountid:acc-carol]"},
		{"unknown", "cc [@Zed Nobody](mailto:zed@example.com).", "cc @Zed Nobody."},
		{"several", "[@A](mailto:alice@example.com), [@Z](mailto:z@example.com) and [@B](mailto:bob@example.com)",
			alice + ", @Z and [~accountid:" + bobID + "]"},
		{"in a list", "- do it [@A](mailto:alice@example.com)\n  - and [@Z](mailto:z@example.com)", "* do it " + alice + "\n** and @Z"},
		{"in a quote", "> asked [@A](mailto:alice@example.com)", "bq. asked " + alice},
		{"marked name", "[@**Alice**](mailto:alice@example.com)", alice},
		{"not a mention: no @", "[mail alice](mailto:alice@example.com)", "[mail alice|mailto:alice@example.com]"},
		{"not a mention: web link", "[@alice](https://example.com/alice)", "[@alice|https://example.com/alice]"},
		{"not a mention: two addresses", "[@x](mailto:alice@example.com,bob@example.com)", "[@x|mailto:alice@example.com,bob@example.com]"},
		{"code span", "`[@A](mailto:alice@example.com)`", "{{[@A](mailto:alice@example.com)}}"},
		{"code block", "```\n[@A](mailto:alice@example.com)\n```", "{noformat}\n[@A](mailto:alice@example.com)\n{noformat}"},
		{"jira mention kept", "cc " + alice, "cc " + alice},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.wikiFromMarkdown(tc.md); got != tc.wiki {
				t.Errorf("wikiFromMarkdown(%q)\n got %q\nwant %q", tc.md, got, tc.wiki)
			}
		})
	}
}

// TestProjectMentions: Project predicts the pure read of the pure write,
// and canonical mentions of known people are a fixed point.
func TestProjectMentions(t *testing.T) {
	c := mentionClient()
	for _, tc := range []struct{ in, out string }{
		{"hi [@Al](mailto:ALICE@example.com)", "hi [@Alice Example](mailto:alice@example.com)"},
		{"hi [@Zed](mailto:zed@example.com)", "hi @Zed"},
		{"- [@Carol C](mailto:carol@example.com)", "- [@carol@example.com](mailto:carol@example.com)"},
		{"`[@Al](mailto:alice@example.com)`", "`[@Al](mailto:alice@example.com)`"},
	} {
		if got := c.Project(backlog.Description, backlog.Value(tc.in)); string(got) != tc.out {
			t.Errorf("Project(%q) = %q, want %q", tc.in, got, tc.out)
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		parts := rapid.SliceOfN(rapid.SampledFrom([]string{
			"text", "[@Alice Example](mailto:alice@example.com)", "[@Someone](mailto:someone@example.com)",
			"[~accountid:acc-x]", "**b**", "`[@A](mailto:alice@example.com)`", "[@carol@example.com](mailto:carol@example.com)",
		}), 1, 6).Draw(t, "parts")
		shape := rapid.SampledFrom([]string{"%s", "- %s", "> %s", "1. %s"}).Draw(t, "shape")
		md := strings.Replace(shape, "%s", strings.Join(parts, " "), 1)
		p := c.Project(backlog.Description, backlog.Value(md))
		if again := c.Project(backlog.Description, p); again != p {
			t.Fatalf("Project is not stable: %q → %q → %q", md, p, again)
		}
	})
}

// TestMentionsSandbox: a mention written by Create reads back through Get
// and Comments in canonical form, and the wiki Jira holds is a real
// mention.
func TestMentionsSandbox(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: -1})
	bg := t.Context()
	desc := "Please look, [@Alice](mailto:alice@example.com); cc [@Zed](mailto:zed@example.com).\n\n- [@Bob](mailto:bob@example.com)\n\n`[@Alice](mailto:alice@example.com)`"
	want := "Please look, [@Alice Example](mailto:alice@example.com); cc @Zed.\n\n- [@Bob Example](mailto:bob@example.com)\n\n`[@Alice](mailto:alice@example.com)`"
	ref, err := e.c.Create(bg, backlog.Item{Title: "mentions", Description: desc, Origin: backlog.Ref{Side: backlog.Linear, ID: "m-1"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.c.Get(bg, ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != want {
		t.Errorf("description reads back\n%q\nwant\n%q", got.Description, want)
	}
	if p := e.c.Project(backlog.Description, backlog.Value(desc)); string(p) != got.Description {
		t.Errorf("Project = %q, Get = %q", p, got.Description)
	}
	if _, err := e.c.CreateComment(bg, ref.ID, "thanks [@Alice](mailto:alice@example.com)"); err != nil {
		t.Fatal(err)
	}
	cs, err := e.c.Comments(bg, ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Body != "thanks [@Alice Example](mailto:alice@example.com)" {
		t.Errorf("comments read back %+v", cs)
	}
	// What Jira stores is its own mention, so Jira's users see a mention.
	if err := e.sb.UserComment("bob@example.com", ref.Key, "over to [~accountid:"+aliceID+"]"); err != nil {
		t.Fatal(err)
	}
	cs, err = e.c.Comments(bg, ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[1].Body != "over to [@Alice Example](mailto:alice@example.com)" {
		t.Errorf("a mention typed in Jira reads back %+v", cs)
	}
}

func FuzzMentions(f *testing.F) {
	for _, s := range []string{"", "[@A](mailto:alice@example.com)", "[@](mailto:)", "[@x](mailto:%zz)", "[~accountid:" + aliceID + "]", "[@a **b**](mailto:a@b) c"} {
		f.Add(s)
	}
	c := mentionClient()
	f.Fuzz(func(t *testing.T, s string) {
		_ = c.markdownFromWiki(s)
		w := c.wikiFromMarkdown(s)
		p := c.Project(backlog.Description, backlog.Value(s))
		if s != "" && p != backlog.Value(c.markdownFromWiki(w)) {
			t.Fatalf("Project(%q) = %q, not the read of the write %q", s, p, w)
		}
	})
}
