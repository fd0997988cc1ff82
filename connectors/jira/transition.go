package jira

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

// Status changes go through workflow transitions, and a workflow may have
// no transition from the current status to the wanted one (To Do → Done
// via In Progress and In Review). The workflow graph is not readable by a
// plain user: GET /rest/api/3/workflow/search needs the Administer Jira
// global permission, and GET /rest/api/3/workflows/search that or, for
// project-scoped workflows, Administer projects or View (read-only)
// workflow. What any user with Browse rights
// sees is the transitions out of one issue's current status (expand=
// transitions on an issue or a search). So moveTo finds the shortest path
// by looking at issues:
//
//   - it reads the issue's status, issue type and transitions (one GET)
//     and takes a direct transition when there is one;
//   - otherwise it runs a breadth-first search over the transitions it
//     knows, cached per Client by (issue type, status) since workflows
//     rarely change; a status on the way whose transitions are unknown is
//     looked at through any other issue of the same type sitting in it
//     (one search with expand=transitions), nearest first, until a path
//     shows or nothing more can be seen;
//   - it makes the path's first transition and starts over from the new
//     status, so every step uses the transitions Jira offers right then
//     and a stale cache costs a detour, never a wrong call. A cache that
//     finds no path is dropped and the search run again once.
//
// When a status can only be seen from inside (no other issue of the type
// sits in it), the issue itself steps into the nearest such status, but
// never into a done-category status other than the target (that would
// resolve it). A walk is bounded: at most maxHops transitions, never back
// into a status it has been in, so it cannot loop. When no path exists
// the error is permanent and names both statuses.

// maxHops bounds the transitions one status change may take.
const maxHops = 6

// flowKey names the transitions out of one status in the workflow of one
// issue type.
type flowKey struct{ issueType, status string }

// edge is one transition out of a status.
type edge struct {
	ID, Name string
	To       status
}

// workflows caches the transitions seen, per issue type and status, and
// where a new issue of each type begins.
type workflows struct {
	mu     sync.Mutex
	edges  map[flowKey][]edge
	starts map[string]start // by issue type name, as creates name it
}

// start is where a new issue of one type begins: the type's id and its
// workflow's initial status, learned from the first twin of the type.
type start struct {
	typeID string
	st     status
}

func (w *workflows) startOf(typeName string) (start, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s, ok := w.starts[typeName]
	return s, ok
}

func (w *workflows) forgetStart(typeName string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.starts, typeName)
}

func (w *workflows) learnStart(typeName string, s start) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.starts == nil {
		w.starts = map[string]start{}
	}
	w.starts[typeName] = s
}

func (w *workflows) learn(k flowKey, es []edge) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.edges == nil {
		w.edges = map[flowKey][]edge{}
	}
	w.edges[k] = slices.Clone(es)
}

// forgetExcept drops what is cached for issueType except the statuses in
// keep, and says whether it dropped anything.
func (w *workflows) forgetExcept(issueType string, keep map[string]bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	dropped := false
	for k := range w.edges {
		if k.issueType == issueType && !keep[k.status] {
			delete(w.edges, k)
			dropped = true
		}
	}
	return dropped
}

// reach is a status the search got to whose transitions are unknown.
type reach struct {
	st    status
	first edge // the first transition of the path there
	depth int
}

// plan searches the known transitions of issueType breadth first from
// status from to target, through no status in avoid and at most budget
// transitions. It returns the first transition of a shortest path, or,
// when none is known, the statuses reached whose transitions are unknown,
// nearest first.
func (w *workflows) plan(issueType string, from status, target status, avoid map[string]bool, budget int) (*edge, []reach) {
	w.mu.Lock()
	defer w.mu.Unlock()
	type node struct {
		st    status
		first *edge
		depth int
	}
	queue := []node{{st: from}}
	seen := map[string]bool{from.ID: true}
	var frontier []reach
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		es, known := w.edges[flowKey{issueType, n.st.ID}]
		if !known {
			if n.first != nil && n.depth < budget {
				frontier = append(frontier, reach{st: n.st, first: *n.first, depth: n.depth})
			}
			continue
		}
		if n.depth >= budget {
			continue
		}
		for _, e := range es {
			first := n.first
			if first == nil {
				first = &e
			}
			if sameStatus(e.To, target) {
				return first, nil
			}
			if seen[e.To.ID] || avoid[e.To.ID] {
				continue
			}
			seen[e.To.ID] = true
			queue = append(queue, node{st: e.To, first: first, depth: n.depth + 1})
		}
	}
	return nil, frontier
}

