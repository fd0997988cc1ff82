// Package match decides, before a twin is created, whether an unlinked item
// already has its twin on the other side. It is pure: the connectors find
// the candidates (connectors.MatchFinder), this package names the signals
// and decides.
//
// The signals, strongest first:
//
//   - CrossLink: a Linear attachment whose URL is the Jira issue (what
//     Tandem, Linear's Jira integration and attachmentLinkURL leave);
//   - Pairs: the pairs file (a Jira key and a Linear identifier per line);
//   - Key: the Jira key written in the Linear title or description (as
//     importers leave it);
//   - Title: the exact title, only when the mapping asks for it.
//
// The strongest signal present decides: one candidate is a match; two or
// more are ambiguous and never linked silently. A weaker signal never
// overrules a stronger one.
package match

import (
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/tandem-sync/tandem/backlog"
)

// Signal names why a candidate may be the twin.
type Signal string

const (
	CrossLink Signal = "cross-link"
	Pairs     Signal = "pairs-file"
	Key       Signal = "key-in-text"
	Title     Signal = "title"
)

// Strength orders the signals: higher is stronger; 0 for an unknown one.
func (s Signal) Strength() int {
	switch s {
	case CrossLink:
		return 4
	case Pairs:
		return 3
	case Key:
		return 2
	case Title:
		return 1
	}
	return 0
}

// Candidate is an item of the other side with a signal for the item being
// matched.
type Candidate struct {
	Ref    backlog.Ref
	Signal Signal
}

// Decision is what Decide concluded for one item.
type Decision struct {
	// Match is the twin found (zero when none or ambiguous).
	Match  backlog.Ref
	Signal Signal
	// Ambiguous lists the candidates of the strongest signal when there
	// are two or more: the item is left for a person.
	Ambiguous []backlog.Ref
}

// Matched reports whether the decision names a twin.
func (d Decision) Matched() bool { return d.Match.ID != "" }

// Decide picks the twin among cands: the distinct candidates of the
// strongest signal present; one is a match, more are ambiguous. A
// candidate named by several signals counts once, at its strongest.
func Decide(cands []Candidate) Decision {
	best := 0
	for _, c := range cands {
		if c.Ref.ID != "" && c.Signal.Strength() > best {
			best = c.Signal.Strength()
		}
	}
	if best == 0 {
		return Decision{}
	}
	var refs []backlog.Ref
	var sig Signal
	for _, c := range cands {
		if c.Ref.ID == "" || c.Signal.Strength() != best {
			continue
		}
		sig = c.Signal
		if !slices.ContainsFunc(refs, func(r backlog.Ref) bool { return r.ID == c.Ref.ID }) {
			refs = append(refs, c.Ref)
		}
	}
	if len(refs) == 1 {
		return Decision{Match: refs[0], Signal: sig}
	}
	slices.SortFunc(refs, func(a, b backlog.Ref) int { return strings.Compare(a.ID, b.ID) })
	return Decision{Signal: sig, Ambiguous: refs}
}

var keyRE = regexp.MustCompile(`[A-Za-z][A-Za-z0-9_]*-[0-9]+`)

// JiraKeys returns the keys of project written in text (upper-cased,
// first seen first, each once). A key must stand as a word: "TAN-1" is
// not found in "TAN-12" nor in "XTAN-1".
func JiraKeys(text, project string) []string {
	if project == "" {
		return nil
	}
	var out []string
	for _, loc := range keyRE.FindAllStringIndex(text, -1) {
		if loc[0] > 0 && isWord(text[loc[0]-1]) || loc[1] < len(text) && isWord(text[loc[1]]) {
			continue
		}
		k := strings.ToUpper(text[loc[0]:loc[1]])
		proj, _, _ := strings.Cut(k, "-")
		if proj != strings.ToUpper(project) || slices.Contains(out, k) {
			continue
		}
		out = append(out, k)
	}
	return out
}

func isWord(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// HasKey reports whether key stands as a word in text (see JiraKeys).
func HasKey(text, key string) bool {
	proj, _, ok := strings.Cut(key, "-")
	return ok && slices.Contains(JiraKeys(text, proj), strings.ToUpper(key))
}

// JiraKeyFromURL is the issue key of a browse URL of the Jira site at
// base (https://acme.atlassian.net/browse/TAN-3, with or without a query
// or fragment), "" for any other URL.
func JiraKeyFromURL(u, base string) string {
	pu, err := url.Parse(strings.TrimSpace(u))
	if err != nil || pu.Host == "" {
		return ""
	}
	pb, err := url.Parse(strings.TrimSpace(base))
	if err != nil || !strings.EqualFold(pu.Host, pb.Host) {
		return ""
	}
	rest, ok := strings.CutPrefix(pu.Path, strings.TrimRight(pb.Path, "/")+"/browse/")
	if !ok || strings.Contains(strings.TrimRight(rest, "/"), "/") {
		return ""
	}
	k := strings.ToUpper(strings.TrimRight(rest, "/"))
	if m := keyRE.FindString(k); m != k {
		return ""
	}
	return k
}

var linearURLRE = regexp.MustCompile(`^https://linear\.app/([^/]+)/issue/([A-Za-z0-9]+-[0-9]+)(?:/[^/?#]*)?/?(?:[?#].*)?$`)

// LinearIdentifierFromURL is the issue identifier of a Linear issue URL
// (https://linear.app/acme/issue/ENG-12 or …/ENG-12/some-slug) of the
// workspace urlKey ("" accepts any), "" for any other URL.
func LinearIdentifierFromURL(u, urlKey string) string {
	m := linearURLRE.FindStringSubmatch(strings.TrimSpace(u))
	if m == nil || urlKey != "" && !strings.EqualFold(m[1], urlKey) {
		return ""
	}
	return strings.ToUpper(m[2])
}

// SameTitle is the exact-title test: equal once surrounding spaces are
// trimmed; an empty title matches nothing.
func SameTitle(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	return a != "" && a == b
}
