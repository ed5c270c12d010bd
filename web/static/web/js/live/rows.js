/* Tables of rows kept up to date by a socket: the leaderboard and the season standings.
 *
 * A row's markup is written once, in a Django include (league/_board_row.html,
 * _standings_row.html): the server renders the page's rows with it, and the page carries
 * the same include in <template> elements, rendered with a blank row. A row that a live
 * message brings is a clone of that template, filled in by board.js or standings.js.
 * Rows are updated in place, moved to their new rank and highlighted for a moment
 * (`live-changed` plus `live-new`, `live-up` or `live-down`; styles in league.css).
 */

import { refreshFragment } from "./fragments.js";
import { LiveSocket } from "./socket.js";

const HIGHLIGHT_MS = 2600;
const MEDALS = { 1: "gold", 2: "silver", 3: "bronze" }; // the `medal` filter's classes

export function medal(rank) {
  return MEDALS[rank] || "";
}

/** A fresh copy of the first element of <template id="...">. */
export function clonePrototype(id) {
  return document.getElementById(id).content.firstElementChild.cloneNode(true);
}

/** Sets the text of the first `selector` in `node`. */
export function setText(node, selector, value) {
  const target = node.querySelector(selector);
  if (target) target.textContent = String(value);
  return target;
}

/** A clone of <template id="...">'s row for `row`: its classes, racer, rank and the
 * racer's link (the URL's prefix is Django's, from the template's link). */
export function racerRow(id, row, classes) {
  const tr = clonePrototype(id);
  tr.className = classes.filter(Boolean).join(" ");
  tr.setAttribute("data-racer", row.racer);
  tr.setAttribute("data-rank", row.rank);
  setText(tr, ".rank-badge", row.rank);
  const link = tr.querySelector(".c-racer a");
  const href = link.getAttribute("href");
  link.setAttribute("href", href.slice(0, href.lastIndexOf("/", href.length - 2) + 1) + encodeURIComponent(row.racer) + "/");
  link.textContent = row.racer;
  return tr;
}

/** Flashes a row (or box) for a moment, with extra classes such as "live-up". */
export function highlight(node, extra = []) {
  if (!node) return;
  const classes = [node.tagName === "TR" ? "live-changed" : "live-changed-box", ...extra];
  node.classList.remove(...classes);
  void node.offsetWidth; // restart the animation
  node.classList.add(...classes);
  clearTimeout(node._liveTimer);
  node._liveTimer = setTimeout(() => node.classList.remove(...classes), HIGHLIGHT_MS);
}

function mark(node, cls) {
  node.classList.add(cls);
  setTimeout(() => node.classList.remove(cls), HIGHLIGHT_MS);
}

// Replace a table's rows by `rows` (rank order), reusing the row of each racer.
// `signature(row)` gives {full, core}: a row is redrawn when `full` changed, and flashed
// when it is new, its racer is in `changed` (an update says whose result landed) or, for
// a snapshot (`changed` null: catching up), when `core` (its figures, not its rank) did.
function applyRows(table, rows, render, signature, changed) {
  const tbody = table.tBodies[0] || table.appendChild(document.createElement("tbody"));
  const existing = new Map();
  Array.from(tbody.rows).forEach((tr) => {
    if (tr.hasAttribute("data-racer")) existing.set(tr.getAttribute("data-racer"), tr);
    else tr.remove(); // an empty-state row
  });
  const seen = new Set();
  let previous = null;
  rows.forEach((row) => {
    seen.add(row.racer);
    let tr = existing.get(row.racer);
    const sig = signature(row);
    if (!tr || tr.getAttribute("data-live-sig") !== sig.full) {
      const fresh = render(row);
      fresh.setAttribute("data-live-sig", sig.full);
      fresh.setAttribute("data-live-core", sig.core);
      if (!tr) {
        highlight(fresh, ["live-new"]);
      } else {
        const oldRank = Number(tr.getAttribute("data-rank"));
        const moved = row.rank < oldRank ? "live-up" : row.rank > oldRank ? "live-down" : null;
        const news = changed ? changed.has(row.racer) : tr.getAttribute("data-live-core") !== sig.core;
        tr.replaceWith(fresh);
        // Rows that only shifted down because someone passed them are marked, not flashed.
        if (news || moved === "live-up") highlight(fresh, moved ? [moved] : []);
        else if (moved) mark(fresh, moved);
      }
      tr = fresh;
    }
    // Rank order: the row goes right after the previous one.
    const anchor = previous ? previous.nextSibling : tbody.firstChild;
    if (anchor !== tr) tbody.insertBefore(tr, anchor);
    previous = tr;
  });
  existing.forEach((tr, racer) => {
    if (!seen.has(racer)) tr.remove();
  });
}

