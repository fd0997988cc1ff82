// Package adf models the Atlassian Document Format, the JSON rich text of
// Jira REST v3, and converts it to and from Jira wiki markup (REST v2 and
// webhooks) and Markdown.
//
// Conversions go through wiki.Doc, the neutral tree of package wiki: ADF is
// mapped onto it node for node, so wiki markup produced by wiki.FromMarkdown
// survives ToWiki(FromWiki(w)) unchanged. Soft line breaks travel as "\n"
// inside text nodes, distinct from hardBreak nodes.
//
// API: Parse (strict: doc root, version 1, known node and mark types,
// children a parent can hold; errors wrap ErrInvalid and name the path, as
// in "doc.content[2].content[0]: unknown node type"), FromWiki, ToWiki,
// FromMarkdown, ToMarkdown, and FromDoc/ToDoc for the neutral tree. ToWiki
// and ToMarkdown accept any tree, not only what Parse lets through. JSON
// marshalling gives ADF as Jira expects it: a doc always has "version":1 and
// a content array, text nodes carry their marks.
//
// It owns: the Node and Mark types, strict parsing and checking of incoming
// documents (Parse), and the mappings. It does not own Markdown or wiki
// syntax (package wiki), nor any I/O.
//
// Lossy on purpose: marks other than link on code text (ADF forbids them);
// images inside text or headings (ADF media are blocks: a paragraph is split
// around an image, a heading keeps a link); text colour; panel types and
// expands (they become quotes); attachment media (kept by name or id);
// dates, statuses and emoji (kept as text); blocks that Atlassian's content
// rules forbid where they stand (a quote inside a list item gives up its
// content, a heading inside a quote becomes a bold paragraph, a table
// there one paragraph per row, a rule there is dropped). A task inside a
// plain list keeps its box as a ballot box character (☐, ☑), which is read
// back.
package adf
