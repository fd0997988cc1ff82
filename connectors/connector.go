package connectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/match"
)

// Connector is one tool as the reconciler sees it. Every method may block on
// the network and honours ctx. Errors wrap ErrNotFound, *RateLimitError or
// *PermanentError where those apply; any other error is taken as transient
// and retried with backoff.
type Connector interface {
	// Side names the tool.
	Side() backlog.Side
	// Changed returns one page of refs of in-scope items changed at or after
	// cursor ("" means from the beginning), the cursor to pass next, and
	// whether more pages follow right now. The caller saves the returned
	// cursor only after it has reconciled the page, so a page may be seen
	// twice; it is never skipped.
	Changed(ctx context.Context, cursor string) (Page, error)
	// Get reads one item by id. ErrNotFound when it does not exist (or was
	// deleted).
	Get(ctx context.Context, id string) (backlog.Item, error)
	// Create makes a twin of it (a Ref on the other side). It is idempotent
	// for a given origin: when a twin of origin already exists it returns
	// that twin's ref instead of creating a second one.
	Create(ctx context.Context, it backlog.Item) (backlog.Ref, error)
	// Apply writes the patch's fields to the item.
	Apply(ctx context.Context, id string, p backlog.Patch) error
	// Project returns the value field f reads back as on this side after
	// writing canonical value v (lossy mappings: a Jira status with no
	// same-named Linear state, Lowest priority in Linear). Pure, no I/O.
	Project(f backlog.Field, v backlog.Value) backlog.Value
}

// Page is one answer of Connector.Changed.
type Page struct {
	Refs []backlog.Ref
	Next string
	More bool
	// Versions, when the tool tells, maps a ref's ID to a version of the
	// item (its updated time): a poller may skip a ref whose version it
	// has queued already (overlapping windows report items again).
	Versions map[string]string
	// Order says an item of the page has a manual-order key (rank,
	// sortOrder) other than the one last seen, or was not seen before:
	// an order pass is due (see RankWatch).
	Order bool
}

// Webhooks is the optional capability of receiving the tool's webhooks.
type Webhooks interface {
	// ParseWebhook verifies and parses one delivery. It returns the refs the
	// delivery says may have changed and the delivery id for dedupe (""
	// when the tool sends none). It wraps ErrUnauthorized for a missing or
	// bad signature (or a stale timestamp) and ErrBadRequest for a body it
	// cannot parse; it never panics.
	ParseWebhook(h http.Header, body []byte, now time.Time) (Delivery, error)
}

// Delivery is a verified webhook delivery.
type Delivery struct {
	ID   string
	Refs []backlog.Ref
	// Ignored says why a delivery carries no refs we sync (another
	// project, an event type we do not watch); it is still acknowledged.
	Ignored string
	// Order says the delivery reports a change of manual order (rank,
	// sortOrder), so an order pass is due.
	Order bool
	// Versions, when the delivery tells, maps a ref's ID to the version
	// of the item it reports (as Page.Versions); never set for a deletion.
	Versions map[string]string
}

// Registrar is the optional capability of registering our webhook with the
// tool, reusing an existing registration for the same URL.
type Registrar interface {
	EnsureWebhook(ctx context.Context, url, secret string) error
}

// Errors that steer the caller.
var (
	ErrNotFound     = errors.New("not found")
	ErrUnauthorized = errors.New("unauthorized")
	ErrBadRequest   = errors.New("bad request")
)

// RateLimitError says the tool refused the call for now; retry after
// RetryAfter.
type RateLimitError struct {
	Side       backlog.Side
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%s rate limited, retry after %s", e.Side, e.RetryAfter)
}

// PermanentError is an answer that retrying will not change (validation
// errors, a missing permission, a transition that does not exist).
type PermanentError struct {
	Err error
}

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err so callers stop retrying it.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err should not be retried.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p) || errors.Is(err, ErrNotFound)
}

// Orderer is the optional capability of reading and changing the manual
// order of the backlog (Jira rank, Linear sortOrder).
type Orderer interface {
	// Order lists the ids of every in-scope item in the tool's manual
	// order, first to last.
	Order(ctx context.Context) ([]string, error)
	// Move applies the moves in sequence, each placing its IDs as one run
	// after (or before) an anchor, as backlog.Move says. It returns the
	// number of API calls made. It makes at most one call per move when
	// nothing fails; a move of more IDs than MaxBatch is an error.
	Move(ctx context.Context, moves []backlog.Move) (calls int, err error)
	// MaxBatch is how many items one call can move as a run (Jira's rank
	// API: 50; Linear: 1).
	MaxBatch() int
}

