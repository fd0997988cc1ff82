package backlog

import "testing"

func TestRelationsEncoding(t *testing.T) {
	it := Item{Relations: []Relation{{RelRelated, "b"}, {RelBlocks, "a"}, {RelBlocks, "a"}}}
	if got := it.Get(Relations); got != "blocks:a\nrelated:b" {
		t.Errorf("encoding %q", got)
	}
	var back Item
	if err := back.Set(Relations, it.Get(Relations)); err != nil || back.Get(Relations) != it.Get(Relations) {
		t.Errorf("round trip: %v %q", err, back.Get(Relations))
	}
	for _, bad := range []Value{"blocks", "blocks:", "owns:a", "blocks:a\n\nrelated:b"} {
		if err := back.Set(Relations, bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	for _, tc := range []struct{ t, inv RelationType }{{RelBlocks, RelBlockedBy}, {RelDuplicates, RelDuplicatedBy}, {RelRelated, RelRelated}} {
		if tc.t.Inverse() != tc.inv || tc.inv.Inverse() != tc.t {
			t.Errorf("inverse of %s", tc.t)
		}
	}
}

func TestSetPatchAndMerge(t *testing.T) {
	for _, tc := range []struct {
		base, a, b, want Value
	}{
		{"", "", "", ""},
		{"", "blocks:1", "", "blocks:1"},
		{"blocks:1", "", "blocks:1", ""},                     // removed on one side
		{"blocks:1", "blocks:1\nrelated:2", "", "related:2"}, // removed on one, added on the other
		{"x", "x\ny", "x\nz", "x\ny\nz"},
		{"x\ny", "y", "x", ""},
	} {
		got := MergeSets(tc.base, tc.a, tc.b)
		if got != tc.want {
			t.Errorf("MergeSets(%q, %q, %q) = %q, want %q", tc.base, tc.a, tc.b, got, tc.want)
		}
		for _, from := range []Value{tc.a, tc.b} {
			if back := ApplySetPatch(from, SetPatch(from, got)); back != got {
				t.Errorf("ApplySetPatch(%q, SetPatch(%q, %q)) = %q", from, from, got, back)
			}
		}
	}
	if p := SetPatch("a\nb", "b\nc"); p != "+c\n-a" {
		t.Errorf("SetPatch %q", p)
	}
	it, err := Patch{Relations: "+blocks:2\n-related:1"}.Apply(Item{Relations: []Relation{{RelRelated, "1"}, {RelBlocks, "3"}}})
	if err != nil || it.Get(Relations) != "blocks:2\nblocks:3" {
		t.Errorf("Apply: %v %q", err, it.Get(Relations))
	}
}
