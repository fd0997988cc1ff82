package sandbox

import (
	"slices"
	"strings"
)

// Candidates: an issues query's filter narrowed, from indexes (and the
// attachments by URL), to the issues that can match it, so that a look-up
// by ids, by a key in titles or descriptions, or by an attachment's URL
// costs the sandbox about the same at 50,000 issues as at 50 (Linear answers these from its database's
// indexes). The filter is still evaluated on every candidate: the indexes
// only decide which issues are tried, never what matches.

// textIndex maps a field tag ('t' title, 'd' description) followed by a
// lower-case byte trigram to the issues whose text held it when indexed.
// Lists only grow: an issue whose text loses a trigram stays listed, so
// a list is a superset of the issues holding it now (the filter, evaluated
// afterwards, drops the others); one that gains a trigram is appended.
type textIndex struct {
	posts map[string][]*issue
	// seen is the title and description each issue was last indexed
	// with (the issue's own strings, so no copy).
	seen map[*issue][2]string
}

// indexText indexes i's title and description when they changed since it
// was last indexed. Every creation (addIssue) and update (touch) of an
// issue calls it.
func (w *world) indexText(i *issue) {
	if w.text.posts == nil {
		w.text.posts, w.text.seen = map[string][]*issue{}, map[*issue][2]string{}
	}
	now := [2]string{i.title, i.description}
	old, had := w.text.seen[i]
	if had && old == now {
		return
	}
	for f, tag := range []byte{'t', 'd'} {
		if had && old[f] == now[f] {
			continue
		}
		low := strings.ToLower(now[f])
		added := map[string]bool{}
		for k := 0; k+3 <= len(low); k++ {
			key := string(tag) + low[k:k+3]
			if !added[key] {
				added[key] = true
				w.text.posts[key] = append(w.text.posts[key], i)
			}
		}
	}
	w.text.seen[i] = now
}

// textCandidates lists the issues whose field (by tag) may contain s,
// ignoring case: the shortest list among s's trigrams. ok is false when s
// is shorter than a trigram.
func (w *world) textCandidates(tag byte, s string) (out []*issue, ok bool) {
	low := strings.ToLower(s)
	for k := 0; k+3 <= len(low); k++ {
		p := w.text.posts[string(tag)+low[k:k+3]]
		if !ok || len(p) < len(out) {
			out, ok = p, true
		}
		if len(out) == 0 {
			break
		}
	}
	return out, ok
}

// filterCandidates narrows an IssueFilter: ok is false when no key of f
// is indexed (every issue must be tried). The list may hold duplicates
// and issues no longer in the workspace; narrowIssues cleans it.
// Top-level keys and "and" are conjunctions, so the shortest narrowed
// list of any of them will do; an "or" narrows only when each of its
// branches does.
func (w *world) filterCandidates(f map[string]any) ([]*issue, bool) {
	var n narrowest
	for k, v := range f {
		if v == nil {
			continue
		}
		switch k {
		case "and":
			list, _ := v.([]any)
			for _, x := range list {
				n.take(w.filterCandidates(asMap(x)))
			}
		case "or":
			list, _ := v.([]any)
			n.take(union(list, func(x any) ([]*issue, bool) { return w.filterCandidates(asMap(x)) }))
		case "id":
			n.take(w.idCandidates(asMap(v)))
		case "title":
			n.take(w.stringCandidates('t', asMap(v)))
		case "description":
			n.take(w.stringCandidates('d', asMap(v)))
		case "attachments":
			n.take(w.attachmentCandidates(asMap(v)))
		}
	}
	return n.list, n.ok
}

// narrowest keeps the shortest of the narrowed lists it is given (ok:
// one was); a conjunction's issues are in each of its keys' lists.
type narrowest struct {
	list []*issue
	ok   bool
}

func (n *narrowest) take(c []*issue, ok bool) {
	if ok && (!n.ok || len(c) < len(n.list)) {
		n.list, n.ok = c, true
	}
}

// union narrows each of list by one and joins the lists; ok is false when
// list is empty (an empty "or" matches everything) or any one does not
// narrow.
func union[T any](list []T, one func(T) ([]*issue, bool)) ([]*issue, bool) {
	if len(list) == 0 {
		return nil, false
	}
	var out []*issue
	for _, x := range list {
		c, ok := one(x)
		if !ok {
			return nil, false
		}
		out = append(out, c...)
	}
	return out, true
}

// idCandidates narrows an IDComparator's eq and in (ids and identifiers,
// as matchID compares them, ignoring case).
func (w *world) idCandidates(cmp map[string]any) ([]*issue, bool) {
	look := func(s string) ([]*issue, bool) {
		for _, k := range []string{s, strings.ToLower(s), strings.ToUpper(s)} {
			if i := w.byKey[k]; i != nil {
				return []*issue{i}, true
			}
		}
		return nil, true
	}
	if s, ok := cmp["eq"].(string); ok {
		return look(s)
	}
	if list, ok := argStrings(cmp, "in"); ok && list != nil {
		return union(list, look)
	}
	return nil, false
}

// stringCandidates narrows a StringComparator on a title or description:
// its value contained, in either case, in the text (contains,
// containsIgnoreCase, eq, in all imply it).
func (w *world) stringCandidates(tag byte, cmp map[string]any) ([]*issue, bool) {
	var n narrowest
	for _, op := range []string{"eq", "contains", "containsIgnoreCase", "containsIgnoreCaseAndAccent"} {
		if s, is := cmp[op].(string); is {
			n.take(w.textCandidates(tag, s))
		}
	}
	if list, is := argStrings(cmp, "in"); is && list != nil {
		n.take(union(list, func(s string) ([]*issue, bool) { return w.textCandidates(tag, s) }))
	}
	return n.list, n.ok
}

// attachmentCandidates narrows "attachments: {some: {url: {eq|in}}}": the
// issues of the attachments at those URLs (a pass over the attachments,
// not the issues: a handful per issue at most).
func (w *world) attachmentCandidates(f map[string]any) ([]*issue, bool) {
	url := asMap(asMap(f["some"])["url"])
	want := map[string]bool{}
	if s, ok := url["eq"].(string); ok {
		want[s] = true
	} else if list, ok := argStrings(url, "in"); ok && list != nil {
		for _, s := range list {
			want[s] = true
		}
	} else {
		return nil, false
	}
	var out []*issue
	for _, a := range w.attachments {
		if want[a.url] {
			out = append(out, a.issue)
		}
	}
	return out, true
}

// narrowIssues is the workspace's issues that filter f can match, in the
// workspace's order (as a full scan would list them), or all of them when
// no key of f is indexed.
func (w *world) narrowIssues(f map[string]any) []*issue {
	c, ok := w.filterCandidates(f)
	if !ok {
		return w.issues
	}
	out := make([]*issue, 0, len(c))
	for _, i := range c {
		if i.seq < len(w.issues) && w.issues[i.seq] == i {
			out = append(out, i)
		}
	}
	slices.SortFunc(out, func(a, b *issue) int { return a.seq - b.seq })
	return slices.Compact(out)
}