// History is the optional capability of telling when, and by whom, a field
// of an item last changed (the newest conflict policy and the conflict log
// use it; without it the item's updated time stands in).
type History interface {
	// FieldChange returns the last change of field f of item id; a zero
	// Change when the history shows none (e.g. unchanged since creation).
	FieldChange(ctx context.Context, id string, f backlog.Field) (backlog.Change, error)
}

// Commenter is the optional capability of reading and writing an item's
// comments (bodies in Markdown).
type Commenter interface {
	// Comments lists the item's comments, oldest first.
	Comments(ctx context.Context, issueID string) ([]backlog.Comment, error)
	// CreateComment adds a comment and returns its id.
	CreateComment(ctx context.Context, issueID, body string) (string, error)
	// UpdateComment replaces a comment's body.
	UpdateComment(ctx context.Context, issueID, commentID, body string) error
	// DeleteComment removes a comment; an unknown one is not an error.
	DeleteComment(ctx context.Context, issueID, commentID string) error
}

// Scoper is the optional capability of telling whether an item is in the
// sync's scope (Jira: the project and the mapping's JQL; Linear: the team,
// narrowed by labels or project).
type Scoper interface {
	InScope(ctx context.Context, it backlog.Item) (bool, error)
}

// Deleter is the optional capability of removing an item when its twin
// was deleted and the mapping says to mirror deletions: Jira deletes the
// issue, Linear archives it (Linear's archive can be undone).
type Deleter interface {
	Delete(ctx context.Context, id string) error
}

// RefusedError says the tool would not take the values of some fields
// (a status no workflow path reaches, a transition whose screen needs
// fields, a parent its hierarchy forbids). It is permanent: the reconciler
// records it as an open conflict on those fields for a person to settle.
type RefusedError struct {
	Fields []backlog.Field
	Err    error
}

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// Refused wraps err as a permanent refusal of fields.
func Refused(err error, fields ...backlog.Field) error {
	return Permanent(&RefusedError{Fields: fields, Err: err})
}

// BatchGetter is the optional capability of reading many items in one
// call (Linear: issues filtered by id; Jira: the bulk fetch).
type BatchGetter interface {
	// GetMany reads the items of ids, at most MaxGet of them, in one call
	// when nothing fails. An id missing from the answer does not exist
	// (or was deleted), as ErrNotFound from Get would say; a ref with no
	// item is not an error. More ids than MaxGet is an error.
	GetMany(ctx context.Context, ids []string) (map[string]backlog.Item, error)
	// MaxGet is how many ids one GetMany call takes.
	MaxGet() int
}

// BatchCreator is the optional capability of creating many twins in one
// call (Linear: issueBatchCreate; Jira: the bulk create).
type BatchCreator interface {
	// CreateMany makes a twin of each item, with Create's idempotency
	// contract per item: a twin of an origin that already exists is
	// returned, not created again. The refs are in input order. More
	// items than MaxCreate is an error. When some items fail, it returns
	// the refs and a *BatchError naming the failed ones; a failed item's
	// ref is zero unless its twin was made and a later step failed (Jira:
	// the move to its status or sprint).
	CreateMany(ctx context.Context, items []backlog.Item) ([]backlog.Ref, error)
	// MaxCreate is how many items one CreateMany call takes.
	MaxCreate() int
}

// CreatedReader is the optional capability of handing back the twins a
// CreateMany just made, as the create's answer showed them (what Get
// would read), so the caller need not read them again.
type CreatedReader interface {
	// Created returns the items of ids that a CreateMany made and that
	// were not handed out before; ids missing from it are to be read.
	Created(ids []string) map[string]backlog.Item
}

// OwnWrites is the optional capability of recognising the echo of a
// write the connector itself made that changes no field a pass syncs (a
// move in the manual order): the webhook or poll of that version needs no
// read.
type OwnWrites interface {
	// OwnWrite reports whether version of item id is what such a write
	// left, and the version the item had just before it.
	OwnWrite(id, version string) (before string, ok bool)
}

// BatchError says which items of a batch failed: Failed maps an item's
// index in the input to its error. The other items succeeded.
type BatchError struct {
	Failed map[int]error
}

