"""The Gymnasium environment: the env checker, determinism, observations identical to the
race runner's, DeepRacer params on scripted drives, and the example reward functions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from onnx import TensorProto

import simulator  # noqa: F401  (registers simulator/TimeTrial-v0)
from simulator import layout as L
from simulator.catalog import load_track
from simulator.env import TimeTrialEnv
from simulator.params import RaceRules
from simulator.policy import load_policy
from simulator.race import RaceSetupError, run_time_trial
from simulator.rewards import PARAM_DOCS, PARAM_KEYS, RewardFunctionError, load_reward_function
from simulator.track import track_from_array

from .builders import (
    camera_mean_model,
    constant_model,
    continuous_metadata,
    cutter_model,
    discrete_metadata,
    multi_input_model,
    pursuit_model,
    reverse_model,
    stadium,
)

ROOT = Path(__file__).resolve().parents[2]
REWARD_DIR = ROOT / "examples" / "reward_functions"
CLASSIC = ["follow_center_line", "stay_inside_borders", "prevent_zig_zag"]
SHORT = RaceRules(laps=1, time_cap_s=8.0)


def circle_track(radius_m: float = 3.0, n: int = 36, width_m: float = 1.0) -> np.ndarray:
    """A regular 36-gon, counter-clockwise, waypoint k at polar angle 10k degrees."""
    rows = []
    for k in range(n):
        a = 2.0 * math.pi * k / n
        c, s = math.cos(a), math.sin(a)
        h = width_m / 2.0
        rows.append([radius_m * c, radius_m * s, (radius_m - h) * c, (radius_m - h) * s,
                     (radius_m + h) * c, (radius_m + h) * s])
    return np.array(rows + rows[:1])


def run_episode(env, actions=None, seed=None, options=None, policy=None, max_steps=10_000):
    """Step until the episode ends; returns observations, rewards and infos."""
    obs, info = env.reset(seed=seed, options=options)
    observations, rewards, infos = [obs], [], [info]
    for k in range(max_steps):
        if policy is not None:
            action = policy(obs)
        elif actions is not None:
            if k >= len(actions):
                break
            action = actions[k]
        else:
            action = env.action_space.sample()
        obs, reward, terminated, truncated, info = env.step(action)
        observations.append(obs)
        rewards.append(reward)
        infos.append(info)
        if terminated or truncated:
            break
    return observations, rewards, infos


# --- registration and the env checker -------------------------------------------------------


def test_registered_on_import_and_made_by_id(tmp_path):
    meta = tmp_path / "model_metadata.json"
    meta.write_text(json.dumps(discrete_metadata([(0.0, 1.0), (15.0, 1.0)], sensor="LIDAR")))
    env = gymnasium.make("simulator/TimeTrial-v0", track="oval-loop", metadata=str(meta))
    assert isinstance(env.unwrapped, TimeTrialEnv)
    assert env.action_space == gymnasium.spaces.Discrete(2)
    assert env.observation_space.shape == (64,)
    env.close()


def test_track_from_a_npy_path(tmp_path):
    path = tmp_path / "stadium.npy"
    np.save(path, stadium())
    env = gymnasium.make("simulator/TimeTrial-v0", track=str(path), metadata=continuous_metadata())
    obs, _ = env.reset(seed=0)
    assert obs.shape == (L.STATE_SIZE,) and obs.dtype == np.float32
    assert env.unwrapped.track.length_m == pytest.approx(load_track(path).length_m)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"metadata": discrete_metadata([(-20.0, 1.0), (0.0, 2.0), (20.0, 1.0)], sensor="LIDAR")},
        {"metadata": continuous_metadata("FRONT_FACING_CAMERA"), "camera_layout": "NCHW",
         "camera_dtype": "uint8"},
        {"metadata": continuous_metadata(["STATE", "LIDAR"]), "random_start": True},
        {"reward_function": str(REWARD_DIR / "follow_center_line.py"), "render_mode": "rgb_array"},
    ],
    ids=["state-continuous", "lidar-discrete", "camera-nchw-uint8", "state-lidar-dict", "reward-render"],
)
def test_env_checker(kwargs):
    env = gymnasium.make("simulator/TimeTrial-v0", track="oval-loop", **kwargs).unwrapped
    check_env(env, skip_render_check=env.render_mode is None)
    if env.render_mode == "rgb_array":
        env.reset(seed=0)
        frame = env.render()
        assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8


def test_spaces_follow_the_metadata():
    env = TimeTrialEnv(track="oval-loop", metadata=continuous_metadata("FRONT_FACING_CAMERA"))
    assert env.observation_space.shape == (120, 160, 1)
    assert env.observation_space.dtype == np.float32
    assert env.action_space.shape == (2,)
    assert (env.action_space.low == -1).all() and (env.action_space.high == 1).all()
    env = TimeTrialEnv(track="oval-loop", metadata=continuous_metadata(["LIDAR", "STATE"]))
    assert set(env.observation_space.spaces) == {"lidar", "state"}


def test_a_sensor_the_race_does_not_allow_is_refused():
    with pytest.raises(RaceSetupError, match="does not allow the LIDAR sensor"):
        TimeTrialEnv(track="oval-loop", metadata=continuous_metadata("LIDAR"),
                     rules=RaceRules(allowed_sensors=("STATE",)))


# --- determinism and start randomisation ------------------------------------------------------


def _trace(env, seed):
    env.action_space.seed(seed)
    observations, rewards, infos = run_episode(env, seed=seed, max_steps=120)
    return np.stack(observations), np.array(rewards), [i["params"] for i in infos[1:]]


def test_deterministic_for_a_seed():
    make = lambda: TimeTrialEnv(track="oval-loop", random_start=True,  # noqa: E731
                                reward_function=load_reward_function(REWARD_DIR / "prevent_zig_zag.py"))
    a, b = _trace(make(), 7), _trace(make(), 7)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[2] == b[2]
    c = _trace(make(), 8)
    assert not np.array_equal(a[0][0], c[0][0])  # another seed, another start


def test_start_randomisation_is_off_by_default():
    env = TimeTrialEnv(track="oval-loop")
    starts = {env.reset(seed=s)[1]["start_s_m"] for s in range(5)}
    assert starts == {0.0}
    env = TimeTrialEnv(track="oval-loop", random_start=True)
    starts = [env.reset(seed=s)[1]["start_s_m"] for s in range(5)]
    assert len(set(starts)) == 5
    assert all(0.0 <= s < env.track.length_m for s in starts)
    obs, info = env.reset(options={"start_s_m": 5.0})
    assert info["start_s_m"] == 5.0


# --- the same observations as the race runner ------------------------------------------------


def _recorded_race(onnx_bytes, metadata, track, rules):
    """Race with the official runner, recording every input fed to the model and its action."""
    policy = load_policy(onnx_bytes, metadata)
    inputs, actions = [], []
    act = policy.act

    def recording_act():
        inputs.append({s: b.copy() for s, b in policy.buffers.items()})
        actions.append(act())
        return actions[-1]

    policy.act = recording_act
    result = run_time_trial(policy, track, rules)
    return result, inputs, actions


def _env_action(env, action):
    """The env action that makes the car do what the race's policy runner chose."""
    steer, speed, index = action
    meta = env.model_metadata
    if meta.action_space_type == "discrete":
        return index
    (s_lo, s_hi), (v_lo, v_hi) = meta.steering_range_deg, meta.speed_range_m_s
    return np.array([2 * (steer - s_lo) / (s_hi - s_lo) - 1, 2 * (speed - v_lo) / (v_hi - v_lo) - 1],
                    dtype=np.float32)


