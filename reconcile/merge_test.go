package reconcile

import (
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/tandem-sync/tandem/backlog"
)

// linearPriority mimics the Linear connector's lossy priority mapping.
func linearPriority(f backlog.Field, v backlog.Value) backlog.Value {
	if f == backlog.Priority && v == backlog.Value(backlog.PriorityLowest) {
		return backlog.Value(backlog.PriorityLow)
	}
	return v
}

func item(side backlog.Side, title string, prio backlog.PriorityLevel) backlog.Item {
	return backlog.Item{Ref: backlog.Ref{Side: side, ID: string(side) + "-1"}, Title: title, Priority: prio}
}

func TestMergeTable(t *testing.T) {
	fields := []backlog.Field{backlog.Title, backlog.Priority}
	base := backlog.Snapshot{backlog.Title: "base", backlog.Priority: "medium"}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name              string
		base              backlog.Snapshot
		jira, linear      backlog.Item
		policy            backlog.Policy
		wantJira, wantLin backlog.Patch
		wantBase          backlog.Snapshot
		wantConflicts     int
		wantDecision      backlog.Side
		jiraAt, linearAt  time.Time
	}{
		{name: "no change", base: base, jira: item(backlog.Jira, "base", "medium"), linear: item(backlog.Linear, "base", "medium"),
			wantJira: backlog.Patch{}, wantLin: backlog.Patch{}, wantBase: base},
		{name: "jira edit copies to linear", base: base, jira: item(backlog.Jira, "new", "medium"), linear: item(backlog.Linear, "base", "medium"),
			wantJira: backlog.Patch{}, wantLin: backlog.Patch{backlog.Title: "new"}, wantBase: backlog.Snapshot{backlog.Title: "new", backlog.Priority: "medium"}},
		{name: "linear edit copies to jira", base: base, jira: item(backlog.Jira, "base", "medium"), linear: item(backlog.Linear, "base", "high"),
			wantJira: backlog.Patch{backlog.Priority: "high"}, wantLin: backlog.Patch{}, wantBase: backlog.Snapshot{backlog.Title: "base", backlog.Priority: "high"}},
		{name: "both same value", base: base, jira: item(backlog.Jira, "same", "medium"), linear: item(backlog.Linear, "same", "medium"),
			wantJira: backlog.Patch{}, wantLin: backlog.Patch{}, wantBase: backlog.Snapshot{backlog.Title: "same", backlog.Priority: "medium"}},
		{name: "conflict jira policy", base: base, jira: item(backlog.Jira, "J", "medium"), linear: item(backlog.Linear, "L", "medium"), policy: backlog.PolicyJira,
			wantJira: backlog.Patch{}, wantLin: backlog.Patch{backlog.Title: "J"}, wantBase: backlog.Snapshot{backlog.Title: "J", backlog.Priority: "medium"}, wantConflicts: 1, wantDecision: backlog.Jira},
		{name: "conflict linear policy", base: base, jira: item(backlog.Jira, "J", "medium"), linear: item(backlog.Linear, "L", "medium"), policy: backlog.PolicyLinear,
			wantJira: backlog.Patch{backlog.Title: "L"}, wantLin: backlog.Patch{}, wantBase: backlog.Snapshot{backlog.Title: "L", backlog.Priority: "medium"}, wantConflicts: 1, wantDecision: backlog.Linear},
		{name: "conflict newest takes later side", base: base, jira: item(backlog.Jira, "J", "medium"), linear: item(backlog.Linear, "L", "medium"), policy: backlog.PolicyNewest,
			jiraAt: now.Add(-time.Minute), linearAt: now,
			wantJira: backlog.Patch{backlog.Title: "L"}, wantLin: backlog.Patch{}, wantBase: backlog.Snapshot{backlog.Title: "L", backlog.Priority: "medium"}, wantConflicts: 1, wantDecision: backlog.Linear},
		{name: "conflict manual holds both", base: base, jira: item(backlog.Jira, "J", "medium"), linear: item(backlog.Linear, "L", "medium"), policy: backlog.PolicyManual,
			wantJira: backlog.Patch{}, wantLin: backlog.Patch{}, wantBase: base, wantConflicts: 1},
		{name: "lossy lowest is not an edit on linear", base: backlog.Snapshot{backlog.Title: "base", backlog.Priority: "lowest"},
			jira: item(backlog.Jira, "base", "lowest"), linear: item(backlog.Linear, "base", "low"),
			wantJira: backlog.Patch{}, wantLin: backlog.Patch{}, wantBase: backlog.Snapshot{backlog.Title: "base", backlog.Priority: "lowest"}},
		{name: "jira lowest to low needs no linear write", base: backlog.Snapshot{backlog.Title: "base", backlog.Priority: "lowest"},
			jira: item(backlog.Jira, "base", "low"), linear: item(backlog.Linear, "base", "low"),
			wantJira: backlog.Patch{}, wantLin: backlog.Patch{}, wantBase: backlog.Snapshot{backlog.Title: "base", backlog.Priority: "low"}},
		{name: "no base and equal", base: nil, jira: item(backlog.Jira, "x", "high"), linear: item(backlog.Linear, "x", "high"),
			wantJira: backlog.Patch{}, wantLin: backlog.Patch{}, wantBase: backlog.Snapshot{backlog.Title: "x", backlog.Priority: "high"}},
		{name: "no base and different is a conflict", base: nil, jira: item(backlog.Jira, "x", "high"), linear: item(backlog.Linear, "y", "high"),
			wantJira: backlog.Patch{}, wantLin: backlog.Patch{backlog.Title: "x"}, wantBase: backlog.Snapshot{backlog.Title: "x", backlog.Priority: "high"}, wantConflicts: 1, wantDecision: backlog.Jira},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.jira.UpdatedAt, tc.linear.UpdatedAt = tc.jiraAt, tc.linearAt
			out := Merge(Input{Fields: fields, Base: tc.base, Jira: tc.jira, Linear: tc.linear, ProjectLinear: linearPriority,
				Policies: Policies{Default: tc.policy}, Now: now})
			assertPatch(t, "jira", out.Jira, tc.wantJira)
			assertPatch(t, "linear", out.Linear, tc.wantLin)
			assertPatch(t, "base", backlog.Patch(out.Base), backlog.Patch(tc.wantBase))
			if len(out.Conflicts) != tc.wantConflicts {
				t.Fatalf("conflicts = %d, want %d", len(out.Conflicts), tc.wantConflicts)
			}
			for _, c := range out.Conflicts {
				if c.Decision != tc.wantDecision {
					t.Errorf("decision = %q, want %q", c.Decision, tc.wantDecision)
				}
				if c.JiraVal != tc.jira.Get(c.Field) || c.LinVal != tc.linear.Get(c.Field) || c.Base != tc.base[c.Field] {
					t.Errorf("conflict record does not carry both values and the base: %+v", c)
				}
				if tc.wantDecision == "" && !c.Open() {
					t.Errorf("manual conflict should stay open")
				}
			}
		})
	}
}

