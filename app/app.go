package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandem-sync/tandem/admin"
	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/budget"
	"github.com/tandem-sync/tandem/config"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/jira"
	"github.com/tandem-sync/tandem/connectors/linear"
	"github.com/tandem-sync/tandem/daemon"
	"github.com/tandem-sync/tandem/iteration"
	"github.com/tandem-sync/tandem/match"
	"github.com/tandem-sync/tandem/metrics"
	"github.com/tandem-sync/tandem/reconcile"
	"github.com/tandem-sync/tandem/store"
	"github.com/tandem-sync/tandem/store/embedded"
	"github.com/tandem-sync/tandem/store/redis"
)

// Options are the in-process knobs that are not configuration.
type Options struct {
	Log *slog.Logger
	// Observe is told about every write a sync pass makes.
	Observe func(reconcile.Event)
	// SelfRegister registers the webhooks at the daemon's own listen
	// address when no public URL is configured (demo, tests).
	SelfRegister bool
	// Progress, when set (a terminal), shows the initial backfill as a line
	// rewritten in place; without it progress goes to the log.
	Progress io.Writer
	// Wrap, when set, wraps each connector the syncer uses (tests inject
	// faults and crashes with it).
	Wrap func(connectors.Connector) connectors.Connector
	// HTTPClient is used for both tools (default: a client with a 30 s
	// timeout).
	HTTPClient *http.Client
}

// App is one running Tandem.
type App struct {
	Config config.Config
	State  store.State
	Jira   *jira.Client
	Linear *linear.Client
	Syncer *reconcile.Syncer
	Order  *reconcile.OrderSyncer // nil when order mirroring is off
	Daemon *daemon.Daemon
	// iterations pairs sprints with cycles for the Syncer.
	iterations *iteration.Directory
	// Feed keeps recent propagations for the admin API.
	Feed *admin.Feed

	Metrics *metrics.Metrics
	// JiraBudget and LinearBudget pace the calls of each credential.
	JiraBudget, LinearBudget *budget.Governor

	opts         Options
	jiraHealth   health
	linearHealth health
	running      atomic.Bool
	ln           net.Listener
	srv          *http.Server
	cancel       context.CancelFunc
	wg           sync.WaitGroup
}

// OpenState opens the store the configuration names: Redis when
// TANDEM_REDIS_URL is set, else the embedded store in TANDEM_DATA_DIR.
func OpenState(ctx context.Context, cfg config.Config) (store.State, error) {
	if cfg.RedisURL != "" {
		st, err := redis.Open(ctx, cfg.RedisURL, cfg.RedisPrefix)
		if err != nil {
			return nil, fmt.Errorf("opening redis store: %w", err)
		}
		return st, nil
	}
	st, err := embedded.Open(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("opening embedded store in %s: %w", cfg.DataDir, err)
	}
	return st, nil
}

