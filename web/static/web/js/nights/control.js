/* The control desk: the run under way and the queue's states follow the stream; the
 * buttons are plain forms (the desk works without this script). */

import { formatRaceTime } from "../format.js";
import { Night, readConfig } from "./night.js";

const cfg = readConfig();
const $ = (id) => document.getElementById(id);
let reloadSoon = null;

new Night(cfg, (kind, m) => {
  if (kind === "run_countdown") $("cd-now").textContent = `${m.racer} starts in ${m.seconds} s`;
  if (kind === "run_started") $("cd-now").textContent = `On track: ${m.racer}`;
  if (kind === "run_finished") {
    $("cd-now").textContent = m.result ? `${m.racer} finished: ${formatRaceTime(m.result.official_time_s)}`
      : `${m.racer}: ${m.status}${m.error ? ` (${m.error})` : ""}`;
  }
  if (kind === "queue" && !document.querySelector("form:focus-within")) {
    // Every racer's status, fresh: the desk's table is the server's own rendering.
    clearTimeout(reloadSoon);
    reloadSoon = setTimeout(() => location.reload(), 1500);
  }
});
