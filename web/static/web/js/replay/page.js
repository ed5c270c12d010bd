/* The replay page's configuration, elements and playback state, shared by its modules.
 *
 * Configuration: <script type="application/json" id="replay-config"> (web/pages/replays.py):
 * the replay and result URLs, the video's status, the runs to compare with. */

const $ = (id) => document.getElementById(id);

const configNode = $("replay-config");

/** The page's configuration, or null on a page without a replay. */
export const cfg = configNode ? JSON.parse(configNode.textContent) : null;

export const els = {
  stage: $("rp-stage"), track: $("rp-track"), speed: $("rp-speed"), gap: $("rp-gap"),
  gapWrap: $("rp-gap-wrap"), play: $("rp-play"), back: $("rp-back"), forward: $("rp-forward"),
  scrub: $("rp-scrub"), marks: $("rp-marks"), time: $("rp-time"), rate: $("rp-rate"),
  lapsShown: $("rp-laps-shown"), ghost: $("rp-ghost"), ghostNote: $("rp-ghost-note"),
  splits: $("rp-splits"), loading: $("rp-loading"), penalty: $("rp-penalty"),
  hudLap: $("rp-hud-lap"), hudClock: $("rp-hud-clock"), hudSpeed: $("rp-hud-speed"),
  hudGap: $("rp-hud-gap"), hudGapBox: $("rp-hud-gap-box"), traceLegend: $("rp-trace-legend"),
  videoSlot: $("rp-video-slot"), videoDownload: $("rp-video-download"), videoMessage: () => $("rp-video-message"),
};

/** What is shown: the run and its ghost (data.js), the position (a fractional step), ... */
export const state = {
  run: null, ghost: null, ghostId: null, track: null, pos: 0, playing: false, rate: 1, lapsShown: "all",
  lastTs: null, view: null, staticLayer: null, dirty: true, gaps: null, currentLap: null,
};

/** Is `lap` (0-based) among the laps whose racing line is shown? */
export function lapVisible(lap) {
  return state.lapsShown === "all" || Number(state.lapsShown) === lap;
}
