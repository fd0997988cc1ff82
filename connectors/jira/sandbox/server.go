package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Server.
type Options struct {
	ProjectKey string        // default "TAN", project name "Tandem Demo"
	SeedIssues int           // -1: none; 0: the default backlog (12 issues); n: n issues
	Latency    time.Duration // added to every API request
	RetryDelay time.Duration // between webhook delivery retries; default 200ms
	Now        func() time.Time
	// IndexedProperties lists the issue entity properties ("key" or
	// "key.path") JQL can search, as if an app had declared them for
	// indexing; real Jira indexes none for a plain REST client, so
	// issue.property[...] clauses on others match nothing.
	IndexedProperties []string
	// RateLimit turns on Jira Cloud's burst rate limit (see Burst;
	// DefaultBurst): past it a request answers 429 with Retry-After. nil:
	// no limit (RateLimit(n, after) still injects 429s).
	RateLimit *Burst
}

// Counts are the API requests one account made.
type Counts struct {
	Reads, Writes int
	// ByOperation counts per route template, e.g. "GET /rest/api/2/issue/{}".
	ByOperation map[string]int
	// RateLimited counts requests answered 429 by the burst limit
	// (Options.RateLimit).
	RateLimited int
}

// Server is an in-memory Jira Cloud site with one project. It implements
// http.Handler.
type Server struct {
	opts Options
	mux  *http.ServeMux

	mu          sync.Mutex
	users       []*user
	statuses    []*status
	transitions []transition
	priorities  []*priority
	types       []*issueType
	project     *project
	byID        map[int]*issue
	byKey       map[string]*issue
	children    map[*issue][]*issue // parent → children, see setParent
	byUpdated   []*issue            // live issues by updated time, see index.go
	nextIssue   int
	nextKey     int
	nextComment int
	nextHistory int
	sprints     []*sprint
	nextSprint  int
	maxRank     string        // highest rank given out, see rankLast
	rankFaults  map[int]fault // issue id → injected rank failures, see FailRank
	counts      map[string]*Counts
	latency     time.Duration
	rateLimited int
	retryAfter  time.Duration
	buckets     map[string]*tokens // Options.RateLimit's, by route
	faults      int
	faultStatus int
	base        string
	hooks       []*webhook
	nextHook    int
	paused      bool
	deliveries  int
	links       []*issueLink // see links.go
	nextLink    int

	remoteLinks    map[int][]*remoteLink // issue id → its remote links, see remotelink.go
	nextRemoteLink int

	attachments    map[int][]*attachment // issue id → its files, oldest first, see attachments.go
	nextAttachment int

	routes   []string // registered patterns, for fidelity tests
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	pending  atomic.Int64 // webhook deliveries in flight or waiting for a retry
	httpSrv  *http.Server
	listener net.Listener
}

// New builds a server with the seed catalog and issues.
func New(opts Options) *Server {
	if opts.ProjectKey == "" {
		opts.ProjectKey = "TAN"
	}
	if opts.RetryDelay == 0 {
		opts.RetryDelay = 200 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:        opts,
		mux:         http.NewServeMux(),
		byID:        map[int]*issue{},
		byKey:       map[string]*issue{},
		nextIssue:   10000,
		nextComment: 10000,
		nextHistory: 10000,
		nextLink:    10000,
		counts:      map[string]*Counts{},
		buckets:     map[string]*tokens{},
		latency:     opts.Latency,
		project:     &project{ID: "10000", Key: strings.ToUpper(opts.ProjectKey), Name: "Tandem Demo"},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.seedCatalog()
	s.seedSprints()
	s.seedIssues(opts.SeedIssues)
	s.routesSetup()
	return s
}

func (s *Server) now() time.Time { return s.opts.Now().UTC().Truncate(time.Millisecond) }

// Start listens on addr and serves in the background. It returns the base URL.
func (s *Server) Start(addr string) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.listener = l
	s.base = "http://" + l.Addr().String()
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	srv := s.httpSrv
	s.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
	return s.URL(), nil
}

// URL is the base URL (after Start, or as first seen in a request).
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.base
}

// Close stops the server and abandons pending webhook deliveries.
func (s *Server) Close() error {
	s.cancel()
	s.mu.Lock()
	srv := s.httpSrv
	s.mu.Unlock()
	var err error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err = srv.Shutdown(ctx)
	}
	s.wg.Wait()
	return err
}

// Requests returns the API requests made with email's credentials (valid
// ones; answers of injected 429s and faults count too, as on a real site
// they cost quota).
func (s *Server) Requests(email string) Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counts[strings.ToLower(email)]
	out := Counts{ByOperation: map[string]int{}}
	if c != nil {
		out.Reads, out.Writes, out.RateLimited = c.Reads, c.Writes, c.RateLimited
		for k, v := range c.ByOperation {
			out.ByOperation[k] = v
		}
	}
	return out
}

