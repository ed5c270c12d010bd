"""The official time trial: laps, penalties, resets, the time cap and the result; and the
same race with boxes or bot cars on the track (object avoidance, head-to-bot: the
obstacles are `formats.Obstacles`, their collisions' penalty and reset are here)."""

from __future__ import annotations

import hashlib
import itertools
import math
import struct
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import numpy as np

from . import SIMULATOR_VERSION
from . import layout as L
from .failures import kind_of_message
from .formats import TIME_TRIAL, Obstacles, RaceFormat
from .observation import make_observer, start_state
from .params import RaceRules, SimParams
from .policy import Policy, PolicyFailure
from .stops import RaceStopped
from .track import Projection, Track, wrap_angle
from .vehicle import CarState, make_stepper

ProgressCallback = Callable[[int, int, float], None]


class RaceSetupError(ValueError):
    """The race cannot start (e.g. the model uses a sensor the race does not allow)."""


def check_sensors_allowed(sensors, rules: RaceRules) -> None:
    not_allowed = [s for s in sensors if s not in rules.allowed_sensors]
    if not_allowed:
        raise RaceSetupError(
            f"this race does not allow the {', '.join(not_allowed)} sensor; "
            f"allowed: {', '.join(rules.allowed_sensors)}"
        )


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
    # Why a DNF ended: "time_cap" | "off_track_limit"; None unless the status is dnf.
    dnf_reason: str | None = None
    off_track_limit: int = 0
    track_reversed: bool = False
    trajectory: np.ndarray = field(default_factory=lambda: np.zeros((0, L.TRAJ_SIZE)), repr=False)
    events: list[dict] = field(default_factory=list, repr=False)
    # Where and when a failed run failed (TimeTrial.fail); None unless the status is failed.
    failure: dict | None = None
    # The race format (formats.RACE_TYPES), its seed, and the car's collisions with boxes
    # or bots (each also in penalty_s).
    race_type: str = "time_trial"
    seed: int = 0
    collision_count: int = 0
    # The race's boxes and bots; None in time trials. See `obstacles_dict`.
    world: Obstacles | None = field(default=None, repr=False, compare=False)

    def obstacles_dict(self) -> dict | None:
        """The boxes and each bot's path for the replay (formats.Obstacles.replay_dict),
        worked out when a replay is written, not in the race; None in time trials."""
        return self.world.replay_dict(self.steps) if self.world is not None else None

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k not in ("trajectory", "events", "world")}
        d["lap_times_s"] = list(self.lap_times_s)
        if d["failure"] is None:  # results that did not fail read as they always did
            del d["failure"]
        return d


_PI = math.pi
_TWO_PI = 2.0 * math.pi
_new_tuple = tuple.__new__  # a NamedTuple without its Python-level __new__


class StepInfo(NamedTuple):
    """What one control step did, beyond the new state."""

    progress_m: float  # arc length gained this step (negative when going backwards)
    lap_completed: bool
    off_track: bool
    wrong_way: bool