// New opens the store and connects to both tools (checking credentials and
// loading their metadata). Nothing runs until Start.
func New(ctx context.Context, cfg config.Config, opts Options) (*App, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	st, err := OpenState(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, State: st, opts: opts, Feed: &admin.Feed{}}
	a.Metrics = metrics.New(metrics.Gauges{
		QueueDepth: func() float64 { return float64(a.Daemon.Stats().Queue) },
		SyncLag:    func() float64 { return a.Daemon.OldestWait().Seconds() },
		Links: func() float64 {
			ls, _ := st.Links(context.Background())
			return float64(len(ls))
		},
		OpenConflicts: func() float64 {
			cs, _ := st.Conflicts(context.Background(), store.ConflictFilter{OpenOnly: true})
			return float64(len(cs))
		},
	})
	// One budget governor per credential: syncs sharing a key share it.
	linearBudget := cfg.LinearBudget
	if linearBudget == 0 {
		linearBudget = 2500 // Linear's documented API-key budget
	}
	a.JiraBudget = budget.For("jira", cfg.JiraURL, cfg.JiraEmail+"\x00"+cfg.JiraToken, cfg.JiraBudget)
	a.LinearBudget = budget.For("linear", cfg.LinearURL, cfg.LinearAPIKey, linearBudget)
	a.Metrics.WatchBudget("jira", a.JiraBudget.Snapshot)
	a.Metrics.WatchBudget("linear", a.LinearBudget.Snapshot)
	client := func(side backlog.Side, h *health) *http.Client {
		c := &http.Client{Timeout: 30 * time.Second}
		if opts.HTTPClient != nil {
			cp := *opts.HTTPClient
			c = &cp
		}
		g := a.JiraBudget
		if side == backlog.Linear {
			g = a.LinearBudget
		}
		// The timeout bounds each request on the wire, not the time the
		// governor holds it back for budget (which may be minutes).
		timeout := c.Timeout
		c.Timeout = 0
		c.Transport = h.transport(a.Metrics.Transport(side, g.Transport(timed(c.Transport, timeout))))
		return c
	}
	a.Jira, err = jira.New(ctx, jira.Config{
		URL: cfg.JiraURL, Email: cfg.JiraEmail, Token: cfg.JiraToken, Project: cfg.JiraProject,
		WebhookSecret: cfg.JiraWebhookSecret, HTTPClient: client(backlog.Jira, &a.jiraHealth), Log: opts.Log,
		Users: jiraUsers(cfg.Mapping), EstimateField: cfg.Mapping.Jira.StoryPointsField, JQL: cfg.Mapping.Jira.JQL,
		LinkTypes: cfg.Mapping.Relations, EpicsAsProjects: cfg.Mapping.Epics == config.EpicsAsProjects,
		Files: filesOn(cfg.Mapping),
	})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("connecting to jira at %s: %w", cfg.JiraURL, err)
	}
	a.Linear, err = linear.New(ctx, linear.Config{
		URL: cfg.LinearURL, APIKey: cfg.LinearAPIKey, Team: cfg.LinearTeam,
		WebhookSecret: cfg.LinearWebhookSecret, HTTPClient: client(backlog.Linear, &a.linearHealth), Logger: opts.Log,
		Users: linearUsers(cfg.Mapping), CreateLabels: cfg.Mapping.Linear.CreateLabels,
		Labels: cfg.Mapping.Linear.Labels, Project: cfg.Mapping.Linear.Project,
		EpicsAsProjects: cfg.Mapping.Epics == config.EpicsAsProjects,
		Files:           filesOn(cfg.Mapping),
	})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("connecting to linear at %s: %w", cfg.LinearURL, err)
	}
	retry := connectors.RetryPolicy{Max: 10 * time.Second, OnWait: a.Metrics.RetryWait}
	var jc, lc connectors.Connector = a.Jira, a.Linear
	if opts.Wrap != nil {
		jc, lc = opts.Wrap(jc), opts.Wrap(lc)
	}
	jc, lc = connectors.WithRetry(jc, retry), connectors.WithRetry(lc, retry)
	a.Syncer = &reconcile.Syncer{
		Jira: jc, Linear: lc, State: st, Site: a.Jira.Site(),
		Policies: reconcile.Policies{Default: cfg.Mapping.DefaultPolicy, Fields: cfg.Mapping.Policies},
		Statuses: cfg.Mapping.Statuses, Directions: directions(cfg.Mapping.Directions),
		Log: opts.Log, Observe: a.observe,
	}
	// Sprints and cycles pair by their dates (the mapping's sprints: table
	// first); the lists are read on use, never by an idle daemon.
	a.iterations = &iteration.Directory{Jira: a.Jira, Linear: a.Linear, Table: cfg.Mapping.Sprints,
		CreateCycles: cfg.Mapping.Linear.CreateCycles, Log: opts.Log, OnChange: a.resyncSprints}
	a.Syncer.Iterations = a.iterations
	// Field histories, where a connector offers them, date each side's
	// change in conflict records and decide the newest policy.
	if h, ok := any(a.Jira).(connectors.History); ok {
		a.Syncer.JiraHistory = h
	}
	if h, ok := any(a.Linear).(connectors.History); ok {
		a.Syncer.LinearHistory = h
	}
	// Scope and deletions, where the connectors can tell and do.
	a.Syncer.Deleted = cfg.Mapping.Deleted
	if sc, ok := any(a.Jira).(connectors.Scoper); ok {
		a.Syncer.JiraScope = sc
	}
	if sc, ok := any(a.Linear).(connectors.Scoper); ok {
		a.Syncer.LinearScope = sc
	}
	if d, ok := any(a.Jira).(connectors.Deleter); ok {
		a.Syncer.JiraDeleter = d
	}
	if d, ok := any(a.Linear).(connectors.Deleter); ok {
		a.Syncer.LinearDeleter = d
	}
	// Comments are mirrored when both connectors can.
	jcm, jok := any(a.Jira).(connectors.Commenter)
	lcm, lok := any(a.Linear).(connectors.Commenter)
	if jok && lok {
		a.Syncer.JiraComments, a.Syncer.LinearComments = jcm, lcm
	}
	// Files are mirrored when both connectors can, unless the mapping
	// turns them off.
	jat, jok := any(a.Jira).(connectors.Attacher)
	lat, lok := any(a.Linear).(connectors.Attacher)
	if jok && lok && filesOn(cfg.Mapping) {
		a.Syncer.JiraFiles, a.Syncer.LinearFiles, a.Syncer.FileCap = jat, lat, cfg.Mapping.FileCap
	}
	// Twins point at each other (a Jira remote link, a Linear attachment)
	// when both connectors can.
	jx, jok := any(a.Jira).(connectors.CrossLinker)
	lx, lok := any(a.Linear).(connectors.CrossLinker)
	if jok && lok {
		a.Syncer.JiraLinks, a.Syncer.LinearLinks = jx, lx
	}
	// Matching before creating, unless the mapping turns it off.
	if !cfg.Mapping.Match.Off {
		m := reconcile.Matching{JiraFinder: a.Jira, LinearFinder: a.Linear, LinearAttachments: a.Linear,
			JiraURL: cfg.JiraURL, JiraProject: a.Jira.ProjectKey(), Titles: cfg.Mapping.Match.TitleExact}
		if f := cfg.Mapping.Match.PairsFile; f != "" {
			ps, err := loadPairs(f)
			if err != nil {
				st.Close()
				return nil, err
			}
			m.Pairs = ps
		}
		a.Syncer.Match = m
	}
	a.Syncer.FirstSync = cfg.Mapping.FirstSync
	a.Syncer.NoCrossLinks = cfg.Mapping.NoCrossLinks
	if m := cfg.Mapping.OrderMaster; m == "jira" || m == "linear" {
		a.Syncer.OrderMaster = backlog.Side(m)
		jo, jok := any(a.Jira).(connectors.Orderer)
		lo, lok := any(a.Linear).(connectors.Orderer)
		if !jok || !lok {
			st.Close()
			return nil, &config.Error{Var: "TANDEM_ORDER_MASTER", Msg: "a connector cannot read or change order in this build"}
		}
		a.Order = &reconcile.OrderSyncer{Master: backlog.Side(m), Jira: jo, Linear: lo, State: st, Log: opts.Log}
	}
	a.Daemon = &daemon.Daemon{
		Syncer:    a.Syncer,
		State:     st,
		Jira:      daemon.Side{Conn: jc, Hooks: a.Jira},
		Linear:    daemon.Side{Conn: lc, Hooks: a.Linear},
		PollEvery: cfg.PollEvery, OrderCheckEvery: cfg.OrderCheckEvery,
		RetainAge: cfg.Mapping.Retention.MaxAge, RetainCount: cfg.Mapping.Retention.MaxCount,
		Workers: cfg.Workers,
		Log:     opts.Log,
		Budgets: map[string]func() budget.Snapshot{"jira": a.JiraBudget.Snapshot, "linear": a.LinearBudget.Snapshot},
	}
	if a.Order != nil {
		a.Daemon.Order = a.Order
	}
	a.Daemon.Progress = opts.Progress
	a.Daemon.OnPass = func(_ string, err error, _ time.Duration) { a.Metrics.Pass(err) }
	return a, nil
}

