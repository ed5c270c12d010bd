"""Object avoidance and head-to-bot races: collisions, their penalty and reset, the result's
keys, determinism per seed, what the lidar sees, the replay and the simtrace.

Scripted drives sit on the long stadium's bottom straight (y = -1.5, driving +x from the
start line at x = 0, 1 m wide): a box in the inside lane stands at y = -1.25 and reaches
over the centre line.
"""

from __future__ import annotations

import json

import gymnasium
import numpy as np
import pytest

from simulator.formats import FormatError, RaceFormat, fixed_objects_from
from simulator.params import RaceRules, SimParams
from simulator.observation import make_observer
from simulator.race import TimeTrial, run_time_trial
from simulator.replay import replay_dict
from simulator.simtrace import simtrace_rows

from . import builders as B

RULES = RaceRules(laps=1, off_track_penalty_s=5.0, time_cap_s=60.0)


def box_at(track, x: float, lane: str = "inside", **kwargs) -> RaceFormat:
    positions = fixed_objects_from(f"{lane}:{100.0 * x / track.length_m}")
    return RaceFormat(race_type="object_avoidance", placement="fixed", objects=1, fixed_objects=positions, **kwargs)


def drive_straight(trial: TimeTrial, steps: int, speed: float = 2.0) -> None:
    for _ in range(steps):
        trial.step(0.0, speed)
        if trial.done:
            return


def test_a_time_trial_result_says_so(long_track):
    trial = TimeTrial(long_track, RULES)
    drive_straight(trial, 10)
    r = trial.result().to_dict()
    assert (r["race_type"], r["seed"], r["collision_count"]) == ("time_trial", 0, 0)
    assert trial.obstacles is None and trial.result().obstacles_dict() is None


def test_driving_into_a_box_costs_the_penalty_and_puts_the_car_back_behind_it(long_track):
    trial = TimeTrial(long_track, RULES, race_format=box_at(long_track, 2.0))
    for _ in range(40):
        trial.step(0.0, 2.0)
        if trial.collision_count:
            break
    assert trial.collision_count == 1 and trial.crashed
    event = trial.events[-1]
    assert event["type"] == "collision" and event["obstacle"] == 0 and event["obstacle_kind"] == "box"
    assert event["penalty_s"] == 5.0
    # The row and the event show the car touching the box: front bumper at the box's back.
    row = trial.rows[-1]
    assert row[1] + 0.14 == pytest.approx(2.0 - 0.2, abs=0.02) and event["x_m"] == row[1]
    # Put back on the centre line, 10 cm behind the box, stopped, facing along the track.
    assert (trial.car.x_m, trial.car.y_m) == pytest.approx((2.0 - 0.2 - 0.14 - 0.1, -1.5), abs=1e-6)
    assert trial.car.speed_m_s == 0.0 and trial.car.heading_rad == pytest.approx(0.0, abs=1e-9)
    assert trial.clock_s == pytest.approx(trial._n_steps / 15 + 5.0)
    # Off the centre line the car gets by in the other lane.
    trial.step(0.0, 2.0)
    assert not trial.crashed


def test_collisions_and_off_track_add_up_in_the_penalty(long_track):
    fmt = box_at(long_track, 2.0, collision_penalty_s=2.5)
    trial = TimeTrial(long_track, RULES, race_format=fmt)
    drive_straight(trial, 30)  # into the box, again and again
    for _ in range(20):  # then hard right, off the track
        trial.step(-30.0, 2.0)
    result = trial.result()
    assert result.collision_count >= 2 and result.off_track_count >= 1
    assert result.penalty_s == pytest.approx(2.5 * result.collision_count + 5.0 * result.off_track_count)
    assert len([e for e in result.events if e["type"] == "collision"]) == result.collision_count
    assert trial.clock_s == pytest.approx(result.steps / 15 + result.penalty_s)


def test_a_collision_penalty_of_zero_still_counts_the_collision(long_track):
    trial = TimeTrial(long_track, RULES, race_format=box_at(long_track, 2.0, collision_penalty_s=0.0))
    drive_straight(trial, 30)
    assert trial.collision_count >= 1 and trial.clock_s == pytest.approx(trial._n_steps / 15)


