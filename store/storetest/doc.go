// Package storetest is the one conformance suite for store.State. Every
// implementation runs Run (and RunPersistent when its data outlives a
// process) from its own tests, so the daemon can rely on the contract
// written in store.State rather than on one implementation's quirks. Bench
// measures the daemon's hot paths the same way for every implementation.
//
// It owns no implementation and no I/O of its own: each test gets a fresh,
// isolated store from the caller's open function.
package storetest
