"""Pictures for people: top-down track maps (Pillow).

The camera's grayscale world lives in `sensors.py`; this module draws in colour for
track pages, the CLI and videos.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from .track import Track
from .vehicle import CarState

GRASS = (46, 125, 70)
TARMAC = (52, 56, 64)
EDGE = (245, 245, 245)
CENTRE = (242, 196, 48)
CAR = (230, 57, 70)


class MapProjection:
    """World metres to picture pixels, keeping the aspect ratio, y pointing up."""

    def __init__(self, track: Track, width_px: int, height_px: int, margin_px: int = 24):
        x0, y0, x1, y1 = track.bounds
        self.scale = min((width_px - 2 * margin_px) / max(x1 - x0, 1e-6),
                         (height_px - 2 * margin_px) / max(y1 - y0, 1e-6))
        self.ox = (width_px - (x1 - x0) * self.scale) / 2 - x0 * self.scale
        self.oy = (height_px + (y1 - y0) * self.scale) / 2 + y0 * self.scale

    def __call__(self, pts: np.ndarray) -> list[tuple[float, float]]:
        pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        xs = pts[:, 0] * self.scale + self.ox
        ys = self.oy - pts[:, 1] * self.scale
        return list(zip(xs.tolist(), ys.tolist()))


def render_map(track: Track, size_px: int = 800, height_px: int | None = None,
               car: CarState | None = None, background=GRASS) -> Image.Image:
    """A top-down colour map: grass, tarmac, white edges, dashed centre line, start line."""
    w = size_px
    h = height_px or int(size_px * 0.75)
    img = Image.new("RGB", (w, h), background)
    draw = ImageDraw.Draw(img)
    proj = MapProjection(track, w, h)
    left = np.vstack([track.left, track.left[:1]])
    right = np.vstack([track.right, track.right[:1]])
    for i in range(track.n):
        draw.polygon(proj(np.array([left[i], left[i + 1], right[i + 1], right[i]])), fill=TARMAC, outline=TARMAC)
    line_w = max(1, int(round(0.05 * proj.scale)))
    draw.line(proj(left), fill=EDGE, width=line_w, joint="curve")
    draw.line(proj(right), fill=EDGE, width=line_w, joint="curve")
    dense = track.dense_centre()
    period = max(int(round(0.3 / (track.length_m / len(dense)))), 2)
    for k in range(0, len(dense) - period // 2, period):
        draw.line(proj(dense[k:k + period // 2 + 1]), fill=CENTRE, width=max(1, line_w // 2))
    # Chequered start line across the track at waypoint 0.
    a, b = track.left[0], track.right[0]
    squares = 8
    for k in range(squares):
        p0 = a + (b - a) * k / squares
        p1 = a + (b - a) * (k + 1) / squares
        draw.line(proj(np.array([p0, p1])), fill=(0, 0, 0) if k % 2 else (255, 255, 255),
                  width=max(2, int(round(0.08 * proj.scale))))
    if car is not None:
        draw_car(draw, proj, car.x_m, car.y_m, car.heading_rad, CAR)
    return img


def draw_car(draw: ImageDraw.ImageDraw, proj: MapProjection, x: float, y: float,
             heading: float, colour, size_m: float = 0.35) -> None:
    """An arrowhead at the car's pose, at least a few pixels big."""
    r = max(size_m * proj.scale, 6.0) / proj.scale
    c, s = math.cos(heading), math.sin(heading)
    pts = np.array([[x + c * r, y + s * r],
                    [x - c * r * 0.6 - s * r * 0.5, y - s * r * 0.6 + c * r * 0.5],
                    [x - c * r * 0.6 + s * r * 0.5, y - s * r * 0.6 - c * r * 0.5]])
    draw.polygon(proj(pts), fill=colour, outline=(0, 0, 0))
