"""A model package's `model_metadata.json` (DeepRacer's format): parsing and its checks.

Also the error every check of a model package raises (`ModelError`), so that the league
can check metadata without loading onnx or onnxruntime.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from .formatting import format_size
from .params import DEFAULT_MAX_METADATA_BYTES, SENSORS, CarParams

MAX_DISCRETE_ACTIONS = 100

# Steering and speed commands must be within what the car can do (`CarParams`).
_CAR = CarParams()
_STEERING_RANGE_DEG = (-_CAR.max_steering_deg, _CAR.max_steering_deg)
_SPEED_RANGE_M_S = (_CAR.min_speed_m_s, _CAR.max_speed_m_s)
# DeepRacer's default continuous action space: full steering, from a slow 0.5 m/s to top
# speed. The house drivers and the Gymnasium environment's default metadata use it.
_DEFAULT_SPEED_RANGE_M_S = (0.5, _CAR.max_speed_m_s)
DEFAULT_CONTINUOUS_SPACE = {
    "steering_angle": {"low": _STEERING_RANGE_DEG[0], "high": _STEERING_RANGE_DEG[1]},
    "speed": {"low": _DEFAULT_SPEED_RANGE_M_S[0], "high": _DEFAULT_SPEED_RANGE_M_S[1]},
}


class ModelError(ValueError):
    """A model package that cannot be raced. `field` is "onnx" or "metadata"."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Action:
    steering_deg: float
    speed_m_s: float


@dataclass(frozen=True)
class ModelMetadata:
    sensors: tuple[str, ...]
    action_space_type: str  # "discrete" | "continuous"
    actions: tuple[Action, ...] = ()  # discrete
    steering_range_deg: tuple[float, float] = _STEERING_RANGE_DEG  # continuous
    speed_range_m_s: tuple[float, float] = _DEFAULT_SPEED_RANGE_M_S  # continuous
    raw: dict = field(default_factory=dict, compare=False)  # every key, unknown ones kept


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ModelError("metadata", f"{what} must be a number, got {json.dumps(value)}")
    v = float(value)
    if not math.isfinite(v):
        raise ModelError("metadata", f"{what} must be a finite number")
    return v


def _check_steering(v: float, what: str) -> float:
    lo, hi = _STEERING_RANGE_DEG
    if not lo <= v <= hi:
        raise ModelError(
            "metadata", f"{what} is {v:g} deg; steering must be within {lo:g}..{hi:g} degrees"
        )
    return v


def _check_speed(v: float, what: str) -> float:
    lo, hi = _SPEED_RANGE_M_S
    if not lo <= v <= hi:
        raise ModelError("metadata", f"{what} is {v:g} m/s; speed must be within {lo:g}..{hi:g} m/s")
    return v


def _load_json(source: bytes | str, max_metadata_bytes: int) -> Any:
    if isinstance(source, bytes):
        if len(source) > max_metadata_bytes:
            raise ModelError(
                "metadata", f"model_metadata.json is larger than the {format_size(max_metadata_bytes)} limit"
            )
        try:
            # utf-8-sig: editors on Windows start files with a byte-order mark.
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ModelError("metadata", "model_metadata.json is not UTF-8 text") from None
    try:
        return json.loads(source)
    except json.JSONDecodeError as exc:
        raise ModelError(
            "metadata", f"model_metadata.json is not valid JSON: {exc.msg} at line {exc.lineno}"
        ) from None
    except RecursionError:
        raise ModelError(
            "metadata", "model_metadata.json is nested too deeply; DeepRacer metadata needs three levels"
        ) from None
    except ValueError:  # e.g. an integer of thousands of digits
        raise ModelError(
            "metadata", "model_metadata.json is not valid JSON: a number is too long to read"
        ) from None


