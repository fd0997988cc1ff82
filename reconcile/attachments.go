package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
)

// Files are mirrored as a set of pairs (a file and its copy), kept in the
// link's base under backlog.Attachments, as comments are. A file added on
// one side is copied to the other once, streamed from one tool to the
// other; a file above the cap gets a link to it instead of a copy. A file
// deleted on one side has its copy (or link) deleted on the other. Copies
// are never copied back: the pair names them, and after a crash before the
// pair was saved a Linear copy names its source in its metadata and a Jira
// copy is one Tandem's account added with the name of an unpaired Linear
// file.

// DefaultFileCap is the size above which a file is linked, not copied
// (mapping attachments.max_bytes).
const DefaultFileCap int64 = 10 << 20

// filePair is one mirrored file. Link names the side that holds a link
// to the file rather than a copy of it ("" when both hold the file).
type filePair struct {
	Jira   string       `json:"j"`
	Linear string       `json:"l"`
	Link   backlog.Side `json:"k,omitempty"`
}

// id is the pair's attachment id on side.
func (p filePair) id(side backlog.Side) string {
	if side == backlog.Jira {
		return p.Jira
	}
	return p.Linear
}

func decodeFilePairs(v backlog.Value) ([]filePair, error) {
	if v == "" {
		return nil, nil
	}
	var ps []filePair
	if err := json.Unmarshal([]byte(v), &ps); err != nil {
		return nil, fmt.Errorf("reading file pairs: %w", err)
	}
	return ps, nil
}

func encodeFilePairs(ps []filePair) backlog.Value {
	if len(ps) == 0 {
		return ""
	}
	b, _ := json.Marshal(ps)
	return backlog.Value(b)
}

// attachers returns both sides' Attacher when files sync.
func (s *Syncer) attachers() (connectors.Attacher, connectors.Attacher, bool) {
	if s.JiraFiles == nil || s.LinearFiles == nil || s.Directions[backlog.Attachments] == DirectionOff {
		return nil, nil, false
	}
	return s.JiraFiles, s.LinearFiles, true
}

func (s *Syncer) fileCap() int64 {
	if s.FileCap > 0 {
		return s.FileCap
	}
	return DefaultFileCap
}

func (s *Syncer) attacher(side backlog.Side) connectors.Attacher {
	if side == backlog.Jira {
		return s.JiraFiles
	}
	return s.LinearFiles
}

// filesMirrored reports whether one side's files are exactly the paired
// ones: nothing added or deleted there since the last pass.
func filesMirrored(side backlog.Side, files []backlog.Attachment, pairsValue backlog.Value) bool {
	pairs, err := decodeFilePairs(pairsValue)
	if err != nil {
		return false
	}
	want := map[string]bool{}
	for _, p := range pairs {
		if p.Link != side {
			want[p.id(side)] = true
		}
	}
	if len(want) != len(files) {
		return false
	}
	for _, f := range files {
		if !want[f.ID] {
			return false
		}
	}
	return true
}

// fileSet is one side's files as a pass sees them.
type fileSet struct {
	side  backlog.Side
	files []backlog.Attachment
	byID  map[string]backlog.Attachment
	// paired marks the ids that belong to a pair.
	paired map[string]bool
}

func newFileSet(side backlog.Side, files []backlog.Attachment) *fileSet {
	fs := &fileSet{side: side, files: files, byID: map[string]backlog.Attachment{}, paired: map[string]bool{}}
	for _, f := range files {
		fs.byID[f.ID] = f
	}
	return fs
}

// copied reports whether f is a copy Tandem made (so it is never copied
// back): it names a source, or (Jira, which cannot carry one) Tandem's
// account added it.
func copied(f backlog.Attachment) bool {
	return !f.Source.IsZero() || f.Mine
}

