/* The broadcast overlay /races/<id>/overlay/ (1920x1080, transparent): the racer on
 * track, lap clock, last and best lap, gap, the top five, penalty flashes. */

import { formatGap, formatRaceTime, NO_TIME } from "../format.js";
import { Night, fillBoard, readConfig, stopped } from "./night.js";

const cfg = readConfig();
const $ = (id) => document.getElementById(id);

const night = new Night(cfg, (kind, m) => {
  if (kind === "snapshot" || kind === "board") fillBoard($("ov-top"), night.board, 5);
  if (kind === "run_countdown") $("ov-racer").textContent = `${m.racer} in ${m.seconds}`;
  if (kind === "run_started" || kind === "snapshot") $("ov-racer").textContent = night.run ? night.run.racer : "";
  if (kind === "off_track" || kind === "wrong_way" || kind === "collision") {
    const node = $("ov-flash");
    node.textContent = kind === "collision" ? "COLLISION" : "OFF TRACK +PENALTY";
    node.classList.remove("show");
    void node.offsetWidth;
    node.classList.add("show");
  }
  if (kind === "run_finished" && m.result) $("ov-clock").textContent = formatRaceTime(m.result.official_time_s);
  if (kind === "run_finished" && stopped(m)) {
    $("ov-racer").textContent = "";
    for (const id of ["ov-clock", "ov-last", "ov-best", "ov-gap"]) $(id).textContent = NO_TIME;
  }
});

function tick() {
  const run = night.run;
  const last = night.latest();
  if (last && run && !run.done) {
    $("ov-clock").textContent = formatRaceTime(night.pose().clock);
    $("ov-gap").textContent = last.gap_s == null ? NO_TIME : formatGap(last.gap_s);
  }
  if (run) {
    $("ov-last").textContent = run.laps.length ? formatRaceTime(run.laps[run.laps.length - 1]) : NO_TIME;
    $("ov-best").textContent = run.laps.length ? formatRaceTime(Math.min(...run.laps)) : NO_TIME;
  }
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
