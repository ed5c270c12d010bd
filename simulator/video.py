"""Race videos: a follow view of the car with a minimap and timing overlays, as H.264 MP4.

One video frame per control step (15 fps, the simulator's 15 Hz control), so the car
moves at real speed and `frames == steps`, `duration == steps / 15 s`. The race clock
shown in the corner is the official one: an off-track penalty makes it jump by the
penalty (e.g. +3 s) between two frames while a "+3 s PENALTY" card stays on screen for
two seconds; the video does not freeze for the penalty time.

Cost is kept flat and small: the track is drawn once as a large picture at the follow
view's scale; every frame is an affine crop of it (Pillow, nearest neighbour at 1:1,
so no resampling blur), a car sprite, a pre-drawn minimap with a dot, and text; frames
are converted to yuv420p and encoded one at a time (libx264, one thread), never held.

`python -m simulator.video render REPLAY.json --track SLUG_OR_PATH --out OUT.mp4` renders
a replay file; `python -m simulator.video bench` times a 60 s race on one core.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from . import layout as L
from .params import CarParams
from .render import OFF_TRACK, MapProjection, render_map_at_scale
from .simtrace import off_track_rows
from .track import Track

FPS = 15
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")

# Colours of the overlays.
PANEL = (14, 17, 23, 200)
TEXT = (245, 247, 250)
MUTED = (160, 168, 182)
ACCENT = (255, 196, 0)
GOOD = (52, 199, 89)
BAD = (255, 69, 58)
CAR_BODY = (230, 57, 70)
CAR_DARK = (24, 24, 28)


@dataclass(frozen=True)
class VideoSpec:
    """Picture size, frame rate, zoom and encoder settings."""

    width_px: int = 960
    height_px: int = 540
    fps: int = FPS
    view_width_m: float = 5.0  # ground shown across the follow view
    car_at: tuple[float, float] = (0.5, 0.64)  # where the car sits, as fractions of the frame
    crf: int = 23
    preset: str = "superfast"
    threads: int = 1
    # The large map behind the follow view is capped at this many pixels (memory); a
    # bigger track is drawn at a lower scale and magnified.
    max_map_pixels: int = 40_000_000
    penalty_card_s: float = 2.0
    lap_card_s: float = 2.0
    trail_steps: int = 30

    def __post_init__(self) -> None:
        if self.width_px % 2 or self.height_px % 2:
            raise ValueError("video width and height must be even (yuv420p)")
        if self.width_px < 320 or self.height_px < 240:
            raise ValueError("video must be at least 320x240")


@dataclass(frozen=True)
class VideoLabels:
    """Text that is not in the replay: who raced and where."""

    racer: str = ""
    title: str = ""  # race or track name


@dataclass(frozen=True)
class VideoInfo:
    path: str
    frames: int
    duration_s: float
    width_px: int
    height_px: int
    fps: int
    bytes: int


def expected_frames(replay: dict) -> int:
    """Frames of a replay's video: one per trajectory row."""
    return len(replay.get("trajectory") or [])


# --- Replay data ------------------------------------------------------------------------------


@dataclass
class _Run:
    """A replay unpacked into arrays and per-row annotations."""

    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray
    speed: np.ndarray
    steering: np.ndarray
    progress: np.ndarray
    lap: np.ndarray
    on_track: np.ndarray
    laps_required: int
    lap_times: list[float]
    # Row index -> what happened on that row.
    lap_rows: dict[int, float]  # row that completed a lap -> lap time
    penalty_rows: dict[int, tuple[str, float]]  # row that went off -> (kind, penalty s)
    status: str
    total_time_s: float | None

    @property
    def steps(self) -> int:
        return len(self.t)


