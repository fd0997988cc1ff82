// A small, safe Markdown renderer for conflict descriptions.
//
// It parses the Markdown Tandem stores (CommonMark plus GFM tables, task
// lists, strikethrough and bare-URL links) into a tiny tree, then builds DOM
// nodes from a fixed list of element names. User text only ever reaches the
// page through text nodes and textContent, never parsed as markup, so raw
// HTML in a description shows as text. Links keep only http, https and
// mailto targets; anything else (javascript:, data:, relative) renders as
// plain text. Images are never loaded: they become links to the image.
// Nesting deeper than MAX_DEPTH is rendered as text, so hostile input cannot
// exhaust the stack.
//
// Not supported (shown as text): raw HTML, reference-style links,
// footnotes, setext headings inside lists, HTML entities.

export const MAX_DEPTH = 16;

const FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}>[ ]?(.*)$/;
const ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])(?:([ \t]+)(.*))?$/;
const INDENTED = /^(?: {4}|\t)/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const TABLE_SEP = /^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const TASK = /^\[([ xX])\][ \t]+/;

const blank = (s) => /^[ \t]*$/.test(s);

// parse turns Markdown source into block nodes:
//   {t:"h", level, text} {t:"p", text} {t:"code", lang, text} {t:"hr"}
//   {t:"quote", blocks} {t:"list", ordered, start, items:[{task, blocks}]}
//   {t:"table", align:[...], head:[...], rows:[[...]]}
// Inline text is parsed later, by parseInline.
export function parse(src) {
  const lines = String(src ?? "").replace(/\r\n?/g, "\n").split("\n");
  return parseBlocks(lines, 0);
}

function startsBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || HR.test(line) || QUOTE.test(line) || ITEM.test(line);
}

function parseBlocks(lines, depth) {
  const out = [];
  if (depth > MAX_DEPTH) {
    const text = lines.join("\n").trim();
    if (text) out.push({ t: "p", text, plain: true });
    return out;
  }
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (blank(line)) { i++; continue; }
    let m;
    if ((m = FENCE.exec(line))) {
      const fence = m[1];
      const close = new RegExp("^ {0,3}" + (fence[0] === "`" ? "`" : "~") + "{" + fence.length + ",}[ \\t]*$");
      const body = [];
      i++;
      while (i < lines.length && !close.test(lines[i])) body.push(lines[i++]);
      i++; // the closing fence (or past the end)
      out.push({ t: "code", lang: m[2] || "", text: body.join("\n") });
      continue;
    }
    if ((m = HEADING.exec(line))) {
      out.push({ t: "h", level: m[1].length, text: m[2] ?? "" });
      i++;
      continue;
    }
    if (HR.test(line)) { out.push({ t: "hr" }); i++; continue; }
    if (QUOTE.test(line)) {
      const body = [];
      while (i < lines.length && !blank(lines[i])) {
        const q = QUOTE.exec(lines[i]);
        if (q) body.push(q[1]);
        else if (body.length && !startsBlock(lines[i])) body.push(lines[i]); // lazy continuation
        else break;
        i++;
      }
      out.push({ t: "quote", blocks: parseBlocks(body, depth + 1) });
      continue;
    }
    if (ITEM.test(line)) {
      const r = parseList(lines, i, depth);
      out.push(r.node);
      i = r.next;
      continue;
    }
    if (INDENTED.test(line)) {
      const body = [];
      while (i < lines.length && (INDENTED.test(lines[i]) || blank(lines[i]))) {
        body.push(lines[i].replace(/^(?: {4}|\t| {0,3})/, ""));
        i++;
      }
      while (body.length && blank(body[body.length - 1])) body.pop();
      out.push({ t: "code", lang: "", text: body.join("\n") });
      continue;
    }
    if (line.includes("|") && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1]) && lines[i + 1].includes("-")) {
      const head = splitRow(line);
      const align = splitRow(lines[i + 1]).map((c) =>
        c.startsWith(":") && c.endsWith(":") ? "center" : c.endsWith(":") ? "right" : c.startsWith(":") ? "left" : "");
      if (head.length === align.length) {
        const rows = [];
        i += 2;
        while (i < lines.length && !blank(lines[i]) && lines[i].includes("|")) {
          const cells = splitRow(lines[i++]);
          while (cells.length < head.length) cells.push("");
          rows.push(cells.slice(0, head.length));
        }
        out.push({ t: "table", align, head, rows });
        continue;
      }
    }
    // A paragraph: up to a blank line or the start of another block; a
    // line of = or - under it makes it a heading instead.
    const para = [line];
    i++;
    let setext = 0;
    while (i < lines.length && !blank(lines[i])) {
      const s = SETEXT.exec(lines[i]);
      if (s) { setext = s[1][0] === "=" ? 1 : 2; i++; break; }
      if (startsBlock(lines[i])) break;
      para.push(lines[i++]);
    }
    const text = para.map((l) => l.replace(/^[ \t]+/, "")).join("\n").replace(/[ \t]+$/, "");
    out.push(setext ? { t: "h", level: setext, text } : { t: "p", text });
  }
  return out;
}

