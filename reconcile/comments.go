package reconcile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

// Comments are mirrored as a set of pairs (a Jira comment and its Linear
// twin), kept in the link's base under the Comments field. A comment made
// on one side is copied to the other with an attribution line that names
// the author, the tool and the source comment; an edit of either copy is
// carried to the other, a deletion deletes the twin. Our own copies are
// known by their pair (or, after a crash before the pair was saved, by the
// attribution's source id), so they are never copied back.

// commentPair is one mirrored comment. The hashes are of the bodies as
// last seen; empty until the copy we wrote has been read once.
type commentPair struct {
	Jira       string `json:"j"`
	Linear     string `json:"l"`
	JiraHash   string `json:"jh,omitempty"`
	LinearHash string `json:"lh,omitempty"`
}

func decodePairs(v backlog.Value) ([]commentPair, error) {
	if v == "" {
		return nil, nil
	}
	var ps []commentPair
	if err := json.Unmarshal([]byte(v), &ps); err != nil {
		return nil, fmt.Errorf("reading comment pairs: %w", err)
	}
	return ps, nil
}

func encodePairs(ps []commentPair) backlog.Value {
	if len(ps) == 0 {
		return ""
	}
	b, _ := json.Marshal(ps)
	return backlog.Value(b)
}

func bodyHash(s string) string {
	h := sha256.Sum256([]byte(strings.TrimSpace(s)))
	return hex.EncodeToString(h[:8])
}

// attribution is appended to a copied comment; its last words name the
// source comment, which recovery reads back.
var attributionRE = regexp.MustCompile(`\n*\n— [^\n]* in (Jira|Linear) \(([^()\n]*)\) · comment (\S+)\s*$`)

func sideName(s backlog.Side) string {
	if s == backlog.Jira {
		return "Jira"
	}
	return "Linear"
}

// mirrorBody is the copy of c (from side, item key) for the other side.
func mirrorBody(c backlog.Comment, from backlog.Side, key string) string {
	author := c.Author
	if author == "" {
		author = "someone"
	}
	return strings.TrimRight(stripAttribution(c.Body), "\n") + "\n\n— " + author + " in " + sideName(from) + " (" + key + ") · comment " + c.ID
}

// stripAttribution removes our attribution line from a body.
func stripAttribution(body string) string {
	return attributionRE.ReplaceAllString(body, "")
}

// sourceOf reads the source comment id from a copy's attribution.
func sourceOf(body string) (backlog.Side, string, bool) {
	m := attributionRE.FindStringSubmatch(body)
	if m == nil {
		return "", "", false
	}
	if m[1] == "Jira" {
		return backlog.Jira, m[3], true
	}
	return backlog.Linear, m[3], true
}

// commentsMirrored reports whether one side's comments are exactly the
// paired ones, each with the body last seen: nothing new, edited or
// deleted there since the last pass.
func commentsMirrored(side backlog.Side, cs []backlog.Comment, pairsValue backlog.Value) bool {
	pairs, err := decodePairs(pairsValue)
	if err != nil || len(pairs) != len(cs) {
		return false
	}
	hashes := make(map[string]string, len(pairs))
	for _, p := range pairs {
		if side == backlog.Jira {
			hashes[p.Jira] = p.JiraHash
		} else {
			hashes[p.Linear] = p.LinearHash
		}
	}
	for _, c := range cs {
		h, ok := hashes[c.ID]
		if !ok || h == "" || h != bodyHash(c.Body) {
			return false
		}
	}
	return true
}

func (s *Syncer) commenters() (connectors.Commenter, connectors.Commenter, bool) {
	if s.Directions[backlog.Comments] == DirectionOff || s.NoComments {
		return nil, nil, false
	}
	jc, ok1 := s.JiraComments, s.JiraComments != nil
	lc, ok2 := s.LinearComments, s.LinearComments != nil
	return jc, lc, ok1 && ok2
}

