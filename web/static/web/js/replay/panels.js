/* The replay's text around the canvases: the HUD over the map (lap, clock, speed, gap to
 * the ghost, a penalty card), the lap and sector splits, the lap and off-track marks on
 * the timeline, and the speed trace's legend. Figures printed by format.js. */

import { NO_TIME, formatClock, formatDelta, formatRaceTime } from "../format.js";
import { LAP_COLOURS } from "./charts.js";
import { FPS, gapAt } from "./data.js";
import { els, state } from "./page.js";

function cell(tr, text, cls) {
  const c = tr.insertCell();
  c.textContent = text;
  if (cls) c.className = cls;
  return c;
}

// A difference to the ghost, red when behind.
function deltaChip(c, diff, title) {
  c.title = title;
  const chip = document.createElement("span");
  chip.className = diff > 0 ? "rp-delta rp-delta-bad" : "rp-delta rp-delta-good";
  chip.textContent = formatDelta(diff);
  c.appendChild(chip);
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

function lapRow(tbody, r, gh, k, best) {
  const laps = r.lapTimes.length;
  const tr = tbody.insertRow();
  tr.dataset.lap = String(k);
  tr.tabIndex = 0;
  tr.title = "Jump to lap " + (k + 1);
  const lapCell = cell(tr, String(k + 1), "rp-lapno");
  for (let s = 0; s < 3; s++) {
    const v = r.sectors[k][s];
    const isBest = v !== null && laps > 1 && Math.abs(v - best.sectors[s]) < 1e-9;
    cell(tr, formatRaceTime(v), "mono" + (isBest ? " rp-best" : ""));
  }
  const lt = r.lapTimes[k];
  cell(tr, formatRaceTime(lt), "mono" + (laps > 1 && lt === best.lap ? " rp-best" : ""));
  const offs = r.resets.filter((e) => e.lap === k).length;
  if (offs) {
    const o = document.createElement("span");
    o.className = "rp-off-chip";
    o.textContent = "●";
    o.title = offs + " off track in this lap";
    lapCell.appendChild(o);
  }
  const hits = r.collisions.filter((e) => e.lap === k).length;
  if (hits) {
    const o = document.createElement("span");
    o.className = "rp-hit-chip";
    o.textContent = "◆";
    o.title = hits + (hits === 1 ? " collision" : " collisions") + " in this lap";
    lapCell.appendChild(o);
  }
  const gc = cell(tr, "", "rp-col-ghost mono");
  if (gh && gh.lapTimes[k] !== undefined) deltaChip(gc, lt - gh.lapTimes[k], "Ghost lap " + formatRaceTime(gh.lapTimes[k]));
  else if (gh) gc.textContent = NO_TIME;
}

export function buildSplits() {
  const r = state.run, gh = state.ghost;
  const tbody = els.splits.tBodies[0];
  tbody.textContent = "";
  els.splits.classList.toggle("rp-has-ghost", Boolean(gh));
  const laps = r.lapTimes.length;
  const partial = r.n && r.lap[r.n - 1] < r.lapsRequired && r.result.status !== "finished";
  if (!laps && !partial) {
    const c = tbody.insertRow().insertCell();
    c.colSpan = 6; c.className = "muted"; c.textContent = "No complete lap.";
    return;
  }
  const best = bestOfRun(r);
  for (let k = 0; k < laps; k++) lapRow(tbody, r, gh, k, best);
  if (partial) {
    const trp = tbody.insertRow();
    trp.dataset.lap = String(laps);
    cell(trp, String(laps + 1), "rp-lapno");
    cell(trp, "Unfinished: " + Math.round((r.result.progress || r.prog[r.n - 1]) * 100) + "% of the lap", "muted").colSpan = 4;
    cell(trp, "", "rp-col-ghost");
  }
  const total = tbody.insertRow();
  total.className = "rp-total";
  cell(total, "Σ");
  cell(total, "").colSpan = 3;
  cell(total, formatRaceTime(r.result.total_time_s), "mono");
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
    els.hudGap.textContent = gap === null ? NO_TIME : formatDelta(gap, 2) + " s";
    els.hudGapBox.classList.toggle("rp-behind", gap !== null && gap > 0);
    els.hudGapBox.classList.toggle("rp-ahead", gap !== null && gap <= 0);
  }
  showPenalty(r, i);
  if (state.currentLap !== r.lap[i]) {
    state.currentLap = r.lap[i];
    highlightLap(r.lap[i]);
  }
  if (document.activeElement !== els.scrub) els.scrub.value = String(i);
}
