// Command tandem keeps a Jira project and a Linear team in two-way sync.
//
//	tandem run                  run the daemon (configured by TANDEM_* variables)
//	tandem demo [--keep]        sandboxes + daemon in one process, scripted scenario
//	tandem sandbox              serve the Jira and Linear sandboxes standalone
//	tandem links                list linked pairs from the state store
//	tandem conflicts            list, show and settle conflicts
//	tandem config check         validate the configuration and reach both tools
//	tandem diff                 are we in sync? (exit 1 when not)
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: tandem <command> [flags]

commands:
  run            run the sync daemon (configured by TANDEM_* environment variables)
  demo           start both sandboxes and the daemon in one process and play a scenario
                 (--keep: stay up afterwards for you to try both APIs; --data DIR)
  sandbox        serve the Jira and Linear sandboxes (--jira-addr, --linear-addr)
  links          list linked pairs (reads the configured state store)
  conflicts      the conflict log: list [--open] [--field F] [--since D] [--json],
                 show ID, resolve ID --take jira|linear|base (or --value V)
  config check   validate the configuration and the mapping file against both tools (--json)
  diff           compare every linked pair field by field; exit 1 when anything differs
`

// Main runs one command and returns the process exit code: 0 success, 1
// failure, 2 bad usage or configuration.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(ctx, args[1:], stderr)
	case "demo":
		err = cmdDemo(ctx, args[1:], stdout, stderr)
	case "sandbox":
		err = cmdSandbox(ctx, args[1:], stdout)
	case "links":
		err = cmdLinks(ctx, args[1:], stdout)
	case "conflicts":
		err = cmdConflicts(ctx, args[1:], stdout)
	case "config":
		err = cmdConfig(ctx, args[1:], stdout)
	case "diff":
		err = cmdDiff(ctx, args[1:], stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "tandem: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "tandem %s: %v\n", args[0], err)
		return exitCode(err)
	}
	return 0
}
