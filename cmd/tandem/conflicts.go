package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

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

func cmdConflicts(ctx context.Context, args []string, stdout io.Writer) error {
	sub := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "list":
		return conflictsList(ctx, args, stdout)
	case "show":
		return conflictsShow(ctx, args, stdout)
	case "resolve":
		return conflictsResolve(ctx, args, stdout)
	}
	return usageError{fmt.Errorf("unknown conflicts command %q (list, show ID, resolve ID --take jira|linear|base | --value V)", sub)}
}

func serverFlag(fs *flag.FlagSet) *string {
	return fs.String("server", "", "daemon admin URL (default $TANDEM_ADMIN_URL or the local TANDEM_LISTEN address)")
}

func conflictsList(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("conflicts list")
	open := fs.Bool("open", false, "only conflicts waiting for a decision")
	field := fs.String("field", "", "only this field")
	since := fs.String("since", "", "only conflicts at or after this time (RFC 3339 or YYYY-MM-DD)")
	limit := fs.Int("limit", 0, "at most this many")
	asJSON := fs.Bool("json", false, "print JSON")
	server := serverFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	q := map[string][]string{"open": {fmt.Sprint(*open)}, "limit": {fmt.Sprint(*limit)}}
	if *field != "" {
		q["field"] = []string{*field}
	}
	if *since != "" {
		q["since"] = []string{*since}
	}
	f, err := admin.ParseFilter(q)
	if err != nil {
		return usageError{err}
	}
	log, _, err := openConflictLog(ctx, *server)
	if err != nil {
		return err
	}
	defer log.Close()
	cs, err := log.List(ctx, f)
	if err != nil {
		return err
	}
	if *asJSON {
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

func conflictsShow(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("conflicts show")
	asJSON := fs.Bool("json", false, "print JSON")
	server := serverFlag(fs)
	id, args := popID(args)
	if err := parse(fs, args); err != nil {
		return err
	}
	if id == "" {
		return usageError{errors.New("usage: tandem conflicts show ID")}
	}
	log, _, err := openConflictLog(ctx, *server)
	if err != nil {
		return err
	}
	defer log.Close()
	c, err := log.Get(ctx, id)
	if err != nil {
		return err
	}
	if *asJSON {
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

// popID takes a leading positional ID so flags may follow it.
func popID(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

func conflictsResolve(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("conflicts resolve")
	take := fs.String("take", "", "jira, linear or base")
	value := fs.String("value", "", "a value of your own (canonical form, e.g. a title, or started:In Progress)")
	server := serverFlag(fs)
	id, args := popID(args)
	if err := parse(fs, args); err != nil {
		return err
	}
	valueSet := false
	fs.Visit(func(f *flag.Flag) { valueSet = valueSet || f.Name == "value" })
	if id == "" || (*take == "") == !valueSet {
		return usageError{errors.New("usage: tandem conflicts resolve ID --take jira|linear|base, or --value V")}
	}
	d := reconcile.Decision{Take: *take, By: "cli"}
	if valueSet {
		d.Take, d.Value = "value", backlog.Value(*value)
	}
	if u := os.Getenv("USER"); u != "" {
		d.By = "cli:" + u
	}
	log, via, err := openConflictLog(ctx, *server)
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
