"""The rules of a community race: the settings a facilitator chooses, their bounds and
defaults (narrower than the simulator's, as DeepRacer's community races had), and the
ranking names the API speaks."""

from __future__ import annotations

from datetime import timedelta

from simulator.params import SENSORS

from .models import RACE_DEFAULTS

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
API_NAMES = {"timing_method": "ranking"}


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
