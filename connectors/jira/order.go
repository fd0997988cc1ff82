package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

var _ connectors.Orderer = (*Client)(nil)

// Jira keeps the manual order in the Rank field (LexoRank). Clients cannot
// write it as a field; the Agile API moves issues instead: PUT
// /rest/agile/1.0/issue/rank ranks up to 50 issues, in the given order, as
// one run right before or right after an anchor issue. That is exactly a
// backlog.Move, so Move makes one call per move.

const (
	// rankBatch is how many issues one rank call takes (Jira refuses more
	// with a 400).
	rankBatch = 50
	// rankAttempts bounds the calls for the issues of a move that Jira
	// reports as failed in a 207 answer: the first call and two retries.
	rankAttempts = 3
	// orderPageSize is the page size of the rank-order listing: search/jql
	// answers up to 5000 issues per page when only ids are asked for.
	orderPageSize = 5000
	// maxOrderPages bounds the listing (a misbehaving pager cannot loop).
	maxOrderPages = 10000
)

const rankPath = "rest/agile/1.0/issue/rank"

// MaxBatch implements connectors.Orderer: the rank API moves 50 issues per
// call.
func (c *Client) MaxBatch() int { return rankBatch }

// Order implements connectors.Orderer: the ids of the project's issues in
// rank order, from `project = KEY ORDER BY Rank ASC`, asking for ids only
// (up to 5000 per page). Jira's page tokens are offsets, so a move made
// while the pages are read can shift an issue between pages; an id seen
// twice is kept once, and the order pass that follows any such move
// (webhooks report it with Delivery.Order) reads the order again.
func (c *Client) Order(ctx context.Context) ([]string, error) {
	jql := c.scope() + " ORDER BY Rank ASC"
	var out []string
	seen := map[string]bool{}
	token := ""
	for range maxOrderPages {
		ids, next, err := c.searchIDs(ctx, "listing jira rank order", jql, c.orderPageSize(), token)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
		if next == "" || len(ids) == 0 {
			return out, nil
		}
		token = next
	}
	return nil, fmt.Errorf("listing jira rank order: more than %d pages", maxOrderPages)
}

func (c *Client) orderPageSize() int {
	if c.orderPage > 0 {
		return c.orderPage
	}
	return orderPageSize
}

// searchIDs reads one page of issue ids of a JQL search; next is "" on the
// last page.
func (c *Client) searchIDs(ctx context.Context, op, jql string, max int, token string) (ids []string, next string, err error) {
	q := url.Values{"jql": {jql}, "maxResults": {strconv.Itoa(max)}, "fields": {"id"}}
	if token != "" {
		q.Set("nextPageToken", token)
	}
	var res struct {
		Issues []struct {
			ID string `json:"id"`
		} `json:"issues"`
		NextPageToken string `json:"nextPageToken"`
		IsLast        bool   `json:"isLast"`
	}
	if err := c.call(ctx, op, http.MethodGet, "rest/api/2/search/jql?"+q.Encode(), nil, &res); err != nil {
		return nil, "", err
	}
	for _, is := range res.Issues {
		if is.ID != "" {
			ids = append(ids, is.ID)
		}
	}
	if res.IsLast {
		return ids, "", nil
	}
	return ids, res.NextPageToken, nil
}

// rankCall is one rank request: issues as a run right after After, or
// right before Before when After is "".
type rankCall struct {
	IDs           []string
	After, Before string
}

// rankEntry is one entry of the 207 answer (PartialSuccessBean).
type rankEntry struct {
	IssueID  int64    `json:"issueId"`
	IssueKey string   `json:"issueKey"`
	Status   int      `json:"status"`
	Errors   []string `json:"errors"`
}

