/* A run's replay, unpacked for drawing: the simulator's replay file (GET
 * /api/results/{id}/replay/: `columns`, `trajectory` rows at 15 a second, `events`,
 * `result`, `track`, and `obstacles` in object avoidance and head-to-bot runs) as typed
 * arrays, with resets, collisions, lap crossings and sectors; and where a run (or a bot)
 * is at a step or at a race time. Pure functions, no page. */

export const FPS = 15; // trajectory steps a second, as the videos

const DEFAULT_COLUMNS = ["time_s", "x_m", "y_m", "heading_rad", "speed_m_s", "steering_deg", "progress", "lap",
  "action", "on_track"];

// Resets: the row that left the track; the event says which kind and the penalty.
function findResets(r, events) {
  const kinds = {};
  const penalties = {};
  events.forEach((e) => {
    const s = e.step;
    let row = -1;
    if (s >= 0 && s < r.n && !r.on[s]) row = s;
    else if (s - 1 >= 0 && s - 1 < r.n && !r.on[s - 1]) row = s - 1;
    if (row < 0) return;
    if (e.type === "off_track" || e.type === "wrong_way") kinds[row] = e.type;
    if (e.type === "reset") penalties[row] = e.penalty_s;
  });
  for (let k = 0; k < r.n; k++) {
    if (r.on[k]) continue;
    const rec = { i: k, kind: kinds[k] || "off_track", penalty: penalties[k] || 0, x: r.x[k], y: r.y[k], lap: r.lap[k],
      s: r.prog[k] * r.L };
    r.resets.push(rec);
    r.resetAt[k] = rec;
  }
}

// Collisions: the row where the car touched a box or a bot (the `collision` event's step).
function findCollisions(r, events) {
  events.forEach((e) => {
    if (e.type !== "collision" || !(e.step >= 0 && e.step < r.n)) return;
    r.collisions.push({ i: e.step, kind: e.obstacle_kind === "bot" ? "bot" : "box", penalty: e.penalty_s || 0,
      x: e.x_m, y: e.y_m, lap: r.lap[e.step] });
  });
}

/** The boxes and bots of a replay's `obstacles` (null in a time trial): each box's pose,
 * each bot's path as [x, y, heading] per trajectory row, their sizes and colours. */
function unpackObstacles(o) {
  if (!o) return null;
  const size = (s, dflt) => (Array.isArray(s) && s.length === 2 ? s : dflt);
  const rgb = (c, dflt) => `rgb(${(Array.isArray(c) && c.length === 3 ? c : dflt).join(",")})`;
  return {
    boxSize: size(o.box_size_m, [0.4, 0.4]), botSize: size(o.bot_size_m, [0.3, 0.2]),
    boxColour: rgb(o.box_rgb, [214, 170, 110]), botColour: rgb(o.bot_rgb, [64, 120, 255]),
    boxes: (o.boxes || []).map((b) => ({ x: b.x_m, y: b.y_m, h: b.heading_rad, lane: b.lane })),
    bots: (o.bots || []).map((b) => {
      const path = b.path || [];
      const xyh = new Float64Array(path.length * 3);
      path.forEach((p, k) => { xyh[3 * k] = p[0]; xyh[3 * k + 1] = p[1]; xyh[3 * k + 2] = p[2]; });
      return { n: path.length, xyh };
    }),
  };
}

/** A bot's pose at fractional step p (bots move with the steps; a penalty stops no bot). */
export function botPoseAt(bot, p) {
  if (!bot.n) return null;
  const i = Math.max(0, Math.min(bot.n - 1, Math.floor(p)));
  const j = Math.min(bot.n - 1, i + 1);
  const a = j === i ? 0 : Math.min(Math.max(p - i, 0), 1);
  const q = bot.xyh;
  let dh = q[3 * j + 2] - q[3 * i + 2];
  if (dh > Math.PI) dh -= 2 * Math.PI;
  if (dh < -Math.PI) dh += 2 * Math.PI;
  return { x: q[3 * i] + (q[3 * j] - q[3 * i]) * a, y: q[3 * i + 1] + (q[3 * j + 1] - q[3 * i + 1]) * a,
    h: q[3 * i + 2] + dh * a };
}

