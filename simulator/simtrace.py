"""DeepRacer "simtrace" CSV export of a replay, for the community's log-analysis notebooks.

The header is DeepRacer's evaluation simtrace:

    episode,steps,X,Y,yaw,steer,throttle,action,reward,done,all_wheels_on_track,
    progress,closest_waypoint,track_len,tstamp,episode_status,pause_duration

How our replay maps onto it (DeepRacer logs an evaluation one lap per episode):

- `episode` is the lap (0-based). Every episode opens with a `prepare` row: the start
  line at rest at tstamp 0 for the first lap, the crossing of the line for later laps.
  Then one row per control step, the car's pose after the step (as in the replay).
- The row whose step crossed the line has `progress` 100, `done` True, `episode_status`
  `lap_complete` and the lap's official crossing time as `tstamp` (interpolated to the
  millisecond, like the result). So `tstamp.max() - tstamp.min()` per episode is the
  official lap time, and the laps add up to the official total.
- `yaw` and `steer` in degrees (positive steer = left), `throttle` the car's speed in
  m/s, `progress` 0..100 of the current lap, `closest_waypoint` the index of the
  nearest centre-line waypoint, `track_len` in metres, `tstamp` the race clock in
  seconds (penalties included).
- `action` is the discrete action's index, or -1 for a continuous action space (the
  value the analysis tools use when there is no action index).
- The step that left the track has `all_wheels_on_track` False, `episode_status`
  `off_track` (`reversed` for driving the wrong way) and the penalty in
  `pause_duration`; the clock of the next row includes the penalty. The episode goes
  on, as in an evaluation with an off-track penalty.
- Object avoidance and head-to-bot: the step that touched a box or a bot car has
  `episode_status` `crashed` and the collision penalty in `pause_duration` (the car was
  on the track: `all_wheels_on_track` stays True); the episode goes on from where the
  car was put back.
- The last row of an unfinished run is `done` with `time_up`; a run ended by the
  off-track limit ends on its last excursion, `done` with `off_track` (or `reversed`).
- A race on a reversed track (the replay's `track.reversed`) is traced on the reversed
  track: `closest_waypoint` counts in driving order, 0 on the start line then down the
  file's rows (the index into the file read backwards, `[::-1]`, when the file repeats
  its first row as the last, as DeepRacer's do).
- `reward` is 0.0: official races have no reward function.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Iterator, TextIO

import numpy as np

from . import layout as L
from .observation import start_state
from .replay import track_as_raced
from .track import Track

SIMTRACE_HEADER = (
    "episode", "steps", "X", "Y", "yaw", "steer", "throttle", "action", "reward", "done",
    "all_wheels_on_track", "progress", "closest_waypoint", "track_len", "tstamp",
    "episode_status", "pause_duration",
)  # fmt: skip


def _columns(replay: dict) -> dict[str, int]:
    columns = list(replay.get("columns") or L.TRAJ_COLUMNS)
    return {name: columns.index(name) for name in columns}


def _bool(value: bool) -> str:
    return "True" if value else "False"


def _deg(rad: float) -> float:
    d = math.degrees(rad)
    d = math.fmod(d + 180.0, 360.0)
    if d <= 0.0:
        d += 360.0
    return d - 180.0


def off_track_rows(replay: dict, on_track: np.ndarray | None = None) -> dict[int, tuple[str, float]]:
    """Rows that triggered a reset -> (event type `off_track` | `wrong_way`, penalty s).

    A reset row is recorded with on_track = 0; its `off_track` / `wrong_way` event names
    the row in `step` (replays of simulator 1.0.0 before the events were aligned name
    the row after it), and the `reset` event that follows carries the penalty.
    """
    if on_track is None:
        columns = list(replay.get("columns") or L.TRAJ_COLUMNS)
        idx = columns.index("on_track") if "on_track" in columns else L.TRAJ_ON_TRACK
        on_track = np.asarray([row[idx] for row in replay.get("trajectory") or []], dtype=np.float64)
    rows = {int(i): ("off_track", 0.0) for i in np.flatnonzero(on_track < 0.5)}
    kinds: dict[int, str] = {}
    penalties: dict[int, float] = {}
    for e in replay.get("events") or []:
        step = int(e.get("step", -1))
        for i in (step, step - 1):
            if i in rows:
                if e.get("type") in ("off_track", "wrong_way"):
                    kinds.setdefault(i, e["type"])
                elif e.get("type") == "reset":
                    penalties.setdefault(i, float(e.get("penalty_s") or 0.0))
                break
    default_penalty = 0.0
    if rows:
        result = replay.get("result") or {}
        resets = (result.get("off_track_count") or 0) + (result.get("wrong_way_count") or 0)
        off_track_s = float(result.get("penalty_s") or 0.0) - sum(collision_rows(replay).values())
        default_penalty = off_track_s / resets if resets else 0.0
    return {i: (kinds.get(i, "off_track"), penalties.get(i, default_penalty)) for i in rows}


def collision_rows(replay: dict) -> dict[int, float]:
    """Rows that touched a box or a bot car -> the collision penalty, s (from the replay's
    `collision` events, which name their row in `step`)."""
    return {int(e["step"]): float(e.get("penalty_s") or 0.0)
            for e in replay.get("events") or [] if e.get("type") == "collision"}


def simtrace_rows(replay: dict, track: Track) -> Iterator[list]:
    """The CSV rows (without the header) of a replay, as lists of values. `track` may be
    the file's own direction: a replay of a reversed race turns it round."""
    track = track_as_raced(replay, track)
    col = _columns(replay)
    traj = np.asarray(replay.get("trajectory") or [], dtype=np.float64).reshape(-1, len(col) or L.TRAJ_SIZE)
    result = replay.get("result") or {}
    lap_times = [float(v) for v in result.get("lap_times_s") or []]
    crossings = np.cumsum(lap_times).round(3).tolist()
    resets = off_track_rows(replay, traj[:, col.get("on_track", L.TRAJ_ON_TRACK)] if len(traj) else None)
    crashes = collision_rows(replay)
    track_len = round(float((replay.get("track") or {}).get("length_m") or track.length_m), 2)
    status = str(result.get("status") or "")

    ix, iy = col.get("x_m", L.TRAJ_X_M), col.get("y_m", L.TRAJ_Y_M)
    ih, iv = col.get("heading_rad", L.TRAJ_HEADING_RAD), col.get("speed_m_s", L.TRAJ_SPEED_M_S)
    isteer, iprog = col.get("steering_deg", L.TRAJ_STEERING_DEG), col.get("progress", L.TRAJ_PROGRESS)
    ilap, iact, it = col.get("lap", L.TRAJ_LAP), col.get("action", L.TRAJ_ACTION), col.get("time_s", L.TRAJ_TIME_S)

    def closest(x: float, y: float, hint: int | None) -> tuple[int, int]:
        i, t = track.closest_segment(x, y, hint)
        return i, (i if t < 0.5 else (i + 1) % track.n)

    def row(episode, steps, x, y, yaw_rad, steer, speed, action, done, on_track, progress, wp, tstamp,
            episode_status, pause) -> list:
        return [episode, steps, f"{x:.4f}", f"{y:.4f}", f"{_deg(yaw_rad):.4f}", f"{steer:.2f}", f"{speed:.4f}",
                action, "0.0000", _bool(done), _bool(on_track), f"{progress:.4f}", wp, track_len,
                f"{tstamp:.3f}", episode_status, f"{pause:.2f}"]

    n = len(traj)
    if n == 0:
        return
    # The start: waypoint 0's centre point, facing along the track, at rest.
    start = start_state(track, 0.0)
    episode = 0
    steps = 1
    seg, wp = closest(start.x_m, start.y_m, None)
    first_action = int(traj[0, iact]) if traj[0, iact] >= 0 else -1
    yield row(0, 1, start.x_m, start.y_m, start.heading_rad, 0.0, 0.0, first_action, False, True, 0.0, wp,
              0.0, "prepare", 0.0)
    prev_lap = 0
    for k in range(n):
        r = traj[k]
        steps += 1
        x, y = float(r[ix]), float(r[iy])
        seg, wp = closest(x, y, seg)
        lap = int(r[ilap])
        action = int(r[iact]) if r[iact] >= 0 else -1
        kind, pause = resets.get(k, (None, 0.0))
        on_track = kind is None
        if k in crashes:
            kind, pause = "crashed", crashes[k]
        if lap > prev_lap:
            crossing = crossings[lap - 1] if lap - 1 < len(crossings) else float(r[it])
            yield row(episode, steps, x, y, float(r[ih]), float(r[isteer]), float(r[iv]), action, True, on_track,
                      100.0, wp, crossing, "lap_complete", pause)
            prev_lap = lap
            if k == n - 1:
                return
            episode += 1
            steps = 1
            # The next lap starts where this one ended, at the crossing time.
            yield row(episode, steps, x, y, float(r[ih]), float(r[isteer]), float(r[iv]), action, False, on_track,
                      100.0 * float(r[iprog]), wp, crossing, "prepare", 0.0)
            continue
        last = k == n - 1
        if kind == "off_track":
            episode_status = "off_track"
        elif kind == "wrong_way":
            episode_status = "reversed"
        elif kind == "crashed":
            episode_status = "crashed"
        elif last:
            episode_status = "time_up" if status in ("dnf", "") else "immobilized"
        else:
            episode_status = "in_progress"
        yield row(episode, steps, x, y, float(r[ih]), float(r[isteer]), float(r[iv]), action, last, on_track,
                  100.0 * float(r[iprog]), wp, float(r[it]), episode_status, pause)


def write_simtrace(out: TextIO | str | Path, replay: dict, track: Track) -> None:
    """Write the CSV (header and rows) to a text stream or a file path."""
    if isinstance(out, (str, Path)):
        with open(out, "w", newline="") as fh:
            write_simtrace(fh, replay, track)
        return
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SIMTRACE_HEADER)
    for r in simtrace_rows(replay, track):
        writer.writerow(r)


def simtrace_csv(replay: dict, track: Track) -> str:
    buf = io.StringIO()
    write_simtrace(buf, replay, track)
    return buf.getvalue()
