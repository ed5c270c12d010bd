/* The replay's text around the canvases: the HUD above the map (lap, clock, speed, gap to
 * the ghost, a penalty card), the lap and sector splits with each lap's off tracks and
 * penalty seconds, the lap and off-track marks on the timeline, and the speed trace's
 * legend. Figures printed by format.js. */

import { NO_TIME, formatClock, formatGap, formatRaceTime } from "../format.js";
import { LAP_COLOURS } from "./charts.js";
import { FPS, gapAt } from "./data.js";
import { els, state } from "./page.js";

function cell(tr, text, cls) {
  const c = tr.insertCell();
  c.textContent = text;
  if (cls) c.className = cls;
  return c;
}

// A difference to the ghost, red when behind; a tie reads "+0.000", never "-0.000".
function deltaChip(c, diff, title) {
  c.title = title;
  const chip = document.createElement("span");
  const text = formatGap(diff);
  chip.className = "rp-delta " + (gapBehind(text) ? "rp-delta-bad" : "rp-delta-good");
  chip.textContent = text;
  c.appendChild(chip);
}

// Is a gap printed by formatGap one of being behind (not a tie, not ahead)?
function gapBehind(text) {
  return text.startsWith("+") && /[1-9]/.test(text);
}

function bestOfRun(r) {
  let lap = Infinity;
  const sectors = [Infinity, Infinity, Infinity];
  r.lapTimes.forEach((t, k) => {
    lap = Math.min(lap, t);
    for (let s = 0; s < 3; s++) if (r.sectors[k][s] !== null) sectors[s] = Math.min(sectors[s], r.sectors[k][s]);
  });
  return { lap, sectors };
}

// Penalty seconds as the figures above print them: "+6 s", "+1.5 s"; none "0".
function penaltyText(seconds) {
  return seconds > 0 ? "+" + Math.round(seconds * 10) / 10 + " s" : "0";
}

// The off-track and penalty columns of a lap (or of every lap: `lap` null). Penalties are
// seconds added to the clock: off tracks, wrong ways and collisions.
function penaltyCells(tr, r, lap) {
  const ofLap = (e) => lap === null || e.lap === lap;
  const offs = r.resets.filter(ofLap).length;
  const seconds = r.penalties.filter(ofLap).reduce((sum, e) => sum + (e.penalty || 0), 0);
  cell(tr, String(offs), "rp-col-off mono" + (offs ? " rp-bad" : " muted"));
  cell(tr, penaltyText(seconds), "rp-col-pen mono" + (seconds > 0 ? "" : " muted"));
}

// The lap's number as a button, so that keyboards and screen readers reach the jump too
// (a click anywhere on the row does the same).
function lapCell(tr, k) {
  const c = cell(tr, "", "rp-lapno");
  const b = document.createElement("button");
  b.type = "button";
  b.className = "rp-lap-btn";
  b.textContent = String(k + 1);
  b.setAttribute("aria-label", "Jump to lap " + (k + 1));
  b.title = "Jump to lap " + (k + 1);
  c.appendChild(b);
  return c;
}

function hitChip(c, r, k) {
  const hits = r.collisions.filter((e) => e.lap === k).length;
  if (!hits) return;
  const o = document.createElement("span");
  o.className = "rp-hit-chip";
  o.textContent = "◆";
  o.setAttribute("aria-hidden", "true");
  o.title = hits + (hits === 1 ? " collision" : " collisions") + " in this lap";
  const said = document.createElement("span");
  said.className = "sr-only";
  said.textContent = o.title;
  c.append(o, said);
}

function lapRow(tbody, r, gh, k, best) {
  const laps = r.lapTimes.length;
  const tr = tbody.insertRow();
  tr.dataset.lap = String(k);
  hitChip(lapCell(tr, k), r, k);
  for (let s = 0; s < 3; s++) {
    const v = r.sectors[k][s];
    const isBest = v !== null && laps > 1 && Math.abs(v - best.sectors[s]) < 1e-9;
    cell(tr, formatRaceTime(v), "rp-col-sector mono" + (isBest ? " rp-best" : ""));
  }
  const lt = r.lapTimes[k];
  cell(tr, formatRaceTime(lt), "mono" + (laps > 1 && lt === best.lap ? " rp-best" : ""));
  penaltyCells(tr, r, k);
  const gc = cell(tr, "", "rp-col-ghost mono");
  if (gh && gh.lapTimes[k] !== undefined) deltaChip(gc, lt - gh.lapTimes[k], "Ghost lap " + formatRaceTime(gh.lapTimes[k]));
  else if (gh) gc.textContent = NO_TIME;
}

const SPLIT_COLUMNS = 8; // lap, three sectors, time, off, penalty, ghost

