"""What the policy sees: the STATE vector, the LIDAR ranges and the front camera.

Each sensor writes into a preallocated buffer so that a race step allocates little.
Layouts come from `layout.py`; geometry from `track.py`.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from . import layout as L
from .params import CameraParams, LidarParams
from .track import Projection, Track
from .vehicle import CarState

DEG = math.pi / 180.0
# Lap progress is in [0, 1); the largest float32 below 1 keeps it there after the cast.
_BELOW_ONE = float(np.nextafter(np.float32(1.0), np.float32(0.0)))

# Grey levels of the rendered world (the camera is grayscale).
GROUND_GREY = 70  # off-track ground
SURFACE_GREY = 38  # tarmac
EDGE_GREY = 255  # white edge lines
CENTRE_GREY = 205  # dashed centre line (yellow on the real track)
SKY_TOP_GREY = 225
SKY_HORIZON_GREY = 170
EDGE_LINE_M = 0.05
CENTRE_LINE_M = 0.025
CENTRE_DASH_M = 0.15


def _wrap(a: float) -> float:
    a = math.fmod(a + math.pi, 2.0 * math.pi)
    if a <= 0.0:
        a += 2.0 * math.pi
    return a - math.pi


# --- STATE ---------------------------------------------------------------------------------


class StateSensor:
    """The 26-value STATE vector (see `layout.py` and the design's table)."""

    def __init__(self, track: Track):
        self.track = track
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
        self._rot = np.zeros((3, 2))

    def fill(self, out: np.ndarray, car: CarState, proj: Projection) -> None:
        """Write the vector into `out` (shape (26,), any float dtype)."""
        c = math.cos(car.heading_rad)
        s = math.sin(car.heading_rad)
        x, y = car.x_m, car.y_m
        # One slice assignment in layout order (STATE_SPEED .. STATE_PROGRESS): a single
        # numpy call is much cheaper than six element writes.
        out[L.STATE_SPEED : L.STATE_LOOKAHEAD] = (
            car.speed_m_s,
            car.steering_deg / 30.0,
            proj.offset_m,
            _wrap(proj.track_heading_rad - car.heading_rad),
            proj.left_half_width_m + proj.right_half_width_m,
            min(proj.s_m / self.track.length_m, _BELOW_ONE),
        )
        k = int(proj.s_m * self._per_m + 0.5)
        if k >= self._m:
            k -= self._m
        r = self._rot
        r[0, 0] = c
        r[0, 1] = -s
        r[1, 0] = s
        r[1, 1] = c
        r[2, 0] = -(x * c + y * s)
        r[2, 1] = x * s - y * c
        np.matmul(self._ahead[k], r, out=out[L.STATE_LOOKAHEAD :].reshape(-1, 2))


# --- LIDAR ---------------------------------------------------------------------------------


class LidarSensor:
    """Ray casts against both track edges (low barriers), clipped like DeepRacer's."""

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
        # Uniform grid: each cell lists the edge segments that come within reach of it.
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
        self._empty = np.zeros(0, dtype=int)

    def fill(self, out: np.ndarray, car: CarState) -> None:
        p = self.params
        key = (
            int(math.floor((car.x_m - self._origin[0]) / self._cell)),
            int(math.floor((car.y_m - self._origin[1]) / self._cell)),
        )
        idx = self._cells.get(key, self._empty)
        if len(idx) == 0:
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


# --- FRONT_FACING_CAMERA -------------------------------------------------------------------


def render_track_texture(track: Track, texel_m: float, margin_m: float) -> tuple[np.ndarray, tuple[float, float]]:
    """Top-down grayscale picture of the track, one texel per `texel_m` metres.

    Returns the image (rows = y, ascending) and the world coordinates of texel (0, 0).
    """
    x0, y0, x1, y1 = track.bounds
    ox, oy = x0 - margin_m, y0 - margin_m
    w = int(math.ceil((x1 - x0 + 2 * margin_m) / texel_m)) + 1
    h = int(math.ceil((y1 - y0 + 2 * margin_m) / texel_m)) + 1
    img = Image.new("L", (w, h), GROUND_GREY)
    draw = ImageDraw.Draw(img)

    def px(pts: np.ndarray) -> list[tuple[float, float]]:
        return [((p[0] - ox) / texel_m, (p[1] - oy) / texel_m) for p in pts]

    left = np.vstack([track.left, track.left[:1]])
    right = np.vstack([track.right, track.right[:1]])
    for i in range(track.n):
        quad = np.array([left[i], left[i + 1], right[i + 1], right[i]])
        draw.polygon(px(quad), fill=SURFACE_GREY, outline=SURFACE_GREY)
    edge_px = max(1, int(round(EDGE_LINE_M / texel_m)))
    for border in (left, right):
        draw.line(px(border), fill=EDGE_GREY, width=edge_px, joint="curve")
    # Dashed centre line: dashes of CENTRE_DASH_M every 2 * CENTRE_DASH_M of arc length.
    dense = track.dense_centre()
    step = track.length_m / len(dense)
    period = max(int(round(2 * CENTRE_DASH_M / step)), 2)
    dash = period // 2
    centre_px = max(1, int(round(CENTRE_LINE_M / texel_m)))
    for k in range(0, len(dense) - dash, period):
        draw.line(px(dense[k : k + dash + 1]), fill=CENTRE_GREY, width=centre_px)
    return np.asarray(img, dtype=np.uint8), (ox, oy)


class CameraSensor:
    """A pinhole camera on the car looking at the flat track.

    The ground is flat and the camera rigid, so every pixel below the horizon always
    sees the same point of the car frame; rendering a frame is one rigid transform of
    those points and a texture lookup. Rows whose ground lies beyond `max_range_m`
    ahead show plain ground, so the rendered rows are one contiguous block of the
    frame and the lookup writes straight into it.
    """

    def __init__(self, track: Track, params: CameraParams, max_range_m: float = 8.0):
        self.params = params
        w, h = params.width_px, params.height_px
        f = (w / 2.0) / math.tan(params.horizontal_fov_rad / 2.0)
        u = (np.arange(w) + 0.5 - w / 2.0) / f
        v = (np.arange(h) + 0.5 - h / 2.0) / f
        uu, vv = np.meshgrid(u, v)  # (h, w)
        p = params.pitch_down_rad
        # Ray = forward + left * (-u) + up * (-v), camera pitched down by p.
        rx = math.cos(p) - vv * math.sin(p)
        ry = -uu
        rz = -math.sin(p) - vv * math.cos(p)
        ground = rz < -1e-6
        with np.errstate(divide="ignore"):
            t = np.where(ground, params.height_m / -rz, np.inf)
        gx = rx * t
        gy = ry * t
        # The forward distance depends on the row only: rows from `first_row` down are
        # near enough to render.
        near_rows = np.flatnonzero(ground[:, 0] & (gx[:, 0] <= max_range_m))
        self._first = int(near_rows[0]) * w
        texel = params.texel_m
        self._ground_m = (np.arange(self._first, w * h), gx[near_rows[0]:].ravel(), gy[near_rows[0]:].ravel())
        self._gx = (gx[near_rows[0]:].ravel() / texel).astype(np.float32)
        self._gy = (gy[near_rows[0]:].ravel() / texel).astype(np.float32)
        reach_m = float(np.hypot(gx[near_rows[0]:], gy[near_rows[0]:]).max())
        # The texture's margin covers everything the camera can see from anywhere within
        # `_free_m` of the track's bounding box; beyond that indices are clipped.
        self._free_m = 1.5
        margin = reach_m + self._free_m + 0.1
        self._texture, (ox, oy) = render_track_texture(track, texel, margin_m=margin)
        self._tex_flat = self._texture.ravel()
        self._tex_w = self._texture.shape[1]
        self._tex_h = self._texture.shape[0]
        self._ox = ox
        self._oy = oy
        self._texel = texel
        x0, y0, x1, y1 = track.bounds
        self._safe = (x0 - self._free_m, y0 - self._free_m, x1 + self._free_m, y1 + self._free_m)
        # Background: sky above the horizon, plain ground beyond the range.
        sky = np.linspace(SKY_TOP_GREY, SKY_HORIZON_GREY, h)[:, None] * np.ones((1, w))
        base = np.where(ground, GROUND_GREY, sky)
        self._frame = base.astype(np.uint8).ravel()
        self._rendered = self._frame[self._first:]
        n = len(self._gx)
        self._fx = np.empty(n, dtype=np.float32)
        self._fy = np.empty(n, dtype=np.float32)
        self._tmp = np.empty(n, dtype=np.float32)
        self._ix = np.empty(n, dtype=np.intp)
        self._iy = np.empty(n, dtype=np.intp)

    @property
    def texture(self) -> np.ndarray:
        return self._texture

    def ground_points_m(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(flat pixel indices, metres forward, metres left) of the pixels that see the track."""
        return self._ground_m

    def render(self, car: CarState) -> np.ndarray:
        """The grayscale image (height_px, width_px) uint8 seen from this car pose.

        The returned array is reused by the next call.
        """
        c = math.cos(car.heading_rad)
        s = math.sin(car.heading_rad)
        cx = (car.x_m - self._ox) / self._texel
        cy = (car.y_m - self._oy) / self._texel
        fx, fy, tmp, ix, iy = self._fx, self._fy, self._tmp, self._ix, self._iy
        np.multiply(self._gx, c, out=fx)
        np.multiply(self._gy, s, out=tmp)
        fx -= tmp
        fx += cx
        np.multiply(self._gx, s, out=fy)
        np.multiply(self._gy, c, out=tmp)
        fy += tmp
        fy += cy
        x0, y0, x1, y1 = self._safe
        if not (x0 <= car.x_m <= x1 and y0 <= car.y_m <= y1):
            np.clip(fx, 0, self._tex_w - 1, out=fx)
            np.clip(fy, 0, self._tex_h - 1, out=fy)
        np.copyto(ix, fx, casting="unsafe")
        np.copyto(iy, fy, casting="unsafe")
        iy *= self._tex_w
        iy += ix
        np.take(self._tex_flat, iy, out=self._rendered)
        return self._frame.reshape(self.params.height_px, self.params.width_px)
