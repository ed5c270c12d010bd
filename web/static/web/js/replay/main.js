/* The interactive replay of a run (racing/replay.html): the track to scale, the car on its
 * recorded path, play / pause / scrub / speed, the racing line coloured by speed,
 * off-track markers, lap and sector splits, a speed trace per lap and a ghost of another
 * run with the time gap at each point. No dependencies.
 *
 * Timeline: one step of the trajectory per 1/15 s, like the video. The race clock shown is
 * the official one: it jumps by the penalty at an off-track reset while a card says so.
 *
 * Modules: page.js (configuration, elements, state), data.js (the replay file unpacked),
 * map.js and charts.js (canvases), panels.js (HUD, splits, legends), player.js (playback
 * and controls), ghost.js, duel.js (a head-to-head duel: the other car as the ghost),
 * video.js; view.js draws a frame. */

import { unpack } from "./data.js";
import { startDuel } from "./duel.js";
import { setGhost, startGhost } from "./ghost.js";
import { cfg, els, state } from "./page.js";
import { buildMarks, buildSplits, buildTraceLegend } from "./panels.js";
import { bindControls, enableControls, seek, setPlaying } from "./player.js";
import { pollVideo } from "./video.js";
import { render } from "./view.js";

function lapOptions(laps) {
  for (let k = 0; k < laps; k++) {
    const o = document.createElement("option");
    o.value = String(k);
    o.textContent = "Lap " + (k + 1);
    els.lapsShown.appendChild(o);
  }
}

function start(data) {
  state.track = data.track;
  state.run = unpack(data);
  const r = state.run;
  if (!r.n) {
    els.loading.textContent = "This run has no recorded steps.";
    return;
  }
  els.loading.hidden = true;
  els.scrub.max = String(r.n - 1);
  lapOptions((r.lap[r.n - 1] || 0) + 1);
  enableControls();
  buildMarks();
  buildSplits();
  buildTraceLegend();
  els.stage.dataset.ready = "1";
  render();
  if (data.duel) startDuel(data);
  else startGhost();
  if (new URLSearchParams(window.location.search).get("autoplay") === "1") setPlaying(true);
}

async function load() {
  const resp = await fetch(cfg.replayUrl, { headers: { Accept: "application/json" } });
  if (!resp.ok) {
    throw new Error(resp.status === 404 ? "This run has no replay." : `The replay could not be loaded (HTTP ${resp.status}).`);
  }
  return resp.json();
}

if (cfg) {
  // For scripts and tests: the player's state and controls.
  window.replayPlayer = { state, play: () => setPlaying(true), pause: () => setPlaying(false), seek, setGhost };
  bindControls();
  pollVideo();
  if (!cfg.hasReplay) {
    els.loading.textContent = "This run has no replay file.";
  } else {
    load().then(start).catch((err) => {
      els.loading.textContent = err && err.message ? err.message : "The replay could not be loaded.";
      els.loading.classList.add("rp-error");
    });
  }
}
