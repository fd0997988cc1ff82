package redis

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/store"
)

// Store is the Redis-backed store.State. It is safe for concurrent use by
// goroutines and by any number of processes sharing the Redis and prefix.
type Store struct {
	rdb    *goredis.Client
	prefix string
	page   int64 // conflict:at entries read per round trip when listing
}

var (
	_ store.State          = (*Store)(nil)
	_ store.ConflictPruner = (*Store)(nil)
)

// Open connects to the Redis at rawURL (redis://[user:password@]host:port/db,
// rediss:// for TLS, unix:///path), pings it, and returns a store whose keys
// all start with prefix (e.g. "tandem:"). Errors name the URL with its
// password masked.
func Open(ctx context.Context, rawURL, prefix string) (*Store, error) {
	shown := redactURL(rawURL)
	if _, err := url.Parse(rawURL); err != nil {
		// url.Error repeats the whole URL, password included: say less.
		return nil, fmt.Errorf("opening redis store at %s: malformed URL", shown)
	}
	opt, err := goredis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("opening redis store at %s: %s", shown, scrub(err.Error(), rawURL))
	}
	// Plain Redis servers do not speak the maintenance-notification
	// handshake; asking for it only adds noise.
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	rdb := goredis.NewClient(opt)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("connecting to redis at %s: %w", shown, scrubbed{scrub(err.Error(), rawURL), err})
	}
	return &Store{rdb: rdb, prefix: prefix, page: conflictPage}, nil
}

// redactURL masks the password of a Redis URL, even one url.Parse rejects.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Opaque == "" {
		return u.Redacted()
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		scheme, rest = "", raw
	} else {
		scheme += "://"
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		user, _, _ := strings.Cut(rest[:i], ":")
		return scheme + user + ":xxxxx" + rest[i:]
	}
	return raw
}

// scrubbed is an error whose text had the password removed; errors.Is and
// errors.As still see the original.
type scrubbed struct {
	msg string
	err error
}

func (e scrubbed) Error() string { return e.msg }
func (e scrubbed) Unwrap() error { return e.err }

// scrub removes the URL's password from an error text.
func scrub(msg, rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}

// Close closes the connection pool. Closing twice is harmless.
func (s *Store) Close() error {
	if err := s.rdb.Close(); err != nil && !errors.Is(err, goredis.ErrClosed) {
		return err
	}
	return nil
}

func (s *Store) key(parts ...string) string { return s.prefix + strings.Join(parts, ":") }

// Scripts. Each is one atomic step on the server; KEYS are declared so the
// scripts stay correct under a proxy that checks them.
var (
	// KEYS link, link:jira, link:jiraof; ARGV id, json, jira id ("" = none).
	// The old index entry goes only while it still names this link: another
	// link may have claimed that Jira id since.
	saveLinkScript = goredis.NewScript(`
local old = redis.call('HGET', KEYS[3], ARGV[1])
if old and old ~= ARGV[3] and redis.call('HGET', KEYS[2], old) == ARGV[1] then
  redis.call('HDEL', KEYS[2], old)
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[2], ARGV[3], ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
else
  redis.call('HDEL', KEYS[3], ARGV[1])
end
return 1`)

	// KEYS link, link:jira, link:jiraof, base; ARGV id.
	deleteLinkScript = goredis.NewScript(`
local old = redis.call('HGET', KEYS[3], ARGV[1])
if old and redis.call('HGET', KEYS[2], old) == ARGV[1] then
  redis.call('HDEL', KEYS[2], old)
end
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
return 1`)

	// KEYS link, link:jira; ARGV jira id. Returns the link JSON or nil.
	linkByJiraScript = goredis.NewScript(`
local id = redis.call('HGET', KEYS[2], ARGV[1])
if not id then return false end
return redis.call('HGET', KEYS[1], id)`)

	// KEYS lock, fence; ARGV ttl ms, now in Unix microseconds. Returns the
	// new token as a string, or "0" when held. A missing counter starts at
	// the current time in microseconds rather than 0: if Redis lost its
	// data (restart without persistence, eviction), tokens still exceed
	// every token handed out before, so a holder from before the loss
	// cannot pass the fence. The token travels as a string because Lua
	// would print a number this large in exponent form.
	lockScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return '0' end
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SET', KEYS[2], ARGV[2])
end
redis.call('INCR', KEYS[2])
local t = redis.call('GET', KEYS[2])
redis.call('SET', KEYS[1], t, 'PX', ARGV[1])
return t`)

	// KEYS lock; ARGV token, ttl ms. 1 when extended, 0 when not held.
	extendScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`)

	// KEYS lock; ARGV token.
	unlockScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)

	// KEYS lock, base; ARGV token, link id, json. 1 when written, 0 when
	// the lease no longer holds the lock (fencing).
	saveBaseScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1`)

	// KEYS conflict, conflict:at, conflict:member, conflict:linkof,
	// conflict:link:<link id>; ARGV id, json, score, member, generated ("1"
	// when the store chose the id), conflict:link: key prefix, link id.
	// Returns 0 when a generated id is already taken (the caller draws
	// another). The old record's link index is named by the script itself:
	// the caller cannot know it, and it shares the prefix (and so, with a
	// hash-tagged prefix, the cluster slot) of the declared keys.
	addConflictScript = goredis.NewScript(`
