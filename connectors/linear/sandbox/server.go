package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	linearapi "github.com/tandem-sync/tandem/apis/linear"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tandem-sync/tandem/connectors/linear/sandbox/gql"
)

// Seed users and their API keys.
const (
	BotEmail   = "tandem-bot@example.com"
	BotKey     = "lin_api_tandembot"
	AliceEmail = "alice@example.com"
	AliceKey   = "lin_api_alice"
	BobEmail   = "bob@example.com"
	BobKey     = "lin_api_bob"
)

var (
	schemaOnce sync.Once
	schema     *ast.Schema
	schemaErr  error
)

// Schema returns Linear's published schema, parsed once per process.
func Schema() (*ast.Schema, error) {
	schemaOnce.Do(func() {
		schema, schemaErr = gqlparser.LoadSchema(&ast.Source{Name: linearapi.SchemaName, Input: linearapi.Schema})
	})
	return schema, schemaErr
}

// Options configure a sandbox.
type Options struct {
	TeamKey    string        // default "ENG", name "Engineering"
	SeedIssues int           // -1 = none; 0 = a default realistic backlog (12 issues)
	Latency    time.Duration // added to every GraphQL request
	RetryDelay time.Duration // webhook retry delay, default 200ms
	Now        func() time.Time
	// The team's estimate scale (Team.issueEstimationType): "notUsed",
	// "exponential", "fibonacci" (default), "linear" or "tShirt", with
	// issueEstimationAllowZero and issueEstimationExtended.
	EstimationType                          string
	EstimationAllowZero, EstimationExtended bool
	// Budget turns on Linear's rate limits (see Budget; DefaultBudget has
	// Linear's figures): each user's requests and complexity points drain
	// leaky buckets, and a request past either answers RATELIMITED. nil:
	// nothing is charged and the headers report the default budgets full.
	// A query above MaxQueryComplexity is refused either way, as Linear does.
	Budget *Budget
}

// Counts are the requests made with one user's key.
type Counts struct {
	Reads, Writes int
	// ByOperation counts root fields, e.g. "issueUpdate".
	ByOperation map[string]int
	// RateLimited counts requests refused with RATELIMITED.
	RateLimited int
	// Complexity sums the complexity points charged; ComplexityByOperation
	// splits it by the operation's first root field.
	Complexity            int
	ComplexityByOperation map[string]int
	// Storage counts requests to the file storage (uploads.go), which
	// are not API requests and spend no budget.
	Storage int
}

// Server is an in-memory Linear GraphQL API. It is an http.Handler serving
// POST /graphql.
type Server struct {
	opts   Options
	schema *ast.Schema

	mu sync.Mutex
	w  *world
	// uploads by token and by asset path (uploads.go); seenBase is the
	// base URL requests reach the sandbox at, when not Start's.
	uploads, assets map[string]*upload
	seenBase        string
	counts          map[string]*Counts // by email
	validation      []string
	latency         time.Duration
	limited         int
	limitReset      time.Duration
	faults          int
	faultStatus     int
	budget          *Budget               // nil: off, see Options.Budget
	budgets         map[string]*keyBudget // by user email

	// webhooks
	queue                        []*delivery
	paused                       bool
	inflight                     int
	attempts, delivered, dropped int
	wake                         chan struct{}
	hookClient                   *http.Client
	stop                         context.CancelFunc
	loopDone                     chan struct{}

	httpSrv *http.Server
	url     string
}

// New builds a sandbox with its seed data and starts its webhook sender.
// It panics only if the embedded schema does not parse (a build defect).
func New(opts Options) *Server {
	if opts.TeamKey == "" {
		opts.TeamKey = "ENG"
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 200 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.EstimationType == "" {
		opts.EstimationType = "fibonacci"
	}
	sch, err := Schema()
	if err != nil {
		panic("linear sandbox: embedded schema: " + err.Error())
	}
	s := &Server{
		opts: opts, schema: sch, counts: map[string]*Counts{}, latency: opts.Latency,
		wake: make(chan struct{}, 1), loopDone: make(chan struct{}),
		hookClient: &http.Client{Timeout: 5 * time.Second}, budgets: map[string]*keyBudget{},
	}
	if opts.Budget != nil {
		b := opts.Budget.withDefaults()
		s.budget = &b
	}
	s.seed()
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	go s.deliverLoop(ctx)
	return s
}

// Start listens on addr ("127.0.0.1:0" for any port) and serves in the
// background.
func (s *Server) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.Handle("/", s)
	s.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.url = "http://" + ln.Addr().String()
	go s.httpSrv.Serve(ln) //nolint:errcheck // ends with ErrServerClosed on Close
	return s.url, nil
}

// URL is the base URL after Start ("" before).
func (s *Server) URL() string { return s.url }

