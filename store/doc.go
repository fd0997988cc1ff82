// Package store defines State, everything Tandem must remember between two
// sync passes and share between replicas: links between twins, the base
// snapshot of each link, poll cursors, locks with fencing tokens, the
// conflict log, webhook delivery dedupe and the durable set of dirty keys.
//
// Implementations live in sub-packages (store/redis for shared state,
// store/embedded for a single node) and must pass store/storetest, the one
// conformance suite. This package owns no I/O.
package store