def parse_metadata(
    source: bytes | str | dict, *, max_metadata_bytes: int = DEFAULT_MAX_METADATA_BYTES
) -> ModelMetadata:
    """Parse and validate a DeepRacer `model_metadata.json` (bytes over the cap are refused)."""
    raw = source if isinstance(source, dict) else _load_json(source, max_metadata_bytes)
    if not isinstance(raw, dict):
        raise ModelError("metadata", "model_metadata.json must be a JSON object")

    sensors = raw.get("sensor", ["FRONT_FACING_CAMERA"])  # DeepRacer's default
    if isinstance(sensors, str):
        sensors = [sensors]
    if not isinstance(sensors, list) or not sensors or not all(isinstance(s, str) for s in sensors):
        raise ModelError("metadata", '"sensor" must be a list of sensor names, e.g. ["STATE"]')
    unknown = [s for s in sensors if s not in SENSORS]
    if unknown:
        raise ModelError(
            "metadata",
            f"unsupported sensor {', '.join(unknown)}; supported sensors: {', '.join(SENSORS)}",
        )
    if len(set(sensors)) != len(sensors):
        raise ModelError("metadata", '"sensor" lists the same sensor twice')

    if "action_space" not in raw:
        raise ModelError("metadata", 'model_metadata.json has no "action_space"')
    space = raw["action_space"]
    kind = raw.get("action_space_type", "discrete" if isinstance(space, list) else "continuous")
    if kind not in ("discrete", "continuous"):
        raise ModelError(
            "metadata", f'"action_space_type" is {json.dumps(kind)}; use "discrete" or "continuous"'
        )
    if kind == "discrete":
        return ModelMetadata(tuple(sensors), "discrete", actions=_discrete_actions(space), raw=raw)
    steering, speed = _continuous_ranges(space)
    return ModelMetadata(
        tuple(sensors), "continuous", steering_range_deg=steering, speed_range_m_s=speed, raw=raw
    )


def _discrete_actions(space: Any) -> tuple[Action, ...]:
    if not isinstance(space, list) or not space:
        raise ModelError(
            "metadata",
            'a discrete "action_space" must be a non-empty list of '
            '{"steering_angle": deg, "speed": m/s}',
        )
    if len(space) > MAX_DISCRETE_ACTIONS:
        raise ModelError("metadata", f"at most {MAX_DISCRETE_ACTIONS} discrete actions are allowed")
    actions = []
    for i, a in enumerate(space):
        if not isinstance(a, dict) or "steering_angle" not in a or "speed" not in a:
            raise ModelError(
                "metadata", f"action {i} must have both \"steering_angle\" and \"speed\""
            )
        steer = _check_steering(_number(a["steering_angle"], f"action {i} steering_angle"), f"action {i} steering_angle")
        speed = _check_speed(_number(a["speed"], f"action {i} speed"), f"action {i} speed")
        # Rounded like a continuous action (`actions.ActionMap`): 0.01 deg, 0.001 m/s.
        actions.append(Action(round(steer, 2), round(speed, 3)))
    return tuple(actions)


def _continuous_ranges(space: Any) -> list[tuple[float, float]]:
    if not isinstance(space, dict) or "steering_angle" not in space or "speed" not in space:
        raise ModelError(
            "metadata",
            'a continuous "action_space" must be {"steering_angle": {"low": .., "high": ..}, '
            '"speed": {"low": .., "high": ..}}',
        )
    ranges = []
    for key, check in (("steering_angle", _check_steering), ("speed", _check_speed)):
        r = space[key]
        if not isinstance(r, dict) or "low" not in r or "high" not in r:
            raise ModelError("metadata", f'continuous "{key}" needs "low" and "high"')
        # "the speed low": a message starts with a word, not a key (an upload's message
        # gets a capital first letter, which made "Steering_angle low").
        low = check(_number(r["low"], f"the {key} low"), f"the {key} low")
        high = check(_number(r["high"], f"the {key} high"), f"the {key} high")
        if low > high:
            raise ModelError("metadata", f'continuous "{key}" has low {low:g} above high {high:g}')
        ranges.append((low, high))
    return ranges
