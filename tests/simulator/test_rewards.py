"""The DeepRacer params dict and the reward-function plumbing, without an environment."""

from __future__ import annotations

import math

import pytest

from simulator.params import CarParams
from simulator.observation import start_state
from simulator.rewards import (
    PARAM_DOCS,
    PARAM_KEYS,
    RewardFunctionError,
    TrackedParams,
    call_reward_function,
    deepracer_params,
    load_reward_function,
    waypoint_list,
)
from simulator.track import track_from_array
from simulator.vehicle import footprint_half_extent_m

from .builders import stadium

CAR = CarParams()


@pytest.fixture(scope="module")
def track():
    # Start at (0, -1.5) facing +x on the bottom straight; 1 m wide; counter-clockwise.
    return track_from_array(stadium())


def params_at(track, x, y, heading_deg, **kw):
    car = start_state(track)._replace(x_m=x, y_m=y, heading_rad=math.radians(heading_deg))
    proj = track.project(x, y)
    half = footprint_half_extent_m(CAR, proj.track_heading_rad - car.heading_rad)
    args = dict(steps=1, progress_pct=12.5, steering_deg=-7.5, speed_m_s=2.0, off_track=False,
                half_extent_m=half)
    args.update(kw)
    return deepracer_params(track, car, proj, **args)


def test_keys_and_types(track):
    p = params_at(track, 0.5, -1.4, 0.0)
    assert tuple(p) == PARAM_KEYS
    for key, (kind, meaning) in PARAM_DOCS.items():
        assert type(p[key]) is kind, key
        assert meaning


def test_left_right_and_distance_on_the_bottom_straight(track):
    # Driving +x along y = -1.5: +y is the car's left.
    left = params_at(track, 0.5, -1.3, 0.0)
    right = params_at(track, 0.5, -1.8, 0.0)
    assert left["is_left_of_center"] and not right["is_left_of_center"]
    assert left["distance_from_center"] == pytest.approx(0.2)
    assert right["distance_from_center"] == pytest.approx(0.3)
    assert left["all_wheels_on_track"] and right["all_wheels_on_track"]


def test_all_wheels_on_track_uses_the_car_footprint(track):
    # Pointing along the track the car's half extent across it is half its width, 0.10 m.
    assert params_at(track, 0.5, -1.5 - 0.39, 0.0)["all_wheels_on_track"]
    assert not params_at(track, 0.5, -1.5 - 0.41, 0.0)["all_wheels_on_track"]
    # Across the track it is half its length, 0.14 m.
    assert params_at(track, 0.5, -1.5 - 0.35, 90.0)["all_wheels_on_track"]
    assert not params_at(track, 0.5, -1.5 - 0.37, 90.0)["all_wheels_on_track"]


def test_heading_closest_waypoints_and_reversed(track):
    spacing = track.length_m / track.n
    p = params_at(track, 2.5 * spacing, -1.5, 0.0)
    assert p["closest_waypoints"] == [2, 3]
    assert p["projection_distance"] == pytest.approx(2.5 * spacing)
    assert p["heading"] == pytest.approx(0.0)
    assert not p["is_reversed"]
    back = params_at(track, 2.5 * spacing, -1.5, 180.0)
    assert back["heading"] == 180.0 and back["is_reversed"]
    assert params_at(track, 0.2, -1.5, -100.0)["is_reversed"]
    assert params_at(track, 0.2, -1.5, -80.0)["is_reversed"] is False
    assert params_at(track, 0.2, -1.5, 270.0)["heading"] == pytest.approx(-90.0)
    # The last waypoint's "next" is waypoint 0.
    last = params_at(track, -0.5 * spacing, -1.5, 0.0)
    assert last["closest_waypoints"] == [track.n - 1, 0]


def test_action_and_bookkeeping_values_pass_through(track):
    p = params_at(track, 0.5, -1.5, 0.0, steps=42, progress_pct=101.0, off_track=True)
    assert p["steps"] == 42 and p["progress"] == 100.0 and p["is_offtrack"] is True
    assert p["steering_angle"] == -7.5 and p["speed"] == 2.0
    assert p["track_width"] == pytest.approx(1.0)
    assert p["track_length"] == pytest.approx(track.length_m)
    assert p["waypoints"] == waypoint_list(track) and len(p["waypoints"]) == track.n
    assert p["is_crashed"] is False


def test_tracked_params_remember_the_last_key():
    p = TrackedParams(a=1, b=2)
    p["a"]
    assert p.last_key == "a"
    p.get("b")
    assert p.last_key == "b"
    assert isinstance(p, dict)


def test_call_reward_function_errors(track):
    p = params_at(track, 0.5, -1.5, 0.0)
    assert call_reward_function(lambda q: 1, p, 1) == 1.0
    with pytest.raises(RewardFunctionError, match=r"step 9: params has no key 'lap_time'") as exc:
        call_reward_function(lambda q: q["lap_time"], p, 9)
    assert exc.value.key == "lap_time" and "available: all_wheels_on_track" in str(exc.value)
    with pytest.raises(RewardFunctionError, match=r"raised ValueError at step 2 after reading params\['x'\]"):
        call_reward_function(lambda q: math.sqrt(-1 - q["x"]), p, 2)
    with pytest.raises(RewardFunctionError, match="returned None at step 3"):
        call_reward_function(lambda q: None, p, 3)
    with pytest.raises(RewardFunctionError, match="returned inf at step 4"):
        call_reward_function(lambda q: math.inf, p, 4)


def test_load_reward_function(tmp_path):
    good = tmp_path / "good.py"
    good.write_text("def reward_function(params):\n    return float(params['speed'])\n")
    assert load_reward_function(good)({"speed": 3}) == 3.0
    bad = tmp_path / "bad.py"
    bad.write_text("def reward(params):\n    return 1.0\n")
    with pytest.raises(ValueError, match="defines no function reward_function"):
        load_reward_function(bad)
    with pytest.raises(FileNotFoundError):
        load_reward_function(tmp_path / "missing.py")
