"""What the policy sees: the STATE vector and the LIDAR ranges (the cameras are in
`camera.py`).

Each sensor writes into a preallocated buffer so that a race step allocates little.
Layouts come from `layout.py`; geometry from `track.py`.
"""

from __future__ import annotations

import math
import struct
from typing import Callable

import numpy as np

from . import layout as L
from .params import CarParams, LidarParams
from .track import Projection, Track
from .vehicle import CarState

DEG = math.pi / 180.0
# Lap progress is in [0, 1); the largest float32 below 1 keeps it there after the cast.
_BELOW_ONE = float(np.nextafter(np.float32(1.0), np.float32(0.0)))
# The C functions behind np.dot, np.copyto and np.putmask, without the __array_function__
# dispatch (NEP 18's `_implementation`): the sensors call them with plain arrays every
# step, where the dispatch costs as much as the call.
_dot = getattr(np.dot, "_implementation", np.dot)
_copyto = getattr(np.copyto, "_implementation", np.copyto)
_putmask = getattr(np.putmask, "_implementation", np.putmask)


# --- STATE ---------------------------------------------------------------------------------


class StateSensor:
    """The 26-value STATE vector (see `layout.py` and the design's table)."""

    def __init__(self, track: Track, car: CarParams = CarParams()):
        self.track = track
        self.car = car
        dense = track.dense_centre()
        m = len(dense)
        self._m = m
        self._per_m = m / track.length_m
        ahead = (np.arange(1, L.STATE_LOOKAHEAD_POINTS + 1) * L.STATE_LOOKAHEAD_SPACING_M)
        s = (np.arange(m)[:, None] * (track.length_m / m) + ahead[None, :]) % track.length_m
        closed = np.vstack([track.center, track.center[:1]])
        px = np.interp(s, track.cum_s_m, closed[:, 0])
        py = np.interp(s, track.cum_s_m, closed[:, 1])
        # Homogeneous points [X, Y, 1]: one matmul both translates and rotates them into
        # the car frame.
        self._ahead = np.stack([px, py, np.ones_like(px)], axis=2)  # (m, 10, 3)
        # One (10, 3) view per sample, made once: indexing a list is much cheaper than
        # making a numpy view every step.
        self._ahead_rows = list(self._ahead)

    def fill(self, out: np.ndarray, car: CarState, proj: Projection) -> None:
        """Write the vector into `out` (shape (26,), any float dtype)."""
        self.writer(out)(car, proj)

    def writer(self, out: np.ndarray) -> Callable[[CarState, Projection], None]:
        """A function (car, proj) that writes the vector into `out`, for every step of a race."""
        length = self.track.length_m
        max_steering = self.car.max_steering_deg
        per_m = self._per_m
        m = self._m
        ahead = self._ahead_rows
        dot, copyto = _dot, _copyto
        cos, sin, fmod = math.cos, math.sin, math.fmod
        pi, two_pi = math.pi, 2.0 * math.pi
        # The vector is assembled in float64 and cast into `out` with one call (the same
        # values as writing each part into `out` directly). Scalars go in through struct,
        # six in one call, much cheaper than numpy item or slice assignment.
        vec = np.zeros(L.STATE_SIZE)
        vec_bytes = memoryview(vec).cast("B")
        look = vec[L.STATE_LOOKAHEAD :].reshape(-1, 2)
        rot = np.zeros((3, 2))
        rot_bytes = memoryview(rot).cast("B")
        pack6 = struct.Struct("6d").pack_into

        def write(car: CarState, proj: Projection) -> None:
            x, y, h, speed, steering = car
            _, _, s_m, offset, track_heading, left_half_width, right_half_width = proj
            # Layout order, STATE_SPEED .. STATE_PROGRESS; the heading error is wrapped
            # to (-pi, pi] as `track.wrap_angle` does.
            err = fmod(track_heading - h + pi, two_pi)
            if err <= 0.0:
                err += two_pi
            progress = s_m / length
            pack6(
                vec_bytes, 0,
                speed,
                steering / max_steering,
                offset,
                err - pi,
                left_half_width + right_half_width,
                _BELOW_ONE if _BELOW_ONE < progress else progress,  # min(progress, _BELOW_ONE)
            )
            k = int(s_m * per_m + 0.5)
            if k >= m:
                k -= m
            c = cos(h)
            s = sin(h)
            # Homogeneous rotation + translation into the car frame, rows (X, Y, 1). np.dot
            # of two float64 matrices makes the same BLAS call as np.matmul (the same
            # bits), and costs less to call.
            pack6(rot_bytes, 0, c, -s, s, c, -(x * c + y * s), x * s - y * c)
            dot(ahead[k], rot, look)
            copyto(out, vec)

        return write


