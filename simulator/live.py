"""A race driven in real time: the official race, one control step at a time, paced to the
clock (15 steps a second), with the racer's speed multiplier as an input.

DeepRacer LIVE let a racer scale the car's speed by 0.5x-1.5x during a run. Here the
multiplier scales the speed the model asks for (capped at the car's top speed) from the
step it arrives before; it is an input of the race like the model's outputs, so it is
recorded as change points `[[step, multiplier], ...]` ("from this step on"), and a race
given the same change points (`race_recorded`, `python -m simulator race
--speed-multipliers FILE`) is the same run, step for step, hash for hash. With 1.0
throughout nothing is scaled, so the run is exactly `run_time_trial`'s (same hash).

Pacing only delays the steps: the trajectory does not depend on when they ran.
"""

from __future__ import annotations

import json
import math
import os
import select
import time
from collections.abc import Callable
from pathlib import Path

from .formats import TIME_TRIAL, RaceFormat
from .params import RaceRules, SimParams
from .policy import Policy, PolicyFailure
from .race import RaceResult, StepInfo, TimeTrial
from .stops import RaceStopped
from .track import Track

SPEED_MULTIPLIER_RANGE = (0.5, 1.5)
MAX_CHANGES = 100_000  # change points a recording may hold (a run of the longest cap has fewer steps)

Changes = list[list]  # [[step, multiplier], ...], steps increasing, multipliers in range
StepHook = Callable[[TimeTrial, StepInfo, int, float], None]


class MultiplierError(ValueError):
    """A speed multiplier or a recording of them is not usable; the message names the fix."""


def checked_multiplier(value) -> float:
    """`value` as a multiplier in SPEED_MULTIPLIER_RANGE, or MultiplierError."""
    low, high = SPEED_MULTIPLIER_RANGE
    try:
        m = float(value)
    except (TypeError, ValueError):
        raise MultiplierError(f"a speed multiplier is a number from {low:g} to {high:g}, not {value!r}") from None
    if not math.isfinite(m) or not low <= m <= high:
        raise MultiplierError(f"a speed multiplier is from {low:g} to {high:g}, not {value!r}")
    return m


def checked_changes(data) -> Changes:
    """A recording (`{"speed_multipliers": [[step, m], ...]}` or the bare list) checked:
    steps are increasing integers from 0, multipliers in range."""
    if isinstance(data, dict):
        data = data.get("speed_multipliers")
    if not isinstance(data, list) or len(data) > MAX_CHANGES:
        raise MultiplierError('speed multipliers: give a list [[step, multiplier], ...] '
                              '(or {"speed_multipliers": [...]}, as a live race records them)')
    changes: Changes = []
    for item in data:
        if not (isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], int)
                and not isinstance(item[0], bool) and item[0] >= 0):
            raise MultiplierError(f"speed multipliers: each change is [step, multiplier] with a step >= 0, not {item!r}")
        if changes and item[0] <= changes[-1][0]:
            raise MultiplierError(f"speed multipliers: steps must increase ({item[0]} after {changes[-1][0]})")
        changes.append([item[0], checked_multiplier(item[1])])
    return changes


def read_changes(path: str | Path) -> Changes:
    try:
        return checked_changes(json.loads(Path(path).read_text()))
    except OSError as exc:
        raise MultiplierError(f"speed multipliers: cannot read {path} ({exc.strerror})") from None
    except ValueError as exc:
        if isinstance(exc, MultiplierError):
            raise
        raise MultiplierError(f"speed multipliers: {path} is not JSON ({exc})") from None


def drive(trial: TimeTrial, policy: Policy, multiplier_at: Callable[[int], float],
          after_step: StepHook | None = None) -> Changes:
    """Run `trial` to its end with `policy`, the speed scaled by `multiplier_at(step)`
    (asked before each step); returns the change points it used. The loop is
    `run_time_trial`'s with one multiplication more, skipped at 1.0."""
    policy.reset_clock()
    observe, act, step = trial._observe, policy.act, trial.step
    top_speed = trial.params.car.max_speed_m_s
    changes: Changes = []
    current = 1.0
    n = 0
    try:
        while trial.status == "running":
            m = multiplier_at(n)
            if m != current:
                changes.append([n, m])
                current = m
            observe(trial.car, trial.proj)
            try:
                steering, speed, action = act()
            except PolicyFailure as exc:
                trial.fail(str(exc))
                break
            if current != 1.0:
                speed = min(speed * current, top_speed)
            info = step(steering, speed, action)
            if after_step is not None:
                after_step(trial, info, n, current)
            n += 1
    except RaceStopped as stop:  # the sandbox's CPU time or wall clock (stops.py)
        trial.stopped(stop)
    return changes


