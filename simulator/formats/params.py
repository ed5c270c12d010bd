"""A race's format and its settings (object avoidance, head-to-bot), in frozen dataclasses
with units in their names, and the one definition of their bounds.

`RaceFormat` is what a race chooses; `ObstacleParams` are the simulator's own numbers
(box size, lane changes, how contacts are tested): changing one of those changes results,
so it comes with a new SIMULATOR_VERSION, like `simulator.params`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

RACE_TYPES = ("time_trial", "object_avoidance", "head_to_bot")
PLACEMENTS = ("random", "fixed")
# "inside" is the lane on the infield side of the centre line, "outside" the other one,
# whichever way round the track is driven.
LANES = ("inside", "outside")

# What a race may choose (inclusive bounds). The league's forms and API import these.
OBJECTS_RANGE = (1, 12)
BOTS_RANGE = (1, 6)
BOT_SPEED_RANGE_M_S = (0.2, 4.0)
COLLISION_PENALTY_RANGE_S = (0.0, 10.0)
# Seeds fit a 32-bit signed integer column in every database the league runs on.
SEED_RANGE = (0, 2**31 - 1)
FIXED_PROGRESS_RANGE_PCT = (0.0, 100.0)  # 100 excluded: it is the start line again

DEFAULT_OBJECTS = 6
DEFAULT_BOTS = 3
DEFAULT_BOT_SPEED_M_S = 0.75
DEFAULT_COLLISION_PENALTY_S = 5.0
# The off-track penalty of object avoidance and head-to-bot races unless the race sets its
# own (a time trial's default stays `RaceRules().off_track_penalty_s`).
FORMAT_OFF_TRACK_PENALTY_S = 5.0


# What obstacles look like (RGB): cardboard boxes and blue bot cars. Maps and videos draw
# these colours; the cameras see their grey levels.
BOX_RGB = (214, 170, 110)
BOT_RGB = (64, 120, 255)


class FormatError(ValueError):
    """Settings (or a track) a race format cannot run with; one line that names the fix."""


@dataclass(frozen=True)
class ObstacleParams:
    """The simulator's numbers for boxes, bots and contacts (not race settings)."""

    # Boxes: 0.40 m x 0.40 m on the ground, 0.30 m high, about the size of the boxes of
    # DeepRacer's object-avoidance races. Standing in the middle of its lane, a box reaches
    # over the centre line's car-width on every shipped track (lanes 0.39 to 0.54 m wide),
    # so a car that only follows the centre line hits it, and it leaves the other lane free.
    box_length_m: float = 0.40
    box_width_m: float = 0.40
    box_height_m: float = 0.30
    # Bot cars have the racing car's footprint (CarParams length and width) and this height.
    bot_height_m: float = 0.12
    # No box within this arc length of the start line (either side): the car starts there.
    start_clear_m: float = 1.0
    # Centre to centre, along the centre line, between any two boxes: room to weave, and
    # a place behind each box to put a car back.
    min_box_spacing_m: float = 1.0
    # A bot's lane change: its lateral position follows a smoothstep over this long.
    lane_change_s: float = 1.0
    # Time between the start of one lane change and the next, drawn uniformly from the seed.
    lane_change_interval_s: tuple[float, float] = (4.0, 10.0)
    # After a collision the car is put on the centre line this far (bumper to bumper)
    # behind the obstacle, stopped; further back while that spot touches anything.
    reset_gap_m: float = 0.10
    reset_search_step_m: float = 0.05
    # Contacts are tested between control steps, on poses interpolated linearly from the
    # previous step's to this one's, at most this far apart (relative motion) and turned.
    contact_substep_m: float = 0.01
    contact_substep_rad: float = 0.02

    def __post_init__(self) -> None:
        lo, hi = self.lane_change_interval_s
        if not self.lane_change_s <= lo <= hi:
            raise FormatError("lane_change_interval_s must be (lo, hi) with lane_change_s <= lo <= hi")


OBSTACLES = ObstacleParams()


@dataclass(frozen=True)
class FixedObject:
    """One box of a fixed placement: its lane, and where it stands in % of the lap from
    the start line (along the centre line, in driving order)."""

    lane: str
    progress_pct: float

    def __post_init__(self) -> None:
        if self.lane not in LANES:
            raise FormatError(f"lane {self.lane!r} is not one of {', '.join(LANES)}")
        if not _is_number(self.progress_pct):
            raise FormatError(f"progress_pct must be a number (% of the lap), got {self.progress_pct!r}")
        object.__setattr__(self, "progress_pct", float(self.progress_pct))
        lo, hi = FIXED_PROGRESS_RANGE_PCT
        if not lo <= self.progress_pct < hi:  # NaN fails this too
            raise FormatError(f"progress_pct must be at least {lo:g} and below {hi:g} (% of the lap), "
                              f"got {self.progress_pct}")

    def to_dict(self) -> dict:
        return {"lane": self.lane, "progress_pct": self.progress_pct}


