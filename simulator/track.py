"""Track geometry: DeepRacer's (N, 6) waypoint files, arc length and projection.

A file is `[center_x, center_y, inner_x, inner_y, outer_x, outer_y]` per row, in driving
order. "Inner" is the infield for the file's own orientation, so which border is on the
car's left depends on whether the loop runs clockwise; we sort that out once here and
everything downstream speaks of left and right borders.

A race may run a track the other way round (`Track.reversed()`): see `reverse_waypoints`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .track_checks import geometry_problem

MIN_WAYPOINTS = 5
MAX_COORDINATE_M = 1e7
MIN_HALF_WIDTH_M = 0.02
DUPLICATE_EPS_M = 1e-6
# Spacing of the dense resampling used for look-ahead points and the camera texture.
DENSE_SPACING_M = 0.01


class TrackError(ValueError):
    """A track file that cannot be raced; the message is one line naming the problem."""


class Projection(NamedTuple):
    index: int  # segment from waypoint `index` to `index + 1`
    t: float  # position along that segment, 0..1
    s_m: float  # arc length of the closest centre-line point, 0 <= s_m < length_m
    offset_m: float  # signed distance from the centre line, positive = left
    track_heading_rad: float
    left_half_width_m: float
    right_half_width_m: float


_PI = math.pi
_TWO_PI = 2.0 * math.pi
_new_tuple = tuple.__new__  # a NamedTuple without its Python-level __new__


def wrap_angle(a: float) -> float:
    """Wrap to (-pi, pi]. (Inlined, operation for operation, where it runs every step.)"""
    a = math.fmod(a + _PI, _TWO_PI)
    if a <= 0.0:
        a += _TWO_PI
    return a - _PI


def reverse_waypoints(waypoints: np.ndarray) -> np.ndarray:
    """The same loop driven the other way round: rows 0, N-1, N-2, ..., 1.

    Row 0 stays first, so the start line stays where it is (on the file's waypoint 0)
    and the car leaves it in the opposite direction. Each row is kept whole: the inner
    border is still the infield, which is now on the car's other side. Only rows move,
    so reversing twice gives back the same array, bit for bit.
    """
    return np.roll(waypoints[::-1], 1, axis=0)


class Track:
    """A closed track. Arrays are float64; the loop is not closed by a repeated row.

    `is_reversed` says whether this is a track file driven against its own order.
    `inner_is_left` is worked out from the geometry unless given (`reversed()` gives it).
    """

    def __init__(self, waypoints: np.ndarray, name: str = "", *, is_reversed: bool = False,
                 inner_is_left: bool | None = None):
        self.name = name
        self.waypoints = waypoints
        self.is_reversed = is_reversed
        self._other_way: Track | None = None
        center = waypoints[:, 0:2].copy()
        inner = waypoints[:, 2:4]
        outer = waypoints[:, 4:6]
        n = len(center)
        nxt = np.roll(center, -1, axis=0)
        seg = nxt - center
        seg_len = np.hypot(seg[:, 0], seg[:, 1])
        # Tangent at each waypoint: the chord between its neighbours, robust to uneven spacing.
        chord = nxt - np.roll(center, 1, axis=0)
        vertex_heading = np.arctan2(chord[:, 1], chord[:, 0])
        tangent = np.stack([np.cos(vertex_heading), np.sin(vertex_heading)], axis=1)
        cross_inner = tangent[:, 0] * (inner[:, 1] - center[:, 1]) - tangent[:, 1] * (
            inner[:, 0] - center[:, 0]
        )
        if inner_is_left is None:
            inner_is_left = float(np.sum(np.sign(cross_inner))) >= 0.0
        self.left = (inner if inner_is_left else outer).copy()
        self.right = (outer if inner_is_left else inner).copy()
        self.center = center
        self.clockwise = not inner_is_left
        self.left_half_width_m = np.hypot(*(self.left - center).T)
        self.right_half_width_m = np.hypot(*(self.right - center).T)
        self.width_m = self.left_half_width_m + self.right_half_width_m
        self.cum_s_m = np.concatenate([[0.0], np.cumsum(seg_len)])
        self.length_m = float(self.cum_s_m[-1])
        self.n = n
        self.segment_heading_rad = np.arctan2(seg[:, 1], seg[:, 0])
        self.vertex_heading_rad = vertex_heading
        self.bounds = (
            float(min(self.left[:, 0].min(), self.right[:, 0].min(), center[:, 0].min())),
            float(min(self.left[:, 1].min(), self.right[:, 1].min(), center[:, 1].min())),
            float(max(self.left[:, 0].max(), self.right[:, 0].max(), center[:, 0].max())),
            float(max(self.left[:, 1].max(), self.right[:, 1].max(), center[:, 1].max())),
        )
        # Plain Python lists: the per-step projection walks these one element at a time,
        # where list indexing is several times cheaper than numpy scalar indexing.
        self._cx = center[:, 0].tolist()
        self._cy = center[:, 1].tolist()
        self._dx = seg[:, 0].tolist()
        self._dy = seg[:, 1].tolist()
        self._len = seg_len.tolist()
        self._inv_len2 = (1.0 / np.maximum(seg_len, 1e-12) ** 2).tolist()
        self._cum = self.cum_s_m.tolist()
        self._vh = vertex_heading.tolist()
        turn = np.roll(vertex_heading, -1) - vertex_heading
        self._vdh = (np.mod(turn + np.pi, 2 * np.pi) - np.pi).tolist()
        self._lhw = self.left_half_width_m.tolist()
        self._rhw = self.right_half_width_m.tolist()
        # What the per-step walk and projection read of segment i, in one tuple each: a
        # single index instead of a dozen. Half widths interpolate as start + (end - start) * t.
        self._walk_rows = list(zip(self._cx, self._cy, self._dx, self._dy, self._inv_len2))
        nxt = [*range(1, n), 0]
        self._proj_rows = [
            (self._cx[i], self._cy[i], self._dx[i], self._dy[i], self._len[i], max(self._len[i], 1e-12),
             self._vh[i], self._vdh[i], self._cum[i],
             self._lhw[i], self._lhw[nxt[i]] - self._lhw[i], self._rhw[i], self._rhw[nxt[i]] - self._rhw[i])
            for i in range(n)
        ]
        self._dense = None

    def reversed(self) -> Track:
        """This track driven the other way round (see `reverse_waypoints`).

        Left and right swap exactly (decided from this track, not re-guessed from the
        geometry), so `clockwise` flips. Made once per track and kept, with the way
        back: the reversed track's sensor tables are built once, like the forward one's.
        """
        if self._other_way is None:
            other = Track(reverse_waypoints(self.waypoints), name=self.name, is_reversed=not self.is_reversed,
                          inner_is_left=self.clockwise)
            other._other_way = self
            self._other_way = other
        return self._other_way

    # -- projection ------------------------------------------------------------------------

    def closest_segment(self, x: float, y: float, hint: int | None = None) -> tuple[int, float]:
        """Closest centre-line segment and the position along it.

        With a hint (the previous answer) this walks downhill from there, while a
        neighbouring segment is strictly closer, which is amortised constant time for a
        car that moves a little each step; without one it searches the whole track.
        """
        if hint is None:
            return self._closest_global(x, y)
        p = self._project(x, y, hint)
        return p[0], p[1]

    def _closest_global(self, x: float, y: float) -> tuple[int, float]:
        c = self.center
        seg = np.roll(c, -1, axis=0) - c
        p = np.array([x, y]) - c
        inv = np.asarray(self._inv_len2)
        t = np.clip((p * seg).sum(axis=1) * inv, 0.0, 1.0)
        e = p - t[:, None] * seg
        d = (e * e).sum(axis=1)
        i = int(np.argmin(d))
        return i, float(t[i])

    def project(self, x: float, y: float, hint: int | None = None) -> Projection:
        """Projection on the closest segment (see closest_segment for the hint)."""
        if hint is None:
            i, t = self._closest_global(x, y)
            return self._project(x, y, i, t)
        return self._project(x, y, hint)

    def _project(self, x: float, y: float, i: int, t: float | None = None) -> Projection:
        """Projection at position t along segment i, or without t, on the closest segment
        walking from segment i. One function, everything inlined: this runs every step."""
        if t is None:
            n = self.n
            rows = self._walk_rows
            start = i = j = i % n
            best = -1.0
            best_t = 0.0
            direction = 1
            while True:
                cx, cy, dx, dy, inv = rows[j]
                px = x - cx
                py = y - cy
                t = (px * dx + py * dy) * inv
                t = 0.0 if t < 0.0 else (1.0 if t > 1.0 else t)
                ex = px - t * dx
                ey = py - t * dy
                d = ex * ex + ey * ey
                if best < 0.0 or d < best:
                    i, best, best_t = j, d, t
                    j = (j + direction) % n
                elif direction == 1 and i == start:
                    # No closer segment ahead of the hint: walk backwards instead. (Once
                    # the walk has moved forwards, the segment behind is where it came from.)
                    direction = -1
                    j = (i - 1) % n
                else:
                    break
            t = best_t
        cx, cy, dx, dy, seg_len, safe_len, vh, vdh, cum, lhw, dlhw, rhw, drhw = self._proj_rows[i]
        offset = (dx * (y - cy) - dy * (x - cx)) / safe_len
        heading = math.fmod(vh + vdh * t + _PI, _TWO_PI)  # wrap_angle(vh + vdh * t)
        if heading <= 0.0:
            heading += _TWO_PI
        heading -= _PI
        s = cum + t * seg_len
        if s >= self.length_m:
            s -= self.length_m
        return _new_tuple(Projection, (i, t, s, offset, heading, lhw + dlhw * t, rhw + drhw * t))

    # -- positions along the centre line ---------------------------------------------------

    def point_at(self, s_m: float) -> tuple[float, float, float]:
        """(x, y, heading) of the centre line at arc length s_m (wrapped onto the loop)."""
        s = s_m % self.length_m
        i = int(np.searchsorted(self.cum_s_m, s, side="right")) - 1
        i = min(max(i, 0), self.n - 1)
        t = (s - self._cum[i]) / max(self._len[i], 1e-12)
        x = self._cx[i] + t * self._dx[i]
        y = self._cy[i] + t * self._dy[i]
        return x, y, float(self.segment_heading_rad[i])

    def dense_centre(self) -> np.ndarray:
        """Centre line resampled every ~DENSE_SPACING_M of arc length, shape (M, 2).

        Sample k sits at arc length k * length_m / M, so any arc length maps to a sample
        index by one multiplication.
        """
        if self._dense is None:
            m = max(int(math.ceil(self.length_m / DENSE_SPACING_M)), 4)
            s = np.arange(m) * (self.length_m / m)
            closed = np.vstack([self.center, self.center[:1]])
            x = np.interp(s, self.cum_s_m, closed[:, 0])
            y = np.interp(s, self.cum_s_m, closed[:, 1])
            self._dense = np.stack([x, y], axis=1)
        return self._dense

    def waypoint_index_at(self, s_m: float) -> int:
        s = s_m % self.length_m
        i = int(np.searchsorted(self.cum_s_m, s, side="right")) - 1
        return min(max(i, 0), self.n - 1)


def track_from_array(arr: object, name: str = "") -> Track:
    """Validate and clean a DeepRacer waypoint array; raise TrackError with the reason.
    The file's shape as a track (sides, crossings, a closed loop, width) is checked by
    `track_checks.geometry_problem`, which only refuses: what it accepts is unchanged."""
    if not isinstance(arr, np.ndarray):
        raise TrackError(f"track is not a numpy array (got {type(arr).__name__})")
    if arr.dtype.kind not in "fiu":
        raise TrackError(f"track array has dtype {arr.dtype}, expected numbers (float64)")
    if arr.ndim != 2 or arr.shape[1] != 6:
        raise TrackError(
            f"track array has shape {arr.shape}, expected (N, 6) rows of "
            "[center_x, center_y, inner_x, inner_y, outer_x, outer_y]"
        )
    if arr.shape[0] == 0:
        raise TrackError(f"track has no waypoints, at least {MIN_WAYPOINTS} are needed")
    a = arr.astype(np.float64)
    bad = ~np.isfinite(a).all(axis=1)
    if bad.any():
        raise TrackError(f"track has NaN or infinite values at waypoint {int(np.argmax(bad))}")
    if np.abs(a).max() > MAX_COORDINATE_M:
        raise TrackError("track coordinates exceed 10,000 km; are they in metres?")
    # Drop consecutive duplicates (real files repeat points) and the closing repeat.
    keep = [0]
    for k in range(1, len(a)):
        if np.hypot(*(a[k, :2] - a[keep[-1], :2])) > DUPLICATE_EPS_M:
            keep.append(k)
    a = a[keep]
    while len(a) > 1 and np.hypot(*(a[-1, :2] - a[0, :2])) <= DUPLICATE_EPS_M:
        a = a[:-1]
    if len(a) < MIN_WAYPOINTS:
        raise TrackError(
            f"track has {len(a)} distinct waypoints, at least {MIN_WAYPOINTS} are needed"
        )
    rows = np.asarray(keep[: len(a)])  # each waypoint's row in the file, for the messages
    track = Track(a, name=name)
    narrow = np.minimum(track.left_half_width_m, track.right_half_width_m) < MIN_HALF_WIDTH_M
    if narrow.any():
        raise TrackError(
            f"track has (almost) zero width at waypoint {rows[int(np.argmax(narrow))]}: "
            "the borders must lie on both sides of the centre line"
        )
    problem = geometry_problem(track.center, track.left, track.right, inner_is_left=not track.clockwise, rows=rows)
    if problem:
        raise TrackError(problem)
    return track


def load_track_file(path: str | Path) -> Track:
    """Load a DeepRacer `.npy` track file; never unpickles."""
    path = Path(path)
    if not path.is_file():
        raise TrackError(f"track file {path} does not exist")
    with open(path, "rb") as fh:
        magic = fh.read(6)
    if magic != b"\x93NUMPY":
        kind = "a .npz archive" if magic.startswith(b"PK") else "not a numpy .npy file"
        raise TrackError(f"{path.name} is {kind}; expected a single (N, 6) array saved by numpy.save")
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise TrackError(
                f"{path.name} holds pickled Python objects, not a plain numeric array"
            ) from None
        raise TrackError(f"{path.name} is not a readable .npy array ({_first_line(exc)})") from None
    except (OSError, EOFError) as exc:
        raise TrackError(f"{path.name} is not a readable .npy array ({_first_line(exc)})") from None
    except MemoryError:
        raise TrackError(f"{path.name} declares an array too large to be a track") from None
    except Exception as exc:  # numpy's header parser lets tokenizer errors through
        raise TrackError(f"{path.name} is not a readable .npy array ({type(exc).__name__})") from None
    return track_from_array(arr, name=path.stem)


def _first_line(exc: Exception, limit: int = 200) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:limit] if lines else type(exc).__name__