def test_the_time_cap_ends_a_run_of_collisions(long_track):
    rules = RaceRules(laps=1, time_cap_s=20.0)
    trial = TimeTrial(long_track, rules, race_format=box_at(long_track, 2.0, collision_penalty_s=10.0))
    drive_straight(trial, 500)
    assert trial.status == "dnf" and trial.dnf_reason == "time_cap"
    assert trial.collision_count >= 2 and trial.wrong_way_count == 0


def test_a_bot_catching_a_slow_car_is_a_collision(long_track):
    fmt = RaceFormat(race_type="head_to_bot", bots=1, bot_speed_m_s=4.0, seed=0)
    trial = TimeTrial(long_track, RaceRules(laps=1, time_cap_s=60.0), race_format=fmt)
    for _ in range(300):
        trial.step(0.0, 0.3)  # creeping along the centre line; the bot laps it
        if trial.collision_count:
            break
    assert trial.collision_count == 1 and trial.events[-1]["obstacle_kind"] == "bot"
    assert not trial.obstacles.touches(trial.car)  # put back clear of it


def test_placements_are_checked_against_the_track():
    from simulator.track import track_from_array

    small = track_from_array(B.stadium(straight_m=1.0, radius_m=1.0), name="small")  # 8.3 m
    with pytest.raises(FormatError, match="room for 6 boxes at most.*set objects to 6 or fewer"):
        TimeTrial(small, RULES, race_format=RaceFormat(race_type="object_avoidance", objects=12))


# --- whole races: determinism per seed ---------------------------------------------------------


@pytest.fixture(scope="module")
def state_model() -> bytes:
    return B.pursuit_model(1.5)


@pytest.fixture(scope="module")
def paperclip():
    """0.8 m wide: a bot changing lanes crosses the centre line the pursuit driver keeps to."""
    from simulator.catalog import load_track

    return load_track("paperclip")


def _race(policy_bytes, track, fmt: RaceFormat):
    from simulator.policy import load_policy

    policy = load_policy(policy_bytes, B.continuous_metadata())
    return run_time_trial(policy, track, RaceRules(laps=1, off_track_penalty_s=5.0, time_cap_s=40.0),
                          race_format=fmt)


@pytest.mark.parametrize("fmt", [
    RaceFormat(race_type="object_avoidance", seed=7),
    RaceFormat(race_type="head_to_bot", bots=3, bot_speed_m_s=0.75, bot_lane_change=True, seed=7),
], ids=["object_avoidance", "head_to_bot"])
def test_same_seed_same_trajectory_other_seed_other_race(paperclip, state_model, fmt):
    a = _race(state_model, paperclip, fmt)
    b = _race(state_model, paperclip, fmt)
    assert a.trajectory_sha256 == b.trajectory_sha256 and a.events == b.events
    assert (a.race_type, a.seed) == (fmt.race_type, 7)
    assert a.collision_count >= 1  # STATE is blind to obstacles: the pursuit driver hits some
    other = _race(state_model, paperclip, RaceFormat.from_dict({**fmt.to_dict(), "seed": 8}))
    assert other.obstacles_dict() != a.obstacles_dict()
    assert other.trajectory_sha256 != a.trajectory_sha256


def test_the_replay_carries_the_obstacles_and_the_simtrace_the_crashes(paperclip, state_model):
    fmt = RaceFormat(race_type="head_to_bot", bots=2, bot_speed_m_s=0.5, bot_lane_change=True, seed=3)
    result = _race(state_model, paperclip, fmt)
    replay = json.loads(json.dumps(replay_dict(result, paperclip, "paperclip")))
    assert replay["result"]["race_type"] == "head_to_bot" and replay["result"]["collision_count"] == result.collision_count
    bots = replay["obstacles"]["bots"]
    assert len(bots) == 2 and all(len(b["path"]) == len(replay["trajectory"]) for b in bots)
    rows = list(simtrace_rows(replay, paperclip))
    crashed = [r for r in rows if r[15] == "crashed"]
    assert len(crashed) == result.collision_count >= 1
    assert all(r[16] == "5.00" and r[10] == "True" for r in crashed)


