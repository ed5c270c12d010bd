"""FRONT_FACING_CAMERA and STEREO_CAMERAS: DeepRacer's camera over the flat floor.

DeepRacer renders 640x480 frames and shrinks them to 160x120 with bilinear filtering:
every pixel is a smooth, tent-weighted average of the world around its ray, about two
pixels wide. Here that is done in three cheap parts:

1. The floor is pre-rendered and pre-filtered (`scenery.py`): texture levels from half a
   centimetre per texel (the base level magnified by bilinear interpolation) up to
   coarse ones, each texel already the average of the ground it covers.
2. Each pixel reads one texel, from the level whose texels match the pixel's footprint
   on the floor: magnified and smooth just in front of the car, averaged far ahead (no
   broken-up lines, no sparkling asphalt).
3. A [1, 2, 1] x [1, 2, 1] tent filter over the frame: DeepRacer's bilinear shrink, which
   also rounds off the steps between texels.

The floor is flat and the camera rigid, so the pixels of one image row always see the
floor along one straight line of the car's frame, evenly spaced: a frame needs one
origin and one step per row (a few dozen numbers), then one multiply-add per pixel, one
gather and the filter. Small arrays, few numpy calls: cheap next to the model, and
gentle on the caches the model's weights live in. Every float operation is elementwise
(or a sum of four, in a fixed order) and exactly rounded, so the same pose gives the same
bytes on every machine. Above the horizon, and beyond `max_range_m`, the camera sees the
walls: a fixed backdrop, written once.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable

import numpy as np

from .params import CameraParams
from .scenery import GroundTextures, backdrop, build_ground_textures
from .track import Track
from .vehicle import CarState

_pack10 = struct.Struct("10d").pack_into
# np.copyto without its __array_function__ dispatch (NEP 18), which costs as much as the
# call on arrays this size.
_copyto = getattr(np.copyto, "_implementation", np.copyto)

# Texture levels: the fine one (half the base texel), the base one, then five coarser.
LEVELS = 7
# The camera renders without clipping lookups while the car is within this distance of
# the track's bounding box (the textures reach that far); beyond it, lookups are clipped.
FREE_M = 1.5


def focal_px(params: CameraParams) -> float:
    return (params.width_px / 2.0) / math.tan(params.horizontal_fov_rad / 2.0)


def horizon_row(params: CameraParams) -> float:
    """Image row (from the top, continuous) of the horizon: rows below it see the floor."""
    return params.height_px / 2.0 - focal_px(params) * math.tan(params.pitch_down_rad)


def ground_points(params: CameraParams, lateral_m: float = 0.0, du_px: float = 0.0,
                  dv_px: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Car-frame floor point (metres forward of the car's centre, metres left) that each
    pixel sees through (column + 0.5 + du_px, row + 0.5 + dv_px), and the mask of the rays
    that go down. Arrays (height_px, width_px); `lateral_m` puts the lens to the left."""
    w, h = params.width_px, params.height_px
    f = focal_px(params)
    u = (np.arange(w) + 0.5 + du_px - w / 2.0) / f
    v = (np.arange(h) + 0.5 + dv_px - h / 2.0) / f
    uu, vv = np.meshgrid(u, v)
    p = params.pitch_down_rad
    # Ray = forward + left * (-u) + up * (-v), the camera pitched down by p.
    rx = math.cos(p) - vv * math.sin(p)
    rz = -math.sin(p) - vv * math.cos(p)
    ground = rz < -1e-9
    t = np.where(ground, params.height_m / np.where(ground, -rz, 1.0), 0.0)
    return params.forward_m + rx * t, lateral_m - uu * t, ground


def _first_row(params: CameraParams) -> int:
    """The first image row rendered: its floor lies within max_range_m ahead."""
    gx, _, ground = ground_points(params)
    return int(np.flatnonzero(ground[:, 0] & (gx[:, 0] <= params.max_range_m))[0])


