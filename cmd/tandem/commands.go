package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/tandem-sync/tandem/app"
	"github.com/tandem-sync/tandem/config"
	jirasb "github.com/tandem-sync/tandem/connectors/jira/sandbox"
	linearsb "github.com/tandem-sync/tandem/connectors/linear/sandbox"
	"github.com/tandem-sync/tandem/demo"
	"github.com/tandem-sync/tandem/store"
)

// usageError marks bad flags or arguments (exit code 2).
type usageError struct{ error }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || config.IsConfigError(err) {
		return 2
	}
	return 1
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func logger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(strings.ToUpper(level)))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func envLookup() envconfig.Lookuper { return envconfig.OsLookuper() }

func loadConfig(ctx context.Context) (config.Config, error) {
	return config.Load(ctx, envLookup())
}

func cmdRun(ctx context.Context, args []string, stderr io.Writer) error {
	if err := parse(newFlags("run"), args); err != nil {
		return err
	}
	cfg, err := loadConfig(ctx)
	if err != nil {
		return err
	}
	log := logger(stderr, cfg.LogLevel)
	opts := app.Options{Log: log}
	if f, ok := stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			opts.Progress = stderr
		}
	}
	a, err := app.New(ctx, cfg, opts)
	if err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		a.Close()
		return err
	}
	<-ctx.Done()
	log.Info("stopping")
	return a.Close()
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo")
	keep := fs.Bool("keep", false, "keep running after the scenario")
	dataDir := fs.String("data", "", "embedded store directory (default: a temporary one)")
	verbose := fs.Bool("v", false, "log every sync pass")
	if err := parse(fs, args); err != nil {
		return err
	}
	dir := *dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "tandem-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	level := "warn"
	if *verbose {
		level = "info"
	}
	fmt.Fprintln(stdout, "tandem demo: Jira and Linear sandboxes + the daemon, embedded store in", dir)
	env, err := demo.StartEnv(ctx, demo.EnvOptions{DataDir: dir, Webhooks: true, Log: logger(stderr, level), OrderMaster: "jira"})
	if err != nil {
		return err
	}
	defer env.Close()
	rep, err := env.RunScenario(ctx, stdout)
	if err != nil {
		return err
	}
	if rep.JiraWrites+rep.LinearWrites != rep.ExpectedWrites {
		return fmt.Errorf("expected %d writes by tandem, saw jira %d + linear %d", rep.ExpectedWrites, rep.JiraWrites, rep.LinearWrites)
	}
	if !*keep {
		fmt.Fprintln(stdout, "demo done")
		return nil
	}
	printAccess(stdout, env.Jira.URL(), env.Linear.URL())
	fmt.Fprintf(stdout, "tandem:  http://%s (webhooks at /webhooks/jira and /webhooks/linear, health at /healthz)\nCtrl-C to stop.\n", env.App.Addr())
	<-ctx.Done()
	return nil
}

func printAccess(w io.Writer, jiraURL, linearURL string) {
	fmt.Fprintf(w, "jira:    %s  (basic auth %s:%s, or alice@example.com:alice-token)\n", jiraURL, jirasb.BotEmail, jirasb.BotToken)
	fmt.Fprintf(w, "linear:  %s/graphql  (Authorization: %s, or lin_api_alice)\n", linearURL, linearsb.BotKey)
}

func cmdSandbox(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("sandbox")
	jiraAddr := fs.String("jira-addr", "127.0.0.1:8081", "Jira sandbox listen address")
	linearAddr := fs.String("linear-addr", "127.0.0.1:8082", "Linear sandbox listen address")
	seed := fs.Int("seed", 0, "issues to seed on each side (0: the default backlog, -1: none)")
	limits := fs.Bool("rate-limits", true, "enforce the tools' rate limits (Linear's request and complexity budgets, Jira's burst limit)")
	if err := parse(fs, args); err != nil {
		return err
	}
	jopts, lopts := jirasb.Options{SeedIssues: *seed}, linearsb.Options{SeedIssues: *seed}
	if *limits {
		jopts.RateLimit, lopts.Budget = jirasb.DefaultBurst(), linearsb.DefaultBudget()
	}
	j := jirasb.New(jopts)
	ju, err := j.Start(*jiraAddr)
	if err != nil {
		return fmt.Errorf("starting jira sandbox on %s: %w", *jiraAddr, err)
	}
	defer j.Close()
	l := linearsb.New(lopts)
	lu, err := l.Start(*linearAddr)
	if err != nil {
		return fmt.Errorf("starting linear sandbox on %s: %w", *linearAddr, err)
	}
	defer l.Close()
	printAccess(stdout, ju, lu)
	fmt.Fprintln(stdout, "Ctrl-C to stop.")
	<-ctx.Done()
	return nil
}

func openState(ctx context.Context) (store.State, error) {
	cfg, err := loadConfig(ctx)
	if err != nil {
		return nil, err
	}
	return app.OpenState(ctx, cfg)
}

func cmdLinks(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("links")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openState(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	links, err := st.Links(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(links)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JIRA\tLINEAR\tLINK\tCREATED\tSTATE")
	for _, l := range links {
		state := "linked"
		switch {
		case l.Pending != "":
			state = "creating " + string(l.Pending) + " twin"
		case l.Stopped != "":
			state = "stopped: " + l.Stopped
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", orDash(l.Jira.Key), orDash(l.Linear.Key), l.ID(), l.Created.Format(time.RFC3339), state)
	}
	return tw.Flush()
}

func cmdConfig(ctx context.Context, args []string, stdout io.Writer) error {
	return cmdConfigCheck(ctx, args, stdout)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
