package linear

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors/jira"
	jsandbox "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

// descriptionSamples feed the Project property test (fields_test.go).
var descriptionSamples = []string{
	"", "# Hi", "line\nline",
	"cc [@Alice](mailto:alice@example.com), [@Carol](mailto:carol@example.com)",
	"- [@Bob](mailto:" + overrideEmail + ")\n\n`[@Alice](mailto:alice@example.com)`",
	"> https://linear.app/tandem/profiles/alice and https://linear.app/tandem/profiles/nobody",
}

const (
	aliceURL = "https://linear.app/tandem/profiles/alice"
	bobURL   = "https://linear.app/tandem/profiles/bob"
)

// mentionCatalog is testCatalog with the users' profiles: alice, bob (whose
// canonical email is an override) and dan, who has no email.
func mentionCatalog() *catalog {
	c := testCatalog()
	c.people.addUser("u-alice", "Alice Martin", "alice", aliceURL)
	c.people.addUser("u-bob", "Bob [QA] Chen", "bob", bobURL)
	c.people.addUser("u-dan", "Dan Null", "dan", "https://linear.app/tandem/profiles/dan")
	c.people.finish(map[string]string{"u-alice": "Alice Martin", "u-bob": "Bob [QA] Chen", "u-dan": "Dan Null"})
	return c
}

