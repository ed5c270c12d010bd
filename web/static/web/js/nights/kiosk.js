/* The kiosk board /races/<id>/kiosk/: the whole board in large type, scrolling slowly
 * through a long one and back, with who is on track and who is next. */

import { formatRaceTime } from "../format.js";
import { Night, fillBoard, readConfig, stopped } from "./night.js";

const cfg = readConfig();
const $ = (id) => document.getElementById(id);
const SCROLL_PX_PER_S = 40;
const PAUSE_MS = 4000;

const night = new Night(cfg, (kind, m) => {
  if (kind === "snapshot" || kind === "board") fillBoard($("ks-board"), night.board);
  if (kind === "run_started" || kind === "snapshot") $("ks-now").textContent = night.run ? `On track: ${night.run.racer}` : "";
  if (kind === "run_countdown") $("ks-now").textContent = `${m.racer} starts in ${m.seconds}`;
  if (kind === "run_finished" && m.result) $("ks-now").textContent = `${m.racer}: ${formatRaceTime(m.result.official_time_s)}`;
  if (kind === "run_finished" && stopped(m)) $("ks-now").textContent = "";
  if (kind === "snapshot" || kind === "queue") {
    const next = (night.queue.entries || []).filter((e) => e.place).slice(0, 3).map((e) => e.racer);
    $("ks-next").textContent = next.length ? `Next: ${next.join(", ")}` : "";
  }
});

// Auto-scroll: down at a steady pace, a pause at each end, then back to the top.
const box = $("ks-scroll");
let last = performance.now();
let holdUntil = last + PAUSE_MS;
let pos = 0;
function scroll(now) {
  const dt = (now - last) / 1000;
  last = now;
  const room = box.scrollHeight - box.clientHeight;
  if (room > 0 && now >= holdUntil) {
    pos += SCROLL_PX_PER_S * dt;
    if (pos >= room) {
      pos = room;
      holdUntil = now + PAUSE_MS;
      setTimeout(() => { pos = 0; box.scrollTop = 0; holdUntil = performance.now() + PAUSE_MS; }, PAUSE_MS);
    }
    box.scrollTop = pos;
  }
  requestAnimationFrame(scroll);
}
requestAnimationFrame(scroll);