// Start listens on the configured address, registers webhooks when a
// public URL is known, and runs the daemon in the background.
func (a *App) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.Config.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s (TANDEM_LISTEN): %w", a.Config.Listen, err)
	}
	a.ln = ln
	public := strings.TrimRight(a.Config.PublicURL, "/")
	if public == "" && a.opts.SelfRegister {
		public = "http://" + ln.Addr().String()
	}
	if public != "" {
		if err := a.Jira.EnsureWebhook(ctx, public+"/webhooks/jira", a.Config.JiraWebhookSecret); err != nil {
			ln.Close()
			return fmt.Errorf("registering jira webhook: %w", err)
		}
		if err := a.Linear.EnsureWebhook(ctx, public+"/webhooks/linear", a.Config.LinearWebhookSecret); err != nil {
			ln.Close()
			return fmt.Errorf("registering linear webhook: %w", err)
		}
		a.opts.Log.Info("webhooks registered", "url", public)
	}
	a.srv = &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.cancel = cancel
	a.wg.Go(func() {
		if err := a.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.opts.Log.Error("http server stopped", "err", err)
		}
	})
	a.running.Store(true)
	a.wg.Go(func() {
		defer a.running.Store(false)
		if err := a.Daemon.Run(runCtx); err != nil {
			a.opts.Log.Error("daemon stopped", "err", err)
		}
	})
	a.opts.Log.Info("tandem running", "listen", ln.Addr().String(), "jira", a.Config.JiraProject, "linear", a.Config.LinearTeam)
	return nil
}

