/* A race night's stream (ws/live/<race>/, docs/live.md) as state the pages draw from:
 * the queue, the board, the run under way with its frames, lap times and gap. Shared by
 * the watch page, the broadcast overlay, the kiosk board and the control desk.
 *
 * The car moves smoothly: frames come 15 a second and the page draws at its own rate,
 * between the last two frames, one frame behind (so it never guesses ahead). */

import { LiveSocket } from "../live/socket.js";

const FRAME_MS = 1000 / 15;

export function readConfig(id = "night-config") {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

/** A run_finished whose run was stopped by the facilitator or the platform: no result, no failure. */
export function stopped(m) {
  return !m.result && m.status !== "failed";
}

export class Night {
  constructor(config, onChange) {
    this.config = config;
    this.onChange = onChange || (() => {});
    this.queue = null;
    this.board = null;
    this.run = null; // {run, racer, frames: [prev, last], lastAt, laps: [], offTracks, countdown}
    this.countdown = null;
    this.finished = null; // the last run_finished
    this.flashes = []; // {kind, at}
    this.socket = new LiveSocket(config.socket, (m) => this.apply(m));
  }

  apply(m) {
    switch (m.type) {
      case "snapshot":
        this.queue = m.queue;
        this.board = m.board;
        this.run = m.run ? this.newRun(m.run.run, m.run.racer) : null;
        if (this.run && m.run.frame) this.frame(m.run.frame);
        break;
      case "queue":
        this.queue = m;
        break;
      case "board":
        this.board = m;
        break;
      case "run_countdown":
        this.countdown = { racer: m.racer, seconds: m.seconds };
        if (this.run && this.run.done) this.run = null; // the last run's car leaves the track
        break;
      case "run_started":
        this.countdown = null;
        this.run = this.newRun(m.run, m.racer);
        break;
      case "frame":
        if (!this.run || this.run.run !== m.run) this.run = this.newRun(m.run, this.run ? this.run.racer : "");
        this.frame(m);
        return; // drawn by the animation loop, not the change handler
      case "lap":
        if (this.run) this.run.laps.push(m.lap_time_s);
        break;
      case "off_track":
      case "wrong_way":
      case "collision":
        if (this.run) this.run.offTracks += 1;
        this.flashes.push({ kind: m.type, at: performance.now() });
        break;
      case "run_finished":
        this.finished = m;
        if (this.run && this.run.run === m.run) this.run.done = true;
        // A stopped run (skipped, the night ended) left nothing: its car and clock go at once.
        if (stopped(m) && this.run && this.run.run === m.run) this.run = null;
        break;
      default:
        return;
    }
    this.onChange(m.type, m);
  }

  newRun(id, racer) {
    return { run: id, racer, frames: [], lastAt: 0, laps: [], offTracks: 0, done: false };
  }

  frame(f) {
    const run = this.run;
    run.frames = [run.frames[run.frames.length - 1] || f, f];
    run.lastAt = performance.now();
  }

  /** The car's pose now, interpolated between the last two frames. */
  pose(now = performance.now()) {
    const run = this.run;
    if (!run || !run.frames.length) return null;
    const [a, b] = run.frames;
    const t = Math.min(1, Math.max(0, (now - run.lastAt) / FRAME_MS));
    let dh = b.heading - a.heading;
    if (dh > Math.PI) dh -= 2 * Math.PI;
    if (dh < -Math.PI) dh += 2 * Math.PI;
    return { ...b, x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t, heading: a.heading + dh * t,
             clock: a.clock + (b.clock - a.clock) * t };
  }

  latest() {
    const run = this.run;
    return run && run.frames.length ? run.frames[1] : null;
  }
}

/** Draws the track (edges and centre line) and the car on a canvas, to scale. */
export class TrackView {
  constructor(canvas, track) {
    this.canvas = canvas;
    this.track = track;
    const all = [...track.inner, ...track.outer];
    this.minX = Math.min(...all.map((p) => p[0]));
    this.maxX = Math.max(...all.map((p) => p[0]));
    this.minY = Math.min(...all.map((p) => p[1]));
    this.maxY = Math.max(...all.map((p) => p[1]));
  }

  fit() {
    const c = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const w = c.clientWidth || 600;
    const h = Math.round(w * Math.min(0.9, (this.maxY - this.minY + 1) / (this.maxX - this.minX + 1)));
    c.style.height = `${h}px`;
    c.width = Math.round(w * ratio);
    c.height = Math.round(h * ratio);
    const pad = 0.5;
    this.scale = Math.min(c.width / (this.maxX - this.minX + 2 * pad), c.height / (this.maxY - this.minY + 2 * pad));
    this.ox = (c.width - (this.maxX - this.minX) * this.scale) / 2 - this.minX * this.scale;
    this.oy = (c.height + (this.maxY - this.minY) * this.scale) / 2 + this.minY * this.scale;
  }

  px(p) {
    return [this.ox + p[0] * this.scale, this.oy - p[1] * this.scale];
  }

  line(ctx, points, colour, width, closed = true) {
    ctx.beginPath();
    points.forEach((p, i) => {
      const [x, y] = this.px(p);
      if (i) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
    });
    if (closed) ctx.closePath();
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.stroke();
  }

  draw(pose, offTrack = false) {
    const ctx = this.canvas.getContext("2d");
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const ratio = window.devicePixelRatio || 1;
    this.line(ctx, this.track.outer, "#c9ced6", 2 * ratio);
    this.line(ctx, this.track.inner, "#c9ced6", 2 * ratio);
    ctx.setLineDash([6 * ratio, 8 * ratio]);
    this.line(ctx, this.track.center, "rgba(255,255,255,0.35)", 1 * ratio);
    ctx.setLineDash([]);
    // The start line: across the track at the first waypoint (it stays there in a reversed race).
    this.line(ctx, [this.track.inner[0], this.track.outer[0]], "#ffffff", 4 * ratio, false);
    if (!pose) return;
    const [x, y] = this.px([pose.x, pose.y]);
    const size = Math.max(6 * ratio, 0.3 * this.scale);
    ctx.save();
    ctx.translate(x, y);
    ctx.rotate(-pose.heading);
    ctx.fillStyle = offTrack ? "#ff4d4d" : "#ff7a1a";
    ctx.beginPath();
    ctx.moveTo(size, 0);
    ctx.lineTo(-size * 0.7, size * 0.55);
    ctx.lineTo(-size * 0.7, -size * 0.55);
    ctx.closePath();
    ctx.fill();
    ctx.restore();
  }
}

/** Fill `list` with one <li> per item, made by `make(item)` (text only: no markup). */
export function fillList(list, items, make) {
  list.replaceChildren(...items.map((item) => {
    const li = document.createElement("li");
    make(li, item);
    return li;
  }));
}

/** The board's rows as [rank, racer, time, gap] cells in `tbody`. */
export function fillBoard(tbody, board, limit = Infinity) {
  const rows = (board && board.rows ? board.rows : []).slice(0, limit);
  tbody.replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    if (String(r.rank) === "1") tr.className = "is-leader";
    for (const [cls, text] of [["c-rank", r.rank], ["c-racer", r.racer], ["c-time", r.time], ["c-gap", r.gap]]) {
      const td = document.createElement("td");
      td.className = cls;
      td.textContent = text;
      // Labelled like the race page's board: on a phone the gap goes under the name.
      if (cls === "c-gap") td.dataset.label = "Gap";
      tr.append(td);
    }
    return tr;
  }));
}
