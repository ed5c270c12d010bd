"""The world the camera sees, made to look like DeepRacer's simulator.

DeepRacer's Gazebo world: dark textured asphalt, wide white edge lines, an orange dashed
centre line, a light floor beside the track and dark walls round the room. Here that
world is a flat floor, pre-rendered once per track into top-down grey textures that the
camera samples every step (`camera.py`):

- the base level has `CameraParams.texel_m` metres per texel, drawn with the painted
  lines' borders antialiased; coarser levels have 2, 4, 8... times that, each texel the
  mean of the four below it (a mipmap), for the rows that look far ahead, so that
  distant lines are filtered instead of breaking up; a fine level, half the base texel,
  is the base level magnified by bilinear interpolation, for the rows just in front of
  the car, where a base texel would cover several pixels;
- the walls stand on a rectangle `WALL_MARGIN_M` outside the track's bounding box and are
  taller than anything the camera sees over. A ray that meets the floor beyond the walls
  has met the wall first (below the lens height), so the floor texture is wall-coloured
  there: the foot of the wall comes out in perspective for free, and everything above
  the horizon is wall.

Colours are RGB, turned into grey as DeepRacer does: Y = 0.2989 R + 0.587 G + 0.114 B.
The asphalt's texture comes from fixed seeds: the same track and parameters give the same
textures, bit for bit, on every machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from .track import Track


def grey(rgb: tuple[float, float, float]) -> float:
    """DeepRacer's colour to grey conversion (ITU-R 601 luma)."""
    r, g, b = rgb
    return 0.2989 * r + 0.587 * g + 0.114 * b


# The palette, chosen so that the camera's grey levels are those of DeepRacer's frames:
# asphalt ~51-55, edge lines ~200-221, centre dashes ~139-146, floor ~129-139, walls ~21.
ASPHALT_RGB = (50, 54, 58)
EDGE_LINE_RGB = (212, 212, 210)
CENTRE_LINE_RGB = (232, 117, 36)  # orange
FLOOR_RGB = (140, 134, 122)
WALL_RGB = (20, 21, 24)
ASPHALT_GREY = grey(ASPHALT_RGB)
EDGE_GREY = grey(EDGE_LINE_RGB)
CENTRE_GREY = grey(CENTRE_LINE_RGB)
FLOOR_GREY = grey(FLOOR_RGB)
WALL_GREY = grey(WALL_RGB)

# Texture, as the standard deviation of the grey level per texel at each scale (metres
# of the noise's cells): asphalt is grainy and blotchy, paint and floor nearly flat.
ASPHALT_NOISE = ((0.01, 2.0), (0.04, 2.2), (0.25, 1.4))
PAINT_NOISE = ((0.01, 1.2), (0.08, 1.5))
FLOOR_NOISE = ((0.02, 1.0), (0.3, 1.5))
WALL_NOISE = ((0.05, 0.6),)
# One seed per material, so that retuning one texture leaves the others as they were.
SEEDS = {"asphalt": 2019, "paint": 2020, "floor": 2018, "wall": 2024}

# The painted lines: white edge lines inside both borders (their outer side on the
# border, as on DeepRacer's tracks), orange dashes on the centre line.
EDGE_LINE_M = 0.075
CENTRE_LINE_M = 0.05
CENTRE_DASH_M = 0.15  # a dash every 2 * CENTRE_DASH_M of arc length
WALL_MARGIN_M = 2.0
# The masks are drawn at this many times the level-0 resolution and averaged down, so
# that a texel on a line's border holds the share of it that is painted.
MASK_OVERSAMPLE = 4


@dataclass(frozen=True)
class Level:
    """One texture level inside the atlas: texel (i, j) covers world x in
    [x0_m + i * texel_m, x0_m + (i + 1) * texel_m), likewise y, and sits at atlas row
    `row0 + j`, column `col0 + i`."""

    texel_m: float
    x0_m: float
    y0_m: float
    nx: int
    ny: int
    col0: int
    row0: int


@dataclass(frozen=True)
class GroundTextures:
    """All levels packed in one uint8 atlas, so that one gather serves samples of any
    level. `levels[0]` is the fine level (half the base texel: the base level magnified
    by bilinear interpolation, for the rows just in front of the car), `levels[1]` the
    base level, then coarser and coarser."""

    atlas: np.ndarray  # (rows, width) uint8
    levels: tuple[Level, ...]

    @property
    def width(self) -> int:
        return self.atlas.shape[1]


