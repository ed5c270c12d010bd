/* Live league pages (docs/live.md): follows what the page's data attributes name.
 *   table#leaderboard[data-race-id] or an empty [data-live-board]          board.js
 *   table#standings[data-season] or empty [data-live-standings]            standings.js
 *   [data-submission-id][data-status] (submission page, garage; owner)    submissions.js
 * Sockets: socket.js. */

import { followBoard, followEmptyBoard } from "./board.js";
import { updateLiveState } from "./socket.js";
import { followEmptyStandings, followStandings } from "./standings.js";
import { followSubmissions } from "./submissions.js";

if ("WebSocket" in window) {
  const board = document.querySelector("table#leaderboard[data-race-id]");
  if (board) followBoard(board);
  else document.querySelectorAll("[data-live-board][data-race-id]").forEach(followEmptyBoard);

  const standings = document.querySelector("table#standings[data-season]");
  if (standings) followStandings(standings);
  else document.querySelectorAll("[data-live-standings][data-season]").forEach(followEmptyStandings);

  followSubmissions();
  updateLiveState();
}
