// Package demo runs Tandem end to end on one machine: both sandboxes and
// the daemon in one process, on the embedded store, with a short scripted
// scenario whose propagations are measured and printed. `tandem demo` and
// the end-to-end tests share it. It owns the scenario, not the sync.
package demo
