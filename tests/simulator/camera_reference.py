"""Slow, plain references for the camera tests: what each pixel should see.

- `reference_frame`: the frame as DeepRacer makes it, a finely rendered picture shrunk
  with bilinear filtering (a tent one output pixel wide), emulated by many sub-pixel
  rays per pixel, tent-weighted, each reading the floor textures with bilinear
  interpolation from the level that matches its own spacing. The fast camera must come
  close to it.
- `material_labels`: which painted material each pixel's ray meets, from the track's
  geometry alone (projection onto the centre line), not from the textures.
"""

from __future__ import annotations

import math

import numpy as np

from simulator import scenery as S
from simulator.camera import floor_textures, focal_px, ground_points, horizon_row
from simulator.params import CameraParams
from simulator.track import Track
from simulator.vehicle import CarState


def _world(car: CarState, gx: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c, s = math.cos(car.heading_rad), math.sin(car.heading_rad)
    return car.x_m + gx * c - gy * s, car.y_m + gx * s + gy * c


def _bilinear(tex: S.GroundTextures, k: int, wx: np.ndarray, wy: np.ndarray) -> np.ndarray:
    lv = tex.levels[k]
    fx = (wx - lv.x0_m) / lv.texel_m - 0.5
    fy = (wy - lv.y0_m) / lv.texel_m - 0.5
    ix = np.clip(np.floor(fx).astype(int), 0, lv.nx - 2)
    iy = np.clip(np.floor(fy).astype(int), 0, lv.ny - 2)
    ax, ay = np.clip(fx - ix, 0, 1), np.clip(fy - iy, 0, 1)
    a = tex.atlas.astype(np.float64)
    r, c = lv.row0 + iy, lv.col0 + ix
    top = a[r, c] + (a[r, c + 1] - a[r, c]) * ax
    bottom = a[r + 1, c] + (a[r + 1, c + 1] - a[r + 1, c]) * ax
    return top + (bottom - top) * ay


def reference_frame(track: Track, car: CarState, params: CameraParams = CameraParams(),
                    lateral_m: float = 0.0, per_px: int = 2) -> np.ndarray:
    """Float (height_px, width_px) frame: 2 * per_px sub-rays per pixel and axis, over
    the tent's +-1 pixel. Rows beyond the camera's range show its backdrop, as the fast
    camera does."""
    tex = floor_textures(track, params)
    h, w = params.height_px, params.width_px
    back = S.backdrop(h, w, horizon_row(params)).astype(np.float64)
    f = focal_px(params)
    gx0, _, _ = ground_points(params, lateral_m)
    beyond = ~(ground_points(params, lateral_m)[2]) | (gx0 > params.max_range_m)
    acc = np.zeros((h, w))
    total = 0.0
    offsets = (np.arange(2 * per_px) + 0.5) / per_px - 1.0
    for dv in offsets:
        for du in offsets:
            weight = (1 - abs(du)) * (1 - abs(dv))
            gx, gy, ground = ground_points(params, lateral_m, du, dv)
            gx_next, _, _ = ground_points(params, lateral_m, du, dv + 1.0 / per_px)
            along = np.abs(gx_next - gx)
            across = np.hypot(gx - params.forward_m, params.height_m) / (f * per_px)
            spacing = np.sqrt(np.maximum(along * across, 1e-12))
            level = np.clip(np.rint(np.log2(np.maximum(spacing / params.texel_m, 1e-9))) + 1,
                            0, len(tex.levels) - 1).astype(int)
            wx, wy = _world(car, gx, gy)
            value = back.copy()
            for k in np.unique(level[~beyond]):
                m = (level == k) & ~beyond & ground
                value[m] = _bilinear(tex, k, wx[m], wy[m])
            acc += weight * value
            total += weight
    return acc / total


def material_labels(track: Track, car: CarState, params: CameraParams = CameraParams(),
                    first_row: int = 50, margin_m: float = 0.03) -> np.ndarray:
    """Per pixel of the rows from `first_row` on: "asphalt", "edge", "dash", "floor", or
    "" where the pixel's neighbourhood (margin_m) is not all one material."""
    gx, gy, _ = ground_points(params)
    wx, wy = _world(car, gx, gy)
    h, w = gx.shape
    out = np.full((h, w), "", dtype=object)
    dense = track.dense_centre()
    spacing = track.length_m / len(dense)
    period = max(int(round(2 * S.CENTRE_DASH_M / spacing)), 2)
    period_m, dash_m = period * spacing, (period // 2) * spacing
    m = margin_m
    hint = None
    for r in range(first_row, h):
        for c in range(w):
            p = track.project(float(wx[r, c]), float(wy[r, c]), hint=hint)
            hint = p.index
            off = abs(p.offset_m)
            half = p.left_half_width_m if p.offset_m >= 0 else p.right_half_width_m
            phase = p.s_m % period_m
            if off > half + m:
                out[r, c] = "floor"
            elif half - S.EDGE_LINE_M + m < off < half - m:
                out[r, c] = "edge"
            elif off < half - S.EDGE_LINE_M - m:
                if off < S.CENTRE_LINE_M / 2 - m / 2 and m < phase < dash_m - m:
                    out[r, c] = "dash"
                elif off > S.CENTRE_LINE_M / 2 + m or dash_m + m < phase < period_m - m:
                    out[r, c] = "asphalt"
    return out