@pytest.mark.parametrize("raw", [(0.0, 0.0), (0.123456, -0.98765), (1.7, -3.0), (-0.33333334, 0.66666669)])
def test_actions_map_like_the_race_maps_a_models_output(raw):
    meta = continuous_metadata(steering=(-25.0, 30.0), speed=(0.7, 3.3))
    policy = load_policy(constant_model(raw), meta)
    env = TimeTrialEnv(track="oval-loop", metadata=meta)
    assert env._decode(np.array(raw, dtype=np.float32)) == policy.act()
    meta = discrete_metadata([(10.0, 1.0), (-5.5, 2.25), (0.0, 4.0)])
    env = TimeTrialEnv(track="oval-loop", metadata=meta)
    assert env._decode(1) == (-5.5, 2.25, 1)


@pytest.mark.parametrize(
    "case",
    ["state-pursuit", "state-cutter", "state-reverse", "discrete-state", "lidar-state", "camera-nchw-uint8"],
)
def test_observations_equal_the_race_runners(case):
    track = load_track("oval-loop")
    rules = SHORT
    kwargs = {}
    if case == "state-pursuit":
        model, meta, rules = pursuit_model(2.5), continuous_metadata(), RaceRules(laps=1, time_cap_s=30)
    elif case == "state-cutter":  # leaves the track: off-track resets
        model, meta = cutter_model(0.1, 0.3, speed_m_s=2.0), continuous_metadata()
    elif case == "state-reverse":  # turns round: wrong-way resets
        model, meta = reverse_model(), continuous_metadata()
    elif case == "discrete-state":  # always action 1: straight on, off at the first bend
        meta = discrete_metadata([(30.0, 1.0), (0.0, 3.0), (-10.0, 2.0)])
        model = constant_model([0.1, 0.7, 0.2])
    elif case == "lidar-state":
        model, meta = multi_input_model(("state", "lidar"), (0.3, 0.4)), continuous_metadata(["STATE", "LIDAR"])
    else:
        model = camera_mean_model("NCHW", TensorProto.UINT8)
        meta = continuous_metadata("FRONT_FACING_CAMERA")
        kwargs = {"camera_layout": "NCHW", "camera_dtype": "uint8"}
        rules = RaceRules(laps=1, time_cap_s=3.0)
    result, inputs, actions = _recorded_race(model, meta, track, rules)
    assert len(inputs) == result.steps > 10

    env = TimeTrialEnv(track=track, metadata=meta, rules=rules, **kwargs)
    obs, _ = env.reset()
    sensors = list(env.model_metadata.sensors)
    for k, (fed, action) in enumerate(zip(inputs, actions)):
        for sensor in sensors:
            got = obs if len(sensors) == 1 else obs[{"STATE": "state", "LIDAR": "lidar"}[sensor]]
            assert got.dtype == fed[sensor].dtype
            np.testing.assert_array_equal(got[None], fed[sensor], err_msg=f"step {k} {sensor}")
        obs, _, terminated, truncated, info = env.step(_env_action(env, action))
    assert terminated or truncated
    env_result = info["result"]
    assert env_result["trajectory_sha256"] == result.trajectory_sha256
    assert env_result["status"] == result.status
    assert env_result["total_time_s"] == result.total_time_s
    if case == "state-cutter":
        assert result.off_track_count > 0
    if case == "state-reverse":
        assert result.wrong_way_count > 0


