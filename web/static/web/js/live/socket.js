/* Sockets that reconnect by themselves (message formats: docs/live.md).
 *
 * Each socket gets a snapshot when it connects, so a page that lost its connection
 * catches up by itself after the reconnect: backoff from 0.5 s doubling up to 30 s with
 * jitter, at once when the network comes back or the tab becomes visible. A ping every
 * 25 s keeps proxies from closing an idle socket and notices a dead one. A refusal
 * (4401/4403/4404) is not retried.
 *
 * Every message is dispatched on `document` as a "live:message" CustomEvent, and
 * <html data-live="connecting|connected|offline"> (and any [data-live-status]) says how
 * the sockets are doing.
 */

const REFUSED = new Set([4401, 4403, 4404]);
const STATE_TEXT = { connected: "Live", connecting: "Reconnecting…", offline: "" };
const PING_EVERY_MS = 25000;
const DEAD_AFTER_MS = 65000;

const sockets = [];

export function updateLiveState() {
  const live = sockets.filter((s) => !s.stopped);
  let state = "offline";
  if (live.length) state = live.every((s) => s.open) ? "connected" : "connecting";
  document.documentElement.setAttribute("data-live", state);
  document.querySelectorAll("[data-live-status]").forEach((node) => {
    node.setAttribute("data-state", state);
    node.textContent = STATE_TEXT[state];
  });
}

export class LiveSocket {
  /** Follows `path` (e.g. "/ws/races/12/"), handing each message to `onMessage(message)`. */
  constructor(path, onMessage) {
    this.path = path;
    this.onMessage = onMessage;
    this.attempts = 0;
    this.open = false;
    this.stopped = false;
    this.ws = null;
    this.timer = null;
    this.lastMessageAt = 0;
    sockets.push(this);
    this.connect();
  }

  url() {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + this.path;
  }

  connect() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped) return;
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch (err) {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.open = true;
      this.lastMessageAt = Date.now();
      updateLiveState();
    };
    ws.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      this.lastMessageAt = Date.now();
      this.attempts = 0; // a snapshot arrived: the connection works
      try {
        this.onMessage(message);
      } finally {
        document.dispatchEvent(new CustomEvent("live:message", { detail: message }));
      }
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.open = false;
      if (REFUSED.has(event.code)) this.stopped = true; // not allowed: trying again will not help
      updateLiveState();
      if (!this.stopped) this.retry();
    };
    updateLiveState();
  }

  retry() {
    if (this.stopped || this.timer) return;
    const base = Math.min(30000, 500 * 2 ** this.attempts);
    this.attempts += 1;
    this.timer = setTimeout(() => this.connect(), base * (0.5 + Math.random() / 2));
  }

  /** Reconnect at once (network back, tab visible) if waiting for a retry. */
  now() {
    if (!this.stopped && !this.ws) this.connect();
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
    this.open = false;
    updateLiveState();
  }
}

window.addEventListener("online", () => sockets.forEach((s) => s.now()));
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") sockets.forEach((s) => s.now());
});
setInterval(() => {
  sockets.forEach((s) => {
    if (!s.ws || s.ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - s.lastMessageAt > DEAD_AFTER_MS) s.ws.close();
    else s.send({ type: "ping" });
  });
}, PING_EVERY_MS);
