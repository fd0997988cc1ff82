package linear

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/match"
)

var (
	_ connectors.MatchFinder      = (*Client)(nil)
	_ connectors.AttachmentReader = (*Client)(nil)
)

// maxProbes bounds one FindMatches or AttachmentURLs: 50 issues of up to
// 50 attachments each keep a query well inside Linear's complexity limit.
const maxProbes = 50

// MaxProbes implements connectors.MatchFinder.
func (c *Client) MaxProbes() int { return maxProbes }

// The lists' selections: only the cross-link list needs the attachments,
// and only those at a probe's URL. Linear prices a connection by its
// first argument: a page of 20 attachments on each of 50 issues cost some
// 1,100 points of the 1,300 a look-up took; the filtered page of 2 costs
// about a tenth of that.
const (
	matchNode       = `nodes { id identifier title description }`
	matchLinkedNode = `nodes { id identifier attachments(filter: {url: {in: $urls}}, first: 2) { nodes { url } } }`
)

type matchNodeT struct {
	ID, Identifier, Title string
	Description           *string `json:"description"`
	Attachments           struct {
		Nodes []struct{ URL string } `json:"nodes"`
	} `json:"attachments"`
}

// FindMatches implements connectors.MatchFinder for probes of Jira
// issues, in one query of up to four lists, each in the connector's
// scope: the issues with an attachment at a probe's URL (cross-link), the
// issues the probes name by identifier (pairs file), the issues whose
// title or description holds a probe's Jira key (checked as a word), and
// the issues with a probe's exact title.
func (c *Client) FindMatches(ctx context.Context, probes []connectors.Probe) ([][]match.Candidate, error) {
	if len(probes) > maxProbes {
		return nil, connectors.Permanent(fmt.Errorf("linear: %d probes in one look-up, at most %d", len(probes), maxProbes))
	}
	out := make([][]match.Candidate, len(probes))
	doc, vars := c.matchQuery(probes)
	if doc == "" {
		return out, nil
	}
	var res map[string]struct {
		Nodes []matchNodeT `json:"nodes"`
	}
	if err := c.exec(ctx, fmt.Sprintf("looking for the linear twins of %d jira issues", len(probes)), doc, vars, &res); err != nil {
		return nil, err
	}
	for i, p := range probes {
		add := func(n matchNodeT, sig match.Signal) {
			out[i] = append(out[i], match.Candidate{Ref: backlog.Ref{Side: backlog.Linear, ID: n.ID, Key: n.Identifier}, Signal: sig})
		}
		for _, n := range res["linked"].Nodes {
			for _, a := range n.Attachments.Nodes {
				if p.LinkURL != "" && a.URL == p.LinkURL {
					add(n, match.CrossLink)
					break
				}
			}
		}
		for _, n := range res["named"].Nodes {
			if sig, ok := p.Named[strings.ToUpper(n.Identifier)]; ok {
				add(n, sig)
			}
		}
		for _, n := range res["keyed"].Nodes {
			desc := ""
			if n.Description != nil {
				desc = *n.Description
			}
			if p.TextKey != "" && (match.HasKey(n.Title, p.TextKey) || match.HasKey(desc, p.TextKey)) {
				add(n, match.Key)
			}
		}
		for _, n := range res["titled"].Nodes {
			if match.SameTitle(n.Title, p.Title) {
				add(n, match.Title)
			}
		}
	}
	return out, nil
}

// matchQuery is the look-up of probes: one query of up to four lists and
// its variables; "" when no probe asks anything.
func (c *Client) matchQuery(probes []connectors.Probe) (string, map[string]any) {
	var urls, titles []any
	var numbers []any
	var keyOr []any
	prefix := strings.ToUpper(c.teamKey) + "-"
	for _, p := range probes {
		if p.LinkURL != "" {
			urls = append(urls, p.LinkURL)
		}
		for name := range p.Named {
			if n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(name), prefix)); err == nil && strings.HasPrefix(strings.ToUpper(name), prefix) {
				numbers = append(numbers, n)
			}
		}
		if p.TextKey != "" {
			keyOr = append(keyOr, map[string]any{"title": map[string]any{"containsIgnoreCase": p.TextKey}},
				map[string]any{"description": map[string]any{"containsIgnoreCase": p.TextKey}})
		}
		if p.Title != "" {
			titles = append(titles, strings.TrimSpace(p.Title))
		}
	}
	scoped := func(f map[string]any) map[string]any {
		return map[string]any{"and": []any{c.issueFilter(), f}}
	}
	var decl, body []string
	vars := map[string]any{}
	add := func(name string, f map[string]any) {
		sel, first := matchNode, 100
		if name == "linked" {
			sel, first = matchLinkedNode, 50
		}
		decl = append(decl, "$"+name+": IssueFilter")
		body = append(body, "  "+name+": issues(filter: $"+name+", first: "+strconv.Itoa(first)+") { "+sel+" }")
		vars[name] = scoped(f)
	}
	if len(urls) > 0 {
		decl, vars["urls"] = append(decl, "$urls: [String!]"), urls
		add("linked", map[string]any{"attachments": map[string]any{"some": map[string]any{"url": map[string]any{"in": urls}}}})
	}
	if len(numbers) > 0 {
		add("named", map[string]any{"number": map[string]any{"in": numbers}})
	}
	if len(keyOr) > 0 {
		add("keyed", map[string]any{"or": keyOr})
	}
	if len(titles) > 0 {
		add("titled", map[string]any{"title": map[string]any{"in": titles}})
	}
	if len(body) == 0 {
		return "", nil
	}
	return "query TandemMatch(" + strings.Join(decl, ", ") + ") {\n" + strings.Join(body, "\n") + "\n}", vars
}

// attachmentURLsQuery reads the attachments of a batch whose URL starts
// with a prefix: the Jira site's, for a cross-link (a few at most per
// issue: 5 of them cost some 300 points for 50 issues, where every
// attachment's URL, 50 each, cost 2,800).
const attachmentURLsQuery = `query TandemAttachmentURLs($filter: IssueFilter, $prefix: String) {
  issues(filter: $filter, first: 50, includeArchived: true) { nodes { id attachments(filter: {url: {startsWithIgnoreCase: $prefix}}, first: 5) { nodes { url } } } }
}`

// AttachmentURLs implements connectors.AttachmentReader: the attachment
// URLs starting with prefix of up to 50 issues in one query.
func (c *Client) AttachmentURLs(ctx context.Context, ids []string, prefix string) (map[string][]string, error) {
	if len(ids) > maxProbes {
		return nil, connectors.Permanent(fmt.Errorf("linear: %d issues in one attachment read, at most %d", len(ids), maxProbes))
	}
	out := map[string][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var res struct {
		Issues struct {
			Nodes []struct {
				ID          string `json:"id"`
				Attachments struct {
					Nodes []struct{ URL string } `json:"nodes"`
				} `json:"attachments"`
			} `json:"nodes"`
		} `json:"issues"`
	}
	vars := map[string]any{"filter": map[string]any{"id": map[string]any{"in": ids}}, "prefix": prefix}
	if err := c.exec(ctx, fmt.Sprintf("reading the attachments of %d linear issues", len(ids)), attachmentURLsQuery, vars, &res); err != nil {
		return nil, err
	}
	for _, n := range res.Issues.Nodes {
		for _, a := range n.Attachments.Nodes {
			out[n.ID] = append(out[n.ID], a.URL)
		}
	}
	return out, nil
}
