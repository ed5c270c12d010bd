/* A racer's own submissions, live (the owner's sockets only): [data-submission-id]
 * [data-status] on the submission page (#submission-status and its badge) and the
 * garage's rows; one socket per submission that is not final, or whose result's video is
 * still rendering ([data-video-status]), at most 20 a page.
 *
 * Everything on the submission page follows the stream: the status card, the result
 * figures, the failure panel, the video player once the video is ready (a status message
 * carries the result's `video_status`), and the "queued" notice the race page left at the
 * top goes once the run has started.
 *
 * The server renders what a status change shows: the status card (the page's whole main
 * content when the run ends, so that the result, lap times and replay link appear) and the
 * garage row are fetched again (fragments.js). Lap progress (`submission.progress`) fills
 * the progress box the templates carry ([data-role=progress], [data-role=progress-text]). */

import { formatRaceTime, percentWidth } from "../format.js";
import { refreshFragment } from "./fragments.js";
import { highlight } from "./rows.js";
import { LiveSocket } from "./socket.js";

const FINAL = new Set(["finished", "failed", "error"]);
const VIDEO_WAITING = new Set(["pending", "rendering"]);
const MAX_SOCKETS = 20;

/** Whether a status message (or a node's attributes) leaves nothing more to follow. */
function settled(status, videoStatus) {
  return FINAL.has(status) && !VIDEO_WAITING.has(videoStatus || "");
}

class Submission {
  constructor(id) {
    this.id = id;
    this.row = `tr[data-submission-id="${CSS.escape(id)}"]`;
    this.progress = null; // the last lap reported while running
    this.seen = this.shown(); // the last status this page was told (the page may be ahead of it)
    this.socket = new LiveSocket(`/ws/submissions/${id}/`, (message) => this.receive(message));
  }

  /** The status card of this submission's page, if this is its page. */
  card() {
    const card = document.getElementById("submission-status");
    return card && card.getAttribute("data-submission-id") === String(this.id) ? card : null;
  }

  shown() {
    const node = document.querySelector(`[data-submission-id="${CSS.escape(this.id)}"][data-status]`);
    return node ? node.getAttribute("data-status") : null;
  }

  receive(message) {
    if (String(message.submission) !== String(this.id)) return;
    if (message.type === "submission.status") this.status(message);
    else if (message.type === "submission.progress") this.lap(message);
  }

  status(message) {
    const final = Boolean(message.final) || FINAL.has(message.status);
    const video = message.result ? message.result.video_status : null;
    if (settled(message.status, video)) this.socket.stop();
    this.progress = message.status === "running" && message.lap
      ? { lap: message.lap, laps: message.laps, time_s: null } : null;
    const card = this.card();
    const error = card && card.querySelector("[data-role=error]");
    const errorChanged = card && (message.error || "") !== (error ? error.textContent : "");
    const videoChanged = card && video !== null && video !== card.getAttribute("data-video-status");
    const changed = message.status !== this.seen;
    this.seen = message.status;
    if (card && message.status !== "queued") dropQueuedNotice();
    if (changed || errorChanged || videoChanged) this.refresh(final);
    else this.showProgress();
  }

  lap(message) {
    this.progress = { lap: message.lap, laps: message.laps, time_s: message.time_s };
    if (this.seen !== "running") { // the status message is still on its way
      this.seen = "running";
      this.refresh(false);
    }
    this.showProgress();
  }

  refresh(final) {
    const card = this.card();
    const parts = [];
    if (card) parts.push(refreshFragment(final ? "main" : "#submission-status"));
    if (document.querySelector(this.row)) parts.push(refreshFragment(this.row));
    Promise.all(parts).then(() => {
      const title = final && document.getElementById("result-title");
      if (title) highlight(title.closest("section"));
      else if (this.card()) highlight(this.card());
      const row = document.querySelector(this.row);
      if (row) highlight(row);
      this.showProgress();
    });
  }

  showProgress() {
    if (!this.progress || this.shown() !== "running") return;
    const { lap, laps, time_s: time } = this.progress;
    const text = `Lap ${lap}/${laps}` + (time === null || time === undefined ? "" : ` · ${formatRaceTime(time)}`);
    const box = this.card() && this.card().querySelector("[data-role=progress]");
    if (box) {
      box.hidden = false;
      box.querySelector(".progress-bar").style.width = `${percentWidth(laps ? lap / laps : 0)}%`;
      box.querySelector("[data-role=progress-text]").textContent = text;
    }
    const garage = document.querySelector(`${this.row} [data-role=progress-text]`);
    if (garage) {
      garage.className = "progress-text"; // was the muted "—"
      garage.textContent = text;
    }
  }
}

// The race page's "queued ... this page follows it" notice, once the run has moved on.
function dropQueuedNotice() {
  document.querySelectorAll(".messages").forEach((box) => box.remove());
}

export function followSubmissions() {
  const ids = new Set();
  document.querySelectorAll("[data-submission-id][data-status]").forEach((node) => {
    if (!settled(node.getAttribute("data-status"), node.getAttribute("data-video-status"))) {
      ids.add(node.getAttribute("data-submission-id"));
    }
  });
  Array.from(ids).slice(0, MAX_SOCKETS).forEach((id) => new Submission(id));
}