// ResetCounts zeroes every account's request counts.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]*Counts{}
}

// SetLatency changes the latency added to every API request.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// RateLimit makes the next n API requests answer 429 with Retry-After.
func (s *Server) RateLimit(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimited, s.retryAfter = n, retryAfter
}

// Fail makes the next n API requests answer status (a 5xx, 403, ...).
func (s *Server) Fail(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults, s.faultStatus = n, status
}

// Routes lists the registered route patterns ("METHOD /path/{param}").
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

// apiError is Jira's error body.
type apiError struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, code int, msgs ...string) {
	if msgs == nil {
		msgs = []string{}
	}
	writeJSON(w, code, apiError{ErrorMessages: msgs, Errors: map[string]string{}})
}

func writeFieldErrs(w http.ResponseWriter, code int, errs map[string]string) {
	writeJSON(w, code, apiError{ErrorMessages: []string{}, Errors: errs})
}

// httpError carries a Jira error answer out of the model code.
type httpError struct {
	code   int
	msgs   []string
	fields map[string]string
}

func (e *httpError) Error() string {
	parts := append([]string(nil), e.msgs...)
	for k, v := range e.fields {
		parts = append(parts, k+": "+v)
	}
	return strconv.Itoa(e.code) + ": " + strings.Join(parts, "; ")
}

func errMsg(code int, msg string) error { return &httpError{code: code, msgs: []string{msg}} }

func errFields(f map[string]string) error { return &httpError{code: 400, fields: f} }

func writeError(w http.ResponseWriter, err error) {
	var he *httpError
	if errors.As(err, &he) {
		if he.fields == nil {
			he.fields = map[string]string{}
		}
		if he.msgs == nil {
			he.msgs = []string{}
		}
		writeJSON(w, he.code, apiError{ErrorMessages: he.msgs, Errors: he.fields})
		return
	}
	writeErr(w, http.StatusInternalServerError, err.Error())
}

var errIssueNotFound = errMsg(404, "Issue does not exist or you do not have permission to see it.")

type ctxKey struct{}

// reqInfo is what handlers need to know about the caller.
type reqInfo struct {
	user *user
	ver  int // 2 or 3 for platform routes; 2 for agile and webhooks
	base string
}

func info(r *http.Request) *reqInfo { return r.Context().Value(ctxKey{}).(*reqInfo) }

var paramRE = regexp.MustCompile(`\{[^}]*\}`)

var createMetaRE = regexp.MustCompile(`^/rest/api/([23])/issue/createmeta/([^/]+)/issuetypes$`)

// operation turns a pattern into the counting template.
func operation(pattern string) string { return paramRE.ReplaceAllString(pattern, "{}") }

func (s *Server) handle(pattern string, ver int, h http.HandlerFunc) {
	s.routes = append(s.routes, pattern)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		ri := info(r)
		ri.ver = ver
		h(w, r)
	})
}

