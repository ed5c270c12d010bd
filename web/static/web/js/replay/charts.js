/* The charts under the map: speed against distance along the lap, one line per lap (the
 * ghost's same lap dashed), and the time gap to the ghost along the race. */

import { speedPalette } from "../palette.js";
import { fitCanvas } from "./canvas.js";
import { gapAt } from "./data.js";
import { els, lapVisible, state } from "./page.js";

export const LAP_COLOURS = ["#3fd0ff", "#ff7a1a", "#c7a2ff", "#3ddc84", "#ffcc4d", "#ff6b6b", "#7ee0c9", "#f49ac1"];
const PAD = { l: 40, r: 12, t: 12, b: 26 };
const LABEL_FONT = "11px system-ui, sans-serif";
const LABEL_COLOUR = "#9aa4b2";

function geometry(canvas, height) {
  const size = fitCanvas(canvas, (w) => (w < 520 ? Math.round(height * 0.8) : height));
  return { size, pw: size.w - PAD.l - PAD.r, ph: size.h - PAD.t - PAD.b };
}

function begin(canvas, g) {
  const ctx = canvas.getContext("2d");
  ctx.setTransform(g.size.dpr, 0, 0, g.size.dpr, 0, 0);
  ctx.clearRect(0, 0, g.size.w, g.size.h);
  ctx.font = LABEL_FONT;
  ctx.fillStyle = LABEL_COLOUR;
  return ctx;
}

/** Where a click on the speed trace lands: the fraction of the lap (0..0.999). */
export function traceFraction(event) {
  const rect = els.speed.getBoundingClientRect();
  const pw = rect.width - PAD.l - PAD.r;
  return Math.min(Math.max((event.clientX - rect.left - PAD.l) / pw, 0), 0.999);
}

function drawGrid(ctx, g, r, X, Y, vMax) {
  ctx.strokeStyle = "rgba(255,255,255,0.07)";
  ctx.lineWidth = 1;
  for (let v = 0; v <= vMax; v += 1) {
    ctx.beginPath(); ctx.moveTo(PAD.l, Y(v)); ctx.lineTo(PAD.l + g.pw, Y(v)); ctx.stroke();
    ctx.fillText(v + " m/s", 2, Y(v) + 4);
  }
  const step = r.L > 40 ? 10 : 5;
  for (let d = 0; d <= r.L + 1e-6; d += step) {
    ctx.beginPath(); ctx.moveTo(X(d), PAD.t); ctx.lineTo(X(d), PAD.t + g.ph); ctx.stroke();
    const label = d + " m";
    const lw = ctx.measureText(label).width;
    ctx.fillText(label, Math.min(Math.max(X(d) - lw / 2, 0), g.size.w - lw - 2), g.size.h - 8);
  }
}

// One lap of a run as a line of speed against distance along the lap.
function traceLap(ctx, run, lap, X, Y) {
  ctx.beginPath();
  let pen = false, prev = -1;
  for (let i = 0; i < run.n; i++) {
    if (run.lap[i] !== lap) { pen = false; continue; }
    const p = run.prog[i];
    if (!pen || p < prev - 0.5 || (i > 0 && !run.on[i - 1])) { ctx.moveTo(X(p * run.L), Y(run.v[i])); pen = true; }
    else ctx.lineTo(X(p * run.L), Y(run.v[i]));
    prev = p;
  }
  ctx.stroke();
}

