package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tandem-sync/tandem/admin"
	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/config"
	"github.com/tandem-sync/tandem/reconcile"
	"github.com/tandem-sync/tandem/store"
)

// conflictLog is where the CLI reads and settles conflicts: the running
// daemon's admin API when it answers, else the state store directly.
type conflictLog interface {
	List(ctx context.Context, f store.ConflictFilter) ([]backlog.Conflict, error)
	Get(ctx context.Context, id string) (backlog.Conflict, error)
	Resolve(ctx context.Context, id string, d reconcile.Decision) (backlog.Conflict, error)
	Close() error
}

// openConflictLog prefers the admin API (TANDEM_ADMIN_URL, default the
// local TANDEM_LISTEN address, with TANDEM_ADMIN_TOKEN); with no token or
// no daemon answering it opens the store.
func openConflictLog(ctx context.Context, server string) (conflictLog, string, error) {
	cfg, cfgErr := config.Load(ctx, envLookup())
	token := os.Getenv("TANDEM_ADMIN_TOKEN")
	if server == "" {
		server = os.Getenv("TANDEM_ADMIN_URL")
	}
	if server == "" && cfgErr == nil {
		host, port, _ := net.SplitHostPort(cfg.Listen)
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		server = "http://" + net.JoinHostPort(host, port)
	}
	if token != "" && server != "" {
		c := &apiLog{base: strings.TrimRight(server, "/"), token: token, http: &http.Client{Timeout: 10 * time.Second}}
		if err := c.ping(ctx); err == nil {
			return c, "admin API at " + c.base, nil
		}
	}
	if cfgErr != nil {
		return nil, "", cfgErr
	}
	st, err := openState(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("%w (is the daemon running? set TANDEM_ADMIN_TOKEN to go through its admin API)", err)
	}
	return &storeLog{st: st}, "state store", nil
}

type storeLog struct{ st store.State }

func (s *storeLog) List(ctx context.Context, f store.ConflictFilter) ([]backlog.Conflict, error) {
	return s.st.Conflicts(ctx, f)
}
func (s *storeLog) Get(ctx context.Context, id string) (backlog.Conflict, error) {
	return s.st.Conflict(ctx, id)
}

// Resolve records the decision and marks the link dirty, so the daemon
// applies it at its next start (or, on a shared Redis, its next pass of
// the link).
func (s *storeLog) Resolve(ctx context.Context, id string, d reconcile.Decision) (backlog.Conflict, error) {
	c, err := reconcile.Resolve(ctx, s.st, id, d, time.Now())
	if err != nil {
		return c, err
	}
	if _, err := s.st.MarkDirty(ctx, c.Jira.String()); err != nil {
		return c, fmt.Errorf("decision saved; marking %s for a sync pass: %w", c.Jira, err)
	}
	return c, nil
}
func (s *storeLog) Close() error { return s.st.Close() }

type apiLog struct {
	base, token string
	http        *http.Client
}

func (a *apiLog) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		json.Unmarshal(data, &e)
		msg := e.Error
		if msg == "" {
			msg = strings.TrimSpace(string(data))
		}
		switch resp.StatusCode {
		case http.StatusNotFound:
			return fmt.Errorf("%s: %w", msg, store.ErrNotFound)
		case http.StatusConflict:
			return fmt.Errorf("%s: %w", msg, reconcile.ErrSettled)
		case http.StatusBadRequest:
			return fmt.Errorf("%s: %w", msg, reconcile.ErrBadDecision)
		}
		return fmt.Errorf("admin API %s %s: %s: %s", method, path, resp.Status, msg)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (a *apiLog) ping(ctx context.Context) error {
	return a.do(ctx, "GET", "/api/v1/status", nil, nil)
}

func (a *apiLog) List(ctx context.Context, f store.ConflictFilter) ([]backlog.Conflict, error) {
	q := url.Values{}
	if f.OpenOnly {
		q.Set("open", "true")
	}
	if f.Field != "" {
		q.Set("field", string(f.Field))
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.Format(time.RFC3339))
	}
	if f.Limit > 0 {
		q.Set("limit", fmt.Sprint(f.Limit))
	}
	var out struct{ Conflicts []backlog.Conflict }
	err := a.do(ctx, "GET", "/api/v1/conflicts?"+q.Encode(), nil, &out)
	return out.Conflicts, err
}

func (a *apiLog) Get(ctx context.Context, id string) (backlog.Conflict, error) {
	var c backlog.Conflict
	err := a.do(ctx, "GET", "/api/v1/conflicts/"+url.PathEscape(id), nil, &c)
	return c, err
}