// Addr is the listen address once started.
func (a *App) Addr() string {
	if a.ln == nil {
		return ""
	}
	return a.ln.Addr().String()
}

// Close stops the HTTP server and the daemon, then closes the store.
func (a *App) Close() error {
	if a.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		a.srv.Shutdown(ctx)
		cancel()
	}
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
	if a.iterations != nil {
		a.iterations.Stop()
	}
	return a.State.Close()
}

func (a *App) observe(e reconcile.Event) {
	a.Feed.Observe(e)
	a.Metrics.Observe(e, e.SourceUpdated)
	if a.opts.Observe != nil {
		a.opts.Observe(e)
	}
}

// Handler serves the daemon's endpoints and, when an admin token is
// configured, the admin API under /api/ and the page under /ui.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", a.Daemon.Handler())
	mux.HandleFunc("GET /readyz", a.ready)
	mux.Handle("GET /metrics", a.Metrics.Handler())
	if a.Config.AdminToken == "" {
		return mux
	}
	api := (&admin.API{
		State: a.State, Token: a.Config.AdminToken, Feed: a.Feed, Log: a.opts.Log, Linker: a.Syncer,
		Enqueue: func(r *http.Request, ref backlog.Ref) error { return a.Daemon.Enqueue(r.Context(), ref) },
		Status: func() admin.Status {
			s := a.Daemon.Stats()
			return admin.Status{Queue: s.Queue, Passes: s.Passes, Failures: s.Failures, Deliveries: s.Deliveries}
		},
	}).Handler()
	mux.Handle("/api/", api)
	mux.Handle("/ui", api)
	mux.Handle("/ui/", api)
	return mux
}

func directions(m map[backlog.Field]string) map[backlog.Field]reconcile.Direction {
	out := make(map[backlog.Field]reconcile.Direction, len(m))
	for f, d := range m {
		out[f] = reconcile.Direction(d)
	}
	return out
}

func jiraUsers(m config.Mapping) map[string]string {
	out := map[string]string{}
	for email, u := range m.Users {
		if u.JiraAccountID != "" {
			out[email] = u.JiraAccountID
		}
	}
	return out
}

func linearUsers(m config.Mapping) map[string]string {
	out := map[string]string{}
	for email, u := range m.Users {
		if u.LinearEmail != "" {
			out[email] = u.LinearEmail
		}
	}
	return out
}

// resyncSprints queues a pass of every linked pair whose base is in one of
// the sprints or cycles named (a pairing made or changed): a Linear twin
// joins the cycle just made for its sprint. Reads the links and their
// bases from the state store only; the passes read the tools.
func (a *App) resyncSprints(ctx context.Context, names []string) {
	want := map[string]bool{}
	for _, n := range names {
		want[strings.ToLower(n)] = true
	}
	links, err := a.State.Links(ctx)
	if err != nil {
		a.opts.Log.Warn("listing links to resync sprints", "err", err)
		return
	}
	n := 0
	for _, l := range links {
		if l.Pending != "" || l.Stopped != "" {
			continue
		}
		b, err := a.State.Base(ctx, l.ID())
		if err != nil || !want[strings.ToLower(string(b[backlog.Sprint]))] {
			continue
		}
		// Both sides: a pass's cheap start looks at the side it is queued
		// for, and either side may be the one to catch up.
		for _, side := range []backlog.Side{backlog.Jira, backlog.Linear} {
			if err := a.Daemon.Enqueue(ctx, l.Ref(side)); err != nil {
				a.opts.Log.Warn("queueing a pass for a new sprint pairing", "jira", l.Jira.Key, "err", err)
			}
		}
		n++
	}
	if n > 0 {
		a.opts.Log.Info("sprint pairing changed: pairs queued", "pairs", n)
	}
}

// loadPairs reads a pairs file (match.pairs in the mapping).
func loadPairs(path string) (match.PairSet, error) {
	f, err := os.Open(path)
	if err != nil {
		return match.PairSet{}, fmt.Errorf("reading the pairs file: %w", err)
	}
	defer f.Close()
	ps, err := match.ParsePairs(f)
	if err != nil {
		return ps, fmt.Errorf("pairs file %s: %w", path, err)
	}
	return ps, nil
}

// filesOn says whether files sync: on unless the mapping says
// attachments: off or fields.attachments.direction: off.
func filesOn(m config.Mapping) bool {
	return !m.NoFiles && m.Directions[backlog.Attachments] != "off"
}