export function drawSpeedTrace(pose) {
  const r = state.run;
  const vMax = speedPalette().vMax;
  const g = geometry(els.speed, 230);
  const ctx = begin(els.speed, g);
  const X = (d) => PAD.l + d / r.L * g.pw;
  const Y = (v) => PAD.t + (1 - v / vMax) * g.ph;
  drawGrid(ctx, g, r, X, Y, vMax);
  const current = pose ? r.lap[pose.i] : 0;
  // One line per lap; the current lap on top and brighter.
  const laps = Math.max(0, ...r.lap) + 1;
  const order = [];
  for (let k = 0; k < laps; k++) if (k !== current) order.push(k);
  order.push(current);
  order.forEach((lap) => {
    if (!lapVisible(lap) && lap !== current) return;
    ctx.strokeStyle = LAP_COLOURS[lap % LAP_COLOURS.length];
    ctx.globalAlpha = lap === current ? 1 : 0.4;
    ctx.lineWidth = lap === current ? 2.2 : 1.4;
    traceLap(ctx, r, lap, X, Y);
  });
  ctx.globalAlpha = 1;
  if (state.ghost) { // the ghost on the same lap, dashed
    ctx.save();
    ctx.setLineDash([5, 4]);
    ctx.strokeStyle = "rgba(230,230,240,0.75)";
    ctx.lineWidth = 1.4;
    traceLap(ctx, state.ghost, current, X, Y);
    ctx.restore();
  }
  r.resets.forEach((e) => { // off-track ticks of the current lap
    if (e.lap !== current) return;
    ctx.fillStyle = "#ff3b30";
    ctx.fillRect(X(e.s) - 1.5, PAD.t, 3, g.ph);
  });
  if (pose) { // the cursor
    const cx = X(r.prog[pose.i] * r.L);
    ctx.strokeStyle = "rgba(255,255,255,0.6)";
    ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(cx, PAD.t); ctx.lineTo(cx, PAD.t + g.ph); ctx.stroke();
    ctx.fillStyle = "#fff";
    ctx.beginPath(); ctx.arc(cx, Y(r.v[pose.i]), 4, 0, 2 * Math.PI); ctx.fill();
  }
}

function gaps() {
  const r = state.run;
  if (!state.gaps) {
    state.gaps = new Float64Array(r.n);
    for (let i = 0; i < r.n; i++) {
      const gap = gapAt(r, state.ghost, i);
      state.gaps[i] = gap === null ? NaN : gap;
    }
  }
  return state.gaps;
}

export function drawGapChart(pose) {
  const r = state.run;
  const g = geometry(els.gap, 140);
  const ctx = begin(els.gap, g);
  const gap = gaps();
  let lo = 0, hi = 0;
  for (let k = 0; k < r.n; k++) if (isFinite(gap[k])) { lo = Math.min(lo, gap[k]); hi = Math.max(hi, gap[k]); }
  const span = Math.max(hi - lo, 0.5);
  hi += span * 0.1; lo -= span * 0.1;
  const total = Math.max(r.dist[r.n - 1], 1e-6);
  const X = (d) => PAD.l + d / total * g.pw;
  const Y = (v) => PAD.t + (hi - v) / (hi - lo) * g.ph;
  ctx.strokeStyle = "rgba(255,255,255,0.25)";
  ctx.beginPath(); ctx.moveTo(PAD.l, Y(0)); ctx.lineTo(PAD.l + g.pw, Y(0)); ctx.stroke();
  ctx.fillText("0 s", 8, Y(0) + 4);
  if (Y(0) - PAD.t > 16) ctx.fillText("+" + hi.toFixed(1), 2, PAD.t + 8);
  if (PAD.t + g.ph - Y(0) > 16) ctx.fillText(lo.toFixed(1), 2, PAD.t + g.ph);
  for (let lap = 1; lap < r.lapStart.length; lap++) {
    const dx = X(lap * r.L);
    ctx.strokeStyle = "rgba(255,255,255,0.08)";
    ctx.beginPath(); ctx.moveTo(dx, PAD.t); ctx.lineTo(dx, PAD.t + g.ph); ctx.stroke();
    if (dx + 40 < g.size.w) ctx.fillText("lap " + (lap + 1), dx + 3, g.size.h - 8);
  }
  ctx.lineWidth = 2;
  for (let j = 1; j < r.n; j++) {
    if (!isFinite(gap[j]) || !isFinite(gap[j - 1])) continue;
    ctx.strokeStyle = gap[j] > 0 ? "#ff6b6b" : "#3ddc84";
    ctx.beginPath(); ctx.moveTo(X(r.dist[j - 1]), Y(gap[j - 1])); ctx.lineTo(X(r.dist[j]), Y(gap[j])); ctx.stroke();
  }
  if (pose && isFinite(gap[pose.i])) {
    ctx.fillStyle = "#fff";
    ctx.beginPath(); ctx.arc(X(r.dist[pose.i]), Y(gap[pose.i]), 4, 0, 2 * Math.PI); ctx.fill();
  }
}
