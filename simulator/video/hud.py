"""The overlays of a race video: who and where, the clocks, speed and steering, timing
figures, a minimap with the car, and the cards for laps, penalties and the result.

Everything that does not move with the follow view is drawn once on opaque panels
(cheap to paste); text that stays the same for many frames is stamped from a cache.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..formatting import format_race_time
from ..params import CarParams
from ..render import MapProjection
from ..track import Track
from .inputs import ReplayRun, VideoLabels, VideoSpec

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


class TextStamps:
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


class Panel:
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


class Hud:
    """Every piece of the frame that does not depend on the follow view."""

    def __init__(self, track: Track, labels: VideoLabels, spec: VideoSpec, car: CarParams = CarParams()):
        W, H = spec.width_px, spec.height_px
        self.car = car
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
        self.stamps = TextStamps()
        racer = labels.racer or "Replay"
        # Top left: who and where (all static).
        text_w = max(self.f_alias.getlength(racer), self.f_label.getlength(labels.title or ""))
        self.name_panel = Panel((int(min(text_w + 2 * pad, W * 0.55)), int((64 if labels.title else 44) * s)))
        self.name_panel.draw.text((pad, int(8 * s)), racer, font=self.f_alias, fill=TEXT)
        if labels.title:
            self.name_panel.draw.text((pad, int(38 * s)), labels.title, font=self.f_label, fill=MUTED)
        # Top right: lap, lap clock, race clock and the lap's progress.
        self.clock_panel = Panel((int(250 * s), int(82 * s)))
        # Bottom left: speed, steering and timing figures.
        sp = self.speed_panel = Panel((int(320 * s), int(108 * s)))
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
        mm = self.minimap = Panel((mm_w + 2 * inner, mm_h + 2 * inner))
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


def draw_hud(frame, draw, hud: Hud, run: ReplayRun, i: int, t: float, laps_done: int,
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
    draw.text((x + pw - pad, y + int(8 * s)), format_race_time(lap_clock), font=hud.f_small, fill=MUTED, anchor="ra")
    draw.text((x + pad, y + int(28 * s)), format_race_time(t), font=hud.f_clock, fill=TEXT)
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
    fill_w = int(hud.bar_w * min(max(v, 0.0) / hud.car.max_speed_m_s, 1.0))
    if fill_w > 0:
        draw.rectangle((bx, y + int(20 * s), bx + fill_w, y + int(30 * s)), fill=speed_rgb)
    g0, gy, g1 = hud.gauge
    mid = x + (g0 + g1) / 2
    needle = mid - (g1 - g0) / 2 * max(-1.0, min(1.0, float(run.steering[i]) / hud.car.max_steering_deg))  # positive = left
    draw.line((needle, y + gy - int(7 * s), needle, y + gy + int(7 * s)), fill=TEXT, width=max(2, int(3 * s)))
    fy = y + hud.fig_y + int(16 * s)
    hud.stamps.draw(frame, (x + pad, fy), format_race_time(best), hud.f_value, TEXT)
    hud.stamps.draw(frame, (x + pad + hud.col_w, fy), format_race_time(last_lap), hud.f_value, TEXT)
    hud.stamps.draw(frame, (bx, fy), str(off_count), hud.f_value, BAD if off_count else TEXT)
    # Minimap with the car.
    mx, my = hud.mm_pos
    hud.minimap.paste_on(frame, (mx, my))
    px, py = hud.mm_proj.point(float(run.x[i]), float(run.y[i]))
    r = 5 * s
    draw.ellipse((mx + px - r, my + py - r, mx + px + r, my + py + r), fill=CAR_BODY, outline=TEXT,
                 width=max(1, int(2 * s)))


def draw_card(frame, draw, hud: Hud, text: str, colour, y_frac: float) -> None:
    W = frame.width
    tw = hud.f_card.getlength(text)
    w = int(tw + 4 * hud.pad)
    h = int(54 * hud.s)
    x = int((W - w) / 2)
    y = int(frame.height * y_frac)
    draw.rounded_rectangle((x, y, x + w, y + h), radius=int(10 * hud.s), fill=colour)
    draw.text((W / 2, y + h / 2), text, font=hud.f_card, fill=(255, 255, 255), anchor="mm")


def draw_result_card(frame, draw, hud: Hud, run: ReplayRun, best: float | None, off_count: int) -> None:
    W, H = frame.width, frame.height
    finished = run.status == "finished"
    title = "FINISHED" if finished else "DID NOT FINISH" if run.status == "dnf" else (run.status or "END").upper()
    total = run.total_time_s if run.total_time_s is not None else float(run.t[-1])
    lines = [f"TIME {format_race_time(total)}", f"BEST LAP {format_race_time(best)}",
             f"LAPS {len(run.lap_times)}/{run.laps_required}   OFF TRACK {off_count}"]
    if run.obstacles is not None:
        lines.append(f"COLLISIONS {len(run.collision_rows or {})}")
    if run.dnf_reason == "off_track_limit":
        lines.append("OFF-TRACK LIMIT REACHED")
    w = int(max(hud.f_card_small.getlength(t) for t in lines) + 6 * hud.pad)
    h = int((70 + 30 * len(lines)) * hud.s)
    x, y = (W - w) // 2, (H - h) // 2 - int(30 * hud.s)
    draw.rounded_rectangle((x, y, x + w, y + h), radius=int(14 * hud.s), fill=(14, 17, 23))
    draw.rounded_rectangle((x, y, x + w, y + int(8 * hud.s)), radius=int(4 * hud.s), fill=GOOD if finished else BAD)
    draw.text((W / 2, y + int(38 * hud.s)), title, font=hud.f_card, fill=TEXT, anchor="mm")
    for j, line in enumerate(lines):
        draw.text((W / 2, y + int((84 + 30 * j) * hud.s)), line, font=hud.f_card_small, fill=TEXT, anchor="mm")
