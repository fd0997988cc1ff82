// Package storetest is the one conformance suite for store.State. Every
// implementation runs, from its own tests:
//
//   - Run: every method's contract, example by example, including expiry,
//     fencing and races between goroutines;
//   - RunPersistent: data survives Close and reopen, and counters (tokens,
//     dirty seqs, conflict ids) never go back;
//   - RunModel: random call sequences (rapid) checked against a plain
//     in-memory model of the contract, optionally with reopens in between;
//   - Bench: the daemon's hot paths, measured the same way for each store.
//
// The daemon can thus rely on the contract written in store.State rather
// than on one implementation's quirks.
//
// It owns no implementation and no I/O of its own: each test gets a fresh,
// isolated store from the caller's open function.
package storetest
