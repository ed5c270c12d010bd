"""What a video is made from: its settings, its labels and the replay unpacked into arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import layout as L
from ..params import CarParams
from ..simtrace import collision_rows, off_track_rows

FPS = CarParams().control_hz  # one frame per control step


@dataclass(frozen=True)
class VideoSpec:
    """Picture size, frame rate, zoom and encoder settings."""

    width_px: int = 960
    height_px: int = 540
    fps: int = FPS
    view_width_m: float = 5.0  # ground shown across the follow view
    car_at: tuple[float, float] = (0.5, 0.64)  # where the car sits, as fractions of the frame
    # x264's fastest preset at crf 26 matches "superfast" at crf 23 in PSNR against the drawn
    # frames (mean and worst frame) in a third of the encoding time, for a file about a
    # fifth larger: drawn pictures with flat colours do not need its slower tools.
    crf: int = 26
    preset: str = "ultrafast"
    # x264's own threads; one: a video renders beside the races on a worker, and on one
    # core more threads only cost. (Drawing overlaps encoding when there are more cores.)
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


def expected_frames(replay: dict) -> int:
    """Frames of a replay's video: one per trajectory row."""
    return len(replay.get("trajectory") or [])


@dataclass
class ReplayRun:
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
    dnf_reason: str | None = None  # "time_cap" | "off_track_limit"; older replays: None
    # Object avoidance and head-to-bot: row that touched a box or a bot -> penalty s, and
    # the replay's obstacles (boxes, each bot's path); empty and None in time trials.
    collision_rows: dict[int, float] | None = None
    obstacles: dict | None = None

    @property
    def steps(self) -> int:
        return len(self.t)


def unpack_replay(replay: dict) -> ReplayRun:
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
    return ReplayRun(
        t=col("time_s", L.TRAJ_TIME_S), x=col("x_m", L.TRAJ_X_M), y=col("y_m", L.TRAJ_Y_M),
        heading=col("heading_rad", L.TRAJ_HEADING_RAD), speed=col("speed_m_s", L.TRAJ_SPEED_M_S),
        steering=col("steering_deg", L.TRAJ_STEERING_DEG), progress=col("progress", L.TRAJ_PROGRESS),
        lap=lap, on_track=on_track, laps_required=laps_required, lap_times=lap_times,
        lap_rows=lap_rows, penalty_rows=penalty_rows, status=str(result.get("status") or ""),
        total_time_s=result.get("total_time_s"), dnf_reason=result.get("dnf_reason"),
        collision_rows=collision_rows(replay), obstacles=replay.get("obstacles"),
    )