// Remember what a server-rendered row shows, so that an unchanged row is not redrawn.
function seedSignatures(table, rows, signature) {
  const byRacer = new Map(rows.map((row) => [row.racer, row]));
  Array.from(table.tBodies[0] ? table.tBodies[0].rows : []).forEach((tr) => {
    const row = byRacer.get(tr.getAttribute("data-racer"));
    if (!row || tr.hasAttribute("data-live-sig") || Number(tr.getAttribute("data-rank")) !== row.rank) return;
    if (tr.hasAttribute("data-result-id") && Number(tr.getAttribute("data-result-id")) !== row.result_id) return;
    const sig = signature(row);
    tr.setAttribute("data-live-sig", sig.full);
    tr.setAttribute("data-live-core", sig.core);
  });
}

/**
 * A paged table following its stream: `stream` the socket path, `kind` "leaderboard" or
 * "standings", `accepts(message)`, `signature(row)`, `render(row)` -> <tr>, and
 * `after(rows, message)` once the rows are in.
 */
export class LiveTable {
  constructor(table, { stream, kind, accepts = () => true, signature, render, after = () => {} }) {
    this.table = table;
    this.kind = kind;
    this.accepts = accepts;
    this.signature = signature;
    this.render = render;
    this.after = after;
    this.pageSize = Number(table.getAttribute("data-page-size")) || 50;
    this.offset = ((Number(table.getAttribute("data-page")) || 1) - 1) * this.pageSize;
    this.seeded = false;
    this.pending = null;
    this.socket = new LiveSocket(`${stream}?offset=${this.offset}&limit=${this.pageSize}`, (m) => this.receive(m));
  }

  receive(message) {
    if (message.type !== `${this.kind}.snapshot` && message.type !== `${this.kind}.update`) return;
    if (!this.accepts(message)) return;
    const wanted = Math.max(0, Math.min(this.pageSize, message.count - this.offset));
    if (message.offset === this.offset && message.rows.length >= wanted) {
      const rows = message.rows.slice(0, this.pageSize);
      if (!this.seeded) {
        seedSignatures(this.table, rows, this.signature);
        this.seeded = true;
      }
      const changed = message.changed ? new Set(message.changed.filter(Boolean).map((c) => c.racer)) : null;
      applyRows(this.table, rows, this.render, this.signature, changed);
      this.after(rows, message);
    } else if (message.type === `${this.kind}.update`) {
      // Another page of the table changed: ask for ours (one request per burst of updates).
      clearTimeout(this.pending);
      this.pending = setTimeout(() => {
        this.socket.send({ type: "snapshot", offset: this.offset, limit: this.pageSize });
      }, 150);
    }
  }
}

/** A board or table without rows has no table yet: the first rows bring the rendered
 * section, fetched again from the server, and `takeOver(table)` follows it from there. */
export function awaitFirstRows(stream, kind, section, tableSelector, takeOver) {
  const socket = new LiveSocket(stream, (message) => {
    if ((message.type === `${kind}.update` || message.type === `${kind}.snapshot`) && message.count > 0) {
      socket.stop();
      refreshFragment(section).then(() => {
        const table = document.querySelector(tableSelector);
        if (table) takeOver(table);
      });
    }
  });
}
