"""Tracks driven the other way round (`Track.reversed()`, `reverse_waypoints`): the
geometry, exactness, and races on reversed tracks (the league's `clockwise` direction
of a counter-clockwise file)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator import layout as L
from simulator.catalog import list_tracks, load_track
from simulator.drivers import house_drivers
from simulator.env import TimeTrialEnv
from simulator.params import RaceRules
from simulator.policy import load_policy
from simulator.observation import start_state
from simulator.race import run_time_trial
from simulator.track import Track, load_track_file, reverse_waypoints, track_from_array

from . import builders as B

TRACKS = ["stadium_track", "clockwise_track", "varying_width_track", "far_track", "oval"]


def other_way(n: int) -> np.ndarray:
    """Row k of the reversed track is row other_way(n)[k] of the original."""
    return (-np.arange(n)) % n


@pytest.mark.parametrize("fixture", TRACKS)
def test_rows_run_backwards_from_the_same_start(request, fixture):
    t = request.getfixturevalue(fixture)
    r = t.reversed()
    np.testing.assert_array_equal(r.waypoints, t.waypoints[other_way(t.n)])
    np.testing.assert_array_equal(r.center[0], t.center[0])  # the start line stays put
    np.testing.assert_array_equal(r.center[1], t.center[-1])


@pytest.mark.parametrize("fixture", TRACKS)
def test_borders_swap_sides_and_the_loop_turns_the_other_way(request, fixture):
    t = request.getfixturevalue(fixture)
    r = t.reversed()
    k = other_way(t.n)
    np.testing.assert_array_equal(r.left, t.right[k])
    np.testing.assert_array_equal(r.right, t.left[k])
    np.testing.assert_array_equal(r.left_half_width_m, t.right_half_width_m[k])
    np.testing.assert_array_equal(r.width_m, t.width_m[k])
    assert r.clockwise is not t.clockwise
    assert r.is_reversed and not t.is_reversed
    assert r.bounds == t.bounds and r.n == t.n and r.name == t.name


@pytest.mark.parametrize("fixture", TRACKS)
def test_length_and_arc_lengths(request, fixture):
    t = request.getfixturevalue(fixture)
    r = t.reversed()
    assert r.length_m == pytest.approx(t.length_m, rel=1e-13)
    # Waypoint k of the reversed track is as far from the start as it is before the
    # start line on the original.
    s_fwd = t.cum_s_m[:-1][other_way(t.n)]
    np.testing.assert_allclose(r.cum_s_m[1:-1], t.length_m - s_fwd[1:], rtol=0, atol=1e-9)


@pytest.mark.parametrize("fixture", TRACKS)
def test_the_car_starts_on_the_same_line_facing_the_other_way(request, fixture):
    t = request.getfixturevalue(fixture)
    a, b = start_state(t), start_state(t.reversed())
    assert (b.x_m, b.y_m) == (a.x_m, a.y_m)
    turned = math.remainder(b.heading_rad - a.heading_rad - math.pi, 2 * math.pi)
    assert abs(turned) < 1e-12


def test_left_of_the_car_is_right_on_the_reversed_track(stadium_track):
    r = stadium_track.reversed()
    p = r.project(-1.0, -1.5 + 0.2)  # on the start straight, 1 m from the line, towards the infield
    assert p.s_m == pytest.approx(1.0, abs=1e-9)
    assert p.offset_m == pytest.approx(-0.2, abs=1e-9)  # the infield is on the right now
    assert abs(p.track_heading_rad) == pytest.approx(math.pi, abs=1e-9)


@pytest.mark.parametrize("fixture", TRACKS)
def test_reversing_twice_gives_the_track_back_bit_for_bit(request, fixture):
    t = request.getfixturevalue(fixture)
    np.testing.assert_array_equal(reverse_waypoints(reverse_waypoints(t.waypoints)), t.waypoints)
    assert t.reversed().reversed() is t  # kept, with the way back
    # Made afresh, without the kept copies: the same arrays to the bit.
    again = Track(reverse_waypoints(reverse_waypoints(t.waypoints))).reversed().reversed()
    assert again is not t
    for name in ("center", "left", "right", "width_m", "cum_s_m", "vertex_heading_rad", "segment_heading_rad"):
        np.testing.assert_array_equal(getattr(again, name), getattr(t, name), err_msg=name)
    assert again.length_m == t.length_m and again.clockwise == t.clockwise


def test_any_valid_file_reverses(track_file):
    """A file with the first row repeated or not, clockwise, with varying width."""
    arrays = [B.stadium(repeat_first=False), B.stadium(clockwise=True),
              B.stadium(width_fn=lambda s, length: 0.8 + 0.5 * (s / length))]
    for k, arr in enumerate(arrays):
        t = load_track_file(track_file(arr, f"t{k}.npy"))
        r = t.reversed()
        assert r.clockwise is not t.clockwise
        np.testing.assert_array_equal(r.left, t.right[other_way(t.n)])
        assert pursuit_race(r, laps=1).status == "finished"


def test_a_file_read_backwards_is_the_reversed_track(stadium_array):
    # DeepRacer files repeat the first row as the last: read backwards, they start on
    # the same line, which is where the reversed track starts too.
    backwards = track_from_array(stadium_array[::-1].copy())
    r = track_from_array(stadium_array).reversed()
    np.testing.assert_array_equal(backwards.waypoints, r.waypoints)
    np.testing.assert_array_equal(backwards.left, r.left)
    assert backwards.clockwise == r.clockwise


def test_load_track_reverse(oval):
    r = load_track("oval-loop", reverse=True)
    assert r.is_reversed and r is load_track("oval-loop").reversed()  # kept with the shipped track
    np.testing.assert_array_equal(r.waypoints, reverse_waypoints(oval.waypoints))


# --- racing reversed ----------------------------------------------------------------------------


def pursuit_race(track, laps=2):
    policy = load_policy(B.pursuit_model(1.5), B.continuous_metadata())
    return run_time_trial(policy, track, RaceRules(laps=laps, time_cap_s=60))


def test_the_reversed_stadium_is_the_mirror_image_race(stadium_track):
    # The stadium is symmetric in x: driven the other way it is its own mirror image.
    a = pursuit_race(stadium_track)
    b = pursuit_race(stadium_track.reversed())
    assert a.status == b.status == "finished" and not a.track_reversed and b.track_reversed
    assert b.lap_times_s == pytest.approx(a.lap_times_s, abs=0.001)
    np.testing.assert_allclose(b.trajectory[:, L.TRAJ_X_M], -a.trajectory[:, L.TRAJ_X_M], atol=1e-9)
    np.testing.assert_allclose(b.trajectory[:, L.TRAJ_Y_M], a.trajectory[:, L.TRAJ_Y_M], atol=1e-9)
    np.testing.assert_allclose(b.trajectory[:, L.TRAJ_STEERING_DEG], -a.trajectory[:, L.TRAJ_STEERING_DEG],
                               atol=1e-6)


def test_reversed_races_are_deterministic_and_not_the_forward_race(track_file, stadium_array):
    path = track_file(stadium_array, "s.npy")
    first = pursuit_race(load_track_file(path).reversed())
    second = pursuit_race(load_track_file(path).reversed())  # fresh tracks: nothing kept
    forward = pursuit_race(load_track_file(path))
    assert first.trajectory_sha256 == second.trajectory_sha256
    assert first.trajectory_sha256 != forward.trajectory_sha256


def test_every_house_driver_finishes_every_reversed_shipped_track():
    tracks = list_tracks()
    if not tracks:
        pytest.skip("no shipped tracks")
    for driver in house_drivers():
        policy = load_policy(driver.model.SerializeToString(), driver.metadata)
        for info in tracks:
            r = run_time_trial(policy, load_track(info.slug, reverse=True), RaceRules())
            assert r.status == "finished", f"{driver.name} on {info.slug} reversed: {r.to_dict()}"
            assert r.track_reversed


def test_environment_drives_the_reversed_track(oval):
    env = TimeTrialEnv(track="oval-loop", reverse=True, rules=RaceRules(laps=1, time_cap_s=2.0))
    assert env.track.is_reversed
    np.testing.assert_array_equal(env.track.waypoints, reverse_waypoints(oval.waypoints))
    _, info = env.reset(seed=0)
    assert info["start_s_m"] == 0.0
    straight = np.array([0.0, B.unit(1.0, 0.5, 4.0)], dtype=np.float32)
    _, _, _, _, info = env.step(straight)
    assert info["progress_m"] > 0.0  # the car points along the reversed track
    assert info["params"]["waypoints"][1] == tuple(oval.center[-1])
