package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tandem-sync/tandem/app"
	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/match"
	"github.com/tandem-sync/tandem/reconcile"
)

// errWouldChange makes `tandem plan` exit 1 when a start would change
// anything.
var errWouldChange = errors.New("a start would change the tools")

func newPlanCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "plan",
		Short: "Show what a start would do, reading both tools only; exit 1 when it would change anything",
		Long: `Read both tools (read calls only, within the API budgets) and print what a start would do:
the pairs it would link without a create (and by which signal: cross-link, pairs file, key in
text, title, or a lost link's origin marker), the ambiguous matches it would leave for a person,
the twins it would create on each side, the differences each matched pair's first sync would
settle and how (first_sync), and the issues it would leave alone (out of scope or archived).
A summary comes first, then the details; --json prints the report for scripts.

It works before Tandem ever ran and on a running installation (with the embedded store, stop
the daemon first). Exit 0 when a start would change nothing, 1 otherwise, 2 on a configuration
error.`,
		Example: `  tandem plan
  tandem plan --json | jq '.matched | group_by(.signal) | map({(.[0].signal): length}) | add'`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			return cmdPlan(cmd.Context(), asJSON, cmd.OutOrStdout())
		}),
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func cmdPlan(ctx context.Context, asJSON bool, stdout io.Writer) error {
	cfg, err := loadConfig(ctx)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, app.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer a.Close()
	rep, err := a.Syncer.Plan(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		if err := json.NewEncoder(stdout).Encode(rep); err != nil {
			return err
		}
	} else {
		printPlan(stdout, rep)
	}
	if rep.Changes() {
		return errWouldChange
	}
	return nil
}

func printPlan(w io.Writer, rep reconcile.PlanReport) {
	by := rep.BySignal()
	var sigs []string
	for _, s := range []match.Signal{match.CrossLink, match.Pairs, match.Key, match.Title, reconcile.SignalOrigin} {
		if by[s] > 0 {
			sigs = append(sigs, fmt.Sprintf("%d by %s", by[s], s))
		}
	}
	diffs := 0
	for _, m := range rep.Matched {
		diffs += len(m.Differences)
	}
	fmt.Fprintf(w, "already linked:      %d pairs\n", rep.Linked)
	fmt.Fprintf(w, "would match:         %d pairs", len(rep.Matched))
	if len(sigs) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(sigs, ", "))
	}
	fmt.Fprintf(w, ", %d differences to settle\n", diffs)
	fmt.Fprintf(w, "ambiguous:           %d issues left for a person\n", len(rep.Ambiguous))
	fmt.Fprintf(w, "twins to create:     %d in linear, %d in jira\n", len(rep.CreateInLinear), len(rep.CreateInJira))
	fmt.Fprintf(w, "left alone:          %d issues out of scope or archived\n", len(rep.OutOfScope))
	if len(rep.Matched) > 0 {
		fmt.Fprintln(w, "\nmatched pairs:")
		for _, m := range rep.Matched {
			fmt.Fprintf(w, "  %s ↔ %s by %s\n", orDash(m.Jira.Key), orDash(m.Linear.Key), m.Signal)
			for _, d := range m.Differences {
				how := "both get the " + string(d.Take) + " value"
				if d.Take == "" {
					how = "held for a person (" + string(d.Policy) + ")"
					if d.Policy == "union" {
						how = "merged as a set"
					}
				}
				fmt.Fprintf(w, "    %-12s jira %s | linear %s: %s\n", d.Field, short(string(d.Jira)), short(string(d.Linear)), how)
			}
		}
	}
	if len(rep.Ambiguous) > 0 {
		fmt.Fprintln(w, "\nambiguous (tandem link JIRA-KEY LINEAR-ID to settle):")
		for _, a := range rep.Ambiguous {
			var cs []string
			for _, c := range a.Candidates {
				cs = append(cs, string(c.Side)+" "+orDash(c.Key))
			}
			fmt.Fprintf(w, "  %s %s: %s by %s\n", a.Item.Side, orDash(a.Item.Key), strings.Join(cs, ", "), a.Signal)
		}
	}
	for _, l := range []struct {
		name string
		refs []backlog.Ref
	}{{"twins to create in linear, of jira", rep.CreateInLinear}, {"twins to create in jira, of linear", rep.CreateInJira}, {"left alone", rep.OutOfScope}} {
		if len(l.refs) == 0 {
			continue
		}
		keys := make([]string, len(l.refs))
		for i, r := range l.refs {
			keys[i] = orDash(r.Key)
		}
		slices.Sort(keys)
		fmt.Fprintf(w, "\n%s: %s\n", l.name, strings.Join(keys, " "))
	}
}
