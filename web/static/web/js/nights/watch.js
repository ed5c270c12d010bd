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

const STATES = { waiting: "Waiting to start", running: "Running", paused: "Paused", ended: "Ended" };
const STOPPED = { skipped: "stopped by the facilitator", error: "stopped by a fault on our side" };

const night = new Night(cfg, (kind, m) => {
  if (kind === "snapshot" || kind === "queue") drawQueue();
  if (kind === "snapshot" || kind === "board") fillBoard($("ln-board"), night.board);
  if (kind === "run_countdown") {
    // The next racer takes the card: whoever ran before (finished or skipped) leaves it.
    if (!night.run) clearFigures();
    $("ln-racer").textContent = m.racer;
    $("ln-status").textContent = `Starts in ${m.seconds} s`;
  }
  if (kind === "run_started" || kind === "snapshot") {
    if (kind === "run_started" || !night.run) clearFigures();
    $("ln-racer").textContent = night.run ? night.run.racer : "Nobody on track";
    $("ln-status").textContent = night.run ? "On track" : "";
    showSlider();
  }
  if (kind === "lap") fillList($("ln-laps"), night.run.laps, (li, t) => { li.textContent = formatRaceTime(t); });
  if (kind === "off_track" || kind === "wrong_way" || kind === "collision") flash(kind.replace("_", " "));
  if (kind === "run_finished") {
    if (m.result) {
      $("ln-status").textContent = `Finished: ${formatRaceTime(m.result.official_time_s)}`;
      showFinish(m.result);
    } else if (m.status === "failed") {
      $("ln-status").textContent = `Run failed: ${m.error || "the model"}`;
    } else {
      // Skipped, or the night ended: the run left nothing; its frozen clock goes.
      clearFigures();
      $("ln-racer").textContent = "Nobody on track";
      $("ln-status").textContent = `${m.racer}: ${STOPPED[m.status] || `run ${m.status}`}`;
    }
    showSlider();
  }
});

function drawQueue() {
  const q = night.queue;
  $("ln-state").textContent = STATES[q.state] || q.state;
  const ended = q.state === "ended";
  if (ended && $("ln-badge")) $("ln-badge").remove();
  const join = document.querySelector(".ln-join, .ln-join-none");
  if (join && ended) join.replaceWith(Object.assign(document.createElement("p"), {
    id: "ln-ended", className: "muted", textContent: "This race night has ended: the queue is closed." }));
  fillList($("ln-queue"), q.entries, (li, e) => {
    li.textContent = e.place ? `${e.place}. ${e.racer}` : `${e.racer} · ${e.status_label}`;
    li.dataset.status = e.status;
    if (e.message) li.title = e.message;
  });
  if (!q.entries.length) fillList($("ln-queue"), ["Nobody yet."], (li, t) => { li.textContent = t; });
  // The racer's own line, in the words of the server's first rendering.
  const me = $("ln-me");
  const mine = me && q.entries.find((e) => e.racer === cfg.me);
  if (mine) {
    me.textContent = `You are in: ${mine.place ? `position ${mine.place} (1 = next)` : mine.status_label}`
      + (mine.message ? ` — ${mine.message}` : "");
  }
}

/** Figures back to "nothing on track". */
function clearFigures() {
  for (const id of ["ln-clock", "ln-lap", "ln-gap", "ln-virtual"]) $(id).textContent = NO_TIME;
  $("ln-offtracks").textContent = "0";
  $("ln-laps").replaceChildren();
}

/** The finish as the official result has it: every lap done, the clock at the line. */
function showFinish(result) {
  const laps = result.lap_times_s || [];
  // Penalties are on the clock already, so the laps add up to the time at the line.
  const atLine = cfg.timing_method === "TOTAL_TIME" ? result.official_time_s : laps.reduce((sum, t) => sum + t, 0);
  if (result.status === "finished") {
    $("ln-clock").textContent = formatRaceTime(atLine);
    $("ln-lap").textContent = `${cfg.laps}/${cfg.laps} laps done`;
  }
  fillList($("ln-laps"), laps, (li, t) => { li.textContent = formatRaceTime(t); });
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
  if (last && !night.run.done) {
    $("ln-clock").textContent = formatRaceTime(pose.clock);
    $("ln-lap").textContent = last.laps_done >= cfg.laps ? `${cfg.laps}/${cfg.laps} laps done`
      : `Lap ${last.lap}/${cfg.laps} · ${Math.round(last.progress * 100)}%`;
    $("ln-gap").textContent = last.gap_s == null ? NO_TIME : formatGap(last.gap_s);
    $("ln-virtual").textContent = last.virtual_rank ? `P${last.virtual_rank}` : NO_TIME;
    $("ln-offtracks").textContent = String(night.run.offTracks);
  }
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
