/* Head-to-head pages (league/ladder.html, league/matches.html): the ladder and the match
 * list follow the race's socket (`ladder.update`, `match.changed`, docs/live.md). Rows are
 * built with the same columns the server renders (league/_match_row.html). */

import { formatRaceTime } from "./format.js";
import { LiveSocket } from "./live/socket.js";

const ladder = document.getElementById("ladder");
const matches = document.getElementById("matches");
const raceId = (ladder || matches) && (ladder || matches).dataset.raceId;
const filter = new URLSearchParams(location.search).get("racer");

function cell(text, cls) {
  const td = document.createElement("td");
  if (cls) td.className = cls;
  td.textContent = text;
  return td;
}

function racerLink(alias) {
  const a = document.createElement("a");
  a.href = `/races/${raceId}/matches/?racer=${encodeURIComponent(alias)}`;
  a.textContent = alias;
  return a;
}

function fixed(v) {
  return v === null || v === undefined ? "—" : Number(v).toFixed(2);
}

function ladderRows(rows) {
  const body = ladder.tBodies[0];
  body.replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    tr.dataset.racer = r.racer;
    const who = cell("", "c-racer");
    who.appendChild(racerLink(r.racer));
    tr.append(cell(String(r.rank), "c-rank"), who, cell(fixed(r.rating), "num mono"), cell(fixed(r.mu), "num mono"),
      cell(fixed(r.sigma), "num mono"), cell(String(r.matches), "num"), cell(String(r.wins), "num"));
    return tr;
  }));
}

function duelText(d) {
  const t = (status, s) => (status === "finished" ? formatRaceTime(s) : "DNF");
  return `${t(d.a_status, d.a_time_s)} – ${t(d.b_status, d.b_time_s)}`;
}

function matchRow(m) {
  const tr = document.createElement("tr");
  tr.dataset.matchId = String(m.id);
  const when = new Date(m.created_at);
  const a = cell("", "c-racer" + (m.winner === "a" ? " h2h-won" : ""));
  a.appendChild(racerLink(m.racer_a));
  const b = cell("", "c-racer" + (m.winner === "b" ? " h2h-won" : ""));
  b.appendChild(racerLink(m.racer_b));
  let outcome = m.status === "finished" ? (m.winner === "draw" ? "Draw" : m.winner_racer) : m.status === "error" ? "Error" : m.status[0].toUpperCase() + m.status.slice(1) + "…";
  const duels = cell("", "num mono");
  m.duels.forEach((d) => {
    const span = document.createElement("span");
    span.className = "h2h-duel";
    span.textContent = duelText(d);
    duels.appendChild(span);
  });
  const replays = cell("", "c-replay");
  m.replays.forEach((k) => {
    const link = document.createElement("a");
    link.className = "btn btn-ghost btn-sm";
    link.href = `/matches/${m.id}/replay/${k}/`;
    link.textContent = `▶ ${k}`;
    replays.append(link, " ");
  });
  tr.append(cell(when.toLocaleString([], { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }), "c-when"),
    a, b, cell(outcome), duels, cell(String(m.seed), "num"), cell(m.finals || (m.rated ? "rated" : "")), replays);
  return tr;
}

function upsertMatch(m) {
  if (filter && m.racer_a.toLowerCase() !== filter.toLowerCase() && m.racer_b.toLowerCase() !== filter.toLowerCase()) return;
  const body = matches.tBodies[0];
  const row = matchRow(m);
  const old = body.querySelector(`tr[data-match-id="${m.id}"]`);
  if (old) old.replaceWith(row);
  else {
    body.querySelectorAll("tr.h2h-empty").forEach((n) => n.remove());
    body.prepend(row);
  }
}

if (raceId) {
  new LiveSocket(`/ws/races/${raceId}/`, (message) => {
    if (message.type === "ladder.update" && ladder) ladderRows(message.rows);
    else if (message.type === "match.changed" && matches) upsertMatch(message.match);
  });
}
