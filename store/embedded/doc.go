// Package embedded is the single-node store.State: everything lives in
// memory and in one append-only journal file under the data dir, so a
// daemon needs no Redis to run.
//
// Every write is one checksummed JSON line appended to the journal and
// fsynced before the call returns. Concurrent writers share one fsync
// (group commit); a failed fsync makes the store refuse further writes
// until it is reopened, since the kernel may have dropped the data.
//
// The journal is replayed at Open and compacted (rewritten from memory,
// then atomically renamed into place) at Open and whenever it has doubled
// since the last compaction. A torn last line, left by a crash in the
// middle of an append, is dropped at Open without losing the records
// before it; damage anywhere else fails Open rather than silently dropping
// later records.
//
// Locks live in memory (one process owns the data dir, enforced with an
// exclusive flock) but keep the shared semantics: ttl, ErrLocked, and
// fencing tokens that grow across restarts, because each Open bumps a
// durable epoch that forms the token's high bits.
//
// It owns the data dir's files (LOCK, state.journal); it does not own
// sharing state between replicas, which is store/redis's job.
package embedded
