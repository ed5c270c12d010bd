"""What the policy sees: the STATE layout and the LIDAR ranges (the cameras: test_camera.py).

Most checks sit on the bottom straight of a long stadium (y = -1.5, driving +x,
1 m wide, straight from x = -5 to x = 5), where every number is known by hand.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from simulator import layout as L
from simulator.catalog import load_track
from simulator.params import CarParams, LidarParams
from simulator.sensors import LidarSensor, StateSensor
from simulator.vehicle import CarState

Y0 = -1.5  # the bottom straight's centre line
HALF = 0.5  # half width
ANGLES = np.radians(np.linspace(-150.0, 150.0, 64))


def state_of(track, car: CarState, dtype=np.float32) -> np.ndarray:
    out = np.zeros(L.STATE_SIZE, dtype=dtype)
    StateSensor(track).fill(out, car, track.project(car.x_m, car.y_m))
    return out


@pytest.fixture(scope="module")
def lidar(long_track):
    return LidarSensor(long_track, LidarParams())


# --- STATE ------------------------------------------------------------------------------------


def test_layout_is_the_designs_table():
    assert L.STATE_SIZE == 26
    assert (L.STATE_SPEED, L.STATE_STEERING, L.STATE_OFFSET, L.STATE_HEADING_ERROR,
            L.STATE_TRACK_WIDTH, L.STATE_PROGRESS, L.STATE_LOOKAHEAD) == (0, 1, 2, 3, 4, 5, 6)
    assert L.STATE_LOOKAHEAD_POINTS == 10 and L.STATE_LOOKAHEAD_SPACING_M == 0.25


def test_state_on_a_straight_facing_forward(long_track):
    s = state_of(long_track, CarState(-3.0, Y0 + 0.1, 0.0, 1.2, 6.0))
    assert s[L.STATE_SPEED] == pytest.approx(1.2)
    assert s[L.STATE_STEERING] == pytest.approx(0.2)  # 6 deg / 30
    assert s[L.STATE_OFFSET] == pytest.approx(0.1, abs=1e-6)  # left of centre
    assert s[L.STATE_HEADING_ERROR] == pytest.approx(0.0, abs=1e-7)
    assert s[L.STATE_TRACK_WIDTH] == pytest.approx(1.0, abs=1e-6)
    assert s[L.STATE_PROGRESS] == pytest.approx((long_track.length_m - 3.0) / long_track.length_m, abs=1e-6)
    pts = s[L.STATE_LOOKAHEAD:].reshape(10, 2)
    np.testing.assert_allclose(pts[:, 0], 0.25 * np.arange(1, 11), atol=0.006)  # forward
    np.testing.assert_allclose(pts[:, 1], -0.1, atol=1e-5)  # the centre line is on the right


def test_steering_is_a_fraction_of_the_cars_lock(long_track):
    car = CarState(-3.0, Y0, 0.0, 1.0, 10.0)
    out = np.zeros(L.STATE_SIZE)
    StateSensor(long_track, CarParams(max_steering_deg=20.0)).fill(out, car, long_track.project(car.x_m, car.y_m))
    assert out[L.STATE_STEERING] == 0.5
    assert state_of(long_track, car)[L.STATE_STEERING] == np.float32(10.0 / CarParams().max_steering_deg)


def test_offset_right_of_centre_is_negative(long_track):
    s = state_of(long_track, CarState(-3.0, Y0 - 0.3, 0.0, 1.0, -15.0))
    assert s[L.STATE_OFFSET] == pytest.approx(-0.3, abs=1e-6)
    assert s[L.STATE_STEERING] == pytest.approx(-0.5)
    np.testing.assert_allclose(s[L.STATE_LOOKAHEAD + 1::2], 0.3, atol=1e-5)


def test_heading_error_is_track_minus_car(long_track):
    # The car points 0.2 rad left of the track: the track turns right of where it points.
    s = state_of(long_track, CarState(-3.0, Y0, 0.2, 1.0, 0.0))
    assert s[L.STATE_HEADING_ERROR] == pytest.approx(-0.2, abs=1e-6)
    pts = s[L.STATE_LOOKAHEAD:].reshape(10, 2)
    # Seen from the car, the straight ahead drifts to the right.
    np.testing.assert_allclose(pts[:, 1], -0.25 * np.arange(1, 11) * math.sin(0.2), atol=0.003)
    s = state_of(long_track, CarState(-3.0, Y0, -0.2, 1.0, 0.0))
    assert s[L.STATE_HEADING_ERROR] == pytest.approx(0.2, abs=1e-6)


@pytest.mark.parametrize("turns", [-3, 1, 5])
def test_heading_error_wraps_into_minus_pi_pi(long_track, turns):
    s = state_of(long_track, CarState(-3.0, Y0, 0.2 + 2 * math.pi * turns, 1.0, 0.0))
    assert s[L.STATE_HEADING_ERROR] == pytest.approx(-0.2, abs=1e-5)


def test_facing_backwards_is_plus_pi(long_track):
    s = state_of(long_track, CarState(-3.0, Y0, math.pi, 1.0, 0.0), dtype=np.float64)
    assert s[L.STATE_HEADING_ERROR] == pytest.approx(math.pi, abs=1e-12)
    assert -math.pi < s[L.STATE_HEADING_ERROR] <= math.pi


def test_track_width_is_the_local_width(varying_width_track):
    t = varying_width_track
    for frac, width in ((0.25, 1.4), (0.75, 0.6)):
        x, y, _ = t.point_at(frac * t.length_m)
        proj = t.project(x, y)
        s = state_of(t, CarState(x, y, proj.track_heading_rad, 1.0, 0.0))
        assert s[L.STATE_TRACK_WIDTH] == pytest.approx(width, abs=0.01)


def test_look_ahead_wraps_across_the_start_line(long_track):
    s = state_of(long_track, CarState(-1.0, Y0, 0.0, 1.0, 0.0))
    assert s[L.STATE_PROGRESS] > 0.95
    np.testing.assert_allclose(s[L.STATE_LOOKAHEAD::2], 0.25 * np.arange(1, 11), atol=0.006)
    np.testing.assert_allclose(s[L.STATE_LOOKAHEAD + 1::2], 0.0, atol=1e-5)


@pytest.mark.parametrize("frac", [0.0, 0.13, 0.2, 0.31, 0.55, 0.8, 0.97])
def test_look_ahead_points_lie_on_the_centre_line_ahead(stadium_track, frac):
    t = stadium_track
    x, y, _ = t.point_at(frac * t.length_m)
    proj = t.project(x, y)
    car = CarState(x + 0.1, y - 0.05, proj.track_heading_rad + 0.3, 1.0, 0.0)
    car_proj = t.project(car.x_m, car.y_m)
    s = state_of(t, car, dtype=np.float64)
    c, sn = math.cos(car.heading_rad), math.sin(car.heading_rad)
    for k in range(10):
        px, py = s[L.STATE_LOOKAHEAD + 2 * k], s[L.STATE_LOOKAHEAD + 2 * k + 1]
        wx, wy = car.x_m + c * px - sn * py, car.y_m + sn * px + c * py  # back to the world
        p = t.project(wx, wy)
        assert abs(p.offset_m) < 0.01
        ahead = (p.s_m - car_proj.s_m) % t.length_m
        assert ahead == pytest.approx(0.25 * (k + 1), abs=0.01)


def test_progress_is_the_fraction_of_the_lap(long_track):
    start = state_of(long_track, CarState(0.0, Y0, 0.0, 1.0, 0.0))
    assert start[L.STATE_PROGRESS] == 0.0
    mid = long_track.point_at(long_track.length_m / 2)
    s = state_of(long_track, CarState(mid[0], mid[1], math.pi, 1.0, 0.0))
    assert s[L.STATE_PROGRESS] == pytest.approx(0.5, abs=1e-6)


@pytest.mark.parametrize("before_line_m", [1e-3, 1e-6, 1e-7, 1e-9])
def test_progress_stays_below_one_just_before_the_line(long_track, before_line_m):
    # The float32 STATE input must still read < 1 a hair before the start line.
    s = state_of(long_track, CarState(-before_line_m, Y0, 0.0, 1.0, 0.0))
    assert 0.99 < s[L.STATE_PROGRESS] < 1.0


# --- LIDAR ------------------------------------------------------------------------------------


def straight_ranges(offset: float, heading: float = 0.0, clip: float = 1.0) -> np.ndarray:
    """Beams from a car on the long straight, by hand: distance to y = +-0.5 (car frame)."""
    out = []
    for a in ANGLES + heading:
        sa = math.sin(a)
        if sa > 1e-12:
            d = (HALF - offset) / sa
        elif sa < -1e-12:
            d = (HALF + offset) / -sa
        else:
            d = math.inf
        out.append(min(max(d, 0.15), clip))
    return np.array(out)


def test_lidar_has_64_beams_from_right_to_left(lidar):
    assert lidar.params.beams == 64
    out = np.zeros(64)
    lidar.fill(out, CarState(-3.0, Y0, 0.0, 0.0, 0.0))
    np.testing.assert_allclose(out, straight_ranges(0.0), atol=1e-9)
    # The beams nearest +-90 deg read about half the width.
    assert out[12] == pytest.approx(0.5, abs=0.01) and out[13] == pytest.approx(0.5, abs=0.01)
    assert out[50] == pytest.approx(0.5, abs=0.01) and out[51] == pytest.approx(0.5, abs=0.01)
    assert out[31] == out[32] == 1.0  # straight ahead: nothing within reach


def test_first_beam_is_on_the_right(lidar):
    out = np.zeros(64)
    lidar.fill(out, CarState(-3.0, Y0 + 0.2, 0.0, 0.0, 0.0))  # 0.2 m left of centre
    np.testing.assert_allclose(out, straight_ranges(0.2), atol=1e-9)
    assert out[12] == pytest.approx(0.7, abs=0.01)  # right edge further away
    assert out[51] == pytest.approx(0.3, abs=0.01)  # left edge closer


def test_lidar_turns_with_the_car(lidar):
    out = np.zeros(64)
    lidar.fill(out, CarState(-3.0, Y0, 0.3, 0.0, 0.0))
    np.testing.assert_allclose(out, straight_ranges(0.0, heading=0.3), atol=1e-9)


def test_lidar_is_clipped_to_its_range(lidar, stadium_track):
    out = np.zeros(64)
    lidar.fill(out, CarState(-3.0, Y0 + 0.45, 0.0, 0.0, 0.0))  # 5 cm from the left edge
    assert out.min() == 0.15 and out.max() == 1.0
    assert out[51] == 0.15
    rng = np.random.default_rng(5)
    sensor = LidarSensor(stadium_track, LidarParams())
    for _ in range(50):
        x, y, h = stadium_track.point_at(rng.uniform(0, stadium_track.length_m))
        sensor.fill(out, CarState(x, y, h + rng.uniform(-3, 3), 0.0, 0.0))
        assert 0.15 <= out.min() and out.max() <= 1.0


def test_lidar_far_from_the_track_sees_nothing(lidar):
    out = np.zeros(64)
    lidar.fill(out, CarState(50.0, 50.0, 0.0, 0.0, 0.0))
    assert np.all(out == 1.0)


def test_lidar_clipping_distance_is_configurable(long_track):
    sensor = LidarSensor(long_track, LidarParams(clipping_dist_m=0.6))
    out = np.zeros(64)
    sensor.fill(out, CarState(-3.0, Y0, 0.0, 0.0, 0.0))
    np.testing.assert_allclose(out, straight_ranges(0.0, clip=0.6), atol=1e-9)


def _poses_on_and_around(track, rng, n: int):
    """Cars anywhere from 0.8 m right to 0.8 m left of the centre line, facing anywhere
    (headings unwrapped over several turns)."""
    for s_m, offset, turn in zip(rng.uniform(0, track.length_m, n), rng.uniform(-0.8, 0.8, n),
                                 rng.uniform(-20.0, 20.0, n)):
        x, y, heading = track.point_at(s_m)
        yield CarState(x - offset * math.sin(heading), y + offset * math.cos(heading), heading + turn, 1.0, 0.0)


@pytest.mark.parametrize("slug", ["oval-loop", "paperclip", "riverside-sweep", "grand-prix"])
def test_fast_lidar_equals_the_all_pairs_definition(slug):
    """The cells and the pose matrix only drop segments that cannot be hit and reorder the
    arithmetic: every beam reads what casting against every edge segment gives, to well
    under a micrometre, and the same float32 the model sees but for the last bit."""
    track = load_track(slug)
    sensor = LidarSensor(track, LidarParams())
    fast = np.zeros(64)
    slow = np.zeros(64)
    fast32 = np.zeros(64, dtype=np.float32)
    hits = 0
    for car in _poses_on_and_around(track, np.random.default_rng(5), 1500):
        sensor.fill(fast, car)
        sensor.fill_all_pairs(slow, car)
        np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-9)
        sensor.fill(fast32, car)
        assert np.all(np.abs(fast32 - slow.astype(np.float32)) <= np.spacing(np.float32(1.0)))
        hits += int((slow < 1.0).sum())
    assert hits > 1500 * 10  # the poses do see the edges


def test_fast_lidar_handles_beams_parallel_to_an_edge(long_track):
    """Beams exactly along the straight's edges (a zero denominator) see nothing there,
    as the definition says, and no warning escapes."""
    params = LidarParams(beams=3, min_angle_deg=-180.0, max_angle_deg=180.0)
    sensor = LidarSensor(long_track, params)
    fast = np.zeros(3)
    slow = np.zeros(3)
    for y in (Y0, Y0 + 0.2, Y0 - 0.45):
        car = CarState(-3.0, y, 0.0, 0.0, 0.0)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sensor.fill(fast, car)
        sensor.fill_all_pairs(slow, car)
        np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-9)
        assert np.all(fast == 1.0)  # backwards, forwards: along the edges, nothing within reach


def test_lidar_sees_the_same_from_a_fresh_sensor(stadium_track):
    """Cells are built on first use: a sensor that built them for other places reads the
    same as a new one."""
    used = LidarSensor(stadium_track, LidarParams())
    rng = np.random.default_rng(9)
    poses = list(_poses_on_and_around(stadium_track, rng, 200))
    for car in poses:
        used.fill(np.zeros(64), car)
    a = np.zeros(64)
    b = np.zeros(64)
    for car in poses[::-1]:
        used.fill(a, car)
        LidarSensor(stadium_track, LidarParams()).fill(b, car)
        assert np.array_equal(a, b)