// Close stops the HTTP server and the webhook sender.
func (s *Server) Close() error {
	s.stop()
	<-s.loopDone
	if s.httpSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return s.httpSrv.Shutdown(ctx)
	}
	return nil
}

type response struct {
	Data   any          `json:"data"`
	Errors []*gql.Error `json:"errors,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func errorsOnly(errs ...*gql.Error) map[string]any { return map[string]any{"errors": errs} }

// ServeHTTP answers POST /graphql and the file storage's routes
// (uploads.go).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/storage/upload/"):
		s.serveUpload(w, r)
		return
	case strings.HasPrefix(r.URL.Path, "/uploads/"):
		s.serveAsset(w, r)
		return
	case r.URL.Path != "/graphql":
		http.NotFound(w, r)
		return
	}
	if s.url == "" && r.Host != "" {
		s.mu.Lock()
		s.seenBase = "http://" + r.Host
		s.mu.Unlock()
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, errorsOnly(&gql.Error{Message: "Only POST is supported"}))
		return
	}
	s.mu.Lock()
	lat := s.latency
	s.mu.Unlock()
	if lat > 0 {
		select {
		case <-time.After(lat):
		case <-r.Context().Done():
			return
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorsOnly(&gql.Error{Message: "could not read body"}))
		return
	}
	status, out := s.handle(r.Header.Get("Authorization"), body)
	if out.budget.reqLimit == 0 { // answered before a user was known
		s.mu.Lock()
		out.budget = s.unlimited(s.opts.Now())
		s.mu.Unlock()
	}
	writeBudget(w.Header(), out.budget)
	w.Header().Set("Date", s.opts.Now().UTC().Format(http.TimeFormat)) // the server's clock, as Options.Now says
	writeJSON(w, status, out.body)
}

type outcome struct {
	body   any
	budget snapshot // the rate-limit headers
}

func (s *Server) authenticate(h string) *user {
	key := strings.TrimSpace(h)
	if rest, ok := strings.CutPrefix(key, "Bearer "); ok {
		key = strings.TrimSpace(rest)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.userByKey(key)
}

// handle runs one request body for the bearer of auth.
func (s *Server) handle(auth string, body []byte) (int, outcome) {
	var req gql.Request
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		return http.StatusBadRequest, outcome{body: errorsOnly(&gql.Error{Message: "POST body sent invalid JSON.",
			Extensions: map[string]any{"code": "BAD_REQUEST", "type": "graphql error", "userError": true}})}
	}
	req.Variables = normalizeNumbers(req.Variables).(map[string]any)
	u := s.authenticate(auth)
	if u == nil || !u.active {
		return http.StatusBadRequest, outcome{body: errorsOnly(authError())}
	}
	s.mu.Lock()
	c := s.countsFor(u.email)
	if s.faults > 0 {
		s.faults--
		st := s.faultStatus
		s.mu.Unlock()
		return st, outcome{body: errorsOnly(linearError("INTERNAL_SERVER_ERROR", "internal error",
			"Internal server error", "An unexpected error occurred.", st))}
	}
	if s.limited > 0 {
		s.limited--
		c.RateLimited++
		reset := s.limitReset
		now := s.opts.Now()
		sn := s.unlimited(now)
		s.mu.Unlock()
		if reset <= 0 {
			reset = time.Minute
		}
		sn.reqRemaining, sn.reqReset, sn.limited, sn.retryAfter = 0, now.Add(reset), true, reset
		return http.StatusBadRequest, outcome{body: errorsOnly(rateLimitedError()), budget: sn}
	}
	s.mu.Unlock()
	sn, ok := s.chargeRequest(u.email)
	if !ok {
		return s.refuse(u, sn)
	}

	p, errs := gql.Prepare(s.schema, req)
	if errs != nil {
		s.mu.Lock()
		for _, e := range errs {
			s.validation = append(s.validation, e.Message+"\n"+req.Query)
		}
		s.mu.Unlock()
		out := make([]*gql.Error, len(errs))
		for i, e := range errs {
			out[i] = validationError(e)
		}
		return http.StatusBadRequest, outcome{body: errorsOnly(out...), budget: sn}
	}
	cost := gql.Complexity(p)
	if cost > MaxQueryComplexity {
		sn.complexity = int(math.Ceil(cost))
		return http.StatusBadRequest, outcome{body: errorsOnly(queryTooComplex(cost)), budget: sn}
	}
	if sn, ok = s.chargeComplexity(u.email, cost); !ok {
		return s.refuse(u, sn)
	}
	s.countComplexity(u.email, p, sn.complexity)
	data, execErrs := s.execute(u, p, true)
	status := http.StatusOK
	if data == nil && len(execErrs) > 0 {
		status = http.StatusBadRequest
	}
	return status, outcome{body: response{Data: data, Errors: execErrs}, budget: sn}
}

// refuse answers RATELIMITED, as Linear does: HTTP 400, the code in the
// error's extensions.
func (s *Server) refuse(u *user, sn snapshot) (int, outcome) {
	s.mu.Lock()
	s.countsFor(u.email).RateLimited++
	s.mu.Unlock()
	return http.StatusBadRequest, outcome{body: errorsOnly(rateLimitedError()), budget: sn}
}

// execute runs a prepared operation as user u, counting it when counted.
func (s *Server) execute(u *user, p *gql.Prepared, counted bool) (any, []*gql.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if counted {
		c := s.countsFor(u.email)
		if p.Mutation() {
			c.Writes++
		} else {
			c.Reads++
		}
		for _, f := range p.RootFields() {
			c.ByOperation[f]++
		}
	}
	v := view{s: s, viewer: u}
	var root gql.Object = &queryObj{v}
	if p.Mutation() {
		root = &mutationObj{v}
	}
	data, errs := gql.Execute(s.schema, p, root)
	if data == nil {
		return nil, errs
	}
	return data, errs
}

func (s *Server) countsFor(email string) *Counts {
	c := s.counts[email]
	if c == nil {
		c = &Counts{ByOperation: map[string]int{}}
		s.counts[email] = c
	}
	return c
}

// normalizeNumbers turns json.Number into int64 or float64.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case nil:
		return map[string]any{}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			if e == nil {
				continue
			}
			x[k] = normalizeNumbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			if e != nil {
				x[i] = normalizeNumbers(e)
			}
		}
		return x
	}
	return v
}

// ---- control API

// Requests returns the requests made with that user's key (human actions
// through UserCreate/UserUpdate are not requests).
func (s *Server) Requests(email string) Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.countsFor(email)
	out := *c
	out.ByOperation = make(map[string]int, len(c.ByOperation))
	for k, v := range c.ByOperation {
		out.ByOperation[k] = v
	}
	out.ComplexityByOperation = make(map[string]int, len(c.ComplexityByOperation))
	for k, v := range c.ComplexityByOperation {
		out.ComplexityByOperation[k] = v
	}
	return out
}

// countComplexity adds an answered request's complexity to its user's
// counts.
func (s *Server) countComplexity(email string, p *gql.Prepared, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.countsFor(email)
	c.Complexity += n
	if c.ComplexityByOperation == nil {
		c.ComplexityByOperation = map[string]int{}
	}
	if roots := p.RootFields(); len(roots) > 0 {
		c.ComplexityByOperation[roots[0]] += n
	}
}

// ResetCounts zeroes all request counters.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]*Counts{}
}

// PauseWebhooks holds (true) or releases (false) webhook deliveries; held
// deliveries are sent on release.
func (s *Server) PauseWebhooks(paused bool) {
	s.mu.Lock()
	s.paused = paused
	s.mu.Unlock()
	s.kick()
}

// SetLatency sets the delay added to every request.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// RateLimit makes the next n requests fail with RATELIMITED, announcing a
// reset after resetAfter.
func (s *Server) RateLimit(n int, resetAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limited, s.limitReset = n, resetAfter
}

// Fail makes the next n requests answer HTTP status (e.g. 500, 503) with an
// internal error.
func (s *Server) Fail(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults, s.faultStatus = n, status
}

// Deliveries is the number of webhook POSTs made (every attempt, retries
// included).
func (s *Server) Deliveries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// Delivered is the number of deliveries acknowledged with 200.
func (s *Server) Delivered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered
}

// PendingDeliveries is the number of deliveries queued, waiting for a
// retry, or in flight.
func (s *Server) PendingDeliveries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue) + s.inflight
}

// ValidationErrors lists the documents that failed schema validation, each
// as "message\ndocument".
func (s *Server) ValidationErrors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.validation...)
}

// ---- human actions

// UserCreate creates an issue as the user with that email, through the same
// code path as issueCreate (IssueCreateInput shape; teamId defaults to the
// seeded team). It is not counted in Requests.
func (s *Server) UserCreate(actorEmail string, input map[string]any) (id, identifier string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.w.userByEmail(actorEmail)
	if u == nil {
		return "", "", errors.New("no user " + actorEmail)
	}
	in := cloneInput(input)
	if _, ok := in["teamId"]; !ok {
		in["teamId"] = s.w.teams[0].id
	}
	i, err := s.createIssue(u, in)
	if err != nil {
		return "", "", err
	}
	return i.id, i.identifier, nil
}

// UserUpdate updates an issue as the user with that email (IssueUpdateInput
// shape, e.g. {"title":"x","stateId":...,"priority":2}).
func (s *Server) UserUpdate(actorEmail, idOrIdentifier string, input map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.w.userByEmail(actorEmail)
	if u == nil {
		return errors.New("no user " + actorEmail)
	}
	i := s.w.issue(idOrIdentifier)
	if i == nil || i.trashed {
		return notFound("Issue")
	}
	return s.updateIssue(u, i, cloneInput(input))
}

// UserMove drags an issue to a new place in the manual order as the user
// with that email: the same code path as issueUpdate(input: {sortOrder})
// (history, updatedAt, a webhook whose updatedFrom carries the old
// sortOrder), not counted in Requests.
func (s *Server) UserMove(actorEmail, idOrIdentifier string, sortOrder float64) error {
	return s.UserUpdate(actorEmail, idOrIdentifier, map[string]any{"sortOrder": sortOrder})
}

// UserComment adds a comment as the user with that email.
func (s *Server) UserComment(actorEmail, idOrIdentifier, body string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.w.userByEmail(actorEmail)
	if u == nil {
		return "", errors.New("no user " + actorEmail)
	}
	i := s.w.issue(idOrIdentifier)
	if i == nil {
		return "", notFound("Issue")
	}
	c, err := s.createComment(u, map[string]any{"issueId": i.id, "body": body})
	if err != nil {
		return "", err
	}
	return c.id, nil
}

// UserDelete moves an issue to the trash as the user with that email.
func (s *Server) UserDelete(actorEmail, idOrIdentifier string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.w.userByEmail(actorEmail)
	i := s.w.issue(idOrIdentifier)
	if u == nil || i == nil || i.trashed {
		return notFound("Issue")
	}
	s.archiveIssue(u, i, true)
	return nil
}

func cloneInput(in map[string]any) map[string]any {
	out := make(map[string]any, len(in)+1)
	for k, v := range in {
		switch x := v.(type) {
		case []string:
			l := make([]any, len(x))
			for i, e := range x {
				l[i] = e
			}
			v = l
		case int:
			v = int64(x)
		}
		out[k] = v
	}
	return out
}

// StateID returns the id of the seeded team's state with that name
// (case-insensitive), or "".
func (s *Server) StateID(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.w.teamStates(s.w.teams[0]) {
		if strings.EqualFold(st.name, name) {
			return st.id
		}
	}
	return ""
}

// SetEstimation changes the seeded team's estimate scale, as a team
// admin does in the team's settings (typ: notUsed, exponential,
// fibonacci, linear, tShirt). Existing estimates are kept.
func (s *Server) SetEstimation(typ string, allowZero, extended bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.w.teams[0]
	t.estType, t.estZero, t.estExtend = typ, allowZero, extended
}

// UserID returns the id of the user with that email, or "".
func (s *Server) UserID(email string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.w.userByEmail(email); u != nil {
		return u.id
	}
	return ""
}

// TeamID returns the seeded team's id.
func (s *Server) TeamID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.teams[0].id
}

// IssueView is a read-only copy of an issue for tests.
type IssueView struct {
	ID, Identifier, Title, Description string
	State, StateType                   string
	Priority                           int
	Labels                             []string
	Assignee                           string // email
	Estimate                           *float64
	DueDate                            string
	ParentID                           string
	ProjectID                          string
	Cycle                              string
	SortOrder                          float64
	CreatedAt, UpdatedAt               time.Time
	Archived, Trashed                  bool
	Comments                           []string // bodies, oldest first
	History                            int      // history entries
}

func (s *Server) viewOf(i *issue) IssueView {
	v := IssueView{ID: i.id, Identifier: i.identifier, Title: i.title, Description: i.description,
		State: i.state.name, StateType: i.state.typ, Priority: i.priority, Estimate: i.estimate,
		DueDate: i.dueDate, SortOrder: i.sortOrder, CreatedAt: i.createdAt, UpdatedAt: i.updatedAt,
		Archived: i.archivedAt != nil, Trashed: i.trashed, History: len(i.history)}
	if i.project != nil {
		v.ProjectID = i.project.id
	}
	for _, l := range i.labels {
		v.Labels = append(v.Labels, l.name)
	}
	if i.assignee != nil {
		v.Assignee = i.assignee.email
	}
	if i.parent != nil {
		v.ParentID = i.parent.id
	}
	if i.cycle != nil {
		v.Cycle = i.cycle.displayName()
	}
	for _, c := range s.w.comments {
		if c.issue == i {
			v.Comments = append(v.Comments, c.body)
		}
	}
	return v
}

// Issue returns a copy of the issue with that id or identifier.
func (s *Server) Issue(idOrIdentifier string) (IssueView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.w.issue(idOrIdentifier)
	if i == nil {
		return IssueView{}, false
	}
	return s.viewOf(i), true
}

// Issues returns every issue (trashed ones included), in manual (sortOrder)
// order.
func (s *Server) Issues() []IssueView {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []IssueView
	for _, i := range s.w.sortedIssues() {
		out = append(out, s.viewOf(i))
	}
	return out
}
