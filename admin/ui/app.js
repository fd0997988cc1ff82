// Tandem admin page: conflicts, their details and resolution, sync status
// and recent propagations. Talks only to the JSON admin API on the same
// origin (/api/v1), with the admin token as a bearer token.
//
// The token is asked for once, in the sign-in form, and kept in this tab's
// sessionStorage (never in a URL, never in storage that outlives the tab): reloading the tab
// keeps it, closing the tab forgets it. A 401 from the API forgets it too
// and shows the form again.
//
// All user-controlled text reaches the page through textContent or text
// nodes; descriptions go through the Markdown renderer in markdown.js,
// which builds DOM nodes from a fixed set of elements.

import { diffWords, renderDiff } from "./diff.js";
import { render as renderMarkdown } from "./markdown.js";

const TOKEN_KEY = "tandem.adminToken";
const REFRESH_MS = 4000;

const $ = (sel) => document.querySelector(sel);
const state = {
  conflicts: [],
  selected: null,  // the conflict shown in the detail panel
  total: null,     // status.conflicts when the list was last loaded
  timer: 0,
  refreshing: false,
  applyPoll: 0,
  applyTries: 0,   // polls of a settled conflict waiting for its write
  listSeq: 0,      // the latest conflict list load
  noticeTimer: 0,
  rendered: "",    // what the conflict rows show now
};

class AuthError extends Error {}

// ---- API ----

async function api(path, opts = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) throw new AuthError("not signed in");
  const headers = { Authorization: "Bearer " + token, Accept: "application/json" };
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method: opts.method || "GET",
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    cache: "no-store",
    credentials: "omit",
  });
  let data = null;
  try { data = await res.json(); } catch { /* empty or non-JSON body */ }
  if (res.status === 401) {
    signOut("The admin token was refused. Sign in again.");
    throw new AuthError((data && data.error) || "unauthorized");
  }
  if (!res.ok) {
    const err = new Error((data && data.error) || `${res.status} ${res.statusText}`);
    err.status = res.status;
    throw err;
  }
  return data;
}

// ---- formatting ----

const pad = (n) => String(n).padStart(2, "0");

export function fmtTime(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  if (isNaN(d)) return String(iso);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function isOpen(c) {
  return typeof c.open === "boolean" ? c.open : !c.settledAt;
}

// How a settled conflict was decided: "jira", "linear", "base", "value".
function decisionOf(c) {
  return c.took || c.decision || "";
}

const DECISION_LABEL = { jira: "Kept Jira", linear: "Kept Linear", base: "Kept base", value: "Custom value" };

function decisionLabel(c) {
  if (isOpen(c)) return "Open";
  const d = decisionOf(c);
  return DECISION_LABEL[d] || (d ? "Kept " + d : "Settled");
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === "text") e.textContent = v;
    else if (k === "class") e.className = v;
    else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role" || k === "title") e.setAttribute(k, v);
    else e[k] = v;
  }
  e.append(...children);
  return e;
}

function badge(text, kind) {
  return el("span", { class: "badge badge-" + kind, text });
}

// renderValue shows a canonical value as a person reads it. For titles the
// words added against the base are highlighted in place.
function renderValue(field, value, base, highlight) {
  const box = document.createDocumentFragment();
  const v = value ?? "";
  if (field === "status") {
    const k = v.indexOf(":");
    if (k > 0) {
      box.append(el("span", { class: "status-name", text: v.slice(k + 1) }), " ",
        badge(v.slice(0, k), "cat cat-" + v.slice(0, k).replace(/[^a-z]/g, "")));
    } else box.append(el("span", { class: "status-name", text: v || "(none)" }));
    return box;
  }
  if (field === "priority") {
    box.append(el("span", { class: "priority priority-" + v.replace(/[^a-z]/g, ""), text: v || "none" }));
    return box;
  }
  if (field === "description") {
    if (v.trim() === "") box.append(el("p", { class: "empty", text: "(empty)" }));
    else box.append(el("div", { class: "markdown" }, renderMarkdown(document, v)));
    return box;
  }
  if (v === "") { box.append(el("span", { class: "empty", text: "(empty)" })); return box; }
  if (highlight && base !== undefined) {
    // The side's own text, with what it added against the base marked.
    const parts = diffWords(base, v).filter((p) => p.op !== "del");
    box.append(el("span", { class: "text" }, renderDiff(document, parts)));
  } else box.append(el("span", { class: "text", text: v }));
  return box;
}