func assertPatch(t *testing.T, name string, got, want backlog.Patch) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s = %v, want %v", name, got, want)
	}
	for f, v := range want {
		if got[f] != v {
			t.Fatalf("%s[%s] = %q, want %q (all: %v)", name, f, got[f], v, got)
		}
	}
}

func TestMergeHeldFieldIsLeftAlone(t *testing.T) {
	base := backlog.Snapshot{backlog.Title: "b"}
	out := Merge(Input{Fields: []backlog.Field{backlog.Title}, Base: base,
		Jira: item(backlog.Jira, "J", ""), Linear: item(backlog.Linear, "L", ""), Held: map[backlog.Field]bool{backlog.Title: true}})
	if len(out.Jira)+len(out.Linear)+len(out.Conflicts) != 0 || out.Base[backlog.Title] != "b" {
		t.Fatalf("held field was merged: %+v", out)
	}
}

// TestMergeProperties checks, for random bases and random edits on both
// sides, that applying the patches makes both sides agree with the new base
// (so a second pass is a no-op: no echo), and that a conflict is reported
// exactly when both sides changed to different values.
func TestMergeProperties(t *testing.T) {
	values := []string{"a", "b", "c"}
	prios := []backlog.PriorityLevel{backlog.PriorityNone, backlog.PriorityHighest, backlog.PriorityHigh, backlog.PriorityMedium, backlog.PriorityLow, backlog.PriorityLowest}
	rapid.Check(t, func(t *rapid.T) {
		fields := []backlog.Field{backlog.Title, backlog.Priority}
		baseTitle := rapid.SampledFrom(values).Draw(t, "baseTitle")
		basePrio := rapid.SampledFrom(prios).Draw(t, "basePrio")
		policy := rapid.SampledFrom([]backlog.Policy{backlog.PolicyJira, backlog.PolicyLinear, backlog.PolicyNewest}).Draw(t, "policy")
		base := backlog.Snapshot{backlog.Title: backlog.Value(baseTitle), backlog.Priority: backlog.Value(basePrio)}
		j := item(backlog.Jira, baseTitle, basePrio)
		l := item(backlog.Linear, baseTitle, backlog.PriorityLevel(linearPriority(backlog.Priority, backlog.Value(basePrio))))
		if rapid.Bool().Draw(t, "jTitle") {
			j.Title = rapid.SampledFrom(values).Draw(t, "jt")
		}
		if rapid.Bool().Draw(t, "lTitle") {
			l.Title = rapid.SampledFrom(values).Draw(t, "lt")
		}
		if rapid.Bool().Draw(t, "jPrio") {
			j.Priority = rapid.SampledFrom(prios).Draw(t, "jp")
		}
		if rapid.Bool().Draw(t, "lPrio") {
			l.Priority = backlog.PriorityLevel(linearPriority(backlog.Priority, backlog.Value(rapid.SampledFrom(prios).Draw(t, "lp"))))
		}
		in := Input{Fields: fields, Base: base, Jira: j, Linear: l, ProjectLinear: linearPriority, Policies: Policies{Default: policy}}
		out := Merge(in)

		// Both-changed-differently is exactly the conflict set.
		for _, f := range fields {
			jc := j.Get(f) != base[f]
			lc := l.Get(f) != linearPriority(f, base[f])
			diff := !equivalent(in, f, j.Get(f), l.Get(f))
			want := jc && lc && diff
			got := false
			for _, c := range out.Conflicts {
				got = got || c.Field == f
			}
			if got != want {
				t.Fatalf("field %s: conflict=%v want %v (base %q jira %q linear %q)", f, got, want, base[f], j.Get(f), l.Get(f))
			}
		}
		// Apply the patches as the sides would store them.
		j2, err := out.Jira.Apply(j)
		if err != nil {
			t.Fatal(err)
		}
		l2 := l
		for f, v := range out.Linear {
			if err := l2.Set(f, linearPriority(f, v)); err != nil {
				t.Fatal(err)
			}
		}
		again := Merge(Input{Fields: fields, Base: out.Base, Jira: j2, Linear: l2, ProjectLinear: linearPriority, Policies: Policies{Default: policy}})
		if len(again.Jira)+len(again.Linear)+len(again.Conflicts) != 0 {
			t.Fatalf("second pass not a no-op: %+v (first %+v)", again, out)
		}
	})
}

