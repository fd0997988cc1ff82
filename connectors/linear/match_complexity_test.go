package linear

import (
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

// TestMatchComplexity: the poll's first page with files on, a look-up of a full batch of probes, and the read
// of a batch's cross-link URLs, cost what Linear would charge for them
// (the sandbox prices them as Linear documents), well below the point
// cost of the batch read they precede.
func TestMatchComplexity(t *testing.T) {
	_, c := setup(t, sandbox.Options{})
	probes := make([]connectors.Probe, maxProbes)
	for i := range probes {
		key := "TAN-" + strings.Repeat("1", i%5+1)
		probes[i] = connectors.Probe{Ref: backlog.Ref{Side: backlog.Jira, ID: key, Key: key}, LinkURL: "https://acme.atlassian.net/browse/" + key, TextKey: key}
	}
	doc, vars := c.matchQuery(probes)
	_, on := setup(t, sandbox.Options{}, withFilesOn)
	checkComplexity(t, []complexityCase{
		{"find matches, 50 probes", doc, vars, 400},
		// Files on: the poll's first page also lists the files changed.
		{"poll, first page with files", c.withChangedFiles(changedFirstQuery, time.Now()), nil, 250},
		{"get many with files", on.withFiles(getManyQuery), map[string]any{"ids": []any{"x"}, "first": int64(maxGet)}, 3000},
		{"attachment URLs, 50 issues", attachmentURLsQuery, map[string]any{"filter": map[string]any{}, "prefix": "https://acme.atlassian.net"}, 400},
	})
}
