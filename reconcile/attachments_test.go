package reconcile

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

// memFiles is a tool's files behind connectors.Attacher. Tandem's own
// uploads are Mine; Linear's carry their source (Jira's cannot).
type memFiles struct {
	side    backlog.Side
	byIssue map[string][]backlog.Attachment
	content map[string][]byte
	links   map[string]string // link id → url
	next    int
	writes  int
	opens   int
}

func newFiles(side backlog.Side) *memFiles {
	return &memFiles{side: side, byIssue: map[string][]backlog.Attachment{}, content: map[string][]byte{}, links: map[string]string{}}
}

func (m *memFiles) Attachments(_ context.Context, id string) ([]backlog.Attachment, error) {
	return slices.Clone(m.byIssue[id]), nil
}

func (m *memFiles) Open(_ context.Context, a backlog.Attachment) (io.ReadCloser, int64, error) {
	b, ok := m.content[a.ID]
	if !ok {
		return nil, 0, fmt.Errorf("file %s: %w", a.ID, connectors.ErrNotFound)
	}
	m.opens++
	return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
}

func (m *memFiles) Attach(_ context.Context, id string, f backlog.FileCopy, r io.Reader) (string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return "", err
	}
	if int64(len(b)) != f.Size {
		return "", fmt.Errorf("declared %d bytes, sent %d", f.Size, len(b))
	}
	m.writes++
	m.next++
	a := backlog.Attachment{ID: fmt.Sprint(m.side, "-f", m.next), Name: f.Name, Size: f.Size, MimeType: f.MimeType, Mine: true}
	if m.side == backlog.Linear {
		a.Source = f.Source
	}
	m.byIssue[id] = append(m.byIssue[id], a)
	m.content[a.ID] = b
	return a.ID, nil
}

func (m *memFiles) AttachLink(_ context.Context, _ string, f backlog.FileCopy, url string) (string, error) {
	m.writes++
	id := "link-" + f.Source.String()
	m.links[id] = url
	return id, nil
}

func (m *memFiles) DeleteAttachment(_ context.Context, id string, a backlog.Attachment) error {
	m.writes++
	if a.Link {
		delete(m.links, a.ID)
		return nil
	}
	m.byIssue[id] = slices.DeleteFunc(m.byIssue[id], func(x backlog.Attachment) bool { return x.ID == a.ID })
	delete(m.content, a.ID)
	return nil
}

// human attaches a file as a person would (no write counted).
func (m *memFiles) human(issue, name string, b []byte) string {
	m.next++
	a := backlog.Attachment{ID: fmt.Sprint(m.side, "-h", m.next), Name: name, Size: int64(len(b)), URL: "https://files.example/" + name, Author: "alice@example.com"}
	m.byIssue[issue] = append(m.byIssue[issue], a)
	m.content[a.ID] = b
	return a.ID
}

func (m *memFiles) remove(issue, id string) {
	m.byIssue[issue] = slices.DeleteFunc(m.byIssue[issue], func(x backlog.Attachment) bool { return x.ID == id })
	delete(m.content, id)
}

// names lists the names and contents of an issue's files.
func (m *memFiles) names(issue string) []string {
	var out []string
	for _, a := range m.byIssue[issue] {
		out = append(out, a.Name+"="+string(m.content[a.ID]))
	}
	slices.Sort(out)
	return out
}

func TestFilesMirrorBothWays(t *testing.T) {
	s, j, _, _ := newSyncer(t, backlog.PolicyJira)
	jf, lf := newFiles(backlog.Jira), newFiles(backlog.Linear)
	s.JiraFiles, s.LinearFiles, s.FileCap = jf, lf, 100
	ref := j.put(backlog.Item{Ref: backlog.Ref{ID: "1", Key: "TAN-1"}, Title: "A"})
	mustSync(t, s, ref)
	lid := backlog.TwinID("jira.example", "1")
	lref := backlog.Ref{Side: backlog.Linear, ID: lid}

	steps := []struct {
		name       string
		do         func()
		jira, lin  []string
		links      int // links on Linear, then Jira
		jiraLinks  int
		wantWrites int
	}{
		{"a jira file is copied", func() { jf.human("1", "spec.pdf", []byte("PDF")) },
			[]string{"spec.pdf=PDF"}, []string{"spec.pdf=PDF"}, 0, 0, 1},
		{"a linear file is copied back", func() { lf.human(lid, "trace.log", []byte("boom")) },
			[]string{"spec.pdf=PDF", "trace.log=boom"}, []string{"spec.pdf=PDF", "trace.log=boom"}, 0, 0, 1},
		{"nothing new, nothing written", func() {},
			[]string{"spec.pdf=PDF", "trace.log=boom"}, []string{"spec.pdf=PDF", "trace.log=boom"}, 0, 0, 0},
		{"a file above the cap is linked", func() { jf.human("1", "video.mp4", bytes.Repeat([]byte("v"), 101)) },
			[]string{"spec.pdf=PDF", "trace.log=boom", "video.mp4=" + strings.Repeat("v", 101)}, []string{"spec.pdf=PDF", "trace.log=boom"}, 1, 0, 1},
		{"deleting the jira original deletes the copy", func() { jf.remove("1", jf.byIssue["1"][0].ID) },
			[]string{"trace.log=boom", "video.mp4=" + strings.Repeat("v", 101)}, []string{"trace.log=boom"}, 1, 0, 1},
		{"deleting a jira copy deletes the linear original", func() { jf.remove("1", jf.byIssue["1"][0].ID) },
			[]string{"video.mp4=" + strings.Repeat("v", 101)}, nil, 1, 0, 1},
		{"deleting the large file deletes its link", func() { jf.remove("1", jf.byIssue["1"][0].ID) },
			nil, nil, 0, 0, 1},
	}
	for _, st := range steps {
		st.do()
		before := jf.writes + lf.writes
		mustSync(t, s, ref)
		mustSync(t, s, lref)
		if got := jf.writes + lf.writes - before; got != st.wantWrites {
			t.Errorf("%s: %d writes, want %d", st.name, got, st.wantWrites)
		}
		if got := jf.names("1"); !slices.Equal(got, st.jira) {
			t.Errorf("%s: jira files %q, want %q", st.name, got, st.jira)
		}
		if got := lf.names(lid); !slices.Equal(got, st.lin) {
			t.Errorf("%s: linear files %q, want %q", st.name, got, st.lin)
		}
		if len(lf.links) != st.links || len(jf.links) != st.jiraLinks {
			t.Errorf("%s: %d linear and %d jira links, want %d and %d", st.name, len(lf.links), len(jf.links), st.links, st.jiraLinks)
		}
	}
}

