"""The official time trial: determinism, laps, penalties, resets, the cap, failures.

Policies are scripted ONNX graphs (see builders.py) so every behaviour is deliberate:
a centre-line follower, a car that drives straight on, one that turns round, one that
cuts across the infield, models that fail mid-race.
"""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import onnxruntime
import pytest

from simulator import SIMULATOR_VERSION
from simulator import layout as L
from simulator.catalog import list_tracks, load_track
from simulator.onnx_build import camera_cnn, mlp
from simulator.params import PolicyLimits, RaceRules
from simulator.policy import load_policy
from simulator.race import RaceSetupError, run_time_trial
from simulator.track import load_track_file, track_from_array

from . import builders as B

DT = 1.0 / 15.0
ISSUE_KEYS = {
    "status", "laps_completed", "lap_times_s", "total_time_s", "best_lap_s", "avg_lap_s", "progress",
    "off_track_count", "penalty_s", "steps", "trajectory_sha256", "simulator_version",
    "onnxruntime_version", "numpy_version", "model_sha256",
}


def race(make_policy, model: bytes, track, meta=None, **rules):
    return run_time_trial(make_policy(model, meta), track, RaceRules(**rules))


def distance_m(result, length_m: float) -> np.ndarray:
    """Unwrapped lap distance of each trajectory row, from the lap and progress columns."""
    t = result.trajectory
    return (t[:, L.TRAJ_LAP] + t[:, L.TRAJ_PROGRESS]) * length_m


def assert_no_progress_jumps(result, track, max_m: float = 0.6):
    """Between resets the lap distance moves continuously (no shortcut credit)."""
    d = distance_m(result, track.length_m)
    off = result.trajectory[:, L.TRAJ_ON_TRACK] == 0.0
    for k in range(1, len(d)):
        if off[k - 1]:
            continue  # the car was put back between these two rows
        assert abs(d[k] - d[k - 1]) < max_m, f"progress jumped {d[k] - d[k - 1]:.2f} m at row {k}"


# --- the result -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def finished(stadium_track):
    model = B.pursuit_model(1.5)
    policy = load_policy(model, B.continuous_metadata())
    return model, run_time_trial(policy, stadium_track, RaceRules(laps=2, time_cap_s=60))


def test_result_has_the_issue_keys(finished):
    model, result = finished
    d = result.to_dict()
    assert ISSUE_KEYS <= set(d)
    assert "trajectory" not in d and "events" not in d
    json.dumps(d)
    assert d["simulator_version"] == SIMULATOR_VERSION
    assert d["onnxruntime_version"] == onnxruntime.__version__
    assert d["numpy_version"] == np.__version__
    assert d["model_sha256"] == hashlib.sha256(model).hexdigest()
    assert d["error"] is None


def test_a_clean_two_lap_race(finished, stadium_track):
    _, r = finished
    assert r.status == "finished"
    assert r.laps_completed == 2 and len(r.lap_times_s) == 2
    assert r.off_track_count == 0 and r.wrong_way_count == 0 and r.penalty_s == 0.0
    assert r.total_time_s == pytest.approx(sum(r.lap_times_s), abs=0.0015)
    assert r.best_lap_s == min(r.lap_times_s)
    assert r.avg_lap_s == pytest.approx(sum(r.lap_times_s) / 2, abs=0.0005)
    assert r.official_time_s == r.total_time_s
    assert r.progress == 0.0
    # A lap at 1.5 m/s round a 17.4 m loop (the car cuts the bends a little).
    assert 10.5 < r.lap_times_s[1] < 12.5