func (a *apiLog) Resolve(ctx context.Context, id string, d reconcile.Decision) (backlog.Conflict, error) {
	req := admin.ResolveRequest{Take: d.Take, By: d.By}
	if d.Take == "value" {
		v := string(d.Value)
		req.Take, req.Value = "", &v
	}
	var c backlog.Conflict
	err := a.do(ctx, "POST", "/api/v1/conflicts/"+url.PathEscape(id)+"/resolve", req, &c)
	return c, err
}

func (a *apiLog) Close() error { return nil }

type listFlags struct {
	open, asJSON         bool
	field, since, server string
	limit                int
}

func (f *listFlags) add(fs *pflag.FlagSet) {
	fs.BoolVar(&f.open, "open", false, "only conflicts waiting for a decision")
	fs.StringVar(&f.field, "field", "", "only this field (title, description, status, assignee, labels, estimate, priority, ...)")
	fs.StringVar(&f.since, "since", "", "only conflicts at or after this time (RFC 3339 or YYYY-MM-DD)")
	fs.IntVar(&f.limit, "limit", 0, "at most this many (0: all)")
	fs.BoolVar(&f.asJSON, "json", false, "print JSON")
	serverFlag(fs, &f.server)
}

func newConflictsCmd() *cobra.Command {
	var lf listFlags
	c := &cobra.Command{
		Use:   "conflicts",
		Short: "The conflict log: list, show and settle conflicts",
		Long: `The conflict log: every time both sides changed a field differently since the last sync,
with both values, the base, who and when, the policy applied and the outcome. Under the
manual policy (or manual-for) a conflict waits for a decision: settle it with resolve.

It goes through the running daemon's admin API when TANDEM_ADMIN_TOKEN is set and the
daemon answers (at --server, $TANDEM_ADMIN_URL, or the local TANDEM_LISTEN address), else
it opens the state store itself. With no subcommand it lists, taking list's flags.`,
		Example: `  tandem conflicts --open
  tandem conflicts list --field title --since 2026-11-01 --json
  tandem conflicts show c42
  tandem conflicts resolve c42 --take linear`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			return conflictsList(cmd.Context(), lf, cmd.OutOrStdout())
		}),
	}
	lf.add(c.Flags())

	var lf2 listFlags
	list := &cobra.Command{
		Use:   "list",
		Short: "List conflicts, newest first",
		Example: `  tandem conflicts list --open
  tandem conflicts list --field title --since 2026-11-01
  tandem conflicts list --limit 20 --json`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			return conflictsList(cmd.Context(), lf2, cmd.OutOrStdout())
		}),
	}
	lf2.add(list.Flags())

	var showJSON bool
	var showServer string
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one conflict: both values side by side, the base, who and when",
		Example: `  tandem conflicts show c42
  tandem conflicts show c42 --json`,
		Args: cobra.ExactArgs(1),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return conflictsShow(cmd.Context(), args[0], showJSON, showServer, cmd.OutOrStdout())
		}),
	}
	show.Flags().BoolVar(&showJSON, "json", false, "print JSON")
	serverFlag(show.Flags(), &showServer)

	var take, value, resolveServer string
	resolve := &cobra.Command{
		Use:   "resolve ID (--take jira|linear|base | --value V)",
		Short: "Settle an open conflict: take one side's value, the base, or a value of your own",
		Long: `Settle an open conflict: --take jira, linear or base, or --value with a value of your own.
The decision is recorded with who made it (cli:$USER) and applied by the daemon: at once
through the admin API, else at its next sync pass of the pair.`,
		Example: `  tandem conflicts resolve c42 --take linear
  tandem conflicts resolve c42 --value "Agreed title"
  tandem conflicts resolve c43 --value "started:In Progress"`,
		Args: cobra.ExactArgs(1),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return conflictsResolve(cmd.Context(), args[0], take, value, cmd.Flags().Changed("value"), resolveServer, cmd.OutOrStdout())
		}),
	}
	resolve.Flags().StringVar(&take, "take", "", "jira, linear or base")
	resolve.Flags().StringVar(&value, "value", "", "a value of your own (canonical form, e.g. a title, or started:In Progress)")
	serverFlag(resolve.Flags(), &resolveServer)

	c.AddCommand(list, show, resolve)
	return c
}

func serverFlag(fs *pflag.FlagSet, p *string) {
	fs.StringVar(p, "server", "", "daemon admin URL (default $TANDEM_ADMIN_URL or the local TANDEM_LISTEN address)")
}

