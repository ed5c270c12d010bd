/* The track to scale on a canvas: grass, tarmac, edges, the start line, the boxes of an
 * object-avoidance run, the racing line coloured by speed (the palette of the videos,
 * palette.js), off-track and collision markers, the ghost's line, and the cars (with a
 * head-to-bot run's bots). The still parts are drawn once into a layer; each frame copies
 * it and draws the cars. */

import { speedCss } from "../palette.js";
import { fitCanvas } from "./canvas.js";
import { botPoseAt, poseAt, poseAtTime } from "./data.js";
import { els, lapVisible, state } from "./page.js";

const GRASS = "#14261b";
const TARMAC = "#30353e";
const OFF_TRACK = "#ff3b30";
const OUR_CAR = "#ff7a1a";
const GHOST_CAR = "#c7a2ff";
const COLLISION = "#ffd60a";

/** World metres <-> canvas pixels for the track (y up), fitted to the canvas. */
function trackView(canvas) {
  const b = state.track.bounds;
  const bw = Math.max(b[2] - b[0], 1e-6), bh = Math.max(b[3] - b[1], 1e-6);
  const size = fitCanvas(canvas, (w) => {
    const maxH = Math.max(260, window.innerHeight * 0.62);
    return Math.round(Math.min(Math.max(w * bh / bw + 32, 220), maxH));
  });
  const pad = 18;
  const scale = Math.min((size.w - 2 * pad) / bw, (size.h - 2 * pad) / bh);
  const ox = (size.w - bw * scale) / 2 - b[0] * scale;
  const oy = (size.h + bh * scale) / 2 + b[1] * scale;
  return {
    w: size.w, h: size.h, dpr: size.dpr, scale, ox, oy,
    px: (x) => x * scale + ox, py: (y) => oy - y * scale,
    wx: (px) => (px - ox) / scale, wy: (py) => (oy - py) / scale,
  };
}

function pathLoop(ctx, v, pts) {
  ctx.moveTo(v.px(pts[0][0]), v.py(pts[0][1]));
  for (let i = 1; i < pts.length; i++) ctx.lineTo(v.px(pts[i][0]), v.py(pts[i][1]));
  ctx.closePath();
}

// Grass, tarmac (outer loop filled, inner loop cut out), white edges, dashed centre line.
function drawTrackSurface(ctx, v, tr) {
  ctx.fillStyle = GRASS;
  ctx.fillRect(0, 0, v.w, v.h);
  ctx.beginPath();
  pathLoop(ctx, v, tr.left);
  pathLoop(ctx, v, tr.right);
  ctx.fillStyle = TARMAC;
  ctx.fill("evenodd");
  ctx.lineJoin = "round";
  ctx.strokeStyle = "rgba(240,240,240,0.9)";
  ctx.lineWidth = Math.max(1, 0.04 * v.scale);
  ctx.beginPath(); pathLoop(ctx, v, tr.left); ctx.stroke();
  ctx.beginPath(); pathLoop(ctx, v, tr.right); ctx.stroke();
  ctx.save();
  ctx.setLineDash([Math.max(2, 0.15 * v.scale), Math.max(2, 0.15 * v.scale)]);
  ctx.strokeStyle = "rgba(255,204,77,0.35)";
  ctx.lineWidth = Math.max(1, 0.02 * v.scale);
  ctx.beginPath(); pathLoop(ctx, v, tr.center); ctx.stroke();
  ctx.restore();
}