function splitRow(line) {
  let s = line.trim();
  if (s.startsWith("|")) s = s.slice(1);
  if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
  const cells = [];
  let cur = "";
  for (let k = 0; k < s.length; k++) {
    if (s[k] === "\\" && s[k + 1] === "|") { cur += "|"; k++; continue; }
    if (s[k] === "|") { cells.push(cur.trim()); cur = ""; continue; }
    cur += s[k];
  }
  cells.push(cur.trim());
  return cells;
}

function parseList(lines, i, depth) {
  const first = ITEM.exec(lines[i]);
  const ordered = /\d/.test(first[2][0]);
  const kind = ordered ? first[2].slice(-1) : first[2];
  const node = { t: "list", ordered, start: ordered ? parseInt(first[2], 10) : 1, items: [] };
  while (i < lines.length) {
    const m = ITEM.exec(lines[i]);
    if (!m) break;
    const mk = /\d/.test(m[2][0]) ? m[2].slice(-1) : m[2];
    if (mk !== kind || (/\d/.test(m[2][0]) !== ordered)) break;
    const gap = (m[3] ?? " ").replace(/\t/g, "    ").length;
    const col = m[1].length + m[2].length + (gap > 4 || m[4] === undefined ? 1 : gap);
    const body = [m[4] ?? ""];
    i++;
    while (i < lines.length) {
      const l = lines[i];
      if (blank(l)) {
        // A blank line continues the item only if indented content follows.
        let k = i;
        while (k < lines.length && blank(lines[k])) k++;
        if (k < lines.length && indentOf(lines[k]) >= col) {
          for (; i < k; i++) body.push("");
          continue;
        }
        break;
      }
      if (indentOf(l) >= col) { body.push(dedent(l, col)); i++; continue; }
      if (ITEM.test(l) || startsBlock(l)) break;
      body.push(l); // lazy continuation of the item's paragraph
      i++;
    }
    let task = null;
    const t = TASK.exec(body[0]);
    if (t) { task = t[1] !== " "; body[0] = body[0].slice(t[0].length); }
    node.items.push({ task, blocks: parseBlocks(body, depth + 1) });
    // Blank lines between items keep the list going.
    let k = i;
    while (k < lines.length && blank(lines[k])) k++;
    if (k > i && k < lines.length && ITEM.test(lines[k])) i = k;
  }
  return { node, next: i };
}

function indentOf(line) {
  let n = 0;
  for (const ch of line) {
    if (ch === " ") n++;
    else if (ch === "\t") n += 4 - (n % 4);
    else break;
  }
  return n;
}

function dedent(line, col) {
  let n = 0, k = 0;
  while (k < line.length && n < col && (line[k] === " " || line[k] === "\t")) {
    n += line[k] === "\t" ? 4 - (n % 4) : 1;
    k++;
  }
  return line.slice(k);
}