def race_recorded(policy: Policy, track: Track, changes: Changes, rules: RaceRules = RaceRules(),
                  params: SimParams = SimParams(), race_format: RaceFormat = TIME_TRIAL,
                  on_progress=None) -> RaceResult:
    """The run a live race recorded, again: the same change points, as fast as it goes."""
    trial = TimeTrial(track, rules, params, policy.buffers, on_progress=on_progress, race_format=race_format)
    at = dict((step, m) for step, m in changes)
    state = {"m": 1.0}

    def multiplier_at(n: int) -> float:
        state["m"] = at.get(n, state["m"])
        return state["m"]

    drive(trial, policy, multiplier_at)
    return trial.result(policy.sha256)


class Pacer:
    """Steps at `steps_per_s` of real time: `wait(n)` returns when step n is due, handing
    the time until then to `idle(seconds)` (which may read input meanwhile). A run that
    falls behind (a slow model) is not rushed to catch up: it goes on from where it is."""

    def __init__(self, steps_per_s: float, clock: Callable[[], float] = time.monotonic,
                 idle: Callable[[float], None] = time.sleep):
        self.period_s = 1.0 / steps_per_s
        self.clock = clock
        self.idle = idle
        self._origin: float | None = None

    def wait(self, n: int) -> None:
        now = self.clock()
        if self._origin is None:
            self._origin = now - n * self.period_s
        due = self._origin + n * self.period_s
        while now < due:
            self.idle(due - now)
            now = self.clock()
        if now - due > 1.0:  # more than a second late: the schedule moves, no burst of steps
            self._origin = now - n * self.period_s


def frame_of(trial: TimeTrial, info: StepInfo, n: int, multiplier: float) -> dict:
    """One step as the live stream shows it (the row the trajectory recorded)."""
    clock, x, y, heading, speed, steering, progress, laps = trial.rows[-1][:8]
    return {"type": "frame", "step": n, "clock": round(clock, 3), "x": round(x, 3), "y": round(y, 3),
            "heading": round(heading, 4), "speed": round(speed, 3), "steering": round(steering, 2),
            "lap": int(laps) + 1, "laps_done": int(laps), "progress": round(progress, 4),
            "off_track": bool(info.off_track or info.wrong_way), "multiplier": multiplier}


def run_live(policy: Policy, track: Track, rules: RaceRules = RaceRules(), params: SimParams = SimParams(),
             race_format: RaceFormat = TIME_TRIAL, *, next_multiplier: Callable[[float], float | None],
             emit: Callable[[dict], None], pacer: Pacer | None = None) -> tuple[RaceResult, Changes]:
    """The race paced to real time. Before each step `next_multiplier(timeout_s)` waits up
    to that long for a new multiplier from the racer (None: no change); each step is
    `emit`ted as a frame, each lap, off-track, reset and collision as its event."""
    trial = TimeTrial(track, rules, params, policy.buffers, race_format=race_format)
    pacer = pacer or Pacer(1.0 / params.car.control_dt_s)
    state = {"m": 1.0, "events": 0}

    def idle(seconds: float) -> None:
        m = next_multiplier(seconds)
        if m is not None:
            state["m"] = m

    pacer.idle = idle

    def multiplier_at(n: int) -> float:
        pacer.wait(n)
        return state["m"]

    def after_step(trial: TimeTrial, info: StepInfo, n: int, m: float) -> None:
        emit(frame_of(trial, info, n, m))
        for event in trial.events[state["events"]:]:
            emit({k: (round(v, 3) if isinstance(v, float) else v) for k, v in event.items()})
        state["events"] = len(trial.events)

    changes = drive(trial, policy, multiplier_at, after_step)
    return trial.result(policy.sha256), changes


class LineMultipliers:
    """`next_multiplier` reading the racer's multipliers from a file descriptor (the
    command line's stdin), one number a line; the last complete line wins. A line that is
    not a multiplier is reported through `warn` and ignored; at the end of the input the
    multiplier stays where it is."""

    def __init__(self, fd: int, warn: Callable[[str], None]):
        self.fd = fd
        self.warn = warn
        self._buffer = b""
        self._closed = False

    def __call__(self, timeout_s: float) -> float | None:
        if self._closed:
            time.sleep(max(0.0, timeout_s))
            return None
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout_s))
        if not ready:
            return None
        chunk = os.read(self.fd, 4096)
        if not chunk:
            self._closed = True
            return None
        self._buffer = (self._buffer + chunk)[-65536:]
        *lines, self._buffer = self._buffer.split(b"\n")
        latest = None
        for line in lines:
            text = line.decode("utf-8", "replace").strip()
            if not text:
                continue
            try:
                latest = checked_multiplier(text)
            except MultiplierError as exc:
                self.warn(str(exc))
        return latest
