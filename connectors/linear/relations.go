package linear

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

// Relations are Linear issue relations. A relation {issue A, relatedIssue
// B, type} reads "A <type> B": A holds it in relations, B in
// inverseRelations. blocks: A holds blocks:B, B holds blocked_by:A;
// duplicate (A is a duplicate of B): A holds duplicates:B, B holds
// duplicated_by:A; related: both hold related. similar relations (Linear's
// suggestions) are not synced, and never touched.
//
// Every read carries the first relationsPage of each connection (in
// IssueFields; the complexity a GetMany of 50 issues may spend bounds the
// page); an issue with more is read again for all of them (relationsAll),
// so a relation past the page never reads as removed.
//
// Linear sends no webhook for a relation and does not document that one
// moves the issues' updatedAt, so Changed also lists the relations changed
// since its cursor (issueRelations by updatedAt, archived ones included:
// a deleted relation is archived) in the same request as its first page,
// and reports both issues of each.

// relationsChangedPage is how many of the most recently changed relations
// a poll's first page lists; more changed within one poll interval cost
// only a late report (the next change of those issues).
const relationsChangedPage = 25

// relationsPage is how many relations (and inverse relations) every read
// carries.
const relationsPage = 5

// relationsAll is how many relations the follow-up read of an issue with
// more than relationsPage takes (Linear's largest page).
const relationsAll = 250

type relationNode struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Issue *struct {
		ID string `json:"id"`
	} `json:"issue"`
	RelatedIssue *struct {
		ID string `json:"id"`
	} `json:"relatedIssue"`
}

type relationConn struct {
	Nodes    []relationNode `json:"nodes"`
	PageInfo struct {
		HasNextPage bool `json:"hasNextPage"`
	} `json:"pageInfo"`
}

// relationsFields is the selection of both connections, first n each.
func relationsFields(n int) string {
	f := strconv.Itoa(n)
	return `relations(first: ` + f + `) { nodes { id type relatedIssue { id } } pageInfo { hasNextPage } }
  inverseRelations(first: ` + f + `) { nodes { id type issue { id } } pageInfo { hasNextPage } }`
}

// canonOf is the canonical relation a node stands for, held by the
// issue on its own (inverse false) or the related end.
func canonOf(n relationNode, inverse bool) (backlog.Relation, bool) {
	var t backlog.RelationType
	switch n.Type {
	case "blocks":
		t = backlog.RelBlocks
	case "duplicate":
		t = backlog.RelDuplicates
	case "related":
		t = backlog.RelRelated
	default:
		return backlog.Relation{}, false
	}
	if inverse {
		if n.Issue == nil {
			return backlog.Relation{}, false
		}
		return backlog.Relation{Type: t.Inverse(), To: n.Issue.ID}, true
	}
	if n.RelatedIssue == nil {
		return backlog.Relation{}, false
	}
	return backlog.Relation{Type: t, To: n.RelatedIssue.ID}, true
}

// relationsOf converts both connections; complete is false when either
// has more than it holds.
func relationsOf(rel, inv *relationConn) (rs []backlog.Relation, complete bool) {
	complete = true
	for _, c := range []struct {
		conn    *relationConn
		inverse bool
	}{{rel, false}, {inv, true}} {
		if c.conn == nil {
			continue
		}
		complete = complete && !c.conn.PageInfo.HasNextPage
		for _, n := range c.conn.Nodes {
			if r, ok := canonOf(n, c.inverse); ok {
				rs = append(rs, r)
			}
		}
	}
	return rs, complete
}

var allRelationsQuery = `query TandemRelations($id: String!) { issue(id: $id) { id
  ` + relationsFields(relationsAll) + `
} }`

// allRelations reads every relation of issue id, with the relations'
// own ids by canonical relation.
func (c *Client) allRelations(ctx context.Context, id string) (map[backlog.Relation][]string, error) {
	var out struct {
		Issue *struct {
			Relations        relationConn `json:"relations"`
			InverseRelations relationConn `json:"inverseRelations"`
		} `json:"issue"`
	}
	if err := c.exec(ctx, "reading the relations of linear issue "+id, allRelationsQuery, map[string]any{"id": id}, &out); err != nil {
		return nil, err
	}
	if out.Issue == nil {
		return nil, fmt.Errorf("reading the relations of linear issue %s: %w", id, connectors.ErrNotFound)
	}
	byRel := map[backlog.Relation][]string{}
	for _, side := range []struct {
		nodes   []relationNode
		inverse bool
	}{{out.Issue.Relations.Nodes, false}, {out.Issue.InverseRelations.Nodes, true}} {
		for _, n := range side.nodes {
			if r, ok := canonOf(n, side.inverse); ok {
				byRel[r] = append(byRel[r], n.ID)
			}
		}
	}
	return byRel, nil
}

// completeRelations reads all relations of an item whose read carried
// only the first page of them.
func (c *Client) completeRelations(ctx context.Context, it *backlog.Item) error {
	byRel, err := c.allRelations(ctx, it.Ref.ID)
	if err != nil {
		return err
	}
	it.Relations = it.Relations[:0]
	for r := range byRel {
		it.Relations = append(it.Relations, r)
	}
	return nil
}

const relationCreateMutation = `mutation TandemRelate($input: IssueRelationCreateInput!) {
  issueRelationCreate(input: $input) { success issueRelation { id } }
}`

const relationDeleteMutation = `mutation TandemUnrelate($id: String!) {
  issueRelationDelete(id: $id) { success }
}`

// linearRelation is the relation input that makes issue id hold r.
func linearRelation(id string, r backlog.Relation) map[string]any {
	typ, from, to := "related", id, r.To
	switch r.Type {
	case backlog.RelBlocks:
		typ = "blocks"
	case backlog.RelBlockedBy:
		typ, from, to = "blocks", r.To, id
	case backlog.RelDuplicates:
		typ = "duplicate"
	case backlog.RelDuplicatedBy:
		typ, from, to = "duplicate", r.To, id
	}
	return map[string]any{"issueId": from, "relatedIssueId": to, "type": typ}
}

// applyRelations writes a Relations patch (backlog.SetPatch of
// "<type>:<issue id>" lines) to issue id: one read of its relations, then
// one create per added relation it lacks and one delete per relation
// removed.
func (c *Client) applyRelations(ctx context.Context, id string, v backlog.Value) error {
	add, remove := backlog.ParseSetPatch(v)
	have, err := c.allRelations(ctx, id)
	if err != nil {
		return err
	}
	for _, line := range remove {
		r, err := backlog.ParseRelation(line)
		if err != nil {
			return connectors.Permanent(fmt.Errorf("linear: %w", err))
		}
		for _, rid := range have[r] {
			var sink map[string]any
			err := c.exec(ctx, "deleting linear issue relation "+rid, relationDeleteMutation, map[string]any{"id": rid}, &sink)
			if err != nil && !isNotFound(err) {
				return err
			}
		}
	}
	for _, line := range add {
		r, err := backlog.ParseRelation(line)
		if err != nil {
			return connectors.Permanent(fmt.Errorf("linear: %w", err))
		}
		if len(have[r]) > 0 {
			continue
		}
		var sink map[string]any
		err = c.exec(ctx, "relating linear issues", relationCreateMutation, map[string]any{"input": linearRelation(id, r)}, &sink)
		if isNotFound(err) {
			// The other issue is missing, not this one.
			return connectors.Permanent(fmt.Errorf("linear: relating %s and %s: %v", id, r.To, err))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func isNotFound(err error) bool { return errors.Is(err, connectors.ErrNotFound) }
