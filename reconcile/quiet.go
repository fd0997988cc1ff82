package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/connectors"
	"github.com/tandem-sync/tandem/store"
)

// A pass with nothing to do should cost nothing. Two things make it so:
//
//   - The base keeps each side's version (its updated time) as the pass
//     last read it. A caller that knows the version a poll or a webhook
//     reported hands it in with WithVersion; when it is the version the
//     base holds, the pass ends before any call.
//   - Otherwise the side that changed is read first (with its comments),
//     and when it still holds the base (Unchanged) and its comments are
//     the mirrored ones, the pass ends without reading the other side. The
//     echo of Tandem's own write is such a pass: one read, no write.
//
// Changes of the other side are not missed: they come with their own
// report (a webhook or poll of that side starts its own pass).

type versionHintKey struct{}

// WithVersion tells Sync the version of the item that a poll or webhook
// reported (connectors.Page.Versions, connectors.Delivery.Versions).
func WithVersion(ctx context.Context, v string) context.Context {
	if v == "" {
		return ctx
	}
	return context.WithValue(ctx, versionHintKey{}, v)
}

func versionHint(ctx context.Context) string {
	v, _ := ctx.Value(versionHintKey{}).(string)
	return v
}

// versionKey is where a link's base keeps a side's version (not a field).
func versionKey(side backlog.Side) backlog.Field {
	return backlog.Field("version:" + string(side))
}

// VersionOf is an item's version as the connectors report it in pages and
// deliveries: its updated time, UTC, RFC 3339 with nanoseconds.
func VersionOf(it backlog.Item) string {
	if it.UpdatedAt.IsZero() {
		return ""
	}
	return it.UpdatedAt.UTC().Format(time.RFC3339Nano)
}

func versionOf(it backlog.Item) string { return VersionOf(it) }

// reportedSynced says whether every version reported (hint: space-
// separated, as WithVersion takes them) is one the base holds, one older
// than it, or the echo of Tandem's own write (connectors.OwnWrites) made
// on top of one of those; then latest is the latest of them, the base's
// version from now on.
func (s *Syncer) reportedSynced(link backlog.Link, side backlog.Side, base backlog.Value, hint string) (latest string, ok bool) {
	vs := strings.Fields(hint)
	if len(vs) == 0 || base == "" {
		return "", false
	}
	known := map[string]bool{string(base): true}
	o, _ := s.conn(side).(connectors.OwnWrites)
	id := link.Ref(side).ID
	var last time.Time
	latest = string(base)
	if t, err := time.Parse(time.RFC3339Nano, latest); err == nil {
		last = t
	}
	baseAt := last
	for pending := vs; len(pending) > 0; {
		var rest []string
		for _, v := range pending {
			if !known[v] && !last.IsZero() {
				// A version no later than the base's: the base was made
				// from a read at least that recent (every base version
				// is one a pass read, its content merged), so the report
				// brings nothing new (a create's echo behind the writes
				// that followed it, a webhook late behind a poll).
				if t, err := time.Parse(time.RFC3339Nano, v); err == nil && !t.After(baseAt) {
					known[v] = true
				}
			}
			if !known[v] {
				before, own := "", false
				if o != nil {
					before, own = o.OwnWrite(id, v)
				}
				if !own || !known[before] {
					rest = append(rest, v)
					continue
				}
				known[v] = true
			}
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil && t.After(last) {
				last, latest = t, v
			}
		}
		if len(rest) == len(pending) {
			return "", false // a version neither synced nor ours
		}
		pending = rest
	}
	return latest, true
}

// quiet is the cheap start of a pass that side started: done when there is
// nothing to carry. Otherwise it hands on what it read of that side (nil
// when it read nothing), so the full pass does not read it again.
func (s *Syncer) quiet(ctx context.Context, lease store.Lease, link backlog.Link, side backlog.Side) (bool, *backlog.Item, error) {
	base, err := s.State.Base(ctx, link.ID())
	if errors.Is(err, store.ErrNotFound) {
		return false, nil, nil
	}
	if err != nil {
		return false, nil, fmt.Errorf("reading base of %s: %w", link.ID(), err)
	}
	vk := versionKey(side)
	if v, ok := s.reportedSynced(link, side, base[vk], versionHint(ctx)); ok {
		if v != "" && base[vk] != backlog.Value(v) {
			base[vk] = backlog.Value(v)
			if err := s.State.SaveBase(ctx, lease, link.ID(), base); err != nil {
				return false, nil, fmt.Errorf("saving base of %s: %w", link.ID(), err)
			}
		}
		return true, nil, nil
	}
	it, err := s.conn(side).Get(ctx, link.Ref(side).ID)
	if err != nil {
		// Gone (the full pass handles it) or failing (it retries).
		return false, nil, nil
	}
	if it.Archived {
		return false, &it, nil
	}
	if sc := s.scope(side); sc != nil {
		in, err := sc.InScope(ctx, it)
		if err != nil || !in {
			return false, &it, nil
		}
	}
	held, settled, err := s.linkConflicts(ctx, link.ID())
	if err != nil {
		return false, &it, err
	}
	if len(settled) > 0 {
		return false, &it, nil // a person's decision waits to be written
	}
	canon := it
	if s.syncsParent() && canon.Parent != "" {
		p, err := s.canonParent(ctx, side, canon.Parent)
		if err != nil {
			return false, &it, err
		}
		canon.Parent = string(p)
	}
	if s.syncsRelations() {
		canon.Relations = slices.Clone(canon.Relations)
		if _, wait, err := s.canonRelations(ctx, &canon); err != nil || wait {
			return false, &it, err
		}
	}
	pj, pl := s.projectors()
	in := Input{Fields: s.fields(), Base: base, ProjectJira: pj, ProjectLinear: pl, Directions: s.Directions, Held: held}
	if side == backlog.Jira {
		in.Jira = canon
	} else {
		in.Linear = canon
	}
	if !Unchanged(in, side) {
		return false, &it, nil
	}
	if _, _, ok := s.commenters(); ok {
		if !it.CommentsRead || !commentsMirrored(side, it.Comments, base[backlog.Comments]) {
			return false, &it, nil
		}
	}
	if _, _, ok := s.attachers(); ok {
		if !it.AttachmentsRead || !filesMirrored(side, it.Attachments, base[backlog.Attachments]) {
			return false, &it, nil
		}
	}
	if v := versionOf(it); v != "" && base[vk] != backlog.Value(v) {
		base[vk] = backlog.Value(v)
		if err := s.State.SaveBase(ctx, lease, link.ID(), base); err != nil {
			return false, &it, fmt.Errorf("saving base of %s: %w", link.ID(), err)
		}
	}
	return true, nil, nil
}