export function unpack(data) {
  const cols = data.columns || DEFAULT_COLUMNS;
  const ix = (name, dflt) => (cols.indexOf(name) < 0 ? dflt : cols.indexOf(name));
  const iT = ix("time_s", 0), iX = ix("x_m", 1), iY = ix("y_m", 2), iH = ix("heading_rad", 3), iV = ix("speed_m_s", 4),
    iS = ix("steering_deg", 5), iP = ix("progress", 6), iL = ix("lap", 7), iO = ix("on_track", 9);
  const rows = data.trajectory || [];
  const n = rows.length;
  const result = data.result || {};
  const L = (data.track && data.track.length_m) || result.track_length_m || 1;
  const r = {
    n, t: new Float64Array(n), x: new Float64Array(n), y: new Float64Array(n), h: new Float64Array(n),
    v: new Float64Array(n), steer: new Float64Array(n), prog: new Float64Array(n), lap: new Int32Array(n),
    on: new Uint8Array(n), dist: new Float64Array(n), L, result,
    lapTimes: (result.lap_times_s || []).slice(),
    lapsRequired: result.laps_required || (data.meta && data.meta.race && data.meta.race.laps) || 1,
    resets: [], resetAt: {}, lapStart: [0], meta: data.meta || {},
    collisions: [], obstacles: unpackObstacles(data.obstacles),
  };
  let best = 0;
  const lastLap = Math.max(r.lapsRequired - 1, 0);
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    r.t[i] = row[iT]; r.x[i] = row[iX]; r.y[i] = row[iY]; r.h[i] = row[iH]; r.v[i] = row[iV];
    r.steer[i] = row[iS]; r.prog[i] = row[iP]; r.lap[i] = row[iL]; r.on[i] = row[iO] >= 0.5 ? 1 : 0;
    best = Math.max(best, (row[iL] + row[iP]) * L);
    r.dist[i] = best; // monotone: the furthest point reached, for gaps and sectors
    if (r.lap[i] > lastLap) { r.lap[i] = lastLap; r.prog[i] = 1; } // the finishing step ends the last lap
    if (i > 0 && r.lap[i] > r.lap[i - 1]) r.lapStart.push(i);
  }
  findResets(r, data.events || []);
  findCollisions(r, data.events || []);
  // Every penalty in step order, for the "+5 s" card: off tracks, wrong ways, collisions.
  r.penalties = r.resets.concat(r.collisions).sort((a, b) => a.i - b.i);
  // Crossing times from the official lap times (interpolated inside the step).
  r.crossings = [0];
  r.lapTimes.forEach((lapTime, j) => r.crossings.push(r.crossings[j] + lapTime));
  r.sectors = sectors(r);
  return r;
}

/** Time at a race distance (metres from the start), from the monotone distance curve. */
export function timeAtDistance(r, d) {
  const n = r.n;
  if (n === 0 || d > r.dist[n - 1]) return null;
  if (d <= 0) return 0;
  if (d <= r.dist[0]) return r.t[0] * d / Math.max(r.dist[0], 1e-9);
  let lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (r.dist[mid] < d) lo = mid; else hi = mid;
  }
  const d0 = r.dist[lo], d1 = r.dist[hi];
  let t0 = r.t[lo];
  const t1 = r.t[hi];
  if (t1 - t0 > 1.5 / FPS) t0 = t1 - 1 / FPS; // across a penalty: the penalty lies before the step
  const a = d1 > d0 ? (d - d0) / (d1 - d0) : 1;
  return t0 + (t1 - t0) * a;
}

/** Each lap's three sector times (thirds of the lap), null where not reached. */
function sectors(r) {
  return r.lapTimes.map((_, k) => {
    const times = [];
    let prev = r.crossings[k];
    for (let s = 1; s <= 3; s++) {
      const t = s === 3 ? r.crossings[k + 1] : timeAtDistance(r, (k + s / 3) * r.L);
      times.push(t === null ? null : t - prev);
      prev = t;
    }
    return times;
  });
}

/** Gap (seconds) of the run to the ghost at the distance the run has reached at step i:
 * positive = behind; null without a ghost or past its end. */
export function gapAt(run, ghost, i) {
  if (!ghost || !run) return null;
  const tg = timeAtDistance(ghost, run.dist[i]);
  return tg === null ? null : run.t[i] - tg;
}

/** Pose of a run at fractional step p. */
export function poseAt(r, p) {
  const i = Math.max(0, Math.min(r.n - 1, Math.floor(p)));
  const j = Math.min(r.n - 1, i + 1);
  let a = p - i;
  if (j === i || !r.on[i] || r.t[j] - r.t[i] > 1.5 / FPS) a = 0; // no sliding across a reset
  let dh = r.h[j] - r.h[i];
  if (dh > Math.PI) dh -= 2 * Math.PI;
  if (dh < -Math.PI) dh += 2 * Math.PI;
  return {
    i, x: r.x[i] + (r.x[j] - r.x[i]) * a, y: r.y[i] + (r.y[j] - r.y[i]) * a, h: r.h[i] + dh * a,
    v: r.v[i] + (r.v[j] - r.v[i]) * a, t: r.t[i] + (a > 0 ? (r.t[j] - r.t[i]) * a : 0),
  };
}

/** Pose of a run at race clock time t (the ghost moves by the clock). */
export function poseAtTime(r, t) {
  if (r.n === 0) return null;
  if (t <= r.t[0]) return poseAt(r, 0);
  if (t >= r.t[r.n - 1]) return poseAt(r, r.n - 1);
  let lo = 0, hi = r.n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (r.t[mid] <= t) lo = mid; else hi = mid;
  }
  if (r.t[hi] - r.t[lo] > 1.5 / FPS) return poseAt(r, hi); // serving a penalty: waits where it restarts
  return poseAt(r, lo + (t - r.t[lo]) / (r.t[hi] - r.t[lo]));
}
