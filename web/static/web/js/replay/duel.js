/* A head-to-head duel's replay (ladder/replays.py): car a is the run, car b rides along in
 * the ghost's place, the same moment of the duel on both (row k of each trajectory is
 * control step k), so contacts between them show where they happened. The gap is the
 * ghost's: time at the same distance along the race. */

import { unpack } from "./data.js";
import { afterGhostChange } from "./ghost.js";
import { els, state } from "./page.js";

const FPS = 15;

/** Car b from the duel block, its clock put on car a's steps. */
function opponentRun(data) {
  const duel = data.duel;
  const opp = duel.opponent || {};
  const run = unpack({ columns: data.columns, track: data.track, trajectory: opp.trajectory || [],
                       events: opp.events || [], result: opp.result || {}, meta: { racer: duel.names.b } });
  const a = state.run;
  for (let i = 0; i < run.n; i++) {
    run.t[i] = i < a.n ? a.t[i] : a.t[a.n - 1] + (i - a.n + 1) / FPS;
  }
  run.racer = duel.names.b;
  return run;
}

export function startDuel(data) {
  const duel = data.duel;
  state.ghost = opponentRun(data);
  state.ghostId = "duel";
  state.gaps = null;
  els.ghost.disabled = true;
  const o = document.createElement("option");
  o.value = "duel";
  o.textContent = duel.names.b;
  els.ghost.replaceChildren(o);
  afterGhostChange(true);
  const where = duel.positions || {};
  els.ghostNote.textContent = `${duel.names.a} (position ${where.a}) against ${duel.names.b} (position ${where.b}, ` +
    `the purple car), at the same moment of the duel; ${(duel.collisions || []).length} contact(s) between them. ` +
    `Gap: time difference at the same distance along the race (+ = behind).`;
}
