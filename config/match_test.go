package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMappingMatch(t *testing.T) {
	m, err := ParseMapping("m.yaml", []byte("match:\n  title: exact\n  pairs: pairs.csv\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !m.Match.TitleExact || m.Match.PairsFile != "pairs.csv" || m.Match.Off || m.Lines["match.title"] != 2 {
		t.Fatalf("match = %+v", m.Match)
	}
	if m, _ = ParseMapping("m.yaml", []byte("match: {off: true}\n")); !m.Match.Off {
		t.Fatal("off")
	}
	if d := DefaultMapping(); d.Match.Off || d.Match.TitleExact || d.Match.PairsFile != "" {
		t.Fatalf("default %+v", d.Match)
	}
	for in, want := range map[string]string{
		"match:\n  title: fuzzy\n": `m.yaml:2: match.title: "fuzzy" is not one of exact, off`,
		"match:\n  pairs: \"\"\n":  "m.yaml:2: match.pairs: want the path",
		"match:\n  signal: x\n":    "m.yaml:2: unknown setting match.signal (known: title, pairs, off)",
		"match: exact\n":           "m.yaml:1: match must be a mapping",
		"match:\n  off: maybe\n":   `m.yaml:2: match.off: "maybe" is not true or false`,
	} {
		if _, err := ParseMapping("m.yaml", []byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
	// A relative pairs file is found beside the mapping file.
	dir := t.TempDir()
	path := filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(path, []byte("match: {pairs: pairs.csv}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if m, err = LoadMapping(path); err != nil || m.Match.PairsFile != filepath.Join(dir, "pairs.csv") {
		t.Fatalf("%+v %v", m.Match, err)
	}
}

func TestMappingFirstSync(t *testing.T) {
	if d := DefaultMapping(); d.FirstSync != "jira" {
		t.Fatalf("default first_sync %q", d.FirstSync)
	}
	for _, p := range []string{"jira", "linear", "newest", "manual"} {
		m, err := ParseMapping("m.yaml", []byte("first_sync: "+p+"\n"))
		if err != nil || string(m.FirstSync) != p {
			t.Fatalf("%s: %q %v", p, m.FirstSync, err)
		}
	}
	if _, err := ParseMapping("m.yaml", []byte("first_sync: oldest\n")); err == nil || !strings.Contains(err.Error(), `m.yaml:1: first_sync: "oldest" is not one of jira, linear, newest, manual`) {
		t.Fatalf("%v", err)
	}
}

func TestMappingCrossLinks(t *testing.T) {
	if DefaultMapping().NoCrossLinks {
		t.Fatal("cross-links are on by default")
	}
	if m, err := ParseMapping("m.yaml", []byte("cross_links: off\n")); err != nil || !m.NoCrossLinks {
		t.Fatalf("%+v %v", m.NoCrossLinks, err)
	}
	if _, err := ParseMapping("m.yaml", []byte("cross_links: maybe\n")); err == nil || !strings.Contains(err.Error(), `cross_links: "maybe" is not one of on, off`) {
		t.Fatalf("%v", err)
	}
}