func (e *BatchError) Error() string {
	idx := make([]int, 0, len(e.Failed))
	for i := range e.Failed {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	var b strings.Builder
	fmt.Fprintf(&b, "%d of the batch failed:", len(idx))
	for n, i := range idx {
		if n == 3 {
			fmt.Fprintf(&b, " and %d more", len(idx)-n)
			break
		}
		fmt.Fprintf(&b, " item %d: %v;", i, e.Failed[i])
	}
	return strings.TrimSuffix(b.String(), ";")
}

// Permanent reports whether every failed item's error is permanent, so
// retrying the batch would not change it.
func (e *BatchError) Permanent() bool {
	for _, err := range e.Failed {
		if !IsPermanent(err) {
			return false
		}
	}
	return len(e.Failed) > 0
}

// CrossLinker is the optional capability of showing, where people look, on
// an item a link to its twin in the other tool (Jira: a remote issue link;
// Linear: an attachment), and of naming the item's own address for the
// twin's link. The reconciler calls it when a pair is first linked (a twin
// made, a match), never on an idle pass.
type CrossLinker interface {
	// ItemURL is the address of the item ref names in the tool's web UI.
	// Pure, no I/O; "" when the ref lacks what the address needs.
	ItemURL(ref backlog.Ref) string
	// CrossLink puts on item id a link to twin (a ref of the other tool)
	// at url, in one write call. It is idempotent: calling it again for
	// the same twin updates the one link, never adds a second.
	CrossLink(ctx context.Context, id string, twin backlog.Ref, url string) error
	// Uncross removes from item id the link CrossLink made to twin at
	// url (a person unlinked the pair); none there is not an error.
	Uncross(ctx context.Context, id string, twin backlog.Ref, url string) error
}

// Probe describes an unlinked item of the other tool to MatchFinder: what
// its twin in this tool may carry.
type Probe struct {
	// Ref is the item probed for (a ref of the other tool).
	Ref backlog.Ref
	// LinkURL: an item of this tool with an attachment at this URL is a
	// CrossLink candidate (Linear only: the Jira issue's browse URL).
	LinkURL string
	// Named are items of this tool named by key or identifier (Jira key,
	// Linear identifier), each with the signal that names it.
	Named map[string]match.Signal
	// TextKey: an item of this tool whose title or description holds
	// this Jira key is a Key candidate (Linear only).
	TextKey string
	// Title: an item of this tool with exactly this title is a Title
	// candidate ("" when title matching is off).
	Title string
}

// MatchFinder is the optional capability of finding the items of this
// tool that may already be the twins of unlinked items of the other, in
// few read calls (one per batch where the tool allows). Candidates are
// in the connector's scope (team, project) and not archived; whether one
// is linked already is for the caller to check.
type MatchFinder interface {
	// FindMatches returns the candidates of each probe, in probe order.
	// More probes than MaxProbes is an error.
	FindMatches(ctx context.Context, probes []Probe) ([][]match.Candidate, error)
	MaxProbes() int
}

// AttachmentReader is the optional capability of listing the URLs
// attached to items (Linear attachments), in one call per batch.
type AttachmentReader interface {
	// AttachmentURLs maps each id of ids to its items' attachment URLs
	// that start with prefix (case-insensitive; "" for all); an id missing
	// from the answer has none (or does not exist). More ids than
	// MaxProbes is an error.
	AttachmentURLs(ctx context.Context, ids []string, prefix string) (map[string][]string, error)
}

// CrossLinkBatcher is the optional capability of a CrossLinker of making
// many cross-links in one call (Linear: aliased attachmentCreate
// mutations), for backfills.
type CrossLinkBatcher interface {
	// CrossLinkMany makes each cross-link as CrossLink would, in one call
	// when nothing fails. More than MaxCrossLinks is an error.
	CrossLinkMany(ctx context.Context, links []CrossLinkArgs) error
	MaxCrossLinks() int
}

// CrossLinkArgs is one CrossLink call: on item ID, a link to Twin at URL.
type CrossLinkArgs struct {
	ID   string
	Twin backlog.Ref
	URL  string
}

// Attacher is the optional capability of reading and writing an item's
// files. An item read with its files (Item.AttachmentsRead) needs no call
// to Attachments.
type Attacher interface {
	// Attachments lists the item's files, oldest first: not its other
	// links (Linear's link attachments, Jira's remote links), nor the
	// links Tandem made for files above the cap (the caller knows those).
	Attachments(ctx context.Context, issueID string) ([]backlog.Attachment, error)
	// Open streams a file's content and tells its size in bytes (-1 when
	// the answer does not say); the caller closes it. ErrNotFound when the
	// file is gone.
	Open(ctx context.Context, a backlog.Attachment) (io.ReadCloser, int64, error)
	// Attach uploads a copy of a file, streamed from r (f.Size bytes,
	// never held whole in memory), and returns the new attachment's id.
	Attach(ctx context.Context, issueID string, f backlog.FileCopy, r io.Reader) (string, error)
	// AttachLink adds a link to a file kept on the other side (one above
	// the cap) and returns the link's id; a second call for the same
	// f.Source updates that link rather than adding one.
	AttachLink(ctx context.Context, issueID string, f backlog.FileCopy, url string) (string, error)
	// DeleteAttachment removes a file or a link Tandem made (a.Link); one
	// already gone is not an error.
	DeleteAttachment(ctx context.Context, issueID string, a backlog.Attachment) error
}