// Move implements connectors.Orderer with one rank call per move (ids as
// Order gives them; Jira accepts ids or keys). Every move is checked before
// the first call: more than 50 ids, an id listed twice or an id that is
// also the move's anchor is a permanent error. A move with no anchor goes
// to the end: one search finds the last issue outside the move, then one
// rank call.
//
// When Jira answers 207 (some issues not ranked), the failed issues are
// ranked again, each maximal run of them as one call anchored on its
// placed neighbour, so the run ends up in the order the move asked for; up
// to two more rounds. Failures Jira reports as lasting (4xx other than
// 408/409/429) are not retried: a 404 entry wraps ErrNotFound (the plan is
// stale), others are permanent. Issues still failing after the retries
// make a plain (retryable) error naming them; calling Move again with the
// same moves is safe, as ranking an issue where it already is changes
// nothing. A 429 answer is a *RateLimitError. calls counts every request
// sent, failed or not. On an error the moves already made stay.
func (c *Client) Move(ctx context.Context, moves []backlog.Move) (calls int, err error) {
	for i, m := range moves {
		if err := checkMove(m); err != nil {
			return 0, connectors.Permanent(fmt.Errorf("jira rank move %d: %w", i, err))
		}
	}
	for _, m := range moves {
		n, err := c.move(ctx, m)
		calls += n
		if err != nil {
			return calls, err
		}
	}
	return calls, nil
}

func checkMove(m backlog.Move) error {
	if len(m.IDs) > rankBatch {
		return fmt.Errorf("%d issues, the rank API takes at most %d", len(m.IDs), rankBatch)
	}
	seen := make(map[string]bool, len(m.IDs))
	for _, id := range m.IDs {
		switch {
		case id == "":
			return errors.New("empty issue id")
		case seen[id]:
			return fmt.Errorf("issue %s listed twice", id)
		case id == m.After || (m.After == "" && id == m.Before):
			return fmt.Errorf("issue %s is its own anchor", id)
		}
		seen[id] = true
	}
	return nil
}

// move makes one move, retrying the issues a 207 reports as failed.
func (c *Client) move(ctx context.Context, m backlog.Move) (calls int, err error) {
	if len(m.IDs) == 0 {
		return 0, nil
	}
	ids := m.IDs
	after, before := m.After, m.Before
	if after == "" && before == "" {
		last, err := c.lastOutside(ctx, ids)
		calls++
		if err != nil {
			return calls, err
		}
		if last == "" {
			// The move holds every issue: order them after the first.
			if len(ids) == 1 {
				return calls, nil
			}
			after, ids = ids[0], ids[1:]
		} else {
			after = last
		}
	}
	placed := make(map[string]bool, len(ids))
	pending := []rankCall{{IDs: ids, After: after, Before: before}}
	for attempt := 1; ; attempt++ {
		var failed []rankEntry
		var failedIDs []string
		for _, rc := range pending {
			calls++ // every request sent counts, answered or not
			bad, err := c.rank(ctx, rc)
			if err != nil {
				return calls, err
			}
			matched := 0
			for _, id := range rc.IDs {
				i := slices.IndexFunc(bad, func(e rankEntry) bool { return entryNames(e, id) })
				if i < 0 {
					placed[id] = true
					continue
				}
				matched++
				failed = append(failed, bad[i])
				failedIDs = append(failedIDs, id)
			}
			if matched < len(bad) {
				// An entry we cannot tie to a requested issue: we cannot
				// tell which issues were ranked.
				return calls, fmt.Errorf("ranking jira issues %s: 207 answer names issues we did not send: %s", strings.Join(rc.IDs, ","), describeEntries(bad, make([]string, len(bad))))
			}
		}
		if len(failed) == 0 {
			return calls, nil
		}
		if err := lastingRankFailure(failed, failedIDs); err != nil {
			return calls, err
		}
		if attempt == rankAttempts {
			return calls, fmt.Errorf("ranking jira issues: %d not ranked after %d attempts: %s", len(failed), rankAttempts, describeEntries(failed, failedIDs))
		}
		c.logger().Info("jira: retrying issues the rank API did not rank", "issues", strings.Join(failedIDs, ","), "attempt", attempt+1)
		pending = rerankCalls(ids, placed, after, before)
	}
}

// entryNames says whether a 207 entry reports on issue ref (an id or key).
func entryNames(e rankEntry, ref string) bool {
	return (e.IssueID != 0 && strconv.FormatInt(e.IssueID, 10) == ref) || (e.IssueKey != "" && strings.EqualFold(e.IssueKey, ref))
}

// lastingRankFailure is the error for 207 entries that retrying will not
// fix, nil when every failure may be transient.
func lastingRankFailure(failed []rankEntry, ids []string) error {
	for i, e := range failed {
		switch e.Status {
		case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooManyRequests:
			continue
		case http.StatusNotFound:
			return fmt.Errorf("ranking jira issue %s: %w (jira 404: %s)", ids[i], connectors.ErrNotFound, strings.Join(e.Errors, "; "))
		}
		if e.Status >= 400 && e.Status < 500 {
			return connectors.Permanent(fmt.Errorf("ranking jira issues: %s", describeEntries(failed[i:i+1], ids[i:i+1])))
		}
	}
	return nil
}

