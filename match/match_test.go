package match

import (
	"slices"
	"strings"
	"testing"

	"github.com/tandem-sync/tandem/backlog"
)

func ref(id string) backlog.Ref { return backlog.Ref{Side: backlog.Linear, ID: id} }

func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cands     []Candidate
		match     string
		signal    Signal
		ambiguous []string
	}{
		{"none", nil, "", "", nil},
		{"one cross-link", []Candidate{{ref("a"), CrossLink}}, "a", CrossLink, nil},
		{"one pair", []Candidate{{ref("a"), Pairs}}, "a", Pairs, nil},
		{"one key", []Candidate{{ref("a"), Key}}, "a", Key, nil},
		{"one title", []Candidate{{ref("a"), Title}}, "a", Title, nil},
		{"the strongest wins over weaker ones", []Candidate{{ref("b"), Title}, {ref("c"), Key}, {ref("a"), CrossLink}, {ref("d"), Pairs}}, "a", CrossLink, nil},
		{"pairs over key", []Candidate{{ref("c"), Key}, {ref("d"), Pairs}}, "d", Pairs, nil},
		{"key over title", []Candidate{{ref("b"), Title}, {ref("c"), Key}}, "c", Key, nil},
		{"two titles are ambiguous", []Candidate{{ref("b"), Title}, {ref("a"), Title}}, "", Title, []string{"a", "b"}},
		{"two cross-links are ambiguous, weaker signals do not settle it", []Candidate{{ref("b"), CrossLink}, {ref("a"), CrossLink}, {ref("a"), Pairs}}, "", CrossLink, []string{"a", "b"}},
		{"one candidate named twice is one", []Candidate{{ref("a"), Key}, {ref("a"), Key}}, "a", Key, nil},
		{"a stronger unique signal settles weaker ambiguity", []Candidate{{ref("a"), Title}, {ref("b"), Title}, {ref("b"), Key}}, "b", Key, nil},
		{"empty refs and unknown signals are ignored", []Candidate{{backlog.Ref{}, CrossLink}, {ref("x"), "psychic"}}, "", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.cands)
			if d.Match.ID != tc.match || d.Signal != tc.signal || d.Matched() != (tc.match != "") {
				t.Fatalf("Decide = %+v, want match %q by %q", d, tc.match, tc.signal)
			}
			var amb []string
			for _, r := range d.Ambiguous {
				amb = append(amb, r.ID)
			}
			if !slices.Equal(amb, tc.ambiguous) {
				t.Fatalf("ambiguous = %v, want %v", amb, tc.ambiguous)
			}
		})
	}
}

