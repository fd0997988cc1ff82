package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tandem-sync/tandem/app"
)

// errDiffers makes `tandem diff` exit 1 when anything differs.
var errDiffers = errors.New("the two sides differ")

func newDiffCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "diff",
		Short: "Compare every linked pair field by field; exit 1 when anything differs",
		Long: `Are we in sync? Read both sides and compare every linked pair field by field, as each
side would hold the other's value, and list the issues in scope with no twin. Nothing is
written. Exit 0 when in sync, 1 when anything differs, 2 on a configuration error.

It reads the configured state store: with the embedded store, stop the daemon first.`,
		Example: `  tandem diff
  tandem diff --json | jq '.differ[].fields[].field'`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			return cmdDiff(cmd.Context(), asJSON, cmd.OutOrStdout())
		}),
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func cmdDiff(ctx context.Context, asJSON bool, stdout io.Writer) error {
	cfg, err := loadConfig(ctx)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, app.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer a.Close()
	rep, err := a.Syncer.Diff(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		if err := json.NewEncoder(stdout).Encode(rep); err != nil {
			return err
		}
	} else {
		for _, d := range rep.Differ {
			fmt.Fprintf(stdout, "%s / %s:", orDash(d.Link.Jira.Key), orDash(d.Link.Linear.Key))
			if d.Problem != "" {
				fmt.Fprintf(stdout, " %s\n", d.Problem)
				continue
			}
			fmt.Fprintln(stdout)
			for _, f := range d.Fields {
				fmt.Fprintf(stdout, "  %-12s jira %s\n  %-12s linear %s\n", f.Field, short(string(f.Jira)), "", short(string(f.Linear)))
			}
		}
		for _, r := range rep.UnlinkedJira {
			fmt.Fprintf(stdout, "jira %s: no twin in linear\n", orDash(r.Key))
		}
		for _, r := range rep.UnlinkedLinear {
			fmt.Fprintf(stdout, "linear %s: no twin in jira\n", orDash(r.Key))
		}
		for _, r := range rep.Outside {
			fmt.Fprintf(stdout, "%s %s: relation %s %s:%s is outside the sync; left alone\n", r.From.Side, orDash(r.From.Key), r.Type, r.To.Side, r.To.ID)
		}
		fmt.Fprintf(stdout, "%d linked pairs, %d differ, %d jira and %d linear issues without a twin\n",
			rep.Pairs, len(rep.Differ), len(rep.UnlinkedJira), len(rep.UnlinkedLinear))
	}
	if !rep.InSync() {
		return errDiffers
	}
	return nil
}

func short(s string) string {
	s = strings.ReplaceAll(s, "\n", "⏎")
	if r := []rune(s); len(r) > 70 {
		return fmt.Sprintf("%q…", string(r[:70]))
	}
	return fmt.Sprintf("%q", s)
}
