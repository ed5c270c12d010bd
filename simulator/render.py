"""Pictures for people: top-down track maps (Pillow).

The camera's grey world lives in `scenery.py` and `camera.py`; this module draws in
colour for track pages, the CLI, the Gymnasium env and videos (`simulator.video`), and
holds the speed palette they share.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from .formats.params import BOT_RGB, BOX_RGB
from .track import Track
from .vehicle import CarState

GRASS = (46, 125, 70)
GRASS_DARK = (42, 118, 65)  # mowing stripes on high-resolution maps (subtle: cheap to encode)
TARMAC = (52, 56, 64)
EDGE = (245, 245, 245)
CENTRE = (242, 196, 48)
CAR = (230, 57, 70)
OFF_TRACK = (255, 59, 48)
BOX = BOX_RGB
BOT = BOT_RGB

# Racing lines and speed bars are coloured by speed, slow blue -> green -> yellow -> fast
# red: (fraction of top speed, (r, g, b)) stops, interpolated linearly between them. Plain
# JSON-serialisable data, so that the pages draw with the same palette.
SPEED_PALETTE = (
    (0.0, (64, 120, 255)),
    (0.35, (52, 199, 89)),
    (0.7, (255, 204, 0)),
    (1.0, (255, 59, 48)),
)

EDGE_LINE_M = 0.05
START_LINE_M = 0.08


class MapProjection:
    """World metres to picture pixels, keeping the aspect ratio, y pointing up."""

    def __init__(self, track: Track, width_px: int, height_px: int, margin_px: int = 24):
        x0, y0, x1, y1 = track.bounds
        self.scale = min((width_px - 2 * margin_px) / max(x1 - x0, 1e-6),
                         (height_px - 2 * margin_px) / max(y1 - y0, 1e-6))
        self.ox = (width_px - (x1 - x0) * self.scale) / 2 - x0 * self.scale
        self.oy = (height_px + (y1 - y0) * self.scale) / 2 + y0 * self.scale
        self.width_px = width_px
        self.height_px = height_px

    @classmethod
    def at_scale(cls, track: Track, px_per_m: float, pad_m: float) -> "MapProjection":
        """A picture of the whole track at a fixed scale, `pad_m` of grass all round.

        The picture's size is `(proj.width_px, proj.height_px)`.
        """
        x0, y0, x1, y1 = track.bounds
        w = int(math.ceil((x1 - x0 + 2 * pad_m) * px_per_m))
        h = int(math.ceil((y1 - y0 + 2 * pad_m) * px_per_m))
        proj = cls.__new__(cls)
        proj.scale = float(px_per_m)
        proj.ox = (w - (x1 - x0) * px_per_m) / 2 - x0 * px_per_m
        proj.oy = (h + (y1 - y0) * px_per_m) / 2 + y0 * px_per_m
        proj.width_px = w
        proj.height_px = h
        return proj

    def __call__(self, pts: np.ndarray) -> list[tuple[float, float]]:
        pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        xs = pts[:, 0] * self.scale + self.ox
        ys = self.oy - pts[:, 1] * self.scale
        return list(zip(xs.tolist(), ys.tolist()))

    def point(self, x: float, y: float) -> tuple[float, float]:
        return x * self.scale + self.ox, self.oy - y * self.scale


def draw_track(draw: ImageDraw.ImageDraw, proj: MapProjection, track: Track,
               centre_line: bool = True, start_line: bool = True) -> None:
    """Tarmac, white edges, a dashed centre line and a chequered start line."""
    left = np.vstack([track.left, track.left[:1]])
    right = np.vstack([track.right, track.right[:1]])
    for i in range(track.n):
        draw.polygon(proj(np.array([left[i], left[i + 1], right[i + 1], right[i]])), fill=TARMAC, outline=TARMAC)
    line_w = max(1, int(round(EDGE_LINE_M * proj.scale)))
    draw.line(proj(left), fill=EDGE, width=line_w, joint="curve")
    draw.line(proj(right), fill=EDGE, width=line_w, joint="curve")
    if centre_line:
        dense = track.dense_centre()
        period = max(int(round(0.3 / (track.length_m / len(dense)))), 2)
        for k in range(0, len(dense) - period // 2, period):
            draw.line(proj(dense[k:k + period // 2 + 1]), fill=CENTRE, width=max(1, line_w // 2))
    if start_line:
        # Chequered start line across the track at waypoint 0: two rows of squares
        # when the picture is big enough to show them, one otherwise.
        a, b = track.left[0], track.right[0]
        squares = 8
        thick_m = START_LINE_M
        rows = 2 if thick_m * proj.scale >= 8 else 1
        h = track.segment_heading_rad[0]
        along = np.array([math.cos(h), math.sin(h)]) * (thick_m / rows)
        for r in range(rows):
            for k in range(squares):
                p0 = a + (b - a) * k / squares + along * (r - rows / 2)
                p1 = a + (b - a) * (k + 1) / squares + along * (r - rows / 2)
                dark = (k + r) % 2 == 1
                draw.polygon(proj(np.array([p0, p1, p1 + along, p0 + along])),
                             fill=(0, 0, 0) if dark else (255, 255, 255))


def render_map(track: Track, size_px: int = 800, height_px: int | None = None,
               car: CarState | None = None, background=GRASS, obstacles=None) -> Image.Image:
    """A top-down colour map: grass, tarmac, white edges, dashed centre line, start line;
    then the race's boxes and bots (`formats.Obstacles`) and the car, if given."""
    w = size_px
    h = height_px or int(size_px * 0.75)
    img = Image.new("RGB", (w, h), background)
    draw = ImageDraw.Draw(img)
    proj = MapProjection(track, w, h)
    draw_track(draw, proj, track)
    draw_scene(draw, proj, car, obstacles)
    return img


