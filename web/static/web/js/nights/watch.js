/* The watch page /races/<id>/live/: the car on the track map, lap clock and lap times,
 * gap to the leader at the same distance, off-tracks as they happen, the virtual
 * standing, the queue, the board; the racer's speed slider during their own run. */

import { formatGap, formatRaceTime, NO_TIME } from "../format.js";
import { Night, TrackView, fillBoard, fillList, readConfig } from "./night.js";

const cfg = readConfig();
const $ = (id) => document.getElementById(id);
const view = new TrackView($("ln-track"), cfg.track);
view.fit();
window.addEventListener("resize", () => view.fit());

const night = new Night(cfg, (kind) => {
  if (kind === "snapshot" || kind === "queue") drawQueue();
  if (kind === "snapshot" || kind === "board") fillBoard($("ln-board"), night.board);
  if (kind === "run_countdown") $("ln-status").textContent = `${night.countdown.racer} starts in ${night.countdown.seconds} s`;
  if (kind === "run_started" || kind === "snapshot") {
    $("ln-racer").textContent = night.run ? night.run.racer : "Nobody on track";
    $("ln-status").textContent = night.run ? "On track" : "";
    $("ln-laps").replaceChildren();
    showSlider();
  }
  if (kind === "lap") fillList($("ln-laps"), night.run.laps, (li, t) => { li.textContent = formatRaceTime(t); });
  if (kind === "off_track" || kind === "wrong_way" || kind === "collision") flash(kind.replace("_", " "));
  if (kind === "run_finished") {
    const m = night.finished;
    $("ln-status").textContent = m.result ? `Finished: ${formatRaceTime(m.result.official_time_s)}`
      : (m.error ? `Run failed: ${m.error}` : `Run ${m.status}`);
    showSlider();
  }
});

function drawQueue() {
  const q = night.queue;
  $("ln-state").textContent = q.state;
  fillList($("ln-queue"), q.entries, (li, e) => {
    li.textContent = e.place ? `${e.place}. ${e.racer}` : `${e.racer} · ${e.status_label}`;
    li.dataset.status = e.status;
    if (e.message) li.title = e.message;
  });
}

function flash(text) {
  const node = $("ln-flash");
  node.textContent = text;
  node.classList.remove("show");
  void node.offsetWidth; // restart the animation
  node.classList.add("show");
}

function showSlider() {
  const box = $("ln-speed");
  if (!box) return;
  box.hidden = !(cfg.speed_control && night.run && !night.run.done && night.run.racer === cfg.me);
}

const slider = $("ln-speed-input");
if (slider) {
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  let pending = null;
  slider.addEventListener("input", () => {
    $("ln-speed-value").textContent = `${Number(slider.value).toFixed(2)}x`;
    clearTimeout(pending);
    pending = setTimeout(() => {
      fetch(cfg.speed_url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
        body: JSON.stringify({ multiplier: Number(slider.value) }),
      });
    }, 80);
  });
}

function tick() {
  const pose = night.pose();
  const last = night.latest();
  view.draw(pose, last && last.off_track);
  if (last) {
    $("ln-clock").textContent = formatRaceTime(pose.clock);
    $("ln-lap").textContent = `Lap ${Math.min(last.lap, cfg.laps)}/${cfg.laps} · ${Math.round(last.progress * 100)}%`;
    $("ln-gap").textContent = last.gap_s == null ? NO_TIME : formatGap(last.gap_s);
    $("ln-virtual").textContent = last.virtual_rank ? `P${last.virtual_rank}` : NO_TIME;
    $("ln-offtracks").textContent = String(night.run.offTracks);
  }
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
