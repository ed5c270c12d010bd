"""DeepRacer reward functions: the `params` dict they read, and calling them safely.

A reward function written for AWS DeepRacer is a plain `reward_function(params) -> float`.
The Gymnasium environment builds `params` every step from the simulator's state with
DeepRacer's documented meanings (see `PARAM_DOCS`), calls the function and turns any
exception into a `RewardFunctionError` that names the step and the last key read.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any, Callable

from .track import Projection, Track
from .vehicle import CarState

RewardFunction = Callable[[dict], float]

# Key -> (type, meaning). The one definition of the params dict; docs and tests read it.
PARAM_DOCS: dict[str, tuple[type, str]] = {
    "all_wheels_on_track": (bool, "the whole car (all four wheels) is inside the track's borders"),
    "x": (float, "car position, m (world frame of the track file)"),
    "y": (float, "car position, m"),
    "distance_from_center": (float, "distance from the centre line, m, >= 0"),
    "is_left_of_center": (bool, "the car is left of the centre line (looking along the track)"),
    "heading": (float, "car yaw in the world frame, degrees in (-180, 180], 0 = +x, 90 = +y"),
    "progress": (float, "percentage of the current lap completed, 0..100 (100 on the step a lap completes)"),
    "steps": (int, "steps completed in this episode, including this one (1 on the first step)"),
    "speed": (float, "the speed the agent chose this step, m/s (the action, as in DeepRacer)"),
    "steering_angle": (float, "the steering angle the agent chose this step, degrees, + left, - right"),
    "track_width": (float, "track width at the car's closest centre-line point, m"),
    "track_length": (float, "length of the centre line, m"),
    "waypoints": (list, "centre-line points [(x, y), ...] in driving order, the loop not closed by a repeated point"),
    "closest_waypoints": (list, "[previous, next]: indices of the waypoints behind and ahead of the car"),
    "is_offtrack": (bool, "the car left the track this step (the whole car outside the borders); the race puts it back"),
    "is_crashed": (bool, "the car touched a box or a bot car this step (the race puts it back behind it); "
                         "always False in time trials"),
    "is_reversed": (bool, "the car points against the track's driving direction (more than 90 deg off)"),
    "projection_distance": (float, "arc length from waypoint 0 to the car's projection on the centre line, m"),
    # The objects: boxes (object avoidance) or bot cars (head-to-bot), in the same order in
    # every list; empty in time trials.
    "objects_location": (list, "each object's centre [(x, y), ...], m"),
    "objects_left_of_center": (list, "for each object, whether it is left of the centre line"),
    "objects_speed": (list, "each object's speed, m/s (0 for boxes)"),
    "objects_heading": (list, "each object's heading, degrees in (-180, 180], 0 = +x"),
    "objects_distance": (list, "each object's arc length from the start line along the centre line, m, 0..track_length"),
    "closest_objects": (list, "[behind, ahead]: indices of the objects nearest behind and ahead of the car "
                              "along the track ([0, 0] without objects)"),
}
NO_OBJECTS = {"objects_location": [], "objects_left_of_center": [], "objects_speed": [], "objects_heading": [],
              "objects_distance": [], "closest_objects": [0, 0]}
PARAM_KEYS = tuple(PARAM_DOCS)


class RewardFunctionError(RuntimeError):
    """A reward function raised or returned something that is not a finite number."""

    def __init__(self, message: str, step: int, key: str | None):
        super().__init__(message)
        self.step = step
        self.key = key


class TrackedParams(dict):
    """The params dict; remembers the last key read so an error can name it."""

    __slots__ = ("last_key",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.last_key: str | None = None

    def __getitem__(self, key):
        self.last_key = key
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.last_key = key
        return super().get(key, default)


def waypoint_list(track: Track) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in track.center.tolist()]


def deepracer_params(
    track: Track,
    car: CarState,
    proj: Projection,
    *,
    steps: int,
    progress_pct: float,
    steering_deg: float,
    speed_m_s: float,
    off_track: bool,
    half_extent_m: float,
    waypoints: list | None = None,
    crashed: bool = False,
    objects: dict | None = None,
) -> TrackedParams:
    """DeepRacer's params for the car state `car` (projected at `proj`) after a step.

    `half_extent_m` is half the car's footprint across the track (see
    `vehicle.footprint_half_extent_m`); `off_track` and `crashed` are the race rules'
    verdicts; `objects` the objects' keys (`formats.Obstacles.objects_params`), none by default.
    """
    offset = proj.offset_m
    heading = math.degrees(math.atan2(math.sin(car.heading_rad), math.cos(car.heading_rad)))
    if heading <= -180.0:
        heading = 180.0
    err = proj.track_heading_rad - car.heading_rad
    reversed_ = math.cos(err) < 0.0
    i = proj.index
    return TrackedParams(
        all_wheels_on_track=(offset + half_extent_m <= proj.left_half_width_m
                             and -offset + half_extent_m <= proj.right_half_width_m),
        x=float(car.x_m),
        y=float(car.y_m),
        distance_from_center=abs(float(offset)),
        is_left_of_center=offset > 0.0,
        heading=heading,
        progress=float(min(max(progress_pct, 0.0), 100.0)),
        steps=int(steps),
        speed=float(speed_m_s),
        steering_angle=float(steering_deg),
        track_width=float(proj.left_half_width_m + proj.right_half_width_m),
        track_length=float(track.length_m),
        waypoints=list(waypoints if waypoints is not None else waypoint_list(track)),
        closest_waypoints=[i, i + 1 if i + 1 < track.n else 0],
        is_offtrack=bool(off_track),
        is_crashed=bool(crashed),
        is_reversed=reversed_,
        projection_distance=float(proj.s_m),
        **(objects if objects is not None else {k: list(v) for k, v in NO_OBJECTS.items()}),
    )


def call_reward_function(fn: RewardFunction, params: TrackedParams, step: int) -> float:
    """`fn(params)` as a float; any failure becomes a RewardFunctionError naming step and key."""
    params.last_key = None
    try:
        value = fn(params)
    except Exception as exc:
        key = params.last_key
        if isinstance(exc, KeyError):
            missing = exc.args[0] if exc.args else key
            raise RewardFunctionError(
                f"reward_function failed at step {step}: params has no key {missing!r} "
                f"(available: {', '.join(sorted(params))})",
                step, str(missing),
            ) from exc
        where = f" after reading params[{key!r}]" if key is not None else ""
        raise RewardFunctionError(
            f"reward_function raised {type(exc).__name__} at step {step}{where}: {exc}",
            step, key,
        ) from exc
    try:
        reward = float(value)
    except (TypeError, ValueError):
        raise RewardFunctionError(
            f"reward_function returned {value!r} at step {step}; it must return a number "
            "(return float(reward))",
            step, params.last_key,
        ) from None
    if not math.isfinite(reward):
        raise RewardFunctionError(
            f"reward_function returned {reward} at step {step}"
            + (f" after reading params[{params.last_key!r}]" if params.last_key else "")
            + "; it must return a finite number",
            step, params.last_key,
        )
    return reward


def load_reward_function(path: str | Path, name: str = "reward_function") -> RewardFunction:
    """Load `reward_function` from a Python file, as DeepRacer's console would."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"reward function file {path} does not exist")
    spec = importlib.util.spec_from_file_location(f"_reward_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    fn: Any = getattr(module, name, None)
    if not callable(fn):
        raise ValueError(f"{path.name} defines no function {name}(params)")
    return fn
