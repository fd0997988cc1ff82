package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime/pprof"
	"time"

	"github.com/tandem-sync/tandem/app"
	"github.com/tandem-sync/tandem/config"
	"github.com/tandem-sync/tandem/connectors"
	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
	"github.com/tandem-sync/tandem/reconcile"
)

// Env is a running world: two sandboxes and one Tandem syncing them.
type Env struct {
	Jira    *jirasb.Server
	Linear  *linearsb.Server
	App     *app.App
	Config  config.Config
	opts    app.Options
	noStart bool
}

// EnvOptions shape an Env.
type EnvOptions struct {
	DataDir     string // embedded store directory (required unless RedisURL)
	RedisURL    string
	RedisPrefix string
	Listen      string        // default 127.0.0.1:0
	PollEvery   time.Duration // default 1 s
	JiraSeed    int           // sandbox SeedIssues (0 = default backlog, -1 none)
	LinearSeed  int
	Webhooks    bool // register webhooks (false: polling only)
	Log         *slog.Logger
	Observe     func(reconcile.Event)
	Policy      string
	// AdminToken turns on the admin API and page.
	AdminToken string
	// OrderMaster turns on order mirroring ("jira" or "linear").
	OrderMaster string
	// MappingFile is a mapping file to load (TANDEM_MAPPING).
	MappingFile string
	// Wrap wraps the connectors the syncer uses (fault injection).
	Wrap func(connectors.Connector) connectors.Connector
	// RateLimits makes the sandboxes enforce the real tools' budgets:
	// Linear's per-key request and complexity budgets, Jira's burst 429s.
	RateLimits bool
	// NoStart builds Tandem without starting its daemon (tandem plan,
	// tandem diff before a first start); Restart starts it.
	NoStart bool
	// Seed, when set, fills the sandboxes before Tandem starts (a world
	// of existing issues).
	Seed func(j *jirasb.Server, l *linearsb.Server) error
}

// DemoOptions are the options of `tandem demo`: the embedded store in dir,
// webhooks registered, order mirrored with Jira's ranking leading, and
// otherwise the defaults a first-time user gets (the default mapping, so
// labels are not created in Linear).
func DemoOptions(dir string, log *slog.Logger) EnvOptions {
	return EnvOptions{DataDir: dir, Webhooks: true, Log: log, OrderMaster: "jira"}
}

// StartEnv starts both sandboxes and Tandem. Close it when done.
func StartEnv(ctx context.Context, o EnvOptions) (*Env, error) {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.PollEvery == 0 {
		o.PollEvery = time.Second
	}
	if o.Policy == "" {
		o.Policy = "jira"
	}
	if o.OrderMaster == "" {
		o.OrderMaster = "off"
	}
	jopts, lopts := jirasb.Options{SeedIssues: o.JiraSeed}, linearsb.Options{SeedIssues: o.LinearSeed}
	if o.RateLimits {
		jopts.RateLimit, lopts.Budget = jirasb.DefaultBurst(), linearsb.DefaultBudget()
	}
	e := &Env{}
	var jiraURL, linearURL string
	var err error
	// The sandboxes' goroutines (servers, webhook deliveries) carry a
	// profiler label, so a CPU profile tells their work from Tandem's
	// (the benchmarks' cpuByPart).
	pprof.Do(ctx, pprof.Labels(partLabel, "sandbox"), func(context.Context) {
		e.Jira, e.Linear = jirasb.New(jopts), linearsb.New(lopts)
		if jiraURL, err = e.Jira.Start("127.0.0.1:0"); err != nil {
			err = fmt.Errorf("starting jira sandbox: %w", err)
			return
		}
		if linearURL, err = e.Linear.Start("127.0.0.1:0"); err != nil {
			e.Jira.Close()
			err = fmt.Errorf("starting linear sandbox: %w", err)
		}
	})
	if err != nil {
		return nil, err
	}
	e.Config = config.Config{
		JiraURL: jiraURL, JiraEmail: jirasb.BotEmail, JiraToken: jirasb.BotToken, JiraProject: "TAN",
		JiraWebhookSecret: secret(),
		LinearURL:         linearURL, LinearAPIKey: linearsb.BotKey, LinearTeam: "ENG",
		LinearWebhookSecret: secret(),
		RedisURL:            o.RedisURL, RedisPrefix: o.RedisPrefix, DataDir: o.DataDir,
		Listen: o.Listen, PollEvery: o.PollEvery, Workers: 4, Policy: o.Policy, LogLevel: "info",
		AdminToken: o.AdminToken, OrderMaster: o.OrderMaster, MappingFile: o.MappingFile,
	}
	if err := e.Config.Validate(); err != nil {
		e.Close()
		return nil, err
	}
	if err := e.Config.LoadMapping(); err != nil {
		e.Close()
		return nil, err
	}
	if o.Seed != nil {
		if err := o.Seed(e.Jira, e.Linear); err != nil {
			e.Close()
			return nil, fmt.Errorf("seeding the sandboxes: %w", err)
		}
	}
	e.opts = app.Options{Log: o.Log, Observe: o.Observe, SelfRegister: o.Webhooks, Wrap: o.Wrap}
	e.noStart = o.NoStart
	if err := e.startApp(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// partLabel is the profiler label that tells which part of an Env a
// goroutine works for: "sandbox" or "daemon".
const partLabel = "tandem"

func (e *Env) startApp(ctx context.Context) (err error) {
	pprof.Do(ctx, pprof.Labels(partLabel, "daemon"), func(context.Context) {
		var a *app.App
		if a, err = app.New(ctx, e.Config, e.opts); err != nil {
			return
		}
		if !e.noStart {
			if err = a.Start(ctx); err != nil {
				a.Close()
				return
			}
		}
		e.App = a
	})
	return err
}

// Restart stops Tandem and starts it again on the same store and
// sandboxes, as after a crash or a deploy. wrap, when given, replaces the
// connector wrapper for the new run.
func (e *Env) Restart(ctx context.Context, wrap ...func(connectors.Connector) connectors.Connector) error {
	e.noStart = false
	if len(wrap) > 0 {
		e.opts.Wrap = wrap[0]
	}
	if e.App != nil {
		e.App.Close()
		e.App = nil
	}
	return e.startApp(ctx)
}

// Close stops Tandem and both sandboxes.
func (e *Env) Close() {
	if e.App != nil {
		e.App.Close()
	}
	e.Jira.Close()
	e.Linear.Close()
}

func secret() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// WaitFor polls cond every 0.5 ms until it holds or timeout passes, and
// returns how long it took (the resolution of the demo's latency figures).
func WaitFor(ctx context.Context, timeout time.Duration, cond func() bool) (time.Duration, error) {
	start := time.Now()
	err := pollEvery(ctx, timeout, 500*time.Microsecond, cond)
	return time.Since(start), err
}

func pollEvery(ctx context.Context, timeout, every time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not reached within %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
}
