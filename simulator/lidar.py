"""The LIDAR sensor: 64 ranges cast against the track's edges (low barriers), clipped like
DeepRacer's.

A beam's range is its nearest hit among the edge segments. For beam direction u and
segment a + s * d, with q = a - car:
    denom = ux*dy - uy*dx,  r = (qx*dy - qy*dx) / denom,  t = (qx*uy - qy*ux) / denom
and (r, t) is a hit when r >= 0 and 0 <= t <= 1. `fill_all_pairs` is that, plainly, for
every beam and every segment near the car: the definition.

`writer` (and `fill`), what races use, computes the same ranges (to well under a
nanometre) in a few numpy calls, because a step's cost is the number of calls far more
than their size:
- the segments near the car come from a grid of small cells, built once per cell;
- the three cross products a pair needs, denom, t*denom = cross(q, u) and
  (1 - t)*denom = cross(u, q + d), are linear in (ux, uy, 1) with coefficients that
  depend on the segment and the car's position only; with the beams fixed in the car's
  frame, one small product turns a cell's constant table into those coefficients for
  this pose, and a second gives every pair's three values at once;
- a pair is a hit when r >= 0 and t and 1 - t have the same sign (t*denom and
  (1-t)*denom do), so one division per pair is enough;
- a miss is marked by its sign bit: r's own when r < 0, set by hand when t*(1 - t) < 0.
  Read as unsigned integers, the bits of floats >= 0 sort as the floats do and any with
  the sign bit sort above them all, so a plain integer minimum over the beams' pairs
  finds the nearest hit without a mask (a NaN from a zero denom sorts above too). Only
  exact zeros could tell the two ways apart (r = -0.0: the car exactly on an edge's
  line; t*(1 - t) = -0.0: a beam exactly through a corner), which a car's position
  does not meet;
- the views and constants a step uses are made once, per cell size or per writer, and
  numpy's error state for the division is set without `np.errstate`'s own cost.
"""

from __future__ import annotations

import math
import struct
from functools import partial
from typing import Callable

import numpy as np

from .params import LidarParams
from .track import Track
from .vehicle import CarState

DEG = math.pi / 180.0
# The C function behind np.dot, without the __array_function__ dispatch (NEP 18's
# `_implementation`): called with plain arrays every step, where the dispatch costs as
# much as the call.
_dot = getattr(np.dot, "_implementation", np.dot)


def _quiet_errors(internals: bool = True):
    """(enter, leave): numpy's division errors ignored in between, as
    `np.errstate(divide="ignore", invalid="ignore")` does, at a fraction of its cost per
    step: the error state np.errstate would make is made once, and only set and reset
    each step (numpy keeps it in a context variable). Falls back to np.errstate itself
    if numpy moves those internals (or without `internals`)."""
    try:
        if not internals:
            raise ImportError("np.errstate asked for")
        # Imported here: numpy's private modules, for this one fast path (see above).
        from numpy._core._multiarray_umath import _make_extobj
        from numpy._core._ufunc_config import _extobj_contextvar

        quiet = _make_extobj(divide="ignore", invalid="ignore")
        return partial(_extobj_contextvar.set, quiet), _extobj_contextvar.reset
    except (ImportError, AttributeError, TypeError):
        def enter():
            state = np.errstate(divide="ignore", invalid="ignore")
            state.__enter__()
            return state

        return enter, lambda state: state.__exit__(None, None, None)


_quiet, _loud = _quiet_errors()
_divide, _multiply, _bitwise_and, _bitwise_or, _maximum = (
    np.divide, np.multiply, np.bitwise_and, np.bitwise_or, np.maximum)
_copyto = getattr(np.copyto, "_implementation", np.copyto)  # as _dot, without the dispatch
_minimum_reduce = np.minimum.reduce  # (array, axis, dtype, out, keepdims, initial)
_SIGN = np.array(np.iinfo(np.int64).min)  # the sign bit of a float64, as an int64


