// Package redis is the shared store.State: several daemon replicas point at
// one Redis and see the same links, bases, locks, conflict log, delivery
// dedupe and dirty set.
//
// Every key lives under the prefix given to Open. Each operation that
// touches more than one key, or reads before it writes, is a single Lua
// script, so replicas never interleave inside one: the lock is SET NX PX
// with a per-name INCR fencing counter, and SaveBase compares the lock's
// token with the lease's in the same script that writes the base.
//
// Key layout (P is the prefix):
//
//	P link            hash  link id -> link JSON
//	P link:jira       hash  Jira issue id -> link id
//	P link:jiraof     hash  link id -> the Jira id it is indexed under
//	P base            hash  link id -> snapshot JSON
//	P cursor          hash  poller name -> cursor
//	P lock:<name>     string fencing token of the holder, with PX ttl
//	P fence:<name>    last token handed out for <name> (starts at the clock)
//	P conflict        hash  conflict id -> conflict JSON
//	P conflict:at     zset  "<seq>:<id>" scored by At in Unix microseconds
//	P conflict:member hash  conflict id -> its conflict:at member
//	P conflict:linkof hash  conflict id -> its link id
//	P conflict:link:<link id>  zset  that link's conflict:at members
//	P conflict:seq    counter of conflicts added (order and ids)
//	P seen:<id>       string webhook delivery id, with PX ttl
//	P dirty           hash  key -> latest mark's seq
//	P dirty:seq       counter of dirty marks
//
// Fencing tokens start from the clock in microseconds when a name's
// counter is missing, so they keep growing even if Redis loses its data.
//
// It owns the Redis keys under its prefix; it does not own the Redis server
// or its settings. Operators should know: the dirty set survives a Redis
// crash only with persistence (AOF, appendfsync everysec or always);
// maxmemory-policy must be noeviction, or locks and dedupe marks may
// vanish; on Redis Cluster the scripts touch several keys, so the prefix
// must carry a hash tag ("{tandem}:") to keep them in one slot.
package redis
