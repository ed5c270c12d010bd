/* Live league: websockets for leaderboards, season standings and submissions.
 *
 * Finds what to follow from the page's data attributes and keeps it up to date:
 *   table#leaderboard[data-race-id][data-page][data-page-size]  rows tr[data-racer]
 *   table#standings[data-season][data-page]                       rows tr[data-racer]
 *   [data-live-board][data-race-id], [data-live-standings][data-season]  (empty boards)
 *   [data-submission-id][data-status]   (submission page, garage; owner only)
 *
 * Each socket gets a snapshot when it connects, so a page that lost its connection
 * catches up by itself after the reconnect (exponential backoff with jitter, at once
 * when the network comes back or the tab becomes visible). Rows are updated in place,
 * re-ordered by rank, and highlighted for a moment. Message formats: docs/live.md.
 *
 * Every message is also dispatched on `document` as a "live:message" CustomEvent, and
 * <html data-live="connecting|connected|offline"> says how the sockets are doing.
 */
(function () {
  "use strict";

  var FINAL = { finished: true, failed: true, error: true };
  var STATUS_LABELS = { queued: "Queued", running: "Running", finished: "Finished", failed: "Failed", error: "Error" };
  var REFUSED = { 4401: true, 4403: true, 4404: true };
  var HIGHLIGHT_MS = 2600;
  var MAX_SUBMISSION_SOCKETS = 20;

  // --- Formatting (as league/formatting.py and the pages' template filters) ------------

  function raceTime(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) return "—";
    var sign = seconds < 0 ? "-" : "";
    var millis = Math.round(Math.abs(seconds) * 1000);
    var hours = Math.floor(millis / 3600000); millis -= hours * 3600000;
    var minutes = Math.floor(millis / 60000); millis -= minutes * 60000;
    var secs = Math.floor(millis / 1000), ms = millis - secs * 1000;
    var pad = function (n, w) { n = String(n); while (n.length < w) n = "0" + n; return n; };
    if (hours) return sign + hours + ":" + pad(minutes, 2) + ":" + pad(secs, 2) + "." + pad(ms, 3);
    if (minutes) return sign + minutes + ":" + pad(secs, 2) + "." + pad(ms, 3);
    return sign + secs + "." + pad(ms, 3);
  }

  function gap(seconds) {
    if (seconds === null || seconds === undefined || seconds === 0) return "—";
    return "+" + raceTime(seconds);
  }

  function percent(value) {
    return Math.round(Number(value || 0) * 100) + "%";
  }

  function ago(iso) {
    var when = new Date(iso);
    if (isNaN(when)) return "";
    var secs = Math.floor((Date.now() - when.getTime()) / 1000);
    if (secs < 45) return "just now";
    if (secs < 3600) return Math.max(1, Math.round(secs / 60)) + " min ago";
    if (secs < 86400) return Math.floor(secs / 3600) + " h ago";
    if (secs < 7 * 86400) return Math.floor(secs / 86400) + " d ago";
    return when.toISOString().slice(0, 10);
  }

  function medal(rank) {
    return { 1: "gold", 2: "silver", 3: "bronze" }[rank] || "";
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (attrs[key] === null || attrs[key] === undefined || attrs[key] === false) return;
      if (key === "className") node.className = attrs[key];
      else if (key === "text") node.textContent = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function racerUrl(alias) {
    return "/racers/" + encodeURIComponent(alias) + "/";
  }

  // --- Highlight styles (the pages' CSS may override them) -----------------------------

  function injectStyle() {
    if (document.getElementById("live-style")) return;
    var style = document.createElement("style");
    style.id = "live-style";
    style.textContent =
      "@keyframes live-flash{0%{background-color:rgba(63,208,255,.32)}100%{background-color:transparent}}" +
      ":where(tr.live-changed)>td{animation:live-flash 2.5s ease-out}" +
      ":where(tr.live-up) .rank-badge{box-shadow:0 0 0 2px rgba(61,220,132,.8)}" +
      ":where(tr.live-down) .rank-badge{box-shadow:0 0 0 2px rgba(255,107,107,.6)}" +
      ":where(.live-changed-box){animation:live-flash 2.5s ease-out}" +
      "@media (prefers-reduced-motion:reduce){:where(tr.live-changed)>td,:where(.live-changed-box){animation:none}}";
    document.head.appendChild(style);
  }

  function highlight(node, extra) {
    if (!node) return;
    var classes = [node.tagName === "TR" ? "live-changed" : "live-changed-box"].concat(extra || []);
    classes.forEach(function (c) { node.classList.remove(c); });
    void node.offsetWidth; // restart the animation
    classes.forEach(function (c) { node.classList.add(c); });
    clearTimeout(node._liveTimer);
    node._liveTimer = setTimeout(function () {
      classes.forEach(function (c) { node.classList.remove(c); });
    }, HIGHLIGHT_MS);
  }

  // --- Sockets that reconnect by themselves ---------------------------------------------

  var sockets = [];

  function updateLiveState() {
    var live = sockets.filter(function (s) { return !s.stopped; });
    var state = "offline";
    if (live.length) {
      state = live.every(function (s) { return s.open; }) ? "connected" : "connecting";
    }
    document.documentElement.setAttribute("data-live", state);
    document.querySelectorAll("[data-live-status]").forEach(function (node) {
      node.setAttribute("data-state", state);
      node.textContent = { connected: "Live", connecting: "Reconnecting…", offline: "" }[state];
    });
  }

  function LiveSocket(path, onMessage) {
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

  LiveSocket.prototype.url = function () {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + this.path;
  };

  LiveSocket.prototype.connect = function () {
    var self = this;
    clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped) return;
    var ws;
    try {
      ws = new WebSocket(this.url());
    } catch (err) {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = function () {
      self.open = true;
      self.lastMessageAt = Date.now();
      updateLiveState();
    };
    ws.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (err) { return; }
      self.lastMessageAt = Date.now();
      self.attempts = 0; // a snapshot arrived: the connection works
      try {
        self.onMessage(message, self);
      } finally {
        document.dispatchEvent(new CustomEvent("live:message", { detail: message }));
      }
    };
    ws.onclose = function (event) {
      if (self.ws !== ws) return;
      self.ws = null;
      self.open = false;
      if (REFUSED[event.code]) self.stopped = true; // not allowed: trying again will not help
      updateLiveState();
      if (!self.stopped) self.retry();
    };
    updateLiveState();
  };

  LiveSocket.prototype.retry = function () {
    if (this.stopped || this.timer) return;
    var base = Math.min(30000, 500 * Math.pow(2, this.attempts));
    this.attempts += 1;
    var self = this;
    this.timer = setTimeout(function () { self.connect(); }, base * (0.5 + Math.random() / 2));
  };

  LiveSocket.prototype.now = function () {
    // Reconnect at once (network back, tab visible) if waiting for a retry.
    if (!this.stopped && !this.ws) this.connect();
  };

  LiveSocket.prototype.send = function (message) {
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(message));
  };

  LiveSocket.prototype.stop = function () {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
    this.open = false;
    updateLiveState();
  };

  window.addEventListener("online", function () { sockets.forEach(function (s) { s.now(); }); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") sockets.forEach(function (s) { s.now(); });
  });
  // Keep idle connections alive through proxies, and notice a dead one.
  setInterval(function () {
    sockets.forEach(function (s) {
      if (!s.ws || s.ws.readyState !== 1) return;
      if (Date.now() - s.lastMessageAt > 65000) { s.ws.close(); return; }
      s.send({ type: "ping" });
    });
  }, 25000);

  // --- Tables of rows keyed by racer ----------------------------------------------------

  function columnKey(th) {
    if (th.dataset.field) return th.dataset.field;
    var cls = th.classList;
    var known = ["c-rank", "c-racer", "c-time", "c-gap", "c-best", "c-laps", "c-off", "c-subs", "c-when", "c-replay", "c-race"];
    for (var i = 0; i < known.length; i++) if (cls.contains(known[i])) return known[i].slice(2);
    var text = th.textContent.trim().toLowerCase();
    if (text === "points" || text === "pts") return "points";
    if (text === "wins") return "wins";
    if (text === "races") return "races";
    return "";
  }

  function raceIdOf(th) {
    if (th.dataset.raceId) return th.dataset.raceId;
    var link = th.querySelector("a[href]");
    var match = link && link.getAttribute("href").match(/\/races\/(\d+)\//);
    return match ? match[1] : null;
  }

  function myAlias() {
    var me = document.querySelector(".account-alias");
    return me ? me.textContent.trim() : null;
  }

  // Replace a table's rows by `rows` (rank order), reusing the row of each racer.
  // `sig(row)` gives {full, core}: a row is redrawn when `full` changed, and flashed when
  // it is new, its racer is in `changed` (an update says whose result landed) or, for a
  // snapshot (`changed` null: catching up), when `core` (its figures, not its rank) did.
  function applyRows(table, rows, renderRow, sig, changed) {
    var tbody = table.tBodies[0] || table.appendChild(document.createElement("tbody"));
    var existing = {};
    Array.prototype.slice.call(tbody.rows).forEach(function (tr) {
      if (tr.hasAttribute("data-racer")) existing[tr.getAttribute("data-racer")] = tr;
      else tr.parentNode.removeChild(tr); // an empty-state row
    });
    var seen = {};
    var previous = null;
    rows.forEach(function (row) {
      seen[row.racer] = true;
      var tr = existing[row.racer];
      var s = sig(row);
      if (!tr || tr.getAttribute("data-live-sig") !== s.full) {
        var fresh = renderRow(row);
        fresh.setAttribute("data-live-sig", s.full);
        fresh.setAttribute("data-live-core", s.core);
        if (!tr) {
          highlight(fresh, ["live-new"]);
        } else {
          var oldRank = Number(tr.getAttribute("data-rank"));
          var moved = row.rank < oldRank ? ["live-up"] : row.rank > oldRank ? ["live-down"] : [];
          var news = changed ? !!changed[row.racer] : tr.getAttribute("data-live-core") !== s.core;
          tr.parentNode.replaceChild(fresh, tr);
          if (news || moved[0] === "live-up") highlight(fresh, moved);
          else if (moved.length) { fresh.classList.add(moved[0]); setTimeout(function () { fresh.classList.remove(moved[0]); }, HIGHLIGHT_MS); }
        }
        tr = fresh;
      }
      // Rank order: the row goes right after the previous one.
      var anchor = previous ? previous.nextSibling : tbody.firstChild;
      if (anchor !== tr) tbody.insertBefore(tr, anchor);
      previous = tr;
    });
    Object.keys(existing).forEach(function (racer) {
      if (!seen[racer] && existing[racer].parentNode) existing[racer].parentNode.removeChild(existing[racer]);
    });
  }

  function changedSet(message) {
    if (!message.changed) return null;
    var set = {};
    message.changed.forEach(function (c) { if (c && c.racer) set[c.racer] = true; });
    return set;
  }

  // Remember what a server-rendered row shows, so that an unchanged row is not redrawn.
  function seedSignatures(table, rows, sig) {
    var byRacer = {};
    rows.forEach(function (row) { byRacer[row.racer] = row; });
    Array.prototype.forEach.call(table.tBodies[0] ? table.tBodies[0].rows : [], function (tr) {
      var row = byRacer[tr.getAttribute("data-racer")];
      if (row && !tr.hasAttribute("data-live-sig") && Number(tr.getAttribute("data-rank")) === row.rank &&
          (!tr.hasAttribute("data-result-id") || Number(tr.getAttribute("data-result-id")) === row.result_id)) {
        var s = sig(row);
        tr.setAttribute("data-live-sig", s.full);
        tr.setAttribute("data-live-core", s.core);
      }
    });
  }

  // Fetch this page again and swap one fragment (used when a board gets its first row).
  function refreshFragment(selector, then) {
    fetch(location.href, { credentials: "same-origin", headers: { "X-Requested-With": "live" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector(selector);
        var current = document.querySelector(selector);
        if (fresh && current) {
          current.parentNode.replaceChild(document.importNode(fresh, true), current);
          if (then) then();
        }
      })
      .catch(function () { /* the next update tries again */ });
  }

  // --- Race leaderboard -------------------------------------------------------------------

  function leaderboardSignature(row) {
    var core = [row.result_id, row.time_s, row.best_lap_s, row.laps, row.progress, row.off_track_count,
                row.submissions].join("|");
    return { full: [row.rank, row.gap_s, core].join("|"), core: core };
  }

  function Board(table) {
    this.table = table;
    this.raceId = table.getAttribute("data-race-id");
    var page = Number(table.getAttribute("data-page")) || 1;
    this.pageSize = Number(table.getAttribute("data-page-size")) || 50;
    this.offset = (page - 1) * this.pageSize;
    this.laps = table.getAttribute("data-laps");
    this.me = myAlias();
    this.columns = Array.prototype.map.call(table.tHead ? table.tHead.rows[0].cells : [], function (th) {
      return { key: columnKey(th), th: th };
    });
    var self = this;
    this.socket = new LiveSocket(
      "/ws/races/" + this.raceId + "/?offset=" + this.offset + "&limit=" + this.pageSize,
      function (message) { self.receive(message); }
    );
  }

  Board.prototype.receive = function (message) {
    if (message.type !== "leaderboard.snapshot" && message.type !== "leaderboard.update") return;
    if (String(message.race) !== String(this.raceId)) return;
    var wanted = Math.max(0, Math.min(this.pageSize, message.count - this.offset));
    if (message.offset === this.offset && message.rows.length >= wanted) {
      this.apply(message.rows.slice(0, this.pageSize), changedSet(message), message.count);
    } else if (message.type === "leaderboard.update") {
      // Another page of the board: ask for ours (one request per burst of updates).
      var self = this;
      clearTimeout(this.pending);
      this.pending = setTimeout(function () {
        self.socket.send({ type: "snapshot", offset: self.offset, limit: self.pageSize });
      }, 150);
    }
  };

  Board.prototype.apply = function (rows, changed, count) {
    if (!this.seeded) {
      seedSignatures(this.table, rows, leaderboardSignature);
      this.seeded = true;
    }
    var self = this;
    applyRows(this.table, rows, function (row) { return self.renderRow(row); }, leaderboardSignature, changed);
    document.querySelectorAll("[data-live-count]").forEach(function (node) { node.textContent = String(count); });
    // "You are P3": the viewer's rank, when their row is on this page.
    var mine = rows.filter(function (row) { return row.racer === self.me; })[0];
    if (mine) {
      document.querySelectorAll("[data-live-my-rank]").forEach(function (node) {
        node.textContent = node.textContent.replace(/P\d+/, "P" + mine.rank);
        var href = node.getAttribute("href");
        if (href) node.setAttribute("href", href.replace(/#rank-\d+/, "#rank-" + mine.rank));
      });
    }
  };

  Board.prototype.renderRow = function (row) {
    var mine = this.me && row.racer === this.me;
    var classes = [medal(row.rank), !row.finished ? "dnf" : !row.gap_s ? "is-leader" : "", mine ? "me" : ""]
      .filter(Boolean).join(" ");
    var tr = el("tr", { id: "rank-" + row.rank, className: classes, "data-racer": row.racer,
                        "data-rank": row.rank, "data-result-id": row.result_id });
    var laps = this.laps;
    this.columns.forEach(function (col) {
      var td;
      switch (col.key) {
        case "rank":
          td = el("td", { className: "c-rank" }, [el("span", { className: "rank-badge", text: String(row.rank) })]);
          break;
        case "racer":
          td = el("td", { className: "c-racer" }, [el("a", { href: racerUrl(row.racer), text: row.racer })]);
          if (mine) { td.appendChild(document.createTextNode(" ")); td.appendChild(el("span", { className: "you", text: "you" })); }
          break;
        case "time":
          td = row.finished
            ? el("td", { className: "c-time num mono strong", "data-label": "Time", text: raceTime(row.time_s) })
            : el("td", { className: "c-time num", "data-label": "Time" },
                 [el("span", { className: "badge badge-dnf", title: "Did not finish", text: "DNF" })]);
          break;
        case "gap":
          if (row.finished) {
            td = el("td", { className: "c-gap num mono", "data-label": "Gap", text: gap(row.gap_s) });
          } else {
            var pct = Math.max(0, Math.min(1, Number(row.progress || 0))) * 100;
            td = el("td", { className: "c-gap num", "data-label": "Progress" }, [
              el("span", { className: "progress", title: "Lap " + (row.laps + 1) + " at " + percent(row.progress) },
                 [el("span", { className: "progress-bar", style: "width: " + pct.toFixed(1) + "%" })]),
              el("span", { className: "progress-text", text: row.laps + "/" + (laps || "?") + " + " + percent(row.progress) }),
            ]);
          }
          break;
        case "best":
          td = el("td", { className: "c-best num mono", "data-label": "Best lap", text: raceTime(row.best_lap_s) });
          break;
        case "laps":
          td = el("td", { className: "c-laps num", "data-label": "Laps", text: String(row.laps) });
          break;
        case "off":
          td = el("td", { className: "c-off num", "data-label": "Off track", text: String(row.off_track_count) });
          break;
        case "subs":
          td = el("td", { className: "c-subs num", "data-label": "Subs", text: String(row.submissions) });
          break;
        case "points":
          td = el("td", { className: "num", "data-label": "Points", text: String(row.points) });
          break;
        case "when":
          td = el("td", { className: "c-when", "data-label": "When" },
                  [el("time", { datetime: row.submitted_at, title: row.submitted_at, text: ago(row.submitted_at) })]);
          break;
        case "replay":
          td = el("td", { className: "c-replay" }, [row.replay_url ? el("a", {
            className: "replay-link", href: row.replay_url, "aria-label": "Replay of " + row.racer + "'s run",
            title: "Watch the replay" }, [el("span", { "aria-hidden": "true", text: "▶" }),
                                          el("span", { className: "replay-text", text: " Replay" })]) : null]);
          break;
        default:
          td = el("td", { className: col.th.className });
      }
      tr.appendChild(td);
    });
    return tr;
  };

  // A board or table without rows yet has no table: the first rows bring the rendered
  // one, fetched again from the server, and the live object takes over from there.
  function awaitFirstRows(node, path, kind, sectionMatch, sectionSelector, tableSelector, takeOver) {
    var socket = new LiveSocket(path, function (message) {
      if ((message.type === kind + ".update" || message.type === kind + ".snapshot") && message.count > 0) {
        socket.stop();
        refreshFragment(sectionSelector(node.closest(sectionMatch) || node), function () {
          var table = document.querySelector(tableSelector);
          if (table) takeOver(table);
        });
      }
    });
  }

  function EmptyBoard(node) {
    awaitFirstRows(node, "/ws/races/" + node.getAttribute("data-race-id") + "/", "leaderboard",
      "section[id], section.board-section",
      function (section) { return section.id ? "#" + section.id : ".board-section"; },
      "table#leaderboard[data-race-id]",
      function (table) {
        Array.prototype.forEach.call(table.tBodies[0].rows, function (tr) { highlight(tr, ["live-new"]); });
        new Board(table);
      });
  }

  // --- Season standings -------------------------------------------------------------------

  function standingsSignature(row) {
    var cells = Object.keys(row.cells || {}).sort().map(function (k) {
      var c = row.cells[k];
      return k + ":" + c.rank + ":" + c.finished + ":" + c.points;
    }).join(",");
    var core = [row.points, row.wins, row.races, row.best_rank, cells].join("|");
    return { full: row.rank + "|" + core, core: core };
  }

  function Standings(table) {
    this.table = table;
    this.slug = table.getAttribute("data-season");
    var page = Number(table.getAttribute("data-page")) || 1;
    this.pageSize = Number(table.getAttribute("data-page-size")) || 50;
    this.offset = (page - 1) * this.pageSize;
    this.columns = Array.prototype.map.call(table.tHead ? table.tHead.rows[0].cells : [], function (th) {
      return { key: columnKey(th), th: th, raceId: raceIdOf(th) };
    });
    var self = this;
    this.socket = new LiveSocket(
      "/ws/seasons/" + encodeURIComponent(this.slug) + "/?offset=" + this.offset + "&limit=" + this.pageSize,
      function (message) { self.receive(message); }
    );
  }

  Standings.prototype.receive = function (message) {
    if (message.type !== "standings.snapshot" && message.type !== "standings.update") return;
    var wanted = Math.max(0, Math.min(this.pageSize, message.count - this.offset));
    if (message.offset === this.offset && message.rows.length >= wanted) {
      if (!this.seeded) { seedSignatures(this.table, message.rows, standingsSignature); this.seeded = true; }
      var self = this;
      applyRows(this.table, message.rows.slice(0, this.pageSize), function (row) { return self.renderRow(row); },
                standingsSignature, changedSet(message));
    } else if (message.type === "standings.update") {
      var me = this;
      clearTimeout(this.pending);
      this.pending = setTimeout(function () {
        me.socket.send({ type: "snapshot", offset: me.offset, limit: me.pageSize });
      }, 150);
    }
  };

  Standings.prototype.renderRow = function (row) {
    var tr = el("tr", { className: medal(row.rank), "data-racer": row.racer, "data-rank": row.rank });
    this.columns.forEach(function (col) {
      var td;
      switch (col.key) {
        case "rank":
          td = el("td", { className: "c-rank" }, [el("span", { className: "rank-badge", text: String(row.rank) })]);
          break;
        case "racer":
          td = el("td", { className: col.th.className }, [el("a", { href: racerUrl(row.racer), text: row.racer })]);
          break;
        case "points":
          td = el("td", { className: "num strong points", text: String(row.points) });
          break;
        case "wins":
          td = el("td", { className: "num", text: String(row.wins) });
          break;
        case "races":
          td = el("td", { className: "num", text: String(row.races) });
          break;
        case "race":
          var cell = (row.cells || {})[col.raceId];
          td = el("td", { className: "num c-race" });
          if (cell) {
            td.appendChild(el("span", {
              className: "cell-rank " + (cell.finished ? medal(cell.rank) : "dnf"),
              title: cell.finished ? "P" + cell.rank + ", " + cell.points + " pts" : "DNF (P" + cell.rank + ")",
              text: cell.finished ? "P" + cell.rank : "DNF",
            }));
            if (cell.points) td.appendChild(el("small", { className: "pts", text: String(cell.points) }));
          } else {
            td.appendChild(el("span", { className: "muted", "aria-label": "not entered", text: "·" }));
          }
          break;
        default:
          td = el("td", { className: col.th.className });
      }
      tr.appendChild(td);
    });
    return tr;
  };

  function EmptyStandings(node) {
    awaitFirstRows(node, "/ws/seasons/" + encodeURIComponent(node.getAttribute("data-season")) + "/", "standings",
      "section",
      function (section) {
        return section.id ? "#" + section.id : "section[aria-labelledby='" + section.getAttribute("aria-labelledby") + "']";
      },
      "table#standings[data-season]",
      function (table) { new Standings(table); });
  }

  // --- Submissions (the owner's pages) ------------------------------------------------------

  var STATUS_TEXT = {
    queued: "Waiting for a free worker. It starts on its own; this page shows the result when it lands.",
    running: "On track now — the official simulator is racing your model.",
    failed: "Your model failed during the race. Failed runs do not count against your quota.",
    error: "A fault on our side, not your model's. It does not count against your quota.",
  };

  function Submission(id, nodes) {
    this.id = id;
    this.nodes = nodes;
    var self = this;
    this.socket = new LiveSocket("/ws/submissions/" + id + "/", function (message) { self.receive(message); });
  }

  Submission.prototype.receive = function (message) {
    if (String(message.submission) !== String(this.id)) return;
    if (message.type === "submission.status") this.status(message);
    else if (message.type === "submission.progress") this.progress(message);
  };

  Submission.prototype.status = function (message) {
    var status = message.status;
    var changed = false;
    this.nodes.forEach(function (node) {
      var before = node.getAttribute("data-status");
      if (before === status) return;
      changed = true;
      node.setAttribute("data-status", status);
      if (node.classList.contains("badge")) {
        node.classList.remove("badge-" + before);
        node.classList.add("badge-" + status);
        node.textContent = STATUS_LABELS[status] || status;
      }
      if (before) node.classList.remove("status-" + before);
      if (node.className.indexOf("status-") !== -1 || node.id === "submission-status") node.classList.add("status-" + status);
    });
    var card = document.getElementById("submission-status");
    var onDetailPage = card && String(card.getAttribute("data-submission-id")) === String(this.id);
    if (onDetailPage) {
      var text = card.querySelector("[data-role=status-text]");
      if (text && STATUS_TEXT[status] && changed) text.textContent = STATUS_TEXT[status];
      var progress = card.querySelector("[data-role=progress]");
      if (progress && status !== "running") progress.hidden = true;
      var error = card.querySelector("[data-role=error]");
      if (message.error) {
        if (!error) { error = el("pre", { className: "error-box", "data-role": "error" }); card.appendChild(error); }
        error.textContent = message.error;
      } else if (error) {
        error.parentNode.removeChild(error);
      }
      if (changed) highlight(card, []);
    }
    this.resultCell(message);
    if (status === "running" && message.lap) this.progress({ lap: message.lap, laps: message.laps, time_s: null });
    if (message.final || FINAL[status]) {
      this.socket.stop();
      // The result section (figures, lap times, replay link) is rendered by the server.
      if (onDetailPage && changed) {
        refreshFragment("main", function () {
          var title = document.getElementById("result-title");
          highlight(title ? title.closest("section") : null, []);
        });
      }
    }
  };

  Submission.prototype.progress = function (message) {
    var behind = this.nodes.some(function (node) { return node.getAttribute("data-status") !== "running"; });
    if (behind) this.status({ submission: this.id, status: "running", error: "" });
    var text = "Lap " + message.lap + "/" + message.laps + (message.time_s !== null && message.time_s !== undefined ? " · " + raceTime(message.time_s) : "");
    var pct = message.laps ? Math.min(100, (100 * message.lap) / message.laps) : 0;
    var card = document.getElementById("submission-status");
    if (card && String(card.getAttribute("data-submission-id")) === String(this.id)) {
      var box = card.querySelector("[data-role=progress]");
      if (box) {
        box.hidden = false;
        box.textContent = "";
        box.appendChild(el("span", { className: "progress" }, [el("span", { className: "progress-bar", style: "width: " + pct.toFixed(1) + "%" })]));
        box.appendChild(el("span", { className: "progress-text", "data-role": "progress-text", text: text }));
      }
    }
    this.nodes.forEach(function (node) {
      if (node.tagName === "TR") {
        var cell = node.querySelector("td[data-label=Result]");
        if (cell) { cell.textContent = ""; cell.appendChild(el("span", { className: "progress-text", text: text })); }
      }
    });
  };

  // The garage's Result column.
  Submission.prototype.resultCell = function (message) {
    var id = this.id;
    this.nodes.forEach(function (node) {
      if (node.tagName !== "TR") return;
      var cell = node.querySelector("td[data-label=Result]");
      if (!cell) return;
      var href = "/submissions/" + id + "/";
      cell.textContent = "";
      if (message.result) {
        var r = message.result;
        if (r.status === "finished") cell.appendChild(el("a", { className: "mono", href: href, text: r.time }));
        else cell.appendChild(el("a", { href: href }, [el("span", { className: "badge badge-dnf", text: "DNF" }), " " + r.laps_completed + " laps + " + percent(r.progress)]));
      } else if (message.error) {
        cell.appendChild(el("span", { className: "error-text", title: message.error, text: message.error.length > 90 ? message.error.slice(0, 89) + "…" : message.error }));
      } else {
        cell.appendChild(el("span", { className: "muted", text: "—" }));
      }
      highlight(node, []);
    });
  };

  // --- Start ----------------------------------------------------------------------------------

  function start() {
    if (!("WebSocket" in window)) return;
    injectStyle();
    var board = document.querySelector("table#leaderboard[data-race-id]");
    if (board) new Board(board);
    else document.querySelectorAll("[data-live-board][data-race-id]").forEach(function (node) { new EmptyBoard(node); });

    var standings = document.querySelector("table#standings[data-season]");
    if (standings) new Standings(standings);
    else document.querySelectorAll("[data-live-standings][data-season]").forEach(function (node) { new EmptyStandings(node); });

    var groups = {};
    document.querySelectorAll("[data-submission-id]").forEach(function (node) {
      var id = node.getAttribute("data-submission-id");
      (groups[id] = groups[id] || []).push(node);
    });
    Object.keys(groups).filter(function (id) {
      return groups[id].some(function (node) { return !FINAL[node.getAttribute("data-status")]; });
    }).slice(0, MAX_SUBMISSION_SOCKETS).forEach(function (id) { new Submission(id, groups[id]); });
    updateLiveState();
  }

  window.leagueLive = { sockets: sockets, raceTime: raceTime, gap: gap };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
