"""The official time trial: laps, penalties, resets, the time cap and the result."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import SIMULATOR_VERSION
from . import layout as L
from .params import RaceRules, SimParams
from .policy import Policy, PolicyFailure
from .sensors import CameraSensor, LidarSensor, StateSensor
from .track import Track
from .vehicle import CarState, footprint_half_extent_m, make_stepper

ProgressCallback = Callable[[int, int, float], None]


class RaceSetupError(ValueError):
    """The race cannot start (e.g. the model uses a sensor the race does not allow)."""


@dataclass
class RaceResult:
    status: str  # finished | dnf | failed
    laps_completed: int
    lap_times_s: list[float]
    total_time_s: float
    best_lap_s: float | None
    avg_lap_s: float | None
    progress: float
    off_track_count: int
    wrong_way_count: int
    penalty_s: float
    steps: int
    timing_method: str
    official_time_s: float | None
    trajectory_sha256: str
    simulator_version: str
    onnxruntime_version: str
    numpy_version: str
    model_sha256: str
    error: str | None = None
    laps_required: int = 0
    track_length_m: float = 0.0
    trajectory: np.ndarray = field(default_factory=lambda: np.zeros((0, L.TRAJ_SIZE)), repr=False)
    events: list[dict] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k not in ("trajectory", "events")}
        d["lap_times_s"] = list(self.lap_times_s)
        return d


def _wrap(a: float) -> float:
    a = math.fmod(a + math.pi, 2.0 * math.pi)
    if a <= 0.0:
        a += 2.0 * math.pi
    return a - math.pi


def _sensor_cache(track: Track, params: SimParams) -> dict:
    # Sensors precompute tables per track; keep them on the track for repeated races.
    cache = track.__dict__.setdefault("_sensor_cache", {})
    return cache.setdefault((params.camera, params.lidar), {})


def build_sensors(track: Track, params: SimParams, sensors: tuple[str, ...]) -> dict:
    cache = _sensor_cache(track, params)
    out = {}
    for sensor in sensors:
        if sensor not in cache:
            if sensor == "STATE":
                cache[sensor] = StateSensor(track)
            elif sensor == "LIDAR":
                cache[sensor] = LidarSensor(track, params.lidar)
            else:
                cache[sensor] = CameraSensor(track, params.camera)
        out[sensor] = cache[sensor]
    return out


def start_state(track: Track, s_m: float = 0.0) -> CarState:
    x, y, _ = track.point_at(s_m)
    proj = track.project(x, y, hint=track.waypoint_index_at(s_m))
    return CarState(x, y, proj.track_heading_rad, 0.0, 0.0)


def make_observer(policy: Policy, track: Track, params: SimParams) -> Callable:
    """A function (car, projection) that fills the policy's input buffers."""
    sensors = build_sensors(track, params, policy.sensors)
    fills = []
    for sensor, buf in policy.buffers.items():
        sens = sensors[sensor]
        if sensor == "STATE":
            view = buf.reshape(-1)
            fills.append(lambda car, proj, s=sens, v=view: s.fill(v, car, proj))
        elif sensor == "LIDAR":
            view = buf.reshape(-1)
            fills.append(lambda car, proj, s=sens, v=view: s.fill(v, car))
        else:
            h, w = params.camera.height_px, params.camera.width_px
            view = buf.reshape(h, w)
            if buf.dtype == np.uint8:
                fills.append(lambda car, proj, s=sens, v=view: np.copyto(v, s.render(car)))
            else:
                scale = np.float32(1.0 / 255.0)
                fills.append(
                    lambda car, proj, s=sens, v=view: np.multiply(s.render(car), scale, out=v)
                )
    if len(fills) == 1:
        return fills[0]

    def observe(car, proj):
        for f in fills:
            f(car, proj)

    return observe