// syncComments mirrors comments between the twins and returns the new
// pairs and the number of writes made.
// The items' comments are used when they were read with the items;
// otherwise each side's Commenter lists them.
func (s *Syncer) syncComments(ctx context.Context, link backlog.Link, old backlog.Value, jira, linear backlog.Item) (backlog.Value, int, error) {
	jc, lc, ok := s.commenters()
	if !ok {
		return old, 0, nil
	}
	pairs, err := decodePairs(old)
	if err != nil {
		s.log().Warn("comment pairs unreadable; starting over", "link", link.ID(), "err", err)
		pairs = nil
	}
	jcs, lcs := jira.Comments, linear.Comments
	if !jira.CommentsRead {
		if jcs, err = jc.Comments(ctx, link.Jira.ID); err != nil {
			return old, 0, fmt.Errorf("reading jira comments of %s: %w", link.Jira.Key, err)
		}
	}
	if !linear.CommentsRead {
		if lcs, err = lc.Comments(ctx, link.Linear.ID); err != nil {
			return old, 0, fmt.Errorf("reading linear comments of %s: %w", link.Linear.Key, err)
		}
	}
	byJ, byL := map[string]backlog.Comment{}, map[string]backlog.Comment{}
	for _, c := range jcs {
		byJ[c.ID] = c
	}
	for _, c := range lcs {
		byL[c.ID] = c
	}
	dir := s.Directions[backlog.Comments]
	writes := 0
	pairedJ, pairedL := map[string]bool{}, map[string]bool{}
	var kept []commentPair
	for _, p := range pairs {
		j, jok := byJ[p.Jira]
		l, lok := byL[p.Linear]
		switch {
		case !jok && !lok:
			continue
		case !jok: // deleted in Jira
			if dir != LinearToJira {
				if err := lc.DeleteComment(ctx, link.Linear.ID, p.Linear); err != nil {
					return old, writes, fmt.Errorf("deleting linear comment %s: %w", p.Linear, err)
				}
				writes++
			}
			continue
		case !lok:
			if dir != JiraToLinear {
				if err := jc.DeleteComment(ctx, link.Jira.ID, p.Jira); err != nil {
					return old, writes, fmt.Errorf("deleting jira comment %s: %w", p.Jira, err)
				}
				writes++
			}
			continue
		}
		pairedJ[j.ID], pairedL[l.ID] = true, true
		jh, lh := bodyHash(j.Body), bodyHash(l.Body)
		jChanged := p.JiraHash != "" && jh != p.JiraHash && dir != LinearToJira
		lChanged := p.LinearHash != "" && lh != p.LinearHash && dir != JiraToLinear
		if jChanged && lChanged { // both edited: the later edit wins
			if l.Updated.After(j.Updated) {
				jChanged = false
			} else {
				lChanged = false
			}
		}
		switch {
		case jChanged:
			if err := lc.UpdateComment(ctx, link.Linear.ID, l.ID, mirrorBody(j, backlog.Jira, link.Jira.Key)); err != nil {
				return old, writes, fmt.Errorf("updating linear comment %s: %w", l.ID, err)
			}
			writes++
			p.JiraHash, p.LinearHash = jh, ""
		case lChanged:
			if err := jc.UpdateComment(ctx, link.Jira.ID, j.ID, mirrorBody(l, backlog.Linear, link.Linear.Key)); err != nil {
				return old, writes, fmt.Errorf("updating jira comment %s: %w", j.ID, err)
			}
			writes++
			p.JiraHash, p.LinearHash = "", lh
		default:
			p.JiraHash, p.LinearHash = jh, lh
		}
		kept = append(kept, p)
	}
	// Copies whose pair was lost (a crash after the create): pair again.
	for _, c := range jcs {
		if src, id, ok := sourceOf(c.Body); ok && src == backlog.Linear && !pairedJ[c.ID] && !pairedL[id] {
			if l, ok := byL[id]; ok {
				kept = append(kept, commentPair{Jira: c.ID, Linear: id, JiraHash: bodyHash(c.Body), LinearHash: bodyHash(l.Body)})
				pairedJ[c.ID], pairedL[id] = true, true
			}
		}
	}
	for _, c := range lcs {
		if src, id, ok := sourceOf(c.Body); ok && src == backlog.Jira && !pairedL[c.ID] && !pairedJ[id] {
			if j, ok := byJ[id]; ok {
				kept = append(kept, commentPair{Jira: id, Linear: c.ID, JiraHash: bodyHash(j.Body), LinearHash: bodyHash(c.Body)})
				pairedJ[id], pairedL[c.ID] = true, true
			}
		}
	}
	// The first pass of a pair (a matched one, whose comments were copied
	// by a person or an importer): comments with the same body on both
	// sides are paired, not copied again.
	if len(pairs) == 0 {
		free := map[string][]string{} // body hash → unpaired linear ids, oldest first
		for _, c := range lcs {
			if _, _, copied := sourceOf(c.Body); !pairedL[c.ID] && !copied {
				free[bodyHash(c.Body)] = append(free[bodyHash(c.Body)], c.ID)
			}
		}
		for _, c := range jcs {
			if _, _, copied := sourceOf(c.Body); pairedJ[c.ID] || copied {
				continue
			}
			h := bodyHash(c.Body)
			if ids := free[h]; len(ids) > 0 {
				kept = append(kept, commentPair{Jira: c.ID, Linear: ids[0], JiraHash: h, LinearHash: h})
				pairedJ[c.ID], pairedL[ids[0]] = true, true
				free[h] = ids[1:]
			}
		}
	}
	// New comments: copy them over. A copy of ours whose source is gone is
	// left alone, never copied back.
	if dir != LinearToJira {
		for _, c := range jcs {
			if _, _, copied := sourceOf(c.Body); pairedJ[c.ID] || copied {
				continue
			}
			id, err := lc.CreateComment(ctx, link.Linear.ID, mirrorBody(c, backlog.Jira, link.Jira.Key))
			if err != nil {
				return old, writes, fmt.Errorf("copying jira comment %s: %w", c.ID, err)
			}
			writes++
			kept = append(kept, commentPair{Jira: c.ID, Linear: id, JiraHash: bodyHash(c.Body)})
		}
	}
	if dir != JiraToLinear {
		for _, c := range lcs {
			if _, _, copied := sourceOf(c.Body); pairedL[c.ID] || copied {
				continue
			}
			id, err := jc.CreateComment(ctx, link.Jira.ID, mirrorBody(c, backlog.Linear, link.Linear.Key))
			if err != nil {
				return old, writes, fmt.Errorf("copying linear comment %s: %w", c.ID, err)
			}
			writes++
			kept = append(kept, commentPair{Jira: id, Linear: c.ID, LinearHash: bodyHash(c.Body)})
		}
	}
	return encodePairs(kept), writes, nil
}