def _row_levels(params: CameraParams, rows: np.ndarray) -> np.ndarray:
    """Texture level (index into GroundTextures.levels) for floor rows at these
    (continuous) image rows: the one whose texel is the pixel's footprint, the geometric
    mean of its size across and along the floor."""
    f = focal_px(params)
    p = params.pitch_down_rad
    v = (rows + 0.5 - params.height_px / 2.0) / f
    down = math.sin(p) + v * math.cos(p)  # > 0 below the horizon
    dist = params.height_m / down  # along the ray, per unit of its forward-facing length
    forward = dist * (math.cos(p) - v * math.sin(p))
    across = np.hypot(forward, params.height_m) / f
    # d(forward)/d(row): the floor distance covered by one row.
    along = params.height_m * (1.0 + v * v) / (f * down * down)
    footprint = np.sqrt(across * along)
    # Index 1 is the base texel. Python's log2, not numpy's (whose vectorised versions
    # may round the last bit differently on another CPU, and move a row to another level).
    level = [round(math.log2(x / params.texel_m)) + 1 for x in footprint.tolist()]
    return np.clip(np.array(level), 0, LEVELS - 1)


def _level_margins_m(params: CameraParams) -> list[float]:
    """How far beyond the track's bounding box each level must reach: the farthest floor
    point its rows see, from anywhere within FREE_M of the box, for either stereo lens."""
    first = _first_row(params)
    h = params.height_px
    rows = np.arange(first, h + 1)  # + 1: the filter's row below the frame
    levels = _row_levels(params, rows.astype(float))
    lateral = params.stereo_baseline_m / 2.0
    reach = np.zeros(h + 1)
    for du in (-1.0, 1.0):  # the filter's columns beyond both sides of the frame
        gx, gy, _ = ground_points(params, lateral, du_px=du)
        r = np.hypot(gx, np.abs(gy) + 2 * lateral).max(axis=1)
        reach[:h] = np.maximum(reach[:h], r)
    reach[h] = reach[h - 1]  # the row below the frame sees nearer than the last one
    margins = [0.0] * LEVELS
    for r, k in zip(rows, levels):
        margins[k] = max(margins[k], float(reach[r]))
    out = []
    for k in range(LEVELS):
        m = max(margins[: k + 1])  # a coarser level never needs less than a finer one
        out.append(FREE_M + m + 4 * params.texel_m * 2.0 ** (k - 1))
    return out


def floor_textures(track: Track, params: CameraParams) -> GroundTextures:
    """The floor textures of this track, made once per track and camera parameters and
    shared by every camera that looks at it (both of a stereo pair)."""
    cache = track.__dict__.setdefault("_ground_textures", {})
    if params not in cache:
        cache[params] = build_ground_textures(track, params.texel_m, _level_margins_m(params))
    return cache[params]