func conflictsList(ctx context.Context, lf listFlags, stdout io.Writer) error {
	q := map[string][]string{"open": {fmt.Sprint(lf.open)}, "limit": {fmt.Sprint(lf.limit)}}
	if lf.field != "" {
		q["field"] = []string{lf.field}
	}
	if lf.since != "" {
		q["since"] = []string{lf.since}
	}
	f, err := admin.ParseFilter(q)
	if err != nil {
		return usageError{err}
	}
	log, _, err := openConflictLog(ctx, lf.server)
	if err != nil {
		return err
	}
	defer log.Close()
	cs, err := log.List(ctx, f)
	if err != nil {
		return err
	}
	if lf.asJSON {
		if cs == nil {
			cs = []backlog.Conflict{}
		}
		return json.NewEncoder(stdout).Encode(cs)
	}
	if len(cs) == 0 {
		fmt.Fprintln(stdout, "no conflicts")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWHEN\tJIRA\tLINEAR\tFIELD\tPOLICY\tOUTCOME")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.At.Local().Format("2006-01-02 15:04:05"), orDash(c.Jira.Key), orDash(c.Linear.Key), c.Field, c.Policy, outcome(c))
	}
	return tw.Flush()
}

func outcome(c backlog.Conflict) string {
	switch {
	case c.Open():
		return "OPEN"
	case c.Took != "":
		return "took " + c.Took + " (" + c.SettledBy + ")"
	default:
		return "kept " + string(c.Decision)
	}
}

func conflictsShow(ctx context.Context, id string, asJSON bool, server string, stdout io.Writer) error {
	log, _, err := openConflictLog(ctx, server)
	if err != nil {
		return err
	}
	defer log.Close()
	c, err := log.Get(ctx, id)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(stdout).Encode(c)
	}
	printConflict(stdout, c)
	return nil
}

func printConflict(w io.Writer, c backlog.Conflict) {
	fmt.Fprintf(w, "conflict %s on %s of %s / %s\n", c.ID, c.Field, orDash(c.Jira.Key), orDash(c.Linear.Key))
	fmt.Fprintf(w, "  detected  %s\n", c.At.Local().Format(time.RFC3339))
	fmt.Fprintf(w, "  base      %s\n", quoteValue(c.Base))
	fmt.Fprintf(w, "  jira      %s%s\n", quoteValue(c.JiraVal), who(c.JiraBy, c.JiraAt))
	fmt.Fprintf(w, "  linear    %s%s\n", quoteValue(c.LinVal), who(c.LinearBy, c.LinearAt))
	fmt.Fprintf(w, "  policy    %s\n", c.Policy)
	if c.Open() {
		fmt.Fprintf(w, "  outcome   OPEN: settle with `tandem conflicts resolve %s --take jira|linear|base` or `--value V`\n", c.ID)
		return
	}
	fmt.Fprintf(w, "  outcome   %s, value %s, by %s at %s", outcome(c), quoteValue(c.Value), c.SettledBy, c.SettledAt.Local().Format(time.RFC3339))
	if !c.Applied {
		fmt.Fprint(w, " (waiting for the next sync pass)")
	}
	fmt.Fprintln(w)
}

func who(by string, at time.Time) string {
	var parts []string
	if by != "" {
		parts = append(parts, "by "+by)
	}
	if !at.IsZero() {
		parts = append(parts, "at "+at.Local().Format(time.RFC3339))
	}
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, " ") + ")"
}

func quoteValue(v backlog.Value) string {
	s := string(v)
	if strings.Contains(s, "\n") {
		return "\n      | " + strings.ReplaceAll(s, "\n", "\n      | ")
	}
	return fmt.Sprintf("%q", s)
}

func conflictsResolve(ctx context.Context, id, take, value string, valueSet bool, server string, stdout io.Writer) error {
	if (take == "") == !valueSet {
		return usageError{errors.New("give one of --take jira|linear|base or --value V")}
	}
	d := reconcile.Decision{Take: take, By: "cli"}
	if valueSet {
		d.Take, d.Value = "value", backlog.Value(value)
	}
	if u := os.Getenv("USER"); u != "" {
		d.By = "cli:" + u
	}
	log, via, err := openConflictLog(ctx, server)
	if err != nil {
		return err
	}
	defer log.Close()
	c, err := log.Resolve(ctx, id, d)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "settled through the %s:\n", via)
	printConflict(stdout, c)
	return nil
}