def unpack_replay(replay: dict) -> _Run:
    columns = list(replay.get("columns") or L.TRAJ_COLUMNS)
    traj = np.asarray(replay.get("trajectory") or [], dtype=np.float64).reshape(-1, len(columns))

    def col(name: str, default: int) -> np.ndarray:
        idx = columns.index(name) if name in columns else default
        return traj[:, idx]

    result = replay.get("result") or {}
    lap = col("lap", L.TRAJ_LAP).astype(np.int64)
    on_track = col("on_track", L.TRAJ_ON_TRACK)
    lap_times = [float(v) for v in result.get("lap_times_s") or []]
    lap_rows: dict[int, float] = {}
    prev = 0
    for i, k in enumerate(lap.tolist()):
        if k > prev:
            lap_rows[i] = lap_times[k - 1] if k - 1 < len(lap_times) else float("nan")
        prev = k
    penalty_rows = off_track_rows(replay, on_track)
    laps_required = int(result.get("laps_required") or 0) or max(len(lap_times), 1)
    return _Run(
        t=col("time_s", L.TRAJ_TIME_S), x=col("x_m", L.TRAJ_X_M), y=col("y_m", L.TRAJ_Y_M),
        heading=col("heading_rad", L.TRAJ_HEADING_RAD), speed=col("speed_m_s", L.TRAJ_SPEED_M_S),
        steering=col("steering_deg", L.TRAJ_STEERING_DEG), progress=col("progress", L.TRAJ_PROGRESS),
        lap=lap, on_track=on_track, laps_required=laps_required, lap_times=lap_times,
        lap_rows=lap_rows, penalty_rows=penalty_rows, status=str(result.get("status") or ""),
        total_time_s=result.get("total_time_s"),
    )


# --- Drawing helpers --------------------------------------------------------------------------


