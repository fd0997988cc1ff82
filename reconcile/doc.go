// Package reconcile decides and drives one sync pass for one linked pair.
//
// Merge is the pure core: a per-field three-way merge of the base both
// sides last agreed on against each side's current values, settled by
// per-field policies, producing patches for each side, the new base and the
// conflict records. Syncer is the level-triggered pass around it: given any
// ref that may have changed it locks the link, reads both sides and the
// base, creates a missing twin exactly once, applies the patches and saves
// the new base. It talks to tools and state only through the connectors and
// store interfaces; it owns no HTTP, no Redis and no queue (see daemon).
package reconcile