func TestFilesLostPairIsFoundNotCopiedAgain(t *testing.T) {
	s, j, _, st := newSyncer(t, backlog.PolicyJira)
	jf, lf := newFiles(backlog.Jira), newFiles(backlog.Linear)
	s.JiraFiles, s.LinearFiles = jf, lf
	ref := j.put(backlog.Item{Ref: backlog.Ref{ID: "1", Key: "TAN-1"}, Title: "A"})
	mustSync(t, s, ref)
	lid := backlog.TwinID("jira.example", "1")
	jf.human("1", "a.png", []byte("A"))
	lf.human(lid, "b.png", []byte("B"))
	mustSync(t, s, ref)
	// A crash after the copies, before the base was saved: the pairs are lost.
	base, err := st.Base(t.Context(), lid)
	if err != nil {
		t.Fatal(err)
	}
	delete(base, backlog.Attachments)
	lease, err := st.Lock(t.Context(), "link:"+lid, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveBase(t.Context(), lease, lid, base); err != nil {
		t.Fatal(err)
	}
	st.Unlock(t.Context(), lease)
	writes := jf.writes + lf.writes
	mustSync(t, s, ref)
	if w := jf.writes + lf.writes - writes; w != 0 {
		t.Errorf("%d writes after the pairs were lost, want 0 (copies found by source and by own name)", w)
	}
	if len(jf.byIssue["1"]) != 2 || len(lf.byIssue[lid]) != 2 {
		t.Errorf("files: jira %v linear %v, want 2 each", jf.names("1"), lf.names(lid))
	}
	// And deletions are mirrored through the found pairs.
	lf.remove(lid, lf.byIssue[lid][0].ID) // b.png, Linear's original
	mustSync(t, s, ref)
	if got := jf.names("1"); !slices.Equal(got, []string{"a.png=A"}) {
		t.Errorf("jira files %q after the linear original was deleted", got)
	}
}

func TestFilesMatchedPairPairsSameFiles(t *testing.T) {
	js, ls := newFileSet(backlog.Jira, []backlog.Attachment{{ID: "j1", Name: "a.png", Size: 3}, {ID: "j2", Name: "b.png", Size: 5}, {ID: "j3", Name: "mine", Mine: true}}),
		newFileSet(backlog.Linear, []backlog.Attachment{{ID: "l1", Name: "a.png", Size: 3}, {ID: "l2", Name: "b.png", Size: 6}, {ID: "l3", Name: "c.png"}})
	got := pairSame(js, ls)
	if !slices.Equal(got, []filePair{{Jira: "j1", Linear: "l1"}}) {
		t.Errorf("pairSame = %v, want only a.png (b.png's sizes differ, j3 is a copy)", got)
	}
}

func TestFilesMirrored(t *testing.T) {
	pairs := encodeFilePairs([]filePair{{Jira: "j1", Linear: "l1"}, {Jira: "j2", Linear: "l2", Link: backlog.Linear}})
	cases := []struct {
		side  backlog.Side
		files []string
		want  bool
	}{
		{backlog.Jira, []string{"j1", "j2"}, true},
		{backlog.Jira, []string{"j1"}, false},
		{backlog.Jira, []string{"j1", "j2", "j3"}, false},
		{backlog.Linear, []string{"l1"}, true}, // l2 is a link: not listed
		{backlog.Linear, []string{"l1", "l9"}, false},
	}
	for _, c := range cases {
		var fs []backlog.Attachment
		for _, id := range c.files {
			fs = append(fs, backlog.Attachment{ID: id})
		}
		if got := filesMirrored(c.side, fs, pairs); got != c.want {
			t.Errorf("filesMirrored(%s, %v) = %v, want %v", c.side, c.files, got, c.want)
		}
	}
	if filesMirrored(backlog.Jira, nil, "not json") {
		t.Error("unreadable pairs read as mirrored")
	}
}

func TestSizedReader(t *testing.T) {
	for _, c := range []struct {
		body    string
		size    int64
		wantErr bool
	}{{"abc", 3, false}, {"abcd", 3, true}, {"ab", 3, true}} {
		r := &sizedReader{r: strings.NewReader(c.body), left: c.size}
		b, err := io.ReadAll(r)
		if (err != nil) != c.wantErr {
			t.Errorf("%q as %d bytes: err %v, want error %v", c.body, c.size, err, c.wantErr)
		}
		if !c.wantErr && string(b) != c.body {
			t.Errorf("%q read as %q", c.body, b)
		}
	}
}