def test_trajectory_rows(finished, stadium_track):
    _, r = finished
    t = r.trajectory
    assert t.shape == (r.steps, len(L.TRAJ_COLUMNS)) and t.dtype == np.float64
    np.testing.assert_allclose(np.diff(t[:, L.TRAJ_TIME_S]), DT, atol=1e-9)
    assert t[0, L.TRAJ_TIME_S] == pytest.approx(DT)
    # The first step starts from the start line at rest, facing along the track.
    assert t[0, L.TRAJ_X_M] == pytest.approx(0.0, abs=0.02) and t[0, L.TRAJ_Y_M] == pytest.approx(-1.5, abs=1e-3)
    assert np.all(np.abs(t[:, L.TRAJ_HEADING_RAD]) <= math.pi)
    assert 0 < t[0, L.TRAJ_SPEED_M_S] < 0.3 and t[:, L.TRAJ_SPEED_M_S].max() == pytest.approx(1.5)
    assert np.all(np.abs(t[:, L.TRAJ_STEERING_DEG]) <= 30.0)
    assert np.all((t[:, L.TRAJ_PROGRESS] >= 0) & (t[:, L.TRAJ_PROGRESS] < 1))
    assert list(np.unique(t[:, L.TRAJ_LAP])) == [0.0, 1.0, 2.0]
    assert np.all(np.diff(t[:, L.TRAJ_LAP]) >= 0)
    assert np.all(t[:, L.TRAJ_ACTION] == -1.0)  # continuous
    assert np.all(t[:, L.TRAJ_ON_TRACK] == 1.0)
    assert r.trajectory_sha256 == hashlib.sha256(t.astype("<f8").tobytes()).hexdigest()


def test_lap_events(finished):
    _, r = finished
    laps = [e for e in r.events if e["type"] == "lap"]
    assert [e["lap"] for e in laps] == [1, 2]
    assert [e["lap_time_s"] for e in laps] == r.lap_times_s
    for e in r.events:
        assert {"type", "step", "time_s", "lap", "x_m", "y_m"} <= set(e)
    assert laps[-1]["step"] == r.steps - 1


def test_events_point_at_their_trajectory_row(make_policy, stadium_track):
    """An event's `step` is the index of the trajectory row of the step it happened in:
    the row where the lap count goes up, the off-track row (on_track 0) for off_track,
    wrong_way and the reset that follows it."""
    r = race(make_policy, straight_on(), stadium_track, laps=1, time_cap_s=40)
    t = r.trajectory
    assert r.laps_completed == 1 and r.off_track_count >= 2
    for e in r.events:
        row = t[e["step"]]
        if e["type"] == "lap":
            assert row[L.TRAJ_LAP] == e["lap"] and t[e["step"] - 1, L.TRAJ_LAP] == e["lap"] - 1
        else:
            assert row[L.TRAJ_ON_TRACK] == 0.0, e
    for e in r.events:
        if e["type"] == "off_track":
            assert (t[e["step"], L.TRAJ_X_M], t[e["step"], L.TRAJ_Y_M]) == (e["x_m"], e["y_m"])


def test_discrete_actions_are_recorded(make_policy, stadium_track):
    meta = B.discrete_metadata([(0, 0.5), (0, 1.0), (5, 1.0)])
    r = race(make_policy, B.constant_model([0.1, 0.8, 0.3]), stadium_track, meta, laps=1, time_cap_s=2)
    assert np.all(r.trajectory[:, L.TRAJ_ACTION] == 1.0)
    assert r.trajectory[-1, L.TRAJ_SPEED_M_S] == pytest.approx(1.0)


# --- determinism ------------------------------------------------------------------------------


DETERMINISM_MODELS = {
    "state": (lambda: B.pursuit_model(2.0), B.continuous_metadata(), 2),
    "lidar": (lambda: B.to_bytes(mlp([64, 16, 2], np.random.default_rng(1), input_name="lidar")),
              B.continuous_metadata(sensor="LIDAR"), 1),
    "camera": (lambda: B.to_bytes(camera_cnn(np.random.default_rng(2), layout="NCHW")),
               B.continuous_metadata(sensor="FRONT_FACING_CAMERA"), 1),
}


@pytest.mark.parametrize("name", sorted(DETERMINISM_MODELS))
def test_same_inputs_give_the_same_trajectory(make_policy, stadium_track, name):
    make, meta, laps = DETERMINISM_MODELS[name]
    model = make()
    rules = dict(laps=laps, time_cap_s=6)
    a = race(make_policy, model, stadium_track, meta, **rules)
    b = race(make_policy, model, stadium_track, meta, **rules)
    fresh_track = track_from_array(B.stadium())  # no sensor tables cached
    c = race(make_policy, model, fresh_track, meta, **rules)
    for other in (b, c):
        assert other.trajectory_sha256 == a.trajectory_sha256
        np.testing.assert_array_equal(other.trajectory, a.trajectory)
        assert other.events == a.events
        assert other.to_dict() == a.to_dict()