# --- sensors ---------------------------------------------------------------------------------


def test_the_lidar_sees_a_box_and_state_does_not(long_track):
    params = SimParams()
    trial = TimeTrial(long_track, RULES, race_format=box_at(long_track, 3.0))
    car = trial.car._replace(x_m=2.0, y_m=-1.4)  # in line with the box (y -1.45 to -1.05)
    proj = long_track.project(car.x_m, car.y_m)
    buffers = {"LIDAR": np.zeros((1, 64), np.float32), "STATE": np.zeros((1, 26), np.float32)}
    plain = {k: v.copy() for k, v in buffers.items()}
    make_observer(buffers, long_track, params, trial.obstacles)(car, proj)
    make_observer(plain, long_track, params)(car, proj)
    ahead = buffers["LIDAR"][0, 31:33]
    assert ahead == pytest.approx(1.0 - 0.2, abs=0.01)  # the box's back, 0.8 m ahead
    assert (plain["LIDAR"][0, 31:33] == 1.0).all()  # the track's edges are further
    assert np.array_equal(buffers["STATE"], plain["STATE"])


# --- the Gymnasium environment -----------------------------------------------------------------


OBJECT_KEYS = ("objects_location", "objects_left_of_center", "objects_speed", "objects_heading",
               "objects_distance", "closest_objects", "is_crashed")


def test_the_env_races_a_format_and_fills_the_object_params(long_track):
    fmt = box_at(long_track, 2.0)
    env = gymnasium.make("simulator/TimeTrial-v0", track=long_track, race_format=fmt.to_dict())
    _, info = env.reset()
    p = info["params"]
    assert all(k in p for k in OBJECT_KEYS) and not p["is_crashed"]
    assert p["objects_location"] == [pytest.approx((2.0, -1.25))] and p["closest_objects"] == [0, 0]
    assert env.unwrapped.rules.off_track_penalty_s == 5.0  # the formats' default
    for _ in range(40):
        _, reward, _, _, info = env.step(np.array([0.0, -0.6], np.float32))  # straight, about 1.5 m/s
        if info["crashed"]:
            break
    assert info["params"]["is_crashed"] and info["collision_count"] == 1 and reward == -5.0
    env.close()


def test_the_env_params_of_a_time_trial_have_empty_object_keys(long_track):
    env = gymnasium.make("simulator/TimeTrial-v0", track=long_track)
    _, info = env.reset()
    p = info["params"]
    assert p["objects_location"] == [] and p["closest_objects"] == [0, 0] and p["is_crashed"] is False
    env.close()


def test_the_env_can_race_an_episode_with_another_seed(oval):
    env = gymnasium.make("simulator/TimeTrial-v0", track=oval, race_format={"race_type": "object_avoidance"})
    _, a = env.reset()
    _, b = env.reset(options={"race_seed": 5})
    _, c = env.reset(options={"race_seed": 5})
    assert a["params"]["objects_location"] != b["params"]["objects_location"] == c["params"]["objects_location"]
    env.close()


