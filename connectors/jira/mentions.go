package jira

import (
	"net/url"
	"strings"

	"github.com/tandem-sync/tandem/connectors/jira/wiki"
)

// Mentions. Canonically a mention of a person is a Markdown link whose text
// starts with "@" and whose destination is their email:
//
//	[@Alice Example](mailto:alice@example.com)
//
// Jira wiki markup writes a mention as [~accountid:…]. Reading (Get's
// description, comment bodies), a mention of an account whose canonical
// email we know (Config.Users, or the assignable users loaded at New)
// becomes the canonical link, named with the account's display name (the
// email when Jira did not show one); any other mention stays [~accountid:…]
// so nothing is lost. Writing (Create, Apply, CreateComment,
// UpdateComment), a canonical mention of an email that maps to an account
// becomes [~accountid:…], and one of an unknown email becomes the plain
// text "@Display Name": a mailto link would only mislead, and naming the
// person keeps the sense. Mentions are found in the wiki.Doc tree, so text
// in code spans and code blocks is never touched.

// mailtoPrefix starts a mention's destination.
const mailtoPrefix = "mailto:"

// accountPrefix starts the user reference of a wiki mention.
const accountPrefix = "accountid:"

// markdownFromWiki is wiki markup as canonical Markdown with known
// mentions in canonical form.
func (c *Client) markdownFromWiki(w string) string {
	d := wiki.Parse(w)
	if c.users.mentionsIn(d) {
		d.Normalize()
	}
	return wiki.RenderMarkdown(d)
}

// wikiFromMarkdown is Markdown md as wiki markup, canonical mentions
// written as Jira mentions or plain names.
func (c *Client) wikiFromMarkdown(md string) string {
	d := wiki.ParseMarkdown(md)
	if c.users.mentionsOut(d) {
		d.Normalize()
	}
	return wiki.Render(d)
}

// mentionsIn turns Jira mentions of known people into canonical mention
// links, reporting whether it changed d.
func (d *directory) mentionsIn(doc *wiki.Doc) bool {
	return walkInlines(doc.Blocks, func(ins []wiki.Inline) ([]wiki.Inline, bool) {
		changed := false
		for i, in := range ins {
			if in.Kind != wiki.Mention || in.Marks&(wiki.Link|wiki.Code) != 0 {
				continue
			}
			acc, ok := cutPrefixFold(in.Text, accountPrefix)
			if !ok || acc == "" {
				continue
			}
			email, name := d.person(acc)
			if email == "" {
				continue
			}
			ins[i] = wiki.Inline{Kind: wiki.Text, Text: "@" + name, Marks: in.Marks | wiki.Link, Href: mailtoPrefix + email}
			changed = true
		}
		return ins, changed
	})
}

// mentionsOut turns canonical mention links into Jira mentions (known
// emails) or plain "@Name" text (unknown ones), reporting whether it
// changed d.
func (d *directory) mentionsOut(doc *wiki.Doc) bool {
	return walkInlines(doc.Blocks, func(ins []wiki.Inline) ([]wiki.Inline, bool) {
		var out []wiki.Inline
		changed := false
		for i := 0; i < len(ins); {
			j, email, ok := mentionRun(ins, i)
			if !ok {
				if changed {
					out = append(out, ins[i])
				}
				i++
				continue
			}
			if !changed {
				out = append(make([]wiki.Inline, 0, len(ins)), ins[:i]...)
				changed = true
			}
			if acc := d.accountFor(email); acc != "" {
				out = append(out, wiki.Inline{Kind: wiki.Mention, Text: accountPrefix + acc, Marks: ins[i].Marks &^ wiki.Link})
			} else {
				for _, in := range ins[i:j] {
					in.Marks &^= wiki.Link
					in.Href = ""
					out = append(out, in)
				}
			}
			i = j
		}
		if !changed {
			return ins, false
		}
		return out, true
	})
}

// mentionRun reports whether a canonical mention starts at ins[i]: a run
// of text with one mailto link, outside code, reading "@…". It returns the
// end of the run and the email.
func mentionRun(ins []wiki.Inline, i int) (end int, email string, ok bool) {
	first := ins[i]
	if first.Kind != wiki.Text || first.Marks&wiki.Link == 0 || first.Marks&wiki.Code != 0 || !strings.HasPrefix(first.Text, "@") {
		return 0, "", false
	}
	if i > 0 && ins[i-1].Marks&wiki.Link != 0 && ins[i-1].Href == first.Href {
		return 0, "", false // "@" in the middle of a link's text
	}
	email, ok = mentionEmail(first.Href)
	if !ok {
		return 0, "", false
	}
	end = i + 1
	for end < len(ins) && ins[end].Marks&wiki.Link != 0 && ins[end].Href == first.Href {
		if ins[end].Kind != wiki.Text || ins[end].Marks&wiki.Code != 0 {
			return 0, "", false
		}
		end++
	}
	if len(strings.TrimSpace(first.Text)) < 2 && end == i+1 {
		return 0, "", false // a bare "@" names nobody
	}
	return end, email, true
}

// mentionEmail is the email of a mailto: destination with one address and
// no header fields.
func mentionEmail(href string) (string, bool) {
	rest, ok := cutPrefixFold(href, mailtoPrefix)
	if !ok || strings.ContainsAny(rest, "?,") {
		return "", false
	}
	if u, err := url.PathUnescape(rest); err == nil {
		rest = u
	}
	rest = strings.TrimSpace(rest)
	if at := strings.IndexByte(rest, '@'); at <= 0 || at == len(rest)-1 || strings.ContainsAny(rest, " \t\n<>") {
		return "", false
	}
	return strings.ToLower(rest), true
}

// person is the canonical email and the display name of an account; the
// email is "" when unknown, the name falls back to the email.
func (d *directory) person(accountID string) (email, name string) {
	email = d.emailFor(accountID, "")
	if email == "" {
		return "", ""
	}
	d.mu.Lock()
	name = strings.TrimSpace(d.nameOf[accountID])
	d.mu.Unlock()
	if name == "" {
		name = email
	}
	return email, name
}

// walkInlines calls f on every inline run of bs (paragraphs, headings,
// list items, quotes, table cells; never code blocks), replacing the run
// with what f returns, and reports whether any call changed something.
func walkInlines(bs []wiki.Block, f func([]wiki.Inline) ([]wiki.Inline, bool)) bool {
	changed := false
	apply := func(ins *[]wiki.Inline) {
		if out, ok := f(*ins); ok {
			*ins, changed = out, true
		}
	}
	for i := range bs {
		b := &bs[i]
		switch b.Kind {
		case wiki.Paragraph, wiki.Heading:
			apply(&b.Inlines)
		case wiki.BulletList, wiki.OrderedList:
			for j := range b.Items {
				if walkInlines(b.Items[j].Blocks, f) {
					changed = true
				}
			}
		case wiki.Quote:
			if walkInlines(b.Blocks, f) {
				changed = true
			}
		case wiki.Table:
			for _, r := range b.Rows {
				for k := range r.Cells {
					apply(&r.Cells[k].Inlines)
				}
			}
		}
	}
	return changed
}

// cutPrefixFold is strings.CutPrefix, ignoring ASCII case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}