class TimeTrial:
    """One official time trial, advanced one control step at a time.

    The only definition of the race rules: `run_time_trial` drives it with an ONNX
    policy, the Gymnasium environment with whatever the learner chooses. `race_format`
    puts boxes or bots on the track (`formats.RaceFormat`; a time trial by default).
    """

    def __init__(
        self,
        track: Track,
        rules: RaceRules = RaceRules(),
        params: SimParams = SimParams(),
        buffers: dict[str, np.ndarray] | None = None,
        start_s_m: float = 0.0,
        on_progress: ProgressCallback | None = None,
        race_format: RaceFormat = TIME_TRIAL,
    ):
        self.track = track
        self.rules = rules
        self.params = params
        self.buffers = buffers or {}
        self.on_progress = on_progress
        self.race_format = race_format
        check_sensors_allowed(tuple(self.buffers), rules)
        # The boxes or bots of the other formats (a FormatError names what does not fit
        # this track); None in a time trial, whose step never looks for them.
        self.obstacles = None if race_format.race_type == "time_trial" else Obstacles(track, race_format, params.car)
        self._observe = make_observer(self.buffers, track, params, self.obstacles) if self.buffers else None
        self._step_car = make_stepper(params.car)
        self._project = track._project
        self._length = track.length_m
        self._half_length = 0.5 * track.length_m
        self._dt = params.car.control_dt_s
        self._half_len = 0.5 * params.car.length_m
        self._half_wid = 0.5 * params.car.width_m
        # The start line is where the trial starts; lap k is done when the unwrapped
        # distance passes k * length from there.
        self.start_s_m = start_s_m % track.length_m
        self.car, self.proj = self._placed_at(self.start_s_m)
        self.distance_m = 0.0  # unwrapped arc length covered since the start
        self.best_distance_m = 0.0
        self.clock_s = 0.0
        # The clock is steps * dt + penalties, computed from integers so that 15 steps
        # of 1/15 s are exactly one second (summing dt would drift below it).
        self._n_steps = 0
        self._n_penalties = 0
        self._penalties_s = 0.0  # _n_penalties * the penalty
        self.crossings_s: list[float] = []
        self.laps = 0
        self._next_lap_m = track.length_m  # (laps + 1) * length, the distance of the next lap
        self.off_track_count = 0
        self.wrong_way_count = 0
        self.collision_count = 0
        self._collision_penalties_s = 0.0  # collision_count * the collision penalty
        self.crashed = False  # the last step ended in a collision
        self.rows: list[tuple] = []
        self.events: list[dict] = []
        self.status = "running"
        self.error: str | None = None
        self.failure: dict | None = None
        self.dnf_reason: str | None = None

    @property
    def done(self) -> bool:
        return self.status != "running"

    def _placed_at(self, s_m: float) -> tuple[CarState, Projection]:
        car = start_state(self.track, s_m)
        proj = self.track.project(car.x_m, car.y_m, hint=self.track.waypoint_index_at(s_m))
        return car, proj

    def observe(self) -> None:
        """Fill the observation buffers from the current state."""
        self._observe(self.car, self.proj)

    def lap_progress(self) -> float:
        """Fraction of the current lap covered, in [0, 1)."""
        f = (self.distance_m - self.laps * self._length) / self._length
        return f if 0.0 <= f < 1.0 else 0.0

    def _event(self, kind: str, **extra) -> None:
        # Events belong to the trajectory row of the step they happened in.
        self.events.append({"type": kind, "step": self._n_steps - 1, "time_s": round(self.clock_s, 3),
                            "lap": self.laps, "x_m": self.car.x_m, "y_m": self.car.y_m, **extra})

    def _record(self, action: int, on_track: float) -> None:
        car = self.car
        self.rows.append((self.clock_s, car.x_m, car.y_m, wrap_angle(car.heading_rad), car.speed_m_s,
                          car.steering_deg, self.lap_progress(), float(self.laps), float(action),
                          on_track))

    def fail(self, message: str) -> None:
        """The policy misbehaved: the trial ends as failed, remembering where and when (the
        step that failed is the next one; the rows so far are the partial trajectory)."""
        self.status = "failed"
        self.error = message
        car = self.car
        self.failure = {
            "kind": kind_of_message(message),
            "message": message,
            "step": self._n_steps,
            "clock_s": round(self.clock_s, 3),
            "lap": self.laps + 1,
            "laps_completed": self.laps,
            "progress": round(self.lap_progress(), 6),
            "x_m": round(car.x_m, 4),
            "y_m": round(car.y_m, 4),
            "heading_rad": round(wrap_angle(car.heading_rad), 4),
            "speed_m_s": round(car.speed_m_s, 4),
        }

    def stopped(self, stop: RaceStopped) -> None:
        """The sandbox's CPU time or wall clock ran out (stops.py): a running trial fails
        there; one that has just ended keeps its end."""
        if self.status == "running":
            self.fail(str(stop))

    def step(self, steering_deg: float, speed_m_s: float, action: int = -1) -> StepInfo:
        """Advance one control period under the official rules."""
        # This runs every step of every race: values are read into locals once.
        rules = self.rules
        length = self._length
        before_car = self.car
        self.car = car = self._step_car(before_car, steering_deg, speed_m_s)
        x, y, heading, speed, steering = car
        t_prev = self.clock_s
        self._n_steps = n_steps = self._n_steps + 1
        self.clock_s = clock = n_steps * self._dt + self._penalties_s
        prev = self.proj
        self.proj = proj = self._project(x, y, prev[0])
        _, _, s_m, offset, track_heading, left_half_width, right_half_width = proj
        ds = s_m - prev[2]
        half_length = self._half_length
        if ds > half_length:
            ds -= length
        elif ds < -half_length:
            ds += length
        before = self.distance_m
        self.distance_m = dist = before + ds
        lap_done = False
        if dist > self.best_distance_m:
            self.best_distance_m = dist
            target = self._next_lap_m
            if dist >= target > before:
                # Interpolate the crossing inside the step, to the millisecond.
                crossing = round(t_prev + self._dt * (target - before) / (dist - before), 3)
                previous = self.crossings_s[-1] if self.crossings_s else 0.0
                self.crossings_s.append(crossing)
                self.laps += 1
                self._next_lap_m = (self.laps + 1) * length
                lap_done = True
                self._event("lap", lap_time_s=round(crossing - previous, 3))
                if self.on_progress is not None:
                    self.on_progress(self.laps, rules.laps, clock)
                if self.laps >= rules.laps:
                    self._record(action, 1.0)
                    self.status = "finished"
                    return _new_tuple(StepInfo, (ds, True, False, False))
        obstacles = self.obstacles
        if obstacles is not None:
            obstacles.advance(n_steps)
            hit = obstacles.contact(before_car, car)
            self.crashed = hit is not None
            if hit is not None:
                self._collide(*hit, before_car, action, s_m)
                if self.clock_s >= rules.time_cap_s:
                    self.status = "dnf"
                    self.dnf_reason = "time_cap"
                return _new_tuple(StepInfo, (ds, lap_done, False, False))
        # Off track: the whole car beyond an edge. The car's half extent across the track
        # is never negative, so a centre within both edges is on track without it.
        if offset <= left_half_width and -offset <= right_half_width:
            off = False
        else:
            err = track_heading - heading
            half = self._half_len * math.fabs(math.sin(err)) + self._half_wid * math.fabs(math.cos(err))
            off = offset - half > left_half_width or -offset - half > right_half_width
        wrong = not off and dist < self.best_distance_m - rules.wrong_way_limit_m
        if off or wrong:
            self._record(action, 0.0)
            if off:
                self.off_track_count += 1
                self._event("off_track")
                resume = s_m
            else:
                self.wrong_way_count += 1
                self._event("wrong_way")
                resume = (self.start_s_m + self.best_distance_m) % length
                self.distance_m = self.best_distance_m
            self._n_penalties += 1
            self._penalties_s = self._n_penalties * rules.off_track_penalty_s + self._collision_penalties_s
            self.clock_s = clock = n_steps * self._dt + self._penalties_s
            self.car, self.proj = self._placed_at(resume)
            self._event("reset", penalty_s=rules.off_track_penalty_s)
            # The reset over the limit is counted and penalised like the others, so the
            # counts, penalties and clock of the result add up as always; then it ends.
            limit = rules.off_track_limit
            if limit and self._n_penalties > limit:
                self._event("off_track_limit", limit=limit)
                self.status = "dnf"
                self.dnf_reason = "off_track_limit"
                return _new_tuple(StepInfo, (ds, lap_done, off, wrong))
        else:
            # _record(action, 1.0), inlined.
            laps = self.laps
            progress = (dist - laps * length) / length
            wrapped = math.fmod(heading + _PI, _TWO_PI)  # wrap_angle(heading)
            if wrapped <= 0.0:
                wrapped += _TWO_PI
            self.rows.append((clock, x, y, wrapped - _PI, speed, steering,
                              progress if 0.0 <= progress < 1.0 else 0.0,
                              float(laps), float(action), 1.0))
        if clock >= rules.time_cap_s:  # the clock after any penalty of this step
            self.status = "dnf"
            self.dnf_reason = "time_cap"
        return _new_tuple(StepInfo, (ds, lap_done, off, wrong))

    def _collide(self, index: int, fraction: float, before: CarState, action: int, s_m: float) -> None:
        """The car touched obstacle `index` `fraction` of the way through this step: the row
        and the `collision` event show it where it touched; the penalty goes on the clock
        and the car is put back on the centre line behind the obstacle, stopped."""
        car = self.car
        self.car = CarState(before[0] + fraction * (car[0] - before[0]), before[1] + fraction * (car[1] - before[1]),
                            before[2] + fraction * (car[2] - before[2]), car[3], car[4])
        self._record(action, 1.0)
        obstacles = self.obstacles
        penalty = self.race_format.collision_penalty_s
        self._event("collision", obstacle=index, obstacle_kind="box" if index < len(obstacles.boxes) else "bot",
                    penalty_s=penalty)
        self.collision_count += 1
        self._collision_penalties_s = self.collision_count * penalty
        self._penalties_s = self._n_penalties * self.rules.off_track_penalty_s + self._collision_penalties_s
        self.clock_s = self._n_steps * self._dt + self._penalties_s
        resume = obstacles.resume_s(index)
        # The distance covered goes back with the car; so does the furthest point reached,
        # or putting the car back would count as driving the wrong way.
        back = (s_m - resume) % self._length
        if back > self._half_length:
            back -= self._length
        self.distance_m -= back
        self.best_distance_m = min(self.best_distance_m, self.distance_m)
        self.car, self.proj = self._placed_at(resume)

    def result(self, model_sha256: str = "") -> RaceResult:
        # Only a result needs onnxruntime (its version): the league's web process imports
        # this module for replays and never loads onnxruntime (about 30 MB).
        import onnxruntime

        rules = self.rules
        length = self._length
        # The rows as little-endian float64, packed in one call: several times faster than
        # np.array on a list of tuples. The hash is of these bytes.
        packed = bytearray(struct.pack(f"<{len(self.rows) * L.TRAJ_SIZE}d",
                                       *itertools.chain.from_iterable(self.rows)))
        traj = np.frombuffer(packed, dtype="<f8").reshape(-1, L.TRAJ_SIZE)
        crossings = self.crossings_s
        lap_times = [round(b - a, 3) for a, b in zip([0.0] + crossings[:-1], crossings)]
        finished = self.status == "finished"
        total = crossings[-1] if finished else round(self.clock_s, 3)
        best = min(lap_times) if lap_times else None
        avg = round(sum(lap_times) / len(lap_times), 3) if lap_times else None
        official = None
        if finished:
            official = {"TOTAL_TIME": total, "BEST_LAP_TIME": best, "AVG_LAP_TIME": avg}[
                rules.timing_method
            ]
        progress = 0.0
        if not finished:
            progress = min(max((self.best_distance_m - self.laps * length) / length, 0.0), 0.999999)
        return RaceResult(
            status=self.status if self.status != "running" else "dnf",
            laps_completed=self.laps,
            lap_times_s=lap_times,
            total_time_s=total,
            best_lap_s=best,
            avg_lap_s=avg,
            progress=round(progress, 6),
            off_track_count=self.off_track_count,
            wrong_way_count=self.wrong_way_count,
            penalty_s=round((self.off_track_count + self.wrong_way_count) * rules.off_track_penalty_s
                            + self._collision_penalties_s, 3),
            steps=len(self.rows),
            timing_method=rules.timing_method,
            official_time_s=official,
            trajectory_sha256=hashlib.sha256(packed).hexdigest(),
            simulator_version=SIMULATOR_VERSION,
            onnxruntime_version=onnxruntime.__version__,
            numpy_version=np.__version__,
            model_sha256=model_sha256,
            error=self.error,
            laps_required=rules.laps,
            track_length_m=round(length, 4),
            dnf_reason=self.dnf_reason,
            off_track_limit=rules.off_track_limit,
            track_reversed=self.track.is_reversed,
            trajectory=traj,
            events=self.events,
            failure=self.failure,
            race_type=self.race_format.race_type,
            seed=self.race_format.seed,
            collision_count=self.collision_count,
            world=self.obstacles,
        )


def run_time_trial(
    policy: Policy,
    track: Track,
    rules: RaceRules = RaceRules(),
    params: SimParams = SimParams(),
    on_progress: ProgressCallback | None = None,
    race_format: RaceFormat = TIME_TRIAL,
) -> RaceResult:
    """The official race of `policy` on `track`: a time trial, or with boxes or bots."""
    trial = TimeTrial(track, rules, params, policy.buffers, on_progress=on_progress, race_format=race_format)
    policy.reset_clock()
    observe = trial._observe
    act = policy.act
    step = trial.step
    try:
        while trial.status == "running":
            observe(trial.car, trial.proj)
            try:
                steering, speed, action = act()
            except PolicyFailure as exc:
                trial.fail(str(exc))
                break
            step(steering, speed, action)
    except RaceStopped as stop:
        trial.stopped(stop)
    return trial.result(policy.sha256)