class LidarSensor:
    # A coarse grid of square cells, max(clipping distance, 0.25 m), lists the segments
    # whose bounding box grown by the clipping distance overlaps a cell. The first time
    # the car is in a coarse cell it is split into SPLIT x SPLIT fine cells that keep
    # only the segments within reach of some point in them, plus a margin far above
    # rounding: a dropped segment can only be hit beyond the clipping distance.
    SPLIT = 4
    MARGIN_M = 1e-3

    def __init__(self, track: Track, params: LidarParams, walls: tuple[np.ndarray, np.ndarray] | None = None):
        """`walls`: more segments the beams hit, (starts (n, 2), directions (n, 2)): the
        sides of the boxes of an object-avoidance race, which stand still."""
        self.params = params
        angles = np.linspace(params.min_angle_deg, params.max_angle_deg, params.beams) * DEG
        self._angles = angles
        starts = []
        dirs = []
        for border in (track.left, track.right):
            nxt = np.roll(border, -1, axis=0)
            starts.append(border)
            dirs.append(nxt - border)
        if walls is not None:
            starts.append(walls[0])
            dirs.append(walls[1])
        a = np.vstack(starts)
        d = np.vstack(dirs)
        self._a = a
        self._d = d
        reach = params.clipping_dist_m
        self._cell = max(reach, 0.25)
        self._origin = np.array([track.bounds[0] - reach, track.bounds[1] - reach])
        lo = np.minimum(a, a + d) - reach
        hi = np.maximum(a, a + d) + reach
        cell_lo = np.floor((lo - self._origin) / self._cell).astype(int)
        cell_hi = np.floor((hi - self._origin) / self._cell).astype(int)
        cells: dict[tuple[int, int], list[int]] = {}
        for k in range(len(a)):
            for i in range(cell_lo[k, 0], cell_hi[k, 0] + 1):
                for j in range(cell_lo[k, 1], cell_hi[k, 1] + 1):
                    cells.setdefault((i, j), []).append(k)
        self._cells = {key: np.array(v) for key, v in cells.items()}
        self._fine = self._cell / self.SPLIT
        # As Python floats: the per-step key is scalar arithmetic. (Which of two cells a
        # point on their border falls in does not matter: both keep its segments.)
        self._ox, self._oy = float(self._origin[0]), float(self._origin[1])
        self._per_fine = 1.0 / self._fine
        self._within_m = reach + self._fine * math.sqrt(0.5) + self.MARGIN_M  # of a fine centre
        self._fine_cells: dict[tuple[int, int], tuple | None] = {}
        # The beams in the car's frame, homogeneous: rows cos, sin, 1.
        self._beams = np.stack([np.cos(angles), np.sin(angles), np.ones_like(angles)])
        # The pose matrix (see `_table`), rewritten every step through struct: cheaper than
        # numpy item assignment.
        self._pose = np.zeros((6, 3))
        self._pose_bytes = memoryview(self._pose).cast("B")
        self._pack_pose = struct.Struct("18d").pack_into
        self._ranges = np.empty(len(angles))
        self._work: dict[int, tuple] = {}
        # np.clip(x, lo, hi) is min(max(x, lo), hi); with lo <= hi that is max(min(x, hi), lo),
        # and min(x, hi) comes free with the reduction. np.clip gives hi when lo > hi.
        self._floor_m = min(params.min_range_m, reach)
        self._clip_m = float(reach)

    # -- the cells -------------------------------------------------------------------------

    def _split(self, coarse: tuple[int, int]) -> None:
        """Fill `_fine_cells` for the fine cells of one coarse cell: None where no segment
        is within reach, else the cell's table and work arrays (`_table`)."""
        split = self.SPLIT
        fine = self._fine
        ci, cj = coarse
        idx = self._cells.get(coarse)
        if idx is None:
            for si in range(split):
                for sj in range(split):
                    self._fine_cells[(ci * split + si, cj * split + sj)] = None
            return
        sub = (np.arange(split) + 0.5) * fine
        cx = self._origin[0] + ci * split * fine + sub
        cy = self._origin[1] + cj * split * fine + sub
        centres = np.stack(np.meshgrid(cx, cy, indexing="ij"), axis=-1).reshape(-1, 1, 2)
        sa, sd = self._a[idx], self._d[idx]
        q = centres - sa
        t = np.clip((q * sd).sum(axis=2) / np.maximum((sd * sd).sum(axis=1), 1e-300), 0.0, 1.0)
        e = q - t[..., None] * sd
        near = np.hypot(e[..., 0], e[..., 1]) <= self._within_m
        for f, (si, sj) in enumerate(np.ndindex(split, split)):
            keep = idx[near[f]]
            self._fine_cells[(ci * split + si, cj * split + sj)] = self._table(keep) if len(keep) else None

    def _table(self, keep: np.ndarray) -> tuple:
        """The constant table of a cell's n segments and the work arrays of a step.

        Per segment, with the car at c and the beam direction u = (ux, uy) in the world:
            denom         = ux*dy - uy*dx
            t*denom       = cross(q, u)     = -ux*ay + uy*ax + w
            (1 - t)*denom = cross(u, q + d) =  ux*by - uy*bx - w
        with b = a + d and w = cy*ux - cx*uy, and r*denom = cross(q, d) = a x d - cx*dy + cy*dx.
        So the table's rows (4n, 6) are these coefficients of (ux, uy, 1, w, cy, -cx), and
        for a car at heading h, (ux, uy, 1, w, cy, -cx) = pose (6, 3) @ (cos, sin, 1) of
        the beam's angle in the car's frame.
        """
        a, d = self._a[keep], self._d[keep]
        b = a + d
        n = len(keep)
        table = np.zeros((4 * n, 6))
        table[:n, 0], table[:n, 1] = d[:, 1], -d[:, 0]  # denom
        table[n : 2 * n, 0], table[n : 2 * n, 1], table[n : 2 * n, 3] = -a[:, 1], a[:, 0], 1.0  # t*denom
        table[2 * n : 3 * n, 0], table[2 * n : 3 * n, 1], table[2 * n : 3 * n, 3] = b[:, 1], -b[:, 0], -1.0
        table[3 * n :, 2] = a[:, 0] * d[:, 1] - a[:, 1] * d[:, 0]  # r*denom, per segment
        table[3 * n :, 4], table[3 * n :, 5] = d[:, 0], d[:, 1]
        return table, self._views(n)

    def _views(self, n: int) -> tuple:
        """Work arrays for a cell of n segments, shared by the cells of that size."""
        if n not in self._work:
            beams = len(self._angles)
            coef = np.empty((4 * n, 3))
            pairs = np.empty((3 * n, beams))  # denom, t*denom, (1 - t)*denom
            r = np.empty((n, beams))
            t_ok = np.empty((n, beams))  # t*(1 - t)*denom**2
            # Every view a step uses, made once: making one costs more than its work.
            self._work[n] = (
                coef, coef[: 3 * n], coef[3 * n :, 2:3], pairs, pairs[:n], pairs[n : 2 * n], pairs[2 * n :],
                r, r.view(np.int64), r.view(np.uint64), t_ok, t_ok.view(np.int64),
            )
        return self._work[n]

    # -- one reading -----------------------------------------------------------------------

    def fill(self, out: np.ndarray, car: CarState) -> None:
        """Write the ranges into `out` (shape (beams,), any float dtype)."""
        self.writer(out)(car)

    def writer(self, out: np.ndarray) -> Callable[..., None]:
        """A function (car, projection=None) that writes the ranges into `out`, for every
        step of a race (the projection is not used: the signature is the sensors')."""
        # This runs every step: everything it reads is bound here, once.
        cells = self._fine_cells
        split = self._split
        coarse = self.SPLIT
        ox, oy, per_fine = self._ox, self._oy, self._per_fine
        # Scalars as 0-d arrays: numpy takes them as they are, without converting a Python
        # float each call (the same float64 values, the same results).
        clip_m, floor_m = self._clip_m, np.array(self._floor_m)
        clip_bits = np.array(clip_m).view(np.uint64)[()]
        pose, pose_bytes, pack_pose = self._pose, self._pose_bytes, self._pack_pose
        beams, ranges = self._beams, self._ranges
        range_bits = ranges.view(np.uint64)
        cos, sin, floor = math.cos, math.sin, math.floor

        def write(car: CarState, proj=None) -> None:
            x, y, heading = car[0], car[1], car[2]
            key = (floor((x - ox) * per_fine), floor((y - oy) * per_fine))
            try:
                cell = cells[key]
            except KeyError:
                split((key[0] // coarse, key[1] // coarse))
                cell = cells[key]
            if cell is None:
                out[:] = clip_m
                return
            table, (coef, coef3, r_denom, pairs, denom, t_denom, rest_denom, r, r_int, r_bits, t_ok, t_ok_int) = cell
            c = cos(heading)
            s = sin(heading)
            # Rows: ux, uy, 1, w = cy*ux - cx*uy, cy, -cx; columns: cos, sin, 1 of the beam
            # angle in the car's frame.
            pack_pose(pose_bytes, 0, c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0,
                      y * c - x * s, -y * s - x * c, 0.0, 0.0, 0.0, y, 0.0, 0.0, -x)
            _dot(table, pose, coef)
            _dot(coef3, beams, pairs)
            # Output arrays are passed by position: ufunc keywords cost more than the work.
            quiet = _quiet()
            try:
                _divide(r_denom, denom, r)  # a zero denom gives inf or nan: no hit
            finally:
                _loud(quiet)
            _multiply(t_denom, rest_denom, t_ok)  # >= 0 when 0 <= t <= 1
            # A miss gets the sign bit (see the module's docstring), and the nearest hit
            # within the clipping distance is the least of the bits, as unsigned integers.
            _bitwise_and(t_ok_int, _SIGN, t_ok_int)
            _bitwise_or(r_int, t_ok_int, r_int)
            _minimum_reduce(r_bits, 0, None, range_bits, False, clip_bits)
            # The floor in float64, then one cast into `out`: a ufunc that casts as it
            # writes costs more than the two (the same values: the max is exact).
            _maximum(ranges, floor_m, out=ranges)  # np.maximum takes `out` only as a keyword
            _copyto(out, ranges)

        return write

    def fill_all_pairs(self, out: np.ndarray, car: CarState) -> None:
        """The definition: every beam against every segment of the coarse cell."""
        p = self.params
        key = (
            int(math.floor((car.x_m - self._origin[0]) / self._cell)),
            int(math.floor((car.y_m - self._origin[1]) / self._cell)),
        )
        idx = self._cells.get(key)
        if idx is None:
            out[:] = p.clipping_dist_m
            return
        a = self._a[idx]
        d = self._d[idx]
        ang = self._angles + car.heading_rad
        ux = np.cos(ang)[:, None]
        uy = np.sin(ang)[:, None]
        qx = (a[:, 0] - car.x_m)[None, :]
        qy = (a[:, 1] - car.y_m)[None, :]
        dx = d[:, 0][None, :]
        dy = d[:, 1][None, :]
        denom = ux * dy - uy * dx
        with np.errstate(divide="ignore", invalid="ignore"):
            r = (qx * dy - qy * dx) / denom
            t = (qx * uy - qy * ux) / denom
        hit = (r >= 0.0) & (t >= 0.0) & (t <= 1.0) & (denom != 0.0)
        r = np.where(hit, r, np.inf).min(axis=1)
        np.clip(r, p.min_range_m, p.clipping_dist_m, out=r)
        out[:] = r
