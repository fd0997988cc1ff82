package backlog

import (
	"regexp"
	"testing"

	"pgregory.net/rapid"
)

func TestGetSetRoundTrip(t *testing.T) {
	est := 3.5
	it := Item{
		Title: "T", Description: "# D\n\n- a", Status: StatusValue{Name: "In Progress", Category: CategoryStarted},
		Priority: PriorityLowest, Assignee: "a@example.com", Labels: []string{"ui", "bug", "ui"}, Estimate: &est,
		DueDate: "2026-12-01", Parent: "p", Sprint: "S1", Rank: "0|i0000f:",
	}
	var back Item
	for _, f := range AllFields {
		if f == Comments || f == Attachments {
			continue
		}
		if err := back.Set(f, it.Get(f)); err != nil {
			t.Fatalf("set %s: %v", f, err)
		}
		if back.Get(f) != it.Get(f) {
			t.Errorf("%s: %q -> %q", f, it.Get(f), back.Get(f))
		}
	}
	if got := it.Get(Labels); got != "bug\nui" {
		t.Errorf("labels encode as a sorted set, got %q", got)
	}
}

func TestSetRejectsBadValues(t *testing.T) {
	cases := []struct {
		f Field
		v Value
	}{
		{Status, "In Progress"}, {Status, "doing:In Progress"}, {Priority, "p1"}, {Estimate, "three"}, {DueDate, "12/01/2026"}, {"nope", "x"},
	}
	for _, tc := range cases {
		var it Item
		if err := it.Set(tc.f, tc.v); err == nil {
			t.Errorf("Set(%s, %q) accepted", tc.f, tc.v)
		}
	}
}

func TestParseRef(t *testing.T) {
	r, err := ParseRef("linear:abc-1")
	if err != nil || r != (Ref{Side: Linear, ID: "abc-1"}) {
		t.Fatalf("%+v %v", r, err)
	}
	for _, bad := range []string{"", "jira", "jira:", "github:1", ":1"} {
		if _, err := ParseRef(bad); err == nil {
			t.Errorf("ParseRef(%q) accepted", bad)
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		r := Ref{Side: rapid.SampledFrom([]Side{Jira, Linear}).Draw(t, "side"), ID: rapid.StringMatching(`[A-Za-z0-9:-]{1,20}`).Draw(t, "id")}
		back, err := ParseRef(r.String())
		if err != nil || back != r {
			t.Fatalf("%+v -> %q -> %+v %v", r, r.String(), back, err)
		}
	})
}

func FuzzParseRef(f *testing.F) {
	f.Add("jira:10001")
	f.Add("linear::")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err == nil && r.String() != s {
			t.Fatalf("%q parsed to %+v which prints %q", s, r, r.String())
		}
	})
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestTwinID(t *testing.T) {
	a := TwinID("acme.atlassian.net", "10001")
	if !uuidV4.MatchString(a) {
		t.Fatalf("%q is not shaped like a UUID v4", a)
	}
	if a != TwinID("acme.atlassian.net", "10001") {
		t.Fatal("not deterministic")
	}
	if a == TwinID("acme.atlassian.net", "10002") || a == TwinID("other.atlassian.net", "10001") {
		t.Fatal("collides across issues or sites")
	}
}