function drawStartLine(ctx, v, tr) {
  const a = tr.left[0], b = tr.right[0];
  const squares = 8;
  let hx = tr.center[1][0] - tr.center[0][0], hy = tr.center[1][1] - tr.center[0][1];
  const hl = Math.hypot(hx, hy) || 1;
  const th = Math.max(0.08, 5 / v.scale);
  hx = hx / hl * th; hy = hy / hl * th;
  for (let k = 0; k < squares; k++) {
    const p0 = [a[0] + (b[0] - a[0]) * k / squares, a[1] + (b[1] - a[1]) * k / squares];
    const p1 = [a[0] + (b[0] - a[0]) * (k + 1) / squares, a[1] + (b[1] - a[1]) * (k + 1) / squares];
    ctx.fillStyle = k % 2 ? "#111" : "#f4f5f7";
    ctx.beginPath();
    ctx.moveTo(v.px(p0[0] - hx / 2), v.py(p0[1] - hy / 2));
    ctx.lineTo(v.px(p1[0] - hx / 2), v.py(p1[1] - hy / 2));
    ctx.lineTo(v.px(p1[0] + hx / 2), v.py(p1[1] + hy / 2));
    ctx.lineTo(v.px(p0[0] + hx / 2), v.py(p0[1] + hy / 2));
    ctx.closePath();
    ctx.fill();
  }
}

// The ghost's line, thin and violet, under ours.
function drawGhostLine(ctx, v, g) {
  ctx.strokeStyle = "rgba(199,162,255,0.55)";
  ctx.lineWidth = Math.max(1, 0.02 * v.scale);
  ctx.beginPath();
  let started = false;
  for (let i = 0; i < g.n; i++) {
    if (!lapVisible(g.lap[i])) { started = false; continue; }
    const gx = v.px(g.x[i]), gy = v.py(g.y[i]);
    if (!started || !g.on[i - 1]) { ctx.moveTo(gx, gy); started = true; } else ctx.lineTo(gx, gy);
  }
  ctx.stroke();
}

function drawRacingLine(ctx, v, r) {
  ctx.lineWidth = Math.max(2, 0.045 * v.scale);
  for (let i = 1; i < r.n; i++) {
    if (!r.on[i - 1] || !lapVisible(r.lap[i])) continue;
    ctx.strokeStyle = speedCss(r.v[i]);
    ctx.beginPath();
    ctx.moveTo(v.px(r.x[i - 1]), v.py(r.y[i - 1]));
    ctx.lineTo(v.px(r.x[i]), v.py(r.y[i]));
    ctx.stroke();
  }
}

function drawResets(ctx, v, r) {
  r.resets.forEach((e) => {
    if (!lapVisible(e.lap)) return;
    const cx = v.px(e.x), cy = v.py(e.y), s = Math.max(5, 0.09 * v.scale);
    ctx.fillStyle = "rgba(255,59,48,0.22)";
    ctx.beginPath(); ctx.arc(cx, cy, s * 1.6, 0, 2 * Math.PI); ctx.fill();
    ctx.strokeStyle = OFF_TRACK;
    ctx.lineWidth = Math.max(2, s * 0.35);
    ctx.beginPath(); ctx.moveTo(cx - s, cy - s); ctx.lineTo(cx + s, cy + s);
    ctx.moveTo(cx - s, cy + s); ctx.lineTo(cx + s, cy - s); ctx.stroke();
  });
}

// A rectangle of `size` [length, width] metres at a pose, to scale.
function drawRect(ctx, v, pose, size, fill) {
  const len = size[0] * v.scale, wid = size[1] * v.scale;
  ctx.save();
  ctx.translate(v.px(pose.x), v.py(pose.y));
  ctx.rotate(-pose.h);
  ctx.fillStyle = fill;
  ctx.fillRect(-len / 2, -wid / 2, len, wid);
  ctx.strokeStyle = "rgba(0,0,0,0.55)";
  ctx.lineWidth = Math.max(1, 0.015 * v.scale);
  ctx.strokeRect(-len / 2, -wid / 2, len, wid);
  ctx.restore();
}

function drawBoxes(ctx, v, o) {
  o.boxes.forEach((b) => drawRect(ctx, v, b, o.boxSize, o.boxColour));
}

// Where the car touched a box or a bot: a yellow diamond.
function drawCollisions(ctx, v, r) {
  r.collisions.forEach((e) => {
    if (!lapVisible(e.lap)) return;
    const cx = v.px(e.x), cy = v.py(e.y), s = Math.max(5, 0.08 * v.scale);
    ctx.fillStyle = "rgba(255,214,10,0.25)";
    ctx.beginPath(); ctx.arc(cx, cy, s * 1.6, 0, 2 * Math.PI); ctx.fill();
    ctx.fillStyle = COLLISION;
    ctx.strokeStyle = "#0b0c0f";
    ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.moveTo(cx, cy - s); ctx.lineTo(cx + s, cy); ctx.lineTo(cx, cy + s); ctx.lineTo(cx - s, cy);
    ctx.closePath(); ctx.fill(); ctx.stroke();
  });
}

