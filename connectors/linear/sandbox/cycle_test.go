package sandbox

import (
	"strings"
	"testing"
	"time"
)

const cycleCreateM = `mutation C($input: CycleCreateInput!) {
  cycleCreate(input: $input) { success lastSyncId cycle { id number name startsAt endsAt team { key } } }
}`

func TestCycleCreate(t *testing.T) {
	s := newTest(t, Options{})
	seeded := s.Cycles("ENG")
	if len(seeded) != 3 || seeded[0].Name != "" || seeded[2].Name != "Hardening" {
		t.Fatalf("seeded cycles %+v", seeded)
	}
	after := seeded[2].EndsAt
	day := 24 * time.Hour
	// Named, right after the last seeded cycle: number 4.
	d := mustOK(t, post(t, s, BotKey, cycleCreateM, map[string]any{"input": map[string]any{
		"teamId": s.TeamID(), "name": "TAN Sprint 4", "startsAt": after.Format(time.RFC3339), "endsAt": after.Add(14 * day).Format(time.RFC3339)}}))
	if dig(d, "cycleCreate", "success") != true || dig(d, "cycleCreate", "cycle", "number") != 4.0 ||
		dig(d, "cycleCreate", "cycle", "name") != "TAN Sprint 4" || dig(d, "cycleCreate", "cycle", "team", "key") != "ENG" {
		t.Fatalf("cycleCreate %v", d)
	}
	// Unnamed: null name, number 5.
	d = mustOK(t, post(t, s, BotKey, cycleCreateM, map[string]any{"input": map[string]any{
		"teamId": "ENG", "startsAt": after.Add(14 * day).Format(time.RFC3339), "endsAt": after.Add(21 * day).Format(time.RFC3339)}}))
	if dig(d, "cycleCreate", "cycle", "number") != 5.0 || dig(d, "cycleCreate", "cycle", "name") != nil {
		t.Fatalf("unnamed cycle %v", d)
	}
	// The team's cycles list them, in order.
	d = mustOK(t, post(t, s, BotKey, `query($id: String!) { team(id: $id) { cycles(first: 50) { nodes { number name } } } }`, map[string]any{"id": "ENG"}))
	nodes, _ := dig(d, "team", "cycles", "nodes").([]any)
	if len(nodes) != 5 {
		t.Fatalf("team cycles %v", nodes)
	}
	for _, tc := range []struct {
		name  string
		input map[string]any
		want  string
	}{
		{"overlaps the current cycle", map[string]any{"teamId": "ENG", "startsAt": seeded[1].StartsAt.Add(day).Format(time.RFC3339), "endsAt": seeded[1].EndsAt.Add(day).Format(time.RFC3339)}, "overlap"},
		{"ends before it starts", map[string]any{"teamId": "ENG", "startsAt": after.Add(60 * day).Format(time.RFC3339), "endsAt": after.Add(50 * day).Format(time.RFC3339)}, "after startsAt"},
		{"bad date", map[string]any{"teamId": "ENG", "startsAt": "soon", "endsAt": after.Add(50 * day).Format(time.RFC3339)}, "startsAt"},
		{"unknown team", map[string]any{"teamId": "NOPE", "startsAt": after.Add(60 * day).Format(time.RFC3339), "endsAt": after.Add(70 * day).Format(time.RFC3339)}, "not found"},
	} {
		r := post(t, s, BotKey, cycleCreateM, map[string]any{"input": tc.input})
		if len(r.Errors) == 0 || !strings.Contains(strings.ToLower(string(r.Raw)), strings.ToLower(tc.want)) {
			t.Errorf("%s: %s", tc.name, r.Raw)
		}
	}
	// A missing required field fails validation against the schema.
	r := post(t, s, BotKey, cycleCreateM, map[string]any{"input": map[string]any{"teamId": "ENG", "startsAt": after.Format(time.RFC3339)}})
	if len(r.Errors) == 0 {
		t.Errorf("no endsAt: %s", r.Raw)
	}
	if n := len(s.Cycles("ENG")); n != 5 {
		t.Errorf("%d cycles after the failures, want 5", n)
	}
}
