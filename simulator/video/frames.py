"""The frames of a race video: the follow view (a crop of one big map of the track, turned
so the car points up), the speed-coloured trail, the car, and the overlays of `hud`."""

from __future__ import annotations

import math
from typing import Iterator

from PIL import Image, ImageDraw, ImageFilter

from ..formatting import format_race_time
from .. import layout as L
from ..params import CarParams
from ..render import BOT, BOX, OFF_TRACK, draw_obstacle, render_map_at_scale, speed_colour
from ..replay import track_as_raced
from ..track import Track
from .hud import BAD, CAR_BODY, CAR_DARK, GOOD, TEXT, Hud, draw_card, draw_hud, draw_result_card
from .inputs import VideoLabels, VideoSpec, unpack_replay


def car_sprite(scale: float, car: CarParams) -> tuple[Image.Image, tuple[float, float]]:
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
                 spec: VideoSpec = VideoSpec(), car: CarParams = CarParams()) -> Iterator[Image.Image]:
    """The frames of the video, one per trajectory row (RGB, spec's size), made lazily.

    Frames are made lazily and not kept: memory stays flat whatever the race length.
    `track` may be the file's own direction: a replay of a reversed race turns it round.
    """
    track = track_as_raced(replay, track)
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
    # Boxes stand still: drawn once on the map. Bots are drawn on each frame.
    obstacles = run.obstacles or {}
    box_half = [0.5 * v for v in obstacles.get("box_size_m", (0.0, 0.0))]
    for b in obstacles.get("boxes", []):
        draw_obstacle(big_draw, proj, (b["x_m"], b["y_m"], b["heading_rad"], *box_half), BOX)
    bot_half = [0.5 * v for v in obstacles.get("bot_size_m", (0.0, 0.0))]
    others = [(b["path"], BOT) for b in obstacles.get("bots", [])]
    # A head-to-head duel (simulator/replay.py `duel_replay_dict`): the other car is drawn
    # like a bot in its own colour, row k being the same step of the duel, with its name
    # and the gap in race distance under the HUD's name.
    duel = replay.get("duel") or {}
    opponent = _opponent(replay, duel)
    if opponent is not None:
        others.append((opponent[0], OPPONENT))
        bot_half = bot_half if any(bot_half) else [0.5 * car.length_m, 0.5 * car.width_m]
        if not labels.racer:
            labels = VideoLabels(racer=str((duel.get("names") or {}).get("a", "")), title=labels.title)
    collisions = run.collision_rows or {}
    s_map = proj.scale
    hud = Hud(track, labels, spec, car)
    sprite, (scx, scy) = car_sprite(k, car)
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
    colours = [speed_colour(v, car.max_speed_m_s) for v in run.speed.tolist()]
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

        # Bots in view, as footprints turned into the frame (the car points up).
        for path, colour in others:
            if i >= len(path):
                continue
            bx, by, bh = path[i]
            dx, dy = bx - X, by - Y
            if dx * dx + dy * dy > reach_m * reach_m:
                continue
            rel = bh - h
            bc, bs = math.cos(rel), math.sin(rel)
            fwd, left = dx * c + dy * sn, -dx * sn + dy * c
            pts = []
            for px, py in ((bot_half[0], bot_half[1]), (-bot_half[0], bot_half[1]),
                           (-bot_half[0], -bot_half[1]), (bot_half[0], -bot_half[1])):
                f_, l_ = fwd + px * bc - py * bs, left + px * bs + py * bc
                pts.append((cx - l_ * k, cy - f_ * k))
            draw.polygon(pts, fill=colour, outline=(0, 0, 0))

        # The car: front wheels steer, then the body on top.
        steer = math.radians(float(run.steering[i]))
        ww, wl = 0.22 * car.width_m * k, 0.24 * car.length_m * k
        cs, ss = math.cos(steer), math.sin(steer)
        for side in (-1, 1):
            wx = cx + side * (car.width_m * k / 2 - ww * 0.15)
            wy = cy - car.length_m * k * 0.30
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
            lap_text = f"LAP {laps_done}  {format_race_time(lt)}" + ("  BEST" if is_best and laps_done > 1 else "")
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
        if i in collisions:
            penalty_since = i
            penalty_text = f"COLLISION  +{collisions[i]:g} s PENALTY"

        last = i == n - 1
        t = float(run.t[i])
        lap_clock = max(0.0, t - lap_start_t)
        if i in run.lap_rows:
            # The crossing itself is timed inside the step: show the official figures.
            t = lap_start_t
            lap_clock = run.lap_rows[i]
        if last and run.total_time_s is not None:
            t = float(run.total_time_s)
        draw_hud(frame, draw, hud, run, i, t, laps_done, best, last_lap, off_count, lap_clock, colours[i])
        if opponent is not None:
            _draw_opponent_line(draw, hud, opponent, run, i)

        # Cards: a penalty (red), a completed lap (green), the result on the last frame.
        if i - penalty_since < penalty_frames and not last:
            draw_card(frame, draw, hud, penalty_text, BAD, y_frac=0.2)
            if i - penalty_since < 6:
                bw = max(4, int(8 * hud.s))
                draw.rectangle((0, 0, W - 1, H - 1), outline=BAD, width=bw)
        elif i - lap_since < lap_frames and not last:
            draw_card(frame, draw, hud, lap_text, GOOD, y_frac=0.2)
        if last:
            draw_result_card(frame, draw, hud, run, best, off_count)
        yield frame
        if i in run.penalty_rows or i in collisions:
            trail_start = i + 1


# The other car of a duel: the colour the league's pages give car b (ladder/replays.py).
OPPONENT = (150, 90, 230)


def _opponent(replay: dict, duel: dict) -> tuple[list, list, str, float] | None:
    """(path [x, y, heading] per row, race distance in laps per row, name, lap length m)
    of a duel's other car; None for any other replay."""
    opp = duel.get("opponent") or {}
    rows = opp.get("trajectory") or []
    if not rows:
        return None
    columns = list(replay.get("columns") or L.TRAJ_COLUMNS)
    ix, iy, ih = (columns.index(c) for c in ("x_m", "y_m", "heading_rad"))
    il, ip = columns.index("lap"), columns.index("progress")
    name = str((duel.get("names") or {}).get("b", "the other car"))
    length = float((replay.get("track") or {}).get("length_m") or 0.0)
    return [(r[ix], r[iy], r[ih]) for r in rows], [r[il] + r[ip] for r in rows], name, length


def _draw_opponent_line(draw, hud: Hud, opponent, run, i: int) -> None:
    """"vs NAME  +1.25 m" (ahead: +) under the name panel, in the other car's colour."""
    _, dist, name, length = opponent
    text = f"vs {name}"
    if i < len(dist) and length:
        gap_m = (float(run.lap[i]) + float(run.progress[i]) - dist[i]) * length
        text += f"   {'+' if gap_m >= 0 else '-'}{abs(gap_m):.2f} m"
    x, y = hud.name_pos[0], hud.name_pos[1] + hud.name_panel.height + hud.pad // 2
    h = int(18 * hud.s)
    draw.rectangle((x, y - 2, x + hud.f_small.getlength(text) + 12, y + h), fill=(20, 22, 28))
    draw.rectangle((x, y - 2, x + 4, y + h), fill=OPPONENT)
    draw.text((x + 8, y), text, font=hud.f_small, fill=TEXT)