func describeEntries(es []rankEntry, ids []string) string {
	parts := make([]string, len(es))
	for i, e := range es {
		name := ids[i]
		if e.IssueKey != "" && !strings.EqualFold(e.IssueKey, name) {
			name += " (" + e.IssueKey + ")"
		}
		parts[i] = fmt.Sprintf("%s: %d %s", name, e.Status, strings.Join(e.Errors, "; "))
	}
	return strings.Join(parts, ", ")
}

// rerankCalls returns the calls that put the issues of ids not yet placed
// where the move wants them, given that the placed ones already form the
// move's run (in order) after `after` or before `before`: each maximal
// run of unplaced issues goes right after its placed predecessor, or, at
// the start, after the move's anchor (or right before its first placed
// successor, or before `before`, for a move anchored before).
func rerankCalls(ids []string, placed map[string]bool, after, before string) []rankCall {
	var out []rankCall
	for i := 0; i < len(ids); {
		if placed[ids[i]] {
			i++
			continue
		}
		j := i
		for j < len(ids) && !placed[ids[j]] {
			j++
		}
		rc := rankCall{IDs: ids[i:j]}
		switch {
		case i > 0:
			rc.After = ids[i-1]
		case after != "":
			rc.After = after
		case j < len(ids):
			rc.Before = ids[j]
		default:
			rc.Before = before
		}
		out = append(out, rc)
		i = j
	}
	return out
}

// lastOutside returns the last issue in rank order that is not in ids, ""
// when there is none; one search.
func (c *Client) lastOutside(ctx context.Context, ids []string) (string, error) {
	last, _, err := c.searchIDs(ctx, "finding the last jira issue by rank", c.scope()+" ORDER BY Rank DESC", len(ids)+1, "")
	if err != nil {
		return "", err
	}
	for _, id := range last {
		if !slices.Contains(ids, id) {
			return id, nil
		}
	}
	return "", nil
}

// rankCustomFieldID is the numeric id of the Rank field we found at New,
// nil when unknown (Jira then uses the default rank field).
func (c *Client) rankCustomFieldID() *int64 {
	n, err := strconv.ParseInt(strings.TrimPrefix(c.rankField, "customfield_"), 10, 64)
	if c.rankField == "" || err != nil {
		return nil
	}
	return &n
}

// rank sends one rank request and returns the entries of the issues Jira
// did not rank (none on 204).
func (c *Client) rank(ctx context.Context, rc rankCall) ([]rankEntry, error) {
	body := struct {
		Issues            []string `json:"issues"`
		RankAfterIssue    string   `json:"rankAfterIssue,omitempty"`
		RankBeforeIssue   string   `json:"rankBeforeIssue,omitempty"`
		RankCustomFieldID *int64   `json:"rankCustomFieldId,omitempty"`
	}{Issues: rc.IDs, RankCustomFieldID: c.rankCustomFieldID()}
	where := ""
	if rc.After != "" {
		body.RankAfterIssue, where = rc.After, "after "+rc.After
	} else {
		body.RankBeforeIssue, where = rc.Before, "before "+rc.Before
	}
	op := "ranking jira issues " + strings.Join(rc.IDs, ",") + " " + where
	req, err := c.jc.NewRequestWithContext(ctx, http.MethodPut, rankPath, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	resp, err := c.jc.Do(req, nil)
	if err != nil {
		return nil, c.fail(op, resp, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil, nil // 204 (or another 2xx): all ranked
	}
	var partial struct {
		Entries []rankEntry `json:"entries"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&partial); err != nil {
		return nil, fmt.Errorf("%s: reading the 207 answer: %w", op, err)
	}
	var bad []rankEntry
	for _, e := range partial.Entries {
		if e.Status < 200 || e.Status > 299 {
			bad = append(bad, e)
		}
	}
	if len(bad) == 0 && len(partial.Entries) == 0 {
		return nil, fmt.Errorf("%s: 207 answer without entries", op)
	}
	return bad, nil
}
