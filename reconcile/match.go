package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/match"
	"github.com/tandem-sync/tandem/store"
)

// Matching before creating: an unlinked item in scope may already have
// its twin on the other side (copied by hand, imported, linked by another
// tool, or a twin whose link the store lost). Before a twin is made, the
// other side is asked for candidates (connectors.MatchFinder, batched) and
// match.Decide picks: a match becomes a link without a create, its twins
// cross-linked and merged with no base (differences settled by policy and
// logged); an ambiguous one is reported (log, Event, Ambiguous) and left
// unlinked for a person; none, and the twin is created.

// Matching configures matching before creating. The zero value is off.
type Matching struct {
	// JiraFinder finds Jira candidates for Linear items, LinearFinder
	// Linear candidates for Jira items; matching runs when both are set.
	JiraFinder, LinearFinder connectors.MatchFinder
	// LinearAttachments reads Linear items' attachment URLs: a Jira
	// browse URL there is the cross-link signal for a Linear item.
	LinearAttachments connectors.AttachmentReader
	// JiraURL is the Jira site's base URL (browse URLs), JiraProject the
	// project key (keys written in Linear text).
	JiraURL, JiraProject string
	// Pairs is the pairs file, if any.
	Pairs match.PairSet
	// Titles turns on exact, unique title matching (mapping:
	// match: {title: exact}).
	Titles bool
}

func (m Matching) on() bool { return m.JiraFinder != nil && m.LinearFinder != nil }

// Ambiguity is an unlinked item with two or more candidates of the same
// (strongest) signal: reported, never linked silently.
type Ambiguity struct {
	Item       backlog.Ref   `json:"item"`
	Signal     match.Signal  `json:"signal"`
	Candidates []backlog.Ref `json:"candidates"`
}

// browseURL is a Jira issue's address on the site.
func (m Matching) browseURL(key string) string {
	if m.JiraURL == "" || key == "" {
		return ""
	}
	return strings.TrimRight(m.JiraURL, "/") + "/browse/" + key
}

// findTwins decides, for each of srcs (unlinked items of one side, in
// scope), whether its twin exists already. Candidates linked to another
// item are left out. It costs one or two read calls per MaxProbes items.
func (s *Syncer) findTwins(ctx context.Context, srcs []backlog.Item) ([]match.Decision, error) {
	out := make([]match.Decision, len(srcs))
	m := s.Match
	if !m.on() || len(srcs) == 0 {
		return out, nil
	}
	side := srcs[0].Ref.Side
	finder := m.LinearFinder
	if side == backlog.Linear {
		finder = m.JiraFinder
	}
	step := max(finder.MaxProbes(), 1)
	for lo := 0; lo < len(srcs); lo += step {
		hi := min(lo+step, len(srcs))
		probes, err := s.probes(ctx, srcs[lo:hi])
		if err != nil {
			return out, err
		}
		cands, err := finder.FindMatches(ctx, probes)
		if err != nil {
			return out, fmt.Errorf("looking for existing twins of %d %s items: %w", hi-lo, side, err)
		}
		for i := range probes {
			var free []match.Candidate
			for _, c := range cands[i] {
				linked, err := s.linkedElsewhere(ctx, c.Ref, srcs[lo+i].Ref)
				if err != nil {
					return out, err
				}
				if !linked {
					free = append(free, c)
				}
			}
			out[lo+i] = match.Decide(free)
		}
	}
	if err := s.uniqueTitles(ctx, srcs, out); err != nil {
		return out, err
	}
	return out, nil
}