// syncFiles mirrors the twins' files and returns the new pairs and the
// number of writes made. The items' files are used when they were read
// with the items; otherwise each side's Attacher lists them.
func (s *Syncer) syncFiles(ctx context.Context, link backlog.Link, old backlog.Value, jira, linear backlog.Item) (backlog.Value, int, error) {
	ja, la, ok := s.attachers()
	if !ok {
		return old, 0, nil
	}
	pairs, err := decodeFilePairs(old)
	if err != nil {
		s.log().Warn("file pairs unreadable; starting over", "link", link.ID(), "err", err)
		pairs = nil
	}
	jf, lf := jira.Attachments, linear.Attachments
	if !jira.AttachmentsRead {
		if jf, err = ja.Attachments(ctx, link.Jira.ID); err != nil {
			return old, 0, fmt.Errorf("reading jira files of %s: %w", link.Jira.Key, err)
		}
	}
	if !linear.AttachmentsRead {
		if lf, err = la.Attachments(ctx, link.Linear.ID); err != nil {
			return old, 0, fmt.Errorf("reading linear files of %s: %w", link.Linear.Key, err)
		}
	}
	js, ls := newFileSet(backlog.Jira, jf), newFileSet(backlog.Linear, lf)
	set := func(side backlog.Side) *fileSet {
		if side == backlog.Jira {
			return js
		}
		return ls
	}
	dir := s.Directions[backlog.Attachments]
	// mirrors says a change on side is carried to the other.
	mirrors := func(side backlog.Side) bool {
		if side == backlog.Jira {
			return dir != LinearToJira
		}
		return dir != JiraToLinear
	}
	w := fileWriter{s: s, link: link}
	var kept []filePair
	for _, p := range pairs {
		_, jok := js.byID[p.Jira]
		_, lok := ls.byID[p.Linear]
		// A link is not listed: it stands as long as its file does.
		if p.Link == backlog.Jira {
			jok = true
		} else if p.Link == backlog.Linear {
			lok = true
		}
		switch {
		case !jok && !lok:
			continue
		case !jok || !lok:
			gone := backlog.Jira
			if jok {
				gone = backlog.Linear
			}
			if !mirrors(gone) {
				// One-way: the deletion is not carried; the pair goes, and
				// the remaining file is not copied again (it is a copy, or
				// its copy was deleted on purpose on the mirror side).
				set(gone.Other()).paired[p.id(gone.Other())] = true
				continue
			}
			a := backlog.Attachment{ID: p.id(gone.Other()), Link: p.Link == gone.Other()}
			if err := s.attacher(gone.Other()).DeleteAttachment(ctx, link.Ref(gone.Other()).ID, a); err != nil {
				return old, w.writes, fmt.Errorf("deleting %s file %s of %s: %w", gone.Other(), a.ID, link.Ref(gone.Other()).Key, err)
			}
			w.writes++
			s.log().Info("file deleted", "link", link.ID(), "on", gone.Other(), "file", a.ID)
			continue
		}
		js.paired[p.Jira], ls.paired[p.Linear] = true, true
		kept = append(kept, p)
	}
	kept = append(kept, pairLost(js, ls)...)
	if len(pairs) == 0 {
		kept = append(kept, pairSame(js, ls)...)
	}
	for _, from := range []*fileSet{js, ls} {
		if !mirrors(from.side) {
			continue
		}
		to := set(from.side.Other())
		for _, f := range from.files {
			if from.paired[f.ID] || copied(f) {
				continue
			}
			p, err := w.copyFile(ctx, from.side, f)
			if errors.Is(err, connectors.ErrNotFound) {
				continue // deleted meanwhile: the next pass sees it gone
			}
			if err != nil {
				return encodeFilePairs(kept), w.writes, err
			}
			from.paired[f.ID], to.paired[p.id(to.side)] = true, true
			kept = append(kept, p)
		}
	}
	return encodeFilePairs(kept), w.writes, nil
}

// pairLost pairs copies whose pair was lost (a crash between the copy and
// saving the base) with their source.
func pairLost(js, ls *fileSet) []filePair {
	var out []filePair
	for _, f := range ls.files {
		if ls.paired[f.ID] || f.Source.Side != backlog.Jira {
			continue
		}
		if _, ok := js.byID[f.Source.ID]; ok && !js.paired[f.Source.ID] {
			out = append(out, filePair{Jira: f.Source.ID, Linear: f.ID})
			js.paired[f.Source.ID], ls.paired[f.ID] = true, true
		}
	}
	// Jira copies carry no source: one Tandem's account added, with the
	// name (and size, where both tell) of an unpaired Linear original.
	for _, f := range js.files {
		if !js.paired[f.ID] && f.Mine {
			out = pairByName(js, ls, f, out)
		}
	}
	return out
}

// pairByName pairs the Jira file j with the first unpaired Linear
// original of the same name and size, if any.
func pairByName(js, ls *fileSet, j backlog.Attachment, out []filePair) []filePair {
	for _, l := range ls.files {
		if !ls.paired[l.ID] && !copied(l) && sameFile(j, l) {
			js.paired[j.ID], ls.paired[l.ID] = true, true
			return append(out, filePair{Jira: j.ID, Linear: l.ID})
		}
	}
	return out
}

