package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sethvargo/go-envconfig"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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

func logger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(strings.ToUpper(level)))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func envLookup() envconfig.Lookuper { return envconfig.OsLookuper() }

func loadConfig(ctx context.Context) (config.Config, error) {
	return config.Load(ctx, envLookup())
}

func newRunCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Run the sync daemon (configured by TANDEM_* environment variables)",
		Long: `Run the sync daemon until interrupted (SIGINT or SIGTERM).

It takes no flags: every setting is a TANDEM_* environment variable (the README has the
table). A missing or bad setting stops it with one line naming the variable and exit 2.
The first start backfills: every unlinked issue in scope on either side gets a twin.`,
		Example: `  TANDEM_JIRA_URL=https://acme.atlassian.net TANDEM_JIRA_EMAIL=bot@acme.com \
  TANDEM_JIRA_TOKEN=... TANDEM_JIRA_PROJECT=TAN \
  TANDEM_LINEAR_API_KEY=lin_api_... TANDEM_LINEAR_TEAM=ENG tandem run`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			return cmdRun(cmd.Context(), cmd.ErrOrStderr())
		}),
	}
}

func cmdRun(ctx context.Context, stderr io.Writer) error {
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

type demoFlags struct {
	keep, verbose bool
	dataDir       string
}

func newDemoCmd() *cobra.Command {
	var f demoFlags
	c := &cobra.Command{
		Use:   "demo",
		Short: "Start both sandboxes and the daemon in one process and play a scenario",
		Long: `Start the Jira and Linear sandboxes and the daemon in one process (embedded store,
webhooks on), play a scripted scenario (edits on both sides, a conflict, a move) and print
how long each change took to reach the other side. Nothing outside this process is touched.

With --keep it stays up afterwards and prints the sandboxes' URLs and credentials so you
can try both APIs yourself.`,
		Example: `  tandem demo
  tandem demo --keep --data ./demo-data   # stay up, keep the store afterwards
  tandem demo -v                          # log every sync pass`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			return cmdDemo(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		}),
	}
	c.Flags().BoolVar(&f.keep, "keep", false, "keep running after the scenario")
	c.Flags().StringVar(&f.dataDir, "data", "", "embedded store directory (default: a temporary one, removed afterwards)")
	c.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "log every sync pass")
	c.Flags().SetNormalizeFunc(alias("v", "verbose"))
	return c
}

func cmdDemo(ctx context.Context, f demoFlags, stdout, stderr io.Writer) error {
	dir := f.dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "tandem-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	level := "warn"
	if f.verbose {
		level = "info"
	}
	fmt.Fprintln(stdout, "tandem demo: Jira and Linear sandboxes + the daemon, embedded store in", dir)
	env, err := demo.StartEnv(ctx, demo.DemoOptions(dir, logger(stderr, level)))
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
	if !f.keep {
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

type sandboxFlags struct {
	jiraAddr, linearAddr string
	seed                 int
	limits               bool
}

func newSandboxCmd() *cobra.Command {
	var f sandboxFlags
	c := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve the Jira and Linear sandboxes standalone",
		Long: `Serve the Jira (REST v3) and Linear (GraphQL) sandboxes until interrupted, for trying
the APIs by hand or pointing a separate "tandem run" at them.

The tools' rate limits are on by default, as in the real services: Linear's request and
complexity budgets and Jira's burst limit. --rate-limits=false turns them off.`,
		Example: `  tandem sandbox
  tandem sandbox --jira-addr 127.0.0.1:9081 --linear-addr 127.0.0.1:9082 --seed 200
  tandem sandbox --seed -1 --rate-limits=false   # empty, unthrottled`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			return cmdSandbox(cmd.Context(), f, cmd.OutOrStdout())
		}),
	}
	c.Flags().StringVar(&f.jiraAddr, "jira-addr", "127.0.0.1:8081", "Jira sandbox listen address")
	c.Flags().StringVar(&f.linearAddr, "linear-addr", "127.0.0.1:8082", "Linear sandbox listen address")
	c.Flags().IntVar(&f.seed, "seed", 0, "issues to seed on each side (0: the default backlog, -1: none)")
	c.Flags().BoolVar(&f.limits, "rate-limits", true, "enforce the tools' rate limits (Linear's request and complexity budgets, Jira's burst limit); --rate-limits=false turns them off")
	return c
}

func cmdSandbox(ctx context.Context, f sandboxFlags, stdout io.Writer) error {
	jopts, lopts := jirasb.Options{SeedIssues: f.seed}, linearsb.Options{SeedIssues: f.seed}
	if f.limits {
		jopts.RateLimit, lopts.Budget = jirasb.DefaultBurst(), linearsb.DefaultBudget()
	}
	j := jirasb.New(jopts)
	ju, err := j.Start(f.jiraAddr)
	if err != nil {
		return fmt.Errorf("starting jira sandbox on %s: %w", f.jiraAddr, err)
	}
	defer j.Close()
	l := linearsb.New(lopts)
	lu, err := l.Start(f.linearAddr)
	if err != nil {
		return fmt.Errorf("starting linear sandbox on %s: %w", f.linearAddr, err)
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

func newLinksCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "links",
		Short: "List linked pairs (reads the configured state store)",
		Long: `List every linked pair from the configured state store (TANDEM_REDIS_URL, or the
embedded store in TANDEM_DATA_DIR): both keys, the link, when it was made, and whether it
syncs, waits for a twin to be created, or stopped (and why).

The embedded store serves one process at a time: stop the daemon first, or use Redis.`,
		Example: `  tandem links
  tandem links --json | jq '.[] | select(.stopped)'`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			return cmdLinks(cmd.Context(), asJSON, cmd.OutOrStdout())
		}),
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func cmdLinks(ctx context.Context, asJSON bool, stdout io.Writer) error {
	st, err := openState(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	links, err := st.Links(ctx)
	if err != nil {
		return err
	}
	if asJSON {
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

func newConfigCmd() *cobra.Command {
	var asJSON bool
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and the mapping file against both tools",
		Long: `Load the configuration (TANDEM_* variables and the TANDEM_MAPPING file), connect to
both tools without starting the daemon, and check the mapping against their live metadata:
statuses, workflow transitions, priorities, labels, the estimate field, the Linear project
and the JQL. Each problem is printed with its file:line.

Exit 0 when fine (warnings allowed), 1 on any error, 2 when a variable is missing or bad.`,
		Example: `  tandem config check
  TANDEM_MAPPING=./mapping.yaml tandem config check --json`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			return cmdConfigCheck(cmd.Context(), asJSON, cmd.OutOrStdout())
		}),
	}
	check.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c := &cobra.Command{
		Use:     "config",
		Short:   "Check the configuration (see: tandem config check)",
		Example: `  tandem config check`,
		Args:    cobra.NoArgs,
		RunE: runE(func(*cobra.Command, []string) error {
			return usageError{errors.New("which config command? (check)")}
		}),
	}
	c.AddCommand(check)
	return c
}

// alias makes --from mean --to (the standard flag package's one-letter
// -v became pflag's shorthand of --verbose; --v keeps working).
func alias(from, to string) func(*pflag.FlagSet, string) pflag.NormalizedName {
	return func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == from {
			name = to
		}
		return pflag.NormalizedName(name)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
