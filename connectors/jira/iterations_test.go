package jira

import (
	"testing"
	"time"

	"github.com/tandem-sync/tandem/connectors/jira/sandbox"
	"github.com/tandem-sync/tandem/iteration"
)

func TestSprintsForPairing(t *testing.T) {
	e := newEnv(t, sandbox.Options{SeedIssues: -1})
	got, err := e.c.Sprints(ctx(t), false)
	if err != nil {
		t.Fatal(err)
	}
	// The open sprints of the seed: 2 active (dated), 3 future (not).
	if len(got) != 2 || got[0].Name != "TAN Sprint 2" || got[0].State != iteration.Active || !got[0].Dated() ||
		got[1].Name != "TAN Sprint 3" || got[1].State != iteration.Future || got[1].Dated() {
		t.Fatalf("sprints %+v", got)
	}
	if d := got[0].End.Sub(got[0].Start); d != 14*24*time.Hour {
		t.Errorf("sprint 2 lasts %v", d)
	}
	// A new sprint shows only on reload.
	start := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Hour)
	e.sb.AddScheduledSprint("TAN Sprint 4", sandbox.SprintFuture, start, start.Add(14*24*time.Hour))
	if got, _ = e.c.Sprints(ctx(t), false); len(got) != 2 {
		t.Fatalf("cached list changed: %+v", got)
	}
	got, err = e.c.Sprints(ctx(t), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[2].Name != "TAN Sprint 4" || !got[2].Start.Equal(start) || !got[2].Dated() {
		t.Fatalf("after reload %+v", got)
	}
	// Writing the new sprint's name now finds it.
	if v := e.c.projectSprint("TAN Sprint 4"); v != "TAN Sprint 4" {
		t.Errorf("projectSprint %q", v)
	}
}

func TestSprintDate(t *testing.T) {
	for in, want := range map[string]string{
		"2015-04-11T15:22:00.000+10:00": "2015-04-11T05:22:00Z",
		"2026-12-06T15:00:00.000Z":      "2026-12-06T15:00:00Z",
		"2026-12-06T15:00:00Z":          "2026-12-06T15:00:00Z",
		"":                              "0001-01-01T00:00:00Z",
		"soon":                          "0001-01-01T00:00:00Z",
	} {
		if got := sprintDate(in).UTC().Format(time.RFC3339); got != want {
			t.Errorf("sprintDate(%q) = %s, want %s", in, got, want)
		}
	}
}
