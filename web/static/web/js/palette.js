/* The speed palette, read from the page: `{% speed_palette %}` (web/templatetags/league_web.py)
 * writes simulator/render.py's SPEED_PALETTE and the car's top speed into
 * <script type="application/json" id="speed-palette">. `speedColour` mirrors render.py's
 * `speed_colour` (the videos' colours), rounding halves to even as Python does. */

import { roundHalfEven } from "./format.js";

function read() {
  const node = document.getElementById("speed-palette");
  if (!node) throw new Error("the page has no speed palette ({% speed_palette %})");
  const data = JSON.parse(node.textContent);
  return { stops: data.stops, vMax: data.v_max_m_s };
}

let palette = null;

/** {stops: [[fraction, [r, g, b]], ...], vMax: top speed in m/s} */
export function speedPalette() {
  return palette || (palette = read());
}

/** The palette's [r, g, b] for a speed, clipped to 0..vMax. */
export function speedColour(v, vMax = speedPalette().vMax) {
  const { stops } = speedPalette();
  let f = v / vMax;
  f = 0 > f ? 0 : f; // max(f, 0.0) and min(f, 1.0) as Python's: NaN stays NaN
  f = 1 < f ? 1 : f;
  for (let k = 1; k < stops.length; k++) {
    const [f0, c0] = stops[k - 1];
    const [f1, c1] = stops[k];
    if (f <= f1) {
      const a = (f - f0) / (f1 - f0);
      return c0.map((c, i) => roundHalfEven(c + (c1[i] - c) * a));
    }
  }
  return stops[stops.length - 1][1].slice();
}

/** The colour as CSS: "rgb(52,199,89)". */
export function speedCss(v) {
  return `rgb(${speedColour(v).join(",")})`;
}