# --- episodes follow the official rules --------------------------------------------------------


def test_episode_terminates_when_the_laps_are_done():
    env = TimeTrialEnv(track="oval-loop", rules=RaceRules(laps=2))
    policy = load_policy(pursuit_model(2.0), continuous_metadata())

    def act(obs):
        policy.buffers["STATE"][0] = obs
        steer, speed, _ = policy.act()
        return np.array([steer / 30.0, (speed - 0.5) / 1.75 - 1.0], dtype=np.float32)

    _, rewards, infos = run_episode(env, policy=act)
    last = infos[-1]
    assert last["status"] == "finished" and last["laps"] == 2
    assert sum(i.get("lap_completed", False) for i in infos) == 2
    assert last["result"]["status"] == "finished" and len(last["result"]["lap_times_s"]) == 2
    # The default reward is metres of progress: two laps' worth, give or take a step.
    assert sum(rewards) == pytest.approx(2 * env.track.length_m, abs=0.5)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(env.action_space.sample())


def test_episode_is_truncated_at_the_time_cap():
    env = TimeTrialEnv(track="oval-loop", rules=RaceRules(time_cap_s=2.0))
    env.reset()
    terminated = truncated = False
    steps = 0
    while not (terminated or truncated):
        _, _, terminated, truncated, info = env.step(np.array([0.0, -1.0], dtype=np.float32))
        steps += 1
    assert truncated and not terminated
    assert info["status"] == "dnf" and info["result"]["status"] == "dnf"
    assert info["clock_s"] >= 2.0 and steps in (30, 31)  # 2 s at 15 Hz


def test_off_track_costs_the_penalty_and_the_car_is_put_back():
    env = TimeTrialEnv(track="oval-loop")
    env.reset()
    for _ in range(200):  # full right lock at full speed: off the track
        _, reward, _, _, info = env.step(np.array([-1.0, 1.0], dtype=np.float32))
        if info["off_track"]:
            break
    assert info["off_track"] and info["params"]["is_offtrack"]
    p = info["params"]
    # The params describe where the car left the track, before it was put back.
    assert not p["all_wheels_on_track"]
    assert p["distance_from_center"] > 0.5 * p["track_width"]
    row = env.trial.rows[-1]
    assert (p["x"], p["y"]) == (row[L.TRAJ_X_M], row[L.TRAJ_Y_M]) and row[L.TRAJ_ON_TRACK] == 0.0
    assert reward == -3.0
    assert info["off_track_count"] == 1
    trial = env.trial
    assert trial.car.speed_m_s == 0.0  # back on the centre line, at rest
    assert abs(trial.proj.offset_m) < 1e-6


# --- the DeepRacer params dict -----------------------------------------------------------------


