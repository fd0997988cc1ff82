package linear

import (
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

func TestCyclesAndCreateCycle(t *testing.T) {
	s, c := setup(t, sandbox.Options{})
	got, err := c.Cycles(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Name != "Cycle 1" || got[1].Name != "Cycle 2" || got[2].Name != "Hardening" || got[2].Number != 3 || got[1].ID == "" {
		t.Fatalf("cycles %+v", got)
	}
	if !got[1].Start.Before(time.Now()) || !got[1].End.After(time.Now()) {
		t.Errorf("cycle 2 is not current: %+v", got[1])
	}
	// A cycle made in Linear shows on reload only.
	last := got[2].End
	if _, err := s.UserCreateCycle(sandbox.AliceEmail, "ENG", "", last, last.Add(14*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ = c.Cycles(t.Context(), false); len(got) != 3 {
		t.Fatalf("cached cycles changed: %+v", got)
	}
	s.ResetCounts()
	if got, err = c.Cycles(t.Context(), true); err != nil || len(got) != 4 || got[3].Name != "Cycle 4" {
		t.Fatalf("after reload %+v %v", got, err)
	}
	if ops := s.Requests(sandbox.BotEmail).ByOperation; len(ops) != 1 || ops["team"] != 1 {
		t.Errorf("a reload of the cycles costs %v, want one team query", ops)
	}
	if v := c.Project(backlog.Sprint, "cycle 4"); v != "Cycle 4" {
		t.Errorf("Project of the cycle read on reload: %q", v)
	}
	// CreateCycle: named after the sprint, in the catalog at once.
	from := last.Add(14 * 24 * time.Hour)
	cy, err := c.CreateCycle(t.Context(), "TAN Sprint 5", from, from.Add(14*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if cy.Name != "TAN Sprint 5" || cy.Number != 5 || !cy.Start.Equal(from) {
		t.Fatalf("created %+v", cy)
	}
	if v := c.Project(backlog.Sprint, "tan sprint 5"); v != "TAN Sprint 5" {
		t.Errorf("Project of the new cycle: %q", v)
	}
	if got, _ = c.Cycles(t.Context(), false); len(got) != 5 {
		t.Fatalf("cycles after create %+v", got)
	}
	views := s.Cycles("ENG")
	if len(views) != 5 || views[4].Name != "TAN Sprint 5" {
		t.Fatalf("sandbox cycles %+v", views)
	}
	// Unnamed, and a refusal (overlap) is an error.
	if cy, err = c.CreateCycle(t.Context(), "", from.Add(28*24*time.Hour), from.Add(35*24*time.Hour)); err != nil || cy.Name != "Cycle 6" {
		t.Fatalf("unnamed: %+v %v", cy, err)
	}
	if _, err := c.CreateCycle(t.Context(), "X", from, from.Add(24*time.Hour)); err == nil {
		t.Fatal("an overlapping cycle was created")
	}
}
