/* Draws everything for the current position: map, charts, HUD. */

import { drawGapChart, drawSpeedTrace } from "./charts.js";
import { drawTrack } from "./map.js";
import { state } from "./page.js";
import { updateHud } from "./panels.js";

export function render() {
  if (!state.run) return;
  const pose = drawTrack();
  drawSpeedTrace(pose);
  if (state.ghost) drawGapChart(pose);
  updateHud(pose);
}