def _noise(shape: tuple[int, int], cell_texels: float, rng: np.random.Generator) -> np.ndarray:
    """Value noise of unit standard deviation: uniform random values on a grid of cells,
    interpolated linearly in between. Elementwise numpy only, and scaled by the noise's
    own standard deviation worked out in Python floats, not measured (a numpy reduction
    may add in another order on another CPU): the same bits everywhere."""
    h, w = shape
    cell = max(int(round(cell_texels)), 1)
    gh, gw = h // cell + 2, w // cell + 2
    grid = (rng.random((gh, gw)) * 2.0 - 1.0).astype(np.float32)
    # Uniform in [-1, 1): variance 1/3; a value interpolated at t between two of them has
    # ((1 - t)^2 + t^2) / 3, here averaged over the cell and once per axis.
    ts = [(i + 0.5) / cell for i in range(cell)]
    shrink = sum((1 - t) ** 2 + t**2 for t in ts) / cell
    if cell > 1:
        t = np.array(ts, np.float32)
        grid = (grid[:, :-1, None] * (1 - t) + grid[:, 1:, None] * t).reshape(gh, -1)
        grid = (grid[:-1, None, :] * (1 - t)[:, None] + grid[1:, None, :] * t[:, None]).reshape(-1, grid.shape[1])
    return grid[:h, :w] * np.float32(1.0 / math.sqrt(shrink * shrink / 3.0))


