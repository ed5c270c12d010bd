"""The lidar's per-step path: a race's writer reads what the all-pairs definition gives,
and its quiet division leaves numpy's error state as it found it."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from simulator.catalog import load_track
from simulator.lidar import LidarSensor, _quiet_errors
from simulator.params import LidarParams
from simulator.vehicle import CarState


def _poses(track, rng, n):
    """Poses along the track, on it and off it, turned every way."""
    for s_m, offset, turn in zip(rng.uniform(0.0, track.length_m, n), rng.uniform(-1.5, 1.5, n),
                                 rng.uniform(-math.pi, math.pi, n)):
        x, y, heading = track.point_at(s_m)
        yield CarState(x - offset * math.sin(heading), y + offset * math.cos(heading), heading + turn, 1.0, 0.0)


@pytest.mark.parametrize("slug", ["oval-loop", "grand-prix"])
def test_one_writer_for_a_whole_race_reads_the_definition(slug):
    """One writer, pose after pose: cells of the same size share their work arrays and
    views, and nothing of one reading leaks into the next."""
    track = load_track(slug)
    sensor = LidarSensor(track, LidarParams())
    out = np.zeros(64, dtype=np.float32)
    write = sensor.writer(out)
    slow = np.zeros(64)
    hits = 0
    for car in _poses(track, np.random.default_rng(11), 800):
        write(car)
        sensor.fill_all_pairs(slow, car)
        assert np.all(np.abs(out - slow.astype(np.float32)) <= np.spacing(np.float32(1.0)))
        hits += int((slow < 1.0).sum())
    assert hits > 800 * 10  # the poses do see the edges


def test_the_writer_ignores_the_projection_it_is_handed():
    """Races call every sensor's writer with (car, projection); the lidar needs the car only."""
    track = load_track("oval-loop")
    sensor = LidarSensor(track, LidarParams())
    a, b = np.zeros(64), np.zeros(64)
    car = next(_poses(track, np.random.default_rng(3), 1))
    sensor.writer(a)(car, track.project(car.x_m, car.y_m))
    sensor.fill(b, car)
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("internals", [True, False], ids=["numpy-internals", "np.errstate"])
def test_the_quiet_division_restores_numpys_error_state(internals):
    enter, leave = _quiet_errors(internals)
    before = np.geterr()
    state = enter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = np.divide(np.array([1.0, 0.0]), np.array([0.0, 0.0]))  # inf, nan: no warning
    finally:
        leave(state)
    assert np.isinf(got[0]) and np.isnan(got[1])
    assert np.geterr() == before
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        np.divide(np.array([1.0]), np.array([0.0]))


def test_a_reading_leaves_an_errstate_of_the_caller_in_force():
    """A caller's own np.errstate still holds after a reading inside it."""
    track = load_track("oval-loop")
    sensor = LidarSensor(track, LidarParams())
    car = next(_poses(track, np.random.default_rng(4), 1))
    with np.errstate(divide="raise"):
        sensor.fill(np.zeros(64), car)
        with pytest.raises(FloatingPointError):
            np.divide(np.array([1.0]), np.array([0.0]))


def test_a_float32_reading_is_the_float64_reading_rounded_once():
    """The floor is applied in float64 and the ranges cast once into the model's buffer:
    bit for bit what the float64 reading gives, rounded, including where the floor holds."""
    track = load_track("oval-loop")
    sensor = LidarSensor(track, LidarParams())
    out32, out64 = np.zeros(64, dtype=np.float32), np.zeros(64)
    write32, write64 = sensor.writer(out32), sensor.writer(out64)
    floored = 0
    for car in _poses(track, np.random.default_rng(12), 400):
        write32(car)
        write64(car)
        assert out32.tobytes() == out64.astype(np.float32).tobytes()
        assert out64.min() >= sensor.params.min_range_m
        floored += int((out64 == sensor.params.min_range_m).sum())
    assert floored > 0  # some poses are within the floor of an edge
