/* A race's leaderboard, live: table#leaderboard[data-race-id][data-page][data-page-size]
 * [data-laps][data-replays="own" where the viewer may watch only their own replays],
 * rows tr[data-racer], or an empty board ([data-live-board][data-race-id]) that brings
 * the rendered table with its first rows. New rows are clones of
 * <template id="board-row-finished"> and <template id="board-row-dnf"> (the include
 * league/_board_row.html), filled in here. */

import { formatAgo, formatDateTime, formatGap, formatPercent, formatRaceTime, percentWidth } from "../format.js";
import { LiveTable, awaitFirstRows, highlight, medal, racerRow, setText } from "./rows.js";

function signature(row) {
  const core = [row.result_id, row.time_s, row.best_lap_s, row.laps, row.progress, row.off_track_count,
    row.collision_count, row.submissions].join("|");
  return { full: [row.rank, row.gap_s, core].join("|"), core };
}

/** The viewer's alias when signed in: the templates' rows are theirs ("you"), else null. */
function viewer() {
  const template = document.getElementById("board-row-finished");
  const tr = template && template.content.firstElementChild;
  return tr && tr.querySelector(".you") ? tr.getAttribute("data-racer") : null;
}

function fillProgress(tr, row, laps) {
  const progress = tr.querySelector(".c-gap .progress");
  progress.title = `Lap ${row.laps + 1} at ${formatPercent(row.progress)}`;
  progress.querySelector(".progress-bar").style.width = `${percentWidth(row.progress)}%`;
  setText(tr, ".c-gap .progress-text", `${row.laps}/${laps} + ${formatPercent(row.progress)}`);
}

/** A leaderboard row for a message's `row` (docs/live.md), as _board_row.html renders it. */
export function boardRow(row, laps) {
  const id = row.finished ? "board-row-finished" : "board-row-dnf";
  const me = viewer();
  const mine = me !== null && row.racer === me;
  const tr = racerRow(id, row, [medal(row.rank), !row.finished ? "dnf" : row.rank === 1 ? "is-leader" : "", mine ? "me" : ""]);
  tr.id = `rank-${row.rank}`;
  tr.setAttribute("data-result-id", row.result_id);
  const you = tr.querySelector(".c-racer .you");
  if (you && !mine) {
    you.previousSibling.remove(); // the space before it
    you.remove();
  }
  if (row.finished) {
    setText(tr, ".c-time", formatRaceTime(row.time_s));
    // The leader's own row has no gap; a tie with the leader reads +0.000. The time on hover.
    setText(tr, ".c-gap", formatGap(row.rank === 1 ? null : row.gap_s)).title = formatRaceTime(row.time_s);
  } else {
    fillProgress(tr, row, laps);
  }
  setText(tr, ".c-best", formatRaceTime(row.best_lap_s));
  setText(tr, ".c-laps", row.laps);
  setText(tr, ".c-off", row.off_track_count);
  setText(tr, ".c-hit", row.collision_count ?? 0); // boards of object avoidance and head-to-bot only
  setText(tr, ".c-subs", row.submissions);
  const time = tr.querySelector(".c-when time");
  time.setAttribute("datetime", row.submitted_at);
  time.title = formatDateTime(row.submitted_at);
  time.textContent = formatAgo(row.submitted_at);
  const replay = tr.querySelector(".c-replay a");
  const ownOnly = document.getElementById("leaderboard")?.dataset.replays === "own";
  if (row.replay_url && (mine || !ownOnly)) {
    replay.setAttribute("href", row.replay_url);
    replay.setAttribute("aria-label", `Replay of ${row.racer}'s run`);
  } else {
    replay.remove();
  }
  return tr;
}

// The racer count and "You are P3" (the viewer's rank, when their row is on this page).
function updateHeadline(rows, message, me) {
  document.querySelectorAll("[data-live-count]").forEach((node) => { node.textContent = String(message.count); });
  const mine = me && rows.find((row) => row.racer === me);
  if (!mine) return;
  document.querySelectorAll("[data-live-my-rank]").forEach((node) => {
    node.textContent = node.textContent.replace(/P\d+/, `P${mine.rank}`);
    const href = node.getAttribute("href");
    if (href) node.setAttribute("href", href.replace(/#rank-\d+/, `#rank-${mine.rank}`));
  });
}

export function followBoard(table) {
  const raceId = table.getAttribute("data-race-id");
  const laps = table.getAttribute("data-laps");
  const me = viewer();
  return new LiveTable(table, {
    stream: `/ws/races/${raceId}/`,
    kind: "leaderboard",
    accepts: (message) => String(message.race) === String(raceId),
    signature,
    render: (row) => boardRow(row, laps),
    after: (rows, message) => updateHeadline(rows, message, me),
  });
}

export function followEmptyBoard(node) {
  const section = node.closest("section[id], section.board-section") || node;
  awaitFirstRows(`/ws/races/${node.getAttribute("data-race-id")}/`, "leaderboard",
    section.id ? `#${section.id}` : ".board-section", "table#leaderboard[data-race-id]",
    (table) => {
      Array.from(table.tBodies[0].rows).forEach((tr) => highlight(tr, ["live-new"]));
      followBoard(table);
    });
}