// pairSame pairs, at a pair's first pass (a matched pair whose files a
// person or an importer copied already), the files with the same name and
// size on both sides, so they are not copied again.
func pairSame(js, ls *fileSet) []filePair {
	var out []filePair
	for _, j := range js.files {
		if !js.paired[j.ID] && !copied(j) {
			out = pairByName(js, ls, j, out)
		}
	}
	return out
}

// sameFile says two files are one by their name and, where both tell it,
// their size.
func sameFile(a, b backlog.Attachment) bool {
	if a.Name != b.Name {
		return false
	}
	return a.Size == 0 || b.Size == 0 || a.Size == b.Size
}

// fileWriter copies files for one pass and counts its writes.
type fileWriter struct {
	s      *Syncer
	link   backlog.Link
	writes int
}

// copyFile copies f from side to the other one, or links it there when it
// is above the cap, and returns the new pair.
func (w *fileWriter) copyFile(ctx context.Context, from backlog.Side, f backlog.Attachment) (filePair, error) {
	s, link := w.s, w.link
	to := from.Other()
	src, dst := s.attacher(from), s.attacher(to)
	fc := backlog.FileCopy{Name: f.Name, Size: f.Size, MimeType: f.MimeType, Source: backlog.Ref{Side: from, ID: f.ID}, Issue: link.Ref(from).Key, Author: f.Author}
	if fc.Issue == "" {
		fc.Issue = link.Ref(from).ID
	}
	pair := func(id string, linked bool) filePair {
		p := filePair{Jira: f.ID, Linear: id}
		if from == backlog.Linear {
			p = filePair{Jira: id, Linear: f.ID}
		}
		if linked {
			p.Link = to
		}
		return p
	}
	linkIt := func() (filePair, error) {
		id, err := dst.AttachLink(ctx, link.Ref(to).ID, fc, f.URL)
		if err != nil {
			return filePair{}, fmt.Errorf("linking %s file %q to %s: %w", from, f.Name, link.Ref(to).Key, err)
		}
		w.writes++
		s.log().Info("file linked", "link", link.ID(), "to", to, "file", f.Name, "bytes", fc.Size, "cap", s.fileCap())
		return pair(id, true), nil
	}
	if f.Size > s.fileCap() {
		return linkIt()
	}
	rc, n, err := src.Open(ctx, f)
	if err != nil {
		return filePair{}, fmt.Errorf("reading %s file %q of %s: %w", from, f.Name, link.Ref(from).Key, err)
	}
	defer rc.Close()
	if n >= 0 {
		fc.Size = n
	}
	if fc.Size > s.fileCap() || fc.Size <= 0 && n < 0 {
		// Above the cap, or of a size neither the file nor its answer
		// tells (an upload must declare it): linked instead.
		return linkIt()
	}
	body := &sizedReader{r: rc, left: fc.Size}
	id, err := dst.Attach(ctx, link.Ref(to).ID, fc, body)
	if err == nil && body.err != nil {
		err = body.err
	}
	if err != nil {
		return filePair{}, fmt.Errorf("copying %s file %q to %s: %w", from, f.Name, link.Ref(to).Key, err)
	}
	w.writes++
	s.log().Info("file copied", "link", link.ID(), "to", to, "file", f.Name, "bytes", fc.Size)
	return pair(id, false), nil
}

// sizedReader passes on exactly the declared number of bytes and says
// when the source held a different number (a file changed while it was
// read): the upload declared the size, so a short or long body is an
// error, not a silently different copy.
type sizedReader struct {
	r    io.Reader
	left int64
	err  error
}

func (r *sizedReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		// One byte more than declared is a size mismatch.
		var one [1]byte
		if n, _ := r.r.Read(one[:]); n > 0 {
			r.err = errors.New("the file is longer than its declared size")
			return 0, r.err
		}
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.r.Read(p)
	r.left -= int64(n)
	if err == io.EOF && r.left > 0 {
		r.err = fmt.Errorf("the file ended %d bytes short of its declared size", r.left)
		return n, r.err
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// extrasToCopy says a new twin's source may hold comments or files that
// its create did not carry: the merge after the create copies them.
func (s *Syncer) extrasToCopy(src backlog.Item) bool {
	if _, _, ok := s.commenters(); ok && (!src.CommentsRead || len(src.Comments) > 0) {
		return true
	}
	_, _, ok := s.attachers()
	return ok && (!src.AttachmentsRead || len(src.Attachments) > 0)
}