// uniqueTitles checks the title matches the other way: a title is a match
// only when it is unique on both sides, so the items of srcs' side with
// the same title (unlinked ones, other than the item itself) make the
// match ambiguous. One look-up per MaxProbes title matches.
func (s *Syncer) uniqueTitles(ctx context.Context, srcs []backlog.Item, ds []match.Decision) error {
	var at []int
	for i, d := range ds {
		if d.Matched() && d.Signal == match.Title {
			at = append(at, i)
		}
	}
	if len(at) == 0 {
		return nil
	}
	finder := s.Match.JiraFinder // the finder of srcs' own side
	if srcs[0].Ref.Side == backlog.Linear {
		finder = s.Match.LinearFinder
	}
	step := max(finder.MaxProbes(), 1)
	for lo := 0; lo < len(at); lo += step {
		hi := min(lo+step, len(at))
		probes := make([]connectors.Probe, 0, hi-lo)
		for _, i := range at[lo:hi] {
			probes = append(probes, connectors.Probe{Ref: ds[i].Match, Title: srcs[i].Title})
		}
		cands, err := finder.FindMatches(ctx, probes)
		if err != nil {
			return fmt.Errorf("checking %d title matches the other way: %w", len(probes), err)
		}
		for n, i := range at[lo:hi] {
			others := []backlog.Ref{ds[i].Match}
			for _, c := range cands[n] {
				if c.Ref.ID == srcs[i].Ref.ID {
					continue
				}
				if linked, err := s.linkedElsewhere(ctx, c.Ref, ds[i].Match); err != nil {
					return err
				} else if !linked {
					others = append(others, c.Ref)
				}
			}
			if len(others) > 1 {
				ds[i] = match.Decision{Signal: match.Title, Ambiguous: others}
			}
		}
	}
	return nil
}

// probes describes srcs to the other side's finder.
func (s *Syncer) probes(ctx context.Context, srcs []backlog.Item) ([]connectors.Probe, error) {
	m := s.Match
	probes := make([]connectors.Probe, len(srcs))
	var urls map[string][]string
	if srcs[0].Ref.Side == backlog.Linear && m.LinearAttachments != nil {
		ids := make([]string, len(srcs))
		for i, it := range srcs {
			ids[i] = it.Ref.ID
		}
		var err error
		if urls, err = m.LinearAttachments.AttachmentURLs(ctx, ids, strings.TrimRight(m.JiraURL, "/")); err != nil {
			return nil, fmt.Errorf("reading the attachments of %d linear items: %w", len(ids), err)
		}
	}
	for i, it := range srcs {
		p := connectors.Probe{Ref: it.Ref, Named: map[string]match.Signal{}}
		name := func(k string, sig match.Signal) {
			if k == "" {
				return
			}
			k = strings.ToUpper(k)
			if old, ok := p.Named[k]; !ok || sig.Strength() > old.Strength() {
				p.Named[k] = sig
			}
		}
		if m.Titles {
			p.Title = it.Title
		}
		if it.Ref.Side == backlog.Jira {
			p.LinkURL = m.browseURL(it.Ref.Key)
			p.TextKey = it.Ref.Key
			name(m.Pairs.LinearOf(it.Ref.Key), match.Pairs)
		} else {
			for _, u := range urls[it.Ref.ID] {
				name(match.JiraKeyFromURL(u, m.JiraURL), match.CrossLink)
			}
			name(m.Pairs.JiraOf(it.Ref.Key), match.Pairs)
			for _, k := range match.JiraKeys(it.Title+"\n"+it.Description, m.JiraProject) {
				name(k, match.Key)
			}
		}
		probes[i] = p
	}
	return probes, nil
}

// linkedElsewhere reports whether cand is linked to an item other than
// src already (a twin of something else is nobody's match).
func (s *Syncer) linkedElsewhere(ctx context.Context, cand, src backlog.Ref) (bool, error) {
	l, err := s.State.LinkBy(ctx, cand)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("looking up link of %s: %w", cand, err)
	}
	return l.Ref(src.Side).ID != src.ID, nil
}

// adoptMatch links src to the twin d found: the link saved (under the
// Linear id, locked for it when that is not the lease's), the twins
// cross-linked, then the pair's first merge. It reports false when the
// item is ambiguous or has no match, for the caller to go on.
func (s *Syncer) adoptMatch(ctx context.Context, lease store.Lease, leaseLink string, src backlog.Item, d match.Decision) (Result, bool, error) {
	if len(d.Ambiguous) > 0 {
		s.reportAmbiguous(src.Ref, d)
		return Result{}, true, nil
	}
	if !d.Matched() {
		return Result{}, false, nil
	}
	link := backlog.Link{Created: s.now()}
	if src.Ref.Side == backlog.Jira {
		link.Jira, link.Linear = src.Ref, d.Match
	} else {
		link.Jira, link.Linear = d.Match, src.Ref
	}
	if link.ID() != leaseLink {
		l, err := s.State.Lock(ctx, "link:"+link.ID(), s.lockTTL())
		if errors.Is(err, store.ErrLocked) {
			return Result{RequeueAfter: 50 * time.Millisecond}, true, nil
		}
		if err != nil {
			return Result{}, true, fmt.Errorf("locking link %s: %w", link.ID(), err)
		}
		defer s.unlock(ctx, l)
		lease = l
		// The twin may have been linked meanwhile.
		if linked, err := s.linkedElsewhere(ctx, d.Match, src.Ref); err != nil || linked {
			return Result{}, true, err
		}
	}
	// The first merge below cross-links the twins.
	if err := s.State.SaveLink(ctx, link); err != nil {
		return Result{}, true, fmt.Errorf("saving matched link %s: %w", link.ID(), err)
	}
	s.resolvedAmbiguity(src.Ref)
	s.log().Info("matched existing twin", "link", link.ID(), "jira", link.Jira.Key, "linear", link.Linear.Key, "signal", d.Signal)
	s.emit(Event{Kind: EventMatched, LinkID: link.ID(), Jira: link.Jira, Linear: link.Linear, Signal: d.Signal})
	res, err := s.merge(ctx, lease, link, "")
	return res, true, err
}

