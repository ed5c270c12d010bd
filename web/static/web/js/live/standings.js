/* A season's standings, live: table#standings[data-season][data-page][data-page-size],
 * rows tr[data-racer], one column a race (th[data-race-id]), or empty standings
 * ([data-live-standings][data-season]) that bring the rendered table with their first
 * rows. New rows and cells are clones of <template id="standings-row"> and
 * <template id="standings-cell-finished|dnf|none"> (the includes
 * league/_standings_row.html and _standings_cell.html), filled in here. */

import { LiveTable, awaitFirstRows, clonePrototype, medal, racerRow, setText } from "./rows.js";

function signature(row) {
  const cells = Object.keys(row.cells || {}).sort().map((id) => {
    const c = row.cells[id];
    return `${id}:${c.rank}:${c.finished}:${c.points}`;
  }).join(",");
  const core = [row.points, row.wins, row.races, row.best_rank, cells].join("|");
  return { full: `${row.rank}|${core}`, core };
}

function cell(data) {
  if (!data) return clonePrototype("standings-cell-none");
  const td = clonePrototype(data.finished ? "standings-cell-finished" : "standings-cell-dnf");
  const rank = td.querySelector(".cell-rank");
  if (data.finished) {
    rank.className = `cell-rank ${medal(data.rank)}`;
    rank.title = `P${data.rank}, ${data.points} pts`;
    rank.textContent = `P${data.rank}`;
  } else {
    rank.title = `DNF (P${data.rank})`;
  }
  if (data.points) setText(td, ".pts", data.points);
  else td.querySelector(".pts").remove();
  return td;
}

/** A standings row for a message's `row` (docs/live.md), one cell a race of `raceIds`. */
export function standingsRow(row, raceIds) {
  const tr = racerRow("standings-row", row, [medal(row.rank)]);
  setText(tr, ".points", row.points);
  setText(tr, ".wins", row.wins);
  raceIds.forEach((id) => tr.appendChild(cell((row.cells || {})[id])));
  return tr;
}

export function followStandings(table) {
  const raceIds = Array.from(table.querySelectorAll("thead th[data-race-id]"), (th) => th.getAttribute("data-race-id"));
  return new LiveTable(table, {
    stream: `/ws/seasons/${encodeURIComponent(table.getAttribute("data-season"))}/`,
    kind: "standings",
    signature,
    render: (row) => standingsRow(row, raceIds),
  });
}

export function followEmptyStandings(node) {
  const section = node.closest("section") || node;
  const selector = section.id ? `#${section.id}` : `section[aria-labelledby='${section.getAttribute("aria-labelledby")}']`;
  awaitFirstRows(`/ws/seasons/${encodeURIComponent(node.getAttribute("data-season"))}/`, "standings",
    selector, "table#standings[data-season]", followStandings);
}