def test_the_cameras_see_a_box_and_a_bot(long_track):
    from simulator.formats.camera import BOT_GREY, BOX_GREY, SIDE_SHADE

    params = SimParams()
    trial = TimeTrial(long_track, RULES, race_format=box_at(long_track, 3.0))
    car = trial.car._replace(x_m=2.0)
    proj = long_track.project(car.x_m, car.y_m)

    def frame(sensor, shape, dtype, obstacles):
        buffers = {sensor: np.zeros(shape, dtype)}
        make_observer(buffers, long_track, params, obstacles)(car, proj)
        return buffers[sensor][0]

    plain = frame("FRONT_FACING_CAMERA", (1, 120, 160, 1), np.uint8, None)[..., 0]
    seen = frame("FRONT_FACING_CAMERA", (1, 120, 160, 1), np.uint8, trial.obstacles)[..., 0]
    changed = seen != plain
    assert changed.sum() > 200  # a box 1 m ahead is a good part of the picture
    assert set(np.unique(seen[changed])) <= {round(BOX_GREY), round(BOX_GREY * SIDE_SHADE)}
    cols = np.flatnonzero(changed.any(axis=0))
    assert cols.max() < 80  # in the inside lane: the left half of the picture
    # A float input holds the same picture / 255, channels first as well.
    as_float = frame("FRONT_FACING_CAMERA", (1, 1, 120, 160), np.float32, trial.obstacles)[0]
    np.testing.assert_array_equal(as_float, seen.astype(np.float32) * np.float32(1.0 / 255.0))
    # The stereo pair sees it from two places: the left lens further to the right.
    pair = frame("STEREO_CAMERAS", (1, 120, 160, 2), np.uint8, trial.obstacles)
    plain_pair = frame("STEREO_CAMERAS", (1, 120, 160, 2), np.uint8, None)
    left_cols, right_cols = (np.flatnonzero((pair[..., c] != plain_pair[..., c]).any(axis=0)) for c in (0, 1))
    assert left_cols.mean() > right_cols.mean()
    # A bot is drawn in its own grey.
    bots = TimeTrial(long_track, RULES, race_format=RaceFormat(race_type="head_to_bot", bots=1, seed=0))
    x, y, h, _, _ = bots.obstacles.bots.pose(0, 0)
    behind = car._replace(x_m=x - 1.0 * np.cos(h), y_m=y - 1.0 * np.sin(h), heading_rad=h)
    buffers = {"FRONT_FACING_CAMERA": np.zeros((1, 120, 160, 1), np.uint8)}
    make_observer(buffers, long_track, params, bots.obstacles)(behind, long_track.project(behind.x_m, behind.y_m))
    assert (buffers["FRONT_FACING_CAMERA"] == round(BOT_GREY)).sum() > 50


# --- the command line and the video -------------------------------------------------------------


def test_the_cli_races_each_format_and_keeps_every_key(cli, model_package, stadium_file):
    model, meta = model_package(B.pursuit_model(1.5), B.continuous_metadata())
    base = ("race", model, "--metadata", meta, "--track", stadium_file, "--laps", "1", "--json")
    tt = json.loads(cli(*base)[1])
    oa = json.loads(cli(*base, "--race-type", "object_avoidance", "--objects", "3", "--placement", "random",
                        "--seed", "7", "--collision-penalty", "2")[1])
    h2b = json.loads(cli(*base, "--race-type", "head_to_bot", "--bots", "2", "--bot-speed", "1.0",
                         "--bot-lane-change", "--seed", "7")[1])
    assert set(tt) == set(oa) == set(h2b) and {"race_type", "seed", "collision_count"} <= set(tt)
    assert (tt["race_type"], oa["race_type"], h2b["race_type"]) == ("time_trial", "object_avoidance", "head_to_bot")
    assert oa["seed"] == 7 and oa["collision_count"] >= 1
    assert oa["penalty_s"] == pytest.approx(2.0 * oa["collision_count"] + 5.0 * oa["off_track_count"])
    fixed = json.loads(cli(*base, "--race-type", "object_avoidance", "--placement", "fixed",
                           "--fixed-positions", "inside:30,outside:60")[1])
    assert fixed["race_type"] == "object_avoidance"


def test_formats_default_to_a_five_second_off_track_penalty(cli, model_package, stadium_file):
    model, meta = model_package(B.constant_model([0.0, B.unit(1.5, 0.5, 4.0)]))  # drives straight on
    base = ("race", model, "--metadata", meta, "--track", stadium_file, "--laps", "1", "--time-cap", "30", "--json")
    tt = json.loads(cli(*base)[1])
    h2b = json.loads(cli(*base, "--race-type", "head_to_bot", "--bots", "1", "--bot-speed", "0.2")[1])
    assert tt["penalty_s"] == pytest.approx(3.0 * tt["off_track_count"])
    assert h2b["off_track_count"] and h2b["penalty_s"] == pytest.approx(
        5.0 * h2b["off_track_count"] + 5.0 * h2b["collision_count"])


