// Command tandem keeps a Jira project and a Linear team in two-way sync.
//
//	tandem run                  run the daemon (configured by TANDEM_* variables)
//	tandem demo [--keep]        sandboxes + daemon in one process, scripted scenario
//	tandem sandbox              serve the Jira and Linear sandboxes standalone
//	tandem links                list linked pairs from the state store
//	tandem conflicts            list, show and settle conflicts
//	tandem config check         validate the configuration and reach both tools
//	tandem diff                 are we in sync? (exit 1 when not)
//	tandem version              the version and commit of this binary
//
// The command tree is github.com/spf13/cobra; `tandem help COMMAND` and
// `tandem COMMAND --help` print a command's usage, flags and an example.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Main runs one command and returns the process exit code: 0 success (and
// help), 1 failure, 2 bad usage or configuration.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	if len(args) == 0 {
		fmt.Fprintf(stderr, "tandem: no command given\n\n%s", root.UsageString())
		return 2
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(normalizeArgs(root, args))
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	if cmd == nil {
		cmd = root
	}
	var re runError
	if !errors.As(err, &re) {
		// cobra's own: an unknown command or flag, a missing argument.
		fmt.Fprintf(stderr, "%s: %v\n\n%s", cmd.CommandPath(), err, cmd.UsageString())
		return 2
	}
	fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), re.error)
	var u usageError
	if errors.As(re.error, &u) {
		fmt.Fprintf(stderr, "\n%s", cmd.UsageString())
	}
	return exitCode(re.error)
}

// runError marks an error a command returned, as opposed to one cobra
// returned while parsing (those are all usage errors, exit 2).
type runError struct{ error }

func (e runError) Unwrap() error { return e.error }

// runE adapts a command body: its errors are marked as its own.
func runE(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := f(cmd, args); err != nil {
			return runError{err}
		}
		return nil
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "tandem",
		Short: "Keep a Jira project and a Linear team in two-way sync",
		Long: `Tandem keeps a Jira project and a Linear team in two-way sync: titles, descriptions,
statuses, assignees, labels, estimates, comments and order.

The daemon (tandem run) is configured by TANDEM_* environment variables; see the README.
Exit codes: 0 success, 1 failure (or "not in sync" for diff), 2 bad usage or configuration.`,
		Example: `  tandem demo                  # both sandboxes and the daemon in one process
  tandem run                   # the daemon, configured by TANDEM_* variables
  tandem diff --help           # any command's usage, flags and an example`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return err })
	// cobra's own help command answers an unknown topic with exit 0; this
	// one treats it as the unknown command it is.
	root.SetHelpCommand(&cobra.Command{
		Use:     "help [command]",
		Short:   "Help about any command",
		Example: "  tandem help conflicts resolve",
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return fmt.Errorf("unknown help topic %q", strings.Join(args, " "))
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
	})
	root.AddCommand(newRunCmd(), newDemoCmd(), newSandboxCmd(), newLinksCmd(), newConflictsCmd(),
		newConfigCmd(), newDiffCmd(), newPlanCmd(), newLinkCmd(), newUnlinkCmd(), newVersionCmd())
	return root
}

// normalizeArgs turns the single-dash long flags the standard flag package
// accepted (-seed 5, -rate-limits=false, -json) into the double-dash form
// pflag needs, for the long flags tandem defines, so existing scripts keep
// working. Single letters (-v, -h) are shorthands and stay; values of flags
// that take one, and everything after "--", are left alone.
func normalizeArgs(root *cobra.Command, args []string) []string {
	takesValue := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		visit := func(f *pflag.Flag) { takesValue[f.Name] = f.NoOptDefVal == "" }
		c.Flags().VisitAll(visit)
		c.PersistentFlags().VisitAll(visit)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, hasValue := strings.Cut(a[1:], "=")
			if v, known := takesValue[name]; known && len(name) > 1 {
				a = "-" + a
				out = append(out, a)
				if v && !hasValue && i+1 < len(args) {
					i++
					out = append(out, args[i])
				}
				continue
			}
		}
		if strings.HasPrefix(a, "--") && !strings.Contains(a, "=") && takesValue[a[2:]] && i+1 < len(args) {
			out = append(out, a, args[i+1])
			i++
			continue
		}
		out = append(out, a)
	}
	return out
}
