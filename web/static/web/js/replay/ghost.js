/* The ghost: another run of the race replayed alongside (the leader by default, or
 * ?ghost=<result id>), with the gap measured at the same distance along the race. */

import { formatRaceTime } from "../format.js";
import { unpack } from "./data.js";
import { cfg, els, state } from "./page.js";
import { buildSplits, buildTraceLegend } from "./panels.js";
import { render } from "./view.js";

const NOTE_NONE = "A ghost replays another run of this race alongside; the gap is measured at the same distance along the race.";

export function afterGhostChange(keepNote) {
  const gh = state.ghost;
  els.hudGapBox.hidden = !gh;
  els.gapWrap.hidden = !gh;
  els.stage.dataset.ghost = gh ? String(state.ghostId) : "";
  if (!keepNote) {
    els.ghostNote.textContent = gh
      ? `The purple car is ${gh.racer} at the same race time. Gap: time difference at the same distance along the race (+ = behind).`
      : NOTE_NONE;
  }
  state.dirty = true;
  buildSplits();
  buildTraceLegend();
  state.currentLap = null;
  render();
}

export function setGhost(id) {
  state.ghostId = id || null;
  state.gaps = null;
  if (!id) {
    state.ghost = null;
    afterGhostChange();
    return;
  }
  els.ghostNote.textContent = "Loading the ghost…";
  fetch(cfg.replayApiUrl.replace("{id}", String(id)), { headers: { Accept: "application/json" } })
    .then((resp) => {
      if (!resp.ok) throw new Error("HTTP " + resp.status);
      return resp.json();
    })
    .then((data) => {
      if (state.ghostId !== id) return;
      state.ghost = unpack(data);
      state.ghost.racer = (data.meta && data.meta.racer) || "ghost";
      afterGhostChange();
    })
    .catch(() => {
      if (state.ghostId !== id) return;
      state.ghost = null;
      els.ghostNote.textContent = "That run's replay could not be loaded.";
      afterGhostChange(true);
    });
}

/** Fills the ghost menu; returns the default ghost (the leader, or second place when this
 * run leads), or null when there is no other run. */
function ghostOptions() {
  const list = cfg.compare || [];
  list.forEach((c) => {
    const o = document.createElement("option");
    o.value = String(c.result_id);
    o.textContent = `P${c.rank} · ${c.racer} · ${c.finished ? formatRaceTime(c.time_s) : c.laps + " laps, DNF"}`;
    els.ghost.appendChild(o);
  });
  if (!list.length) {
    els.ghost.disabled = true;
    els.ghostNote.textContent = "No other run in this race to compare with yet.";
    return null;
  }
  return list[0].result_id;
}

/** The ghost menu, and the first ghost: ?ghost=<id> ("" for none) or the default. */
export function startGhost() {
  els.ghost.addEventListener("change", () => setGhost(els.ghost.value ? Number(els.ghost.value) : null));
  const dflt = ghostOptions();
  const fromQuery = new URLSearchParams(window.location.search).get("ghost");
  if (fromQuery !== null) {
    if (fromQuery && els.ghost.querySelector(`option[value="${CSS.escape(fromQuery)}"]`)) {
      els.ghost.value = fromQuery;
      setGhost(Number(fromQuery));
    }
  } else if (dflt) {
    els.ghost.value = String(dflt);
    setGhost(dflt);
  }
}
