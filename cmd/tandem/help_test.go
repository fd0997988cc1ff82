package main

import (
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// everyCommand walks the command tree, so a command added later is
// covered by the help tests without editing them.
func everyCommand(c *cobra.Command) []*cobra.Command {
	all := []*cobra.Command{c}
	for _, sub := range c.Commands() {
		all = append(all, everyCommand(sub)...)
	}
	return all
}

// argv is the command's path without the program name: "conflicts resolve".
func argv(c *cobra.Command) []string { return strings.Fields(c.CommandPath())[1:] }

// TestHelpEveryCommand: `COMMAND --help`, `COMMAND -h` and `help COMMAND`
// exit 0 and print the usage line, the example, and every flag with its
// default where it has one.
func TestHelpEveryCommand(t *testing.T) {
	cmds := everyCommand(newRoot())
	if len(cmds) < 12 {
		t.Fatalf("only %d commands in the tree", len(cmds))
	}
	for _, c := range cmds {
		path := argv(c)
		t.Run(strings.Join(append([]string{"tandem"}, path...), "_"), func(t *testing.T) {
			if c.Example == "" {
				t.Errorf("%s has no example", c.CommandPath())
			}
			for _, how := range [][]string{append(slices.Clone(path), "--help"), append(slices.Clone(path), "-h"), append([]string{"help"}, path...)} {
				code, out, errs := run(t, how...)
				if code != 0 || errs != "" {
					t.Errorf("tandem %s: exit %d, stderr %q", strings.Join(how, " "), code, errs)
					continue
				}
				for _, want := range []string{"Usage:\n  " + c.CommandPath(), "Examples:\n" + c.Example, "--help"} {
					if !strings.Contains(out, want) {
						t.Errorf("tandem %s lacks %q:\n%s", strings.Join(how, " "), want, out)
					}
				}
				c.Flags().VisitAll(func(f *pflag.Flag) {
					_, flags, _ := strings.Cut(out, "\nFlags:\n")
					i := strings.Index(flags, "--"+f.Name+" ")
					if i < 0 {
						t.Errorf("tandem %s does not name --%s:\n%s", strings.Join(how, " "), f.Name, out)
						return
					}
					line, _, _ := strings.Cut(flags[i:], "\n")
					if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && !(strings.Contains(line, "(default ") && strings.Contains(line, f.DefValue)) {
						t.Errorf("tandem %s does not give --%s's default %q: %q", strings.Join(how, " "), f.Name, f.DefValue, line)
					}
				})
			}
		})
	}
}

// TestSandboxHelpNamesRateLimits: the rate limits are on by default and
// the help says how to turn them off.
func TestSandboxHelpNamesRateLimits(t *testing.T) {
	code, out, _ := run(t, "sandbox", "--help")
	if code != 0 || !strings.Contains(out, "--rate-limits=false") || !strings.Contains(out, "(default true)") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestUnknownCommandOrFlag: exit 2 with the message and the usage of the
// command concerned, on stderr, for every command.
func TestUnknownCommandOrFlag(t *testing.T) {
	code, out, errs := run(t, "frobnicate")
	if code != 2 || out != "" || !strings.Contains(errs, `unknown command "frobnicate"`) || !strings.Contains(errs, "Available Commands:") {
		t.Fatalf("unknown command: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	for _, args := range [][]string{{"conflicts", "frobnicate"}, {"config", "frobnicate"}, {"diff", "extra"}} {
		if code, _, errs := run(t, args...); code != 2 || !strings.Contains(errs, "Usage:") {
			t.Errorf("tandem %s: exit %d, stderr %q", strings.Join(args, " "), code, errs)
		}
	}
	for _, c := range everyCommand(newRoot()) {
		args := append(argv(c), "--no-such-flag")
		code, out, errs := run(t, args...)
		if code != 2 || out != "" || !strings.Contains(errs, "unknown flag: --no-such-flag") || !strings.Contains(errs, "Usage:\n  "+c.CommandPath()) {
			t.Errorf("tandem %s: exit %d, stdout %q, stderr %q", strings.Join(args, " "), code, out, errs)
		}
	}
	for _, topic := range [][]string{{"help", "frobnicate"}, {"help", "conflicts", "frobnicate"}} {
		if code, out, errs := run(t, topic...); code != 2 || out != "" || !strings.Contains(errs, "unknown help topic") || !strings.Contains(errs, "Usage:") {
			t.Errorf("tandem %s: exit %d, stdout %q, stderr %q", strings.Join(topic, " "), code, out, errs)
		}
	}
	if code, out, _ := run(t, "help"); code != 0 || !strings.Contains(out, "Available Commands:") {
		t.Errorf("tandem help: exit %d, %q", code, out)
	}
	if code, _, errs := run(t, "conflicts", "show"); code != 2 || !strings.Contains(errs, "accepts 1 arg") {
		t.Errorf("show without an ID: exit %d, %q", code, errs)
	}
}

func TestVersion(t *testing.T) {
	code, out, errs := run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "tandem ") || !strings.Contains(out, "\ncommit  ") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/tandem-sync/tandem", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "7d4a8a1f00c0ffee"}, {Key: "vcs.time", Value: "2026-12-06T19:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{"stamped", stamped, true, "tandem v1.4.0\ncommit  7d4a8a1f00c0ffee (2026-12-06T19:00:00Z, modified: built with uncommitted changes)\ngo      go1.26.8\n"},
		{"go run", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, true,
			"tandem (devel)\ncommit  unknown (built without version control information, e.g. by go run or go test)\ngo      go1.26.8\n"},
		{"no version", &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}}, true, "tandem (devel)\ncommit  abc\n"},
		{"no build info", nil, false, "tandem (devel)\ncommit  unknown (no build information in this binary)\n"},
	} {
		if got := versionText(tc.info, tc.ok); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// TestSingleDashLongFlags: the spellings the standard flag package took
// (-seed 5, -rate-limits=false, -json) still work.
func TestSingleDashLongFlags(t *testing.T) {
	root := newRoot()
	for _, tc := range []struct{ in, want string }{
		{"sandbox -seed -1 -rate-limits=false -jira-addr :1", "sandbox --seed -1 --rate-limits=false --jira-addr :1"},
		{"links -json", "links --json"},
		{"demo -v -keep", "demo -v --keep"},
		{"demo --v", "demo --v"},
		{"conflicts resolve c1 -value -json", "conflicts resolve c1 --value -json"},
		{"conflicts resolve c1 --value -json", "conflicts resolve c1 --value -json"},
		{"conflicts -open -unknown", "conflicts --open -unknown"},
		{"diff -- -json", "diff -- -json"},
	} {
		if got := strings.Join(normalizeArgs(root, strings.Fields(tc.in)), " "); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
	if code, _, errs := run(t, "conflicts", "-since", "yesterday"); code != 2 || !strings.Contains(errs, `since="yesterday"`) {
		t.Errorf("-since parsed as --since: exit %d, %q", code, errs)
	}
}
