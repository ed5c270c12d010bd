"""The rules' one definition: RaceRules defaults and bounds, and limits tied to the car."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.params import (
    LAPS_RANGE,
    OFF_TRACK_LIMIT_RANGE,
    OFF_TRACK_PENALTY_RANGE_S,
    TIME_CAP_RANGE_S,
    CarParams,
    PolicyLimits,
    RaceRules,
)

BOUNDS = [("laps", LAPS_RANGE), ("off_track_penalty_s", OFF_TRACK_PENALTY_RANGE_S), ("time_cap_s", TIME_CAP_RANGE_S),
          ("off_track_limit", OFF_TRACK_LIMIT_RANGE)]


def test_the_design_defaults():
    rules = RaceRules()
    assert (rules.laps, rules.timing_method, rules.off_track_penalty_s, rules.time_cap_s) == (3, "TOTAL_TIME", 3.0, 180.0)
    assert rules.off_track_limit == 0  # no limit, as before the setting existed


@pytest.mark.parametrize("name, bounds", BOUNDS)
def test_bounds_are_inclusive_and_enforced(name, bounds):
    lo, hi = bounds
    assert getattr(RaceRules(**{name: lo}), name) == lo
    assert getattr(RaceRules(**{name: hi}), name) == hi
    for outside in (lo - 1, hi + 1):
        with pytest.raises(ValueError, match=f"between {lo} and {hi}"):
            RaceRules(**{name: outside})


def test_the_step_budget_is_one_control_period():
    assert PolicyLimits().mean_step_budget_s == CarParams().control_dt_s


def test_off_track_limit_errors_name_the_field_and_the_bound():
    lo, hi = OFF_TRACK_LIMIT_RANGE
    with pytest.raises(ValueError, match=f"^off_track_limit must be between {lo} and {hi} resets"):
        RaceRules(off_track_limit=hi + 1)


@pytest.mark.parametrize("value", [1.5, 2.0, True, "3", None])
def test_off_track_limit_is_a_whole_number(value):
    with pytest.raises(ValueError, match="^off_track_limit must be a whole number of resets"):
        RaceRules(off_track_limit=value)


def test_off_track_limit_takes_numpy_integers_as_ints():
    rules = RaceRules(off_track_limit=np.int64(4))
    assert rules.off_track_limit == 4 and type(rules.off_track_limit) is int