def draw_scene(draw: ImageDraw.ImageDraw, proj: MapProjection, car: CarState | None = None,
               obstacles=None) -> None:
    """The boxes and bots where they are now (`formats.Obstacles`), then the car on top."""
    if obstacles is not None:
        for k, rect in enumerate(obstacles.rects):
            draw_obstacle(draw, proj, rect, BOX if k < len(obstacles.boxes) else BOT)
    if car is not None:
        draw_car(draw, proj, car.x_m, car.y_m, car.heading_rad, CAR)


def render_map_at_scale(track: Track, px_per_m: float, pad_m: float,
                        stripes_m: float = 1.0) -> tuple[Image.Image, MapProjection]:
    """A large map at a fixed scale (for video follow views): mown grass stripes give
    the eye something to track when the car moves, then the track on top."""
    proj = MapProjection.at_scale(track, px_per_m, pad_m)
    w, h = proj.width_px, proj.height_px
    img = Image.new("RGB", (w, h), GRASS)
    draw = ImageDraw.Draw(img)
    if stripes_m > 0:
        # Stripes across world x: every other band of `stripes_m` is darker.
        x_world = -proj.ox / proj.scale
        k = math.floor(x_world / stripes_m)
        while True:
            left = (k * stripes_m) * proj.scale + proj.ox
            if left >= w:
                break
            if k % 2:
                draw.rectangle((max(0, int(round(left))), 0, int(round(left + stripes_m * proj.scale)) - 1, h),
                               fill=GRASS_DARK)
            k += 1
    draw_track(draw, proj, track)
    return img, proj


def draw_car(draw: ImageDraw.ImageDraw, proj: MapProjection, x: float, y: float,
             heading: float, colour, size_m: float = 0.35) -> None:
    """An arrowhead at the car's pose, at least a few pixels big."""
    r = max(size_m * proj.scale, 6.0) / proj.scale
    c, s = math.cos(heading), math.sin(heading)
    pts = np.array([[x + c * r, y + s * r],
                    [x - c * r * 0.6 - s * r * 0.5, y - s * r * 0.6 + c * r * 0.5],
                    [x - c * r * 0.6 + s * r * 0.5, y - s * r * 0.6 - c * r * 0.5]])
    draw.polygon(proj(pts), fill=colour, outline=(0, 0, 0))


def draw_obstacle(draw: ImageDraw.ImageDraw, proj: MapProjection, rect, colour) -> None:
    """A box or a bot car: its footprint (x_m, y_m, heading_rad, half length, half width),
    at least a few pixels across, outlined in black."""
    x, y, h, hl, hw = rect
    grow = max(1.0, 3.0 / max(min(hl, hw) * proj.scale, 1e-9))
    hl, hw = hl * grow, hw * grow
    c, s = math.cos(h), math.sin(h)
    pts = np.array([[x + c * lx - s * ly, y + s * lx + c * ly] for lx, ly in ((hl, hw), (-hl, hw), (-hl, -hw), (hl, -hw))])
    draw.polygon(proj(pts), fill=colour, outline=(0, 0, 0))


def speed_colour(v_m_s: float, v_max_m_s: float) -> tuple[int, int, int]:
    """The palette's colour for a speed (clipped to 0..v_max_m_s)."""
    f = min(max(v_m_s / v_max_m_s, 0.0), 1.0)
    for (f0, c0), (f1, c1) in zip(SPEED_PALETTE, SPEED_PALETTE[1:]):
        if f <= f1:
            a = (f - f0) / (f1 - f0)
            return tuple(int(round(c0[k] + (c1[k] - c0[k]) * a)) for k in range(3))
    return SPEED_PALETTE[-1][1]
