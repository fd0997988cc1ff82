package jira

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

var (
	_ connectors.BatchGetter  = (*Client)(nil)
	_ connectors.BatchCreator = (*Client)(nil)
)

// Jira Cloud's caps: bulkfetch takes up to 100 issues, bulk create up to
// 50 (the platform spec's descriptions of both operations).
const (
	maxGet    = 100
	maxCreate = 50
)

// MaxGet implements connectors.BatchGetter.
func (c *Client) MaxGet() int { return maxGet }

// MaxCreate implements connectors.BatchCreator.
func (c *Client) MaxCreate() int { return maxCreate }

// GetMany implements connectors.BatchGetter with one bulk fetch (POST
// issue/bulkfetch) of the fields and the origin property Get reads. Jira
// leaves out the ids it does not find; issueErrors (retriable errors, per
// the spec) make the call fail, to be retried.
func (c *Client) GetMany(ctx context.Context, ids []string) (map[string]backlog.Item, error) {
	if len(ids) > maxGet {
		return nil, connectors.Permanent(fmt.Errorf("jira: %d ids in one read, at most %d", len(ids), maxGet))
	}
	out := make(map[string]backlog.Item, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	body := map[string]any{
		"issueIdsOrKeys": ids,
		"fields":         strings.Split(c.issueFields()+",comment", ","),
		"properties":     []string{OriginProperty},
	}
	var res struct {
		Issues      []wireIssue `json:"issues"`
		IssueErrors []struct {
			ID           string `json:"id"`
			ErrorMessage string `json:"errorMessage"`
		} `json:"issueErrors"`
	}
	op := fmt.Sprintf("fetching %d jira issues", len(ids))
	if err := c.call(ctx, op, http.MethodPost, "rest/api/2/issue/bulkfetch", body, &res); err != nil {
		return nil, err
	}
	if len(res.IssueErrors) > 0 {
		e := res.IssueErrors[0]
		return nil, fmt.Errorf("%s: jira could not fetch %d of them (issue %s: %s)", op, len(res.IssueErrors), e.ID, e.ErrorMessage)
	}
	byName := map[string]wireIssue{}
	for _, w := range res.Issues {
		byName[w.ID] = w
		byName[strings.ToUpper(w.Key)] = w
	}
	for _, id := range ids {
		w, ok := byName[id]
		if !ok {
			w, ok = byName[strings.ToUpper(id)]
		}
		if !ok {
			continue
		}
		it, err := c.toItem(w)
		if err != nil {
			return nil, err
		}
		out[id] = it
	}
	return out, nil
}

// CreateMany implements connectors.BatchCreator: one scan of the bot's
// recent creations finds the twins that exist (as Create's does), and one
// bulk create (POST issue/bulk, with the origin property set in the same
// call) makes the others; then each new twin is moved to its sprint and
// status as Create moves it. An element Jira refuses is named in the
// *connectors.BatchError; one refused for its parent is created again on
// its own without it, as Create does.
func (c *Client) CreateMany(ctx context.Context, items []backlog.Item) ([]backlog.Ref, error) {
	if len(items) > maxCreate {
		return nil, connectors.Permanent(fmt.Errorf("jira: %d issues in one create, at most %d", len(items), maxCreate))
	}
	refs := make([]backlog.Ref, len(items))
	failed := map[int]error{}
	var origins []backlog.Ref
	for i, it := range items {
		if it.Origin.IsZero() {
			failed[i] = connectors.Permanent(errors.New("jira: create needs the origin ref of the item it mirrors"))
			continue
		}
		origins = append(origins, it.Origin)
	}
	twins, err := c.findTwins(ctx, origins)
	if err != nil {
		return nil, err
	}
	var todo []int
	first := map[backlog.Ref]int{} // origin → the item of the batch that creates its twin
	var dups [][2]int
	fields := make([]map[string]any, len(items))
	for i, it := range items {
		if _, bad := failed[i]; bad {
			continue
		}
		key := backlog.Ref{Side: it.Origin.Side, ID: it.Origin.ID}
		if r, ok := twins[key]; ok {
			refs[i] = r
			continue
		}
		if j, ok := first[key]; ok {
			dups = append(dups, [2]int{i, j})
			continue
		}
		f, err := c.createFields(ctx, it)
		if err != nil {
			if !connectors.IsPermanent(err) {
				return nil, err
			}
			failed[i] = err
			continue
		}
		first[key] = i
		fields[i] = f
		todo = append(todo, i)
	}
	if len(todo) > 0 {
		if err := c.bulkCreate(ctx, items, fields, todo, refs, failed); err != nil {
			return nil, err
		}
	}
	for _, d := range dups {
		if err, bad := failed[d[1]]; bad {
			failed[d[0]] = err
		} else {
			refs[d[0]] = refs[d[1]]
		}
	}
	if len(failed) > 0 {
		return refs, &connectors.BatchError{Failed: failed}
	}
	return refs, nil
}

// createdIssues is Jira's answer to a bulk create (CreatedIssues).
type createdIssues struct {
	Issues []struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	} `json:"issues"`
	Errors []struct {
		Status              int `json:"status"`
		FailedElementNumber int `json:"failedElementNumber"`
		ElementErrors       struct {
			ErrorMessages []string          `json:"errorMessages"`
			Errors        map[string]string `json:"errors"`
		} `json:"elementErrors"`
	} `json:"errors"`
}