@pytest.mark.parametrize("name", sorted(DETERMINISM_MODELS))
def test_a_fresh_process_gives_the_same_hash(make_policy, stadium_file, model_package, cli_subprocess, name):
    make, meta, laps = DETERMINISM_MODELS[name]
    model = make()
    here = race(make_policy, model, track_from_array(np.load(stadium_file)), meta, laps=laps, time_cap_s=6)
    model_path, meta_path = model_package(model, meta)
    proc = cli_subprocess("race", model_path, "--metadata", meta_path, "--track", stadium_file,
                          "--laps", laps, "--time-cap", 6, "--json")
    assert proc.returncode == 0, proc.stderr
    there = json.loads(proc.stdout)
    assert there["trajectory_sha256"] == here.trajectory_sha256
    assert there == json.loads(json.dumps(here.to_dict()))


# --- lap timing -------------------------------------------------------------------------------


def test_lap_time_is_interpolated_to_the_millisecond(make_policy, long_track):
    """Hand check: the start line is x = 0 on a straight along +x; the car crosses it at
    constant speed between two rows, and the lap time is the linear interpolation."""
    r = race(make_policy, B.pursuit_model(1.5), long_track, laps=2, time_cap_s=60)
    assert r.status == "finished" and r.off_track_count == 0
    t = r.trajectory
    x, y, time = t[:, L.TRAJ_X_M], t[:, L.TRAJ_Y_M], t[:, L.TRAJ_TIME_S]
    crossings = []
    for k in range(1, len(t)):
        if x[k - 1] < 0.0 <= x[k] and y[k] < 0.0:
            assert t[k, L.TRAJ_SPEED_M_S] == pytest.approx(1.5)  # constant speed
            assert abs(y[k] + 1.5) < 0.05  # on the centre line, heading along +x
            crossings.append(time[k - 1] + (time[k] - time[k - 1]) * (0.0 - x[k - 1]) / (x[k] - x[k - 1]))
            assert time[k - 1] < crossings[-1] <= time[k]
    assert len(crossings) == 2
    # Crossing times are kept to the millisecond; a lap is the difference of two, so the
    # laps add up to the total exactly.
    c1, c2 = round(crossings[0], 3), round(crossings[1], 3)
    assert r.lap_times_s == pytest.approx([c1, c2 - c1], abs=1e-9)
    assert r.total_time_s == pytest.approx(c2, abs=1e-9)
    # Millisecond resolution, not the 1/15 s of the control steps.
    assert min(abs(c * 15 - round(c * 15)) for c in crossings) > 1e-3


def test_lap_time_equals_distance_over_speed_on_the_second_lap(make_policy, long_track):
    r = race(make_policy, B.pursuit_model(1.5), long_track, laps=2, time_cap_s=60)
    # On lap 2 the car runs at a steady 1.5 m/s the whole way: path length / speed.
    t = r.trajectory
    lap2 = t[t[:, L.TRAJ_LAP] == 1.0]
    path = np.hypot(*np.diff(lap2[:, [L.TRAJ_X_M, L.TRAJ_Y_M]], axis=0).T).sum()
    assert np.all(lap2[:, L.TRAJ_SPEED_M_S] == pytest.approx(1.5))
    assert r.lap_times_s[1] == pytest.approx(path / 1.5, abs=2 * DT)


@pytest.mark.parametrize("method", ["TOTAL_TIME", "BEST_LAP_TIME", "AVG_LAP_TIME"])
def test_timing_methods(make_policy, stadium_track, method):
    r = race(make_policy, B.pursuit_model(2.0), stadium_track, laps=2, timing_method=method, time_cap_s=60)
    assert r.status == "finished" and r.timing_method == method
    laps = r.lap_times_s
    assert laps[0] > laps[1]  # the first lap starts from rest
    expected = {"TOTAL_TIME": r.total_time_s, "BEST_LAP_TIME": laps[1],
                "AVG_LAP_TIME": round((laps[0] + laps[1]) / 2, 3)}[method]
    assert r.official_time_s == pytest.approx(expected, abs=1e-9)
    assert r.best_lap_s == laps[1] and r.avg_lap_s == pytest.approx((laps[0] + laps[1]) / 2, abs=0.0005)