// TestMergeLabelsProperties: for random label sets (Linear cannot hold
// "z"), every add on either side ends on both, every remove on either side
// is gone from both, and a second pass writes nothing.
func TestMergeLabelsProperties(t *testing.T) {
	alphabet := []string{"a", "b", "c", "z"}
	noZ := func(f backlog.Field, v backlog.Value) backlog.Value {
		if f != backlog.Labels {
			return v
		}
		var keep []string
		for _, x := range split(v) {
			if x != "z" {
				keep = append(keep, x)
			}
		}
		return backlog.Value(strings.Join(keep, "\n"))
	}
	set := func(t *rapid.T, name string) backlog.Value {
		var it backlog.Item
		it.Labels = rapid.SliceOfDistinct(rapid.SampledFrom(alphabet), rapid.ID[string]).Draw(t, name)
		return it.Get(backlog.Labels)
	}
	rapid.Check(t, func(t *rapid.T) {
		b := set(t, "base")
		j := set(t, "jira")
		l := noZ(backlog.Labels, set(t, "linear"))
		var ji, li backlog.Item
		ji.Set(backlog.Labels, j)
		li.Set(backlog.Labels, l)
		in := Input{Fields: []backlog.Field{backlog.Labels}, Base: backlog.Snapshot{backlog.Labels: b}, Jira: ji, Linear: li, ProjectLinear: noZ}
		out := Merge(in)
		if len(out.Conflicts) != 0 {
			t.Fatalf("labels conflicted: %+v", out.Conflicts)
		}
		j2, _ := out.Jira.Apply(ji)
		l2, _ := out.Linear.Apply(li)
		l2.Set(backlog.Labels, noZ(backlog.Labels, l2.Get(backlog.Labels)))
		has := func(v backlog.Value, x string) bool { return slices.Contains(split(v), x) }
		lb := noZ(backlog.Labels, b)
		for _, x := range alphabet {
			addJ, remJ := has(j, x) && !has(b, x), !has(j, x) && has(b, x)
			addL, remL := has(l, x) && !has(lb, x), !has(l, x) && has(lb, x)
			switch {
			case (addJ || addL) && !(remJ || remL):
				if !has(j2.Get(backlog.Labels), x) || (x != "z" && !has(l2.Get(backlog.Labels), x)) {
					t.Fatalf("added %s lost: jira %q linear %q", x, j2.Get(backlog.Labels), l2.Get(backlog.Labels))
				}
			case (remJ || remL) && !(addJ || addL):
				if has(j2.Get(backlog.Labels), x) || has(l2.Get(backlog.Labels), x) {
					t.Fatalf("removed %s kept: jira %q linear %q", x, j2.Get(backlog.Labels), l2.Get(backlog.Labels))
				}
			}
		}
		again := Merge(Input{Fields: in.Fields, Base: out.Base, Jira: j2, Linear: l2, ProjectLinear: noZ})
		if len(again.Jira)+len(again.Linear) != 0 {
			t.Fatalf("second pass writes %+v", again)
		}
	})
}