def _check_types_and_ranges(p, track):
    assert tuple(p) == PARAM_KEYS
    for key, (kind, _) in PARAM_DOCS.items():
        assert type(p[key]) is kind, key
    assert 0.0 <= p["progress"] <= 100.0
    assert -180.0 < p["heading"] <= 180.0
    assert p["distance_from_center"] >= 0.0
    assert p["steps"] >= 1
    assert -30.0 <= p["steering_angle"] <= 30.0 and 0.1 <= p["speed"] <= 4.0
    assert p["track_length"] == pytest.approx(track.length_m)
    assert 0.0 <= p["projection_distance"] < track.length_m
    assert p["is_crashed"] is False
    n = len(p["waypoints"])
    prev, nxt = p["closest_waypoints"]
    assert 0 <= prev < n and nxt == (prev + 1) % n
    assert all(isinstance(w, tuple) and len(w) == 2 for w in p["waypoints"])


def test_params_on_a_scripted_drive_of_a_shipped_track():
    """A lap at a steady pace, then full lock and full speed off the track, then a U-turn."""
    track = load_track("oval-loop")
    env = TimeTrialEnv(track=track, rules=RaceRules(laps=3, time_cap_s=60))
    policy = load_policy(pursuit_model(2.0), continuous_metadata())
    obs, _ = env.reset()
    seen = []
    for k in range(400):
        if k < 160:
            policy.buffers["STATE"][0] = obs
            steer, speed, _ = policy.act()
            action = [steer / 30.0, (speed - 0.5) / 1.75 - 1.0]
        elif k < 200:
            action = [-1.0, 1.0]  # off to the right
        else:
            action = [1.0, -1.0]  # tight left circles, slowly: pointing backwards at times
        obs, _, terminated, truncated, info = env.step(np.array(action, dtype=np.float32))
        p = info["params"]
        _check_types_and_ranges(p, track)
        assert p["steps"] == k + 1
        assert p["is_offtrack"] == info["off_track"]
        seen.append(p)
        if terminated or truncated:
            break
    assert any(p["progress"] == 100.0 for p in seen)  # the step the lap completed
    assert any(p["is_offtrack"] for p in seen)
    assert any(p["is_reversed"] for p in seen)
    assert {p["is_left_of_center"] for p in seen} == {True, False}
    assert {p["all_wheels_on_track"] for p in seen} == {True, False}
    progress = [p["progress"] for p in seen[:100]]
    assert progress == sorted(progress)  # going forwards, the lap fills up
    assert seen[0]["waypoints"] == [tuple(c) for c in track.center.tolist()]