// ---- inline ----

const PUNCT = /[!-\/:-@\[-`{-~]/;
const WORD = /[\p{L}\p{N}]/u;
const AUTOLINK = /^<((?:https?|mailto):[^\s<>]*)>/i;
const BARE_URL = /^https?:\/\/[^\s<>]*[^\s<>.,:;"'()\[\]!?*_~]/i;

// parseInline turns a block's text into inline nodes:
//   {t:"text", v} {t:"code", v} {t:"br"} {t:"em"|"strong"|"del", c:[...]}
//   {t:"link", href, c:[...]} {t:"img", href, alt}
export function parseInline(text, depth = 0) {
  const out = [];
  let buf = "";
  const flush = () => { if (buf) { out.push({ t: "text", v: buf }); buf = ""; } };
  if (depth > MAX_DEPTH) return [{ t: "text", v: text }];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length) {
      if (text[i + 1] === "\n") { flush(); out.push({ t: "br" }); i += 2; continue; }
      if (PUNCT.test(text[i + 1])) { buf += text[i + 1]; i += 2; continue; }
    }
    if (c === "\n") {
      if (/ {2,}$/.test(buf)) { buf = buf.replace(/ +$/, ""); flush(); out.push({ t: "br" }); }
      else buf += "\n";
      i++;
      continue;
    }
    if (c === "`") {
      const run = runLength(text, i, "`");
      const end = findBackticks(text, i + run, run);
      if (end >= 0) {
        flush();
        let v = text.slice(i + run, end).replace(/\n/g, " ");
        if (v.length > 2 && v.startsWith(" ") && v.endsWith(" ") && v.trim()) v = v.slice(1, -1);
        out.push({ t: "code", v });
        i = end + run;
        continue;
      }
      buf += text.slice(i, i + run);
      i += run;
      continue;
    }
    if (c === "!" && text[i + 1] === "[") {
      const l = parseLink(text, i + 1);
      if (l) {
        flush();
        out.push({ t: "img", href: l.href, alt: l.label });
        i = l.end;
        continue;
      }
    }
    if (c === "[") {
      const l = parseLink(text, i);
      if (l) {
        flush();
        out.push({ t: "link", href: l.href, c: parseInline(l.label, depth + 1) });
        i = l.end;
        continue;
      }
    }
    if (c === "<") {
      const m = AUTOLINK.exec(text.slice(i));
      if (m) {
        flush();
        out.push({ t: "link", href: m[1], c: [{ t: "text", v: m[1] }] });
        i += m[0].length;
        continue;
      }
    }
    if ((c === "h" || c === "H") && (i === 0 || !WORD.test(text[i - 1]))) {
      const m = BARE_URL.exec(text.slice(i));
      if (m) {
        flush();
        out.push({ t: "link", href: m[0], c: [{ t: "text", v: m[0] }] });
        i += m[0].length;
        continue;
      }
    }
    if (c === "*" || c === "_" || c === "~") {
      const e = parseEmphasis(text, i, depth);
      if (e) {
        flush();
        out.push(e.node);
        i = e.end;
        continue;
      }
      const run = runLength(text, i, c);
      buf += text.slice(i, i + run);
      i += run;
      continue;
    }
    buf += c;
    i++;
  }
  flush();
  return out;
}

function runLength(text, i, ch) {
  let k = i;
  while (text[k] === ch) k++;
  return k - i;
}

function findBackticks(text, from, run) {
  for (let k = from; k < text.length; ) {
    if (text[k] !== "`") { k++; continue; }
    const r = runLength(text, k, "`");
    if (r === run) return k;
    k += r;
  }
  return -1;
}

