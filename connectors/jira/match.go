package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/match"
)

var _ connectors.MatchFinder = (*Client)(nil)

// maxProbes bounds one FindMatches: the bulk fetch takes 100 keys, and a
// JQL of 50 title clauses stays well under Jira's query length limit.
const maxProbes = 50

// maxTitlePages bounds the pages of one title look-up (a misbehaving
// pager cannot loop).
const maxTitlePages = 20

// MaxProbes implements connectors.MatchFinder.
func (c *Client) MaxProbes() int { return maxProbes }

// FindMatches implements connectors.MatchFinder for probes of Linear
// issues: the issues the probes name (by key: a Linear attachment's Jira
// URL, the pairs file, a key in the Linear text) in one bulk fetch, and,
// when titles are probed, one search of the titles' words, kept only
// where the summary is exactly the title. Issues of other projects are
// no candidates. Jira cannot search remote links (JQL has no clause for
// them), so the cross-link signal comes from the Linear side.
func (c *Client) FindMatches(ctx context.Context, probes []connectors.Probe) ([][]match.Candidate, error) {
	if len(probes) > maxProbes {
		return nil, connectors.Permanent(fmt.Errorf("jira: %d probes in one look-up, at most %d", len(probes), maxProbes))
	}
	out := make([][]match.Candidate, len(probes))
	var keys []string
	seen := map[string]bool{}
	var titles []string
	for _, p := range probes {
		for k := range p.Named {
			k = strings.ToUpper(k)
			proj, _, _ := strings.Cut(k, "-")
			if proj == c.projectKey && !seen[k] && len(keys) < maxGet {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		if p.Title != "" {
			titles = append(titles, p.Title)
		}
	}
	found := map[string]backlog.Ref{} // key → ref
	if len(keys) > 0 {
		var res struct {
			Issues []wireIssue `json:"issues"`
		}
		body := map[string]any{"issueIdsOrKeys": keys, "fields": []string{"summary"}}
		if err := c.call(ctx, fmt.Sprintf("looking up %d jira issues named by linear issues", len(keys)), http.MethodPost, "rest/api/2/issue/bulkfetch", body, &res); err != nil {
			return nil, err
		}
		for _, w := range res.Issues {
			if proj, _, _ := strings.Cut(w.Key, "-"); proj == c.projectKey {
				found[strings.ToUpper(w.Key)] = backlog.Ref{Side: backlog.Jira, ID: w.ID, Key: w.Key}
			}
		}
	}
	type titled struct {
		ref     backlog.Ref
		summary string
	}
	var byTitle []titled
	if clauses := titleClauses(titles); len(clauses) > 0 {
		jql := c.scope() + " AND (" + strings.Join(clauses, " OR ") + ")"
		// Word matches can be many more than the exact titles: every page
		// is read, or a title on a later page would look absent and its
		// item get a second twin.
		q := url.Values{"jql": {jql}, "maxResults": {strconv.Itoa(pageSize)}, "fields": {"summary"}}
		more, err := c.searchAll(ctx, fmt.Sprintf("searching jira for %d titles", len(titles)), q, maxTitlePages, func(issues []wireIssue) {
			for _, w := range issues {
				var s string
				_ = json.Unmarshal(w.Fields["summary"], &s)
				byTitle = append(byTitle, titled{backlog.Ref{Side: backlog.Jira, ID: w.ID, Key: w.Key}, s})
			}
		})
		if err != nil {
			return nil, err
		}
		if more {
			return nil, fmt.Errorf("jira: the title look-up of %d titles matched more than %d issues", len(titles), maxTitlePages*pageSize)
		}
	}
	for i, p := range probes {
		for k, sig := range p.Named {
			if r, ok := found[strings.ToUpper(k)]; ok {
				out[i] = append(out[i], match.Candidate{Ref: r, Signal: sig})
			}
		}
		if p.Title == "" {
			continue
		}
		for _, t := range byTitle {
			if match.SameTitle(t.summary, p.Title) {
				out[i] = append(out[i], match.Candidate{Ref: t.ref, Signal: match.Title})
			}
		}
	}
	return out, nil
}

// titleClauses are JQL text clauses finding the titles' words: Jira's ~
// matches words (its reserved characters are left out), and the caller
// keeps only exact summaries.
func titleClauses(titles []string) []string {
	var out []string
	for _, t := range titles {
		words := strings.FieldsFunc(t, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if len(words) == 0 {
			continue
		}
		out = append(out, "summary ~ "+jqlQuote(strings.Join(words, " ")))
	}
	return out
}
