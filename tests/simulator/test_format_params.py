"""A race format's settings: defaults, bounds and the errors that name the fix."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.formats import (
    FixedObject,
    FormatError,
    ObstacleParams,
    RaceFormat,
    fixed_objects_from,
)


def test_the_defaults_are_the_issues():
    f = RaceFormat()
    assert f.race_type == "time_trial"
    assert (f.objects, f.placement, f.bots, f.bot_speed_m_s, f.bot_lane_change, f.collision_penalty_s, f.seed) == (
        6, "random", 3, 0.75, False, 5.0, 0)
    assert not f.has_boxes and not f.has_bots
    assert RaceFormat(race_type="object_avoidance").has_boxes
    assert RaceFormat(race_type="head_to_bot").has_bots


@pytest.mark.parametrize(("kwargs", "phrase"), [
    ({"race_type": "head_to_head"}, "time_trial, object_avoidance, head_to_bot"),
    ({"placement": "scattered"}, "random, fixed"),
    ({"objects": 0}, "objects must be between 1 and 12 boxes"),
    ({"objects": 13}, "objects must be between 1 and 12 boxes"),
    ({"objects": 2.5}, "objects must be a whole number"),
    ({"objects": True}, "objects must be a whole number"),
    ({"bots": 7}, "bots must be between 1 and 6 bot cars"),
    ({"bot_speed_m_s": 0.1}, "bot_speed_m_s must be between 0.2 and 4 m/s"),
    ({"bot_speed_m_s": 4.5}, "bot_speed_m_s must be between 0.2 and 4 m/s"),
    ({"bot_speed_m_s": float("nan")}, "bot_speed_m_s must be a number"),
    ({"collision_penalty_s": -1}, "collision_penalty_s must be between 0 and 10 s"),
    ({"collision_penalty_s": 10.5}, "collision_penalty_s must be between 0 and 10 s"),
    ({"seed": -1}, "seed must be between 0 and 2147483647"),
    ({"seed": 2**31}, "seed must be between 0 and 2147483647"),
    ({"bot_lane_change": "yes"}, "bot_lane_change must be true or false"),
])
def test_settings_out_of_bounds_are_refused_with_the_bounds(kwargs, phrase):
    with pytest.raises(FormatError) as err:
        RaceFormat(**kwargs)
    assert phrase in str(err.value)
    assert "\n" not in str(err.value)


def test_numpy_numbers_are_accepted_as_plain_ones():
    f = RaceFormat(objects=np.int64(4), seed=np.int32(9), bot_speed_m_s=np.float32(1.5))
    assert (type(f.objects), type(f.seed), type(f.bot_speed_m_s)) == (int, int, float)


def test_fixed_placement_needs_the_positions():
    with pytest.raises(FormatError, match="give each box's lane and % of the lap"):
        RaceFormat(race_type="object_avoidance", placement="fixed")


def test_fixed_positions_must_match_the_number_of_objects():
    with pytest.raises(FormatError, match="set objects to 2 or give 6 positions"):
        RaceFormat(race_type="object_avoidance", placement="fixed", fixed_objects=fixed_objects_from("inside:20,outside:50"))
    f = RaceFormat(race_type="object_avoidance", placement="fixed", objects=2,
                   fixed_objects=fixed_objects_from("inside:20,outside:50"))
    assert f.fixed_objects == (FixedObject("inside", 20.0), FixedObject("outside", 50.0))


@pytest.mark.parametrize("kwargs", [
    {"race_type": "head_to_bot", "placement": "fixed"},
    {"race_type": "object_avoidance", "placement": "random"},
])
def test_fixed_positions_outside_a_fixed_object_race_are_refused(kwargs):
    with pytest.raises(FormatError, match="fixed positions apply to object avoidance with fixed placement only"):
        RaceFormat(objects=1, fixed_objects=(FixedObject("inside", 30),), **kwargs)


def test_fixed_positions_from_text_and_from_json():
    expected = (FixedObject("inside", 20.0), FixedObject("outside", 45.5))
    assert fixed_objects_from("inside:20, outside:45.5") == expected
    assert fixed_objects_from([{"lane": "inside", "progress_pct": 20}, {"lane": "outside", "progress_pct": 45.5}]) == expected
    assert fixed_objects_from([["inside", 20], ("outside", 45.5)]) == expected
    assert fixed_objects_from("") == ()


@pytest.mark.parametrize(("value", "phrase"), [
    ("middle:20", "fixed position 1: lane 'middle' is not one of inside, outside"),
    ("inside:20,outside", "fixed position 2 ('outside') must be LANE:PERCENT"),
    ("inside:abc", "'abc' is not a number"),
    ("inside:100", "below 100"),
    ("inside:-1", "at least 0"),
    ([{"lane": "inside"}], "fixed position 1 must be"),
    (42, "must be text"),
])
def test_bad_fixed_positions_say_what_is_wrong(value, phrase):
    with pytest.raises(FormatError) as err:
        fixed_objects_from(value)
    assert phrase in str(err.value)


def test_a_format_goes_through_json_and_back():
    f = RaceFormat(race_type="object_avoidance", placement="fixed", objects=2, seed=7,
                   fixed_objects=fixed_objects_from("inside:20,outside:50"), collision_penalty_s=2.5)
    assert RaceFormat.from_dict(f.to_dict()) == f
    h = RaceFormat(race_type="head_to_bot", bots=2, bot_speed_m_s=1.25, bot_lane_change=True, seed=3)
    assert RaceFormat.from_dict(h.to_dict()) == h


def test_unknown_settings_are_listed():
    with pytest.raises(FormatError, match="unknown race format setting.*boxes; known: race_type"):
        RaceFormat.from_dict({"boxes": 3})


def test_lane_changes_cannot_overlap():
    with pytest.raises(FormatError, match="lane_change_s <= lo"):
        ObstacleParams(lane_change_s=2.0, lane_change_interval_s=(1.0, 3.0))
