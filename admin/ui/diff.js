// Word-level diff for the conflict view: each side's value against the
// base. Pure functions, no DOM; the browser test exercises them directly.
//
// Text is cut into tokens (runs of letters and digits, runs of white space,
// single other characters) so that concatenating the tokens gives the text
// back exactly. The diff is the classic longest-common-subsequence table
// over tokens, after trimming the common prefix and suffix; when what is
// left is too large for the table, the middle is reported as one deletion
// and one insertion instead (correct, just coarse).

const TOKEN = /[\p{L}\p{N}_]+|\s+|[^\p{L}\p{N}_\s]/gu;

// Cells of the LCS table above which we give up on a fine diff. 4e6 cells
// of Uint32 is 16 MB and a few tens of milliseconds.
export const MAX_CELLS = 4_000_000;

export function tokenize(text) {
  return String(text ?? "").match(TOKEN) ?? [];
}

// diffWords returns the edit from `from` to `to` as a list of
// {op: "eq" | "del" | "ins", text}, adjacent parts of the same op merged.
// Joining the "eq" and "del" parts gives `from`; "eq" and "ins" give `to`.
// Lone spaces kept between two changes are folded into them (see
// cleanup), so a rewritten sentence reads as one change, not a word salad.
export function diffWords(from, to) {
  return cleanup(diffTokens(tokenize(from), tokenize(to)));
}

// cleanup folds white space that is "unchanged" only between two changes
// into the changes around it: del(a) ins(b) eq(" ") del(c) ins(d) becomes
// del("a c") ins("b d"). The result still rebuilds both texts.
export function cleanup(parts) {
  const out = [];
  let del = "", ins = "", open = false;
  const flush = () => {
    if (del) out.push({ op: "del", text: del });
    if (ins) out.push({ op: "ins", text: ins });
    del = ins = "";
    open = false;
  };
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k];
    if (p.op === "del") { del += p.text; open = true; continue; }
    if (p.op === "ins") { ins += p.text; open = true; continue; }
    const next = parts[k + 1];
    if (open && next && next.op !== "eq" && /^\s+$/.test(p.text)) {
      del += p.text;
      ins += p.text;
      continue;
    }
    flush();
    const last = out[out.length - 1];
    if (last && last.op === "eq") last.text += p.text;
    else out.push({ op: "eq", text: p.text });
  }
  flush();
  return out;
}

export function diffTokens(a, b) {
  const out = [];
  const push = (op, text) => {
    if (text === "") return;
    const last = out[out.length - 1];
    if (last && last.op === op) last.text += text;
    else out.push({ op, text });
  };
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre &&
         a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  push("eq", a.slice(0, pre).join(""));
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  if (am.length === 0 || bm.length === 0 || (am.length + 1) * (bm.length + 1) > MAX_CELLS) {
    // Deletions first, then insertions: the order a reader expects.
    push("del", am.join(""));
    push("ins", bm.join(""));
  } else {
    for (const part of lcsDiff(am, bm)) push(part.op, part.text);
  }
  push("eq", a.slice(a.length - suf).join(""));
  return out;
}

// lcsDiff fills the suffix LCS table, then walks it from the top-left,
// preferring a deletion before an insertion where both are optimal.
function lcsDiff(a, b) {
  const n = a.length, m = b.length, w = m + 1;
  const t = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      t[i * w + j] = a[i] === b[j]
        ? t[(i + 1) * w + j + 1] + 1
        : Math.max(t[(i + 1) * w + j], t[i * w + j + 1]);
    }
  }
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { out.push({ op: "eq", text: a[i] }); i++; j++; }
    else if (t[(i + 1) * w + j] >= t[i * w + j + 1]) { out.push({ op: "del", text: a[i] }); i++; }
    else { out.push({ op: "ins", text: b[j] }); j++; }
  }
  for (; i < n; i++) out.push({ op: "del", text: a[i] });
  for (; j < m; j++) out.push({ op: "ins", text: b[j] });
  return out;
}

// renderDiff builds DOM nodes for a diff: unchanged text as text nodes,
// removed words in <del>, added words in <ins>. Text goes in through
// textContent only.
export function renderDiff(doc, parts) {
  const frag = doc.createDocumentFragment();
  for (const p of parts) {
    if (p.op === "eq") { frag.append(doc.createTextNode(p.text)); continue; }
    const el = doc.createElement(p.op === "del" ? "del" : "ins");
    el.textContent = p.text;
    frag.append(el);
  }
  return frag;
}