# --- LIDAR ---------------------------------------------------------------------------------


class LidarSensor:
    """Ray casts against both track edges (low barriers), clipped like DeepRacer's.

    A beam's range is its nearest hit among the edge segments near the car. For beam
    direction u and segment a + s * d, with q = a - car:
        denom = ux*dy - uy*dx,  r = (qx*dy - qy*dx) / denom,  t = (qx*uy - qy*ux) / denom
    and (r, t) is a hit when r >= 0 and 0 <= t <= 1 (a zero denom never is: t is then
    inf or nan). These are the float operations of the plain all-pairs version, so the
    ranges are bit for bit what it gives; the speed comes from fewer pairs and fewer
    numpy calls per step.
    """

    # A coarse grid of square cells, max(clipping distance, 0.25 m), lists the segments
    # whose bounding box grown by the clipping distance overlaps a cell. The first time
    # the car is in a coarse cell it is split into SPLIT x SPLIT fine cells that keep
    # only the segments within reach of some point in them, plus a margin far above
    # rounding: a dropped segment can only be hit beyond the clipping distance. The fine
    # size is the coarse one over a power of two, so the fine key of a point always lies
    # in the coarse cell of its coarse key.
    SPLIT = 4
    MARGIN_M = 0.05

    def __init__(self, track: Track, params: LidarParams):
        self.params = params
        angles = np.linspace(params.min_angle_deg, params.max_angle_deg, params.beams) * DEG
        self._angles = angles
        starts = []
        dirs = []
        for border in (track.left, track.right):
            nxt = np.roll(border, -1, axis=0)
            starts.append(border)
            dirs.append(nxt - border)
        a = np.vstack(starts)
        d = np.vstack(dirs)
        self._a = a
        self._d = d
        # Rows a_x, a_y, d_x, d_y: one fancy index gathers a cell's segments.
        self._segments = np.ascontiguousarray(np.concatenate([a, d], axis=1).T)
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
        self._within_m = reach + self._fine * math.sqrt(0.5) + self.MARGIN_M  # of a fine centre
        self._fine_cells: dict[tuple[int, int], tuple | None] = {}
        n_max = max((len(v) for v in cells.values()), default=1)
        beams = len(angles)
        # Work arrays sized for the fullest cell; a step uses views of their first rows,
        # made once per segment count (`_views`).
        self._ang = np.empty(beams)
        self._u = np.empty((2, beams))  # ux, uy
        self._rn = np.empty((n_max, 1))
        self._tmp = np.empty(n_max)
        self._pair = np.empty((4 * n_max, beams))
        self._hit = np.empty((2, n_max, beams), dtype=bool)
        self._ranges = np.empty(beams)
        self._work: dict[int, tuple] = {}
        # The minima are >= 0 or inf, never nan: with positive bounds np.maximum and
        # np.minimum give exactly np.clip's result (they differ only on signed zeros and
        # nan) at a fraction of its call cost.
        self._clip_by_max_min = params.min_range_m > 0.0 and params.clipping_dist_m > 0.0

    def _split(self, coarse: tuple[int, int]) -> None:
        """Fill `_fine_cells` for the fine cells of one coarse cell.

        A fine cell maps to (products, a_x, a_y, d_x, d_y) of the segments it keeps, or
        None. `products` (4n, 2) times [ux; uy] gives dy*ux, dx*uy, qx*uy and qy*ux for
        every segment and beam in one BLAS call: each entry is one product plus an exact
        zero, the same double as the product alone (up to the sign of a zero product,
        which cannot change a hit or its range). Its qx and qy entries are written each
        step.
        """
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
            n = len(keep)
            cell = None
            if n:
                ax, ay, dx, dy = self._segments[:, keep]
                products = np.zeros((4 * n, 2))
                products[:n, 0] = dy
                products[n : 2 * n, 1] = dx
                qx, qy = products[2 * n : 3 * n, 1], products[3 * n :, 0]
                cell = (products, ax, ay, dx, dy, qx, qy, self._views(n))
            self._fine_cells[(ci * split + si, cj * split + sj)] = cell

    def _views(self, n: int) -> tuple:
        """Views of the work arrays for a cell of n segments."""
        if n not in self._work:
            pair = self._pair[: 4 * n]
            self._work[n] = (
                self._rn[:n], self._rn[:n, 0], self._tmp[:n], pair,
                pair[:n], pair[n : 2 * n], pair[2 * n : 3 * n], pair[3 * n :],
                self._hit[0, :n], self._hit[1, :n],
            )
        return self._work[n]

    def fill(self, out: np.ndarray, car: CarState) -> None:
        p = self.params
        x, y = car.x_m, car.y_m
        key = (
            int(math.floor((x - self._origin[0]) / self._fine)),
            int(math.floor((y - self._origin[1]) / self._fine)),
        )
        try:
            cell = self._fine_cells[key]
        except KeyError:
            self._split((key[0] // self.SPLIT, key[1] // self.SPLIT))
            cell = self._fine_cells[key]
        if cell is None:
            out[:] = p.clipping_dist_m
            return
        products, ax, ay, dx, dy, qx, qy, work = cell
        rn, rn_flat, tmp, pair, denom, r, tn, qy_ux, hit, ok = work
        ang = np.add(self._angles, car.heading_rad, out=self._ang)
        u = self._u
        np.cos(ang, out=u[0])
        np.sin(ang, out=u[1])
        np.subtract(ax, x, out=qx)
        np.subtract(ay, y, out=qy)
        np.multiply(qx, dy, out=rn_flat)
        rn_flat -= np.multiply(qy, dx, out=tmp)
        _dot(products, u, pair)  # dy*ux, dx*uy, qx*uy, qy*ux
        denom -= r  # r's rows hold dx*uy until the division below
        tn -= qy_ux
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(rn, denom, out=r)
            t = np.divide(tn, denom, out=tn)
        np.greater_equal(r, 0.0, out=hit)
        hit &= np.greater_equal(t, 0.0, out=ok)
        hit &= np.less_equal(t, 1.0, out=ok)
        _putmask(r, np.logical_not(hit, out=ok), np.inf)
        ranges = np.minimum.reduce(r, axis=0, out=self._ranges)
        if self._clip_by_max_min:
            np.minimum(np.maximum(ranges, p.min_range_m, out=ranges), p.clipping_dist_m, out=ranges)
        elif not ranges.all():
            # A beam that starts exactly on an edge has range +0 or -0, and which of the
            # two a minimum keeps depends on the order it sees them in. A positive
            # minimum range hides that; without one, follow the plain version exactly.
            self.fill_all_pairs(out, car)
            return
        else:
            np.clip(ranges, p.min_range_m, p.clipping_dist_m, out=ranges)
        out[:] = ranges

    def fill_all_pairs(self, out: np.ndarray, car: CarState) -> None:
        """The plain version: every beam against every segment of the coarse cell."""
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
