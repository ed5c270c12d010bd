"""How the cameras see boxes and bot cars: their upright faces drawn over the frame the
camera rendered of the floor (`simulator.camera`).

An obstacle is a block standing on the floor: its footprint (`geometry.Rect`) and a
height. From outside a block at most two of its upright faces look towards the lens
(the lidar's rule, in 3D); each is a flat quadrilateral, cut where it passes behind the
lens, projected through the same pinhole as the floor, and filled with one grey level:
the obstacle's colour, lighter on its ends than on its sides, so that a box's corner
reads as one. Obstacles are drawn furthest first, so a nearer one hides a further one.
The camera is lower than a box's top and level with a bot's roof, so tops are not drawn.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..camera import focal_px
from ..params import CameraParams
from ..scenery import grey
from ..vehicle import CarState
from .geometry import Rect
from .params import BOT_RGB, BOX_RGB
from .world import Obstacles

# Grey level of an obstacle's ends (its sides are SIDE_SHADE of it).
BOX_GREY = grey(BOX_RGB)
BOT_GREY = grey(BOT_RGB)
SIDE_SHADE = 0.8
NEAR_M = 0.01  # faces nearer the lens than this are cut off


class ObstacleCamera:
    """Draws the obstacles into frames of one camera (`lateral_m` left of the car's
    centre line, as `camera.CameraSensor`)."""

    def __init__(self, params: CameraParams, lateral_m: float = 0.0):
        self.params = params
        self.lateral_m = lateral_m
        self.f = focal_px(params)
        p = params.pitch_down_rad
        self._cp, self._sp = math.cos(p), math.sin(p)
        self._cols = np.arange(params.width_px) + 0.5
        self._rows = np.arange(params.height_px) + 0.5

    def draw(self, frame: np.ndarray, obstacles: Obstacles, car: CarState) -> None:
        """Draw the obstacles in view into `frame` (height_px, width_px): uint8 grey, or
        float holding grey / 255 (a model's float input)."""
        prm = self.params
        # A float frame holds the uint8 level times float32(1 / 255), as the camera writes it.
        scale = None if frame.dtype == np.uint8 else np.float32(1.0 / 255.0)
        c, s = math.cos(car[2]), math.sin(car[2])
        # The lens in the world.
        lx = car[0] + c * prm.forward_m - s * self.lateral_m
        ly = car[1] + s * prm.forward_m + c * self.lateral_m
        reach = prm.max_range_m
        n_boxes = len(obstacles.boxes)
        seen = []
        for k, rect in enumerate(obstacles.rects):
            dx, dy = rect[0] - lx, rect[1] - ly
            dist2 = dx * dx + dy * dy
            ahead = dx * c + dy * s
            r = math.hypot(rect[3], rect[4])
            if dist2 <= (reach + r) ** 2 and ahead > -r:
                seen.append((dist2, k, rect))
        for _, k, rect in sorted(seen, reverse=True):
            box = k < n_boxes
            height = obstacles.geometry.box_height_m if box else obstacles.geometry.bot_height_m
            colour = BOX_GREY if box else BOT_GREY
            for face, shade in _faces_towards(rect, lx, ly):
                poly = self._project(face, height, lx, ly, c, s)
                if poly is not None:
                    level = round(colour * shade)
                    self._fill(frame, poly, level if scale is None else np.float32(level) * scale)

    def _project(self, face, height: float, lx: float, ly: float, c: float, s: float):
        """The face (two floor corners, up to `height`) in pixel coordinates, cut at the
        near plane; None when it is all behind it."""
        (ax, ay), (bx, by) = face
        pts = []
        for x, y, z in ((ax, ay, 0.0), (bx, by, 0.0), (bx, by, height), (ax, ay, height)):
            fwd = (x - lx) * c + (y - ly) * s  # the car's frame, from the lens
            left = (y - ly) * c - (x - lx) * s
            up = z - self.params.height_m
            pts.append((fwd * self._cp - up * self._sp, -left, -fwd * self._sp - up * self._cp))  # depth, right, down
        clipped = []
        for i in range(4):  # Sutherland-Hodgman against depth >= NEAR_M
            p, q = pts[i], pts[(i + 1) % 4]
            if p[0] >= NEAR_M:
                clipped.append(p)
            if (p[0] >= NEAR_M) != (q[0] >= NEAR_M):
                t = (NEAR_M - p[0]) / (q[0] - p[0])
                clipped.append(tuple(p[j] + t * (q[j] - p[j]) for j in range(3)))
        if len(clipped) < 3:
            return None
        f, w2, h2 = self.f, self.params.width_px / 2.0, self.params.height_px / 2.0
        return [(w2 + f * r / d, h2 + f * v / d) for d, r, v in clipped]

    def _fill(self, frame: np.ndarray, poly: list[tuple[float, float]], value: float) -> None:
        """Set the pixels whose centres lie inside the convex polygon: on each row, those
        between the bounds its edges set (each edge bounds a row's columns from one side)."""
        h, w = frame.shape
        us = [p[0] for p in poly]
        vs = [p[1] for p in poly]
        c0, c1 = max(int(math.floor(min(us))), 0), min(int(math.ceil(max(us))), w)
        r0, r1 = max(int(math.floor(min(vs))), 0), min(int(math.ceil(max(vs))), h)
        if c0 >= c1 or r0 >= r1:
            return
        rows = self._rows[r0:r1]
        n = len(poly)
        # The polygon may wind either way: inside is where every edge's cross product has
        # the sign of its area.
        area = sum(us[i] * vs[(i + 1) % n] - us[(i + 1) % n] * vs[i] for i in range(n))
        sign = 1.0 if area > 0 else -1.0
        lo = np.full(r1 - r0, -np.inf)
        hi = np.full(r1 - r0, np.inf)
        for i in range(n):
            u0, v0 = poly[i]
            u1, v1 = poly[(i + 1) % n]
            a, b = sign * (u1 - u0), sign * (v1 - v0)
            # Inside this edge: b * (u - u0) <= a * (v - v0).
            if b > 0.0:
                np.minimum(hi, u0 + (rows - v0) * (a / b), out=hi)
            elif b < 0.0:
                np.maximum(lo, u0 + (rows - v0) * (a / b), out=lo)
            else:
                hi[a * (rows - v0) < 0.0] = -np.inf
        cols = self._cols[c0:c1]
        inside = (cols >= lo[:, None]) & (cols <= hi[:, None])
        np.copyto(frame[r0:r1, c0:c1], value, where=inside, casting="unsafe")


def drawing_obstacles(write: Callable[[CarState], None], obstacles: Obstacles,
                      cameras: list[tuple[ObstacleCamera, np.ndarray]]) -> Callable[[CarState], None]:
    """A camera writer (`CameraSensor.writer`) that also draws the obstacles into the
    frames it wrote: (camera, frame view) pairs, one per lens."""

    def write_and_draw(car: CarState) -> None:
        write(car)
        for camera, view in cameras:
            camera.draw(view, obstacles, car)

    return write_and_draw


def _faces_towards(rect: Rect, x: float, y: float) -> list[tuple[tuple, float]]:
    """The upright faces of the block on `rect` that face the point (x, y): (their two floor
    corners, shade), ends (across the heading) at full shade, sides at SIDE_SHADE."""
    cx, cy, h, hl, hw = rect
    c, s = math.cos(h), math.sin(h)
    ox = (x - cx) * c + (y - cy) * s
    oy = (y - cy) * c - (x - cx) * s

    def world(px: float, py: float) -> tuple[float, float]:
        return cx + c * px - s * py, cy + s * px + c * py

    faces = []
    if ox > hl:
        faces.append(((world(hl, -hw), world(hl, hw)), 1.0))
    elif ox < -hl:
        faces.append(((world(-hl, -hw), world(-hl, hw)), 1.0))
    if oy > hw:
        faces.append(((world(-hl, hw), world(hl, hw)), SIDE_SHADE))
    elif oy < -hw:
        faces.append(((world(-hl, -hw), world(hl, -hw)), SIDE_SHADE))
    return faces
