"""A top-down picture of a track (PNG), drawn from its borders with Pillow."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from simulator.track import Track

ASPHALT = (58, 60, 66)
GRASS = (34, 110, 58)
LINE = (240, 240, 240)
START = (230, 40, 40)


def track_png(track: Track, size_px: int = 800, margin_px: int = 24) -> bytes:
    pts = np.concatenate([track.left, track.right, track.center])
    lo = pts.min(axis=0)
    span = max(float((pts.max(axis=0) - lo).max()), 1e-6)
    scale = (size_px - 2 * margin_px) / span
    extent = (pts.max(axis=0) - lo) * scale + 2 * margin_px
    width, height = int(np.ceil(extent[0])), int(np.ceil(extent[1]))

    def px(arr: np.ndarray) -> list[tuple[float, float]]:
        xy = (arr - lo) * scale + margin_px
        return [(float(x), float(height - y)) for x, y in xy]

    img = Image.new("RGB", (max(width, 1), max(height, 1)), GRASS)
    draw = ImageDraw.Draw(img)
    left, right = px(track.left), px(track.right)
    # Fill quad by quad: works for any loop, whichever way it turns.
    n = len(left)
    for i in range(n):
        j = (i + 1) % n
        draw.polygon([left[i], left[j], right[j], right[i]], fill=ASPHALT)
    draw.line(left + [left[0]], fill=LINE, width=2)
    draw.line(right + [right[0]], fill=LINE, width=2)
    draw.line([left[0], right[0]], fill=START, width=4)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
