/* The interactive replay of a run: the track to scale, the car on its recorded path, play /
   pause / scrub / speed, the racing line coloured by speed, off-track markers, lap and
   sector splits, a speed trace per lap and a ghost of another run with the time gap at each
   point. Vanilla JS and canvas, no dependencies.

   Data: GET /api/results/{id}/replay/ (the simulator's replay file: columns, trajectory
   rows at 15 per second, events, result, and the track's borders in `track`).

   Timeline: one step of the trajectory per 1/15 s, like the video. The race clock shown is
   the official one: it jumps by the penalty at an off-track reset while a card says so. */
(function () {
  "use strict";

  var FPS = 15;
  var V_MAX = 4.0;
  var LAP_COLOURS = ["#3fd0ff", "#ff7a1a", "#c7a2ff", "#3ddc84", "#ffcc4d", "#ff6b6b", "#7ee0c9", "#f49ac1"];
  var STOPS = [[0.0, [64, 120, 255]], [0.35, [52, 199, 89]], [0.7, [255, 204, 0]], [1.0, [255, 59, 48]]];

  var cfgEl = document.getElementById("replay-config");
  if (!cfgEl) return;
  var cfg = JSON.parse(cfgEl.textContent);

  var $ = function (id) { return document.getElementById(id); };
  var els = {
    stage: $("rp-stage"), track: $("rp-track"), speed: $("rp-speed"), gap: $("rp-gap"),
    gapWrap: $("rp-gap-wrap"), play: $("rp-play"), back: $("rp-back"), forward: $("rp-forward"),
    scrub: $("rp-scrub"), marks: $("rp-marks"), time: $("rp-time"), rate: $("rp-rate"),
    lapsShown: $("rp-laps-shown"), ghost: $("rp-ghost"), ghostNote: $("rp-ghost-note"),
    splits: $("rp-splits"), loading: $("rp-loading"), penalty: $("rp-penalty"),
    hudLap: $("rp-hud-lap"), hudClock: $("rp-hud-clock"), hudSpeed: $("rp-hud-speed"),
    hudGap: $("rp-hud-gap"), hudGapBox: $("rp-hud-gap-box"), traceLegend: $("rp-trace-legend"),
    videoSlot: $("rp-video-slot"), videoDownload: $("rp-video-download")
  };

  var state = {
    run: null, ghost: null, track: null, pos: 0, playing: false, rate: 1, lapsShown: "all",
    lastTs: null, view: null, staticLayer: null, dirty: true, ghostId: null
  };

  // --- Formatting -------------------------------------------------------------------------

  function fmtTime(s) {
    if (s === null || s === undefined || !isFinite(s)) return "–";
    var sign = s < 0 ? "-" : "";
    var ms = Math.round(Math.abs(s) * 1000);
    var m = Math.floor(ms / 60000);
    var rest = ms - m * 60000;
    var sec = Math.floor(rest / 1000);
    var frac = String(rest % 1000).padStart(3, "0");
    if (m > 0) return sign + m + ":" + String(sec).padStart(2, "0") + "." + frac;
    return sign + sec + "." + frac;
  }
  function fmtClock(s) {
    if (s === null || s === undefined || !isFinite(s)) return "–";
    var ms = Math.round(Math.max(0, s) * 1000);
    var m = Math.floor(ms / 60000);
    var rest = ms - m * 60000;
    return m + ":" + String(Math.floor(rest / 1000)).padStart(2, "0") + "." + String(rest % 1000).padStart(3, "0");
  }
  function fmtGap(s) {
    if (s === null || s === undefined || !isFinite(s)) return "–";
    return (s >= 0 ? "+" : "−") + Math.abs(s).toFixed(2) + " s";
  }
  function speedRgb(v) {
    var f = Math.min(Math.max(v / V_MAX, 0), 1);
    for (var k = 1; k < STOPS.length; k++) {
      if (f <= STOPS[k][0]) {
        var a = (f - STOPS[k - 1][0]) / (STOPS[k][0] - STOPS[k - 1][0]);
        var c0 = STOPS[k - 1][1], c1 = STOPS[k][1];
        return "rgb(" + Math.round(c0[0] + (c1[0] - c0[0]) * a) + "," + Math.round(c0[1] + (c1[1] - c0[1]) * a) +
          "," + Math.round(c0[2] + (c1[2] - c0[2]) * a) + ")";
      }
    }
    return "rgb(255,59,48)";
  }

  // --- Replay data --------------------------------------------------------------------------

  function unpack(data) {
    var cols = data.columns || ["time_s", "x_m", "y_m", "heading_rad", "speed_m_s", "steering_deg", "progress", "lap", "action", "on_track"];
    var ix = function (name, dflt) { var i = cols.indexOf(name); return i < 0 ? dflt : i; };
    var iT = ix("time_s", 0), iX = ix("x_m", 1), iY = ix("y_m", 2), iH = ix("heading_rad", 3), iV = ix("speed_m_s", 4),
      iS = ix("steering_deg", 5), iP = ix("progress", 6), iL = ix("lap", 7), iO = ix("on_track", 9);
    var rows = data.trajectory || [];
    var n = rows.length;
    var result = data.result || {};
    var L = (data.track && data.track.length_m) || result.track_length_m || 1;
    var r = {
      n: n, t: new Float64Array(n), x: new Float64Array(n), y: new Float64Array(n), h: new Float64Array(n),
      v: new Float64Array(n), steer: new Float64Array(n), prog: new Float64Array(n), lap: new Int32Array(n),
      on: new Uint8Array(n), dist: new Float64Array(n), L: L, result: result,
      lapTimes: (result.lap_times_s || []).slice(), lapsRequired: result.laps_required || (data.meta && data.meta.race && data.meta.race.laps) || 1,
      resets: [], resetAt: {}, lapStart: [0], meta: data.meta || {}
    };
    var best = 0;
    var lastLap = Math.max(r.lapsRequired - 1, 0);
    for (var i = 0; i < n; i++) {
      var row = rows[i];
      r.t[i] = row[iT]; r.x[i] = row[iX]; r.y[i] = row[iY]; r.h[i] = row[iH]; r.v[i] = row[iV];
      r.steer[i] = row[iS]; r.prog[i] = row[iP]; r.lap[i] = row[iL]; r.on[i] = row[iO] >= 0.5 ? 1 : 0;
      var d = (row[iL] + row[iP]) * L;
      best = Math.max(best, d);
      r.dist[i] = best; // monotone: the furthest point reached, for gaps and sectors
      if (r.lap[i] > lastLap) { r.lap[i] = lastLap; r.prog[i] = 1; } // the finishing step ends the last lap
      if (i > 0 && r.lap[i] > r.lap[i - 1]) r.lapStart.push(i);
    }
    // Resets: the row that left the track; the event says which kind and the penalty.
    var kinds = {}, penalties = {};
    (data.events || []).forEach(function (e) {
      var s = e.step;
      var row = (s >= 0 && s < n && !r.on[s]) ? s : (s - 1 >= 0 && s - 1 < n && !r.on[s - 1] ? s - 1 : -1);
      if (row < 0) return;
      if (e.type === "off_track" || e.type === "wrong_way") kinds[row] = e.type;
      if (e.type === "reset") penalties[row] = e.penalty_s;
    });
    for (var k = 0; k < n; k++) {
      if (!r.on[k]) {
        var rec = { i: k, kind: kinds[k] || "off_track", penalty: penalties[k] || 0, x: r.x[k], y: r.y[k], lap: r.lap[k], s: r.prog[k] * L };
        r.resets.push(rec);
        r.resetAt[k] = rec;
      }
    }
    // Crossing times from the official lap times (interpolated inside the step).
    r.crossings = [0];
    for (var j = 0; j < r.lapTimes.length; j++) r.crossings.push(r.crossings[j] + r.lapTimes[j]);
    r.sectors = sectors(r);
    return r;
  }

  // Time at a race distance (metres from the start), from the monotone distance curve.
  function timeAtDistance(r, d) {
    var n = r.n;
    if (n === 0 || d > r.dist[n - 1]) return null;
    if (d <= 0) return 0;
    var lo = 0, hi = n - 1;
    if (d <= r.dist[0]) return r.t[0] * d / Math.max(r.dist[0], 1e-9);
    while (hi - lo > 1) {
      var mid = (lo + hi) >> 1;
      if (r.dist[mid] < d) lo = mid; else hi = mid;
    }
    var d0 = r.dist[lo], d1 = r.dist[hi];
    var t0 = r.t[lo], t1 = r.t[hi];
    if (t1 - t0 > 1.5 / FPS) t0 = t1 - 1 / FPS; // across a penalty: the penalty lies before the step
    var a = d1 > d0 ? (d - d0) / (d1 - d0) : 1;
    return t0 + (t1 - t0) * a;
  }

  function sectors(r) {
    var out = [];
    var laps = r.lapTimes.length;
    for (var k = 0; k < laps; k++) {
      var times = [];
      var prev = r.crossings[k];
      for (var s = 1; s <= 3; s++) {
        var t = s === 3 ? r.crossings[k + 1] : timeAtDistance(r, (k + s / 3) * r.L);
        times.push(t === null ? null : t - prev);
        prev = t;
      }
      out.push(times);
    }
    return out;
  }

  // Gap (seconds) of the run to the ghost at the distance the run has reached at step i:
  // positive = behind.
  function gapAt(i) {
    if (!state.ghost || !state.run) return null;
    var tg = timeAtDistance(state.ghost, state.run.dist[i]);
    if (tg === null) return null;
    return state.run.t[i] - tg;
  }

  // Pose of a run at fractional step p.
  function poseAt(r, p) {
    var i = Math.max(0, Math.min(r.n - 1, Math.floor(p)));
    var j = Math.min(r.n - 1, i + 1);
    var a = p - i;
    if (j === i || !r.on[i] || r.t[j] - r.t[i] > 1.5 / FPS) a = 0; // no sliding across a reset
    var dh = r.h[j] - r.h[i];
    if (dh > Math.PI) dh -= 2 * Math.PI;
    if (dh < -Math.PI) dh += 2 * Math.PI;
    return {
      i: i, x: r.x[i] + (r.x[j] - r.x[i]) * a, y: r.y[i] + (r.y[j] - r.y[i]) * a, h: r.h[i] + dh * a,
      v: r.v[i] + (r.v[j] - r.v[i]) * a, t: r.t[i] + (a > 0 ? (r.t[j] - r.t[i]) * a : 0)
    };
  }

  // Pose of a run at race clock time t (the ghost moves by the clock).
  function poseAtTime(r, t) {
    if (r.n === 0) return null;
    if (t <= r.t[0]) return poseAt(r, 0);
    if (t >= r.t[r.n - 1]) return poseAt(r, r.n - 1);
    var lo = 0, hi = r.n - 1;
    while (hi - lo > 1) {
      var mid = (lo + hi) >> 1;
      if (r.t[mid] <= t) lo = mid; else hi = mid;
    }
    if (r.t[hi] - r.t[lo] > 1.5 / FPS) return poseAt(r, hi); // serving a penalty: waits where it restarts
    return poseAt(r, lo + (t - r.t[lo]) / (r.t[hi] - r.t[lo]));
  }

  // --- Canvas helpers -------------------------------------------------------------------------

  function fitCanvas(canvas, heightFor) {
    var dpr = window.devicePixelRatio || 1;
    var w = canvas.clientWidth || canvas.parentNode.clientWidth || 300;
    var h = heightFor(w);
    canvas.style.height = h + "px";
    var W = Math.round(w * dpr), H = Math.round(h * dpr);
    if (canvas.width !== W || canvas.height !== H) {
      canvas.width = W;
      canvas.height = H;
    }
    return { w: w, h: h, dpr: dpr };
  }

  function trackView(canvas) {
    var tr = state.track;
    var b = tr.bounds;
    var bw = Math.max(b[2] - b[0], 1e-6), bh = Math.max(b[3] - b[1], 1e-6);
    var size = fitCanvas(canvas, function (w) {
      var maxH = Math.max(260, window.innerHeight * 0.62);
      return Math.round(Math.min(Math.max(w * bh / bw + 32, 220), maxH));
    });
    var pad = 18;
    var scale = Math.min((size.w - 2 * pad) / bw, (size.h - 2 * pad) / bh);
    var ox = (size.w - bw * scale) / 2 - b[0] * scale;
    var oy = (size.h + bh * scale) / 2 + b[1] * scale;
    return { w: size.w, h: size.h, dpr: size.dpr, scale: scale, ox: ox, oy: oy,
      px: function (x) { return x * scale + ox; }, py: function (y) { return oy - y * scale; },
      wx: function (px) { return (px - ox) / scale; }, wy: function (py) { return (oy - py) / scale; } };
  }

  function pathLoop(ctx, v, pts) {
    ctx.moveTo(v.px(pts[0][0]), v.py(pts[0][1]));
    for (var i = 1; i < pts.length; i++) ctx.lineTo(v.px(pts[i][0]), v.py(pts[i][1]));
    ctx.closePath();
  }

  function lapVisible(lap) {
    return state.lapsShown === "all" || Number(state.lapsShown) === lap;
  }

  function drawStatic() {
    var v = state.view = trackView(els.track);
    var layer = state.staticLayer || (state.staticLayer = document.createElement("canvas"));
    layer.width = els.track.width;
    layer.height = els.track.height;
    var ctx = layer.getContext("2d");
    ctx.setTransform(v.dpr, 0, 0, v.dpr, 0, 0);
    ctx.clearRect(0, 0, v.w, v.h);
    var tr = state.track;
    // Grass, tarmac (outer loop filled, inner loop cut out), white edges.
    ctx.fillStyle = "#14261b";
    ctx.fillRect(0, 0, v.w, v.h);
    ctx.beginPath();
    pathLoop(ctx, v, tr.left);
    pathLoop(ctx, v, tr.right);
    ctx.fillStyle = "#30353e";
    ctx.fill("evenodd");
    ctx.lineJoin = "round";
    ctx.strokeStyle = "rgba(240,240,240,0.9)";
    ctx.lineWidth = Math.max(1, 0.04 * v.scale);
    ctx.beginPath(); pathLoop(ctx, v, tr.left); ctx.stroke();
    ctx.beginPath(); pathLoop(ctx, v, tr.right); ctx.stroke();
    // Dashed centre line.
    ctx.save();
    ctx.setLineDash([Math.max(2, 0.15 * v.scale), Math.max(2, 0.15 * v.scale)]);
    ctx.strokeStyle = "rgba(255,204,77,0.35)";
    ctx.lineWidth = Math.max(1, 0.02 * v.scale);
    ctx.beginPath(); pathLoop(ctx, v, tr.center); ctx.stroke();
    ctx.restore();
    // Chequered start line.
    var a = tr.left[0], bb = tr.right[0];
    var squares = 8;
    var hx = tr.center[1][0] - tr.center[0][0], hy = tr.center[1][1] - tr.center[0][1];
    var hl = Math.hypot(hx, hy) || 1;
    var th = Math.max(0.08, 5 / v.scale);
    hx = hx / hl * th; hy = hy / hl * th;
    for (var k = 0; k < squares; k++) {
      var p0 = [a[0] + (bb[0] - a[0]) * k / squares, a[1] + (bb[1] - a[1]) * k / squares];
      var p1 = [a[0] + (bb[0] - a[0]) * (k + 1) / squares, a[1] + (bb[1] - a[1]) * (k + 1) / squares];
      ctx.fillStyle = k % 2 ? "#111" : "#f4f5f7";
      ctx.beginPath();
      ctx.moveTo(v.px(p0[0] - hx / 2), v.py(p0[1] - hy / 2));
      ctx.lineTo(v.px(p1[0] - hx / 2), v.py(p1[1] - hy / 2));
      ctx.lineTo(v.px(p1[0] + hx / 2), v.py(p1[1] + hy / 2));
      ctx.lineTo(v.px(p0[0] + hx / 2), v.py(p0[1] + hy / 2));
      ctx.closePath();
      ctx.fill();
    }
    // The ghost's line, thin and grey, under ours.
    var g = state.ghost;
    ctx.lineCap = "round";
    if (g) {
      ctx.strokeStyle = "rgba(199,162,255,0.55)";
      ctx.lineWidth = Math.max(1, 0.02 * v.scale);
      ctx.beginPath();
      var started = false;
      for (var gi = 0; gi < g.n; gi++) {
        if (!lapVisible(g.lap[gi])) { started = false; continue; }
        var gx = v.px(g.x[gi]), gy = v.py(g.y[gi]);
        if (!started || !g.on[gi - 1]) { ctx.moveTo(gx, gy); started = true; } else ctx.lineTo(gx, gy);
      }
      ctx.stroke();
    }
    // Our racing line, coloured by speed.
    var r = state.run;
    ctx.lineWidth = Math.max(2, 0.045 * v.scale);
    for (var i = 1; i < r.n; i++) {
      if (!r.on[i - 1] || !lapVisible(r.lap[i])) continue;
      ctx.strokeStyle = speedRgb(r.v[i]);
      ctx.beginPath();
      ctx.moveTo(v.px(r.x[i - 1]), v.py(r.y[i - 1]));
      ctx.lineTo(v.px(r.x[i]), v.py(r.y[i]));
      ctx.stroke();
    }
    // Off-track markers.
    r.resets.forEach(function (e) {
      if (!lapVisible(e.lap)) return;
      var cx = v.px(e.x), cy = v.py(e.y), s = Math.max(5, 0.09 * v.scale);
      ctx.fillStyle = "rgba(255,59,48,0.22)";
      ctx.beginPath(); ctx.arc(cx, cy, s * 1.6, 0, 2 * Math.PI); ctx.fill();
      ctx.strokeStyle = "#ff3b30";
      ctx.lineWidth = Math.max(2, s * 0.35);
      ctx.beginPath(); ctx.moveTo(cx - s, cy - s); ctx.lineTo(cx + s, cy + s);
      ctx.moveTo(cx - s, cy + s); ctx.lineTo(cx + s, cy - s); ctx.stroke();
    });
    state.dirty = false;
  }

  function drawCar(ctx, v, pose, fill, alpha) {
    var len = Math.max(0.28 * v.scale, 14), wid = Math.max(0.2 * v.scale, 10);
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

  function drawTrack() {
    if (!state.run) return;
    if (state.dirty || !state.view) drawStatic();
    var v = state.view;
    var ctx = els.track.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(state.staticLayer, 0, 0);
    ctx.setTransform(v.dpr, 0, 0, v.dpr, 0, 0);
    var pose = poseAt(state.run, state.pos);
    if (state.ghost) {
      var gp = poseAtTime(state.ghost, pose.t);
      if (gp) drawCar(ctx, v, gp, "#c7a2ff", 0.6);
    }
    drawCar(ctx, v, pose, "#ff7a1a", 1);
    els.stage.dataset.step = String(pose.i);
    els.stage.dataset.carX = pose.x.toFixed(3);
    els.stage.dataset.carY = pose.y.toFixed(3);
    return pose;
  }

  // --- Speed trace and gap chart ---------------------------------------------------------------

  var TRACE_PAD = { l: 40, r: 12, t: 12, b: 26 };

  function traceGeom(canvas, height) {
    var size = fitCanvas(canvas, function (w) { return w < 520 ? Math.round(height * 0.8) : height; });
    var pw = size.w - TRACE_PAD.l - TRACE_PAD.r, ph = size.h - TRACE_PAD.t - TRACE_PAD.b;
    return { size: size, pw: pw, ph: ph };
  }

  function drawSpeedTrace(pose) {
    var r = state.run;
    if (!r) return;
    var canvas = els.speed;
    var g = traceGeom(canvas, 230);
    var ctx = canvas.getContext("2d");
    var s = g.size;
    ctx.setTransform(s.dpr, 0, 0, s.dpr, 0, 0);
    ctx.clearRect(0, 0, s.w, s.h);
    var X = function (d) { return TRACE_PAD.l + d / r.L * g.pw; };
    var Y = function (v) { return TRACE_PAD.t + (1 - v / V_MAX) * g.ph; };
    // Grid.
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#9aa4b2";
    ctx.strokeStyle = "rgba(255,255,255,0.07)";
    ctx.lineWidth = 1;
    for (var v = 0; v <= V_MAX; v += 1) {
      ctx.beginPath(); ctx.moveTo(TRACE_PAD.l, Y(v)); ctx.lineTo(TRACE_PAD.l + g.pw, Y(v)); ctx.stroke();
      ctx.fillText(v + " m/s", 2, Y(v) + 4);
    }
    var step = r.L > 40 ? 10 : 5;
    for (var d = 0; d <= r.L + 1e-6; d += step) {
      ctx.beginPath(); ctx.moveTo(X(d), TRACE_PAD.t); ctx.lineTo(X(d), TRACE_PAD.t + g.ph); ctx.stroke();
      var label = d + " m";
      var lw = ctx.measureText(label).width;
      ctx.fillText(label, Math.min(Math.max(X(d) - lw / 2, 0), s.w - lw - 2), s.h - 8);
    }
    var current = pose ? r.lap[pose.i] : 0;
    // One line per lap; the current lap on top and brighter.
    var laps = Math.max.apply(null, [0].concat(Array.prototype.slice.call(r.lap))) + 1;
    var order = [];
    for (var k = 0; k < laps; k++) if (k !== current) order.push(k);
    order.push(current);
    order.forEach(function (lap) {
      if (!lapVisible(lap) && lap !== current) return;
      ctx.strokeStyle = LAP_COLOURS[lap % LAP_COLOURS.length];
      ctx.globalAlpha = lap === current ? 1 : 0.4;
      ctx.lineWidth = lap === current ? 2.2 : 1.4;
      ctx.beginPath();
      var pen = false, prevP = -1;
      for (var i = 0; i < r.n; i++) {
        if (r.lap[i] !== lap) { pen = false; continue; }
        var p = r.prog[i];
        if (!pen || p < prevP - 0.5 || (i > 0 && !r.on[i - 1])) { ctx.moveTo(X(p * r.L), Y(r.v[i])); pen = true; }
        else ctx.lineTo(X(p * r.L), Y(r.v[i]));
        prevP = p;
      }
      ctx.stroke();
    });
    ctx.globalAlpha = 1;
    // The ghost on the same lap, dashed.
    var gh = state.ghost;
    if (gh) {
      ctx.save();
      ctx.setLineDash([5, 4]);
      ctx.strokeStyle = "rgba(230,230,240,0.75)";
      ctx.lineWidth = 1.4;
      ctx.beginPath();
      var pen2 = false, prev2 = -1;
      for (var gi = 0; gi < gh.n; gi++) {
        if (gh.lap[gi] !== current) { pen2 = false; continue; }
        var gp = gh.prog[gi];
        if (!pen2 || gp < prev2 - 0.5 || (gi > 0 && !gh.on[gi - 1])) { ctx.moveTo(X(gp * gh.L), Y(gh.v[gi])); pen2 = true; }
        else ctx.lineTo(X(gp * gh.L), Y(gh.v[gi]));
        prev2 = gp;
      }
      ctx.stroke();
      ctx.restore();
    }
    // Off-track ticks of the current lap.
    r.resets.forEach(function (e) {
      if (e.lap !== current) return;
      ctx.fillStyle = "#ff3b30";
      ctx.fillRect(X(e.s) - 1.5, TRACE_PAD.t, 3, g.ph);
    });
    // Cursor.
    if (pose) {
      var cx = X(r.prog[pose.i] * r.L);
      ctx.strokeStyle = "rgba(255,255,255,0.6)";
      ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(cx, TRACE_PAD.t); ctx.lineTo(cx, TRACE_PAD.t + g.ph); ctx.stroke();
      ctx.fillStyle = "#fff";
      ctx.beginPath(); ctx.arc(cx, Y(r.v[pose.i]), 4, 0, 2 * Math.PI); ctx.fill();
    }
  }

  function drawGapChart(pose) {
    var r = state.run, gh = state.ghost;
    if (!r || !gh) return;
    var canvas = els.gap;
    var g = traceGeom(canvas, 140);
    var ctx = canvas.getContext("2d");
    var s = g.size;
    ctx.setTransform(s.dpr, 0, 0, s.dpr, 0, 0);
    ctx.clearRect(0, 0, s.w, s.h);
    if (!state.gaps) {
      state.gaps = new Float64Array(r.n);
      for (var i = 0; i < r.n; i++) { var gp = gapAt(i); state.gaps[i] = gp === null ? NaN : gp; }
    }
    var gaps = state.gaps;
    var lo = 0, hi = 0;
    for (var k = 0; k < r.n; k++) if (isFinite(gaps[k])) { lo = Math.min(lo, gaps[k]); hi = Math.max(hi, gaps[k]); }
    var span = Math.max(hi - lo, 0.5);
    hi = hi + span * 0.1; lo = lo - span * 0.1;
    var total = Math.max(r.dist[r.n - 1], 1e-6);
    var X = function (d) { return TRACE_PAD.l + d / total * g.pw; };
    var Y = function (v) { return TRACE_PAD.t + (hi - v) / (hi - lo) * g.ph; };
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#9aa4b2";
    ctx.strokeStyle = "rgba(255,255,255,0.25)";
    ctx.beginPath(); ctx.moveTo(TRACE_PAD.l, Y(0)); ctx.lineTo(TRACE_PAD.l + g.pw, Y(0)); ctx.stroke();
    ctx.fillText("0 s", 8, Y(0) + 4);
    if (Y(0) - TRACE_PAD.t > 16) ctx.fillText("+" + hi.toFixed(1), 2, TRACE_PAD.t + 8);
    if (TRACE_PAD.t + g.ph - Y(0) > 16) ctx.fillText(lo.toFixed(1), 2, TRACE_PAD.t + g.ph);
    for (var lap = 1; lap < r.lapStart.length; lap++) {
      var dx = X(lap * r.L);
      ctx.strokeStyle = "rgba(255,255,255,0.08)";
      ctx.beginPath(); ctx.moveTo(dx, TRACE_PAD.t); ctx.lineTo(dx, TRACE_PAD.t + g.ph); ctx.stroke();
      if (dx + 40 < s.w) ctx.fillText("lap " + (lap + 1), dx + 3, s.h - 8);
    }
    ctx.lineWidth = 2;
    var prevOk = false;
    for (var j = 1; j < r.n; j++) {
      if (!isFinite(gaps[j]) || !isFinite(gaps[j - 1])) { prevOk = false; continue; }
      ctx.strokeStyle = gaps[j] > 0 ? "#ff6b6b" : "#3ddc84";
      ctx.beginPath(); ctx.moveTo(X(r.dist[j - 1]), Y(gaps[j - 1])); ctx.lineTo(X(r.dist[j]), Y(gaps[j])); ctx.stroke();
      prevOk = true;
    }
    if (pose && isFinite(gaps[pose.i])) {
      ctx.fillStyle = "#fff";
      ctx.beginPath(); ctx.arc(X(r.dist[pose.i]), Y(gaps[pose.i]), 4, 0, 2 * Math.PI); ctx.fill();
    }
  }

  // --- Panels ---------------------------------------------------------------------------------

  function buildSplits() {
    var r = state.run, gh = state.ghost;
    var tbody = els.splits.tBodies[0];
    tbody.textContent = "";
    els.splits.classList.toggle("rp-has-ghost", !!gh);
    var bestLap = Infinity, bestSec = [Infinity, Infinity, Infinity];
    r.lapTimes.forEach(function (t, k) {
      bestLap = Math.min(bestLap, t);
      for (var s = 0; s < 3; s++) if (r.sectors[k][s] !== null) bestSec[s] = Math.min(bestSec[s], r.sectors[k][s]);
    });
    var laps = r.lapTimes.length;
    var partial = r.n && r.lap[r.n - 1] < r.lapsRequired && r.result.status !== "finished";
    if (!laps && !partial) {
      var tr0 = tbody.insertRow();
      var c0 = tr0.insertCell(); c0.colSpan = 6; c0.className = "muted"; c0.textContent = "No complete lap.";
      return;
    }
    function cell(tr, text, cls) { var c = tr.insertCell(); c.textContent = text; if (cls) c.className = cls; return c; }
    for (var k = 0; k < laps; k++) {
      var tr = tbody.insertRow();
      tr.dataset.lap = String(k);
      tr.tabIndex = 0;
      tr.title = "Jump to lap " + (k + 1);
      var lapCell = cell(tr, String(k + 1), "rp-lapno");
      for (var s = 0; s < 3; s++) {
        var v = r.sectors[k][s];
        cell(tr, v === null ? "–" : v.toFixed(3), "mono" + (v !== null && laps > 1 && Math.abs(v - bestSec[s]) < 1e-9 ? " rp-best" : ""));
      }
      var lt = r.lapTimes[k];
      var offs = r.resets.filter(function (e) { return e.lap === k; }).length;
      cell(tr, fmtTime(lt), "mono" + (laps > 1 && lt === bestLap ? " rp-best" : ""));
      if (offs) {
        var o = document.createElement("span");
        o.className = "rp-off-chip";
        o.textContent = "●";
        o.title = offs + " off track in this lap";
        lapCell.appendChild(o);
      }
      var gc = cell(tr, "", "rp-col-ghost mono");
      if (gh && gh.lapTimes[k] !== undefined) {
        var d = lt - gh.lapTimes[k];
        gc.title = "Ghost lap " + fmtTime(gh.lapTimes[k]);
        var chip = document.createElement("span");
        chip.className = d > 0 ? "rp-delta rp-delta-bad" : "rp-delta rp-delta-good";
        chip.textContent = (d > 0 ? "+" : "−") + Math.abs(d).toFixed(3);
        gc.appendChild(chip);
      } else if (gh) gc.textContent = "–";
    }
    if (partial) {
      var trp = tbody.insertRow();
      trp.dataset.lap = String(laps);
      cell(trp, String(laps + 1), "rp-lapno");
      cell(trp, "Unfinished: " + Math.round((r.result.progress || r.prog[r.n - 1]) * 100) + "% of the lap", "muted").colSpan = 4;
      cell(trp, "", "rp-col-ghost");
    }
    var total = tbody.insertRow();
    total.className = "rp-total";
    cell(total, "Σ");
    cell(total, "").colSpan = 3;
    cell(total, fmtTime(r.result.total_time_s), "mono");
    var gt = cell(total, "", "rp-col-ghost mono");
    if (gh && gh.result.total_time_s !== undefined && r.result.total_time_s !== undefined) {
      var dt = r.result.total_time_s - gh.result.total_time_s;
      gt.title = "Ghost total " + fmtTime(gh.result.total_time_s);
      var tchip = document.createElement("span");
      tchip.className = dt > 0 ? "rp-delta rp-delta-bad" : "rp-delta rp-delta-good";
      tchip.textContent = (dt > 0 ? "+" : "−") + Math.abs(dt).toFixed(3);
      gt.appendChild(tchip);
    }
  }

  function highlightLap(lap) {
    Array.prototype.forEach.call(els.splits.tBodies[0].rows, function (tr) {
      tr.classList.toggle("rp-current", tr.dataset.lap === String(lap));
    });
  }

  function buildMarks() {
    var r = state.run;
    els.marks.textContent = "";
    var last = Math.max(r.n - 1, 1);
    r.lapStart.slice(1).forEach(function (i) {
      var m = document.createElement("span");
      m.className = "rp-mark rp-mark-lap";
      m.style.left = (i / last * 100) + "%";
      els.marks.appendChild(m);
    });
    r.resets.forEach(function (e) {
      var m = document.createElement("span");
      m.className = "rp-mark rp-mark-off";
      m.style.left = (e.i / last * 100) + "%";
      els.marks.appendChild(m);
    });
  }

  function buildTraceLegend() {
    var r = state.run;
    els.traceLegend.textContent = "";
    var laps = (r.n ? r.lap[r.n - 1] : 0) + 1;
    for (var k = 0; k < laps; k++) {
      var item = document.createElement("span");
      item.className = "rp-trace-key";
      var sw = document.createElement("i");
      sw.style.background = LAP_COLOURS[k % LAP_COLOURS.length];
      item.appendChild(sw);
      item.appendChild(document.createTextNode("Lap " + (k + 1) + (r.lapTimes[k] !== undefined ? " · " + fmtTime(r.lapTimes[k]) : "")));
      els.traceLegend.appendChild(item);
    }
    if (state.ghost) {
      var gi = document.createElement("span");
      gi.className = "rp-trace-key rp-trace-ghost";
      gi.appendChild(document.createElement("i"));
      gi.appendChild(document.createTextNode("Ghost, same lap"));
      els.traceLegend.appendChild(gi);
    }
  }

  function updateHud(pose) {
    var r = state.run;
    var i = pose.i;
    var lapNow = Math.min(r.lap[i] + 1, r.lapsRequired);
    els.hudLap.textContent = lapNow + "/" + r.lapsRequired;
    var clock = pose.t;
    var last = i === r.n - 1;
    if (last && r.result.total_time_s !== undefined && r.result.total_time_s !== null) clock = r.result.total_time_s;
    els.hudClock.textContent = fmtClock(clock);
    els.hudSpeed.textContent = pose.v.toFixed(2) + " m/s";
    els.time.textContent = fmtClock(clock) + " / " + fmtClock(r.result.total_time_s !== undefined ? r.result.total_time_s : r.t[r.n - 1]);
    if (state.ghost) {
      var gp = gapAt(i);
      els.hudGap.textContent = fmtGap(gp);
      els.hudGapBox.classList.toggle("rp-behind", gp !== null && gp > 0);
      els.hudGapBox.classList.toggle("rp-ahead", gp !== null && gp <= 0);
    }
    // A penalty card for two seconds after a reset.
    var shown = null;
    for (var k = r.resets.length - 1; k >= 0; k--) {
      var e = r.resets[k];
      if (e.i <= i && i - e.i < 2 * FPS) { shown = e; break; }
      if (e.i < i) break;
    }
    if (shown) {
      els.penalty.hidden = false;
      els.penalty.textContent = (shown.kind === "wrong_way" ? "Wrong way" : "Off track") + " · +" + shown.penalty + " s penalty";
    } else els.penalty.hidden = true;
    if (state.currentLap !== r.lap[i]) {
      state.currentLap = r.lap[i];
      highlightLap(r.lap[i]);
    }
    if (document.activeElement !== els.scrub) els.scrub.value = String(i);
  }

  function render() {
    if (!state.run) return;
    var pose = drawTrack();
    drawSpeedTrace(pose);
    if (state.ghost) drawGapChart(pose);
    updateHud(pose);
  }

  // --- Playback -------------------------------------------------------------------------------

  function setPlaying(on) {
    var r = state.run;
    if (!r) return;
    if (on && state.pos >= r.n - 1) state.pos = 0;
    state.playing = on;
    state.lastTs = null;
    els.play.classList.toggle("is-playing", on);
    els.play.setAttribute("aria-label", on ? "Pause" : "Play");
    els.stage.dataset.playing = on ? "1" : "0";
    if (on) requestAnimationFrame(tick);
  }

  function tick(ts) {
    if (!state.playing) return;
    if (state.lastTs !== null) {
      var dt = Math.min((ts - state.lastTs) / 1000, 0.25);
      state.pos += dt * FPS * state.rate;
      if (state.pos >= state.run.n - 1) {
        state.pos = state.run.n - 1;
        render();
        setPlaying(false);
        return;
      }
    }
    state.lastTs = ts;
    render();
    requestAnimationFrame(tick);
  }

  function seek(p) {
    var r = state.run;
    if (!r) return;
    state.pos = Math.max(0, Math.min(r.n - 1, p));
    render();
  }

  // Jump to the step of our run nearest to a world point (clicking the map).
  function seekToPoint(wx, wy) {
    var r = state.run, bestI = 0, bestD = Infinity;
    var currentLap = r.lap[Math.floor(state.pos)];
    for (var i = 0; i < r.n; i++) {
      if (!lapVisible(r.lap[i])) continue;
      var d = (r.x[i] - wx) * (r.x[i] - wx) + (r.y[i] - wy) * (r.y[i] - wy);
      if (r.lap[i] === currentLap) d *= 0.5; // prefer the lap being watched
      if (d < bestD) { bestD = d; bestI = i; }
    }
    seek(bestI);
  }

  // --- Ghost ----------------------------------------------------------------------------------

  function setGhost(id) {
    state.ghostId = id || null;
    state.gaps = null;
    if (!id) {
      state.ghost = null;
      afterGhostChange();
      return;
    }
    var url = cfg.replayApiUrl.replace("{id}", String(id));
    els.ghostNote.textContent = "Loading the ghost…";
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (resp) { if (!resp.ok) throw new Error("HTTP " + resp.status); return resp.json(); })
      .then(function (data) {
        if (state.ghostId !== id) return;
        state.ghost = unpack(data);
        state.ghost.racer = (data.meta && data.meta.racer) || "ghost";
        afterGhostChange();
      })
      .catch(function () {
        if (state.ghostId !== id) return;
        state.ghost = null;
        els.ghostNote.textContent = "That run's replay could not be loaded.";
        afterGhostChange(true);
      });
  }

  function afterGhostChange(keepNote) {
    var gh = state.ghost;
    els.hudGapBox.hidden = !gh;
    els.gapWrap.hidden = !gh;
    els.stage.dataset.ghost = gh ? String(state.ghostId) : "";
    if (!keepNote) {
      els.ghostNote.textContent = gh
        ? "The purple car is " + gh.racer + " at the same race time. Gap: time difference at the same distance along the race (+ = behind)."
        : "A ghost replays another run of this race alongside; the gap is measured at the same distance along the race.";
    }
    state.dirty = true;
    buildSplits();
    buildTraceLegend();
    state.currentLap = null;
    render();
  }

  function buildGhostOptions() {
    var list = cfg.compare || [];
    list.forEach(function (c) {
      var o = document.createElement("option");
      o.value = String(c.result_id);
      var time = c.finished ? fmtTime(c.time_s) : (c.laps + " laps, DNF");
      o.textContent = "P" + c.rank + " · " + c.racer + " · " + time;
      els.ghost.appendChild(o);
    });
    if (!list.length) {
      els.ghost.disabled = true;
      els.ghostNote.textContent = "No other run in this race to compare with yet.";
      return null;
    }
    return list[0].result_id; // the leader, or second place when this run leads
  }

  // --- Video ----------------------------------------------------------------------------------

  function pollVideo() {
    if (!cfg.resultUrl || cfg.videoStatus === "ready" || cfg.videoStatus === "failed") return;
    var tries = 0;
    var timer = setInterval(function () {
      tries += 1;
      if (tries > 120) { clearInterval(timer); return; }
      fetch(cfg.resultUrl, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (res) {
          if (!res) return;
          var msg = $("rp-video-message");
          if (res.video_status === "ready") {
            clearInterval(timer);
            var video = document.createElement("video");
            video.id = "rp-video";
            video.className = "rp-video";
            video.controls = true;
            video.preload = "metadata";
            video.setAttribute("playsinline", "");
            video.src = cfg.videoUrl;
            els.videoSlot.textContent = "";
            els.videoSlot.appendChild(video);
            if (els.videoDownload) els.videoDownload.hidden = false;
          } else if (res.video_status === "failed") {
            clearInterval(timer);
            if (msg) msg.textContent = "The video could not be rendered. The interactive replay and the downloads still work.";
            var spin = els.videoSlot.querySelector(".rp-spinner");
            if (spin) spin.remove();
          } else if (msg && res.video_status === "rendering") {
            msg.textContent = "Rendering the video…";
          }
        })
        .catch(function () {});
    }, 4000);
  }

  // --- Wiring ---------------------------------------------------------------------------------

  function enableControls() {
    [els.play, els.back, els.forward, els.scrub].forEach(function (el) { el.disabled = false; });
  }

  function bind() {
    els.play.addEventListener("click", function () { setPlaying(!state.playing); });
    els.back.addEventListener("click", function () { setPlaying(false); seek(Math.round(state.pos) - 1); });
    els.forward.addEventListener("click", function () { setPlaying(false); seek(Math.round(state.pos) + 1); });
    els.scrub.addEventListener("input", function () { seek(Number(els.scrub.value)); });
    els.rate.addEventListener("change", function () { state.rate = Number(els.rate.value) || 1; });
    els.lapsShown.addEventListener("change", function () {
      state.lapsShown = els.lapsShown.value;
      state.dirty = true;
      if (state.lapsShown !== "all") {
        var k = Number(state.lapsShown);
        if (state.run.lapStart[k] !== undefined && state.run.lap[Math.floor(state.pos)] !== k) seek(state.run.lapStart[k]);
      }
      render();
    });
    els.ghost.addEventListener("change", function () { setGhost(els.ghost.value ? Number(els.ghost.value) : null); });
    els.splits.addEventListener("click", function (ev) {
      var tr = ev.target.closest("tr[data-lap]");
      if (tr && state.run.lapStart[Number(tr.dataset.lap)] !== undefined) seek(state.run.lapStart[Number(tr.dataset.lap)]);
    });
    els.splits.addEventListener("keydown", function (ev) {
      if (ev.key !== "Enter") return;
      var tr = ev.target.closest("tr[data-lap]");
      if (tr && state.run.lapStart[Number(tr.dataset.lap)] !== undefined) seek(state.run.lapStart[Number(tr.dataset.lap)]);
    });
    els.track.addEventListener("click", function (ev) {
      if (!state.view) return;
      var rect = els.track.getBoundingClientRect();
      seekToPoint(state.view.wx(ev.clientX - rect.left), state.view.wy(ev.clientY - rect.top));
    });
    function traceSeek(ev) {
      var r = state.run;
      var rect = els.speed.getBoundingClientRect();
      var pw = rect.width - TRACE_PAD.l - TRACE_PAD.r;
      var frac = Math.min(Math.max((ev.clientX - rect.left - TRACE_PAD.l) / pw, 0), 0.999);
      var lap = r.lap[Math.floor(state.pos)];
      var start = r.lapStart[lap] || 0, end = r.lapStart[lap + 1] !== undefined ? r.lapStart[lap + 1] : r.n;
      var bestI = start, bestD = Infinity;
      for (var i = start; i < end; i++) {
        var d = Math.abs(r.prog[i] - frac);
        if (d < bestD) { bestD = d; bestI = i; }
      }
      seek(bestI);
    }
    els.speed.addEventListener("click", traceSeek);
    document.addEventListener("keydown", function (ev) {
      if (!state.run) return;
      var t = ev.target || {}, tag = t.tagName || "";
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
      if (tag === "SELECT" || tag === "TEXTAREA" || tag === "VIDEO" || t.isContentEditable) return;
      if (tag === "INPUT" && t !== els.scrub) return;
      if (tag === "BUTTON" && (ev.key === " " || ev.key === "Enter")) return; // the button's own click
      if (t === els.scrub && ev.key !== " " && ev.key !== "k") return; // arrows move the slider natively
      if (ev.key === " " || ev.key === "k") {
        ev.preventDefault();
        setPlaying(!state.playing);
      } else if (ev.key === "ArrowLeft" || ev.key === "ArrowRight") {
        ev.preventDefault();
        setPlaying(false);
        var stepBy = (ev.shiftKey ? FPS : 1) * (ev.key === "ArrowLeft" ? -1 : 1);
        seek(Math.round(state.pos) + stepBy);
      }
    });
    var resizeTimer = null;
    window.addEventListener("resize", function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(function () { state.dirty = true; render(); }, 80);
    });
  }

  function start(data) {
    state.track = data.track;
    state.run = unpack(data);
    var r = state.run;
    if (!r.n) {
      els.loading.textContent = "This run has no recorded steps.";
      return;
    }
    els.loading.hidden = true;
    els.scrub.max = String(r.n - 1);
    var laps = (r.lap[r.n - 1] || 0) + 1;
    for (var k = 0; k < laps; k++) {
      var o = document.createElement("option");
      o.value = String(k);
      o.textContent = "Lap " + (k + 1);
      els.lapsShown.appendChild(o);
    }
    enableControls();
    buildMarks();
    buildSplits();
    buildTraceLegend();
    els.stage.dataset.ready = "1";
    render();
    var dflt = buildGhostOptions();
    var fromQuery = new URLSearchParams(window.location.search).get("ghost");
    if (fromQuery !== null) {
      if (fromQuery && els.ghost.querySelector('option[value="' + CSS.escape(fromQuery) + '"]')) {
        els.ghost.value = fromQuery;
        setGhost(Number(fromQuery));
      }
    } else if (dflt) {
      els.ghost.value = String(dflt);
      setGhost(dflt);
    }
    if (new URLSearchParams(window.location.search).get("autoplay") === "1") setPlaying(true);
  }

  window.replayPlayer = {
    state: state,
    play: function () { setPlaying(true); },
    pause: function () { setPlaying(false); },
    seek: seek,
    setGhost: setGhost
  };

  bind();
  pollVideo();
  if (!cfg.hasReplay) {
    els.loading.textContent = "This run has no replay file.";
    return;
  }
  fetch(cfg.replayUrl, { headers: { Accept: "application/json" } })
    .then(function (resp) {
      if (!resp.ok) throw new Error(resp.status === 404 ? "This run has no replay." : "The replay could not be loaded (HTTP " + resp.status + ").");
      return resp.json();
    })
    .then(start)
    .catch(function (err) {
      els.loading.textContent = err && err.message ? err.message : "The replay could not be loaded.";
      els.loading.classList.add("rp-error");
    });
})();