func sameStatus(a, b status) bool {
	if a.ID != "" && b.ID != "" {
		return a.ID == b.ID
	}
	return strings.EqualFold(a.Name, b.Name)
}

// wireTransition is a transition as issue and search answers carry it
// with expand=transitions.
type wireTransition struct {
	ID   string     `json:"id"`
	Name string     `json:"name"`
	To   wireStatus `json:"to"`
}

// wireAt is an issue with its status, type and transitions.
type wireAt struct {
	Fields struct {
		Status    wireStatus `json:"status"`
		IssueType struct {
			ID string `json:"id"`
		} `json:"issuetype"`
	} `json:"fields"`
	Transitions []wireTransition `json:"transitions"`
}

func statusOf(w wireStatus) status {
	return status{ID: w.ID, Name: w.Name, Category: w.StatusCategory.Key}
}

func edgesOf(ts []wireTransition) []edge {
	out := make([]edge, 0, len(ts))
	for _, t := range ts {
		out = append(out, edge{ID: t.ID, Name: t.Name, To: statusOf(t.To)})
	}
	return out
}

// lookAt reads an issue's status, issue type and available transitions in
// one call.
func (c *Client) lookAt(ctx context.Context, id string) (st status, issueType string, es []edge, err error) {
	var w wireAt
	path := "rest/api/2/issue/" + url.PathEscape(id) + "?fields=status,issuetype&expand=transitions"
	if err := c.call(ctx, "reading status and transitions of jira issue "+id, http.MethodGet, path, nil, &w); err != nil {
		return status{}, "", nil, err
	}
	return statusOf(w.Fields.Status), w.Fields.IssueType.ID, edgesOf(w.Transitions), nil
}

// explore learns the transitions out of st through any issue of issueType
// sitting in it; ok is false when there is none.
func (c *Client) explore(ctx context.Context, issueType string, st status) (ok bool, err error) {
	jql := c.project() + " AND issuetype = " + jqlID(issueType, "") + " AND status = " + jqlID(st.ID, st.Name)
	q := url.Values{"jql": {jql}, "maxResults": {"1"}, "fields": {"status"}, "expand": {"transitions"}}
	var res struct {
		Issues []wireAt `json:"issues"`
	}
	if err := c.call(ctx, "looking for transitions out of jira status "+st.Name, http.MethodGet, "rest/api/2/search/jql?"+q.Encode(), nil, &res); err != nil {
		return false, err
	}
	for _, is := range res.Issues {
		if got := statusOf(is.Fields.Status); sameStatus(got, st) {
			c.flows.learn(flowKey{issueType, st.ID}, edgesOf(is.Transitions))
			return true, nil
		}
	}
	return false, nil
}

// jqlID is a JQL value naming an object by its numeric id, or by its name
// when the id is not numeric.
func jqlID(id, name string) string {
	if id != "" && strings.Trim(id, "0123456789") == "" {
		return id
	}
	if name == "" {
		name = id
	}
	return jqlQuote(name)
}

// catRank orders status categories along the usual flow.
func catRank(key string) int {
	switch key {
	case "indeterminate":
		return 1
	case "done":
		return 2
	}
	return 0
}

// walk is the state of one moveTo.
type walk struct {
	issueType string
	target    status
	visited   map[string]bool // statuses the issue has been in: never entered again
	looked    map[string]bool // statuses searched for through other issues
	fresh     map[string]bool // statuses whose transitions were read during this walk
	retried   bool            // the cache was dropped once
}

