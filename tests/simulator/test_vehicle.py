"""The car: rate limits, turning circle, limited grip, purity. Numbers checked by hand."""

from __future__ import annotations

import dataclasses
import math

import pytest

from simulator.params import CarParams
from simulator.vehicle import CarState, footprint_half_extent_m, make_stepper

CAR = CarParams()
STEP = make_stepper(CAR)
REST = CarState(0.0, 0.0, 0.0, 0.0, 0.0)


def run(state: CarState, steer: float, speed: float, steps: int) -> CarState:
    for _ in range(steps):
        state = STEP(state, steer, speed)
    return state


def test_parameters_are_frozen_and_deepracer_scale():
    assert CAR.wheelbase_m == 0.164 and CAR.max_steering_deg == 30.0
    assert CAR.control_dt_s == pytest.approx(1 / 15)
    assert CAR.physics_dt_s == pytest.approx(1 / 60)
    with pytest.raises(dataclasses.FrozenInstanceError):
        CAR.wheelbase_m = 0.2  # type: ignore[misc]


def test_acceleration_from_rest_is_rate_limited():
    # 4 substeps of 1/60 s at 4 m/s^2: speeds 1/15, 2/15, 3/15, 4/15 m/s.
    s = STEP(REST, 0.0, 4.0)
    assert s.speed_m_s == pytest.approx(4 / 15, abs=1e-12)
    assert s.x_m == pytest.approx((1 + 2 + 3 + 4) / 15 / 60, abs=1e-12)
    assert s.y_m == 0.0 and s.heading_rad == 0.0


def test_speed_settles_on_the_command():
    s = run(REST, 0.0, 1.5, 30)
    assert s.speed_m_s == pytest.approx(1.5, abs=1e-12)
    before = s.x_m
    s = STEP(s, 0.0, 1.5)
    assert s.x_m - before == pytest.approx(1.5 / 15, abs=1e-12)


def test_braking_is_rate_limited_at_its_own_rate():
    s = STEP(CarState(0.0, 0.0, 0.0, 2.0, 0.0), 0.0, 0.1)
    assert s.speed_m_s == pytest.approx(2.0 - 8.0 / 15, abs=1e-12)


def test_steering_slews_at_360_degrees_per_second():
    s = STEP(CarState(0.0, 0.0, 0.0, 0.5, 0.0), 30.0, 0.5)
    assert s.steering_deg == pytest.approx(24.0)
    s = STEP(s, 30.0, 0.5)
    assert s.steering_deg == pytest.approx(30.0)
    s = STEP(s, -30.0, 0.5)
    assert s.steering_deg == pytest.approx(6.0)


def test_positive_steering_turns_left():
    left = run(CarState(0.0, 0.0, 0.0, 1.0, 0.0), 15.0, 1.0, 10)
    right = run(CarState(0.0, 0.0, 0.0, 1.0, 0.0), -15.0, 1.0, 10)
    assert left.heading_rad > 0 and left.y_m > 0
    assert right.heading_rad == pytest.approx(-left.heading_rad, abs=1e-12)
    assert right.y_m == pytest.approx(-left.y_m, abs=1e-12)


def test_turning_circle_at_low_speed_is_the_bicycle_radius():
    radius = CAR.wheelbase_m / math.tan(math.radians(30.0))  # 0.284 m
    s = CarState(0.0, 0.0, 0.0, 0.5, 30.0)
    for _ in range(60):
        s = STEP(s, 30.0, 0.5)
        assert math.hypot(s.x_m, s.y_m - radius) == pytest.approx(radius, abs=1e-3)
    # Heading rate v / R, no grip limit at 0.5 m/s (0.88 m/s^2 lateral).
    assert s.heading_rad == pytest.approx(60 * 0.5 / radius / 15, abs=1e-9)


def test_grip_caps_the_lateral_acceleration():
    # 3 m/s at full lock would need 31.7 m/s^2; grip allows 7, so the heading turns
    # at 7 / 3 rad/s: the car runs wide.
    s = CarState(0.0, 0.0, 0.0, 3.0, 30.0)
    s2 = STEP(s, 30.0, 3.0)
    assert s2.heading_rad == pytest.approx(7.0 / 3.0 / 15, abs=1e-12)
    radius = 3.0 / (7.0 / 3.0)
    assert radius > CAR.wheelbase_m / math.tan(math.radians(30.0))


def test_grippier_car_turns_tighter_at_speed():
    grippy = make_stepper(dataclasses.replace(CAR, max_lateral_accel_m_s2=20.0))
    s = CarState(0.0, 0.0, 0.0, 3.0, 30.0)
    assert grippy(s, 30.0, 3.0).heading_rad > STEP(s, 30.0, 3.0).heading_rad


def test_the_step_is_a_pure_function():
    s = CarState(1.0, 2.0, 0.3, 1.2, -5.0)
    a = STEP(s, 12.34, 2.5)
    b = STEP(s, 12.34, 2.5)
    assert a == b
    assert s == CarState(1.0, 2.0, 0.3, 1.2, -5.0)
    assert isinstance(a, CarState)


def test_heading_is_unwrapped():
    s = run(CarState(0.0, 0.0, 0.0, 0.5, 30.0), 30.0, 0.5, 200)
    assert s.heading_rad > 2 * math.pi


@pytest.mark.parametrize(
    "angle, expected",
    [(0.0, 0.10), (math.pi / 2, 0.14), (math.pi, 0.10), (math.pi / 4, 0.5 * 0.48 * math.sqrt(0.5))],
)
def test_footprint_across_the_track(angle, expected):
    assert footprint_half_extent_m(CAR, angle) == pytest.approx(expected, abs=1e-12)