def test_on_progress_is_called_once_per_lap(make_policy, stadium_track):
    calls = []
    policy = make_policy(B.pursuit_model(2.0))
    r = run_time_trial(policy, stadium_track, RaceRules(laps=2), on_progress=lambda *a: calls.append(a))
    assert [(lap, laps) for lap, laps, _ in calls] == [(1, 2), (2, 2)]
    assert calls[0][2] == pytest.approx(r.lap_times_s[0], abs=DT)


# --- no credit for the wrong way or for shortcuts -----------------------------------------------


def stadium_offset(track, event) -> float:
    return track.project(event["x_m"], event["y_m"]).offset_m


def test_turning_round_is_reset_and_never_credited(make_policy):
    track = track_from_array(B.stadium(width_m=1.2))
    r = race(make_policy, B.reverse_model(1.0), track, laps=1, time_cap_s=30)
    assert r.status == "dnf" and r.laps_completed == 0 and r.lap_times_s == []
    assert r.wrong_way_count >= 3 and r.off_track_count == 0
    assert r.penalty_s == pytest.approx(r.wrong_way_count * 3.0)
    kinds = [e["type"] for e in r.events]
    assert kinds == ["wrong_way", "reset"] * r.wrong_way_count
    off_rows = np.flatnonzero(r.trajectory[:, L.TRAJ_ON_TRACK] == 0.0)
    assert len(off_rows) == r.wrong_way_count
    for row, (wrong, reset) in zip(off_rows, zip(r.events[::2], r.events[1::2])):
        assert reset["time_s"] == pytest.approx(wrong["time_s"] + 3.0, abs=0.0011)
        # Put back at the furthest point reached, facing the right way, at rest.
        assert r.trajectory[row + 1, L.TRAJ_SPEED_M_S] < 0.3
        assert abs(stadium_offset(track, reset)) < 1e-6
    assert 0.0 < r.progress < 0.5


def test_driving_a_whole_lap_backwards_earns_nothing(make_policy):
    track = track_from_array(B.stadium(width_m=1.2))
    no_limit = RaceRules(laps=1, time_cap_s=40, wrong_way_limit_m=1e9)
    r = run_time_trial(make_policy(B.reverse_model(1.5)), track, no_limit)
    t = r.trajectory
    x, y = t[:, L.TRAJ_X_M], t[:, L.TRAJ_Y_M]
    backwards = [k for k in range(1, len(t)) if x[k - 1] >= 0.0 > x[k] and y[k] < 0.0]
    assert len(backwards) >= 2  # it crossed the start line the wrong way, lap after lap
    assert r.status == "dnf" and r.laps_completed == 0 and r.lap_times_s == []
    assert r.off_track_count == 0 and r.wrong_way_count == 0
    assert r.progress < 0.05


@pytest.fixture(scope="module")
def narrow_infield():
    """Straights 1.1 m apart centre to centre, 0.9 m wide: a 0.2 m strip of infield."""
    return track_from_array(B.stadium(straight_m=4.0, radius_m=0.55, width_m=0.9))


def test_cutting_the_infield_is_off_track_and_reset_where_it_left(make_policy, narrow_infield):
    track = narrow_infield
    r = race(make_policy, B.cutter_model(0.05, 0.15, 1.0), track, laps=1, time_cap_s=40)
    offs = [e for e in r.events if e["type"] == "off_track"]
    resets = [e for e in r.events if e["type"] == "reset"]
    assert len(offs) >= 1 and len(resets) == len(offs)
    for off, reset in zip(offs, resets):
        assert off["y_m"] > -0.55 + 0.45  # across the bottom straight's left edge, into the infield
        # Back on the bottom straight's centre line, where it left, not on the far straight.
        assert reset["y_m"] == pytest.approx(-0.55, abs=1e-6)
        assert reset["x_m"] == pytest.approx(off["x_m"], abs=0.05)
        assert reset["lap"] == 0
    assert_no_progress_jumps(r, track)


