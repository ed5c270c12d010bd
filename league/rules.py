"""The rules of a community race: the settings a facilitator chooses, their bounds and
defaults (narrower than the simulator's, as DeepRacer's community races had), and the
ranking names the API speaks."""

from __future__ import annotations

from datetime import timedelta

from simulator.formats import (
    BOT_SPEED_RANGE_M_S,
    BOTS_RANGE,
    COLLISION_PENALTY_RANGE_S,
    FORMAT_OFF_TRACK_PENALTY_S,
    LANES,
    OBJECTS_RANGE,
    PLACEMENTS,
    SEED_RANGE,
    RaceFormat,
)
from simulator.params import SENSORS

from .models import FORMAT_DEFAULTS, FORMAT_LABELS, LEAGUE_FORMATS, RACE_DEFAULTS

# The API's ranking names, and the timing methods they stand for.
RANKINGS = {
    "total_time": "TOTAL_TIME",
    "best_lap": "BEST_LAP_TIME",
    "average_lap": "AVG_LAP_TIME",
}
RANKING_OF_TIMING = {timing: name for name, timing in RANKINGS.items()}

LAPS_RANGE = (1, 10)
OFF_TRACK_PENALTY_RANGE_S = (0.0, 10.0)
OFF_TRACK_LIMIT_RANGE = (0, 100)
TIME_CAP_RANGE_S = (30.0, 600.0)
QUOTA_RANGE = (1, 10_000)

DEFAULT_TOTAL_QUOTA = 50
DEFAULT_DAILY_QUOTA = 10
DEFAULT_WINDOW = timedelta(days=7)
MAX_WINDOW = timedelta(days=366)

# Every setting may change until the race opens; after that only these (closing early
# and extending the close time stay possible).
CHANGEABLE_ONCE_OPEN = ("name", "description", "closes_at")

# Where the API's name of a setting differs from the field's.
API_NAMES = {"timing_method": "ranking", "object_count": "objects", "bot_speed_m_s": "bot_speed"}

# The race formats (DeepRacer's object avoidance and head-to-bot besides the time trial):
# the simulator's bounds, re-exported so that forms, API and admin read one definition.
# A race's format and its settings are chosen at creation and fixed once it opens (they
# are not in CHANGEABLE_ONCE_OPEN).
FORMATS = LEAGUE_FORMATS
FORMAT_FIELDS = (
    "format", "object_count", "placement", "fixed_positions", "bots", "bot_speed_m_s",
    "bot_lane_change", "collision_penalty_s", "seed",
)  # fmt: skip
# Which settings each format reads (the others are kept, and ignored).
FORMAT_SETTINGS = {
    "time_trial": (),
    "object_avoidance": ("object_count", "placement", "fixed_positions", "collision_penalty_s", "seed"),
    "head_to_bot": ("bots", "bot_speed_m_s", "bot_lane_change", "collision_penalty_s", "seed"),
    # Each submission first runs a time trial (it proves the model races); then the ladder
    # (ladder/) races it against the others.
    "head_to_head": ("collision_penalty_s",),
}


def race_opened(race, now) -> bool:
    """Whether the race has opened (its settings frozen but for CHANGEABLE_ONCE_OPEN): a
    community race at its opening time, a league race once its season opened too."""
    if race.season_id is None:
        return race.opens_at is not None and race.opens_at <= now
    if race.season.status == "draft":
        return False
    return race.opens_at is None or race.opens_at <= now


def off_track_penalty_default_s(race_format: str) -> float:
    """The off-track penalty a race gets when its organiser sets none: 5 s with boxes or
    bots (DeepRacer's), the time trial's own otherwise."""
    return RACE_DEFAULTS.off_track_penalty_s if race_format == "time_trial" else FORMAT_OFF_TRACK_PENALTY_S


def format_defaults() -> dict:
    """A new race's format settings before its organiser changes any (the seed is drawn
    by the model when none is given)."""
    return {
        "format": FORMAT_DEFAULTS.race_type,
        "object_count": FORMAT_DEFAULTS.objects,
        "placement": FORMAT_DEFAULTS.placement,
        "fixed_positions": [],
        "bots": FORMAT_DEFAULTS.bots,
        "bot_speed_m_s": FORMAT_DEFAULTS.bot_speed_m_s,
        "bot_lane_change": FORMAT_DEFAULTS.bot_lane_change,
        "collision_penalty_s": FORMAT_DEFAULTS.collision_penalty_s,
    }


def race_format(race) -> RaceFormat:
    """The simulator's format of `race` (what the worker races and the reproduce command
    names). Settings the format does not read are left at the simulator's defaults."""
    if race.format in ("time_trial", "head_to_head"):  # head-to-head: the qualifying time trial
        return RaceFormat()
    boxes, bots = race.format == "object_avoidance", race.format == "head_to_bot"
    fixed = boxes and race.placement == "fixed"
    return RaceFormat(
        race_type=race.format,
        objects=race.object_count if boxes else FORMAT_DEFAULTS.objects,
        placement=race.placement if boxes else FORMAT_DEFAULTS.placement,
        fixed_objects=tuple(race.fixed_positions or ()) if fixed else (),
        bots=race.bots if bots else FORMAT_DEFAULTS.bots,
        bot_speed_m_s=race.bot_speed_m_s if bots else FORMAT_DEFAULTS.bot_speed_m_s,
        bot_lane_change=bool(race.bot_lane_change) if bots else False,
        collision_penalty_s=race.collision_penalty_s,
        seed=race.seed,
    )


def community_defaults() -> dict:
    """A new community race's settings before the facilitator changes any."""
    return {
        "direction": "counterclockwise",
        "timing_method": RACE_DEFAULTS.timing_method,
        "laps": RACE_DEFAULTS.laps,
        "off_track_penalty_s": RACE_DEFAULTS.off_track_penalty_s,
        "off_track_limit": 0,
        "time_cap_s": RACE_DEFAULTS.time_cap_s,
        "allowed_sensors": list(SENSORS),
        "total_quota": DEFAULT_TOTAL_QUOTA,
        "daily_quota": DEFAULT_DAILY_QUOTA,
        "time_zone": "UTC",
        "visibility": "public",
    }


def default_replay_visibility(visibility: str) -> str:
    return "everyone" if visibility == "public" else "participants"
