"""Track pictures for the pages: a top-down map of each track (Pillow, the simulator's own
renderer), drawn once per track file and size and kept in media storage.

`track_map_file(track, width_px)` returns the storage name of the PNG, rendering it on
first use; the `track-map` URL (racing/replay_urls.py) serves it.
"""

from __future__ import annotations

import io
import math
import threading
from collections import OrderedDict

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import ImageDraw

from simulator.render import MapProjection, render_map
from simulator.track import Track as SimTrack
from simulator.track import track_from_array

from .services import track_array

# Bump when the drawing changes, so that cached pictures are drawn again.
STYLE = 2
SIZES = (480, 960, 1600)
DEFAULT_WIDTH = 960
ARROW = (255, 122, 26)  # the site's accent


_TRACKS: OrderedDict[str, SimTrack] = OrderedDict()
_TRACKS_LOCK = threading.Lock()


def sim_track(track) -> SimTrack:
    """The simulator's Track of a `tracks.Track` row, cached per file content (sha256)."""
    key = track.sha256 or f"{track.pk}:{track.file.name}"
    with _TRACKS_LOCK:
        hit = _TRACKS.get(key)
        if hit is not None:
            _TRACKS.move_to_end(key)
            return hit
    sim = track_from_array(track_array(track), name=track.slug)
    with _TRACKS_LOCK:
        _TRACKS[key] = sim
        while len(_TRACKS) > 16:
            _TRACKS.popitem(last=False)
    return sim


def picture_width(requested) -> int:
    """The nearest supported width at or above the one asked for."""
    try:
        want = int(requested)
    except (TypeError, ValueError):
        return DEFAULT_WIDTH
    for size in SIZES:
        if want <= size:
            return size
    return SIZES[-1]


def track_map_name(track, width_px: int) -> str:
    digest = (track.sha256 or "nosha")[:12]
    return f"tracks/maps/{track.slug}-{digest}-s{STYLE}-{width_px}.png"


def track_map_png(sim, width_px: int = DEFAULT_WIDTH) -> bytes:
    """The PNG bytes of a simulator Track's map: grass, tarmac, edges, dashed centre line,
    chequered start line and an arrow for the driving direction."""
    x0, y0, x1, y1 = sim.bounds
    aspect = (y1 - y0) / max(x1 - x0, 1e-6)
    height_px = int(round(min(max(width_px * aspect + 0.08 * width_px, 0.45 * width_px), 1.1 * width_px)))
    height_px += height_px % 2
    img = render_map(sim, size_px=width_px, height_px=height_px)
    proj = MapProjection(sim, width_px, height_px)
    _draw_direction(ImageDraw.Draw(img), proj, sim)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _draw_direction(draw: ImageDraw.ImageDraw, proj: MapProjection, sim) -> None:
    """An arrow along the centre line just after the start line, pointing the way the
    cars drive."""
    length = sim.length_m
    start_s = min(0.6, 0.03 * length)
    arrow_m = min(max(0.06 * length, 0.8), 2.5)
    s = np.linspace(start_s, start_s + arrow_m, 24)
    pts = np.array([sim.point_at(v)[:2] for v in s])
    width = max(3, int(round(0.06 * proj.scale)))
    draw.line(proj(pts), fill=ARROW, width=width, joint="curve")
    x, y, heading = sim.point_at(start_s + arrow_m)
    head = max(0.25, arrow_m * 0.25)
    c, sn = math.cos(heading), math.sin(heading)
    tip = (x + c * head * 0.6, y + sn * head * 0.6)
    left = (x - c * head * 0.4 - sn * head * 0.55, y - sn * head * 0.4 + c * head * 0.55)
    right = (x - c * head * 0.4 + sn * head * 0.55, y - sn * head * 0.4 - c * head * 0.55)
    draw.polygon(proj(np.array([tip, left, right])), fill=ARROW)


def track_map_file(track, width_px: int = DEFAULT_WIDTH) -> str:
    """Storage name of the track's map at this width, rendered and stored on first use."""
    width_px = picture_width(width_px)
    name = track_map_name(track, width_px)
    if default_storage.exists(name):
        return name
    data = track_map_png(sim_track(track), width_px)
    if default_storage.exists(name):  # drawn meanwhile by another request
        return name
    return default_storage.save(name, ContentFile(data))