function drawStatic() {
  const v = state.view = trackView(els.track);
  const layer = state.staticLayer || (state.staticLayer = document.createElement("canvas"));
  layer.width = els.track.width;
  layer.height = els.track.height;
  const ctx = layer.getContext("2d");
  ctx.setTransform(v.dpr, 0, 0, v.dpr, 0, 0);
  ctx.clearRect(0, 0, v.w, v.h);
  drawTrackSurface(ctx, v, state.track);
  drawStartLine(ctx, v, state.track);
  const obstacles = state.run.obstacles;
  if (obstacles) drawBoxes(ctx, v, obstacles);
  ctx.lineCap = "round";
  if (state.ghost) drawGhostLine(ctx, v, state.ghost);
  drawRacingLine(ctx, v, state.run);
  drawResets(ctx, v, state.run);
  drawCollisions(ctx, v, state.run);
  state.dirty = false;
}

function drawCar(ctx, v, pose, fill, alpha, size = [0.28, 0.2]) {
  const len = Math.max(size[0] * v.scale, 14), wid = Math.max(size[1] * v.scale, 10);
  ctx.save();
  ctx.globalAlpha = alpha;
  ctx.translate(v.px(pose.x), v.py(pose.y));
  ctx.rotate(-pose.h);
  ctx.fillStyle = "rgba(0,0,0,0.45)";
  ctx.beginPath(); ctx.ellipse(2, 2, len * 0.62, wid * 0.6, 0, 0, 2 * Math.PI); ctx.fill();
  ctx.fillStyle = fill;
  ctx.strokeStyle = "#0b0c0f";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.moveTo(len * 0.6, 0);
  ctx.lineTo(len * 0.2, wid * 0.5);
  ctx.lineTo(-len * 0.5, wid * 0.5);
  ctx.lineTo(-len * 0.5, -wid * 0.5);
  ctx.lineTo(len * 0.2, -wid * 0.5);
  ctx.closePath();
  ctx.fill(); ctx.stroke();
  ctx.fillStyle = "rgba(255,255,255,0.85)";
  ctx.fillRect(-len * 0.15, -wid * 0.12, len * 0.55, wid * 0.24);
  ctx.restore();
}

/** Draws the map with the cars at the current position; returns our car's pose. */
export function drawTrack() {
  if (state.dirty || !state.view) drawStatic();
  const v = state.view;
  const ctx = els.track.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(state.staticLayer, 0, 0);
  ctx.setTransform(v.dpr, 0, 0, v.dpr, 0, 0);
  const pose = poseAt(state.run, state.pos);
  const obstacles = state.run.obstacles;
  if (obstacles) {
    // The bots where they were at this step (their paths have one pose per trajectory row).
    const drawn = [];
    obstacles.bots.forEach((bot) => {
      const p = botPoseAt(bot, state.pos);
      if (p) { drawCar(ctx, v, p, obstacles.botColour, 1, obstacles.botSize); drawn.push(p); }
    });
    els.stage.dataset.boxes = String(obstacles.boxes.length);
    els.stage.dataset.bots = String(drawn.length);
    els.stage.dataset.botPoses = drawn.map((p) => `${p.x.toFixed(3)},${p.y.toFixed(3)}`).join(" ");
  }
  if (state.ghost) {
    const ghostPose = poseAtTime(state.ghost, pose.t);
    if (ghostPose) drawCar(ctx, v, ghostPose, GHOST_CAR, 0.6);
  }
  drawCar(ctx, v, pose, OUR_CAR, 1);
  els.stage.dataset.step = String(pose.i);
  els.stage.dataset.carX = pose.x.toFixed(3);
  els.stage.dataset.carY = pose.y.toFixed(3);
  return pose;
}