local old = redis.call('HGET', KEYS[3], ARGV[1])
if old then
  if ARGV[5] == '1' then return 0 end
  redis.call('ZREM', KEYS[2], old)
  local oldLink = redis.call('HGET', KEYS[4], ARGV[1])
  if oldLink then redis.call('ZREM', ARGV[6] .. oldLink, old) end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[4])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[7])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[4])
return 1`)

	// KEYS as for add; ARGV id, json, score, conflict:link: key prefix,
	// link id. Keeps the record's insertion seq; 0 when the id is unknown.
	updateConflictScript = goredis.NewScript(`
local m = redis.call('HGET', KEYS[3], ARGV[1])
if not m then return 0 end
local oldLink = redis.call('HGET', KEYS[4], ARGV[1])
if oldLink and oldLink ~= ARGV[5] then redis.call('ZREM', ARGV[4] .. oldLink, m) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[3], m)
redis.call('ZADD', KEYS[5], ARGV[3], m)
return 1`)

	// KEYS conflict, conflict:at, conflict:member, conflict:linkof; ARGV
	// id, the record's JSON as read, conflict:link: key prefix. Drops the
	// record only if it is still exactly what the caller judged prunable.
	dropConflictScript = goredis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
local m = redis.call('HGET', KEYS[3], ARGV[1])
local l = redis.call('HGET', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
if m then
  redis.call('ZREM', KEYS[2], m)
  if l then redis.call('ZREM', ARGV[3] .. l, m) end
end
return 1`)

	// KEYS dirty, dirty:seq; ARGV key. Returns the mark's seq.
	markDirtyScript = goredis.NewScript(`
local s = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], ARGV[1], s)
return s`)

	// KEYS dirty; ARGV key, seq. Removes the mark only if it is still seq.
	clearDirtyScript = goredis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0`)
)

func ms(d time.Duration) int64 { return max(1, d.Milliseconds()) }

// SaveLink implements store.State.
func (s *Store) SaveLink(ctx context.Context, l backlog.Link) error {
	if l.ID() == "" {
		return errors.New("saving link: empty Linear id")
	}
	js, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("encoding link %s: %w", l.ID(), err)
	}
	keys := []string{s.key("link"), s.key("link", "jira"), s.key("link", "jiraof")}
	if err := saveLinkScript.Run(ctx, s.rdb, keys, l.ID(), js, l.Jira.ID).Err(); err != nil {
		return fmt.Errorf("saving link %s: %w", l.ID(), err)
	}
	return nil
}

func decodeLink(what string, js string) (backlog.Link, error) {
	var l backlog.Link
	if err := json.Unmarshal([]byte(js), &l); err != nil {
		return l, fmt.Errorf("decoding link %s: %w", what, err)
	}
	return l, nil
}

// Link implements store.State.
func (s *Store) Link(ctx context.Context, id string) (backlog.Link, error) {
	js, err := s.rdb.HGet(ctx, s.key("link"), id).Result()
	if errors.Is(err, goredis.Nil) {
		return backlog.Link{}, fmt.Errorf("link %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return backlog.Link{}, fmt.Errorf("reading link %s: %w", id, err)
	}
	return decodeLink(id, js)
}

// LinkBy implements store.State.
func (s *Store) LinkBy(ctx context.Context, r backlog.Ref) (backlog.Link, error) {
	if !r.Side.Valid() {
		return backlog.Link{}, fmt.Errorf("looking up link by %s: unknown side %q", r, r.Side)
	}
	if r.ID == "" {
		return backlog.Link{}, fmt.Errorf("link by %s: %w", r, store.ErrNotFound)
	}
	if r.Side == backlog.Linear {
		return s.Link(ctx, r.ID)
	}
	keys := []string{s.key("link"), s.key("link", "jira")}
	js, err := linkByJiraScript.Run(ctx, s.rdb, keys, r.ID).Text()
	if errors.Is(err, goredis.Nil) {
		return backlog.Link{}, fmt.Errorf("link by %s: %w", r, store.ErrNotFound)
	}
	if err != nil {
		return backlog.Link{}, fmt.Errorf("reading link by %s: %w", r, err)
	}
	l, err := decodeLink(r.String(), js)
	if err != nil {
		return l, err
	}
	if l.Jira.ID != r.ID {
		return backlog.Link{}, fmt.Errorf("link by %s: %w", r, store.ErrNotFound)
	}
	return l, nil
}

// Links implements store.State.
func (s *Store) Links(ctx context.Context) ([]backlog.Link, error) {
	vals, err := s.rdb.HVals(ctx, s.key("link")).Result()
	if err != nil {
		return nil, fmt.Errorf("listing links: %w", err)
	}
	out := make([]backlog.Link, 0, len(vals))
	for _, js := range vals {
		l, err := decodeLink("in list", js)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// DeleteLink implements store.State.
func (s *Store) DeleteLink(ctx context.Context, id string) error {
	keys := []string{s.key("link"), s.key("link", "jira"), s.key("link", "jiraof"), s.key("base")}
	if err := deleteLinkScript.Run(ctx, s.rdb, keys, id).Err(); err != nil {
		return fmt.Errorf("deleting link %s: %w", id, err)
	}
	return nil
}

// Base implements store.State.
func (s *Store) Base(ctx context.Context, linkID string) (backlog.Snapshot, error) {
	js, err := s.rdb.HGet(ctx, s.key("base"), linkID).Result()
	if errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("base of %s: %w", linkID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading base of %s: %w", linkID, err)
	}
	b := backlog.Snapshot{}
	if err := json.Unmarshal([]byte(js), &b); err != nil {
		return nil, fmt.Errorf("decoding base of %s: %w", linkID, err)
	}
	return b, nil
}

// SaveBase implements store.State.
func (s *Store) SaveBase(ctx context.Context, lease store.Lease, linkID string, base backlog.Snapshot) error {
	if base == nil {
		base = backlog.Snapshot{}
	}
	js, err := json.Marshal(base)
	if err != nil {
		return fmt.Errorf("encoding base of %s: %w", linkID, err)
	}
	keys := []string{s.key("lock", lease.Name), s.key("base")}
	n, err := saveBaseScript.Run(ctx, s.rdb, keys, lease.Token, linkID, js).Int64()
	if err != nil {
		return fmt.Errorf("saving base of %s: %w", linkID, err)
	}
	if n == 0 {
		return fmt.Errorf("saving base of %s under lock %s (token %d): %w", linkID, lease.Name, lease.Token, store.ErrLockLost)
	}
	return nil
}

// Cursor implements store.State.
func (s *Store) Cursor(ctx context.Context, name string) (string, error) {
	v, err := s.rdb.HGet(ctx, s.key("cursor"), name).Result()
	if errors.Is(err, goredis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading cursor %s: %w", name, err)
	}
	return v, nil
}

// SaveCursor implements store.State.
func (s *Store) SaveCursor(ctx context.Context, name, value string) error {
	var err error
	if value == "" {
		err = s.rdb.HDel(ctx, s.key("cursor"), name).Err()
	} else {
		err = s.rdb.HSet(ctx, s.key("cursor"), name, value).Err()
	}
	if err != nil {
		return fmt.Errorf("saving cursor %s: %w", name, err)
	}
	return nil
}

// Lock implements store.State.
func (s *Store) Lock(ctx context.Context, name string, ttl time.Duration) (store.Lease, error) {
	if name == "" {
		return store.Lease{}, errors.New("taking lock: empty name")
	}
	if ttl <= 0 {
		return store.Lease{}, fmt.Errorf("taking lock %s: ttl %v not positive", name, ttl)
	}
	keys := []string{s.key("lock", name), s.key("fence", name)}
	res, err := lockScript.Run(ctx, s.rdb, keys, ms(ttl), time.Now().UnixMicro()).Text()
	if err != nil {
		return store.Lease{}, fmt.Errorf("taking lock %s: %w", name, err)
	}
	token, err := strconv.ParseInt(res, 10, 64)
	if err != nil {
		return store.Lease{}, fmt.Errorf("taking lock %s: malformed token %q", name, res)
	}
	if token == 0 {
		return store.Lease{}, fmt.Errorf("taking lock %s: %w", name, store.ErrLocked)
	}
	return store.Lease{Name: name, Token: token}, nil
}

// Extend implements store.State.
func (s *Store) Extend(ctx context.Context, lease store.Lease, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("extending lock %s: ttl %v not positive", lease.Name, ttl)
	}
	n, err := extendScript.Run(ctx, s.rdb, []string{s.key("lock", lease.Name)}, lease.Token, ms(ttl)).Int64()
	if err != nil {
		return fmt.Errorf("extending lock %s: %w", lease.Name, err)
	}
	if n == 0 {
		return fmt.Errorf("extending lock %s (token %d): %w", lease.Name, lease.Token, store.ErrLockLost)
	}
	return nil
}

// Unlock implements store.State.
func (s *Store) Unlock(ctx context.Context, lease store.Lease) error {
	if err := unlockScript.Run(ctx, s.rdb, []string{s.key("lock", lease.Name)}, lease.Token).Err(); err != nil {
		return fmt.Errorf("releasing lock %s: %w", lease.Name, err)
	}
	return nil
}

func (s *Store) conflictKeys(linkID string) []string {
	return []string{s.key("conflict"), s.key("conflict", "at"), s.key("conflict", "member"),
		s.key("conflict", "linkof"), s.linkConflicts() + linkID}
}

// linkConflicts prefixes the per-link conflict indexes: every pass lists
// its own link's conflicts, which must not cost a walk of the whole log.
func (s *Store) linkConflicts() string { return s.key("conflict", "link", "") }

// score orders conflicts by At in microseconds, exact in a float64 for the
// next two centuries; the listing re-sorts by the full At.
func score(at time.Time) int64 { return at.UnixMicro() }

// member is a conflict's conflict:at entry: the zero-padded insertion seq
// first, so records of the same score list the later add first.
func member(seq int64, id string) string { return fmt.Sprintf("%016d:%s", seq, id) }

// AddConflict implements store.State. Assigned ids are "c" and a counter
// shared by all replicas.
func (s *Store) AddConflict(ctx context.Context, c backlog.Conflict) (string, error) {
	generated := c.ID == ""
	for range 100 {
		seq, err := s.rdb.Incr(ctx, s.key("conflict", "seq")).Result()
		if err != nil {
			return "", fmt.Errorf("adding conflict: %w", err)
		}
		if generated {
			c.ID = "c" + strconv.FormatInt(seq, 10)
		}
		js, err := json.Marshal(c)
		if err != nil {
			return "", fmt.Errorf("encoding conflict: %w", err)
		}
		gen := "0"
		if generated {
			gen = "1"
		}
		n, err := addConflictScript.Run(ctx, s.rdb, s.conflictKeys(c.LinkID), c.ID, js, score(c.At), member(seq, c.ID), gen,
			s.linkConflicts(), c.LinkID).Int64()
		if err != nil {
			return "", fmt.Errorf("adding conflict %s: %w", c.ID, err)
		}
		if n == 1 {
			return c.ID, nil
		}
	}
	return "", errors.New("adding conflict: no free id after 100 tries")
}

// UpdateConflict implements store.State.
func (s *Store) UpdateConflict(ctx context.Context, c backlog.Conflict) error {
	if c.ID == "" {
		return fmt.Errorf("updating conflict with no id: %w", store.ErrNotFound)
	}
	js, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encoding conflict %s: %w", c.ID, err)
	}
	n, err := updateConflictScript.Run(ctx, s.rdb, s.conflictKeys(c.LinkID), c.ID, js, score(c.At),
		s.linkConflicts(), c.LinkID).Int64()
	if err != nil {
		return fmt.Errorf("updating conflict %s: %w", c.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("updating conflict %s: %w", c.ID, store.ErrNotFound)
	}
	return nil
}

func decodeConflict(id, js string) (backlog.Conflict, error) {
	var c backlog.Conflict
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		return c, fmt.Errorf("decoding conflict %s: %w", id, err)
	}
	return c, nil
}

// Conflict implements store.State.
func (s *Store) Conflict(ctx context.Context, id string) (backlog.Conflict, error) {
	js, err := s.rdb.HGet(ctx, s.key("conflict"), id).Result()
	if errors.Is(err, goredis.Nil) {
		return backlog.Conflict{}, fmt.Errorf("conflict %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return backlog.Conflict{}, fmt.Errorf("reading conflict %s: %w", id, err)
	}
	return decodeConflict(id, js)
}

type listed struct {
	c     backlog.Conflict
	seq   int64
	score float64
}

// conflictPage is how many conflict:at entries one listing round trip reads.
const conflictPage = 256

// Conflicts implements store.State: newest first, and among records of the
// same instant the one added last first. It walks conflict:at from the
// newest down to f.Since a page at a time and stops once the limit is met
// and no later page can hold a record that sorts before the ones it has.
func (s *Store) Conflicts(ctx context.Context, f store.ConflictFilter) ([]backlog.Conflict, error) {
	minScore := "-inf"
	if !f.Since.IsZero() {
		minScore = strconv.FormatInt(score(f.Since), 10)
	}
	index := s.key("conflict", "at")
	if f.LinkID != "" {
		index = s.linkConflicts() + f.LinkID
	}
	var out []listed
	seen := map[string]bool{}
	for off := int64(0); ; off += s.page {
		zs, err := s.rdb.ZRevRangeByScoreWithScores(ctx, index, &goredis.ZRangeBy{
			Min: minScore, Max: "+inf", Offset: off, Count: s.page,
		}).Result()
		if err != nil {
			return nil, fmt.Errorf("listing conflicts: %w", err)
		}
		if len(zs) == 0 {
			break
		}
		ids := make([]string, 0, len(zs))
		seqs := make([]int64, 0, len(zs))
		scores := make([]float64, 0, len(zs))
		for _, z := range zs {
			m, _ := z.Member.(string)
			seqStr, id, ok := strings.Cut(m, ":")
			seq, err := strconv.ParseInt(seqStr, 10, 64)
			if !ok || err != nil {
				return nil, fmt.Errorf("listing conflicts: malformed index entry %q", m)
			}
			if seen[id] { // moved by a concurrent update between pages
				continue
			}
			seen[id] = true
			ids, seqs, scores = append(ids, id), append(seqs, seq), append(scores, z.Score)
		}
		if len(ids) > 0 {
			vals, err := s.rdb.HMGet(ctx, s.key("conflict"), ids...).Result()
			if err != nil {
				return nil, fmt.Errorf("listing conflicts: %w", err)
			}
			for i, v := range vals {
				js, ok := v.(string)
				if !ok {
					continue
				}
				c, err := decodeConflict(ids[i], js)
				if err != nil {
					return nil, err
				}
				if f.Match(c) {
					out = append(out, listed{c: c, seq: seqs[i], score: scores[i]})
				}
			}
		}
		if int64(len(zs)) < s.page {
			break
		}
		if f.Limit > 0 && len(out) >= f.Limit {
			// What falls off the first Limit now never comes back: later
			// pages only add records that sort after it or beat it.
			sortListed(out)
			out = out[:f.Limit]
			if zs[len(zs)-1].Score < out[f.Limit-1].score {
				break
			}
		}
	}
	sortListed(out)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	res := make([]backlog.Conflict, len(out))
	for i, l := range out {
		res[i] = l.c
	}
	return res, nil
}

func sortListed(ls []listed) { slices.SortFunc(ls, compareListed) }

// compareListed orders newest first, the later add first among equal times.
func compareListed(a, b listed) int {
	if c := b.c.At.Compare(a.c.At); c != 0 {
		return c
	}
	return cmp.Compare(b.seq, a.seq)
}

// PruneConflicts implements store.ConflictPruner. It reads the log to find
// what to drop, then drops each record in a script that checks it did not
// change meanwhile (pipelined, a chunk at a time).
func (s *Store) PruneConflicts(ctx context.Context, before time.Time, keep int) (int, error) {
	type candidate struct {
		listed
		js string
	}
	var cands []candidate
	seen := map[string]bool{} // ranks shift under concurrent adds
	for start := int64(0); ; start += s.page {
		members, err := s.rdb.ZRevRange(ctx, s.key("conflict", "at"), start, start+s.page-1).Result()
		if err != nil {
			return 0, fmt.Errorf("pruning conflicts: %w", err)
		}
		if len(members) == 0 {
			break
		}
		ids := make([]string, len(members))
		ids = ids[:0]
		seqs := make([]int64, 0, len(members))
		for _, m := range members {
			seqStr, id, ok := strings.Cut(m, ":")
			seq, err := strconv.ParseInt(seqStr, 10, 64)
			if !ok || err != nil {
				return 0, fmt.Errorf("pruning conflicts: malformed index entry %q", m)
			}
			if !seen[id] {
				seen[id] = true
				ids, seqs = append(ids, id), append(seqs, seq)
			}
		}
		if len(ids) == 0 {
			continue
		}
		vals, err := s.rdb.HMGet(ctx, s.key("conflict"), ids...).Result()
		if err != nil {
			return 0, fmt.Errorf("pruning conflicts: %w", err)
		}
		for i, v := range vals {
			js, ok := v.(string)
			if !ok {
				continue
			}
			c, err := decodeConflict(ids[i], js)
			if err != nil {
				return 0, err
			}
			if store.Prunable(c) {
				cands = append(cands, candidate{listed{c: c, seq: seqs[i]}, js})
			}
		}
		if int64(len(members)) < s.page {
			break
		}
	}
	// The index orders by microsecond; "newest" is the listing's order.
	slices.SortFunc(cands, func(a, b candidate) int { return compareListed(a.listed, b.listed) })
	type victim struct{ id, js string }
	var victims []victim
	for i, c := range cands {
		if (keep > 0 && i >= keep) || (!before.IsZero() && c.c.At.Before(before)) {
			victims = append(victims, victim{c.c.ID, c.js})
		}
	}
	if len(victims) == 0 {
		return 0, nil
	}
	keys := s.conflictKeys("")[:4]
	if err := dropConflictScript.Load(ctx, s.rdb).Err(); err != nil {
		return 0, fmt.Errorf("pruning conflicts: %w", err)
	}
	dropped := 0
	for chunk := range slices.Chunk(victims, 256) {
		cmds := make([]*goredis.Cmd, len(chunk))
		_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for i, v := range chunk {
				cmds[i] = dropConflictScript.EvalSha(ctx, p, keys, v.id, v.js, s.linkConflicts())
			}
			return nil
		})
		if err != nil {
			return dropped, fmt.Errorf("pruning conflicts: %w", err)
		}
		for _, c := range cmds {
			if n, _ := c.Int64(); n == 1 {
				dropped++
			}
		}
	}
	return dropped, nil
}

// SeenDelivery implements store.State.
func (s *Store) SeenDelivery(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, fmt.Errorf("recording delivery %s: ttl %v not positive", id, ttl)
	}
	set, err := s.rdb.SetNX(ctx, s.key("seen", id), 1, time.Duration(ms(ttl))*time.Millisecond).Result()
	if err != nil {
		return false, fmt.Errorf("recording delivery %s: %w", id, err)
	}
	return !set, nil
}

// ForgetDelivery implements store.State.
func (s *Store) ForgetDelivery(ctx context.Context, id string) error {
	if err := s.rdb.Del(ctx, s.key("seen", id)).Err(); err != nil {
		return fmt.Errorf("forgetting delivery %s: %w", id, err)
	}
	return nil
}

// MarkDirty implements store.State.
func (s *Store) MarkDirty(ctx context.Context, key string) (int64, error) {
	if key == "" {
		return 0, errors.New("marking dirty: empty key")
	}
	seq, err := markDirtyScript.Run(ctx, s.rdb, []string{s.key("dirty"), s.key("dirty", "seq")}, key).Int64()
	if err != nil {
		return 0, fmt.Errorf("marking %s dirty: %w", key, err)
	}
	return seq, nil
}

// MarkDirtyMany implements store.ManyMarker: the marks in one pipeline.
func (s *Store) MarkDirtyMany(ctx context.Context, keys []string) ([]int64, error) {
	if slices.Contains(keys, "") {
		return nil, errors.New("marking dirty: empty key")
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*goredis.Cmd, len(keys))
	for k, key := range keys {
		cmds[k] = markDirtyScript.Eval(ctx, pipe, []string{s.key("dirty"), s.key("dirty", "seq")}, key)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("marking %d keys dirty: %w", len(keys), err)
	}
	seqs := make([]int64, len(keys))
	for k, c := range cmds {
		seq, err := c.Int64()
		if err != nil {
			return nil, fmt.Errorf("marking %s dirty: %w", keys[k], err)
		}
		seqs[k] = seq
	}
	return seqs, nil
}

// Dirty implements store.State.
func (s *Store) Dirty(ctx context.Context) (map[string]int64, error) {
	all, err := s.rdb.HGetAll(ctx, s.key("dirty")).Result()
	if err != nil {
		return nil, fmt.Errorf("listing dirty keys: %w", err)
	}
	out := make(map[string]int64, len(all))
	for k, v := range all {
		seq, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("listing dirty keys: malformed seq %q for %s", v, k)
		}
		out[k] = seq
	}
	return out, nil
}

// ClearDirty implements store.State.
func (s *Store) ClearDirty(ctx context.Context, key string, seq int64) error {
	if err := clearDirtyScript.Run(ctx, s.rdb, []string{s.key("dirty")}, key, seq).Err(); err != nil {
		return fmt.Errorf("clearing dirty %s: %w", key, err)
	}
	return nil
}
