// Package wiki converts between Markdown, Tandem's canonical rich text, and
// Jira wiki markup, the plain-string rich text of REST v2 and of webhooks.
//
// Both notations are read into one neutral tree, Doc (flat text runs with a
// mark set, close to ADF), and written from it. Package adf maps the same
// tree to and from ADF, so every pair of notations converts through Doc.
//
// It owns: parsing both notations (Markdown with goldmark and the GFM
// table, strikethrough and task-list extensions; wiki markup with its own
// reader), rendering both, and the canonical Markdown form. It does not own
// ADF (package adf) or any I/O.
//
// # Canonical Markdown
//
// ToMarkdown and Canonical emit one form for each construct:
//
//   - blocks separated by one blank line; ATX headings ("## Title");
//   - "-" bullets and "1." "2." … numbering, items indented under their
//     text, lists always tight; "- [ ] " and "- [x] " task items;
//   - fenced code blocks with ``` (longer when the code holds backticks),
//     the language after the fence; "---" rules; "> " quotes;
//   - **strong**, _em_ (*em* inside a word), ~~strike~~, `code`,
//     [text](url), ![alt](src), <ins>underline</ins>, <sup>…</sup>,
//     <sub>…</sub>; hard breaks as a backslash at line end, <br> in cells;
//   - GFM tables with "| --- |" delimiter rows and no alignment; a table
//     without a header row gets an empty one;
//   - Jira mentions kept verbatim as [~accountid:…].
//
// When a delimiter would not read back as written (CommonMark's flanking
// rules), the renderer falls back to <strong>, <em> and <del>, and last to
// escaping every punctuation character; every rendering of a paragraph is
// checked by parsing it again. The wiki renderer does the same with Jira's
// {*}brace{*} delimiters.
//
// What is lost on the way, on purpose: text colour and panels (kept as
// quotes), list start numbers, table alignment, nested quotes (flattened),
// blocks other than paragraphs, code, quotes and lists inside list items
// (headings become bold text, tables text), two adjacent lists of the same
// kind (merged), doubled line breaks, and spaces at line edges.
package wiki