def test_params_on_a_hand_checkable_track():
    """A regular 36-gon of radius 3 m, counter-clockwise, 1 m wide.

    Edge k runs from waypoint k (polar angle 10k deg) to k + 1, so the car is between
    waypoints [k, k + 1] when its polar angle is between 10k and 10(k+1) degrees, and
    left of the centre line (inside) when it is nearer the middle than edge k's line.
    """
    R = 3.0
    env = TimeTrialEnv(track=track_from_array(circle_track(R)),
                       metadata=discrete_metadata([(5.0, 1.0), (0.0, 1.0)]))
    obs, _ = env.reset()
    script = [0] * 30 + [1] * 30 + [0] * 40  # tighter than the circle, straight, tighter
    seen = []
    chord_len = 2 * R * math.sin(math.radians(5))
    for action in script:
        obs, _, _, _, info = env.step(action)
        p = info["params"]
        _check_types_and_ranges(p, env.track)
        x, y = p["x"], p["y"]
        angle = math.degrees(math.atan2(y, x)) % 360.0
        k = int(angle // 10)
        assert p["closest_waypoints"] == [k, (k + 1) % 36]
        mid = math.radians(10 * k + 5)
        inward = R * math.cos(math.radians(5)) - (x * math.cos(mid) + y * math.sin(mid))
        assert p["is_left_of_center"] == (inward > 0)
        assert p["distance_from_center"] == pytest.approx(abs(inward), abs=1e-9)
        assert p["track_width"] == pytest.approx(1.0)
        assert p["track_length"] == pytest.approx(36 * chord_len)
        # The projection on edge k, as a fraction t of the edge (r sin(angle - mid) from
        # its midpoint, which is half a chord from either end).
        t = 0.5 + math.hypot(x, y) * math.sin(math.radians(angle) - mid) / chord_len
        assert p["progress"] == pytest.approx((k + t) / 36 * 100, abs=1e-6)
        assert p["projection_distance"] == pytest.approx((k + t) * chord_len, abs=1e-9)
        assert p["steering_angle"] == (5.0 if action == 0 else 0.0) and p["speed"] == 1.0
        assert p["waypoints"][k] == pytest.approx((R * math.cos(math.radians(10 * k)),
                                                   R * math.sin(math.radians(10 * k))))
        # Going round counter-clockwise: heading = polar angle + 90 deg, give or take.
        assert not p["is_reversed"]
        dh = (p["heading"] - (angle + 90.0) + 180.0) % 360.0 - 180.0
        assert abs(dh) < 30.0
        seen.append(p)
    assert {p["is_left_of_center"] for p in seen} == {True, False}
    assert len({tuple(p["closest_waypoints"]) for p in seen}) >= 10
    assert seen[0]["closest_waypoints"] == [0, 1]


# --- reward functions --------------------------------------------------------------------------


@pytest.mark.parametrize("name", CLASSIC + ["point_along_track", "progress_per_step"])
def test_example_reward_functions_run_a_whole_episode(name):
    env = TimeTrialEnv(track="oval-loop", reward_function=REWARD_DIR / f"{name}.py",
                       rules=RaceRules(laps=1, time_cap_s=40))
    env.action_space.seed(3)
    _, rewards, infos = run_episode(env, seed=3)
    assert len(rewards) > 50
    assert all(isinstance(r, float) and math.isfinite(r) for r in rewards)
    assert infos[-1]["status"] in ("finished", "dnf")


def test_the_centre_line_reward_prefers_the_centre_line():
    fn = load_reward_function(REWARD_DIR / "follow_center_line.py")
    env = TimeTrialEnv(track="oval-loop", reward_function=fn)
    env.reset()
    _, centre, *_ = env.step(np.array([0.0, -1.0], dtype=np.float32))
    for _ in range(10):
        _, wide, *_ = env.step(np.array([-1.0, -1.0], dtype=np.float32))
    assert centre == 1.0 and wide < 1.0


def test_a_reward_function_that_raises_names_the_step_and_the_key():
    def uses_a_wrong_key(params):
        if params["steps"] < 3:
            return 1.0
        return params["speed_kmh"] / 10.0

    env = TimeTrialEnv(track="oval-loop", reward_function=uses_a_wrong_key)
    env.reset()
    env.step(env.action_space.sample())
    env.step(env.action_space.sample())
    with pytest.raises(RewardFunctionError, match=r"step 3.*'speed_kmh'") as exc:
        env.step(env.action_space.sample())
    assert exc.value.step == 3 and exc.value.key == "speed_kmh"

    env = TimeTrialEnv(track="oval-loop", reward_function=lambda p: p["distance_from_center"] / 0)
    env.reset()
    with pytest.raises(RewardFunctionError,
                       match=r"ZeroDivisionError at step 1 after reading params\['distance_from_center'\]"):
        env.step(env.action_space.sample())


def test_a_reward_function_must_return_a_number():
    env = TimeTrialEnv(track="oval-loop", reward_function=lambda p: "fast")
    env.reset()
    with pytest.raises(RewardFunctionError, match="returned 'fast' at step 1"):
        env.step(env.action_space.sample())
    env = TimeTrialEnv(track="oval-loop", reward_function=lambda p: float("nan") * p["speed"])
    env.reset()
    with pytest.raises(RewardFunctionError, match="at step 1 after reading params\\['speed'\\]"):
        env.step(env.action_space.sample())


def test_info_params_is_the_dict_the_reward_function_saw():
    received = []

    def keep(params):
        received.append(params)
        return 0.0

    env = TimeTrialEnv(track="oval-loop", reward_function=keep)
    env.reset()
    _, _, _, _, info = env.step(env.action_space.sample())
    assert info["params"] is received[0]
    assert dict(info["params"]) == dict(received[0])


def test_wrong_way_puts_the_car_back_at_the_furthest_point_from_a_random_start():
    env = TimeTrialEnv(track="oval-loop")
    policy = load_policy(reverse_model(), continuous_metadata())
    obs, _ = env.reset(options={"start_s_m": 5.0})
    for _ in range(300):
        policy.buffers["STATE"][0] = obs
        steer, speed, _ = policy.act()
        obs, _, _, _, info = env.step(np.array([steer / 30.0, (speed - 0.5) / 1.75 - 1.0], dtype=np.float32))
        if info["wrong_way"]:
            break
    assert info["wrong_way"] and info["wrong_way_count"] == 1
    trial = env.trial
    furthest = (5.0 + trial.best_distance_m) % env.track.length_m
    assert trial.proj.s_m == pytest.approx(furthest, abs=0.05)
    assert abs(trial.proj.s_m - 5.0) < 1.0  # it turned round just after the start