// moveTo transitions the issue to the Jira status canonical v projects
// to, along the shortest path the workflow allows (see above).
func (c *Client) moveTo(ctx context.Context, id string, v backlog.Value) error {
	_, _, err := c.walkTo(ctx, id, v)
	return err
}

// targetOf is the Jira status canonical v projects to.
func (c *Client) targetOf(v backlog.Value) (status, error) {
	sv, err := backlog.DecodeStatus(c.Project(backlog.Status, v))
	if err != nil {
		return status{}, connectors.Permanent(fmt.Errorf("jira: %w", err))
	}
	target, ok := c.statusFor(sv)
	if !ok {
		return status{}, connectors.Permanent(fmt.Errorf("jira: project %s has no status for %q", c.projectKey, sv.Name))
	}
	return target, nil
}

// walkTo is moveTo, telling also the status the issue was in when the walk
// began and its issue type's id ("" when the first read failed).
func (c *Client) walkTo(ctx context.Context, id string, v backlog.Value) (from status, typeID string, err error) {
	target, err := c.targetOf(v)
	if err != nil {
		return status{}, "", err
	}
	w := &walk{target: target, visited: map[string]bool{}, looked: map[string]bool{}, fresh: map[string]bool{}}
	for hop := 0; ; hop++ {
		cur, issueType, es, err := c.lookAt(ctx, id)
		if err != nil {
			return from, typeID, err
		}
		if hop == 0 {
			from, typeID = cur, issueType
		}
		if sameStatus(cur, target) {
			return from, typeID, nil
		}
		if w.issueType != "" && w.issueType != issueType {
			// The issue type changed under us: start the search afresh.
			w.looked, w.fresh = map[string]bool{}, map[string]bool{}
		}
		w.issueType = issueType
		c.flows.learn(flowKey{issueType, cur.ID}, es)
		w.visited[cur.ID], w.looked[cur.ID], w.fresh[cur.ID] = true, true, true
		var next *edge
		if hop < maxHops {
			if next, err = c.nextHop(ctx, w, cur, maxHops-hop); err != nil {
				return from, typeID, err
			}
		}
		if next == nil {
			where := ""
			if hop > 0 {
				where = fmt.Sprintf(" (it is now in %q)", cur.Name)
			}
			return from, typeID, connectors.Refused(fmt.Errorf("jira: no transition leads from %q to %q for issue %s%s", from.Name, target.Name, id, where), backlog.Status)
		}
		if err := c.take(ctx, id, *next); err != nil {
			if connectors.IsPermanent(err) && !errors.Is(err, connectors.ErrNotFound) {
				// Someone moved the issue since we looked: the transition
				// is gone from where it now is, and our value is stale.
				// A retry (a new pass) sees their change; a refusal would
				// hold the field for a person.
				if now, _, _, lerr := c.lookAt(ctx, id); lerr == nil && !sameStatus(now, cur) {
					return from, typeID, fmt.Errorf("jira: issue %s moved from %q to %q while being transitioned to %q: %v", id, cur.Name, now.Name, target.Name, err)
				}
				// A transition screen that wants fields, or a validator:
				// Jira names them in its answer.
				return from, typeID, connectors.Refused(fmt.Errorf("jira: transition %q of issue %s refused (its screen or validators need more): %w", next.To.Name, id, err), backlog.Status)
			}
			return from, typeID, err
		}
		if sameStatus(next.To, target) {
			return from, typeID, nil
		}
		c.logger().Info("jira: transition on the way to a status", "jira", id, "from", cur.Name, "via", next.To.Name, "to", target.Name)
	}
}