// ServeHTTP authenticates, applies injected latency and faults, counts and
// dispatches the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.base == "" && r.Host != "" {
		s.base = "http://" + r.Host
	}
	base := s.base
	latency := s.latency
	s.mu.Unlock()
	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Date", s.opts.Now().UTC().Format(http.TimeFormat)) // the server's clock, as Options.Now says
	_, pattern := s.mux.Handler(r)
	createmeta := createMetaRE.FindStringSubmatch(r.URL.Path)
	if createmeta != nil && r.Method == http.MethodGet {
		// ServeMux cannot hold this template beside issue/{id}/comment/{id}.
		pattern = "GET /rest/api/" + createmeta[1] + "/issue/createmeta/{projectIdOrKey}/issuetypes"
	}
	email, token, ok := r.BasicAuth()
	s.mu.Lock()
	u := s.userByEmail(email)
	if !ok || u == nil || u.Token != token {
		s.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Basic realm="protected-area"`)
		writeErr(w, http.StatusUnauthorized, "Client must be authenticated to access this resource.")
		return
	}
	if pattern != "" {
		c := s.counts[strings.ToLower(u.Email)]
		if c == nil {
			c = &Counts{ByOperation: map[string]int{}}
			s.counts[strings.ToLower(u.Email)] = c
		}
		if isWrite(r, pattern) {
			c.Writes++
		} else {
			c.Reads++
		}
		c.ByOperation[operation(pattern)]++
	}
	if s.rateLimited > 0 {
		s.rateLimited--
		ra := max(s.retryAfter, time.Second)
		now := s.opts.Now()
		s.mu.Unlock()
		limitHeaders(w.Header(), 0, 0, ra, now, "jira-quota-global-based")
		writeErr(w, http.StatusTooManyRequests, "Rate limit exceeded.")
		return
	}
	if s.opts.RateLimit != nil && pattern != "" {
		now := s.opts.Now()
		left, wait := s.take(pattern, now)
		limitHeaders(w.Header(), s.opts.RateLimit.size(), left, wait, now, "jira-burst-based")
		if wait > 0 {
			if c := s.counts[strings.ToLower(u.Email)]; c != nil {
				c.RateLimited++
			}
			s.mu.Unlock()
			writeErr(w, http.StatusTooManyRequests, "Rate limit exceeded.")
			return
		}
	}
	if s.faults > 0 {
		s.faults--
		code := s.faultStatus
		s.mu.Unlock()
		writeErr(w, code, http.StatusText(code))
		return
	}
	s.mu.Unlock()
	ri := &reqInfo{user: u, base: base}
	if createmeta != nil && r.Method == http.MethodGet {
		ri.ver, _ = strconv.Atoi(createmeta[1])
		s.getCreateMeta(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, ri)), createmeta[2])
		return
	}
	s.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, ri)))
}

// isWrite says whether a request changes state: POST, PUT and DELETE except
// the POST search and bulk fetch endpoints.
func isWrite(r *http.Request, pattern string) bool {
	switch r.Method {
	case http.MethodPost:
		return !strings.Contains(pattern, "/search") && !strings.HasSuffix(pattern, "/bulkfetch")
	case http.MethodPut, http.MethodDelete, http.MethodPatch:
		return true
	}
	return false
}

func (s *Server) routesSetup() {
	for _, v := range []int{2, 3} {
		p := "/rest/api/" + strconv.Itoa(v)
		s.handle("GET "+p+"/myself", v, s.getMyself)
		s.handle("GET "+p+"/serverInfo", v, s.getServerInfo)
		s.handle("GET "+p+"/project", v, s.getProjects)
		s.handle("GET "+p+"/project/search", v, s.searchProjects)
		s.handle("GET "+p+"/project/{projectIdOrKey}", v, s.getProject)
		s.handle("GET "+p+"/project/{projectIdOrKey}/statuses", v, s.getProjectStatuses)
		s.handle("GET "+p+"/status", v, s.getStatuses)
		s.handle("GET "+p+"/priority", v, s.getPriorities)
		s.handle("GET "+p+"/issuetype", v, s.getIssueTypes)
		s.handle("GET "+p+"/field", v, s.getFields)
		s.handle("GET "+p+"/label", v, s.getLabels)
		s.handle("GET "+p+"/user", v, s.getUser)
		s.handle("GET "+p+"/user/search", v, s.searchUsers)
		s.handle("GET "+p+"/user/assignable/search", v, s.searchAssignable)
		s.handle("POST "+p+"/issue", v, s.createIssue)
		s.handle("POST "+p+"/issue/bulk", v, s.bulkCreate)
		s.handle("POST "+p+"/issue/bulkfetch", v, s.bulkFetch)
		s.handle("GET "+p+"/issue/{issueIdOrKey}", v, s.getIssue)
		s.handle("PUT "+p+"/issue/{issueIdOrKey}", v, s.editIssue)
		s.handle("DELETE "+p+"/issue/{issueIdOrKey}", v, s.deleteIssue)
		s.handle("GET "+p+"/issue/{issueIdOrKey}/transitions", v, s.getTransitions)
		s.handle("POST "+p+"/issue/{issueIdOrKey}/transitions", v, s.doTransition)
		s.handle("GET "+p+"/issue/{issueIdOrKey}/comment", v, s.getComments)
		s.handle("POST "+p+"/issue/{issueIdOrKey}/comment", v, s.addComment)
		s.handle("GET "+p+"/issue/{issueIdOrKey}/comment/{id}", v, s.getComment)
		s.handle("PUT "+p+"/issue/{issueIdOrKey}/comment/{id}", v, s.updateComment)
		s.handle("DELETE "+p+"/issue/{issueIdOrKey}/comment/{id}", v, s.deleteComment)
		s.handle("GET "+p+"/issue/{issueIdOrKey}/properties", v, s.getPropertyKeys)
		s.handle("GET "+p+"/issue/{issueIdOrKey}/properties/{propertyKey}", v, s.getProperty)
		s.handle("PUT "+p+"/issue/{issueIdOrKey}/properties/{propertyKey}", v, s.setProperty)
		s.handle("DELETE "+p+"/issue/{issueIdOrKey}/properties/{propertyKey}", v, s.deleteProperty)
		s.handle("GET "+p+"/issue/{issueIdOrKey}/changelog", v, s.getChangelog)
		s.handle("POST "+p+"/issueLink", v, s.createLink)
		s.handle("GET "+p+"/issueLink/{linkId}", v, s.getLink)
		s.handle("DELETE "+p+"/issueLink/{linkId}", v, s.deleteLink)
		s.handle("GET "+p+"/issueLinkType", v, s.getLinkTypes)
		s.handle("PUT "+p+"/issue/{issueIdOrKey}/assignee", v, s.assignIssue)
		s.handle("GET "+p+"/issue/{issueIdOrKey}/editmeta", v, s.getEditMeta)
		s.handle("GET "+p+"/issue/{issueIdOrKey}/remotelink", v, s.getRemoteLinks)
		s.handle("POST "+p+"/issue/{issueIdOrKey}/remotelink", v, s.postRemoteLink)
		s.handle("DELETE "+p+"/issue/{issueIdOrKey}/remotelink", v, s.deleteRemoteLinkByGlobalID)
		s.handle("GET "+p+"/issue/{issueIdOrKey}/remotelink/{linkId}", v, s.getRemoteLink)
		s.handle("PUT "+p+"/issue/{issueIdOrKey}/remotelink/{linkId}", v, s.putRemoteLink)
		s.handle("DELETE "+p+"/issue/{issueIdOrKey}/remotelink/{linkId}", v, s.deleteRemoteLink)
		s.handle("POST "+p+"/issue/{issueIdOrKey}/attachments", v, s.addAttachments)
		s.handle("GET "+p+"/attachment/meta", v, s.getAttachmentMeta)
		s.handle("GET "+p+"/attachment/content/{id}", v, s.getAttachmentContent)
		s.handle("GET "+p+"/attachment/{id}", v, s.getAttachment)
		s.handle("DELETE "+p+"/attachment/{id}", v, s.deleteAttachment)
		s.handle("GET "+p+"/search/jql", v, s.searchJQL)
		s.handle("POST "+p+"/search/jql", v, s.searchJQL)
		s.handle("GET "+p+"/search", v, s.searchOld)
		s.handle("POST "+p+"/search", v, s.searchOld)
	}
	s.routes = append(s.routes, "GET /rest/api/2/issue/createmeta/{projectIdOrKey}/issuetypes", "GET /rest/api/3/issue/createmeta/{projectIdOrKey}/issuetypes")
	s.handle("PUT /rest/agile/1.0/issue/rank", 2, s.rankIssues)
	s.handle("GET /rest/agile/1.0/board", 2, s.getBoards)
	s.handle("GET /rest/agile/1.0/board/{boardId}", 2, s.getBoard)
	s.handle("GET /rest/agile/1.0/board/{boardId}/backlog", 2, s.getBacklog)
	s.handle("GET /rest/agile/1.0/board/{boardId}/sprint", 2, s.getSprints)
	s.handle("GET /rest/agile/1.0/board/{boardId}/issue", 2, s.getBoardIssues)
	s.handle("GET /rest/agile/1.0/issue/{issueIdOrKey}", 2, s.getAgileIssue)
	s.handle("GET /rest/agile/1.0/sprint/{sprintId}", 2, s.getSprint)
	s.handle("POST /rest/agile/1.0/sprint/{sprintId}/issue", 2, s.moveToSprintHandler)
	s.handle("POST /rest/agile/1.0/backlog/issue", 2, s.moveToBacklogHandler)
	s.handle("POST /rest/webhooks/1.0/webhook", 2, s.createWebhook)
	s.handle("GET /rest/webhooks/1.0/webhook", 2, s.listWebhooks)
	s.handle("GET /rest/webhooks/1.0/webhook/{id}", 2, s.getWebhook)
	s.handle("PUT /rest/webhooks/1.0/webhook/{id}", 2, s.updateWebhook)
	s.handle("DELETE /rest/webhooks/1.0/webhook/{id}", 2, s.deleteWebhook)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, http.StatusNotFound, "null for uri: "+r.URL.String())
	})
}

// decode reads a JSON body; a bad body is Jira's 400.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 10<<20))
	if err := dec.Decode(v); err != nil {
		return errMsg(400, "Unexpected character in the request body: "+err.Error())
	}
	return nil
}

// decodeBody decodes the JSON body into v; when it cannot, it answers Jira's
// 400 and reports false.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := decode(r, v); err != nil {
		writeError(w, err)
		return false
	}
	return true
}

// findIssue is the issue idOrKey names, or Jira's 404 error. The caller
// holds s.mu.
func (s *Server) findIssue(idOrKey string) (*issue, error) {
	is := s.lookup(idOrKey)
	if is == nil {
		return nil, errIssueNotFound
	}
	return is, nil
}

// pathIssue is the issue the path's {issueIdOrKey} names; when there is
// none it answers Jira's 404 and returns nil. The caller holds s.mu.
func (s *Server) pathIssue(w http.ResponseWriter, r *http.Request) *issue {
	is, err := s.findIssue(r.PathValue("issueIdOrKey"))
	if err != nil {
		writeError(w, err)
	}
	return is
}
