package backlog

import "time"

// Attachments names the item's files in a link's base (the mirrored pairs,
// as Comments does); it is not a merged field: files are copied by their
// own step of a pass.
const Attachments Field = "attachments"

// Attachment is a file attached to an item (Jira: an issue attachment;
// Linear: an Attachment whose URL is a file uploaded to Linear's storage),
// or, for a copy Tandem made of a file above the size cap, a link to the
// source file (Jira: a remote link; Linear: a link attachment).
type Attachment struct {
	ID       string
	Name     string // the file name
	Size     int64  // bytes; 0 when the tool does not tell
	MimeType string
	// URL is where the content is read (Connector: Attacher.Open) or, for
	// a link, where it points.
	URL     string
	Author  string // email, or display name when the tool hides it
	Created time.Time
	// Link is set on a link to a file kept elsewhere (a copy of a file
	// above the cap), not a file.
	Link bool
	// Source, on a copy Tandem made, is the file it copies (the side and
	// attachment id), read from the copy's metadata; zero otherwise.
	// Mine is set when Tandem's account made it, whether or not the tool
	// can carry a source (Jira cannot).
	Source Ref
	Mine   bool
}

// FileCopy says what a copy of a file is to look like on the other side:
// its name and type, the source for the attribution (Linear carries it in
// the attachment's metadata and subtitle), and who added the original.
type FileCopy struct {
	Name     string
	Size     int64
	MimeType string
	Source   Ref    // the source attachment (side, id)
	Issue    string // the source issue's key, for the attribution
	Author   string
}