// ---- header ----

async function refreshStatus() {
  const s = await api("/api/v1/status");
  // Write only changes: the counts are a live region for screen readers.
  const set = (id, v) => {
    const e = $(`[data-testid="${id}"]`);
    const text = String(v ?? "–");
    if (e.textContent !== text) e.textContent = text;
  };
  set("count-links", s.links);
  set("count-open", s.openConflicts);
  set("count-queue", s.queue);
  set("count-failures", s.failures);
  $('[data-testid="status-updated"]').textContent = "Updated " + fmtTime(new Date().toISOString()) + " UTC";
  return s;
}

// ---- conflict list ----

function filterQuery() {
  const q = new URLSearchParams();
  if ($("#f-open").checked) q.set("open", "true");
  const field = $("#f-field").value;
  if (field) q.set("field", field);
  const since = $("#f-since").value;
  if (since) {
    // The page shows times in UTC, so the field is read as UTC too:
    // datetime-local gives YYYY-MM-DDTHH:MM[:SS[.mmm]] without a zone.
    const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2})?/.exec(since);
    if (m) q.set("since", m[1] + (m[2] || ":00") + "Z");
  }
  q.set("limit", "200");
  return q.toString();
}

async function loadConflicts() {
  // Filters can change while a load is in flight: only the latest counts.
  const seq = ++state.listSeq;
  const data = await api("/api/v1/conflicts?" + filterQuery());
  if (seq !== state.listSeq) return;
  state.conflicts = (data && data.conflicts) || [];
  renderConflicts();
}

function renderConflicts() {
  // Rebuild the rows only when something shown changed, so a refresh
  // does not take the keyboard focus away from a row.
  const key = JSON.stringify([state.conflicts, state.selected?.id]);
  if (key === state.rendered) return;
  state.rendered = key;
  const tbody = $("#conflict-rows");
  const focused = document.activeElement?.closest?.("tr")?.dataset.id;
  tbody.replaceChildren(...state.conflicts.map(conflictRow));
  if (focused) tbody.querySelector(`tr[data-id="${CSS.escape(focused)}"] button`)?.focus();
  $("#conflict-empty").hidden = state.conflicts.length > 0;
}

function conflictRow(c) {
  const open = isOpen(c);
  const selected = state.selected && state.selected.id === c.id;
  const openBtn = el("button", {
    type: "button", class: "rowlink", text: fmtTime(c.at),
    "aria-label": `Conflict ${c.id}: ${c.field} of ${c.jira?.key || "?"} / ${c.linear?.key || "?"}, ${decisionLabel(c)}`,
    "data-testid": "conflict-open",
  });
  openBtn.addEventListener("click", (ev) => { ev.stopPropagation(); showConflict(c.id); });
  const tr = el("tr", {
    class: (open ? "is-open" : "is-settled") + (selected ? " is-selected" : ""),
    "data-testid": "conflict-row", "data-id": c.id, "data-open": String(open),
    "aria-current": selected ? "true" : undefined,
  },
    el("td", {}, openBtn),
    el("td", { text: c.jira?.key || c.jira?.id || "–" }),
    el("td", { text: c.linear?.key || c.linear?.id || "–" }),
    el("td", { text: c.field }),
    el("td", { text: c.policy }),
    el("td", { "data-testid": "conflict-state" }, badge(decisionLabel(c), open ? "open" : "settled")),
  );
  tr.addEventListener("click", () => showConflict(c.id));
  return tr;
}

function upsertConflict(c) {
  const k = state.conflicts.findIndex((x) => x.id === c.id);
  if (k >= 0) state.conflicts[k] = c;
  renderConflicts();
}

// ---- conflict detail ----

async function showConflict(id) {
  try {
    const c = await api("/api/v1/conflicts/" + encodeURIComponent(id));
    state.selected = c;
    state.applyTries = 0;
    renderDetail(c);
    upsertConflict(c);
    $("#detail").hidden = false;
    $("#detail-h").focus();
  } catch (e) {
    if (!(e instanceof AuthError)) notice("Could not load conflict " + id + ": " + e.message, true);
  }
}

function who(by, at) {
  return [by || "author unknown", at ? fmtTime(at) + " UTC" : ""].filter(Boolean).join(" · ");
}