class CameraSensor:
    """One camera on the car, `lateral_m` left of its centre line: `render(car)` gives
    the grey frame (uint8, height_px x width_px) it sees from that pose."""

    def __init__(self, track: Track, params: CameraParams, lateral_m: float = 0.0):
        self.params = params
        self.lateral_m = lateral_m
        self.horizon_row = horizon_row(params)
        tex = floor_textures(track, params)
        self._atlas = tex.atlas.reshape(-1)
        self._stride = tex.width
        w, h = params.width_px, params.height_px
        first = _first_row(params)
        self._first = first
        self._frame = backdrop(h, w, self.horizon_row)
        self._out = self._frame[first:]
        # The sampled grid: the rendered rows plus one more on each side (the top one a
        # copy of the first: above it the frame is backdrop), and one more column each
        # side, so that the tent filter has real neighbours everywhere.
        rows = np.concatenate([[first], np.arange(first, h + 1)]).astype(float)
        n_rows = len(rows)
        levels = _row_levels(params, rows)
        f = focal_px(params)
        p = params.pitch_down_rad
        v = (rows + 0.5 - h / 2.0) / f
        t = params.height_m / (math.sin(p) + v * math.cos(p))
        forward = params.forward_m + t * (math.cos(p) - v * math.sin(p))
        left0 = lateral_m - t * (-1 + 0.5 - w / 2.0) / f  # column -1
        step = -t / f  # metres left per column
        lv0 = tex.levels[0]
        self._origin = (lv0.x0_m, lv0.y0_m)
        lvl = [tex.levels[k] for k in levels]
        inv = np.array([1.0 / L.texel_m for L in lvl])
        a, b, d = forward * inv, left0 * inv, step * inv
        off_x = np.array([L.col0 + (lv0.x0_m - L.x0_m) / L.texel_m for L in lvl])
        off_y = np.array([L.row0 + (lv0.y0_m - L.y0_m) / L.texel_m for L in lvl])
        zero = np.zeros(n_rows)
        # Per row r, in the texel units of its level, from the fine level's origin:
        #   origin = R(heading) (forward, left0) / texel + car / texel + level offset
        #   step   = R(heading) (0, 1) * (metres per column) / texel
        # as rows (origin x, origin y, step x, step y) = the sum over four terms of
        # _terms[t] * coefficient t: cos(heading), sin(heading), car position, 1.
        self._terms = np.array([[a, b, zero, d],
                                [-b, a, -d, zero],
                                [inv, inv, zero, zero],
                                [off_x, off_y, zero, zero]])
        self._coef = np.zeros((4, 4, 1))
        self._coef[3] = 1.0
        # The first ten coefficients (cos x 4, sin x 4, x, y) are written with one struct
        # call: much cheaper than four numpy item assignments.
        self._coef_bytes = memoryview(self._coef).cast("B")
        self._products = np.empty_like(self._terms)
        self._acc = np.empty((4, n_rows))
        self._rows = np.empty((4, n_rows), np.float32)
        lo = np.array([[L.col0 for L in lvl], [L.row0 for L in lvl]], np.float32)
        hi = np.array([[L.col0 + L.nx - 1 for L in lvl], [L.row0 + L.ny - 1 for L in lvl]], np.float32)
        self._lo, self._hi = lo[:, :, None], hi[:, :, None]
        self._cols = np.arange(w + 2, dtype=np.float32)
        # Work arrays, reused every frame, as few and as small as can be: the model's
        # weights share the caches with them, and every byte a frame first touches
        # comes back from memory. The texel coordinates are turned into integers in
        # place (int32 over the float32), and the flat index is built in the row
        # coordinates' place. Once the x coordinates are spent, their plane holds the
        # samples and one filter buffer, and once the gather is done the index plane
        # holds the other. The filter runs over the samples as one flat run
        # (contiguous: each pass one fast numpy loop) between the two buffers; the sums
        # that straddle two rows fall in the columns beyond the frame's and are never read.
        span = w + 2
        n = n_rows * span
        self._f = np.empty((2, n_rows, span), np.float32)
        self._i = self._f.view(np.int32)
        if self._atlas.size >= 2**31:  # a huge track's atlas: int64 flat indices
            self._i = np.empty((2, n_rows, span), np.intp)
        spent_x, spent_index = self._f.reshape(2, -1).view(np.uint8)  # 4 n bytes each
        self._samples = spent_x[:n]
        self._ping = spent_x[n : 3 * n].view(np.uint16)
        self._pong = spent_index[: 2 * n].view(np.uint16)
        self._grey = self._pong[: (n_rows - 2) * span].reshape(n_rows - 2, span)[:, :w]
        self._span = span
        x0, y0, x1, y1 = track.bounds
        self._safe = (x0 - FREE_M, y0 - FREE_M, x1 + FREE_M, y1 + FREE_M)
        self._sums = self._summer()

    def render(self, car: CarState) -> np.ndarray:
        """The grey image (height_px, width_px) uint8 seen from this car pose; the
        returned array is reused by the next call."""
        _copyto(self._out, self._sums(car), casting="unsafe")
        return self._frame

    def writer(self, view: np.ndarray) -> Callable[[CarState], None]:
        """A function (car) that renders straight into `view`, a model's (height_px,
        width_px) camera buffer, possibly strided: uint8, or float32 holding the uint8
        value / 255 (the same numbers as scaling `render`'s frame). The rows above the
        rendered ones never change: they are written here, once."""
        first = self._first
        grey = self._sums
        if view.dtype == np.uint8:
            view[:first] = self._frame[:first]
            out = view[first:]
            return lambda car: _copyto(out, grey(car), casting="unsafe")
        scale = np.array(1.0 / 255.0, np.float32)
        np.multiply(self._frame[:first], scale, out=view[:first])
        out, multiply = view[first:], np.multiply

        def write(car: CarState) -> None:
            # Cast, then scale in float32: the numbers numpy's mixed uint16 x float32
            # multiply gives, without its buffered casting (dear right after the model).
            _copyto(out, grey(car), casting="unsafe")
            multiply(out, scale, out=out)

        return write

    def _summer(self) -> Callable[[CarState], np.ndarray]:
        """`_sums`: a function (car) giving the grey levels of the rendered rows (uint16,
        a view into a work array). Every array and view it uses is made here, once: a
        frame makes none (each costs more than its work, and more again when the model
        has just had the caches). Likewise it keeps to numpy's plain loops: no ufunc that
        casts as it goes (numpy's buffered path), whose code is cold after the model."""
        origin_x, origin_y = self._origin
        coef_bytes, terms, coef, products, rows = self._coef_bytes, self._terms, self._coef, self._products, self._rows
        acc = self._acc
        steps, origins, cols = rows[2:, :, None], rows[:2, :, None], self._cols
        f, i, lo, hi = self._f, self._i, self._lo, self._hi
        idx, ix = i[1].reshape(-1), i[0].reshape(-1)  # views: the planes are contiguous
        stride, take, samples = self._stride, self._atlas.take, self._samples
        # The tent filter, [1, 2, 1] = [1, 1] twice, across then along, in uint16: the
        # samples widened, then four sums of two shifted views each, between two buffers.
        span, n = self._span, len(self._samples)
        ping, pong = self._ping, self._pong
        wide = pong[:n]
        h1, h, v1, v = ping[: n - 1], pong[: n - 2], ping[: n - 2 - span], pong[: n - 2 - 2 * span]
        a1, b1 = wide[:-1], wide[1:]
        a2, b2 = h1[:-1], h1[1:]
        a3, b3 = h[:-span], h[span:]
        a4, b4 = v1[:-span], v1[span:]
        grey = self._grey
        x0, y0, x1, y1 = self._safe
        cos, sin = math.cos, math.sin
        add, multiply, add_reduce, clip, right_shift = np.add, np.multiply, np.add.reduce, np.clip, np.right_shift
        # Scalars as 0-d arrays of the arrays' own types: numpy takes them as they are,
        # without converting a Python number each call (the same results).
        stride, eight, four = np.array(stride, idx.dtype), np.array(8, np.uint16), np.array(4, np.uint16)

        def sums(car: CarState) -> np.ndarray:
            heading, x, y = car[2], car[0], car[1]
            c = cos(heading)
            s = sin(heading)
            # The car from the fine level's origin, in metres: small numbers, so a track far
            # from the world's origin loses no precision.
            _pack10(coef_bytes, 0, c, c, c, c, s, s, s, s, x - origin_x, y - origin_y)
            # Per row, in float64 (the four terms summed in order), then rounded to float32.
            add_reduce(multiply(terms, coef, out=products), 0, None, acc)
            _copyto(rows, acc, casting="unsafe")
            # Per pixel, in float32: texel = origin + column * step.
            multiply(steps, cols, out=f)
            add(f, origins, out=f)
            # Then to integers, in place; truncation is floor: texel coordinates are >= 0.
            if not (x0 <= x <= x1 and y0 <= y <= y1):
                clip(f, lo, hi, out=f)
            _copyto(i, f, casting="unsafe")
            multiply(idx, stride, out=idx)
            add(idx, ix, out=idx)
            # Every index is inside the atlas (its levels reach as far as the rows see, or
            # the lookups were clipped): "wrap" never wraps, and unlike the default it
            # gathers straight into `samples`, without a buffer.
            take(idx, out=samples, mode="wrap")
            _copyto(wide, samples)
            add(a1, b1, out=h1)
            add(a2, b2, out=h)
            add(a3, b3, out=v1)
            add(a4, b4, out=v)
            # Rounded: (sum + 8) // 16, over the whole flat run (one loop, not one a row).
            add(v, eight, out=v)
            right_shift(v, four, out=v)
            return grey

        return sums


class StereoCameraSensor:
    """DeepRacer's stereo pair: two cameras `stereo_baseline_m` apart, left and right of
    the car's centre line. `render(car)` gives (left frame, right frame)."""

    def __init__(self, track: Track, params: CameraParams):
        half = params.stereo_baseline_m / 2.0
        self.params = params
        self.left = CameraSensor(track, params, lateral_m=half)
        self.right = CameraSensor(track, params, lateral_m=-half)

    def render(self, car: CarState) -> tuple[np.ndarray, np.ndarray]:
        return self.left.render(car), self.right.render(car)

    def writer(self, left: np.ndarray, right: np.ndarray) -> Callable[[CarState], None]:
        """A function (car) that renders both frames straight into these buffers."""
        put_left, put_right = self.left.writer(left), self.right.writer(right)

        def write(car: CarState) -> None:
            put_left(car)
            put_right(car)

        return write
