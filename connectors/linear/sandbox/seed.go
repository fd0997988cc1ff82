package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// seedID derives a stable UUID-v4-shaped id, so a fresh sandbox always has
// the same team, state and user ids.
func seedID(name string) string {
	sum := sha256.Sum256([]byte("linear-sandbox/" + name))
	b := sum[:16]
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

var seedStates = []struct{ name, typ, color string }{
	{"Backlog", "backlog", "#bec2c8"},
	{"Todo", "unstarted", "#e2e2e2"},
	{"In Progress", "started", "#f2c94c"},
	{"In Review", "started", "#0f783c"},
	{"Done", "completed", "#5e6ad2"},
	{"Canceled", "canceled", "#95a2b3"},
}

// jiraSeedLabels are the labels of the Jira sandbox's default backlog that
// are not already among the workspace labels above (Bug, Docs match "bug"
// and "docs" case-insensitively, as Tandem compares labels).
var jiraSeedLabels = []string{"api", "auth", "database", "growth", "infra", "tests", "ui"}

var seedBacklog = []struct {
	title, desc, state string
	priority           int
	estimate           float64
	labels             []string
	assignee           string
	due                string
}{
	{"Login fails with SSO when the email has uppercase letters", "Users signing in through Okta get **\"account not found\"**.\n\n## Steps\n1. Create a user `Jane.Doe@example.com`\n2. Sign in through SSO\n\nExpected: signed in. Actual: error page.", "In Progress", 1, 3, []string{"Bug"}, AliceEmail, ""},
	{"Export issues as CSV", "Customers ask for a CSV export of the current view.\n\n- respect filters\n- include custom fields", "Todo", 3, 5, []string{"Feature"}, "", ""},
	{"Upgrade Postgres to 16", "Follow the runbook in `docs/db.md`. Needs a maintenance window.", "Backlog", 2, 8, nil, BobEmail, "2026-12-15"},
	{"Dark mode flickers on page load", "A white flash appears before the theme applies. See [the screenshot](https://example.com/flash.png).", "In Review", 3, 2, []string{"Bug"}, AliceEmail, ""},
	{"Rate-limit the public API", "Add a leaky bucket per token. Budget: *1,500 requests/hour*.", "Todo", 2, 5, []string{"Feature"}, "", "2026-12-01"},
	{"Onboarding checklist", "A checklist for new workspaces:\n\n- [ ] invite teammates\n- [ ] connect GitHub\n- [ ] create a first issue", "Backlog", 0, 0, []string{"Feature"}, "", ""},
	{"Crash when the comment body is empty", "`TypeError: cannot read properties of undefined (reading 'length')`", "Done", 1, 1, []string{"Bug"}, BobEmail, ""},
	{"Document the webhook signature", "Explain `Linear-Signature` and the 60 s timestamp window in the developer guide.", "Backlog", 4, 1, []string{"Docs"}, "", ""},
	{"Search ignores accents", "Searching `cafe` should find `café`.", "Todo", 3, 3, []string{"Bug"}, "", ""},
	{"Migrate CI to the new runners", "> Old runners are retired at the end of the quarter.\n\nMove all workflows.", "In Progress", 2, 5, nil, BobEmail, ""},
	{"Remove the legacy v1 endpoints", "They have had no traffic for 90 days.", "Canceled", 4, 2, nil, "", ""},
	{"Weekly digest email", "Send a Monday digest of assigned issues.", "Backlog", 0, 0, []string{"Feature"}, "", ""},
}

func (s *Server) seed() {
	now := s.now()
	t0 := now.Add(-30 * 24 * time.Hour)
	w := &world{orgID: seedID("org"), orgName: "Tandem Sandbox", urlKey: "tandem", orgCreated: t0}
	s.w = w
	for _, u := range []struct {
		email, name, display, key string
		admin                     bool
	}{
		{BotEmail, "Tandem Bot", "tandem-bot", BotKey, false},
		{AliceEmail, "Alice Martin", "alice", AliceKey, true},
		{BobEmail, "Bob Chen", "bob", BobKey, false},
	} {
		w.users = append(w.users, &user{id: seedID("user/" + u.email), name: u.name, displayName: u.display,
			email: u.email, key: u.key, active: true, admin: u.admin, createdAt: t0})
	}
	teamName := "Engineering"
	if s.opts.TeamKey != "ENG" {
		teamName = s.opts.TeamKey
	}
	t := &team{id: seedID("team/" + s.opts.TeamKey), key: s.opts.TeamKey, name: teamName, createdAt: t0,
		estType: s.opts.EstimationType, estZero: s.opts.EstimationAllowZero, estExtend: s.opts.EstimationExtended}
	w.teams = append(w.teams, t)
	for n, st := range seedStates {
		w.states = append(w.states, &state{id: seedID("state/" + t.key + "/" + st.name), name: st.name, typ: st.typ,
			color: st.color, position: float64(n), team: t, createdAt: t0.Add(time.Duration(n) * time.Second)})
	}
	for n, l := range []struct{ name, color string }{{"Bug", "#eb5757"}, {"Feature", "#bb87fc"}, {"Docs", "#4ea7fc"}} {
		at := t0.Add(time.Duration(n) * time.Second)
		w.labels = append(w.labels, &label{id: seedID("label/" + l.name), name: l.name, color: l.color, createdAt: at, updatedAt: at})
	}
	// A team label beside the workspace ones.
	w.labels = append(w.labels, &label{id: seedID("label/" + t.key + "/Backend"), name: "Backend", color: "#26b5ce", team: t,
		createdAt: t0.Add(3 * time.Second), updatedAt: t0.Add(3 * time.Second)})
	// The labels the Jira sandbox's backlog uses, spelt as there, as a team
	// that syncs both tools would have set them up: so Tandem, whose
	// default is not to create labels in Linear, finds every one of them.
	for n, name := range jiraSeedLabels {
		at := t0.Add(time.Duration(4+n) * time.Second)
		w.labels = append(w.labels, &label{id: seedID("label/" + name), name: name, color: "#95a2b3", createdAt: at, updatedAt: at})
	}
	// Cycles 1 (past) and 2 (current) carry no name, as Linear's automatic
	// cycles do; cycle 3 (next) was named.
	for n := 1; n <= 3; n++ {
		start := now.Add(time.Duration(n-2) * 14 * 24 * time.Hour).Truncate(24 * time.Hour)
		name := ""
		if n == 3 {
			name = "Hardening"
		}
		w.cycles = append(w.cycles, &cycle{id: seedID("cycle/" + t.key + "/" + string(rune('0'+n))), number: n,
			name: name, team: t, startsAt: start, endsAt: start.Add(14 * 24 * time.Hour), createdAt: t0})
	}
	// One project of the team; every third seeded issue is in it.
	w.seedProjectStatuses(t0)
	launch := &project{id: seedID("project/Launch"), name: "Q4 Launch", slugID: "3f9a1c2b7d4e", teams: []*team{t},
		description: "Everything that ships with the Q4 launch.", status: w.projectStatusOf("planned"), createdAt: t0, updatedAt: t0}
	w.projects = append(w.projects, launch)
	if s.opts.SeedIssues < 0 {
		return
	}
	n := s.opts.SeedIssues
	if n == 0 {
		n = len(seedBacklog)
	}
	bot := w.userByEmail(BotEmail)
	states := map[string]*state{}
	for _, st := range w.teamStates(t) {
		states[st.name] = st
	}
	// An hour apart, or closer for a large backlog, so that every seeded
	// issue was created and updated in the past (a Linear updatedAt is
	// never ahead of the server's clock).
	step := min(time.Hour, now.Sub(t0)/time.Duration(n+1))
	for k := 0; k < n; k++ {
		b := seedBacklog[k%len(seedBacklog)]
		title := b.title
		if round := k / len(seedBacklog); round > 0 {
			// A, B, … Z, then A2, B2, …: titles (and so ids) stay distinct
			// for backlogs of any size; the first 312 keep their old ids.
			suffix := string(rune('A' + round%26))
			if round >= 26 {
				suffix += strconv.Itoa(round/26 + 1)
			}
			title += " (" + suffix + ")"
		}
		at := t0.Add(time.Duration(k) * step)
		i := &issue{id: seedID("issue/" + t.key + "/" + title), title: title, description: b.desc,
			priority: b.priority, team: t, creator: bot, createdAt: at, updatedAt: at, sortOrder: float64(k+1) * 1000,
			dueDate: b.due}
		if b.estimate > 0 {
			i.estimate = ptr(b.estimate)
		}
		i.state = states[b.state]
		if k%3 == 0 {
			i.project = launch
		}
		for _, ln := range b.labels {
			for _, l := range w.labels {
				if l.name == ln {
					i.labels = append(i.labels, l)
				}
			}
		}
		if b.assignee != "" {
			i.assignee = w.userByEmail(b.assignee)
		}
		if i.state.typ == "started" || i.state.typ == "completed" {
			i.startedAt = ptr(at)
		}
		s.stateTimes(i, nil, at)
		t.nextNumber++
		i.number = t.nextNumber
		i.identifier = t.key + "-" + strconv.Itoa(i.number)
		w.addIssue(i)
	}
}
