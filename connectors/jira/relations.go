package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

// Relations are Jira issue links. A link {type, inwardIssue I,
// outwardIssue O} reads "I <outward> O" ("I blocks O"); in I's issuelinks
// field it shows as outwardIssue O, in O's as inwardIssue I. A link type
// maps to the canonical type its outward end holds (Blocks → blocks: I
// holds blocks:O and O holds blocked_by:I); the inward end holds the
// inverse. Types the mapping does not name are not synced (and never
// touched).
//
// Writes: an added relation is one POST /issueLink with the canonical
// type's default Jira type (blocks, blocked_by → Blocks; duplicates,
// duplicated_by → Duplicate; related → Relates); a removed one deletes
// every link of a type that maps to it, found in the issue's issuelinks
// (one read). Jira takes a duplicate link request as done.

// DefaultLinkTypes maps Jira Cloud's default link types to canonical
// relation types (the outward end's). Config.LinkTypes adds to it.
var DefaultLinkTypes = map[string]backlog.RelationType{
	"Blocks":    backlog.RelBlocks,
	"Duplicate": backlog.RelDuplicates,
	"Relates":   backlog.RelRelated,
}

// linkTypeFor is the Jira link type, and which end this issue takes, that
// writes canonical relation t: outward says this issue is the link's
// inwardIssue (it reads "this <outward> other").
func linkTypeFor(t backlog.RelationType) (name string, thisInward bool) {
	switch t {
	case backlog.RelBlocks:
		return "Blocks", true
	case backlog.RelBlockedBy:
		return "Blocks", false
	case backlog.RelDuplicates:
		return "Duplicate", true
	case backlog.RelDuplicatedBy:
		return "Duplicate", false
	}
	return "Relates", true
}

// canonType is the canonical type of a link of Jira type name as held by
// an issue on its outward (inward false) or inward end.
func (c *Client) canonType(name string, inward bool) (backlog.RelationType, bool) {
	t, ok := c.linkTypes[strings.ToLower(name)]
	if !ok {
		return "", false
	}
	if inward {
		return t.Inverse(), true
	}
	return t, true
}

type wireLink struct {
	ID   string `json:"id"`
	Type struct {
		Name string `json:"name"`
	} `json:"type"`
	InwardIssue *struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	} `json:"inwardIssue"`
	OutwardIssue *struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	} `json:"outwardIssue"`
}

// relation is the canonical relation an issuelinks entry stands for.
func (c *Client) relation(l wireLink) (backlog.Relation, bool) {
	switch {
	case l.OutwardIssue != nil: // this issue is the inward one: "this <outward> other"
		t, ok := c.canonType(l.Type.Name, false)
		return backlog.Relation{Type: t, To: l.OutwardIssue.ID}, ok && l.OutwardIssue.ID != ""
	case l.InwardIssue != nil:
		t, ok := c.canonType(l.Type.Name, true)
		return backlog.Relation{Type: t, To: l.InwardIssue.ID}, ok && l.InwardIssue.ID != ""
	}
	return backlog.Relation{}, false
}

// readRelations reads the issuelinks field.
func (c *Client) readRelations(raw json.RawMessage) ([]backlog.Relation, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var links []wireLink
	if err := json.Unmarshal(raw, &links); err != nil {
		return nil, err
	}
	var out []backlog.Relation
	for _, l := range links {
		if r, ok := c.relation(l); ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// applyRelations writes a Relations patch (backlog.SetPatch of
// "<type>:<issue id>" lines) to issue id.
func (c *Client) applyRelations(ctx context.Context, id string, v backlog.Value) error {
	add, remove := backlog.ParseSetPatch(v)
	if len(remove) > 0 {
		var w struct {
			Fields struct {
				IssueLinks []wireLink `json:"issuelinks"`
			} `json:"fields"`
		}
		if err := c.call(ctx, "reading the links of jira issue "+id, http.MethodGet, "rest/api/2/issue/"+url.PathEscape(id)+"?fields=issuelinks", nil, &w); err != nil {
			return err
		}
		gone := map[backlog.Relation]bool{}
		for _, line := range remove {
			r, err := backlog.ParseRelation(line)
			if err != nil {
				return connectors.Permanent(fmt.Errorf("jira: %w", err))
			}
			gone[r] = true
		}
		for _, l := range w.Fields.IssueLinks {
			if r, ok := c.relation(l); ok && gone[r] {
				err := c.call(ctx, "deleting jira issue link "+l.ID, http.MethodDelete, "rest/api/2/issueLink/"+url.PathEscape(l.ID), nil, nil)
				if err != nil && !errors.Is(err, connectors.ErrNotFound) {
					return err
				}
			}
		}
	}
	for _, line := range add {
		r, err := backlog.ParseRelation(line)
		if err != nil {
			return connectors.Permanent(fmt.Errorf("jira: %w", err))
		}
		name, thisInward := linkTypeFor(r.Type)
		in, out := id, r.To
		if !thisInward {
			in, out = r.To, id
		}
		body := map[string]any{"type": map[string]string{"name": name}, "inwardIssue": map[string]string{"id": in}, "outwardIssue": map[string]string{"id": out}}
		if err := c.call(ctx, "linking jira issues "+in+" and "+out, http.MethodPost, "rest/api/2/issueLink", body, nil); err != nil {
			if errors.Is(err, connectors.ErrNotFound) {
				// The other issue (or the link type) is missing, not this
				// issue: say so without ErrNotFound.
				return connectors.Permanent(fmt.Errorf("jira: linking %s and %s: %v", in, out, err))
			}
			return err
		}
	}
	return nil
}

// linkTypeTable is DefaultLinkTypes with extra added, keyed by lower-case
// name.
func linkTypeTable(extra map[string]backlog.RelationType) map[string]backlog.RelationType {
	out := map[string]backlog.RelationType{}
	for n, t := range DefaultLinkTypes {
		out[strings.ToLower(n)] = t
	}
	for n, t := range extra {
		out[strings.ToLower(n)] = t
	}
	return out
}