// TestUnchangedProperties: when a side is Unchanged, nothing flows from it:
// the merge writes nothing to the other side and finds no conflict, so a
// pass that side started may stop after reading it alone.
func TestUnchangedProperties(t *testing.T) {
	values := []string{"a", "b"}
	prios := []backlog.PriorityLevel{backlog.PriorityMedium, backlog.PriorityLow, backlog.PriorityLowest}
	labels := []string{"", "x", "x\ny", "y"}
	rapid.Check(t, func(t *rapid.T) {
		fields := []backlog.Field{backlog.Title, backlog.Priority, backlog.Labels}
		base := backlog.Snapshot{
			backlog.Title:    backlog.Value(rapid.SampledFrom(values).Draw(t, "bt")),
			backlog.Priority: backlog.Value(rapid.SampledFrom(prios).Draw(t, "bp")),
			backlog.Labels:   backlog.Value(rapid.SampledFrom(labels).Draw(t, "bl")),
		}
		draw := func(side backlog.Side) backlog.Item {
			it := item(side, rapid.SampledFrom(values).Draw(t, string(side)+"t"), rapid.SampledFrom(prios).Draw(t, string(side)+"p"))
			if side == backlog.Linear {
				it.Priority = backlog.PriorityLevel(linearPriority(backlog.Priority, backlog.Value(it.Priority)))
			}
			if l := rapid.SampledFrom(labels).Draw(t, string(side)+"l"); l != "" {
				it.Labels = strings.Split(l, "\n")
			}
			return it
		}
		in := Input{Fields: fields, Base: base, Jira: draw(backlog.Jira), Linear: draw(backlog.Linear), ProjectLinear: linearPriority,
			Policies: Policies{Default: rapid.SampledFrom([]backlog.Policy{backlog.PolicyJira, backlog.PolicyLinear}).Draw(t, "policy")}}
		if dir := rapid.SampledFrom([]Direction{Both, JiraToLinear, LinearToJira, DirectionOff}).Draw(t, "dir"); dir != Both {
			in.Directions = map[backlog.Field]Direction{backlog.Title: dir}
		}
		out := Merge(in)
		for _, side := range []backlog.Side{backlog.Jira, backlog.Linear} {
			if !Unchanged(in, side) {
				continue
			}
			if p := out.Patch(side.Other()); len(p) != 0 || len(out.Conflicts) != 0 {
				t.Fatalf("%s unchanged, yet the merge writes %v to %s (conflicts %d); in %+v", side, p, side.Other(), len(out.Conflicts), in)
			}
		}
	})
}

func TestUnchangedTable(t *testing.T) {
	base := backlog.Snapshot{backlog.Title: "a", backlog.Priority: "lowest"}
	fields := []backlog.Field{backlog.Title, backlog.Priority}
	in := func(j, l backlog.Item) Input {
		return Input{Fields: fields, Base: base, Jira: j, Linear: l, ProjectLinear: linearPriority}
	}
	j, l := item(backlog.Jira, "a", backlog.PriorityLowest), item(backlog.Linear, "a", backlog.PriorityLow)
	if !Unchanged(in(j, l), backlog.Jira) || !Unchanged(in(j, l), backlog.Linear) {
		t.Fatal("both hold the base (Linear as it would hold lowest): want unchanged")
	}
	if Unchanged(in(item(backlog.Jira, "b", backlog.PriorityLowest), l), backlog.Jira) {
		t.Fatal("a new Jira title: want changed")
	}
	noPrio := in(j, l)
	noPrio.Base = backlog.Snapshot{backlog.Title: "a"}
	if Unchanged(noPrio, backlog.Linear) {
		t.Fatal("a field the base lacks counts as changed")
	}
	held := in(j, item(backlog.Linear, "b", backlog.PriorityLow))
	held.Held = map[backlog.Field]bool{backlog.Title: true}
	if !Unchanged(held, backlog.Linear) {
		t.Fatal("a held field is not asked")
	}
	oneWay := in(j, item(backlog.Linear, "b", backlog.PriorityLow))
	oneWay.Directions = map[backlog.Field]Direction{backlog.Title: JiraToLinear}
	if !Unchanged(oneWay, backlog.Linear) {
		t.Fatal("Linear's edits of a jira_to_linear field are not taken: not a change")
	}
}