@dataclass(frozen=True)
class RaceFormat:
    """A race's format and its settings. Settings of the other formats are ignored (a time
    trial keeps whatever defaults come with it), but every value must be in its bounds."""

    race_type: str = "time_trial"
    objects: int = DEFAULT_OBJECTS
    placement: str = "random"
    fixed_objects: tuple[FixedObject, ...] = ()
    bots: int = DEFAULT_BOTS
    bot_speed_m_s: float = DEFAULT_BOT_SPEED_M_S
    bot_lane_change: bool = False
    collision_penalty_s: float = DEFAULT_COLLISION_PENALTY_S
    seed: int = 0

    def __post_init__(self) -> None:
        if self.race_type not in RACE_TYPES:
            raise FormatError(f"race type {self.race_type!r} is not one of {', '.join(RACE_TYPES)}")
        if self.placement not in PLACEMENTS:
            raise FormatError(f"placement {self.placement!r} is not one of {', '.join(PLACEMENTS)}")
        for name, bounds, unit in (("objects", OBJECTS_RANGE, " boxes"), ("bots", BOTS_RANGE, " bot cars"),
                                   ("seed", SEED_RANGE, "")):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool):
                raise FormatError(f"{name} must be a whole number, got {value!r}")
            object.__setattr__(self, name, int(value))  # numpy ints too
            _check_between(name, int(value), bounds, unit)
        for name, bounds, unit in (("bot_speed_m_s", BOT_SPEED_RANGE_M_S, " m/s"),
                                   ("collision_penalty_s", COLLISION_PENALTY_RANGE_S, " s")):
            value = getattr(self, name)
            if not _is_number(value):
                raise FormatError(f"{name} must be a number, got {value!r}")
            object.__setattr__(self, name, float(value))
            _check_between(name, float(value), bounds, unit)
        if not isinstance(self.bot_lane_change, bool):
            raise FormatError(f"bot_lane_change must be true or false, got {self.bot_lane_change!r}")
        fixed = tuple(self.fixed_objects)
        if not all(isinstance(f, FixedObject) for f in fixed):
            fixed = fixed_objects_from(list(fixed))
        object.__setattr__(self, "fixed_objects", fixed)
        if self.placement == "fixed" and self.race_type == "object_avoidance":
            if not fixed:
                raise FormatError("fixed placement needs the boxes' positions: give each box's lane and "
                                  "% of the lap, e.g. inside:20,outside:45")
            if len(fixed) != self.objects:
                raise FormatError(f"objects is {self.objects} but {len(fixed)} fixed positions are given; "
                                  f"set objects to {len(fixed)} or give {self.objects} positions")
        elif fixed:
            raise FormatError("fixed positions apply to object avoidance with fixed placement only; "
                              "choose placement fixed (race type object_avoidance) or drop the positions")

    @property
    def has_boxes(self) -> bool:
        return self.race_type == "object_avoidance"

    @property
    def has_bots(self) -> bool:
        return self.race_type == "head_to_bot"

    def to_dict(self) -> dict:
        """The settings as they go into results and replays (JSON)."""
        return {
            "race_type": self.race_type,
            "objects": self.objects,
            "placement": self.placement,
            "fixed_objects": [f.to_dict() for f in self.fixed_objects],
            "bots": self.bots,
            "bot_speed_m_s": self.bot_speed_m_s,
            "bot_lane_change": self.bot_lane_change,
            "collision_penalty_s": self.collision_penalty_s,
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, data: dict) -> RaceFormat:
        """The inverse of `to_dict`; unknown keys are an error that lists the known ones."""
        if not isinstance(data, dict):
            raise FormatError(f"a race format is a JSON object, got {type(data).__name__}")
        known = tuple(cls.__dataclass_fields__)
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise FormatError(f"unknown race format setting(s) {', '.join(unknown)}; known: {', '.join(known)}")
        data = dict(data)
        if "fixed_objects" in data:
            data["fixed_objects"] = fixed_objects_from(data["fixed_objects"])
        return cls(**data)



def fixed_objects_from(value) -> tuple[FixedObject, ...]:
    """Fixed positions from text (`inside:20,outside:45.5`, as the CLI takes them) or from
    JSON (a list of {"lane": ..., "progress_pct": ...} objects or [lane, pct] pairs)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items = []
        for k, part in enumerate(value.split(","), 1):
            lane, sep, pct = part.strip().partition(":")
            if not sep:
                raise FormatError(f"fixed position {k} ({part.strip()!r}) must be LANE:PERCENT, e.g. inside:20")
            try:
                number = float(pct)
            except ValueError:
                raise FormatError(f"fixed position {k}: {pct!r} is not a number (% of the lap)") from None
            items.append((lane.strip(), number))
    elif isinstance(value, (list, tuple)):
        items = []
        for k, item in enumerate(value, 1):
            if isinstance(item, FixedObject):
                items.append((item.lane, item.progress_pct))
            elif isinstance(item, dict) and set(item) == {"lane", "progress_pct"}:
                items.append((item["lane"], item["progress_pct"]))
            elif isinstance(item, (list, tuple)) and len(item) == 2:
                items.append(tuple(item))
            else:
                raise FormatError(f"fixed position {k} must be {{\"lane\": \"inside\"|\"outside\", "
                                  f"\"progress_pct\": 0..100}}, got {item!r}")
    else:
        raise FormatError(f"fixed positions must be text (inside:20,outside:45) or a list, got {type(value).__name__}")
    out = []
    for k, (lane, pct) in enumerate(items, 1):
        try:
            out.append(FixedObject(lane, pct))
        except FormatError as exc:
            raise FormatError(f"fixed position {k}: {exc}") from None
    return tuple(out)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _check_between(label: str, value: float, bounds: tuple[float, float], unit: str = "") -> None:
    lo, hi = bounds
    if not lo <= value <= hi:
        raise FormatError(f"{label} must be between {_text(lo)} and {_text(hi)}{unit}, got {_text(value)}")


def _text(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


TIME_TRIAL = RaceFormat()
