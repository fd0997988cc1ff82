// Package app wires configuration, the state store, both connectors, the
// reconciler and the daemon into one running program, so that the command
// line, the demo and the end-to-end tests start the very same thing
// in-process. It owns lifecycle (open, start, close), not behaviour.
package app