func TestMentionsRead(t *testing.T) {
	c := mentionCatalog()
	alice := "[@Alice Martin](mailto:alice@example.com)"
	bob := `[@Bob \[QA\] Chen](mailto:robert@corp.example)`
	for _, tc := range []struct{ name, in, want string }{
		{"known", "ping " + aliceURL + " now", "ping " + alice + " now"},
		{"autolink", "ping <" + aliceURL + ">.", "ping " + alice + "."},
		{"trailing punctuation", aliceURL + ", " + bobURL + ".", alice + ", " + bob + "."},
		{"name instead of handle", "https://linear.app/tandem/profiles/Alice%20Martin", alice},
		{"handle case", "https://linear.app/tandem/profiles/ALICE", alice},
		{"unknown user", "https://linear.app/tandem/profiles/zed", "https://linear.app/tandem/profiles/zed"},
		{"no email", "https://linear.app/tandem/profiles/dan", "https://linear.app/tandem/profiles/dan"},
		{"other workspace", "https://linear.app/acme/profiles/alice", "https://linear.app/acme/profiles/alice"},
		{"longer path", aliceURL + "/issues", aliceURL + "/issues"},
		{"several", "a " + aliceURL + " b " + bobURL + " c " + aliceURL, "a " + alice + " b " + bob + " c " + alice},
		{"in lists", "- " + aliceURL + "\n  1. " + bobURL, "- " + alice + "\n  1. " + bob},
		{"in a quote", "> asked " + aliceURL, "> asked " + alice},
		{"in a table", "| who |\n| --- |\n| " + aliceURL + " |", "| who |\n| --- |\n| " + alice + " |"},
		{"a link stays a link", "[Alice](" + aliceURL + ")", "[Alice](" + aliceURL + ")"},
		{"code span", "`" + aliceURL + "`", "`" + aliceURL + "`"},
		{"code block", "```\n" + aliceURL + "\n```", "```\n" + aliceURL + "\n```"},
		{"indented code", "    " + aliceURL, "    " + aliceURL},
		{"glued to a word", "x" + aliceURL + " `c`" + aliceURL, "x" + aliceURL + " `c`" + aliceURL},
		{"rest kept byte for byte", "*  odd*  spacing\n\n" + aliceURL + "\n", "*  odd*  spacing\n\n" + alice + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.mentionsIn(tc.in); got != tc.want {
				t.Errorf("mentionsIn(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMentionsWrite(t *testing.T) {
	c := mentionCatalog()
	for _, tc := range []struct{ name, in, want string }{
		{"known", "ping [@Alice](mailto:alice@example.com) now", "ping " + aliceURL + " now"},
		{"email case, escaped", "[@A](MAILTO:Alice%40Example.com)", aliceURL},
		{"override email", "[@Bob](mailto:robert@corp.example)", bobURL},
		{"user's own email", "[@Bob](mailto:bob@example.com)", bobURL},
		{"unknown", "cc [@Zed Nobody](mailto:zed@example.com).", "cc @Zed Nobody."},
		{"unknown, escapes kept", `[@Zed \[X\]](mailto:zed@example.com)`, `@Zed \[X\]`},
		{"set off by spaces", "x[@A](mailto:alice@example.com)y", "x " + aliceURL + " y"},
		{"several", "[@A](mailto:alice@example.com), [@Z](mailto:z@example.com) and [@B](mailto:bob@example.com)",
			aliceURL + ", @Z and " + bobURL},
		{"in lists", "- do [@A](mailto:alice@example.com)\n  - and [@Z](mailto:z@example.com)", "- do " + aliceURL + "\n  - and @Z"},
		{"in a quote", "> asked [@A](mailto:alice@example.com)", "> asked " + aliceURL},
		{"bold", "**[@A](mailto:alice@example.com)**", "**" + aliceURL + "**"},
		{"no @", "[mail](mailto:alice@example.com)", "[mail](mailto:alice@example.com)"},
		{"web link", "[@alice](https://example.com)", "[@alice](https://example.com)"},
		{"two addresses", "[@x](mailto:alice@example.com,bob@example.com)", "[@x](mailto:alice@example.com,bob@example.com)"},
		{"reference link", "[@A][r]\n\n[r]: mailto:alice@example.com", "[@A][r]\n\n[r]: mailto:alice@example.com"},
		{"code span", "`[@A](mailto:alice@example.com)`", "`[@A](mailto:alice@example.com)`"},
		{"code block", "```\n[@A](mailto:alice@example.com)\n```", "```\n[@A](mailto:alice@example.com)\n```"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.mentionsOut(tc.in); got != tc.want {
				t.Errorf("mentionsOut(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestProjectMentions: the projection of a description is the read of
// its write, and stable.
func TestProjectMentions(t *testing.T) {
	c := mentionCatalog()
	if got := c.project(backlog.Description, "hi [@Al](mailto:alice@example.com) and [@Z](mailto:z@example.com)"); got != "hi [@Alice Martin](mailto:alice@example.com) and @Z" {
		t.Errorf("project = %q", got)
	}
	rapid.Check(t, func(t *rapid.T) {
		parts := rapid.SliceOfN(rapid.SampledFrom([]string{
			"text", "[@Alice Martin](mailto:alice@example.com)", "[@Someone](mailto:someone@example.com)", aliceURL,
			"**b**", "`[@A](mailto:alice@example.com)`", "[@B](mailto:robert@corp.example)", ",", "x",
		}), 1, 6).Draw(t, "parts")
		// Parts are set apart: a bare URL glued to the next link is
		// read by Markdown parsers as one longer URL, and is not stable.
		sep := rapid.SampledFrom([]string{" ", ", ", "\n"}).Draw(t, "sep")
		shape := rapid.SampledFrom([]string{"%s", "- %s", "> %s", "1. %s"}).Draw(t, "shape")
		md := strings.Replace(shape, "%s", strings.Join(parts, sep), 1)
		p := c.project(backlog.Description, backlog.Value(md))
		if again := c.project(backlog.Description, p); again != p {
			t.Fatalf("project is not stable: %q → %q → %q", md, p, again)
		}
	})
}

func FuzzMentions(f *testing.F) {
	for _, s := range []string{"", "[@A](mailto:alice@example.com)", "[@](mailto:)", "[@x](mailto:%zz)", aliceURL, "<" + aliceURL + ">",
		"[@a **b**](mailto:a@b) c", "[@A](mailto:alice@example.com \"t\")", "[@A](<mailto:alice@example.com>)"} {
		f.Add(s)
	}
	c := mentionCatalog()
	f.Fuzz(func(t *testing.T, s string) {
		_ = c.mentionsIn(s)
		_ = c.mentionsOut(s)
	})
}

// TestMentionsRoundTrip: a mention of alice typed in Jira reads back from
// the Jira connector in canonical form, is written to Linear as Linear's
// mention (her profile URL), reads back canonical from Linear as Project
// predicted, and goes back to Jira as the same Jira mention.
func TestMentionsRoundTrip(t *testing.T) {
	bg := t.Context()
	jsb := jsandbox.New(jsandbox.Options{SeedIssues: -1})
	hs := httptest.NewServer(jsb)
	t.Cleanup(func() { hs.Close(); _ = jsb.Close() })
	jc, err := jira.New(bg, jira.Config{URL: hs.URL, Email: jsandbox.BotEmail, Token: jsandbox.BotToken, Project: "TAN",
		HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	const aliceAccount = "5b10a2844c20165700ede21g" // the Jira sandbox's alice
	jid, _, err := jsb.UserCreate("bob@example.com", map[string]any{"summary": "mention",
		"description": "Could [~accountid:" + aliceAccount + "] look?\n\n* also [~accountid:nobody-known]\n\n{{[~accountid:" + aliceAccount + "]}}"})
	if err != nil {
		t.Fatal(err)
	}
	fromJira, err := jc.Get(bg, jid)
	if err != nil {
		t.Fatal(err)
	}
	wantJira := "Could [@Alice Example](mailto:alice@example.com) look?\n\n- also [~accountid:nobody-known]\n\n`[~accountid:" + aliceAccount + "]`"
	if fromJira.Description != wantJira {
		t.Fatalf("jira reads\n%q\nwant\n%q", fromJira.Description, wantJira)
	}

	s, lc := setup(t, sandbox.Options{})
	ref, err := lc.Create(bg, backlog.Item{Title: "mention", Description: fromJira.Description, Origin: fromJira.Ref})
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Issue struct{ Description string } `json:"issue"`
	}
	if err := lc.exec(bg, "reading raw description", `query TandemRawDescription($id: String!) { issue(id: $id) { description } }`,
		map[string]any{"id": ref.ID}, &raw); err != nil {
		t.Fatal(err)
	}
	wantRaw := "Could https://linear.app/tandem/profiles/alice look?\n\n- also [~accountid:nobody-known]\n\n`[~accountid:" + aliceAccount + "]`"
	if raw.Issue.Description != wantRaw {
		t.Errorf("linear stores\n%q\nwant\n%q", raw.Issue.Description, wantRaw)
	}
	fromLinear, err := lc.Get(bg, ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantLinear := "Could [@Alice Martin](mailto:alice@example.com) look?\n\n- also [~accountid:nobody-known]\n\n`[~accountid:" + aliceAccount + "]`"
	if fromLinear.Description != wantLinear {
		t.Errorf("linear reads\n%q\nwant\n%q", fromLinear.Description, wantLinear)
	}
	if p := lc.Project(backlog.Description, backlog.Value(fromJira.Description)); string(p) != fromLinear.Description {
		t.Errorf("linear Project = %q, Get = %q", p, fromLinear.Description)
	}

	// A comment with a mention typed in Linear reads back canonical.
	if _, err := s.UserComment(sandbox.BobEmail, ref.ID, "over to "+aliceURL+" and https://linear.app/tandem/profiles/bob"); err != nil {
		t.Fatal(err)
	}
	cs, err := lc.Comments(bg, ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Body != "over to [@Alice Martin](mailto:alice@example.com) and [@Bob Chen](mailto:bob@example.com)" {
		t.Errorf("linear comments read %+v", cs)
	}

	// And back to Jira: the same Jira mention.
	if err := jc.Apply(bg, jid, backlog.Patch{backlog.Description: backlog.Value(fromLinear.Description)}); err != nil {
		t.Fatal(err)
	}
	back, err := jc.Get(bg, jid)
	if err != nil {
		t.Fatal(err)
	}
	if back.Description != wantJira {
		t.Errorf("jira reads back\n%q\nwant\n%q", back.Description, wantJira)
	}
}
