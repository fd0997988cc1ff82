package linear

import (
	"slices"
	"testing"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/connectors/linear/sandbox"
)

func TestScope(t *testing.T) {
	s := start(t, sandbox.Options{})
	keys := func(refs []backlog.Ref) []string {
		var out []string
		for _, r := range refs {
			out = append(out, r.Key)
		}
		slices.Sort(out)
		return out
	}
	identifiers := func(ids []string) []string {
		var out []string
		for _, id := range ids {
			v, _ := s.Issue(id)
			out = append(out, v.Identifier)
		}
		slices.Sort(out)
		return out
	}
	cases := []struct {
		name    string
		labels  []string
		project string
		want    []string
	}{
		{"none", nil, "", []string{"ENG-1", "ENG-10", "ENG-11", "ENG-12", "ENG-2", "ENG-3", "ENG-4", "ENG-5", "ENG-6", "ENG-7", "ENG-8", "ENG-9"}},
		{"labels, any case", []string{"BUG", "docs"}, "", []string{"ENG-1", "ENG-4", "ENG-7", "ENG-8", "ENG-9"}},
		{"project by name", nil, "q4 launch", []string{"ENG-1", "ENG-10", "ENG-4", "ENG-7"}},
		{"both", []string{"Bug"}, "Q4 Launch", []string{"ENG-1", "ENG-4", "ENG-7"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := connect(t, s, sandbox.BotKey, func(cfg *Config) { cfg.Labels, cfg.Project = tc.labels, tc.project })
			if err != nil {
				t.Fatal(err)
			}
			refs, _, _ := drain(t, t.Context(), c, "")
			if got := keys(refs); !slices.Equal(got, tc.want) {
				t.Errorf("Changed: %v, want %v", got, tc.want)
			}
			order, err := c.Order(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if got := identifiers(order); !slices.Equal(got, tc.want) {
				t.Errorf("Order: %v, want %v", got, tc.want)
			}
			// Get still reads an issue out of scope.
			if _, err := c.Get(t.Context(), "ENG-2"); err != nil {
				t.Fatal(err)
			}
			// A twin is created in scope: Changed reports it.
			ref, err := c.Create(t.Context(), backlog.Item{Title: "twin of " + tc.name, Labels: []string{"Feature"}})
			if err != nil {
				t.Fatal(err)
			}
			refs, _, _ = drain(t, t.Context(), c, "")
			if !slices.Contains(keys(refs), ref.Key) {
				t.Errorf("created %s out of scope", ref.Key)
			}
			v, _ := s.Issue(ref.ID)
			if len(tc.labels) > 0 && !slices.Contains(v.Labels, "Bug") && !slices.Contains(v.Labels, "Docs") {
				t.Errorf("twin labels %v", v.Labels)
			}
			if err := s.UserDelete(sandbox.AliceEmail, ref.ID); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := connect(t, s, sandbox.BotKey, func(cfg *Config) { cfg.Project = "No such project" }); !connectors.IsPermanent(err) {
		t.Fatalf("unknown project: %v", err)
	}
}

func TestMetadata(t *testing.T) {
	s, c := setup(t, sandbox.Options{EstimationType: "exponential", EstimationExtended: true}, func(cfg *Config) {
		cfg.Labels = []string{"Bug"}
		cfg.Project = "Q4 Launch"
	})
	m, err := c.Metadata(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if m.Team != "ENG" || len(m.States) != 6 || m.States[2] != (MetaState{Name: "In Progress", Type: "started", Category: backlog.CategoryStarted}) {
		t.Fatalf("states %+v", m.States)
	}
	if len(m.Priorities) != 5 || m.Priorities[1] != (MetaPriority{Value: 1, Name: "Urgent", Level: backlog.PriorityHighest}) {
		t.Fatalf("priorities %+v", m.Priorities)
	}
	if !slices.Equal(m.Labels, []string{"Backend", "Bug", "Docs", "Feature", "api", "auth", "database", "growth", "infra", "tests", "ui"}) {
		t.Fatalf("labels %v", m.Labels)
	}
	if !slices.Equal(m.Users, []string{sandbox.AliceEmail, sandbox.BobEmail, sandbox.BotEmail}) {
		t.Fatalf("users %v", m.Users)
	}
	var cycles []string
	for _, cy := range m.Cycles {
		if cy.StartsAt.IsZero() || !cy.EndsAt.After(cy.StartsAt) {
			t.Fatalf("cycle dates %+v", cy)
		}
		cycles = append(cycles, cy.Name)
	}
	slices.Sort(cycles)
	if !slices.Equal(cycles, []string{"Cycle 1", "Cycle 2", "Hardening"}) {
		t.Fatalf("cycles %v", cycles)
	}
	if m.Estimation.Type != "exponential" || !slices.Equal(m.Estimation.Scale, []float64{1, 2, 4, 8, 16, 32, 64}) {
		t.Fatalf("estimation %+v", m.Estimation)
	}
	if m.Project == "" || !slices.Equal(m.ScopeLabels, []string{"Bug"}) {
		t.Fatalf("scope %q %v", m.Project, m.ScopeLabels)
	}
	// Metadata reloads: a scale changed since New shows.
	s.SetEstimation("notUsed", false, false)
	if m, _ := c.Metadata(t.Context()); m.Estimation.Type != "notUsed" || len(m.Estimation.Scale) != 0 {
		t.Fatalf("after change %+v", m.Estimation)
	}
}