def run_time_trial(
    policy: Policy,
    track: Track,
    rules: RaceRules = RaceRules(),
    params: SimParams = SimParams(),
    on_progress: ProgressCallback | None = None,
) -> RaceResult:
    import onnxruntime

    not_allowed = [s for s in policy.sensors if s not in rules.allowed_sensors]
    if not_allowed:
        raise RaceSetupError(
            f"this race does not allow the {', '.join(not_allowed)} sensor; "
            f"allowed: {', '.join(rules.allowed_sensors)}"
        )
    car_p = params.car
    step = make_stepper(car_p)
    observe = make_observer(policy, track, params)
    act = policy.act
    project = track.closest_segment
    projection_at = track.projection_at
    policy.reset_clock()

    length = track.length_m
    half_length = 0.5 * length
    dt = car_p.control_dt_s
    laps_required = rules.laps
    penalty = rules.off_track_penalty_s
    cap = rules.time_cap_s
    wrong_way_limit = rules.wrong_way_limit_m
    half_len = 0.5 * car_p.length_m
    half_wid = 0.5 * car_p.width_m
    sin, cos, fabs = math.sin, math.cos, math.fabs

    car = start_state(track)
    proj = track.project(car.x_m, car.y_m, hint=0)
    prev_s = proj.s_m
    # Progress is unwrapped arc length since the start; a lap needs it to pass k * length.
    dist = 0.0
    best_dist = 0.0
    clock = 0.0
    crossings: list[float] = []
    laps = 0
    off_count = 0
    wrong_count = 0
    rows: list[tuple] = []
    events: list[dict] = []
    status = "dnf"
    error = None

    def event(kind: str, x: float, y: float, **extra) -> None:
        events.append(
            {"type": kind, "step": len(rows), "time_s": round(clock, 3), "lap": laps,
             "x_m": x, "y_m": y, **extra}
        )

    def reset_to(s_m: float) -> tuple:
        c = start_state(track, s_m)
        p = track.project(c.x_m, c.y_m, hint=track.waypoint_index_at(s_m))
        return c, p

    while True:
        observe(car, proj)
        try:
            steer_cmd, speed_cmd, action = act()
        except PolicyFailure as exc:
            status = "failed"
            error = str(exc)
            break
        car = step(car, steer_cmd, speed_cmd)
        t_prev = clock
        clock += dt
        i, t = project(car.x_m, car.y_m, proj.index)
        proj = projection_at(i, t, car.x_m, car.y_m)
        ds = proj.s_m - prev_s
        if ds > half_length:
            ds -= length
        elif ds < -half_length:
            ds += length
        prev_s = proj.s_m
        before = dist
        dist += ds
        on_track = 1.0
        finished = False
        if dist > best_dist:
            best_dist = dist
            target = (laps + 1) * length
            if dist >= target and before < target:
                t_cross = t_prev + dt * (target - before) / (dist - before)
                crossings.append(round(t_cross, 3))
                laps += 1
                event("lap", car.x_m, car.y_m, lap_time_s=round(crossings[-1] - (crossings[-2] if len(crossings) > 1 else 0.0), 3))
                if on_progress is not None:
                    on_progress(laps, laps_required, clock)
                finished = laps >= laps_required
        if not finished:
            err = proj.track_heading_rad - car.heading_rad
            half = half_len * fabs(sin(err)) + half_wid * fabs(cos(err))
            off = proj.offset_m - half > proj.left_half_width_m or -proj.offset_m - half > proj.right_half_width_m
            wrong = dist < best_dist - wrong_way_limit
            if off or wrong:
                on_track = 0.0
                rows.append(_row(clock, car, proj, length, laps, dist, action, on_track))
                if off:
                    off_count += 1
                    event("off_track", car.x_m, car.y_m)
                    resume = proj.s_m
                else:
                    wrong_count += 1
                    event("wrong_way", car.x_m, car.y_m)
                    resume = best_dist % length
                    dist = best_dist
                clock += penalty
                car, proj = reset_to(resume)
                prev_s = proj.s_m
                event("reset", car.x_m, car.y_m, penalty_s=penalty)
                if clock >= cap:
                    break
                continue
        rows.append(_row(clock, car, proj, length, laps, dist, action, on_track))
        if finished:
            status = "finished"
            break
        if clock >= cap:
            break

    traj = np.array(rows, dtype=np.float64).reshape(-1, L.TRAJ_SIZE)
    lap_times = [round(b - a, 3) for a, b in zip([0.0] + crossings[:-1], crossings)]
    total = crossings[-1] if status == "finished" else round(clock, 3)
    best = min(lap_times) if lap_times else None
    avg = round(sum(lap_times) / len(lap_times), 3) if lap_times else None
    official = None
    if status == "finished":
        official = {"TOTAL_TIME": total, "BEST_LAP_TIME": best, "AVG_LAP_TIME": avg}[rules.timing_method]
    progress = 0.0 if status == "finished" else min(max((best_dist - laps * length) / length, 0.0), 0.999999)
    return RaceResult(
        status=status,
        laps_completed=laps,
        lap_times_s=lap_times,
        total_time_s=total,
        best_lap_s=best,
        avg_lap_s=avg,
        progress=round(progress, 6),
        off_track_count=off_count,
        wrong_way_count=wrong_count,
        penalty_s=round((off_count + wrong_count) * penalty, 3),
        steps=len(rows),
        timing_method=rules.timing_method,
        official_time_s=official,
        trajectory_sha256=hashlib.sha256(traj.astype("<f8").tobytes()).hexdigest(),
        simulator_version=SIMULATOR_VERSION,
        onnxruntime_version=onnxruntime.__version__,
        numpy_version=np.__version__,
        model_sha256=policy.sha256,
        error=error,
        laps_required=laps_required,
        track_length_m=round(length, 4),
        trajectory=traj,
        events=events,
    )


def _row(clock, car, proj, length, laps, dist, action, on_track) -> tuple:
    lap_progress = (dist - laps * length) / length
    if lap_progress < 0.0:
        lap_progress = 0.0
    elif lap_progress >= 1.0:
        lap_progress = 0.0
    return (clock, car.x_m, car.y_m, _wrap(car.heading_rad), car.speed_m_s, car.steering_deg,
            lap_progress, float(laps), float(action), on_track)
