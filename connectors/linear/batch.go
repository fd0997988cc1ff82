package linear

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

var (
	_ connectors.BatchGetter   = (*Client)(nil)
	_ connectors.BatchCreator  = (*Client)(nil)
	_ connectors.CreatedReader = (*Client)(nil)
	_ connectors.OwnWrites     = (*Client)(nil)
)

// maxGet is how many issues one GetMany reads: the page size Changed
// already reads with the same selection (Linear's connections take up
// to 250, but the selection's complexity grows with the page).
const maxGet = pageSize

// maxCreate is how many issues one issueBatchCreate takes. Linear's
// schema says only "Creates a list of issues in one transaction"; 50 is
// the documented cap of its sibling issueBatchUpdate, which the sandbox
// enforces on both.
const maxCreate = 50

// MaxGet implements connectors.BatchGetter.
func (c *Client) MaxGet() int { return maxGet }

// MaxCreate implements connectors.BatchCreator.
func (c *Client) MaxCreate() int { return maxCreate }

const getManyQuery = `query TandemIssues($ids: [ID!], $first: Int) {
  issues(filter: {id: {in: $ids}}, first: $first, includeArchived: true) { nodes { ...IssueFields
    comments(first: 1) { nodes { id } }
  } }
}
` + issueFields

// GetMany implements connectors.BatchGetter with one issues query
// filtered by id, selecting what Get selects but the comments: it probes
// for one comment (a page of them for fifty issues would cost some 5,000
// complexity points), so an issue without comments reads with
// CommentsRead set and none, and one with comments leaves them to
// Comments. Archived issues read with Archived set, as from Get.
func (c *Client) GetMany(ctx context.Context, ids []string) (map[string]backlog.Item, error) {
	ids, projects, err := c.getProjects(ctx, ids)
	if err != nil {
		return nil, err
	}
	nodes, err := c.getNodes(ctx, ids)
	if err != nil {
		return nil, err
	}
	if err := c.knowLabels(ctx, slices.Collect(maps.Values(nodes))...); err != nil {
		return nil, err
	}
	out := make(map[string]backlog.Item, len(nodes))
	c.mu.RLock()
	for id, n := range nodes {
		it, err := c.cat.toItem(n)
		if err != nil {
			c.mu.RUnlock()
			return nil, connectors.Permanent(err)
		}
		c.epicParent(&it, n)
		c.readFiles(&it, n)
		c.placed.note(n)
		if n.Comments != nil && len(n.Comments.Nodes) == 0 {
			// The probe of one comment found none: the issue has no
			// comments, read (a pass need not read them again).
			it.Comments, it.CommentsRead = []backlog.Comment{}, true
		}
		out[id] = it
	}
	c.mu.RUnlock()
	for id, n := range nodes {
		if !n.relationsComplete() {
			it := out[id]
			if err := c.completeRelations(ctx, &it); err != nil {
				return nil, err
			}
			out[id] = it
		}
	}
	maps.Copy(out, projects)
	return out, nil
}

// getNodes reads the issues of ids, keyed by the id asked for (an id or
// an identifier).
func (c *Client) getNodes(ctx context.Context, ids []string) (map[string]issueNode, error) {
	if len(ids) > maxGet {
		return nil, connectors.Permanent(fmt.Errorf("linear: %d ids in one read, at most %d", len(ids), maxGet))
	}
	if len(ids) == 0 {
		return map[string]issueNode{}, nil
	}
	var out struct {
		Issues struct {
			Nodes []issueNode `json:"nodes"`
		} `json:"issues"`
	}
	if err := c.exec(ctx, fmt.Sprintf("fetching %d linear issues", len(ids)), getManyQuery,
		map[string]any{"ids": ids, "first": len(ids)}, &out); err != nil {
		return nil, err
	}
	byName := make(map[string]issueNode, 2*len(out.Issues.Nodes))
	for _, n := range out.Issues.Nodes {
		byName[n.ID] = n
		byName[strings.ToUpper(n.Identifier)] = n
	}
	nodes := make(map[string]issueNode, len(out.Issues.Nodes))
	for _, id := range ids {
		if n, ok := byName[id]; ok {
			nodes[id] = n
		} else if n, ok := byName[strings.ToUpper(id)]; ok {
			nodes[id] = n
		}
	}
	return nodes, nil
}

// batchCreateMutation selects what Get selects of the new issues, so the
// caller has the twins as made without reading them again (Created).
const batchCreateMutation = `mutation TandemBatchCreate($input: IssueBatchCreateInput!) {
  issueBatchCreate(input: $input) { success issues { ...IssueFields } }
}
` + issueFields