func TestJiraKeys(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"", nil},
		{"[TAN-3] Login page", []string{"TAN-3"}},
		{"Imported from tan-3 and TAN-12; see TAN-3 again", []string{"TAN-3", "TAN-12"}},
		{"TAN-12 is not TAN-1", []string{"TAN-12", "TAN-1"}},
		{"XTAN-1, TAN-1x, TAN_1, TAN-, ENG-4", nil},
		{"(TAN-7)", []string{"TAN-7"}},
		{"https://acme.atlassian.net/browse/TAN-9", []string{"TAN-9"}},
		{"snake_TAN-5", nil},
	} {
		if got := JiraKeys(tc.text, "tan"); !slices.Equal(got, tc.want) {
			t.Errorf("JiraKeys(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
	if JiraKeys("TAN-1", "") != nil {
		t.Error("no project, keys found")
	}
	if !HasKey("see TAN-1.", "TAN-1") || HasKey("see TAN-10", "TAN-1") || HasKey("TAN-1", "nonsense") {
		t.Error("HasKey")
	}
}

func TestURLs(t *testing.T) {
	base := "https://acme.atlassian.net"
	for u, want := range map[string]string{
		"https://acme.atlassian.net/browse/TAN-3":          "TAN-3",
		"https://ACME.atlassian.net/browse/tan-3/":         "TAN-3",
		"https://acme.atlassian.net/browse/TAN-3?focus=1":  "TAN-3",
		"https://acme.atlassian.net/browse/TAN-3#comment":  "TAN-3",
		"https://other.atlassian.net/browse/TAN-3":         "",
		"https://acme.atlassian.net/browse/TAN-3/extra":    "",
		"https://acme.atlassian.net/projects/TAN/issues/1": "",
		"https://acme.atlassian.net/browse/NOTAKEY":        "",
		"not a url": "",
	} {
		if got := JiraKeyFromURL(u, base); got != want {
			t.Errorf("JiraKeyFromURL(%q) = %q, want %q", u, got, want)
		}
	}
	if got := JiraKeyFromURL("http://127.0.0.1:4444/jira/browse/TAN-1", "http://127.0.0.1:4444/jira/"); got != "TAN-1" {
		t.Errorf("a site under a path: %q", got)
	}
	for u, want := range map[string]string{
		"https://linear.app/acme/issue/ENG-12":                     "ENG-12",
		"https://linear.app/acme/issue/eng-12/fix-the-login-page":  "ENG-12",
		"https://linear.app/acme/issue/ENG-12/slug?x=1":            "ENG-12",
		"https://linear.app/other/issue/ENG-12":                    "",
		"https://linear.app/acme/project/ENG-12":                   "",
		"https://evil.example/linear.app/acme/issue/ENG-12":        "",
		"https://linear.app/acme/issue/ENG-12/slug/more":           "",
		"https://linear.app/acme/issue/ENG-12/fix-the-login-page/": "ENG-12",
	} {
		if got := LinearIdentifierFromURL(u, "acme"); got != want {
			t.Errorf("LinearIdentifierFromURL(%q) = %q, want %q", u, got, want)
		}
	}
	if LinearIdentifierFromURL("https://linear.app/other/issue/ENG-1", "") != "ENG-1" {
		t.Error("any workspace")
	}
}

func TestSameTitle(t *testing.T) {
	if !SameTitle(" Login page", "Login page ") || SameTitle("Login page", "login page") || SameTitle("", "") || SameTitle(" ", " ") {
		t.Error("SameTitle")
	}
}

func TestParsePairs(t *testing.T) {
	ps, err := ParsePairs(strings.NewReader("jira,linear\n# comment\n\nTAN-1,ENG-4\n tan-2 , eng-5 \n\"TAN-3\",\"ENG-6\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ps.Len() != 3 || ps.LinearOf("tan-2") != "ENG-5" || ps.JiraOf("eng-6") != "TAN-3" || ps.LinearOf("TAN-9") != "" || ps.JiraOf("ENG-1") != "" {
		t.Fatalf("pairs: %+v", ps.All())
	}
	if all := ps.All(); all[0].Jira != "TAN-1" || all[2].Line != 6 {
		t.Fatalf("All: %+v", all)
	}
	for _, tc := range []struct{ in, want string }{
		{"TAN-1,ENG-1\nTAN-1,ENG-2\n", "line 2: TAN-1 is paired on line 1"},
		{"TAN-1,ENG-1\nTAN-2,eng-1\n", "line 2: ENG-1 is paired on line 1"},
		{"TAN-1\n", "line 1: want two columns"},
		{"TAN-1,ENG-1,x\n", "line 1: want two columns"},
		{"TAN,ENG-1\n", `line 1: "TAN" is not a Jira issue key`},
		{"TAN-1,ENG 1\n", `line 1: "ENG 1" is not a Linear issue identifier`},
		{"TAN-1,ENG-1\njira,linear\n", `line 2: "jira" is not a Jira issue key`},
	} {
		_, err := ParsePairs(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParsePairs(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
	// Every bad line is reported, the good ones kept.
	ps, err = ParsePairs(strings.NewReader("x\nTAN-1,ENG-1\ny\n"))
	if err == nil || !strings.Contains(err.Error(), "line 1") || !strings.Contains(err.Error(), "line 3") || ps.Len() != 1 {
		t.Fatalf("%v %d", err, ps.Len())
	}
}
