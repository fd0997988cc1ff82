// Package backlog is Tandem's canonical model of a backlog item: the fields
// we sync, their canonical encodings, references to an item on one side,
// links between twins, patches and conflict records.
//
// It owns no I/O and no clock: connectors map their tool's representation to
// and from these types, the reconciler compares them, the store persists them.
// Markdown is the canonical rich text.
package backlog
