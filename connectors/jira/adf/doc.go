// Package adf models the Atlassian Document Format, the JSON rich text of
// Jira REST v3, and converts it to and from Jira wiki markup (REST v2 and
// webhooks) and Markdown.
//
// Conversions go through wiki.Doc, the neutral tree of package wiki: ADF is
// mapped onto it node for node, so wiki markup produced by wiki.FromMarkdown
// survives ToWiki(FromWiki(w)) unchanged. Soft line breaks travel as "\n"
// inside text nodes, distinct from hardBreak nodes.
//
// It owns: the Node and Mark types, strict parsing and checking of incoming
// documents (Parse), and the mappings. It does not own Markdown or wiki
// syntax (package wiki), nor any I/O.
//
// Lossy on purpose: marks other than link on code text (ADF forbids them),
// text colour, panel types (panels become quotes), attachment media (kept by
// name), mixed task/plain lists (the box stays as a ballot box character, ☐ or ☑), dates,
// statuses and emoji (kept as text).
package adf
