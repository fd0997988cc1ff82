// Package wiki converts between Markdown, Tandem's canonical rich text, and
// Jira wiki markup, the plain-string rich text of REST v2 and of webhooks.
//
// Both notations are read into one neutral tree, Doc (flat text runs with a
// mark set, close to ADF), and written from it. Package adf maps the same
// tree to and from ADF, so every pair of notations converts through Doc.
//
// API: FromMarkdown and ToMarkdown convert strings; Canonical rewrites
// Markdown into canonical form. For callers that want the tree (package
// adf): Parse and Render for wiki markup, ParseMarkdown and RenderMarkdown
// for Markdown, Doc.Normalize and EqualDocs. Parsers never fail: markup they
// do not understand (unknown macros, unclosed blocks) stays as text. The
// renderers normalize a Doc in place before writing it.
//
// Guarantees, checked by property and fuzz tests: for canonical Markdown m,
// ToMarkdown(FromMarkdown(m)) == m; for any Markdown x,
// ToMarkdown(FromMarkdown(x)) == Canonical(x) and Canonical is idempotent;
// for any wiki markup w, FromMarkdown(ToMarkdown(w)) is stable after one
// round.
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
//     [text](url), <url> when the text is the address, ![alt](src),
//     <ins>underline</ins>, <sup>…</sup>,
//     <sub>…</sub>; hard breaks as a backslash at line end, <br> in cells;
//   - GFM tables with "| --- |" delimiter rows and no alignment; a table
//     without a header row gets an empty one;
//   - Jira mentions kept verbatim as [~accountid:…].
//
// Every rendering is checked by parsing it back (skipped for documents with
// no marks and no special characters). When a delimiter would not read back
// as written (CommonMark's flanking rules), that paragraph falls back to
// <strong>, <em> and <del>, and last to escaping every punctuation
// character. The wiki renderer does the same with Jira's {*}brace{*}
// delimiters, which Jira's own editor emits inside words.
//
// # Wiki markup read
//
// h1.–h6., bq., {quote}, {code[:lang]}, {noformat}, {panel}/{info}/{note}/
// {tip}/{warning} (as quotes), * # - lists with mixed nesting (*#*), "[ ]"
// and "[x]" task items, ||header|| and |cell| tables, ----, *strong*,
// _em_, -strike-, +underline+, ^sup^, ~sub~ (opening after a non-letter,
// closing before one, non-blank inside, like Jira's renderer) and their
// {*}brace{*} forms, {{monospace}}, [text|url], [url], [#anchor],
// [^attachment], [~accountid:…] mentions, !image! with alt=, {color} (text
// kept), \\ line breaks, backslash escapes and numeric character
// references (&#92; is how a literal backslash before punctuation is
// written). Citations (??x??), emoticons and unknown macros stay as text.
//
// A newline inside a wiki paragraph maps to a Markdown soft break and back,
// and \\ to a hard break, so line structure survives; note that Jira
// shows both as line breaks while Markdown renderers join soft-broken
// lines.
//
// What is lost on the way, on purpose: text colour and panels (kept as
// quotes), list start numbers, table alignment, nested quotes (flattened),
// blocks other than paragraphs, code, quotes and lists inside list items
// (headings become bold text, tables text), two adjacent lists of the same
// kind (merged), doubled line breaks, and spaces at line edges.
package wiki
