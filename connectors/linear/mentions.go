package linear

import (
	"bytes"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// Mentions. Canonically a mention of a person is a Markdown link whose text
// starts with "@" and whose destination is their email:
//
//	[@Alice Martin](mailto:alice@example.com)
//
// Linear's Markdown (Issue.description, Comment.body) writes a user
// mention as the plain URL of the user's profile, User.url, e.g.
// https://linear.app/tandem/profiles/alice: Linear's API guide ("Adding
// mentions in Markdown", developers' GraphQL docs) says a resource's plain
// URL in Markdown becomes a mention, and that "@name", "@[Name](id)" or a
// [Name](url) link stay text and notify nobody (linear/linear#351,
// schpet/linear-cli's markdown reference). Linear serializes the mention
// node back as the same URL, sometimes with the user's name in place of
// the display name, percent-encoded (linear/linear#351), so reading
// accepts either.
//
// Reading, a profile URL of this workspace (bare, or as <url>) naming a
// known user becomes the canonical link, named with the user's name; any
// other URL stays as it is. Writing, a canonical mention of an email that
// maps to a user (own email or Config.Users) becomes that user's profile
// URL, set off by spaces so it stays a URL; one of an unknown email
// becomes the plain text "@Display Name". Both directions find links with
// a Markdown parser, so code spans and code blocks are never touched, and
// rewrite only the mention's own bytes: the rest of the text is kept
// byte for byte.

// people is what mentions need to know about the workspace's users.
type people struct {
	workspace string            // lower-case urlKey, from the users' profile URLs
	profile   map[string]string // user id → profile URL (User.url)
	name      map[string]string // user id → name shown in canonical mentions
	byHandle  map[string]string // lower-case display name, or unique name → user id
}

// addUser records one user of the workspace.
func (p *people) addUser(id, name, display, profile string) {
	if p.profile == nil {
		p.profile, p.name, p.byHandle = map[string]string{}, map[string]string{}, map[string]string{}
	}
	if m := profileURL.FindStringSubmatch(profile); m != nil && m[0] == profile {
		p.profile[id] = profile
		if p.workspace == "" {
			p.workspace = strings.ToLower(m[1])
		}
	}
	if n := strings.TrimSpace(name); n != "" {
		p.name[id] = n
	} else if d := strings.TrimSpace(display); d != "" {
		p.name[id] = d
	}
	if d := strings.ToLower(strings.TrimSpace(display)); d != "" {
		p.byHandle[d] = id
	}
}

// finish adds the users' names as handles where no display name and no
// other user claims them; call it once all users are added.
func (p *people) finish(names map[string]string) {
	count := map[string]int{}
	for _, n := range names {
		count[strings.ToLower(strings.TrimSpace(n))]++
	}
	for id, n := range names {
		k := strings.ToLower(strings.TrimSpace(n))
		if _, taken := p.byHandle[k]; k != "" && !taken && count[k] == 1 {
			p.byHandle[k] = id
		}
	}
}

// profileURL matches a Linear profile URL; the last group is the handle.
var profileURL = regexp.MustCompile(`https://linear\.app/([A-Za-z0-9_-]+)/profiles/([^\s/?#<>()\[\]"']+)`)

// urlBefore lists what may precede a bare URL that GFM links.
const urlBefore = " \t\r\n*_~("

// mdParser parses Markdown as Linear reads it (GFM, bare URLs linked).
var mdParser = sync.OnceValue(func() parser.Parser {
	return goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser()
})

// textEdit replaces src[start:end] with text.
type textEdit struct {
	start, end int
	text       string
}

// splice applies non-overlapping edits to src.
func splice(src []byte, es []textEdit) string {
	sort.Slice(es, func(i, j int) bool { return es[i].start < es[j].start })
	var b strings.Builder
	b.Grow(len(src) + 32*len(es))
	last := 0
	for _, e := range es {
		if e.start < last || e.end > len(src) || e.start > e.end {
			continue
		}
		b.Write(src[last:e.start])
		b.WriteString(e.text)
		last = e.end
	}
	b.Write(src[last:])
	return b.String()
}

// mentionsIn rewrites Linear profile URLs of known people in md as
// canonical mentions.
func (c *catalog) mentionsIn(md string) string {
	if !strings.Contains(md, "/profiles/") || len(c.people.profile) == 0 {
		return md
	}
	src := []byte(md)
	var es []textEdit
	_ = ast.Walk(mdParser().Parse(text.NewReader(src)), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		al, ok := n.(*ast.AutoLink)
		if !entering || !ok || al.AutoLinkType != ast.AutoLinkURL {
			return ast.WalkContinue, nil
		}
		// Pos is where the parser started: "<" of an autolink, or the
		// space before a bare URL that the GFM linkifier found.
		pos, label := al.Pos(), al.Label(src)
		if pos < 0 || pos >= len(src) || len(label) == 0 {
			return ast.WalkContinue, nil
		}
		i := bytes.Index(src[pos:min(len(src), pos+len(label)+2)], label)
		if i < 0 {
			return ast.WalkContinue, nil
		}
		start, end := pos+i, pos+i+len(label)
		if start > 0 && src[start-1] == '<' && end < len(src) && src[end] == '>' {
			start, end = start-1, end+1
		} else if start > 0 && !strings.ContainsRune(urlBefore, rune(src[start-1])) {
			// GFM links a bare URL only there; goldmark is laxer.
			return ast.WalkContinue, nil
		}
		if m := c.mentionFor(string(label)); m != "" {
			es = append(es, textEdit{start, end, m})
		}
		return ast.WalkContinue, nil
	})
	if len(es) == 0 {
		return md
	}
	return splice(src, es)
}

