"""Head-to-head: two cars on one track, each driven by its own policy, each seeing the other
(the lidar hits it, the cameras draw it, as head-to-bot's bots), raced under the time
trial's rules (`race.TimeTrial`, one per car) in lockstep; and a match, two duels with the
grid swapped on the same seed.

Rules (docs/competitors.md, "Head-to-head"):
- The grid stands at a point of the lap drawn from the seed (seed 0: the start line).
  `side_by_side`: position 1 on the left of the centre line, position 2 on the right.
  `staggered`: position 2 also `stagger_m` behind. Each car's laps count from its own
  grid spot, so both cover the same distance.
- Car-to-car contact (the footprints, tested between steps as against bots) is a collision
  for both: each gets the collision penalty; the car in front is put back on the centre
  line where it touched, the one behind on the centre line behind it, both stopped.
- A car that finished, failed or hit the time cap leaves the track.
- Winner: both finished, the lower total time (penalties included); one finished, it; none,
  the one further round (laps + progress); otherwise a draw. A match: both finished both
  duels, the lower sum of the two total times; otherwise more duels finished, then more
  distance over the two; otherwise a draw.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from .formats import OBSTACLES, FormatError, RaceFormat
from .formats.geometry import Rect, first_contact, half_diagonal_m
from .observation import make_observer
from .params import RaceRules, SimParams
from .policy import Policy, PolicyFailure
from .race import RaceResult, TimeTrial
from .track import Track
from .vehicle import CarState, make_stepper

STARTS = ("side_by_side", "staggered")
SIDES = ("a", "b")
DUEL_FORMAT = "vrl-duel/1"


@dataclass(frozen=True)
class DuelSettings:
    """A duel's settings (a race chooses them) and the grid's numbers (the simulator's)."""

    start: str = "side_by_side"
    collision_penalty_s: float = RaceFormat.collision_penalty_s
    seed: int = 0
    # Grid: the gap between the two cars' sides, and position 2's distance behind.
    side_gap_m: float = 0.06
    stagger_m: float = 0.6

    def __post_init__(self) -> None:
        if self.start not in STARTS:
            raise FormatError(f"start {self.start!r} is not one of {', '.join(STARTS)}")
        # The seed and penalty share the other formats' bounds and checks.
        RaceFormat(collision_penalty_s=self.collision_penalty_s, seed=self.seed)

    def to_dict(self) -> dict:
        return {"race_type": "head_to_head", "start": self.start,
                "collision_penalty_s": float(self.collision_penalty_s), "seed": int(self.seed)}


class Opponent:
    """The other car as a trial's obstacles (`formats.Obstacles`' interface, one bot): the
    sensors see `rects`; contacts and resets are decided by the `Duel` for both cars at
    once, so both always agree."""

    boxes: list = []
    bots = True  # the lidar and cameras treat it as a bot car
    geometry = OBSTACLES

    def __init__(self, car_radius_m: float):
        self._car_radius = car_radius_m
        self.rects: list[Rect] = []
        self.prev_rects: list[Rect] = []
        self.hit: tuple[int, float] | None = None
        self.resume_at_m = 0.0

    def advance(self, step: int) -> None:  # the Duel moves it
        pass

    def contact(self, car0: CarState, car1: CarState) -> tuple[int, float] | None:
        return self.hit

    def resume_s(self, index: int) -> float:
        return self.resume_at_m

    def near_bots(self, x_m: float, y_m: float, reach_m: float) -> list[Rect] | None:
        lim = reach_m + self._car_radius
        for rect in self.rects:
            dx, dy = rect[0] - x_m, rect[1] - y_m
            if dx * dx + dy * dy <= lim * lim:
                return [rect]
        return None

    def replay_dict(self, steps: int) -> None:
        return None


class Duel:
    """One duel, stepped in lockstep: `trials` are the cars' time trials, side a first.
    `swapped` puts b in position 1."""

    def __init__(self, track: Track, rules: RaceRules = RaceRules(), params: SimParams = SimParams(),
                 settings: DuelSettings = DuelSettings(), buffers: tuple[dict, dict] = ({}, {}),
                 swapped: bool = False):
        self.track, self.rules, self.params, self.settings = track, rules, params, settings
        self.swapped = swapped
        car = params.car
        self._half = (0.5 * car.length_m, 0.5 * car.width_m)
        self._step_car = make_stepper(car)
        grid = self.grid(track, params, settings)
        fmt = RaceFormat(collision_penalty_s=settings.collision_penalty_s, seed=settings.seed)
        self.opponents = (Opponent(half_diagonal_m(*self._half)), Opponent(half_diagonal_m(*self._half)))
        self.trials: list[TimeTrial] = []
        for k, side in enumerate(SIDES):
            s_m, offset_m = grid[(k == 1) != swapped]
            trial = TimeTrial(track, rules, params, buffers[k], start_s_m=s_m, race_format=fmt)
            nx, ny = -math.sin(trial.car.heading_rad), math.cos(trial.car.heading_rad)
            trial.car = CarState(trial.car.x_m + offset_m * nx, trial.car.y_m + offset_m * ny,
                                 trial.car.heading_rad, 0.0, 0.0)
            trial.proj = track.project(trial.car.x_m, trial.car.y_m, hint=track.waypoint_index_at(s_m))
            trial.obstacles = self.opponents[k]
            if trial.buffers:
                trial._observe = make_observer(trial.buffers, track, params, self.opponents[k])
            self.trials.append(trial)
        self.collisions: list[dict] = []
        self.step_count = 0
        self._see_each_other()

    @staticmethod
    def grid(track: Track, params: SimParams, settings: DuelSettings) -> tuple[tuple[float, float], ...]:
        """(arc length, offset left of the centre line) of positions 1 and 2."""
        length = track.length_m
        s1 = 0.0 if settings.seed == 0 else float(np.random.default_rng(settings.seed).uniform(0.0, length))
        offset = 0.5 * params.car.width_m + 0.5 * settings.side_gap_m
        s2 = (s1 - settings.stagger_m) % length if settings.start == "staggered" else s1
        for s in (s1, s2):
            k = track.waypoint_index_at(s)
            room = min(float(track.left_half_width_m[k]), float(track.right_half_width_m[k]))
            if room < offset + 0.5 * params.car.width_m:
                raise FormatError(f"the track is too narrow for two cars side by side at the grid "
                                  f"({2 * room:.2f} m); use another seed or track")
        return (s1, offset), (s2, -offset)

    @property
    def done(self) -> bool:
        return all(t.done for t in self.trials)

    def _rect(self, car) -> Rect:
        return (car[0], car[1], car[2], *self._half)

    def _see_each_other(self) -> None:
        a, b = self.trials
        self.opponents[0].rects = [] if b.done else [self._rect(b.car)]
        self.opponents[1].rects = [] if a.done else [self._rect(a.car)]

    def step(self, commands: tuple[tuple[float, float, int] | None, tuple[float, float, int] | None]) -> None:
        """Advance both cars one control step; `commands[k]` is (steering, speed, action) for
        a running car, None for one that is done."""
        a, b = self.trials
        for opp in self.opponents:
            opp.hit = None
        if commands[0] is not None and commands[1] is not None:
            a0, b0 = a.car, b.car
            a1 = self._step_car(a0, commands[0][0], commands[0][1])
            b1 = self._step_car(b0, commands[1][0], commands[1][1])
            g = OBSTACLES
            f = first_contact(self._rect(a0), self._rect(a1), self._rect(b0), self._rect(b1),
                              g.contact_substep_m, g.contact_substep_rad)
            if f is not None:
                self._plan_resets(a0, a1, b0, b1, f)
        for trial, command, opp in zip(self.trials, commands, self.opponents):
            if command is None:
                continue
            trial.step(*command)
            if opp.hit is not None and trial.crashed:
                trial.events[-1]["obstacle_kind"] = "car"
        self.step_count += 1
        if self.opponents[0].hit is not None:
            self.collisions.append({"step": self.step_count - 1, "x_m": round(a.car.x_m, 4),
                                    "y_m": round(a.car.y_m, 4)})
        self._see_each_other()

    def _plan_resets(self, a0, a1, b0, b1, f: float) -> None:
        """Both cars touched at fraction f of this step: where each goes back to."""
        track = self.track
        pa = (a0[0] + f * (a1[0] - a0[0]), a0[1] + f * (a1[1] - a0[1]))
        pb = (b0[0] + f * (b1[0] - b0[0]), b0[1] + f * (b1[1] - b0[1]))
        sa = track.project(*pa, hint=self.trials[0].proj[0]).s_m
        sb = track.project(*pb, hint=self.trials[1].proj[0]).s_m
        length = track.length_m
        d = (sa - sb + 0.5 * length) % length - 0.5 * length  # > 0: a is in front
        front, back = (0, 1) if d >= 0.0 else (1, 0)
        s_front = (sa, sb)[front]
        g = OBSTACLES
        self.opponents[front].resume_at_m = s_front
        self.opponents[back].resume_at_m = (s_front - (2 * self._half[0] + g.reset_gap_m)) % length
        for opp in self.opponents:
            opp.hit = (0, f)

    def results(self, shas: tuple[str, str] = ("", "")) -> tuple[RaceResult, RaceResult]:
        out = []
        for trial, sha in zip(self.trials, shas):
            r = trial.result(sha)
            r.race_type = "head_to_head"
            r.world = None
            out.append(r)
        return out[0], out[1]


def _distance(r: RaceResult) -> float:
    return float(r.laps_required if r.status == "finished" else r.laps_completed + r.progress)


def duel_winner(a: RaceResult, b: RaceResult) -> str:
    """'a', 'b' or 'draw' by the rules in this module's docstring."""
    fa, fb = a.status == "finished", b.status == "finished"
    if fa and fb:
        return "a" if a.total_time_s < b.total_time_s else "b" if b.total_time_s < a.total_time_s else "draw"
    if fa != fb:
        return "a" if fa else "b"
    da, db = _distance(a), _distance(b)
    return "a" if da > db else "b" if db > da else "draw"


def match_winner(duels: list[dict]) -> str:
    """The winner of a match from its duels' dicts (`DuelOutcome.to_dict`), sides as named
    in the match (each duel's a is the match's a)."""
    results = [(d["a"], d["b"]) for d in duels]
    finished = {s: sum(r[k]["status"] == "finished" for r in results) for k, s in enumerate(SIDES)}
    if finished["a"] == finished["b"] == len(duels):
        ta = round(sum(r[0]["total_time_s"] for r in results), 3)
        tb = round(sum(r[1]["total_time_s"] for r in results), 3)
        return "a" if ta < tb else "b" if tb < ta else "draw"
    if finished["a"] != finished["b"]:
        return "a" if finished["a"] > finished["b"] else "b"
    dist = {s: sum(_distance_of(r[k]) for r in results) for k, s in enumerate(SIDES)}
    return "a" if dist["a"] > dist["b"] else "b" if dist["b"] > dist["a"] else "draw"


def _distance_of(r: dict) -> float:
    return float(r["laps_required"] if r["status"] == "finished" else r["laps_completed"] + r["progress"])


@dataclass
class DuelOutcome:
    settings: DuelSettings
    swapped: bool
    results: tuple[RaceResult, RaceResult]
    collisions: list[dict]

    @property
    def winner(self) -> str:
        return duel_winner(*self.results)

    @property
    def trajectory_sha256(self) -> str:
        """Over both cars: the SHA-256 of both trajectories' SHA-256s, a's first."""
        return hashlib.sha256(b"".join(bytes.fromhex(r.trajectory_sha256) for r in self.results)).hexdigest()

    def to_dict(self) -> dict:
        return {
            "format": DUEL_FORMAT,
            "winner": self.winner,
            **self.settings.to_dict(),
            "positions": {"a": 2 if self.swapped else 1, "b": 1 if self.swapped else 2},
            "a": self.results[0].to_dict(),
            "b": self.results[1].to_dict(),
            "car_collisions": len(self.collisions),
            "trajectory_sha256": self.trajectory_sha256,
        }


def run_duel(policy_a: Policy, policy_b: Policy, track: Track, rules: RaceRules = RaceRules(),
             params: SimParams = SimParams(), settings: DuelSettings = DuelSettings(),
             swapped: bool = False) -> DuelOutcome:
    """One duel of two ONNX policies."""
    if policy_a is policy_b:
        raise ValueError("a duel needs two Policy objects (load the model twice): each owns its input buffers")
    policies = (policy_a, policy_b)
    duel = Duel(track, rules, params, settings, (policy_a.buffers, policy_b.buffers), swapped)
    for p in policies:
        p.reset_clock()
    trials = duel.trials
    while not duel.done:
        # Both cars see the track before either moves.
        for trial in trials:
            if not trial.done:
                trial.observe()
        commands = []
        for trial, policy in zip(trials, policies):
            command = None
            if not trial.done:
                try:
                    command = policy.act()
                except PolicyFailure as exc:
                    trial.fail(str(exc))
            commands.append(command)
        duel.step((commands[0], commands[1]))
    return DuelOutcome(settings, swapped, duel.results((policy_a.sha256, policy_b.sha256)), duel.collisions)


def run_match(policy_a: Policy, policy_b: Policy, track: Track, rules: RaceRules = RaceRules(),
              params: SimParams = SimParams(), settings: DuelSettings = DuelSettings()) -> list[DuelOutcome]:
    """Two duels on the same seed, a in position 1 then b (`match_dict` says who won)."""
    return [run_duel(policy_a, policy_b, track, rules, params, settings, swapped) for swapped in (False, True)]


def match_dict(outcomes: list[DuelOutcome]) -> dict:
    duels = [o.to_dict() for o in outcomes]
    return {
        "format": "vrl-match/1",
        "winner": match_winner(duels),
        **outcomes[0].settings.to_dict(),
        "duels": duels,
        "trajectory_sha256": hashlib.sha256("".join(d["trajectory_sha256"] for d in duels).encode()).hexdigest(),
    }
