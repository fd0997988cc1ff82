package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/tandem-sync/tandem/app"
)

// errDiffers makes `tandem diff` exit 1 when anything differs.
var errDiffers = errors.New("the two sides differ")

func cmdDiff(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("diff")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
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
	if *asJSON {
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