// mentionFor is the canonical mention for a Linear profile URL, "" when it
// names nobody known here.
func (c *catalog) mentionFor(u string) string {
	m := profileURL.FindStringSubmatch(u)
	if m == nil || m[0] != u || (c.people.workspace != "" && !strings.EqualFold(m[1], c.people.workspace)) {
		return ""
	}
	handle := m[2]
	if h, err := url.PathUnescape(handle); err == nil {
		handle = h
	}
	id, ok := c.people.byHandle[strings.ToLower(handle)]
	if !ok {
		return ""
	}
	email := c.emailOf[id]
	if email == "" {
		return ""
	}
	name := c.people.name[id]
	if name == "" {
		name = email
	}
	return "[@" + escapeLinkText(name) + "](mailto:" + email + ")"
}

// escapeLinkText escapes what would end or restyle Markdown link text.
func escapeLinkText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\[]*_`<>~&!|#", r) {
			b.WriteByte('\\')
		}
		if r == '\n' || r == '\r' {
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mentionsOut rewrites canonical mentions in md as Linear profile URLs
// (known emails) or plain "@Name" text (unknown ones).
func (c *catalog) mentionsOut(md string) string {
	if !strings.Contains(strings.ToLower(md), "mailto:") {
		return md
	}
	src := []byte(md)
	var es []textEdit
	_ = ast.Walk(mdParser().Parse(text.NewReader(src)), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		l, ok := n.(*ast.Link)
		if !entering || !ok {
			return ast.WalkContinue, nil
		}
		email, ok := mentionEmail(string(l.Destination))
		if !ok {
			return ast.WalkSkipChildren, nil
		}
		start := l.Pos()
		labelEnd, end, ok := inlineLink(src, start)
		if !ok || labelEnd-start < 3 || src[start+1] != '@' {
			return ast.WalkSkipChildren, nil
		}
		var repl string
		if id := c.users[email]; id != "" && c.people.profile[id] != "" {
			repl = c.people.profile[id]
			// Keep the URL a URL: GFM links a bare URL only after a space,
			// a line start or one of *_~(, and ends it at a space.
			if start > 0 && !strings.ContainsRune(urlBefore, rune(src[start-1])) {
				repl = " " + repl
			}
			if end < len(src) && !strings.ContainsRune(" \t\r\n*_~).,;:!?'\"", rune(src[end])) {
				repl += " "
			}
		} else {
			repl = string(src[start+1 : labelEnd]) // the label as written, "@…"
		}
		es = append(es, textEdit{start, end, repl})
		return ast.WalkSkipChildren, nil
	})
	if len(es) == 0 {
		return md
	}
	return splice(src, es)
}

// inlineLink finds the extent of an inline link "[label](dest …)" at
// src[start]: the index of the label's closing bracket and the end of the
// link. ok is false for any other form (reference links).
func inlineLink(src []byte, start int) (labelEnd, end int, ok bool) {
	if start < 0 || start >= len(src) || src[start] != '[' {
		return 0, 0, false
	}
	depth := 0
	i := start
	for ; i < len(src); i++ {
		switch src[i] {
		case '\\':
			i++
			continue
		case '[':
			depth++
		case ']':
			depth--
		}
		if depth == 0 {
			break
		}
	}
	if i+1 >= len(src) || src[i] != ']' || src[i+1] != '(' {
		return 0, 0, false
	}
	labelEnd, depth = i, 0
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++
			continue
		case '(':
			depth++
		case ')':
			depth--
		case '\n':
			if j+1 < len(src) && src[j+1] == '\n' {
				return 0, 0, false
			}
		}
		if depth == 0 {
			return labelEnd, j + 1, true
		}
	}
	return 0, 0, false
}

// mentionEmail is the lower-case email of a mailto: destination with one
// address and no header fields.
func mentionEmail(href string) (string, bool) {
	if len(href) < len("mailto:") || !strings.EqualFold(href[:len("mailto:")], "mailto:") {
		return "", false
	}
	rest := href[len("mailto:"):]
	if strings.ContainsAny(rest, "?,") {
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

// mentionsIn is catalog.mentionsIn under the client's lock.
func (c *Client) mentionsIn(md string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cat.mentionsIn(md)
}

// mentionsOut is catalog.mentionsOut under the client's lock.
func (c *Client) mentionsOut(md string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cat.mentionsOut(md)
}