def test_a_shortcut_is_never_faster_than_the_lap(make_policy, narrow_infield):
    # Without a time penalty a shortcut that earned distance would win; it must not.
    honest = race(make_policy, B.pursuit_model(1.0), narrow_infield, laps=1, time_cap_s=40)
    cutter = race(make_policy, B.cutter_model(0.05, 0.15, 1.0), narrow_infield, laps=1,
                  off_track_penalty_s=0.0, time_cap_s=40)
    assert honest.status == "finished" and honest.off_track_count == 0
    assert cutter.off_track_count >= 1 and cutter.penalty_s == 0.0
    assert cutter.status == "finished"
    assert cutter.lap_times_s[0] > honest.lap_times_s[0]
    # The lap is credited at the start line, after both hairpins were driven (the one
    # it tried to cut at x > 2 included).
    lap = next(e for e in cutter.events if e["type"] == "lap")
    assert lap["x_m"] == pytest.approx(0.0, abs=0.1) and lap["y_m"] < 0
    xs = cutter.trajectory[: lap["step"], L.TRAJ_X_M]
    assert xs.max() > 2.2 and xs.min() < -2.2


# --- off track ------------------------------------------------------------------------------


def straight_on():
    return B.constant_model([0.0, B.unit(1.5, 0.5, 4.0)])


def test_driving_straight_on_goes_off_track_with_penalties(make_policy, stadium_track):
    r = race(make_policy, straight_on(), stadium_track, laps=1, off_track_penalty_s=3.0, time_cap_s=40)
    n = r.off_track_count
    assert n >= 2 and r.wrong_way_count == 0
    assert r.penalty_s == pytest.approx(n * 3.0)
    kinds = [e["type"] for e in r.events if e["type"] != "lap"]
    assert kinds == ["off_track", "reset"] * n
    t = r.trajectory
    off_rows = list(np.flatnonzero(t[:, L.TRAJ_ON_TRACK] == 0.0))
    assert len(off_rows) == n
    # The clock: 1/15 s a step, plus the penalty after each reset.
    dt = np.diff(t[:, L.TRAJ_TIME_S])
    for k, step in enumerate(dt):
        assert step == pytest.approx(DT + (3.0 if k in off_rows else 0.0), abs=1e-9)
    if r.status == "finished":
        assert r.total_time_s == pytest.approx(sum(r.lap_times_s), abs=0.002)
        assert r.total_time_s > n * 3.0
    else:
        assert r.total_time_s == pytest.approx(r.steps * DT + n * 3.0, abs=0.002)


def test_penalty_adds_time_but_does_not_move_the_car(make_policy, stadium_track):
    a = race(make_policy, straight_on(), stadium_track, laps=1, off_track_penalty_s=0.0, time_cap_s=40)
    b = race(make_policy, straight_on(), stadium_track, laps=1, off_track_penalty_s=5.0, time_cap_s=60)
    assert a.status == b.status == "finished"
    assert a.off_track_count == b.off_track_count >= 2
    np.testing.assert_array_equal(a.trajectory[:, 1:], b.trajectory[:, 1:])
    assert b.total_time_s == pytest.approx(a.total_time_s + 5.0 * a.off_track_count, abs=0.0015)
    assert b.penalty_s == 5.0 * b.off_track_count and a.penalty_s == 0.0


def test_reset_puts_the_car_on_the_centre_line_at_rest(make_policy, stadium_track):
    r = race(make_policy, straight_on(), stadium_track, laps=1, time_cap_s=20)
    offs, resets = [[e for e in r.events if e["type"] == k] for k in ("off_track", "reset")]
    off_rows = np.flatnonzero(r.trajectory[:, L.TRAJ_ON_TRACK] == 0.0)
    assert len(offs) == len(resets) == len(off_rows) >= 2
    for off, reset, row in zip(offs, resets, off_rows):
        p = stadium_track.project(reset["x_m"], reset["y_m"])
        assert abs(p.offset_m) < 1e-6
        where_it_left = stadium_track.project(off["x_m"], off["y_m"])
        assert p.s_m == pytest.approx(where_it_left.s_m, abs=1e-6)
        assert r.trajectory[row + 1, L.TRAJ_SPEED_M_S] < 0.3  # one step after a standing start