// CreateMany implements connectors.BatchCreator with one issueBatchCreate.
// Linear creates the batch in one transaction, so an id that already
// exists fails all of it: then one GetMany finds the twins that exist and
// the rest is sent again. A batch Linear refuses for another permanent
// reason (a missing parent) falls back to one Create per item, so the
// error names the items at fault and the others are made.
func (c *Client) CreateMany(ctx context.Context, items []backlog.Item) ([]backlog.Ref, error) {
	if len(items) > maxCreate {
		return nil, connectors.Permanent(fmt.Errorf("linear: %d issues in one create, at most %d", len(items), maxCreate))
	}
	refs := make([]backlog.Ref, len(items))
	failed := map[int]error{}
	var todo []int
	inputs := make([]map[string]any, len(items))
	for i, it := range items {
		in, err := c.createInput(ctx, it)
		if err != nil {
			if !connectors.IsPermanent(err) {
				return nil, err // the catalog could not load: the batch as a whole is due again
			}
			failed[i] = err
			continue
		}
		inputs[i] = in
		todo = append(todo, i)
	}
	// Each round either creates the batch or finds at least one twin
	// (the duplicate), so len(items)+1 rounds bound it.
	for round := 0; len(todo) > 0 && round <= len(items); round++ {
		made, err := c.batchCreate(ctx, inputs, todo)
		if err == nil {
			for k, i := range todo {
				refs[i] = made[k]
			}
			todo = nil
			break
		}
		if isDuplicate(err) {
			var ids []string
			for _, i := range todo {
				if items[i].Ref.ID != "" {
					ids = append(ids, items[i].Ref.ID)
				}
			}
			found, gerr := c.getNodes(ctx, ids)
			if gerr != nil {
				return nil, gerr
			}
			rest := todo[:0:0]
			for _, i := range todo {
				if n, ok := found[items[i].Ref.ID]; ok && items[i].Ref.ID != "" {
					refs[i] = backlog.Ref{Side: backlog.Linear, ID: n.ID, Key: n.Identifier}
					continue
				}
				rest = append(rest, i)
			}
			if len(rest) == len(todo) {
				return nil, err // "already exists" yet none reads: not ours to untangle
			}
			todo = rest
			continue
		}
		if !connectors.IsPermanent(createError(err)) {
			return nil, err
		}
		for _, i := range todo {
			ref, cerr := c.Create(ctx, items[i])
			if cerr != nil {
				failed[i] = cerr
				continue
			}
			refs[i] = ref
		}
		todo = nil
	}
	if len(todo) > 0 {
		return nil, errors.New("creating linear issues: duplicates keep appearing")
	}
	if len(failed) > 0 {
		return refs, &connectors.BatchError{Failed: failed}
	}
	return refs, nil
}

// batchCreate sends the inputs of todo as one issueBatchCreate and
// returns the refs in todo's order.
func (c *Client) batchCreate(ctx context.Context, inputs []map[string]any, todo []int) ([]backlog.Ref, error) {
	batch := make([]map[string]any, len(todo))
	for k, i := range todo {
		batch[k] = inputs[i]
	}
	var out struct {
		IssueBatchCreate struct {
			Success bool        `json:"success"`
			Issues  []issueNode `json:"issues"`
		} `json:"issueBatchCreate"`
	}
	what := fmt.Sprintf("creating %d linear issues", len(batch))
	if err := c.exec(ctx, what, batchCreateMutation, map[string]any{"input": map[string]any{"issues": batch}}, &out); err != nil {
		return nil, err
	}
	if !out.IssueBatchCreate.Success {
		return nil, fmt.Errorf("%s: success false", what)
	}
	if len(out.IssueBatchCreate.Issues) != len(batch) {
		return nil, fmt.Errorf("%s: %d issues in the answer", what, len(out.IssueBatchCreate.Issues))
	}
	refs := make([]backlog.Ref, len(batch))
	for k, n := range out.IssueBatchCreate.Issues {
		if want, _ := batch[k]["id"].(string); want != "" && !strings.EqualFold(want, n.ID) {
			return nil, fmt.Errorf("%s: answer %d is %s, not %s", what, k, n.ID, want)
		}
		refs[k] = backlog.Ref{Side: backlog.Linear, ID: n.ID, Key: n.Identifier}
	}
	if err := c.knowLabels(ctx, out.IssueBatchCreate.Issues...); err != nil {
		c.log.Warn("naming the labels of new issues", "err", err)
	}
	c.mu.RLock()
	for _, n := range out.IssueBatchCreate.Issues {
		// Our own new issue: the poll that sees it need not report a
		// reorder (the pass that made it asks for the order pass).
		c.ranks.Saw(n.ID, sortKey(n.SortOrder))
		if it, err := c.cat.toItem(n); err == nil {
			c.epicParent(&it, n)
			c.placed.note(n)
			// A new issue has no comments yet.
			it.Comments, it.CommentsRead = []backlog.Comment{}, true
			c.made.put(it)
		}
	}
	c.mu.RUnlock()
	return refs, nil
}

// madeItems holds the issues the last batch creates answered with, until
// Created hands them out (once each).
type madeItems struct {
	mu sync.Mutex
	m  map[string]backlog.Item
}

// maxMade bounds what madeItems holds: more, and it starts over (a caller
// then reads the twins, as without it).
const maxMade = 1000

func (m *madeItems) put(it backlog.Item) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil || len(m.m) >= maxMade {
		m.m = map[string]backlog.Item{}
	}
	m.m[it.Ref.ID] = it
}

// Created implements connectors.CreatedReader: the issues of ids as the
// batch create that made them answered, each handed out once.
func (c *Client) Created(ids []string) map[string]backlog.Item {
	c.made.mu.Lock()
	defer c.made.mu.Unlock()
	out := map[string]backlog.Item{}
	for _, id := range ids {
		if it, ok := c.made.m[id]; ok {
			out[id] = it
			delete(c.made.m, id)
		}
	}
	return out
}