// parseEmphasis reads *em*, _em_, **strong**, __strong__ or ~~del~~
// starting at i, or returns null when the delimiters do not pair up.
function parseEmphasis(text, i, depth) {
  const ch = text[i];
  const run = runLength(text, i, ch);
  let width;
  if (ch === "~") { if (run !== 2) return null; width = 2; }
  else width = run >= 2 ? 2 : 1;
  const after = text[i + width];
  if (after === undefined || /\s/.test(after)) return null;
  if (ch === "_" && i > 0 && WORD.test(text[i - 1])) return null; // intraword _ is literal
  const open = ch.repeat(width);
  for (let k = i + width; k < text.length; ) {
    const x = text[k];
    if (x === "\\") { k += 2; continue; }
    if (x === "`") {
      const r = runLength(text, k, "`");
      const end = findBackticks(text, k + r, r);
      k = end >= 0 ? end + r : k + r;
      continue;
    }
    if (x !== ch) { k++; continue; }
    const r = runLength(text, k, ch);
    const closes = !/\s/.test(text[k - 1]) && k > i + width &&
      (ch !== "_" || !WORD.test(text[k + r] ?? ""));
    // A single delimiter closes only on a run of one (or of three or more:
    // its last char); a double one on any run of two or more.
    if (closes && width === 1 && (r === 1 || r >= 3)) {
      const end = r >= 3 ? k + r - 1 : k;
      return wrap(end, 1);
    }
    if (closes && width === 2 && r >= 2) return wrap(r >= 3 ? k + r - 2 : k, 2);
    k += r;
  }
  return null;

  function wrap(k, w) {
    const inner = text.slice(i + width, k);
    const t = ch === "~" ? "del" : width === 2 ? "strong" : "em";
    return { node: { t, c: parseInline(inner, depth + 1) }, end: k + w };
  }
}