export function buildSplits() {
  const r = state.run, gh = state.ghost;
  const tbody = els.splits.tBodies[0];
  tbody.textContent = "";
  els.splits.classList.toggle("rp-has-ghost", Boolean(gh));
  const laps = r.lapTimes.length;
  const partial = r.n && r.lap[r.n - 1] < r.lapsRequired && r.result.status !== "finished";
  if (!laps && !partial) {
    const c = tbody.insertRow().insertCell();
    c.colSpan = SPLIT_COLUMNS; c.className = "muted"; c.textContent = "No complete lap.";
    return;
  }
  const best = bestOfRun(r);
  for (let k = 0; k < laps; k++) lapRow(tbody, r, gh, k, best);
  if (partial) {
    const trp = tbody.insertRow();
    trp.dataset.lap = String(laps);
    hitChip(lapCell(trp, laps), r, laps);
    cell(trp, "", "rp-col-sector").colSpan = 3;
    cell(trp, "Unfinished: " + Math.round((r.result.progress || r.prog[r.n - 1]) * 100) + "%", "muted rp-unfinished");
    penaltyCells(trp, r, laps);
    cell(trp, "", "rp-col-ghost");
  }
  const total = tbody.insertRow();
  total.className = "rp-total";
  cell(total, "Σ").title = "The whole run";
  cell(total, "", "rp-col-sector").colSpan = 3;
  cell(total, formatRaceTime(r.result.total_time_s), "mono");
  penaltyCells(total, r, null);
  const gt = cell(total, "", "rp-col-ghost mono");
  if (gh && gh.result.total_time_s !== undefined && r.result.total_time_s !== undefined) {
    deltaChip(gt, r.result.total_time_s - gh.result.total_time_s, "Ghost total " + formatRaceTime(gh.result.total_time_s));
  }
}

function highlightLap(lap) {
  Array.from(els.splits.tBodies[0].rows).forEach((tr) => {
    tr.classList.toggle("rp-current", tr.dataset.lap === String(lap));
  });
}

export function buildMarks() {
  const r = state.run;
  els.marks.textContent = "";
  const last = Math.max(r.n - 1, 1);
  const mark = (i, cls) => {
    const m = document.createElement("span");
    m.className = "rp-mark " + cls;
    m.style.left = (i / last * 100) + "%";
    els.marks.appendChild(m);
  };
  r.lapStart.slice(1).forEach((i) => mark(i, "rp-mark-lap"));
  r.resets.forEach((e) => mark(e.i, "rp-mark-off"));
  r.collisions.forEach((e) => mark(e.i, "rp-mark-hit"));
}

export function buildTraceLegend() {
  const r = state.run;
  els.traceLegend.textContent = "";
  const key = (cls, colour, text) => {
    const item = document.createElement("span");
    item.className = cls;
    const swatch = document.createElement("i");
    if (colour) swatch.style.background = colour;
    item.append(swatch, text);
    els.traceLegend.appendChild(item);
  };
  const laps = (r.n ? r.lap[r.n - 1] : 0) + 1;
  for (let k = 0; k < laps; k++) {
    const time = r.lapTimes[k] !== undefined ? " · " + formatRaceTime(r.lapTimes[k]) : "";
    key("rp-trace-key", LAP_COLOURS[k % LAP_COLOURS.length], "Lap " + (k + 1) + time);
  }
  if (state.ghost) key("rp-trace-key rp-trace-ghost", null, "Ghost, same lap");
}

const PENALTY_WORDS = { wrong_way: "Wrong way", off_track: "Off track", box: "Hit a box", bot: "Hit a bot" };

// A penalty card for two seconds after a reset or a collision.
function showPenalty(r, i) {
  let shown = null;
  for (let k = r.penalties.length - 1; k >= 0; k--) {
    const e = r.penalties[k];
    if (e.i <= i && i - e.i < 2 * FPS) { shown = e; break; }
    if (e.i < i) break;
  }
  els.penalty.hidden = !shown;
  if (shown) {
    els.penalty.textContent = (PENALTY_WORDS[shown.kind] || "Off track") + " · +" + shown.penalty + " s penalty";
    els.penalty.classList.toggle("rp-penalty-hit", shown.kind === "box" || shown.kind === "bot");
  }
}

export function updateHud(pose) {
  const r = state.run;
  const i = pose.i;
  els.hudLap.textContent = Math.min(r.lap[i] + 1, r.lapsRequired) + "/" + r.lapsRequired;
  const total = r.result.total_time_s;
  const clock = i === r.n - 1 && total !== undefined && total !== null ? total : pose.t;
  els.hudClock.textContent = formatClock(clock);
  els.hudSpeed.textContent = pose.v.toFixed(2) + " m/s";
  els.time.textContent = formatClock(clock) + " / " + formatClock(total !== undefined ? total : r.t[r.n - 1]);
  if (state.ghost) {
    const gap = gapAt(r, state.ghost, i);
    const text = gap === null ? NO_TIME : formatGap(gap);
    els.hudGap.textContent = gap === null ? NO_TIME : text + " s";
    els.hudGapBox.classList.toggle("rp-behind", gap !== null && gapBehind(text));
    els.hudGapBox.classList.toggle("rp-ahead", gap !== null && !gapBehind(text));
  }
  showPenalty(r, i);
  if (state.currentLap !== r.lap[i]) {
    state.currentLap = r.lap[i];
    highlightLap(r.lap[i]);
  }
  // The slider follows playback and jumps even while it has focus (a keyboard user's
  // thumb must not freeze), and screen readers hear the race clock, not a step number.
  els.scrub.value = String(i);
  els.scrub.setAttribute("aria-valuetext", formatClock(clock));
}