def _texture(shape: tuple[int, int], texel_m: float, scales, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.zeros(shape, dtype=np.float32)
    for cell_m, std in scales:
        out += np.float32(std) * _noise(shape, cell_m / texel_m, rng)
    return out


def _shapes(track: Track) -> tuple[list, list, list]:
    """The painted shapes in metres: track-surface quads, edge-line polylines and dashes."""
    left = np.vstack([track.left, track.left[:1]])
    right = np.vstack([track.right, track.right[:1]])
    centre = np.vstack([track.center, track.center[:1]])
    quads = [np.array([left[i], left[i + 1], right[i + 1], right[i]]) for i in range(track.n)]
    lines = []
    for border in (left, right):
        # The line's middle is half its width in from the border, towards the centre.
        inward = centre - border
        inward /= np.maximum(np.hypot(inward[:, 0], inward[:, 1]), 1e-9)[:, None]
        lines.append(border + inward * (EDGE_LINE_M / 2))
    dense = track.dense_centre()
    spacing = track.length_m / len(dense)
    period = max(int(round(2 * CENTRE_DASH_M / spacing)), 2)
    dash = period // 2
    dashes = [dense[i : i + dash + 1] for i in range(0, len(dense) - dash, period)]
    # Edge lines in short overlapping pieces, so that a strip draws only those it meets
    # (each piece joins the next at a shared, rounded joint).
    pieces = [line[i : i + 18] for line in lines for i in range(0, len(line) - 1, 16)]
    return quads, pieces, dashes


def _masks(track: Track, x0: float, y0: float, nx: int, ny: int,
           texel_m: float) -> tuple[tuple[slice, slice], tuple[np.ndarray, ...]]:
    """Painted share of the texels of the base level round the track: (the window of
    texels, (track surface, edge lines, centre dashes) over it). Drawn MASK_OVERSAMPLE
    times finer and averaged, strip by strip (a few MB at a time, whatever the size)."""
    k = MASK_OVERSAMPLE
    step = texel_m / k
    bx0, by0, bx1, by1 = track.bounds
    pad = EDGE_LINE_M + 4 * texel_m
    i0 = max(int((bx0 - pad - x0) / texel_m), 0)
    i1 = min(int(math.ceil((bx1 + pad - x0) / texel_m)), nx)
    j0 = max(int((by0 - pad - y0) / texel_m), 0)
    j1 = min(int(math.ceil((by1 + pad - y0) / texel_m)), ny)
    out = tuple(np.zeros((j1 - j0, i1 - i0), np.float32) for _ in range(3))
    groups = _shapes(track)
    widths = (0, max(1, int(round(EDGE_LINE_M / step))), max(1, int(round(CENTRE_LINE_M / step))))
    boxes = [[(s.min(axis=0), s.max(axis=0)) for s in shapes] for shapes in groups]
    strip = max(1, (1 << 21) // max((i1 - i0) * k * k, 1))  # texel rows per strip
    for js in range(j0, j1, strip):
        je = min(js + strip, j1)
        sx0, sy0 = x0 + i0 * texel_m, y0 + js * texel_m
        lo_y, hi_y = sy0 - pad, y0 + je * texel_m + pad
        for g, (shapes, bbox, width) in enumerate(zip(groups, boxes, widths)):
            img = Image.new("L", ((i1 - i0) * k, (je - js) * k), 0)
            draw = ImageDraw.Draw(img)
            for shape, (lo, hi) in zip(shapes, bbox):
                if hi[1] < lo_y or lo[1] > hi_y:
                    continue
                pts = ((shape - (sx0, sy0)) / step).tolist()
                pts = [tuple(p) for p in pts]
                if g == 0:
                    draw.polygon(pts, fill=255, outline=255)
                else:
                    draw.line(pts, fill=255, width=width, joint="curve" if g == 1 else None)
            # Pillow's box reduction: the mean of each k x k block, to 1/255.
            out[g][js - j0 : je - j0] = np.asarray(img.reduce(k), dtype=np.float32) / np.float32(255)
    return (slice(j0, j1), slice(i0, i1)), out


def _inside_box(n: int, start_m: float, texel_m: float, lo_m: float, hi_m: float) -> np.ndarray:
    """Share of each texel of a row (or column) that lies inside [lo_m, hi_m]."""
    a = start_m + np.arange(n) * texel_m
    return np.clip((np.minimum(a + texel_m, hi_m) - np.maximum(a, lo_m)) / texel_m, 0.0, 1.0).astype(np.float32)


def _level0(track: Track, x0: float, y0: float, nx: int, ny: int, texel_m: float) -> np.ndarray:
    """The base level as float grey: floor, asphalt, paint, walls."""
    window, (surface, lines, dashes) = _masks(track, x0, y0, nx, ny, texel_m)
    img = FLOOR_GREY + _texture((ny, nx), texel_m, FLOOR_NOISE, SEEDS["floor"])
    track_img = img[window]
    shape = track_img.shape
    asphalt = ASPHALT_GREY + _texture(shape, texel_m, ASPHALT_NOISE, SEEDS["asphalt"])
    track_img += surface * (asphalt - track_img)
    paint = _texture(shape, texel_m, PAINT_NOISE, SEEDS["paint"])
    track_img += lines * (EDGE_GREY + paint - track_img)
    track_img += dashes * (CENTRE_GREY + paint - track_img)
    bx0, by0, bx1, by1 = track.bounds
    m = WALL_MARGIN_M
    inside = (_inside_box(ny, y0, texel_m, by0 - m, by1 + m)[:, None]
              * _inside_box(nx, x0, texel_m, bx0 - m, bx1 + m)[None, :])
    wall = WALL_GREY + _texture((ny, nx), texel_m, WALL_NOISE, SEEDS["wall"])
    img += (1.0 - inside) * (wall - img)
    return img


def _upsample2(img: np.ndarray) -> np.ndarray:
    """Twice the resolution by bilinear interpolation between texel centres (each new
    texel 3/4 of its parent and 1/4 of the neighbour on its side; edges repeat)."""
    quarter = np.float32(0.25)
    for axis in (0, 1):
        src = img if axis == 0 else img.T
        n = src.shape[0]
        out = np.empty((2 * n,) + src.shape[1:], np.float32)
        left, right = out[0::2], out[1::2]  # each texel's first and second half
        np.multiply(src, np.float32(0.75), out=left)
        right[...] = left
        left[1:] += quarter * src[:-1]
        left[0] += quarter * src[0]
        right[:-1] += quarter * src[1:]
        right[-1] += quarter * src[-1]
        img = out if axis == 0 else out.T
    return np.ascontiguousarray(img)


def build_ground_textures(track: Track, texel_m: float, margins_m: list[float]) -> GroundTextures:
    """The fine level (texel_m / 2) and the levels texel_m * 2**k, k = 0, 1, ...;
    margins_m[0] is how far beyond the track's bounding box the fine level must reach,
    margins_m[1 + k] that of level k (at least; the base level always holds the walls and
    a little beyond)."""
    bx0, by0, bx1, by1 = track.bounds
    # Every level reaches past the walls: beyond its edge there is only wall, so that
    # coarser levels are padded with wall grey and a lookup clipped to a level's edge
    # (a car far off the track) sees the wall.
    margins_m = [max(m, WALL_MARGIN_M + 4 * texel_m) for m in margins_m]
    m0 = margins_m[1]
    x0, y0 = bx0 - m0, by0 - m0
    nx = int(math.ceil((bx1 - bx0 + 2 * m0) / texel_m)) + 2
    ny = int(math.ceil((by1 - by0 + 2 * m0) / texel_m)) + 2
    base = _level0(track, x0, y0, nx, ny, texel_m)
    images = [base]
    geometry = [(texel_m, x0, y0, nx, ny)]
    for k in range(2, len(margins_m)):
        t_prev, px0, py0, pnx, pny = geometry[-1]
        t = 2.0 * t_prev
        # Pad the finer level with wall to even sizes, average 2x2, then pad with whole
        # texels of wall out to this level's margin. Origins stay on the coarse lattice.
        prev = images[-1]
        even = np.full((pny + pny % 2, pnx + pnx % 2), WALL_GREY, dtype=np.float32)
        even[:pny, :pnx] = prev
        # The four texels added in a fixed order (bit-identical on every CPU).
        coarse = ((even[0::2, 0::2] + even[0::2, 1::2]) + (even[1::2, 0::2] + even[1::2, 1::2])) * np.float32(0.25)
        pad = max(int(math.ceil((margins_m[k] - (bx0 - px0)) / t)), 0) + 1
        ny_k, nx_k = coarse.shape[0] + 2 * pad, coarse.shape[1] + 2 * pad
        level = np.full((ny_k, nx_k), WALL_GREY, dtype=np.float32)
        level[pad : pad + coarse.shape[0], pad : pad + coarse.shape[1]] = coarse
        images.append(level)
        geometry.append((t, px0 - pad * t, py0 - pad * t, nx_k, ny_k))
    # The fine level: the base level's texels within its margin, magnified twice.
    skip = max(int(math.floor((m0 - margins_m[0]) / texel_m)), 0)
    keep_x = min(nx - skip, int(math.ceil((bx1 - bx0 + 2 * margins_m[0]) / texel_m)) + 2)
    keep_y = min(ny - skip, int(math.ceil((by1 - by0 + 2 * margins_m[0]) / texel_m)) + 2)
    fine = _upsample2(base[skip : skip + keep_y, skip : skip + keep_x])
    fine_geometry = (texel_m / 2, x0 + skip * texel_m, y0 + skip * texel_m, 2 * keep_x, 2 * keep_y)
    # Packing: the fine level on the left, the others in a column on its right.
    col = fine_geometry[3]
    width = col + max(g[3] for g in geometry)
    height = max(fine_geometry[4], sum(g[4] for g in geometry))
    atlas = np.full((height, width), int(round(WALL_GREY)), dtype=np.uint8)

    def put(img: np.ndarray, geo: tuple, col0: int, row0: int) -> Level:
        t, lx0, ly0, lnx, lny = geo
        atlas[row0 : row0 + lny, col0 : col0 + lnx] = np.clip(np.rint(img), 0, 255).astype(np.uint8)
        return Level(t, lx0, ly0, lnx, lny, col0, row0)

    levels = [put(fine, fine_geometry, 0, 0)]
    row = 0
    for img, geo in zip(images, geometry):
        levels.append(put(img, geo, col, row))
        row += geo[4]
    return GroundTextures(atlas, tuple(levels))


def backdrop(height_px: int, width_px: int, horizon_row: float) -> np.ndarray:
    """What the rows above the horizon show, the walls: dim, a little lighter towards
    their foot, with a faint fixed grain. uint8 (height_px, width_px)."""
    rows = np.arange(height_px, dtype=np.float32)[:, None]
    shade = WALL_GREY - 2.0 + 4.0 * np.clip(rows / max(horizon_row, 1.0), 0.0, 1.0)
    grain = _texture((height_px, width_px), 1.0, ((1.0, 0.5), (8.0, 0.6)), SEEDS["wall"] + 1)
    return np.clip(np.rint(shade + grain), 0, 255).astype(np.uint8)
