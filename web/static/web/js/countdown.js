/* Race times for the viewer: each [data-local-time] shows its moment on the viewer's
 * own clock where that reads differently from the race's zone, each [data-local-clock]
 * (a <time datetime="ISO">) is rewritten on the viewer's clock, naming the zone, and each
 * [data-countdown] counts down to its moment every second.
 *
 *   <span class="countdown" data-countdown="ISO" data-zero-text="Open now">Opens in
 *     <b data-countdown-left>2 d 04 h</b></span>
 *
 * The clock is the server's (<meta name="server-time">), so a wrong clock on the
 * viewer's machine counts down to the same moment. At zero a countdown with
 * data-reload reloads the page once (the race has opened or closed). */

import { browserTimeZone, formatCountdown, formatZoned } from "./format.js";

const serverTime = Date.parse(document.querySelector('meta[name="server-time"]')?.content || "");
const skewMs = Number.isNaN(serverTime) ? 0 : serverTime - Date.now();

function showLocalTimes() {
  const zone = browserTimeZone();
  if (!zone) return;
  document.querySelectorAll("[data-local-time]").forEach((el) => {
    const local = formatZoned(el.dataset.localTime, zone);
    if (local === formatZoned(el.dataset.localTime, el.dataset.zone)) return; // the same clock
    el.textContent = `Your time: ${local} (${zone.replaceAll("_", " ")})`;
    el.hidden = false;
  });
}

function showLocalClocks() {
  const zone = browserTimeZone();
  if (!zone) return;
  document.querySelectorAll("[data-local-clock]").forEach((el) => {
    const local = formatZoned(el.getAttribute("datetime"), zone);
    if (!local) return;
    el.textContent = `${local} `;
    const label = document.createElement("span");
    label.className = "zone";
    label.textContent = `your time (${zone.replaceAll("_", " ")})`;
    el.append(label);
    el.dataset.localised = "1";
  });
}

function tick(counters) {
  const now = Date.now() + skewMs;
  let running = false;
  for (const el of counters) {
    const left = (Date.parse(el.dataset.countdown) - now) / 1000;
    const slot = el.querySelector("[data-countdown-left]");
    if (left > 0) {
      running = true;
      el.dataset.seen = "1";
      if (slot) slot.textContent = formatCountdown(left);
    } else if (!el.dataset.done) {
      el.dataset.done = "1";
      el.textContent = el.dataset.zeroText || formatCountdown(left);
      // Only a countdown seen running: never a reload loop on a moment already past.
      if (el.hasAttribute("data-reload") && el.dataset.seen) setTimeout(() => window.location.reload(), 1500);
    }
  }
  return running;
}

showLocalTimes();
showLocalClocks();
const counters = [...document.querySelectorAll("[data-countdown]")];
if (counters.length && tick(counters)) {
  const timer = setInterval(() => {
    if (!tick(counters)) clearInterval(timer);
  }, 1000);
}
