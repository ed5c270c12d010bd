/* Playback and its controls: play / pause, step, scrub, playback rate, the laps shown,
 * clicks on the map, the speed trace and the splits, and the keyboard (space, arrows). */

import { traceFraction } from "./charts.js";
import { FPS } from "./data.js";
import { els, lapVisible, state } from "./page.js";
import { render } from "./view.js";

export function setPlaying(on) {
  const r = state.run;
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
    const dt = Math.min((ts - state.lastTs) / 1000, 0.25);
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

export function seek(p) {
  const r = state.run;
  if (!r) return;
  state.pos = Math.max(0, Math.min(r.n - 1, p));
  render();
}

// The step of our run nearest to a world point (clicking the map), on the lap watched if close.
function seekToPoint(wx, wy) {
  const r = state.run;
  let bestI = 0, bestD = Infinity;
  const currentLap = r.lap[Math.floor(state.pos)];
  for (let i = 0; i < r.n; i++) {
    if (!lapVisible(r.lap[i])) continue;
    let d = (r.x[i] - wx) * (r.x[i] - wx) + (r.y[i] - wy) * (r.y[i] - wy);
    if (r.lap[i] === currentLap) d *= 0.5; // prefer the lap being watched
    if (d < bestD) { bestD = d; bestI = i; }
  }
  seek(bestI);
}

// The step of the lap watched nearest to a click on the speed trace.
function seekOnTrace(event) {
  const r = state.run;
  if (!r) return;
  const frac = traceFraction(event);
  const lap = r.lap[Math.floor(state.pos)];
  const start = r.lapStart[lap] || 0, end = r.lapStart[lap + 1] !== undefined ? r.lapStart[lap + 1] : r.n;
  let bestI = start, bestD = Infinity;
  for (let i = start; i < end; i++) {
    const d = Math.abs(r.prog[i] - frac);
    if (d < bestD) { bestD = d; bestI = i; }
  }
  seek(bestI);
}

function seekToLap(event) {
  const tr = event.target.closest("tr[data-lap]");
  const start = tr && state.run.lapStart[Number(tr.dataset.lap)];
  if (start !== undefined && start !== null) seek(start);
}

function onKey(event) {
  if (!state.run) return;
  const t = event.target || {}, tag = t.tagName || "";
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (tag === "SELECT" || tag === "TEXTAREA" || tag === "VIDEO" || t.isContentEditable) return;
  if (tag === "INPUT" && t !== els.scrub) return;
  if (tag === "BUTTON" && (event.key === " " || event.key === "Enter")) return; // the button's own click
  if (t === els.scrub && event.key !== " " && event.key !== "k") return; // arrows move the slider natively
  if (event.key === " " || event.key === "k") {
    event.preventDefault();
    setPlaying(!state.playing);
  } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
    event.preventDefault();
    setPlaying(false);
    const stepBy = (event.shiftKey ? FPS : 1) * (event.key === "ArrowLeft" ? -1 : 1);
    seek(Math.round(state.pos) + stepBy);
  }
}

export function enableControls() {
  [els.play, els.back, els.forward, els.scrub].forEach((el) => { el.disabled = false; });
}

export function bindControls() {
  els.play.addEventListener("click", () => setPlaying(!state.playing));
  els.back.addEventListener("click", () => { setPlaying(false); seek(Math.round(state.pos) - 1); });
  els.forward.addEventListener("click", () => { setPlaying(false); seek(Math.round(state.pos) + 1); });
  els.scrub.addEventListener("input", () => seek(Number(els.scrub.value)));
  els.rate.addEventListener("change", () => { state.rate = Number(els.rate.value) || 1; });
  els.lapsShown.addEventListener("change", () => {
    state.lapsShown = els.lapsShown.value;
    state.dirty = true;
    if (state.lapsShown !== "all") {
      const k = Number(state.lapsShown);
      if (state.run.lapStart[k] !== undefined && state.run.lap[Math.floor(state.pos)] !== k) seek(state.run.lapStart[k]);
    }
    render();
  });
  els.splits.addEventListener("click", seekToLap); // a row, or its lap button (Enter, Space)
  els.track.addEventListener("click", (event) => {
    if (!state.view) return;
    const rect = els.track.getBoundingClientRect();
    seekToPoint(state.view.wx(event.clientX - rect.left), state.view.wy(event.clientY - rect.top));
  });
  els.speed.addEventListener("click", seekOnTrace);
  document.addEventListener("keydown", onKey);
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { state.dirty = true; render(); }, 80);
  });
}