// bulkCreate sends the items of todo as one bulk create and records each
// one's ref or error.
func (c *Client) bulkCreate(ctx context.Context, items []backlog.Item, fields []map[string]any, todo []int, refs []backlog.Ref, failed map[int]error) error {
	updates := make([]any, len(todo))
	steps := make([]*edge, len(items))
	for k, i := range todo {
		body := createBody(items[i], fields[i])
		if st := items[i].Status; st.Name != "" || st.Category != "" {
			// The first transition on the way goes in the create call
			// (IssueUpdateDetails.transition), when the workflow is known.
			if steps[i] = c.firstStep(typeName(fields[i]), backlog.EncodeStatus(st)); steps[i] != nil {
				body["transition"] = map[string]string{"id": steps[i].ID}
			}
		}
		updates[k] = body
	}
	op := fmt.Sprintf("creating %d jira twins", len(todo))
	res, err := c.postBulk(ctx, op, map[string]any{"issueUpdates": updates})
	if err != nil {
		return err
	}
	refused := map[int]error{} // by element number
	for _, e := range res.Errors {
		if e.FailedElementNumber < 0 || e.FailedElementNumber >= len(todo) {
			return fmt.Errorf("%s: jira names element %d of %d", op, e.FailedElementNumber, len(todo))
		}
		msg := strings.Join(elementMessages(e.ElementErrors.ErrorMessages, e.ElementErrors.Errors), "; ")
		err := fmt.Errorf("creating jira twin of %s: jira %d: %s", items[todo[e.FailedElementNumber]].Origin, e.Status, msg)
		if e.Status >= 400 && e.Status < 500 && e.Status != http.StatusTooManyRequests && e.Status != http.StatusConflict {
			err = connectors.Permanent(err)
		}
		refused[e.FailedElementNumber] = err
	}
	if len(res.Issues) != len(todo)-len(refused) {
		return fmt.Errorf("%s: %d created and %d refused of %d", op, len(res.Issues), len(refused), len(todo))
	}
	next := 0
	for k, i := range todo {
		if err, ok := refused[k]; ok {
			if connectors.IsPermanent(err) && (steps[i] != nil || (fields[i]["parent"] != nil && strings.Contains(err.Error(), "parent:"))) {
				// As Create does: without the parent Jira refuses; or
				// the transition the cache named is not the workflow's
				// any more. Create on its own reads the workflow again.
				if steps[i] != nil {
					c.flows.forgetStart(typeName(fields[i]))
				}
				ref, cerr := c.Create(ctx, items[i])
				refs[i] = ref
				if cerr != nil {
					failed[i] = cerr
				}
				continue
			}
			failed[i] = err
			continue
		}
		w := res.Issues[next]
		next++
		ref := backlog.Ref{Side: backlog.Jira, ID: w.ID, Key: w.Key}
		refs[i] = ref
		c.remember(items[i].Origin, ref)
		if err := c.afterCreate(ctx, items[i], ref, fields[i], steps[i]); err != nil {
			failed[i] = err
		}
	}
	return nil
}

// postBulk posts a bulk create. Jira answers 201 when some were created
// and 400 when none was, both with a CreatedIssues body; a 400 without
// element errors (too many issues, a malformed body) is the call's error.
func (c *Client) postBulk(ctx context.Context, op string, body any) (createdIssues, error) {
	var res createdIssues
	req, err := c.jc.NewRequestWithContext(ctx, http.MethodPost, "rest/api/2/issue/bulk", body)
	if err != nil {
		return res, fmt.Errorf("%s: %w", op, err)
	}
	resp, err := c.jc.Do(req, &res)
	if err == nil {
		return res, nil
	}
	if resp == nil || resp.Response == nil || resp.StatusCode != http.StatusBadRequest || resp.Body == nil {
		return res, c.fail(op, resp, err)
	}
	raw, rerr := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	resp.Body.Close()
	if rerr == nil && json.Unmarshal(raw, &res) == nil && len(res.Errors) > 0 {
		return res, nil
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	return createdIssues{}, c.fail(op, resp, err)
}

// elementMessages flattens an error collection as jiraMessages does.
func elementMessages(msgs []string, fields map[string]string) []string {
	parts := slices.Clone(msgs)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		parts = append(parts, k+": "+fields[k])
	}
	return parts
}