function renderDetail(c) {
  const open = isOpen(c);
  const d = $("#detail");
  d.dataset.id = c.id;
  d.dataset.open = String(open);
  $("#detail-h").textContent = `Conflict ${c.id}: ${c.field}`;
  $("#detail-meta").replaceChildren(
    el("span", { text: `Jira ${c.jira?.key || c.jira?.id || "?"} ⇄ Linear ${c.linear?.key || c.linear?.id || "?"}` }),
    " · ", el("span", { text: "recorded " + fmtTime(c.at) + " UTC" }),
    " · ", el("span", { text: "policy " + c.policy }),
  );
  const st = $("#detail-state");
  if (open) st.replaceChildren(badge("Open", "open"), " Both sides changed this field; choose what to keep.");
  else {
    const parts = [badge(decisionLabel(c), "settled"), " by " + (c.settledBy || "?")];
    if (c.settledAt) parts.push(" at " + fmtTime(c.settledAt) + " UTC");
    // applied is omitted while false: a settled conflict without it is
    // still waiting for the pass that writes its value.
    parts.push(c.applied === true ? " · written to both sides" : " · writing to both sides…");
    st.replaceChildren(...parts);
  }
  const highlight = c.field === "title";
  d.querySelector('[data-testid="value-base"]').replaceChildren(renderValue(c.field, c.base, undefined, false));
  d.querySelector('[data-testid="value-jira"]').replaceChildren(renderValue(c.field, c.jiraValue, c.base, highlight));
  d.querySelector('[data-testid="value-linear"]').replaceChildren(renderValue(c.field, c.linearValue, c.base, highlight));
  d.querySelector('[data-testid="who-jira"]').textContent = who(c.jiraBy, c.jiraAt);
  d.querySelector('[data-testid="who-linear"]').textContent = who(c.linearBy, c.linearAt);
  const textual = c.field === "title" || c.field === "description";
  for (const side of ["jira", "linear"]) {
    const box = d.querySelector(`[data-testid="changes-${side}"]`);
    box.hidden = !textual;
    const v = side === "jira" ? c.jiraValue : c.linearValue;
    box.querySelector(".diff").replaceChildren(textual ? renderDiff(document, diffWords(c.base ?? "", v ?? "")) : "");
    box.open = c.field === "description";
  }
  const kept = open ? "" : decisionOf(c);
  for (const [side, v] of [["jira", c.jiraValue], ["linear", c.linearValue], ["base", c.base]]) {
    const box = d.querySelector(`[data-testid="detail-${side}"]`);
    box.classList.toggle("changed", side !== "base" && (v ?? "") !== (c.base ?? ""));
    box.classList.toggle("kept", kept === side);
  }
  const settled = $("#settled");
  settled.hidden = open;
  if (!open) settled.querySelector(".value").replaceChildren(renderValue(c.field, c.value, undefined, false));
  const form = $("#resolve");
  form.hidden = !open;
  $("#resolve-error").hidden = true;
  if (open && form.dataset.id !== c.id) {
    form.dataset.id = c.id;
    $("#custom").value = "";
  }
  for (const b of form.querySelectorAll("button")) b.disabled = false;
  clearTimeout(state.applyPoll);
  if (open || c.applied === true) state.applyTries = 0;
  else if (state.applyTries++ < 60) {
    state.applyPoll = setTimeout(() => { if (state.selected?.id === c.id) pollApplied(c.id); }, 1000);
  }
}

async function pollApplied(id) {
  try {
    const c = await api("/api/v1/conflicts/" + encodeURIComponent(id));
    if (state.selected?.id !== id) return;
    state.selected = c;
    renderDetail(c);
    upsertConflict(c);
  } catch { /* the next refresh tries again */ }
}

async function resolve(body) {
  const c = state.selected;
  if (!c) return;
  const form = $("#resolve");
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => (b.disabled = true));
  $("#resolve-error").hidden = true;
  try {
    const done = await api(`/api/v1/conflicts/${encodeURIComponent(c.id)}/resolve`, { method: "POST", body: { ...body, by: "ui" } });
    if (!done || !done.id) {
      // 202: the decision is saved but its sync pass is not queued yet.
      notice((done && done.error) || "Decision saved.", false);
      await showConflict(c.id);
      return;
    }
    state.selected = done;
    state.applyTries = 0;
    renderDetail(done);
    upsertConflict(done);
    notice(`Conflict ${done.id} settled (${decisionLabel(done)}). Tandem writes the value to both sides.`);
    refreshStatus().catch(() => {});
    $("#detail-h").focus();
  } catch (e) {
    if (e instanceof AuthError) return;
    buttons.forEach((b) => (b.disabled = false));
    if (e.status === 409) {
      // The form goes away with the open state: say it where it stays.
      notice(`Conflict ${c.id} was already settled by someone else; showing their decision.`, true);
      await showConflict(c.id);
      return;
    }
    const err = $("#resolve-error");
    err.textContent = "Could not settle: " + e.message;
    err.hidden = false;
  }
}

