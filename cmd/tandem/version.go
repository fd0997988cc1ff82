package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and commit this binary was built from",
		Long: `Print the module version, the commit (vcs.revision), its time, whether the tree had
uncommitted changes, and the Go version, as "go build" stamped them into the binary.
A binary built by "go run" or from outside a git checkout has no commit: it says so.`,
		Example: `  tandem version
  docker run --rm tandem version`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			info, ok := debug.ReadBuildInfo()
			fmt.Fprint(cmd.OutOrStdout(), versionText(info, ok))
			return nil
		}),
	}
}

// versionText renders what the build stamped: the module version ("(devel)"
// for a build from a working tree without a tag) and the vcs.* settings.
func versionText(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "tandem (devel)\ncommit  unknown (no build information in this binary)\n"
	}
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	vcs := map[string]string{}
	for _, s := range info.Settings {
		if strings.HasPrefix(s.Key, "vcs.") {
			vcs[s.Key] = s.Value
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "tandem %s\n", version)
	if rev := vcs["vcs.revision"]; rev != "" {
		var notes []string
		if t := vcs["vcs.time"]; t != "" {
			notes = append(notes, t)
		}
		if vcs["vcs.modified"] == "true" {
			notes = append(notes, "modified: built with uncommitted changes")
		}
		fmt.Fprintf(&b, "commit  %s", rev)
		if len(notes) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(notes, ", "))
		}
		b.WriteString("\n")
	} else {
		b.WriteString("commit  unknown (built without version control information, e.g. by go run or go test)\n")
	}
	if info.GoVersion != "" {
		fmt.Fprintf(&b, "go      %s\n", info.GoVersion)
	}
	return b.String()
}
