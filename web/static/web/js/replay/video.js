/* The run's video: while it renders, the page asks the result API every 4 s (for up to
 * 8 minutes) and puts the player in when it is ready. */

import { cfg, els } from "./page.js";

const POLL_MS = 4000;
const MAX_POLLS = 120;

function showVideo() {
  const video = document.createElement("video");
  video.id = "rp-video";
  video.className = "rp-video";
  video.controls = true;
  video.preload = "metadata";
  video.setAttribute("playsinline", "");
  video.src = cfg.videoUrl;
  els.videoSlot.replaceChildren(video);
  if (els.videoDownload) els.videoDownload.hidden = false;
}

export function pollVideo() {
  if (!cfg.resultUrl || cfg.videoStatus === "ready" || cfg.videoStatus === "failed") return;
  let tries = 0;
  const timer = setInterval(() => {
    tries += 1;
    if (tries > MAX_POLLS) { clearInterval(timer); return; }
    fetch(cfg.resultUrl, { headers: { Accept: "application/json" } })
      .then((resp) => (resp.ok ? resp.json() : null))
      .then((res) => {
        if (!res) return;
        const msg = els.videoMessage();
        if (res.video_status === "ready") {
          clearInterval(timer);
          showVideo();
        } else if (res.video_status === "failed") {
          clearInterval(timer);
          if (msg) msg.textContent = "The video could not be rendered. The interactive replay and the downloads still work.";
          const spinner = els.videoSlot.querySelector(".rp-spinner");
          if (spinner) spinner.remove();
        } else if (msg && res.video_status === "rendering") {
          msg.textContent = "Rendering the video…";
        }
      })
      .catch(() => {});
  }, POLL_MS);
}
