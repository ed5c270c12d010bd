"""The off-track limit (`RaceRules.off_track_limit`): N resets are allowed, the (N+1)-th
ends the run as a DNF, where it happened; 0 means no limit.

The scripted models of builders.py leave the track on purpose: one drives straight on
(off track at every bend), one turns round (wrong way, again and again).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulator import layout as L
from simulator.env import TimeTrialEnv
from simulator.params import RaceRules
from simulator.policy import load_policy
from simulator.race import run_time_trial
from simulator.replay import replay_dict
from simulator.simtrace import simtrace_csv
from simulator.track import track_from_array
from simulator.video.inputs import unpack_replay

from . import builders as B


def straight_on():
    return B.constant_model([0.0, B.unit(1.5, 0.5, 4.0)])


def off_track_race(track, limit: int):
    policy = load_policy(straight_on(), B.continuous_metadata())
    return run_time_trial(policy, track, RaceRules(laps=1, time_cap_s=40, off_track_limit=limit))


@pytest.fixture(scope="module")
def unlimited(stadium_track):
    r = off_track_race(stadium_track, 0)
    assert r.status == "finished" and r.off_track_count >= 4  # the test needs several resets
    return r


def test_no_limit_by_default_and_with_zero(unlimited, stadium_track):
    assert unlimited.dnf_reason is None and unlimited.off_track_limit == 0
    policy = load_policy(straight_on(), B.continuous_metadata())
    default = run_time_trial(policy, stadium_track, RaceRules(laps=1, time_cap_s=40))
    assert default.trajectory_sha256 == unlimited.trajectory_sha256


def test_a_limit_the_run_stays_within_changes_nothing(unlimited, stadium_track):
    r = off_track_race(stadium_track, unlimited.off_track_count)
    assert r.status == "finished" and r.dnf_reason is None
    assert r.trajectory_sha256 == unlimited.trajectory_sha256


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_the_reset_after_the_limit_ends_the_run_as_dnf(unlimited, stadium_track, limit):
    r = off_track_race(stadium_track, limit)
    assert r.status == "dnf" and r.dnf_reason == "off_track_limit" and r.off_track_limit == limit
    assert r.official_time_s is None
    # The (limit + 1)-th excursion is counted and penalised like the others, then it ends.
    assert r.off_track_count == limit + 1
    assert r.penalty_s == pytest.approx((limit + 1) * 3.0)
    assert [e["type"] for e in r.events] == ["off_track", "reset"] * (limit + 1) + ["off_track_limit"]
    last = r.events[-1]
    assert last["limit"] == limit and last["step"] == r.steps - 1
    # Up to there it is the unlimited run, row for row; its last row is the excursion.
    np.testing.assert_array_equal(r.trajectory, unlimited.trajectory[: r.steps])
    assert r.trajectory[-1, L.TRAJ_ON_TRACK] == 0.0
    assert r.total_time_s == pytest.approx(r.trajectory[-1, L.TRAJ_TIME_S] + 3.0, abs=0.0006)


def test_laps_and_progress_are_kept(stadium_track):
    policy = load_policy(straight_on(), B.continuous_metadata())
    free = run_time_trial(policy, stadium_track, RaceRules(laps=2, time_cap_s=60))
    lap_step = next(e for e in free.events if e["type"] == "lap")["step"]
    resets_in_lap_1 = sum(1 for e in free.events if e["type"] == "off_track" and e["step"] < lap_step)
    # Allowed every reset of the first lap: the first one of the second lap ends the run.
    r = run_time_trial(policy, stadium_track, RaceRules(laps=2, time_cap_s=60, off_track_limit=resets_in_lap_1))
    assert r.status == "dnf" and r.dnf_reason == "off_track_limit"
    assert r.laps_completed == 1 and len(r.lap_times_s) == 1
    assert 0.0 < r.progress < 1.0
    row = r.trajectory[-1]
    assert r.progress == pytest.approx(row[L.TRAJ_PROGRESS], abs=1e-6)


def test_wrong_way_resets_count_too():
    track = track_from_array(B.stadium(width_m=1.2))
    policy = load_policy(B.reverse_model(1.0), B.continuous_metadata())
    r = run_time_trial(policy, track, RaceRules(laps=1, time_cap_s=30, off_track_limit=2))
    assert r.status == "dnf" and r.dnf_reason == "off_track_limit"
    assert r.off_track_count == 0 and r.wrong_way_count == 3
    assert [e["type"] for e in r.events[-3:]] == ["wrong_way", "reset", "off_track_limit"]


def test_the_time_cap_says_so(stadium_track):
    r = run_time_trial(load_policy(B.pursuit_model(1.5), B.continuous_metadata()), stadium_track,
                       RaceRules(laps=3, time_cap_s=2.0, off_track_limit=1))
    assert r.status == "dnf" and r.dnf_reason == "time_cap"


def test_result_and_replay_say_why(stadium_track):
    r = off_track_race(stadium_track, 1)
    replay = json.loads(json.dumps(replay_dict(r, stadium_track, "stadium")))
    assert replay["result"]["dnf_reason"] == "off_track_limit" and replay["result"]["off_track_limit"] == 1
    assert replay["events"][-1]["type"] == "off_track_limit"
    assert unpack_replay(replay).dnf_reason == "off_track_limit"
    rows = simtrace_csv(replay, stadium_track).strip().splitlines()
    last = rows[-1].split(",")
    assert last[9] == "True" and last[15] == "off_track"  # done, episode_status


def test_environment_terminates_at_the_limit(stadium_track):
    env = TimeTrialEnv(track=stadium_track, rules={"laps": 1, "time_cap_s": 40, "off_track_limit": 1})
    env.reset(seed=0)
    straight = np.array([0.0, B.unit(1.5, 0.5, 4.0)], dtype=np.float32)
    for _ in range(2000):
        _, _, terminated, truncated, info = env.step(straight)
        if terminated or truncated:
            break
    assert terminated and not truncated
    assert info["result"]["dnf_reason"] == "off_track_limit" and info["off_track_count"] == 2