// parseLink reads [label](url "title") at i (which holds "[").
function parseLink(text, i) {
  let depth = 0, k = i;
  for (; k < text.length; k++) {
    const x = text[k];
    if (x === "\\") { k++; continue; }
    if (x === "`") {
      const r = runLength(text, k, "`");
      const end = findBackticks(text, k + r, r);
      if (end >= 0) k = end + r - 1;
      else k += r - 1;
      continue;
    }
    if (x === "[") depth++;
    else if (x === "]" && --depth === 0) break;
  }
  if (k >= text.length || text[k + 1] !== "(") return null;
  const label = text.slice(i + 1, k);
  let j = k + 2;
  while (text[j] === " " || text[j] === "\n") j++;
  let href = "";
  if (text[j] === "<") {
    const end = text.indexOf(">", j);
    if (end < 0 || text.slice(j + 1, end).includes("\n")) return null;
    href = text.slice(j + 1, end);
    j = end + 1;
  } else {
    let parens = 0;
    const s = j;
    for (; j < text.length; j++) {
      const x = text[j];
      if (x === "\\" && j + 1 < text.length) { j++; continue; }
      if (/\s/.test(x)) break;
      if (x === "(") parens++;
      else if (x === ")") { if (parens === 0) break; parens--; }
    }
    href = text.slice(s, j).replace(/\\([!-\/:-@\[-`{-~])/g, "$1");
  }
  while (text[j] === " " || text[j] === "\n") j++;
  if (text[j] === '"' || text[j] === "'" || text[j] === "(") {
    const close = text[j] === "(" ? ")" : text[j];
    const end = text.indexOf(close, j + 1);
    if (end < 0) return null;
    j = end + 1;
    while (text[j] === " " || text[j] === "\n") j++;
  }
  if (text[j] !== ")") return null;
  return { label, href, end: j + 1 };
}

// safeHref returns an absolute http(s) or mailto URL, or null.
export function safeHref(href) {
  let u;
  try { u = new URL(String(href).trim()); } catch { return null; }
  return u.protocol === "http:" || u.protocol === "https:" || u.protocol === "mailto:" ? u.href : null;
}

// ---- DOM ----

// render builds a DocumentFragment for src. Headings are shifted down two
// levels (# becomes <h3>) so a description cannot outrank the page's own
// headings; the md-hN class keeps the original level for styling.
export function render(doc, src) {
  const frag = doc.createDocumentFragment();
  for (const b of parse(src)) frag.append(block(doc, b));
  return frag;
}

function el(doc, tag, cls) {
  const e = doc.createElement(tag);
  if (cls) e.className = cls;
  return e;
}

function block(doc, b) {
  switch (b.t) {
    case "h": {
      const e = el(doc, "h" + Math.min(6, b.level + 2), "md-h" + b.level);
      e.append(inline(doc, parseInline(b.text)));
      return e;
    }
    case "p": {
      const e = el(doc, "p");
      e.append(b.plain ? doc.createTextNode(b.text) : inline(doc, parseInline(b.text)));
      return e;
    }
    case "code": {
      const pre = el(doc, "pre");
      const code = el(doc, "code");
      if (/^[\w+-]{1,32}$/.test(b.lang)) code.dataset.lang = b.lang;
      code.textContent = b.text;
      pre.append(code);
      return pre;
    }
    case "hr": return el(doc, "hr");
    case "quote": {
      const e = el(doc, "blockquote");
      for (const c of b.blocks) e.append(block(doc, c));
      return e;
    }
    case "list": {
      const e = el(doc, b.ordered ? "ol" : "ul");
      if (b.ordered && b.start !== 1) e.start = b.start;
      for (const it of b.items) {
        const li = el(doc, "li");
        if (it.task !== null) {
          li.className = "md-task";
          const box = el(doc, "input");
          box.type = "checkbox";
          box.defaultChecked = it.task;
          box.disabled = true;
          box.setAttribute("aria-label", it.task ? "done" : "not done");
          li.append(box, doc.createTextNode(" "));
        }
        // A tight item (one paragraph) renders without a <p>.
        if (it.blocks.length === 1 && it.blocks[0].t === "p" && !it.blocks[0].plain) {
          li.append(inline(doc, parseInline(it.blocks[0].text)));
        } else {
          for (const c of it.blocks) li.append(block(doc, c));
        }
        e.append(li);
      }
      return e;
    }
    case "table": {
      const table = el(doc, "table", "md-table");
      const thead = el(doc, "thead");
      const tr = el(doc, "tr");
      b.head.forEach((h, k) => tr.append(cell(doc, "th", h, b.align[k])));
      thead.append(tr);
      const tbody = el(doc, "tbody");
      for (const row of b.rows) {
        const r = el(doc, "tr");
        row.forEach((v, k) => r.append(cell(doc, "td", v, b.align[k])));
        tbody.append(r);
      }
      table.append(thead, tbody);
      return table;
    }
  }
  return doc.createTextNode("");
}

function cell(doc, tag, text, align) {
  const c = el(doc, tag);
  if (align) c.style.textAlign = align;
  c.append(inline(doc, parseInline(text)));
  return c;
}

function inline(doc, nodes) {
  const frag = doc.createDocumentFragment();
  for (const n of nodes) {
    switch (n.t) {
      case "text": frag.append(doc.createTextNode(n.v)); break;
      case "br": frag.append(el(doc, "br")); break;
      case "code": { const c = el(doc, "code"); c.textContent = n.v; frag.append(c); break; }
      case "em": case "strong": case "del": {
        const e = el(doc, n.t);
        e.append(inline(doc, n.c));
        frag.append(e);
        break;
      }
      case "link": {
        const href = safeHref(n.href);
        if (!href) { const s = el(doc, "span", "md-badlink"); s.append(inline(doc, n.c)); frag.append(s); break; }
        const a = el(doc, "a");
        a.href = href;
        a.rel = "noopener noreferrer nofollow";
        a.target = "_blank";
        a.append(inline(doc, n.c));
        frag.append(a);
        break;
      }
      case "img": {
        const href = safeHref(n.href);
        const label = "image: " + (n.alt || n.href);
        if (!href) { frag.append(doc.createTextNode("[" + label + "]")); break; }
        const a = el(doc, "a", "md-image");
        a.href = href;
        a.rel = "noopener noreferrer nofollow";
        a.target = "_blank";
        a.textContent = label;
        frag.append(a);
        break;
      }
    }
  }
  return frag;
}