@pytest.mark.parametrize(("args", "phrase"), [
    (("--fixed-positions", "inside:30"), "--fixed-positions needs --race-type object_avoidance --placement fixed"),
    (("--race-type", "object_avoidance", "--placement", "fixed", "--fixed-positions", "inside:2"),
     "within 1 m of the start line"),
    (("--race-type", "object_avoidance", "--placement", "fixed", "--fixed-positions", "middle:30"),
     "lane 'middle' is not one of inside, outside"),
    (("--race-type", "head_to_bot", "--bot-speed", "9"), "bot_speed_m_s must be between 0.2 and 4 m/s"),
    (("--race-type", "object_avoidance", "--objects", "40"), "objects must be between 1 and 12"),
])
def test_bad_format_settings_are_one_line_errors(cli, pursuit_pkg_for_formats, stadium_file, args, phrase):
    model, meta = pursuit_pkg_for_formats
    code, _, err = cli("race", model, "--metadata", meta, "--track", stadium_file, *args)
    assert code == 2 and phrase in err and len(err.strip().splitlines()) == 1, err


@pytest.fixture
def pursuit_pkg_for_formats(model_package):
    return model_package(B.pursuit_model(1.5), B.continuous_metadata())


def test_the_video_draws_the_bots_and_a_card_for_each_collision(paperclip, state_model):
    from simulator.render import BOT
    from simulator.video.frames import video_frames
    from simulator.video.hud import BAD
    from simulator.video.inputs import VideoSpec

    fmt = RaceFormat(race_type="head_to_bot", bots=2, bot_speed_m_s=0.5, bot_lane_change=True, seed=3)
    replay = json.loads(json.dumps(replay_dict(_race(state_model, paperclip, fmt), paperclip, "paperclip")))
    row = next(e["step"] for e in replay["events"] if e["type"] == "collision")
    spec = VideoSpec(width_px=480, height_px=270)
    frames = {}
    for i, img in enumerate(video_frames(paperclip, replay, spec=spec)):
        if i in (row - 1, row):
            frames[i] = np.asarray(img)
        if i >= row:
            break
    # Just before touching it, the bot is in the picture, in its colour.
    assert (frames[row - 1] == np.array(BOT, np.uint8)).all(axis=2).sum() > 100
    # The collision's card: a red banner (the penalty colour) that was not there before.
    red = np.array(BAD, np.uint8)
    assert (frames[row] == red).all(axis=2).sum() > (frames[row - 1] == red).all(axis=2).sum() + 500


@pytest.mark.parametrize("race_format", [
    {"race_type": "object_avoidance", "objects": 3, "seed": 2},
    {"race_type": "head_to_bot", "bots": 2, "bot_lane_change": True, "seed": 2},
], ids=["object_avoidance", "head_to_bot"])
def test_the_env_passes_gymnasiums_checks_in_each_format(oval, race_format):
    from gymnasium.utils.env_checker import check_env

    from simulator.env import TimeTrialEnv

    env = TimeTrialEnv(track=oval, metadata=B.continuous_metadata("LIDAR"), race_format=race_format,
                       rules={"laps": 1, "time_cap_s": 20.0})
    check_env(env, skip_render_check=True)
    env.close()


def test_the_env_picture_shows_the_boxes_and_bots(oval):
    from simulator.env import TimeTrialEnv
    from simulator.render import BOT, BOX

    for race_format, colour in (({"race_type": "object_avoidance"}, BOX), ({"race_type": "head_to_bot"}, BOT)):
        env = TimeTrialEnv(track=oval, race_format=race_format, render_mode="rgb_array")
        env.reset()
        picture = env.render()
        assert (picture == np.array(colour, np.uint8)).all(axis=2).sum() > 20
        env.close()


def test_a_fresh_process_races_the_same_trajectory(cli_subprocess, model_package, shipped_track_ref):
    model, meta = model_package(B.pursuit_model(1.5), B.continuous_metadata())
    args = ("race", model, "--metadata", meta, "--track", shipped_track_ref, "--laps", "1", "--json",
            "--race-type", "head_to_bot", "--bots", "3", "--bot-lane-change", "--seed", "7")
    runs = [cli_subprocess(*args) for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    a, b = (json.loads(r.stdout) for r in runs)
    assert a["trajectory_sha256"] == b["trajectory_sha256"] and (a["seed"], a["race_type"]) == (7, "head_to_bot")