// nextHop picks the transition to make from cur towards the target: a
// direct one, else the first of a shortest path, looking at other issues
// for the transitions of statuses on the way; else a step into a status
// that can only be seen from inside; nil when there is no way. budget is
// the number of transitions left.
func (c *Client) nextHop(ctx context.Context, w *walk, cur status, budget int) (*edge, error) {
	for {
		first, frontier := c.flows.plan(w.issueType, cur, w.target, w.visited, budget)
		if first != nil {
			return first, nil
		}
		found := false
		for _, r := range frontier {
			if w.looked[r.st.ID] {
				continue
			}
			w.looked[r.st.ID] = true
			ok, err := c.explore(ctx, w.issueType, r.st)
			if err != nil {
				return nil, err
			}
			if ok {
				w.fresh[r.st.ID], found = true, true
				break
			}
		}
		if found {
			continue
		}
		if !w.retried {
			// Perhaps the cache is stale: read again what this walk did
			// not read itself, once.
			w.retried = true
			if c.flows.forgetExcept(w.issueType, w.fresh) {
				for s := range w.looked {
					if !w.fresh[s] {
						delete(w.looked, s)
					}
				}
				continue
			}
		}
		return probe(frontier, w.target), nil
	}
}

// probe picks, among statuses whose transitions could not be seen, the
// one to step towards: its category nearest the target's, then the
// nearest; never through a done-category status.
func probe(frontier []reach, target status) *edge {
	var cands []reach
	for _, r := range frontier {
		if r.first.To.Category != "done" && r.st.Category != "done" {
			cands = append(cands, r)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	dist := func(r reach) int {
		d := catRank(r.st.Category) - catRank(target.Category)
		if d < 0 {
			d = -d
		}
		return d
	}
	best := slices.MinFunc(cands, func(a, b reach) int {
		return cmp.Or(cmp.Compare(dist(a), dist(b)), cmp.Compare(a.depth, b.depth))
	})
	return &best.first
}

// firstStep is the transition a new issue of typeName can take in its
// create call towards the status canonical v projects to, when where such
// issues begin is known and the cached workflow leads there; nil when the
// issue begins there, or when it is not known.
func (c *Client) firstStep(typeName string, v backlog.Value) *edge {
	st, ok := c.flows.startOf(typeName)
	if !ok {
		return nil
	}
	target, err := c.targetOf(v)
	if err != nil || sameStatus(st.st, target) {
		return nil
	}
	first, _ := c.flows.plan(st.typeID, st.st, target, map[string]bool{}, maxHops)
	return first
}

// moveNew moves a twin just made (of type typeName, having taken step in
// its create call, nil for none) to the status canonical v projects to.
// Where such issues begin and the transitions on the way are known from
// earlier twins, it takes them without reading the issue (a new issue is
// where its workflow begins, or where step led); a transition refused, or
// a path not known, hands over to moveTo, which reads and learns. The first
// twin of a type teaches where its type begins.
func (c *Client) moveNew(ctx context.Context, id, typeName string, step *edge, v backlog.Value) error {
	st, known := c.flows.startOf(typeName)
	if !known {
		from, typeID, err := c.walkTo(ctx, id, v)
		if typeID != "" && step == nil {
			c.flows.learnStart(typeName, start{typeID: typeID, st: from})
		}
		return err
	}
	target, err := c.targetOf(v)
	if err != nil {
		return err
	}
	cur := st.st
	if step != nil {
		cur = step.To
	}
	visited := map[string]bool{cur.ID: true}
	for hop := 0; hop < maxHops && !sameStatus(cur, target); hop++ {
		next, _ := c.flows.plan(st.typeID, cur, target, visited, maxHops-hop)
		if next == nil {
			break
		}
		err := c.take(ctx, id, *next)
		if err != nil && !connectors.IsPermanent(err) {
			return err
		}
		if err != nil {
			// The workflow is not what the cache says: read and learn.
			c.flows.forgetExcept(st.typeID, nil)
			c.flows.forgetStart(typeName)
			break
		}
		cur = next.To
		visited[cur.ID] = true
	}
	if sameStatus(cur, target) {
		return nil
	}
	return c.moveTo(ctx, id, v)
}

// take makes transition e of issue id (one POST).
func (c *Client) take(ctx context.Context, id string, e edge) error {
	body := map[string]any{"transition": map[string]string{"id": e.ID}}
	return c.call(ctx, "transitioning jira issue "+id+" to "+e.To.Name, http.MethodPost, "rest/api/2/issue/"+url.PathEscape(id)+"/transitions", body, nil)
}