func (s *Syncer) reportAmbiguous(item backlog.Ref, d match.Decision) {
	keys := make([]string, len(d.Ambiguous))
	for i, r := range d.Ambiguous {
		keys[i] = r.Key
		if keys[i] == "" {
			keys[i] = r.ID
		}
	}
	s.log().Warn("ambiguous match: left unlinked for a person", "item", item, "signal", d.Signal, "candidates", strings.Join(keys, ","))
	a := Ambiguity{Item: item, Signal: d.Signal, Candidates: d.Ambiguous}
	s.ambMu.Lock()
	if s.ambiguous == nil {
		s.ambiguous = map[backlog.Ref]Ambiguity{}
	}
	s.ambiguous[backlog.Ref{Side: item.Side, ID: item.ID}] = a
	s.ambMu.Unlock()
	s.emit(Event{Kind: EventAmbiguous, Jira: refOn(item, backlog.Jira), Linear: refOn(item, backlog.Linear), Signal: d.Signal, Candidates: d.Ambiguous})
}

func refOn(r backlog.Ref, side backlog.Side) backlog.Ref {
	if r.Side == side {
		return r
	}
	return backlog.Ref{}
}

// Ambiguous lists the items last found ambiguous and still unlinked.
func (s *Syncer) Ambiguous() []Ambiguity {
	s.ambMu.Lock()
	defer s.ambMu.Unlock()
	out := make([]Ambiguity, 0, len(s.ambiguous))
	for _, a := range s.ambiguous {
		out = append(out, a)
	}
	return out
}

// resolvedAmbiguity forgets an item's ambiguity once it is linked.
func (s *Syncer) resolvedAmbiguity(r backlog.Ref) {
	s.ambMu.Lock()
	delete(s.ambiguous, backlog.Ref{Side: r.Side, ID: r.ID})
	s.ambMu.Unlock()
}

// adoptDecided is the pass of an unlinked item read by a batch, whose
// look-up found a match or an ambiguity: the scope checked, the link of
// the item locked, then adoptMatch.
func (s *Syncer) adoptDecided(ctx context.Context, src backlog.Item, d match.Decision) Outcome {
	if sc := s.scope(src.Ref.Side); sc != nil {
		in, err := sc.InScope(ctx, src)
		if err != nil {
			return Outcome{Err: fmt.Errorf("checking scope of %s: %w", src.Ref, err)}
		}
		if !in {
			return Outcome{}
		}
	}
	linkID := src.Ref.ID
	if src.Ref.Side == backlog.Jira {
		linkID = backlog.TwinID(s.Site, src.Ref.ID)
	}
	lease, err := s.State.Lock(ctx, "link:"+linkID, s.lockTTL())
	if errors.Is(err, store.ErrLocked) {
		return Outcome{Result: Result{RequeueAfter: 50 * time.Millisecond}}
	}
	if err != nil {
		return Outcome{Err: fmt.Errorf("locking link %s: %w", linkID, err)}
	}
	defer s.unlock(ctx, lease)
	switch _, err := s.State.LinkBy(ctx, src.Ref); {
	case err == nil:
		// Linked meanwhile: its own pass takes it from here.
		return Outcome{Result: Result{RequeueAfter: time.Millisecond}}
	case !errors.Is(err, store.ErrNotFound):
		return Outcome{Err: fmt.Errorf("looking up link of %s: %w", src.Ref, err)}
	}
	res, _, err := s.adoptMatch(ctx, lease, linkID, src, d)
	return Outcome{res, err}
}
