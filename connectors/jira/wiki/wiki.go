// Package wiki converts between Markdown (Tandem's canonical rich text) and
// Jira's wiki markup, the plain-string rich text of REST v2 and webhooks.
package wiki

// FromMarkdown renders Markdown as Jira wiki markup.
// STUB: replaced by the markup helper.
func FromMarkdown(md string) string { return md }

// ToMarkdown renders Jira wiki markup as Markdown.
// STUB: replaced by the markup helper.
func ToMarkdown(w string) string { return w }