def test_off_track_means_the_whole_car_outside(make_policy, stadium_track):
    r = race(make_policy, straight_on(), stadium_track, laps=1, time_cap_s=20)
    for e in r.events:
        if e["type"] == "off_track":
            p = stadium_track.project(e["x_m"], e["y_m"])
            assert abs(p.offset_m) > 0.5 + 0.1  # half width + at least half the car's width


# --- the time cap ---------------------------------------------------------------------------


def test_dnf_at_a_tiny_time_cap(make_policy, stadium_track):
    r = race(make_policy, B.pursuit_model(1.5), stadium_track, laps=3, time_cap_s=1.0)
    assert r.status == "dnf"
    assert r.laps_completed == 0 and r.lap_times_s == []
    assert r.best_lap_s is None and r.avg_lap_s is None and r.official_time_s is None
    assert 0.0 < r.progress < 1.0
    assert r.progress == pytest.approx(distance_m(r, stadium_track.length_m)[-1] / stadium_track.length_m, abs=1e-5)


def test_dnf_keeps_laps_and_progress(make_policy, stadium_track):
    r = race(make_policy, B.pursuit_model(1.5), stadium_track, laps=3, time_cap_s=15.0)
    assert r.status == "dnf"
    assert r.laps_completed == 1 and len(r.lap_times_s) == 1
    assert 0.0 < r.progress < 1.0
    assert r.official_time_s is None
    assert r.total_time_s >= 15.0


@pytest.mark.parametrize("cap", [1.0, 2.0, 10.0, 180.0])
def test_the_race_stops_at_the_time_cap(make_policy, stadium_track, cap):
    # 15 control steps a second: a clean DNF runs exactly cap * 15 steps, not one more.
    r = race(make_policy, B.pursuit_model(1.5), stadium_track, laps=100, time_cap_s=cap)
    assert r.status == "dnf" and r.off_track_count == 0
    assert r.steps == round(cap * 15)
    assert r.total_time_s == cap


def test_a_reset_past_the_cap_ends_the_race(make_policy, stadium_track):
    r = race(make_policy, straight_on(), stadium_track, laps=1, off_track_penalty_s=30.0, time_cap_s=5.0)
    assert r.status == "dnf" and r.off_track_count == 1
    assert r.events[-1]["type"] == "reset"


# --- failures -------------------------------------------------------------------------------


def test_nan_mid_race_fails_the_race(make_policy, stadium_track):
    r = race(make_policy, B.nan_when_fast_model(threshold_m_s=1.0), stadium_track, laps=1, time_cap_s=30)
    assert r.status == "failed"
    assert "NaN" in r.error
    assert r.steps > 0 and len(r.trajectory) == r.steps  # the run up to the failure is kept
    assert r.trajectory[-1, L.TRAJ_SPEED_M_S] > 1.0
    assert r.laps_completed == 0 and r.official_time_s is None
    assert r.to_dict()["error"] == r.error


def test_a_model_too_slow_for_its_budget_fails_the_race(make_policy, stadium_track):
    limits = PolicyLimits(mean_step_budget_s=1e-7, budget_window_steps=5)
    policy = make_policy(B.heavy_model(), limits=limits)
    r = run_time_trial(policy, stadium_track, RaceRules(laps=1, time_cap_s=30))
    assert r.status == "failed" and "too slow" in r.error
    assert r.steps == 4  # failed on the fifth inference, the end of the first window


def test_a_crash_mid_race_fails_the_race(make_policy, stadium_track):
    r = race(make_policy, B.crashing_model(), stadium_track, laps=1, time_cap_s=30)
    assert r.status == "failed" and "crashed" in r.error and r.steps == 0


def test_a_sensor_the_race_does_not_allow(make_policy, stadium_track):
    policy = make_policy(B.constant_model([0, 0], sensor="LIDAR"), B.continuous_metadata(sensor="LIDAR"))
    with pytest.raises(RaceSetupError, match="does not allow the LIDAR sensor; allowed: STATE"):
        run_time_trial(policy, stadium_track, RaceRules(allowed_sensors=("STATE",)))