@lru_cache(maxsize=32)
def font(size: int, bold: bool = False, mono: bool = False) -> ImageFont.ImageFont:
    """DejaVu when installed, else Pillow's built-in scalable font."""
    name = "DejaVuSans" + ("Mono" if mono else "") + ("-Bold" if bold else "") + ".ttf"
    for folder in FONT_DIRS:
        path = Path(folder) / name
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def format_clock(t_s: float | None) -> str:
    if t_s is None or not math.isfinite(t_s):
        return "--:--.---"
    t_s = max(0.0, t_s)
    minutes = int(t_s // 60)
    return f"{minutes}:{t_s - 60 * minutes:06.3f}"


class _TextStamps:
    """Rendered text kept as masks: a figure that stays the same for many frames (best
    lap, off-track count, a speed value) is stamped with one paste instead of being laid
    out and rasterised by FreeType again."""

    def __init__(self, limit: int = 1024):
        self.limit = limit
        self.cache: dict = {}

    def draw(self, frame: Image.Image, xy: tuple[float, float], text: str, font, fill) -> None:
        key = (text, id(font))
        hit = self.cache.get(key)
        if hit is None:
            left, top, right, bottom = font.getbbox(text)
            mask = Image.new("L", (max(1, int(math.ceil(right - left))), max(1, int(math.ceil(bottom - top)))), 0)
            ImageDraw.Draw(mask).text((-left, -top), text, font=font, fill=255)
            if len(self.cache) >= self.limit:
                self.cache.clear()
            hit = self.cache[key] = (mask, left, top)
        mask, left, top = hit
        frame.paste(fill, (int(round(xy[0] + left)), int(round(xy[1] + top))), mask)


class _Panel:
    """An opaque rounded panel (RGB) with a 1-bit mask: pasting it costs almost nothing,
    unlike alpha blending. Static text is drawn on it once."""

    def __init__(self, size: tuple[int, int], radius: int = 10, fill=PANEL[:3]):
        self.image = Image.new("RGB", size, fill)
        self.mask = Image.new("1", size, 0)
        ImageDraw.Draw(self.mask).rounded_rectangle((0, 0, size[0] - 1, size[1] - 1), radius=radius, fill=1)
        self.draw = ImageDraw.Draw(self.image)
        self.width, self.height = size

    def paste_on(self, frame: Image.Image, pos: tuple[int, int]) -> None:
        frame.paste(self.image, pos, self.mask)


def speed_colour(v: float, v_max: float = 4.0) -> tuple[int, int, int]:
    """Slow blue -> green -> yellow -> fast red (the racing-line palette of the page too)."""
    f = min(max(v / v_max, 0.0), 1.0)
    stops = ((0.0, (64, 120, 255)), (0.35, (52, 199, 89)), (0.7, (255, 204, 0)), (1.0, (255, 59, 48)))
    for (f0, c0), (f1, c1) in zip(stops, stops[1:]):
        if f <= f1:
            a = (f - f0) / (f1 - f0)
            return tuple(int(round(c0[k] + (c1[k] - c0[k]) * a)) for k in range(3))
    return stops[-1][1]


def _car_sprite(scale: float, car: CarParams) -> tuple[Image.Image, tuple[float, float]]:
    """The car seen from above pointing up (RGBA) and the offset of its centre, at
    `scale` px/m; front wheels are drawn per frame (they steer)."""
    length = car.length_m * scale
    width = car.width_m * scale
    pad = 0.25 * length
    w = int(math.ceil(width + 2 * pad))
    h = int(math.ceil(length + 2 * pad))
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    cx, cy = w / 2, h / 2
    # Rear wheels.
    ww, wl = 0.22 * width, 0.24 * length
    for side in (-1, 1):
        x = cx + side * (width / 2 - ww * 0.15)
        y = cy + length * 0.30
        d.rounded_rectangle((x - ww / 2, y - wl / 2, x + ww / 2, y + wl / 2), radius=2, fill=CAR_DARK)
    # Shadow, body, cockpit, nose stripe.
    d.rounded_rectangle((cx - width * 0.42 + 2, cy - length * 0.5 + 3, cx + width * 0.42 + 2, cy + length * 0.5 + 3),
                        radius=int(width * 0.25), fill=(0, 0, 0, 90))
    d.rounded_rectangle((cx - width * 0.40, cy - length * 0.5, cx + width * 0.40, cy + length * 0.5),
                        radius=int(width * 0.25), fill=CAR_BODY + (255,), outline=(20, 20, 20, 255), width=1)
    d.rounded_rectangle((cx - width * 0.25, cy - length * 0.08, cx + width * 0.25, cy + length * 0.22),
                        radius=int(width * 0.12), fill=(30, 34, 44, 255))
    d.rectangle((cx - width * 0.06, cy - length * 0.5, cx + width * 0.06, cy - length * 0.1), fill=(255, 255, 255, 230))
    return img, (cx, cy)


class _Hud:
    """Every piece of the frame that does not depend on the follow view."""

    def __init__(self, track: Track, run: _Run, labels: VideoLabels, spec: VideoSpec):
        W, H = spec.width_px, spec.height_px
        self.spec = spec
        s = H / 540.0  # overlay sizes scale with the picture height
        self.s = s
        pad = self.pad = int(14 * s)
        self.f_alias = font(int(24 * s), bold=True)
        self.f_small = font(int(14 * s), bold=True)
        self.f_label = font(int(13 * s))
        self.f_clock = font(int(34 * s), bold=True, mono=True)
        self.f_value = font(int(18 * s), bold=True, mono=True)
        self.f_speed = font(int(40 * s), bold=True, mono=True)
        self.f_card = font(int(30 * s), bold=True)
        self.f_card_small = font(int(18 * s), bold=True, mono=True)
        self.labels = labels
        self.stamps = _TextStamps()
        racer = labels.racer or "Replay"
        # Top left: who and where (all static).
        text_w = max(self.f_alias.getlength(racer), self.f_label.getlength(labels.title or ""))
        self.name_panel = _Panel((int(min(text_w + 2 * pad, W * 0.55)), int((64 if labels.title else 44) * s)))
        self.name_panel.draw.text((pad, int(8 * s)), racer, font=self.f_alias, fill=TEXT)
        if labels.title:
            self.name_panel.draw.text((pad, int(38 * s)), labels.title, font=self.f_label, fill=MUTED)
        # Top right: lap, lap clock, race clock and the lap's progress.
        self.clock_panel = _Panel((int(250 * s), int(82 * s)))
        # Bottom left: speed, steering and timing figures.
        sp = self.speed_panel = _Panel((int(320 * s), int(108 * s)))
        sp.draw.text((pad + self.f_speed.getlength("0.00") + int(6 * s), int(26 * s)), "m/s", font=self.f_label,
                     fill=MUTED)
        self.bar_x = int(182 * s)
        self.bar_w = sp.width - self.bar_x - pad
        sp.draw.text((self.bar_x, int(2 * s)), "SPEED", font=self.f_label, fill=MUTED)
        sp.draw.rectangle((self.bar_x, int(20 * s), self.bar_x + self.bar_w, int(30 * s)), fill=(60, 66, 80))
        sp.draw.text((self.bar_x, int(36 * s)), "STEER", font=self.f_label, fill=MUTED)
        gauge_y = int(60 * s)
        self.gauge = (self.bar_x, gauge_y, self.bar_x + self.bar_w)
        sp.draw.line((self.bar_x, gauge_y, self.bar_x + self.bar_w, gauge_y), fill=(60, 66, 80),
                     width=max(2, int(4 * s)))
        mid = self.bar_x + self.bar_w / 2
        sp.draw.line((mid, gauge_y - int(5 * s), mid, gauge_y + int(5 * s)), fill=(90, 96, 110), width=1)
        self.fig_y = int(66 * s)
        self.col_w = (self.bar_x - pad) / 2
        for j, label in enumerate(("BEST", "LAST")):
            sp.draw.text((pad + j * self.col_w, self.fig_y), label, font=self.f_label, fill=MUTED)
        sp.draw.text((self.bar_x, self.fig_y), "OFF TRACK", font=self.f_label, fill=MUTED)
        # Bottom right: minimap.
        mm_w, mm_h = int(230 * s), int(172 * s)
        x0, y0, x1, y1 = track.bounds
        aspect = (x1 - x0) / max(y1 - y0, 1e-6)
        if aspect > mm_w / mm_h:
            mm_h = max(int(mm_w / aspect), int(80 * s))
        else:
            mm_w = max(int(mm_h * aspect), int(100 * s))
        inner = int(10 * s)
        mm = self.minimap = _Panel((mm_w + 2 * inner, mm_h + 2 * inner))
        self.mm_proj = MapProjection(track, mm_w, mm_h, margin_px=int(6 * s))
        self.mm_proj.ox += inner
        self.mm_proj.oy += inner
        left = np.vstack([track.left, track.left[:1]])
        right = np.vstack([track.right, track.right[:1]])
        for i in range(track.n):
            mm.draw.polygon(self.mm_proj(np.array([left[i], left[i + 1], right[i + 1], right[i]])),
                            fill=(90, 96, 110), outline=(90, 96, 110))
        mm.draw.line(self.mm_proj(np.array([track.left[0], track.right[0]])), fill=(255, 255, 255),
                     width=max(2, int(3 * s)))
        self.mm_pos = (W - mm.width - pad, H - mm.height - pad)
        self.name_pos = (pad, pad)
        self.clock_pos = (W - self.clock_panel.width - pad, pad)
        self.speed_pos = (pad, H - sp.height - pad)

    def mark_off_track(self, x: float, y: float) -> None:
        """A permanent red cross on the minimap where the car left the track."""
        px, py = self.mm_proj.point(x, y)
        r = 4 * self.s
        w = max(2, int(2 * self.s))
        self.minimap.draw.line((px - r, py - r, px + r, py + r), fill=BAD, width=w)
        self.minimap.draw.line((px - r, py + r, px + r, py - r), fill=BAD, width=w)


# --- Frames -----------------------------------------------------------------------------------


def _soften(img: Image.Image, band_px: int = 256) -> None:
    """Pillow's polygons are not anti-aliased: soften the big map a touch, once, in place
    and band by band (a blur of the whole picture at once would double its memory)."""
    h = img.height
    for y0 in range(0, h, band_px):
        top = max(0, y0 - 2)
        bottom = min(h, y0 + band_px + 2)
        band = img.crop((0, top, img.width, bottom)).filter(ImageFilter.BoxBlur(0.5))
        img.paste(band.crop((0, y0 - top, img.width, y0 - top + min(band_px, h - y0))), (0, y0))


def video_frames(track: Track, replay: dict, labels: VideoLabels = VideoLabels(),
                 spec: VideoSpec = VideoSpec()) -> Iterator[Image.Image]:
    """The frames of the video, one per trajectory row (RGB, spec's size), made lazily.

    Frames are made lazily and not kept: memory stays flat whatever the race length.
    """
    run = unpack_replay(replay)
    W, H = spec.width_px, spec.height_px
    k = W / spec.view_width_m  # px per metre of the follow view
    cx, cy = spec.car_at[0] * W, spec.car_at[1] * H
    reach_m = math.hypot(max(cx, W - cx), max(cy, H - cy)) / k + 0.5
    map_scale = k
    x0, y0, x1, y1 = track.bounds
    while (x1 - x0 + 2 * reach_m) * (y1 - y0 + 2 * reach_m) * map_scale ** 2 > spec.max_map_pixels:
        map_scale *= 0.8
    big, proj = render_map_at_scale(track, map_scale, reach_m)
    _soften(big)
    big_draw = ImageDraw.Draw(big)
    s_map = proj.scale
    hud = _Hud(track, run, labels, spec)
    car_params = CarParams()
    sprite, (scx, scy) = _car_sprite(k, car_params)
    sprite_pos = (int(round(cx - scx)), int(round(cy - scy)))
    fill = tuple(big.getpixel((0, 0)))
    penalty_frames = int(round(spec.penalty_card_s * spec.fps))
    lap_frames = int(round(spec.lap_card_s * spec.fps))
    n = run.steps
    best: float | None = None
    last_lap: float | None = None
    laps_done = 0
    off_count = 0
    lap_start_t = 0.0
    penalty_since = -10**9
    penalty_text = ""
    lap_since = -10**9
    lap_text = ""
    trail_start = 0  # the trail never crosses a reset
    colours = [speed_colour(v) for v in run.speed.tolist()]
    for i in range(n):
        X, Y, h = float(run.x[i]), float(run.y[i]), float(run.heading[i])
        c, sn = math.cos(h), math.sin(h)
        # Output pixel (u, v) -> map pixel; the car's heading points up the screen.
        a_ = s_map * sn / k
        b_ = -s_map * c / k
        d_ = s_map * c / k
        e_ = s_map * sn / k
        c_ = s_map * X + s_map * (cy * c - cx * sn) / k + proj.ox
        f_ = proj.oy - s_map * Y - s_map * (cy * sn + cx * c) / k
        frame = big.transform((W, H), Image.AFFINE, (a_, b_, c_, d_, e_, f_), resample=Image.NEAREST,
                              fillcolor=fill)
        draw = ImageDraw.Draw(frame)

        # Trail: the last seconds of the path, coloured by speed.
        lo = max(trail_start, i - spec.trail_steps)
        if i - lo >= 1:
            dx = run.x[lo:i + 1] - X
            dy = run.y[lo:i + 1] - Y
            fwd = dx * c + dy * sn
            left = -dx * sn + dy * c
            us = (cx - left * k).tolist()
            vs = (cy - fwd * k).tolist()
            width = max(2, int(0.035 * k))
            for j in range(len(us) - 1):
                draw.line((us[j], vs[j], us[j + 1], vs[j + 1]), fill=colours[lo + j + 1], width=width)

        # The car: front wheels steer, then the body on top.
        steer = math.radians(float(run.steering[i]))
        ww, wl = 0.22 * car_params.width_m * k, 0.24 * car_params.length_m * k
        cs, ss = math.cos(steer), math.sin(steer)
        for side in (-1, 1):
            wx = cx + side * (car_params.width_m * k / 2 - ww * 0.15)
            wy = cy - car_params.length_m * k * 0.30
            pts = []
            for px, py in ((-ww / 2, -wl / 2), (ww / 2, -wl / 2), (ww / 2, wl / 2), (-ww / 2, wl / 2)):
                # Positive steering turns left: counter-clockwise on screen.
                pts.append((wx + px * cs + py * ss, wy - px * ss + py * cs))
            draw.polygon(pts, fill=CAR_DARK)
        frame.paste(sprite, sprite_pos, sprite)

        # Race events on this row.
        if i in run.lap_rows:
            laps_done += 1
            lt = run.lap_rows[i]
            last_lap = lt
            is_best = best is None or lt < best
            best = lt if best is None else min(best, lt)
            lap_start_t = float(sum(run.lap_times[:laps_done]))
            lap_since = i
            lap_text = f"LAP {laps_done}  {lt:.3f}" + ("  BEST" if is_best and laps_done > 1 else "")
        if i in run.penalty_rows:
            kind, penalty = run.penalty_rows[i]
            off_count += 1
            penalty_since = i
            what = "WRONG WAY" if kind == "wrong_way" else "OFF TRACK"
            penalty_text = f"{what}  +{penalty:g} s PENALTY"
            hud.mark_off_track(X, Y)
            r = 0.12 * s_map
            mx, my = proj.point(X, Y)
            big_draw.line((mx - r, my - r, mx + r, my + r), fill=OFF_TRACK, width=max(2, int(0.03 * s_map)))
            big_draw.line((mx - r, my + r, mx + r, my - r), fill=OFF_TRACK, width=max(2, int(0.03 * s_map)))

        last = i == n - 1
        t = float(run.t[i])
        lap_clock = max(0.0, t - lap_start_t)
        if i in run.lap_rows:
            # The crossing itself is timed inside the step: show the official figures.
            t = lap_start_t
            lap_clock = run.lap_rows[i]
        if last and run.total_time_s is not None:
            t = float(run.total_time_s)
        _draw_hud(frame, draw, hud, run, i, t, laps_done, best, last_lap, off_count, lap_clock, colours[i])

        # Cards: a penalty (red), a completed lap (green), the result on the last frame.
        if i - penalty_since < penalty_frames and not last:
            _card(frame, draw, hud, penalty_text, BAD, y_frac=0.2)
            if i - penalty_since < 6:
                bw = max(4, int(8 * hud.s))
                draw.rectangle((0, 0, W - 1, H - 1), outline=BAD, width=bw)
        elif i - lap_since < lap_frames and not last:
            _card(frame, draw, hud, lap_text, GOOD, y_frac=0.2)
        if last:
            _result_card(frame, draw, hud, run, best, off_count)
        yield frame
        if i in run.penalty_rows:
            trail_start = i + 1


def _draw_hud(frame, draw, hud: _Hud, run: _Run, i: int, t: float, laps_done: int,
              best: float | None, last_lap: float | None, off_count: int, lap_clock: float,
              speed_rgb: tuple[int, int, int]) -> None:
    s, pad = hud.s, hud.pad
    hud.name_panel.paste_on(frame, hud.name_pos)
    # Lap, lap clock, race clock, lap progress.
    x, y = hud.clock_pos
    pw = hud.clock_panel.width
    hud.clock_panel.paste_on(frame, (x, y))
    lap_now = min(laps_done + 1, run.laps_required)
    hud.stamps.draw(frame, (x + pad, y + int(8 * s)), f"LAP {lap_now}/{run.laps_required}", hud.f_small, ACCENT)
    draw.text((x + pw - pad, y + int(8 * s)), format_clock(lap_clock), font=hud.f_small, fill=MUTED, anchor="ra")
    draw.text((x + pad, y + int(28 * s)), format_clock(t), font=hud.f_clock, fill=TEXT)
    bar_y = y + hud.clock_panel.height - int(10 * s)
    bar_w = pw - 2 * pad
    prog = 1.0 if laps_done >= run.laps_required else float(run.progress[i])
    draw.rectangle((x + pad, bar_y, x + pad + bar_w, bar_y + int(4 * s)), fill=(60, 66, 80))
    if prog > 0:
        draw.rectangle((x + pad, bar_y, x + pad + int(bar_w * prog), bar_y + int(4 * s)), fill=ACCENT)
    # Speed, steering, figures.
    x, y = hud.speed_pos
    hud.speed_panel.paste_on(frame, (x, y))
    v = float(run.speed[i])
    hud.stamps.draw(frame, (x + pad, y + int(4 * s)), f"{v:4.2f}", hud.f_speed, TEXT)
    bx = x + hud.bar_x
    fill_w = int(hud.bar_w * min(max(v, 0.0) / 4.0, 1.0))
    if fill_w > 0:
        draw.rectangle((bx, y + int(20 * s), bx + fill_w, y + int(30 * s)), fill=speed_rgb)
    g0, gy, g1 = hud.gauge
    mid = x + (g0 + g1) / 2
    needle = mid - (g1 - g0) / 2 * max(-1.0, min(1.0, float(run.steering[i]) / 30.0))  # positive = left
    draw.line((needle, y + gy - int(7 * s), needle, y + gy + int(7 * s)), fill=TEXT, width=max(2, int(3 * s)))
    fy = y + hud.fig_y + int(16 * s)
    hud.stamps.draw(frame, (x + pad, fy), "-" if best is None else f"{best:.3f}", hud.f_value, TEXT)
    hud.stamps.draw(frame, (x + pad + hud.col_w, fy), "-" if last_lap is None else f"{last_lap:.3f}", hud.f_value,
                    TEXT)
    hud.stamps.draw(frame, (bx, fy), str(off_count), hud.f_value, BAD if off_count else TEXT)
    # Minimap with the car.
    mx, my = hud.mm_pos
    hud.minimap.paste_on(frame, (mx, my))
    px, py = hud.mm_proj.point(float(run.x[i]), float(run.y[i]))
    r = 5 * s
    draw.ellipse((mx + px - r, my + py - r, mx + px + r, my + py + r), fill=CAR_BODY, outline=TEXT,
                 width=max(1, int(2 * s)))


def _card(frame, draw, hud: _Hud, text: str, colour, y_frac: float) -> None:
    W = frame.width
    tw = hud.f_card.getlength(text)
    w = int(tw + 4 * hud.pad)
    h = int(54 * hud.s)
    x = int((W - w) / 2)
    y = int(frame.height * y_frac)
    draw.rounded_rectangle((x, y, x + w, y + h), radius=int(10 * hud.s), fill=colour)
    draw.text((W / 2, y + h / 2), text, font=hud.f_card, fill=(255, 255, 255), anchor="mm")


def _result_card(frame, draw, hud: _Hud, run: _Run, best: float | None, off_count: int) -> None:
    W, H = frame.width, frame.height
    finished = run.status == "finished"
    title = "FINISHED" if finished else "DID NOT FINISH" if run.status == "dnf" else (run.status or "END").upper()
    total = run.total_time_s if run.total_time_s is not None else float(run.t[-1])
    lines = [f"TIME {format_clock(total)}", f"BEST LAP {'-' if best is None else f'{best:.3f}'}",
             f"LAPS {len(run.lap_times)}/{run.laps_required}   OFF TRACK {off_count}"]
    w = int(max(hud.f_card_small.getlength(t) for t in lines) + 6 * hud.pad)
    h = int((70 + 30 * len(lines)) * hud.s)
    x, y = (W - w) // 2, (H - h) // 2 - int(30 * hud.s)
    draw.rounded_rectangle((x, y, x + w, y + h), radius=int(14 * hud.s), fill=(14, 17, 23))
    draw.rounded_rectangle((x, y, x + w, y + int(8 * hud.s)), radius=int(4 * hud.s), fill=GOOD if finished else BAD)
    draw.text((W / 2, y + int(38 * hud.s)), title, font=hud.f_card, fill=TEXT, anchor="mm")
    for j, line in enumerate(lines):
        draw.text((W / 2, y + int((84 + 30 * j) * hud.s)), line, font=hud.f_card_small, fill=TEXT, anchor="mm")


# --- Encoding ---------------------------------------------------------------------------------


def render_video(track: Track, replay: dict, out_path: str | Path, labels: VideoLabels = VideoLabels(),
                 spec: VideoSpec = VideoSpec(),
                 on_progress: Callable[[int, int], None] | None = None) -> VideoInfo:
    """Render the replay's video to an MP4 file (H.264, yuv420p, moov atom first)."""
    import av

    out_path = Path(out_path)
    n = expected_frames(replay)
    if n == 0:
        raise ValueError("the replay has no trajectory rows: nothing to film")
    if "libx264" not in av.codecs_available:
        raise RuntimeError("this PyAV build has no libx264 encoder (PyAV's wheels from PyPI have it); "
                           "cannot write H.264")
    tmp = out_path.with_name(out_path.name + ".part")
    container = av.open(str(tmp), mode="w", format="mp4", options={"movflags": "+faststart"})
    try:
        stream = container.add_stream("libx264", rate=spec.fps)
        stream.width = spec.width_px
        stream.height = spec.height_px
        stream.pix_fmt = "yuv420p"
        stream.codec_context.thread_count = spec.threads
        stream.options = {"crf": str(spec.crf), "preset": spec.preset}
        time_base = Fraction(1, spec.fps)
        count = 0
        for i, img in enumerate(video_frames(track, replay, labels, spec)):
            frame = av.VideoFrame.from_image(img).reformat(format="yuv420p", interpolation="BILINEAR")
            frame.pts = i
            frame.time_base = time_base
            for packet in stream.encode(frame):
                container.mux(packet)
            count += 1
            if on_progress is not None and (count % 150 == 0 or count == n):
                on_progress(count, n)
        for packet in stream.encode():
            container.mux(packet)
    except BaseException:
        container.close()
        tmp.unlink(missing_ok=True)
        raise
    container.close()
    os.replace(tmp, out_path)
    return VideoInfo(path=str(out_path), frames=count, duration_s=count / spec.fps, width_px=spec.width_px,
                     height_px=spec.height_px, fps=spec.fps, bytes=out_path.stat().st_size)


def probe_video(path: str | Path) -> dict:
    """Decode a video with PyAV: frames, duration, size and codec (tests, sanity checks)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = 0
        last_pts = None
        for frame in container.decode(stream):
            frames += 1
            last_pts = frame.pts
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        return {
            "frames": frames,
            "duration_s": duration,
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
            "codec": stream.codec_context.name,
            "pix_fmt": stream.codec_context.pix_fmt,
            "fps": float(stream.average_rate) if stream.average_rate else None,
            "last_pts": last_pts,
        }


# --- Command line and benchmark ---------------------------------------------------------------


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cmd_render(args) -> int:
    from .catalog import load_track
    from .replay import read_replay

    if args.one_core and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    replay = read_replay(args.replay)
    track = load_track(args.track or (replay.get("track") or {}).get("ref", ""))
    spec = VideoSpec(width_px=args.width, height_px=args.height, preset=args.preset, crf=args.crf)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    info = render_video(track, replay, args.out, VideoLabels(racer=args.racer, title=args.title), spec)
    report = {**info.__dict__, "preset": spec.preset, "crf": spec.crf, "seconds": round(time.perf_counter() - t0, 3),
              "cpu_seconds": round(time.process_time() - cpu0, 3), "peak_rss_mb": round(_peak_rss_mb(), 1)}
    print(json.dumps(report) if args.json else
          f"{info.path}: {info.frames} frames, {info.duration_s:.2f} s, {info.bytes / 1e6:.1f} MB, "
          f"rendered in {report['seconds']:.2f} s, peak memory {report['peak_rss_mb']:.0f} MB")
    return 0


def bench_video(race_s: float = 60.0, track_slug: str = "grand-prix", spec: VideoSpec = VideoSpec(),
                log: Callable[[str], None] = print) -> dict:
    """Render and encode the video of a `race_s` race in a child process pinned to one
    core; report its wall and CPU seconds and its peak memory (ru_maxrss)."""
    from .catalog import load_track
    from .drivers import house_drivers
    from .params import RaceRules
    from .policy import load_policy
    from .race import run_time_trial
    from .replay import write_replay

    driver = house_drivers()[0]
    policy = load_policy(driver.model.SerializeToString(), driver.metadata)
    track = load_track(track_slug)
    # Laps enough never to finish: the race runs to the time cap, exactly race_s long.
    result = run_time_trial(policy, track, RaceRules(laps=99, time_cap_s=race_s))
    with tempfile.TemporaryDirectory(prefix="video-bench-") as tmp:
        replay_path = Path(tmp) / "replay.json"
        write_replay(replay_path, result, track, track_slug)
        out = Path(tmp) / "race.mp4"
        cmd = [sys.executable, "-m", "simulator.video", "render", str(replay_path), "--track", track_slug,
               "--out", str(out), "--racer", driver.alias, "--title", f"Benchmark: {track_slug}",
               "--width", str(spec.width_px), "--height", str(spec.height_px), "--preset", spec.preset,
               "--crf", str(spec.crf), "--json", "--one-core"]
        root = Path(__file__).resolve().parent.parent
        env = {**os.environ, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        log(f"bench: video of a {race_s:.0f} s race on {track_slug} ({result.steps} steps), one core ...")
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=root, env=env, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"video render failed: {done.stderr.strip()[-2000:]}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
    report.update(race_s=race_s, track=track_slug, realtime_factor=round(race_s / report["seconds"], 2),
                  realtime_factor_cpu=round(race_s / max(report["cpu_seconds"], 1e-9), 2))
    # Wall time equals CPU time on an idle core; on a busy machine the CPU time is the
    # cost of the work itself.
    log(f"bench: video {report['width_px']}x{report['height_px']} {report['frames']} frames "
        f"({report['preset']}, crf {report['crf']}): {report['seconds']:.2f} s wall, "
        f"{report['cpu_seconds']:.2f} s CPU on one core ({report['realtime_factor_cpu']:.1f}x real time), "
        f"peak memory {report['peak_rss_mb']:.0f} MB, {report['bytes'] / 1e6:.1f} MB file")
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulator.video", description="Race videos (MP4, H.264).")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("render", help="render a replay file to MP4")
    r.add_argument("replay", help="replay JSON (python -m simulator race --replay)")
    r.add_argument("--track", help="shipped track slug or .npy file (default: the replay's track)")
    r.add_argument("--out", required=True, help="MP4 file to write")
    r.add_argument("--racer", default="", help="racer alias shown in the video")
    r.add_argument("--title", default="", help="race or track name shown in the video")
    r.add_argument("--width", type=int, default=VideoSpec.width_px)
    r.add_argument("--height", type=int, default=VideoSpec.height_px)
    r.add_argument("--preset", default=VideoSpec.preset)
    r.add_argument("--crf", type=int, default=VideoSpec.crf)
    r.add_argument("--json", action="store_true", help="print one JSON object")
    r.add_argument("--one-core", action="store_true", help="pin the process to one CPU")
    b = sub.add_parser("bench", help="time the video of a 60 s race on one core")
    b.add_argument("--seconds", type=float, default=60.0)
    b.add_argument("--track", default="grand-prix")
    b.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if args.command == "render":
        return _cmd_render(args)
    report = bench_video(args.seconds, args.track, log=lambda m: print(m, file=sys.stderr, flush=True))
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
