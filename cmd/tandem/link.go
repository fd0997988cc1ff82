package main

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
	"time"

	"github.com/spf13/cobra"

	"github.com/tandem-sync/tandem/admin"
	"github.com/tandem-sync/tandem/app"
	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/match"
	"github.com/tandem-sync/tandem/reconcile"
)

// linker pairs items by hand: through the daemon's admin API when it
// answers (TANDEM_ADMIN_TOKEN), else with the tools and the store directly.
type linker interface {
	Link(ctx context.Context, jira, linear string) (admin.LinkRequest, error)
	Unlink(ctx context.Context, side backlog.Side, key string) error
	Close() error
}

func openLinker(ctx context.Context, server string) (linker, error) {
	token := os.Getenv("TANDEM_ADMIN_TOKEN")
	if server == "" {
		server = os.Getenv("TANDEM_ADMIN_URL")
	}
	if server == "" {
		if cfg, err := loadConfig(ctx); err == nil {
			server = localAdmin(cfg.Listen)
		}
	}
	if token != "" && server != "" {
		c := &apiLog{base: strings.TrimRight(server, "/"), token: token, http: &http.Client{Timeout: 30 * time.Second}}
		if err := c.ping(ctx); err == nil {
			return apiLinker{c}, nil
		}
	}
	cfg, err := loadConfig(ctx)
	if err != nil {
		return nil, err
	}
	a, err := app.New(ctx, cfg, app.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("%w (is the daemon running? set TANDEM_ADMIN_TOKEN to go through its admin API)", err)
	}
	return directLinker{a}, nil
}

type apiLinker struct{ c *apiLog }

func (l apiLinker) Link(ctx context.Context, jira, linear string) (admin.LinkRequest, error) {
	var out struct {
		Jira, Linear backlog.Ref
	}
	err := l.c.do(ctx, "POST", "/api/v1/links", admin.LinkRequest{Jira: jira, Linear: linear}, &out)
	return admin.LinkRequest{Jira: out.Jira.Key, Linear: out.Linear.Key}, linkErr(err)
}

func (l apiLinker) Unlink(ctx context.Context, side backlog.Side, key string) error {
	req := admin.LinkRequest{Jira: key}
	if side == backlog.Linear {
		req = admin.LinkRequest{Linear: key}
	}
	return linkErr(l.c.do(ctx, "POST", "/api/v1/links/unlink", req, nil))
}

func (l apiLinker) Close() error { return nil }

// linkErr turns the admin API's 409 (reported as a settled conflict by
// apiLog) into ErrLinked.
func linkErr(err error) error {
	if errors.Is(err, reconcile.ErrSettled) {
		return fmt.Errorf("%s: %w", strings.TrimSuffix(err.Error(), ": "+reconcile.ErrSettled.Error()), reconcile.ErrLinked)
	}
	return err
}

type directLinker struct{ a *app.App }

func (l directLinker) Link(ctx context.Context, jira, linear string) (admin.LinkRequest, error) {
	link, err := l.a.Syncer.LinkByHand(ctx, jira, linear)
	if err != nil {
		return admin.LinkRequest{}, err
	}
	// The daemon's next start (or, on a shared Redis, its next pass)
	// makes the pair's first merge.
	if _, err := l.a.State.MarkDirty(ctx, link.Jira.String()); err != nil {
		return admin.LinkRequest{}, fmt.Errorf("linked; marking %s for a sync pass: %w", link.Jira, err)
	}
	return admin.LinkRequest{Jira: link.Jira.Key, Linear: link.Linear.Key}, nil
}

func (l directLinker) Unlink(ctx context.Context, side backlog.Side, key string) error {
	_, err := l.a.Syncer.UnlinkByHand(ctx, side, key)
	return err
}

func (l directLinker) Close() error { l.a.Close(); return nil }

func newLinkCmd() *cobra.Command {
	var file, server string
	c := &cobra.Command{
		Use:   "link JIRA-KEY LINEAR-ID | link --file pairs.csv",
		Short: "Pair a Jira issue with its Linear twin by hand",
		Long: `Pair a Jira issue (key) with a Linear issue (identifier) that are the same work, so
Tandem syncs them instead of making new twins. The pair's first pass settles the fields
that differ by the conflict policy (logged like conflicts), pairs comments that exist on
both sides, and puts a link to each twin on the other.

With --file, every line of a CSV file ("JIRA-KEY,LINEAR-ID", an optional "jira,linear"
header, # comments) is linked; lines that fail are reported and the rest linked.

It goes through the running daemon's admin API when TANDEM_ADMIN_TOKEN is set and the
daemon answers; otherwise it connects to both tools and the state store itself.`,
		Example: `  tandem link TAN-3 ENG-12
  tandem link --file pairs.csv`,
		Args: func(cmd *cobra.Command, args []string) error {
			if file != "" && len(args) == 0 || file == "" && len(args) == 2 {
				return nil
			}
			return errors.New("want JIRA-KEY LINEAR-ID, or --file pairs.csv")
		},
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return cmdLink(cmd.Context(), server, file, args, cmd.OutOrStdout())
		}),
	}
	c.Flags().StringVar(&file, "file", "", "a pairs file: one JIRA-KEY,LINEAR-ID per line")
	serverFlag(c.Flags(), &server)
	return c
}

func cmdLink(ctx context.Context, server, file string, args []string, stdout io.Writer) error {
	var pairs []match.Pair
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		ps, err := match.ParsePairs(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		pairs = ps.All()
	} else {
		pairs = []match.Pair{{Jira: args[0], Linear: args[1]}}
	}
	l, err := openLinker(ctx, server)
	if err != nil {
		return err
	}
	defer l.Close()
	var errs []error
	for _, p := range pairs {
		got, err := l.Link(ctx, p.Jira, p.Linear)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s ↔ %s: %w", p.Jira, p.Linear, err))
			continue
		}
		fmt.Fprintf(stdout, "linked %s ↔ %s\n", orDash(got.Jira), orDash(got.Linear))
	}
	return errors.Join(errs...)
}

func newUnlinkCmd() *cobra.Command {
	var linear bool
	var server string
	c := &cobra.Command{
		Use:   "unlink JIRA-KEY | unlink --linear LINEAR-ID",
		Short: "Undo a pairing: the two issues stop syncing and are not paired again",
		Long: `Undo the pairing of a Jira issue (or, with --linear, a Linear issue) and its twin. The
pair stops syncing, the links each carries to the other are removed, and neither issue
is matched or given a new twin until you link it again (tandem link). Nothing is deleted.`,
		Example: `  tandem unlink TAN-3
  tandem unlink --linear ENG-12`,
		Args: cobra.ExactArgs(1),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			side := backlog.Jira
			if linear {
				side = backlog.Linear
			}
			l, err := openLinker(cmd.Context(), server)
			if err != nil {
				return err
			}
			defer l.Close()
			if err := l.Unlink(cmd.Context(), side, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "unlinked %s %s\n", side, args[0])
			return nil
		}),
	}
	c.Flags().BoolVar(&linear, "linear", false, "the argument is a Linear identifier")
	serverFlag(c.Flags(), &server)
	return c
}

// localAdmin is the admin URL of a daemon listening on listen (this host).
func localAdmin(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return ""
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