def test_several_sensors_race_together(make_policy, stadium_track):
    meta = B.continuous_metadata(sensor=["STATE", "LIDAR"])
    policy = make_policy(B.multi_input_model(("state", "lidar"), values=(0.0, -1.0)), meta)
    r = run_time_trial(policy, stadium_track, RaceRules(laps=1, time_cap_s=2))
    assert r.status == "dnf" and r.off_track_count == 0
    assert r.trajectory[-1, L.TRAJ_SPEED_M_S] == pytest.approx(0.5)
    # Both inputs were filled from the last pose before the final step.
    state, lidar = policy.buffers["STATE"][0], policy.buffers["LIDAR"][0]
    assert state[L.STATE_SPEED] == pytest.approx(0.5) and state[L.STATE_TRACK_WIDTH] == pytest.approx(1.0)
    assert lidar[12] == pytest.approx(0.5, abs=0.01) and lidar[51] == pytest.approx(0.5, abs=0.01)


# --- odd tracks -------------------------------------------------------------------------------


def lap_race(make_policy, track, laps=1):
    r = race(make_policy, B.pursuit_model(1.5), track, laps=laps, time_cap_s=60)
    assert r.status == "finished", r.to_dict()
    assert r.off_track_count == 0 and r.wrong_way_count == 0
    return r


def test_first_row_repeated_or_not_races_identically(make_policy, track_file):
    a = lap_race(make_policy, load_track_file(track_file(B.stadium(repeat_first=True), "a.npy")))
    b = lap_race(make_policy, load_track_file(track_file(B.stadium(repeat_first=False), "b.npy")))
    assert a.trajectory_sha256 == b.trajectory_sha256


def test_duplicate_points_race_identically(make_policy, stadium_track):
    arr = B.stadium()
    doubled = np.repeat(arr, [2 if k % 3 == 0 else 1 for k in range(len(arr))], axis=0)
    a = lap_race(make_policy, stadium_track)
    b = lap_race(make_policy, track_from_array(doubled))
    assert a.trajectory_sha256 == b.trajectory_sha256


def test_clockwise_mirror_races_like_the_original(make_policy, stadium_track, clockwise_track):
    a = lap_race(make_policy, stadium_track, laps=2)
    b = lap_race(make_policy, clockwise_track, laps=2)
    assert b.lap_times_s == pytest.approx(a.lap_times_s, abs=0.001)
    # The mirror image, step for step.
    np.testing.assert_allclose(b.trajectory[:, L.TRAJ_Y_M], -a.trajectory[:, L.TRAJ_Y_M], atol=1e-6)
    np.testing.assert_allclose(b.trajectory[:, L.TRAJ_STEERING_DEG], -a.trajectory[:, L.TRAJ_STEERING_DEG], atol=1e-3)


def test_width_varying_along_the_track_races(make_policy, varying_width_track):
    r = lap_race(make_policy, varying_width_track, laps=2)
    assert r.laps_completed == 2


def test_far_from_the_origin_gives_the_same_lap_times(make_policy, stadium_track, far_track):
    a = lap_race(make_policy, stadium_track, laps=2)
    b = lap_race(make_policy, far_track, laps=2)
    assert b.lap_times_s == pytest.approx(a.lap_times_s, abs=0.001)
    np.testing.assert_allclose(b.trajectory[:, L.TRAJ_X_M] - 1e5, a.trajectory[:, L.TRAJ_X_M], atol=1e-4)


def test_narrowing_track_is_harder_not_broken(make_policy):
    narrow = track_from_array(B.stadium(width_m=0.45))
    r = race(make_policy, B.pursuit_model(1.0), narrow, laps=1, time_cap_s=60)
    assert r.status == "finished"


def test_every_shipped_track_races_both_ways(make_policy):
    """The shipped tracks (whatever exists) race, forwards and reversed (a clockwise file)."""
    for info in list_tracks():
        lap_race(make_policy, load_track(info.slug))
        reversed_rows = np.load(info.path)[::-1].copy()
        lap_race(make_policy, track_from_array(reversed_rows))


def test_a_shipped_track_or_our_own(make_policy, shipped_track_ref):
    r = lap_race(make_policy, load_track(shipped_track_ref))
    assert r.track_length_m > 5.0
