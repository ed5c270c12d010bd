"""Where the boxes stand and where the bot cars drive, from the race's settings and seed.

Randomness comes from one `numpy.random.Generator(PCG64(seed))` per race
(`np.random.default_rng(seed)`), never from a global generator, drawn in a fixed order:
- object avoidance, random placement: `objects` uniform numbers (each box's place in its
  share of the lap), then `objects` integers 0/1 (its lane: 0 inside, 1 outside);
- head-to-bot: one integer 0/1 (the first bot's lane; the others alternate), then, with
  lane changes, for each bot in turn a fixed number of uniform intervals between its lane
  changes (enough to cover the longest time cap).
NumPy keeps a Generator's stream for a seed stable within a version; the result records
numpy's version with the seed, as it does for the trajectory.

Lanes: a lane's centre lies halfway between the centre line and that side's border, and
follows the width where it varies; a point beside the centre line lies along the normal
of its centre-line segment (so the race's projection gives back its offset exactly).
Positions along the track are arc lengths of the centre line from the start line
(waypoint 0), in driving order.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np

from ..params import TIME_CAP_RANGE_S, CarParams
from ..track import Track
from .geometry import Rect
from .params import OBSTACLES, FormatError, ObstacleParams, RaceFormat

_PI = math.pi
_TWO_PI = 2.0 * math.pi


class CentreLine:
    """Points of the centre line and its lanes by arc length (headings interpolated between
    waypoints as the race's projection does)."""

    def __init__(self, track: Track):
        self.track = track
        self.length_m = track.length_m
        n = track.n
        nxt = [*range(1, n), 0]
        cx, cy = track.center[:, 0].tolist(), track.center[:, 1].tolist()
        vh = track.vertex_heading_rad.tolist()
        lhw, rhw = track.left_half_width_m.tolist(), track.right_half_width_m.tolist()
        self._cum = track.cum_s_m.tolist()
        self._rows = []
        for i in range(n):
            j = nxt[i]
            seg = self._cum[i + 1] - self._cum[i]
            turn = (vh[j] - vh[i] + _PI) % _TWO_PI - _PI
            dx, dy, safe = cx[j] - cx[i], cy[j] - cy[i], max(seg, 1e-12)
            self._rows.append((cx[i], cy[i], dx, dy, safe, -dy / safe, dx / safe, vh[i], turn,
                               lhw[i], lhw[j] - lhw[i], rhw[i], rhw[j] - rhw[i]))
        self._last = n - 1
        self._columns = None
        # Which side of the centre line the infield is on: the left unless the loop runs
        # clockwise (in the direction it is driven).
        self.inside_side = -1.0 if track.clockwise else 1.0

    def at(self, s_m: float) -> tuple[float, float, float, float, float]:
        """(x, y, heading, left half width, right half width) at arc length s_m (wrapped)."""
        s = s_m % self.length_m
        i = min(bisect.bisect_right(self._cum, s) - 1, self._last)
        cx, cy, dx, dy, seg, _, _, vh, turn, lhw, dlhw, rhw, drhw = self._rows[i]
        t = (s - self._cum[i]) / seg
        return cx + t * dx, cy + t * dy, vh + turn * t, lhw + dlhw * t, rhw + drhw * t

    def lane_point(self, s_m: float, side: float) -> tuple[float, float, float, float]:
        """(x, y, track heading, offset) of a point `side` of the way from the centre line to
        its lane's centre: +1 the left lane's centre, -1 the right one's, 0 the centre line."""
        s = s_m % self.length_m
        i = min(bisect.bisect_right(self._cum, s) - 1, self._last)
        cx, cy, dx, dy, seg, nx, ny, vh, turn, lhw, dlhw, rhw, drhw = self._rows[i]
        t = (s - self._cum[i]) / seg
        offset = side * 0.5 * (lhw + dlhw * t if side >= 0.0 else rhw + drhw * t)
        return cx + t * dx + offset * nx, cy + t * dy + offset * ny, vh + turn * t, offset

    def columns(self) -> tuple[np.ndarray, np.ndarray]:
        """The arc lengths of the waypoints and the rows as 13 arrays (by column), for
        working on many points at once; made once."""
        if self._columns is None:
            self._columns = (np.array(self._cum), np.array(self._rows).T.copy())
        return self._columns

    def side_of(self, lane: str) -> float:
        return self.inside_side if lane == "inside" else -self.inside_side

    def lane_of(self, side: float) -> str:
        return "inside" if side == self.inside_side else "outside"


@dataclass(frozen=True)
class Box:
    index: int
    s_m: float  # arc length from the start line
    lane: str  # inside | outside
    side: float  # +1 left of the centre line, -1 right
    x_m: float
    y_m: float
    heading_rad: float  # along the track
    offset_m: float  # signed distance from the centre line, + left

    def rect(self, geometry: ObstacleParams) -> Rect:
        return (self.x_m, self.y_m, self.heading_rad, 0.5 * geometry.box_length_m, 0.5 * geometry.box_width_m)

    def to_dict(self, track_length_m: float) -> dict:
        return {"index": self.index, "lane": self.lane, "progress_pct": round(100.0 * self.s_m / track_length_m, 4),
                "s_m": round(self.s_m, 6), "x_m": round(self.x_m, 6), "y_m": round(self.y_m, 6),
                "heading_rad": round(self.heading_rad, 6)}


def place_boxes(line: CentreLine, fmt: RaceFormat, geometry: ObstacleParams = OBSTACLES) -> list[Box]:
    """The boxes of an object-avoidance race on this track (random from the seed, or fixed)."""
    length = line.length_m
    clear = geometry.start_clear_m
    spacing = geometry.min_box_spacing_m
    usable = length - 2.0 * clear
    n = fmt.objects
    if fmt.placement == "fixed":
        places = [(f.progress_pct / 100.0 * length, f.lane) for f in fmt.fixed_objects]
        lo_pct, hi_pct = 100.0 * clear / length, 100.0 * (length - clear) / length
        for k, (s, _) in enumerate(places, 1):
            if not clear <= s <= length - clear:
                raise FormatError(f"fixed position {k} ({fmt.fixed_objects[k - 1].progress_pct:g} %) is within "
                                  f"{clear:g} m of the start line on this {length:.2f} m track; place boxes "
                                  f"between {lo_pct:.1f} % and {hi_pct:.1f} %")
        order = sorted(range(n), key=lambda k: places[k][0])
        for a, b in zip(order, order[1:]):
            if places[b][0] - places[a][0] < spacing:
                raise FormatError(f"fixed positions {a + 1} and {b + 1} are "
                                  f"{places[b][0] - places[a][0]:.2f} m apart on this track; boxes must be at "
                                  f"least {spacing:g} m ({100.0 * spacing / length:.1f} %) apart")
    else:
        share = usable / n if n else 0.0
        if share < spacing:
            most = max(int(usable // spacing), 0)
            raise FormatError(f"this {length:.2f} m track has room for {most} boxes at most ({spacing:g} m apart "
                              f"and {clear:g} m clear of the start line); set objects to {most} or fewer")
        rng = np.random.default_rng(fmt.seed)
        where = rng.random(n).tolist()
        lanes = rng.integers(0, 2, n).tolist()
        # Each box in its own share of the lap, away from the share's ends by half the
        # spacing: neighbours are never closer than the spacing.
        places = [(clear + share * k + 0.5 * spacing + u * (share - spacing), "inside" if lane == 0 else "outside")
                  for k, (u, lane) in enumerate(zip(where, lanes))]
    boxes = []
    for k, (s, lane) in enumerate(places):
        side = line.side_of(lane)
        x, y, h, offset = line.lane_point(s, side)
        boxes.append(Box(k, s, lane, side, x, y, h, offset))
    return boxes


class BotPlan:
    """Where each bot car is at control step n: a pure function of n, the same however
    the race goes. Bots start evenly spaced ahead of the start line (bot k at
    (k + 1) / (bots + 1) of the lap), in alternating lanes, and drive their lane at the set
    speed; with lane changes each moves to the other lane at seeded times, its lateral
    position following a smoothstep over `lane_change_s`.

    Poses are worked out for CHUNK steps at a time, all bots at once, with numpy's
    elementwise arithmetic (exactly rounded, so the same on every machine); the one
    transcendental function, the heading's turn while changing lanes, is Python's
    math.atan2, as the car's own physics use. A step then costs the race a list lookup.
    """

    CHUNK = 128

    def __init__(self, line: CentreLine, fmt: RaceFormat, car: CarParams = CarParams(),
                 geometry: ObstacleParams = OBSTACLES):
        self.line = line
        self.count = fmt.bots
        self.speed_m_s = fmt.bot_speed_m_s
        self.dt_s = car.control_dt_s
        self.half_length_m = 0.5 * car.length_m
        self.half_width_m = 0.5 * car.width_m
        self.lane_change_s = geometry.lane_change_s
        length = line.length_m
        rng = np.random.default_rng(fmt.seed)
        first = 1.0 if int(rng.integers(0, 2)) == 0 else -1.0  # 0: the inside lane
        first *= line.inside_side
        self.start_s_m = [length * (k + 1) / (self.count + 1) for k in range(self.count)]
        self.start_side = [first if k % 2 == 0 else -first for k in range(self.count)]
        # Lane-change start times per bot, covering the longest time cap.
        lo, hi = geometry.lane_change_interval_s
        draws = math.ceil(TIME_CAP_RANGE_S[1] / lo) + 1
        self.change_times_s: list[list[float]] = []
        for _ in range(self.count):
            if fmt.bot_lane_change:
                self.change_times_s.append(np.cumsum(rng.uniform(lo, hi, draws)).tolist())
            else:
                self.change_times_s.append([])
        self._times = [np.array(t) for t in self.change_times_s]
        self._cum, self._rows = line.columns()
        self._chunk_first = -1
        self._chunk = np.empty((0, self.count, 5))
        self._chunk_rects: list[list[Rect]] = []

    def side_at(self, k: int, t_s: float) -> tuple[float, float]:
        """(side, d side / dt) of bot k at time t_s: +-1 in a lane's centre, in between while
        changing lanes."""
        side, rate = self._lanes(k, np.array([t_s]))
        return float(side[0]), float(rate[0])

    def _lanes(self, k: int, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(side, d side / dt) of bot k at times t."""
        start = self.start_side[k]
        times = self._times[k]
        if not len(times):
            return np.full(len(t), start), np.zeros(len(t))
        done = np.searchsorted(times, t, side="right")
        side = np.where(done % 2 == 0, start, -start)
        u = (t - times[np.maximum(done - 1, 0)]) / self.lane_change_s
        changing = (done > 0) & (u < 1.0)
        before = -side
        jump = side - before
        side = np.where(changing, before + jump * u * u * (3.0 - 2.0 * u), side)
        rate = np.where(changing, jump * 6.0 * u * (1.0 - u) / self.lane_change_s, 0.0)
        return side, rate

    def poses_between(self, first: int, count: int) -> np.ndarray:
        """(count, bots, 5): x, y, heading, s, offset of each bot after steps first ..
        first + count - 1, placed as `CentreLine.lane_point` places a point."""
        t = (np.arange(first, first + count) * self.dt_s)[:, None]
        s = (np.array(self.start_s_m) + self.speed_m_s * t) % self.line.length_m
        side, rate = np.empty_like(s), np.empty_like(s)
        for k in range(self.count):
            side[:, k], rate[:, k] = self._lanes(k, t[:, 0])
        cx, cy, dx, dy, seg, nx, ny, vh, turn, lhw, dlhw, rhw, drhw = self._rows
        i = np.minimum(np.searchsorted(self._cum, s, side="right") - 1, len(seg) - 1)
        f = (s - self._cum[i]) / seg[i]
        half = 0.5 * np.where(side >= 0.0, lhw[i] + dlhw[i] * f, rhw[i] + drhw[i] * f)
        out = np.empty((count, self.count, 5))
        out[..., 4] = offset = side * half
        out[..., 3] = s
        out[..., 2] = h = vh[i] + turn[i] * f
        out[..., 1] = cy[i] + f * dy[i] + offset * ny[i]
        out[..., 0] = cx[i] + f * dx[i] + offset * nx[i]
        # The heading of the motion: along the lane, turned by the lateral speed.
        changing = np.nonzero(rate)
        if len(changing[0]):
            v = self.speed_m_s
            lateral = (rate[changing] * half[changing]).tolist()
            out[..., 2][changing] = [a + math.atan2(b, v) for a, b in zip(h[changing].tolist(), lateral)]
        return out

    def _load(self, step: int) -> int:
        """Make sure the chunk holding `step` is at hand; the step's index in it."""
        k = step - self._chunk_first
        if not 0 <= k < len(self._chunk):
            self._chunk_first = step - step % self.CHUNK
            self._chunk = poses = self.poses_between(self._chunk_first, self.CHUNK)
            rects = poses.copy()
            rects[..., 3], rects[..., 4] = self.half_length_m, self.half_width_m
            # Python floats in lists, ready for the contact tests; the poses are read from
            # the array when asked for (rarely).
            self._chunk_rects = rects.tolist()
            k = step - self._chunk_first
        return k

    def poses(self, step: int) -> list[list[float]]:
        """[x, y, heading, s, offset] of each bot after `step` control steps (0: at the start)."""
        k = self._load(step)  # first: it may replace the chunk
        return self._chunk[k].tolist()

    def pose(self, k: int, step: int) -> list[float]:
        return self.poses(step)[k]

    def rects(self, step: int) -> list[Rect]:
        """Each bot's footprint after `step` control steps (as lists: x, y, heading, half
        length, half width)."""
        k = self._load(step)
        return self._chunk_rects[k]