// ---- propagations ----

async function loadPropagations() {
  const data = await api("/api/v1/propagations?limit=25");
  const rows = ((data && data.propagations) || []).map((p) => {
    let conflict = "–";
    if (p.conflictId) {
      conflict = el("button", { type: "button", class: "linkish", text: p.conflictId, "aria-label": "Open conflict " + p.conflictId });
      conflict.addEventListener("click", () => showConflict(p.conflictId));
    }
    return el("tr", { "data-testid": "propagation-row", class: "kind-" + String(p.kind).replace(/[^a-z]/g, "") },
      el("td", { text: fmtTime(p.at) }),
      el("td", {}, badge(p.kind || "?", "kind")),
      el("td", { text: p.jira?.key || p.jira?.id || "–" }),
      el("td", { text: p.linear?.key || p.linear?.id || "–" }),
      el("td", { text: p.to ? "→ " + p.to : "–" }),
      el("td", { text: (p.fields || []).join(", ") || "–" }),
      el("td", {}, conflict),
    );
  });
  $("#prop-rows").replaceChildren(...rows);
  $("#prop-empty").hidden = rows.length > 0;
}

// ---- pairing ----

function refKey(r) { return (r && (r.key || r.id)) || "?"; }

async function loadAmbiguous() {
  const data = await api("/api/v1/ambiguous");
  const items = ((data && data.ambiguous) || []).slice().sort((a, b) => refKey(a.item).localeCompare(refKey(b.item)));
  const rows = items.map((a) => {
    const buttons = (a.candidates || []).filter((c) => c.side !== a.item.side).map((c) => {
      const jira = a.item.side === "jira" ? a.item : c;
      const linear = a.item.side === "jira" ? c : a.item;
      const b = el("button", { type: "button", "data-testid": "link-candidate", "data-jira": refKey(jira), "data-linear": refKey(linear),
        text: refKey(c), "aria-label": `Link ${refKey(jira)} with ${refKey(linear)}` });
      b.addEventListener("click", () => link(refKey(jira), refKey(linear)));
      return b;
    });
    const same = (a.candidates || []).filter((c) => c.side === a.item.side).map(refKey);
    const cell = el("td", {}, ...buttons);
    if (same.length) cell.append(el("span", { class: "hint", text: " same title: " + same.join(", ") }));
    return el("tr", { "data-testid": "ambiguous-row", "data-item": refKey(a.item) },
      el("td", { text: `${a.item.side} ${refKey(a.item)}` }),
      el("td", {}, badge(a.signal || "?", "kind")),
      cell,
    );
  });
  $("#ambiguous-rows").replaceChildren(...rows);
  $("#ambiguous-empty").hidden = rows.length > 0;
}

function linkError(message) {
  const e = $("#link-error");
  e.textContent = message || "";
  e.hidden = !message;
}

async function link(jira, linear) {
  linkError("");
  try {
    const l = await api("/api/v1/links", { method: "POST", body: { jira, linear } });
    notice(`Linked ${refKey(l.jira)} ↔ ${refKey(l.linear)}. Its first sync runs now.`);
    await loadAmbiguous();
    await refreshStatus();
  } catch (e) {
    if (!(e instanceof AuthError)) linkError("Could not link: " + e.message);
  }
}

async function unlink(jira) {
  linkError("");
  try {
    const l = await api("/api/v1/links/unlink", { method: "POST", body: { jira } });
    notice(`Unlinked ${refKey(l.jira)} and ${refKey(l.linear)}: they no longer sync.`);
  } catch (e) {
    if (!(e instanceof AuthError)) linkError("Could not unlink: " + e.message);
  }
}

// ---- refresh loop ----

