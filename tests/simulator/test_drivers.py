"""The house drivers: each is a valid model package, reacts the right way round, and does
what it promises on every shipped track (three laps, never off track, never the wrong way).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache

import numpy as np
import pytest

from simulator import layout as L
from simulator.catalog import list_tracks, load_track
from simulator.drivers import (
    LIDAR_ACTIONS,
    HouseDriver,
    camera_driver,
    house_drivers,
    lidar_driver,
    state_driver,
    write_drivers,
)
from simulator.metadata import parse_metadata
from simulator.params import RaceRules, SimParams
from simulator.policy import check_model, load_policy
from simulator.race import make_observer, run_time_trial
from simulator.scenery import ASPHALT_GREY, FLOOR_GREY
from simulator.vehicle import CarState

SLUGS = [t.slug for t in list_tracks()]
NAMES = ["state-pursuit", "lidar-balance", "camera-centreline", "state-mlp", "state-steady"]


@lru_cache(maxsize=None)
def driver(name: str) -> HouseDriver:
    return next(d for d in house_drivers() if d.name == name)


@lru_cache(maxsize=None)
def policy(name: str):
    d = driver(name)
    return load_policy(d.model.SerializeToString(), d.metadata)


@lru_cache(maxsize=None)
def race(name: str, slug: str):
    return run_time_trial(policy(name), load_track(slug), RaceRules(laps=3))


# --- the roster and the packages -------------------------------------------------------------


def test_one_driver_per_sensor_state_first():
    drivers = house_drivers()
    assert [d.name for d in drivers] == NAMES  # others use house_drivers()[0] as the reference
    assert [d.metadata["sensor"] for d in drivers] == [
        ["STATE"], ["LIDAR"], ["FRONT_FACING_CAMERA"], ["STATE"], ["STATE"]
    ]
    assert len({d.alias for d in drivers}) == len(drivers)
    for d in drivers:
        assert d.alias.startswith("House: ") and d.description
        assert d.metadata["action_space_type"] in ("discrete", "continuous")
        assert {"action_space", "sensor", "neural_network", "training_algorithm", "version"} <= set(d.metadata)


@pytest.mark.parametrize("name", NAMES)
def test_each_model_passes_the_upload_checks(name):
    d = driver(name)
    info = check_model(d.model.SerializeToString(), json.dumps(d.metadata))
    assert info.sensors == tuple(d.metadata["sensor"])


def test_declared_layouts_and_action_spaces():
    state, lidar, camera = (check_model(driver(n).model.SerializeToString(), driver(n).metadata) for n in NAMES[:3])
    assert state.action_space_type == "continuous" and state.inputs[0].shape == (1, L.STATE_SIZE)
    assert lidar.action_space_type == "discrete" and lidar.n_actions == len(LIDAR_ACTIONS) == 7
    assert lidar.inputs[0].shape == (1, 64)
    assert camera.action_space_type == "continuous"
    assert (camera.inputs[0].layout, camera.inputs[0].shape, camera.inputs[0].dtype) == (
        "NHWC", (1, 120, 160, 1), "float32")


def test_models_are_deterministic_bytes():
    for first, second in zip(house_drivers(), house_drivers()):
        assert first.model.SerializeToString() == second.model.SerializeToString()
        assert first.metadata == second.metadata


def test_write_drivers_writes_loadable_packages(tmp_path):
    folders = write_drivers(tmp_path / "house")
    assert [f.name for f in folders] == NAMES
    for folder, d in zip(folders, house_drivers()):
        onnx_bytes = (folder / "model.onnx").read_bytes()
        meta_text = (folder / "model_metadata.json").read_text()
        assert onnx_bytes == d.model.SerializeToString()
        assert json.loads(meta_text) == d.metadata
        check_model(onnx_bytes, meta_text.encode())
    parse_metadata((folders[1] / "model_metadata.json").read_bytes())


# --- reacting the right way round --------------------------------------------------------------


def act_on_state(pol, points: np.ndarray, speed=2.0, width=0.9):
    buf = pol.buffers["STATE"].reshape(-1)
    buf[:] = 0.0
    buf[L.STATE_SPEED] = speed
    buf[L.STATE_TRACK_WIDTH] = width
    buf[L.STATE_LOOKAHEAD:] = points.ravel()
    return pol.act()


def arc_points(radius_m: float) -> np.ndarray:
    """The look-ahead points on a circle through the car, tangent to its heading
    (radius > 0 turns left, < 0 right, inf straight)."""
    s = np.arange(1, L.STATE_LOOKAHEAD_POINTS + 1) * L.STATE_LOOKAHEAD_SPACING_M
    if math.isinf(radius_m):
        return np.stack([s, 0 * s], axis=1)
    a = s / radius_m
    return np.stack([radius_m * np.sin(a), radius_m * (1 - np.cos(a))], axis=1)


def test_state_driver_steers_into_bends_and_brakes_for_tight_ones():
    pol = load_policy(state_driver().SerializeToString(), driver("state-pursuit").metadata)
    steer0, v0, _ = act_on_state(pol, arc_points(math.inf))
    assert steer0 == 0.0 and v0 == 4.0
    steer_l, v_l, _ = act_on_state(pol, arc_points(1.0))
    steer_r, v_r, _ = act_on_state(pol, arc_points(-1.0))
    assert steer_l > 5.0 and steer_r == -steer_l and v_r == v_l < 4.0
    _, v_tight, _ = act_on_state(pol, arc_points(0.6))
    _, v_wide, _ = act_on_state(pol, arc_points(2.0))
    assert v_tight < v_l < v_wide


def act_on_lidar(pol, ranges: np.ndarray):
    pol.buffers["LIDAR"][0, :] = ranges
    return pol.act()


def test_lidar_driver_turns_away_from_the_near_side_and_picks_actions():
    pol = load_policy(lidar_driver().SerializeToString(), driver("lidar-balance").metadata)
    angles = np.linspace(-150.0, 150.0, 64)
    open_road = np.ones(64, dtype=np.float32)
    assert act_on_lidar(pol, open_road)[2] == 3  # straight on, full speed
    # A wall close on the right (negative angles): a left action, and the mirror image.
    walled = np.where(angles < 0, np.clip(0.3 / np.abs(np.sin(np.radians(angles))), 0.15, 1.0), 1.0)
    steer, _, k = act_on_lidar(pol, walled.astype(np.float32))
    assert steer > 0 and k > 3
    steer_m, _, k_m = act_on_lidar(pol, walled[::-1].astype(np.float32))
    assert steer_m == -steer and k_m == 6 - k


@pytest.fixture(scope="module")
def camera_policy():
    return load_policy(camera_driver().SerializeToString(), driver("camera-centreline").metadata)


@pytest.mark.parametrize("offset_m, sign", [(-0.2, 1), (0.0, 0), (0.2, -1)])
def test_camera_driver_steers_back_to_the_centre_line(long_track, camera_policy, offset_m, sign):
    # The long stadium's bottom straight: centre line y = -1.5, driving +x; left is +y.
    observe = make_observer(camera_policy.buffers, long_track, SimParams())
    steers = []
    for x in np.linspace(-3.0, 1.0, 9):  # wherever the dashes fall
        car = CarState(x, -1.5 + offset_m, 0.0, 2.0, 0.0)
        observe(car, long_track.project(car.x_m, car.y_m))
        steers.append(camera_policy.act()[0])
    if sign == 0:
        assert max(abs(s) for s in steers) < 1.0
    else:
        assert all(s * sign > 1.0 for s in steers)


def test_camera_driver_goes_straight_on_without_a_line(camera_policy):
    camera_policy.buffers["FRONT_FACING_CAMERA"][...] = ASPHALT_GREY / 255
    steer, speed, _ = camera_policy.act()
    assert steer == 0.0 and speed == 4.0


def test_camera_driver_is_not_drawn_to_the_floor_beside_the_track(camera_policy):
    # The floor is nearly as bright as the dashes: with asphalt on the left half of the
    # picture and floor on the right half, and no dash, the car still goes straight on.
    buf = camera_policy.buffers["FRONT_FACING_CAMERA"]
    buf[...] = ASPHALT_GREY / 255
    buf[0, :, 80:, 0] = FLOOR_GREY / 255
    steer, speed, _ = camera_policy.act()
    assert steer == 0.0 and speed == 4.0


# --- racing the shipped tracks -----------------------------------------------------------------


def test_tracks_are_shipped():
    assert SLUGS, "no shipped tracks: run python -m simulator.trackgen"
    assert any(t.difficulty == "beginner" for t in list_tracks())


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("name", NAMES)
def test_three_clean_laps_on_every_shipped_track(name, slug):
    res = race(name, slug)
    assert res.status == "finished", res.to_dict()
    assert res.laps_completed == 3 and len(res.lap_times_s) == 3
    assert res.off_track_count == 0 and res.wrong_way_count == 0, res.events
    assert res.penalty_s == 0.0
    actions = res.trajectory[:, L.TRAJ_ACTION]
    if driver(name).metadata["action_space_type"] == "discrete":
        assert len(set(actions.tolist())) >= 3  # the argmax really picks between actions
    else:
        assert (actions == -1).all()


@pytest.mark.parametrize("slug", SLUGS)
def test_state_driver_is_the_fastest_house_car(slug):
    times = {name: race(name, slug).total_time_s for name in NAMES}
    assert min(times, key=times.get) == "state-pursuit", times


def test_state_driver_uses_the_grip(slug="oval-loop"):
    """Near the limit: through the bends the car runs at the 7 m/s^2 the tyres allow."""
    traj = race("state-pursuit", slug).trajectory
    heading = np.unwrap(traj[:, L.TRAJ_HEADING_RAD])
    speed = traj[:, L.TRAJ_SPEED_M_S]
    lateral = np.abs(np.diff(heading) * SimParams().car.control_hz * speed[1:])
    assert np.percentile(lateral, 90) > 0.9 * SimParams().car.max_lateral_accel_m_s2


def test_races_are_reproducible():
    first = race("lidar-balance", SLUGS[0])
    again = run_time_trial(policy("lidar-balance"), load_track(SLUGS[0]), RaceRules(laps=3))
    assert again.trajectory_sha256 == first.trajectory_sha256
