/* The control desk: the run under way follows the stream; the state card and the racers
 * table are the server's own rendering, fetched again when the queue changes (no reload,
 * so a refused control's message stays on the page). The buttons are plain forms: the
 * desk works without this script. */

import { formatRaceTime } from "../format.js";
import { Night, readConfig, stopped } from "./night.js";

const cfg = readConfig();
const $ = (id) => document.getElementById(id);
const PARTS = ["cd-controls", "cd-racers-card"];
let refreshSoon = null;

async function refresh() {
  if (document.querySelector(".cd-controls form:focus-within, #cd-racers-card form:focus-within")) {
    refreshSoon = setTimeout(refresh, 1000); // not under the facilitator's finger
    return;
  }
  const response = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  const said = $("cd-now") ? $("cd-now").textContent : "";
  for (const id of PARTS) {
    const part = fresh.getElementById(id);
    if (part && $(id)) $(id).replaceWith(part);
  }
  if ($("cd-now") && !$("cd-now").textContent.trim()) $("cd-now").textContent = said; // the stream's latest word

}

new Night(cfg, (kind, m) => {
  const now = $("cd-now");
  if (kind === "run_countdown") now.textContent = `${m.racer} starts in ${m.seconds} s`;
  if (kind === "run_started") now.textContent = `On track: ${m.racer}`;
  if (kind === "run_finished") {
    if (m.result) now.textContent = `${m.racer} finished: ${formatRaceTime(m.result.official_time_s)}`;
    else if (stopped(m) && m.status === "skipped") now.textContent = `${m.racer}: stopped (skipped, or the night ended)`;
    else now.textContent = `${m.racer}: ${m.status}${m.error ? ` (${m.error})` : ""}`;
  }
  if (kind === "queue") {
    // Every racer's status and the controls that apply, fresh from the server.
    clearTimeout(refreshSoon);
    refreshSoon = setTimeout(refresh, 300);
  }
});