async function refresh() {
  if (state.refreshing) return;
  state.refreshing = true;
  try {
    const s = await refreshStatus();
    // A new conflict was recorded: reload the list (settling one does not
    // change the total, so a row just settled stays visible).
    if (typeof s.conflicts === "number" && s.conflicts !== state.total) {
      state.total = s.conflicts;
      await loadConflicts();
    }
    await loadPropagations();
    await loadAmbiguous();
    hideNotice(true);
  } catch (e) {
    if (!(e instanceof AuthError)) notice("Cannot reach Tandem: " + e.message, true, true);
  } finally {
    state.refreshing = false;
  }
}

function startLoop() {
  stopLoop();
  state.timer = setInterval(refresh, REFRESH_MS);
}

function stopLoop() {
  clearInterval(state.timer);
  state.timer = 0;
}

// ---- notices ----

function notice(text, isError = false, sticky = false) {
  const n = $("#notice");
  clearTimeout(state.noticeTimer);
  // Good news fades after a while; errors stay until replaced or cleared.
  if (!isError) state.noticeTimer = setTimeout(() => { n.hidden = true; }, 10000);
  n.textContent = text;
  n.classList.toggle("error", isError);
  n.dataset.sticky = sticky ? "1" : "";
  n.hidden = false;
}

function hideNotice(onlySticky) {
  const n = $("#notice");
  if (onlySticky && !n.dataset.sticky) return;
  n.hidden = true;
  n.dataset.sticky = "";
}

// ---- sign in / out ----

function showLogin(message) {
  $("#workspace").hidden = true;
  $("#signout").hidden = true;
  $("#login").hidden = false;
  const err = $("#login-error");
  err.textContent = message || "";
  err.hidden = !message;
  $("#token").value = "";
  $("#token").focus();
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  stopLoop();
  state.conflicts = [];
  state.selected = null;
  state.total = null;
  state.rendered = "";
  $("#conflict-rows").replaceChildren();
  $("#prop-rows").replaceChildren();
  $("#ambiguous-rows").replaceChildren();
  $("#detail").hidden = true;
  hideNotice(false);
  showLogin(message);
}

async function enter() {
  $("#login").hidden = true;
  $("#workspace").hidden = false;
  $("#signout").hidden = false;
  state.total = null;
  await refresh();
  startLoop();
}

// ---- wiring ----

function wire() {
  $("#login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const t = $("#token").value.trim();
    if (!t) return;
    sessionStorage.setItem(TOKEN_KEY, t);
    $("#token").value = "";
    try {
      await refreshStatus(); // checks the token
    } catch (e) {
      if (!(e instanceof AuthError)) {
        // Not a token problem: keep it and show the workspace with the error.
        notice("Cannot reach Tandem: " + e.message, true, true);
      } else return;
    }
    await enter();
  });
  $("#signout").addEventListener("click", () => signOut("Signed out."));
  const reload = () => { loadConflicts().catch((e) => { if (!(e instanceof AuthError)) notice("Could not load conflicts: " + e.message, true); }); };
  $("#filters").addEventListener("submit", (ev) => { ev.preventDefault(); reload(); });
  $("#f-open").addEventListener("change", reload);
  $("#f-field").addEventListener("change", reload);
  $("#f-since").addEventListener("change", reload);
  $("#f-clear").addEventListener("click", () => {
    $("#f-open").checked = false;
    $("#f-field").value = "";
    $("#f-since").value = "";
    reload();
  });
  $("#link-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const jira = $("#link-jira").value.trim(), linear = $("#link-linear").value.trim();
    if (!jira || !linear) { linkError("Give both a Jira key and a Linear ID."); return; }
    link(jira, linear);
  });
  $("#unlink").addEventListener("click", () => {
    const jira = $("#link-jira").value.trim();
    if (!jira) { linkError("Give the Jira key of the pair to unlink."); return; }
    unlink(jira);
  });
  $("#detail-close").addEventListener("click", closeDetail);
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && !$("#detail").hidden) closeDetail();
  });
  for (const b of document.querySelectorAll("#resolve [data-take]")) {
    b.addEventListener("click", () => resolve({ take: b.dataset.take }));
  }
  $("#resolve").addEventListener("submit", (ev) => {
    ev.preventDefault();
    resolve({ value: $("#custom").value });
  });
}

function closeDetail() {
  const id = state.selected?.id;
  state.selected = null;
  clearTimeout(state.applyPoll);
  $("#detail").hidden = true;
  renderConflicts();
  const btn = id && document.querySelector(`tr[data-id="${CSS.escape(id)}"] button`);
  if (btn) btn.focus();
}

wire();
if (sessionStorage.getItem(TOKEN_KEY)) enter();
else showLogin();
