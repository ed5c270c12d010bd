"""Replay files: the trajectory, events and result as plain JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulator import layout as L
from simulator.params import RaceRules
from simulator.policy import load_policy
from simulator.race import run_time_trial
from simulator.replay import REPLAY_FORMAT, read_replay, replay_dict, track_as_raced, write_replay

from . import builders as B


@pytest.fixture(scope="module")
def off_track_race(stadium_track):
    policy = load_policy(B.constant_model([0.0, B.unit(1.5, 0.5, 4.0)]), B.continuous_metadata())
    return run_time_trial(policy, stadium_track, RaceRules(laps=1, time_cap_s=40))


def test_round_trip(tmp_path, off_track_race, stadium_track):
    r = off_track_race
    path = tmp_path / "replay.json"
    write_replay(path, r, stadium_track, "stadium.npy")
    data = read_replay(path)
    assert data["format"] == REPLAY_FORMAT
    assert data["columns"] == list(L.TRAJ_COLUMNS)
    traj = np.array(data["trajectory"])
    assert traj.shape == r.trajectory.shape
    np.testing.assert_allclose(traj, r.trajectory, atol=5e-7)
    assert data["events"] == json.loads(json.dumps(r.events))
    assert data["result"] == json.loads(json.dumps(r.to_dict()))
    assert data["track"] == {"ref": "stadium.npy", "length_m": round(stadium_track.length_m, 4),
                             "waypoints": stadium_track.n, "reversed": False}


def test_replay_is_plain_json_with_events(tmp_path, off_track_race, stadium_track):
    path = tmp_path / "replay.json"
    write_replay(path, off_track_race, stadium_track)
    data = json.loads(path.read_text())  # no simulator needed to read it
    kinds = {e["type"] for e in data["events"]}
    assert {"off_track", "reset"} <= kinds
    assert data["track"]["ref"] == stadium_track.name
    assert data["result"]["off_track_count"] == off_track_race.off_track_count
    on_track = data["columns"].index("on_track")
    assert sum(1 for row in data["trajectory"] if row[on_track] == 0.0) == off_track_race.off_track_count


def test_replay_of_a_failed_race(tmp_path, stadium_track, make_policy):
    r = run_time_trial(make_policy(B.nan_when_fast_model()), stadium_track, RaceRules(laps=1))
    path = tmp_path / "failed.json"
    write_replay(path, r, stadium_track, "stadium")
    data = read_replay(path)
    assert data["result"]["status"] == "failed" and "NaN" in data["result"]["error"]
    assert len(data["trajectory"]) == r.steps > 0


def test_replay_dict_matches_the_file(tmp_path, off_track_race, stadium_track):
    path = tmp_path / "r.json"
    write_replay(path, off_track_race, stadium_track, "x")
    assert read_replay(path) == json.loads(json.dumps(replay_dict(off_track_race, stadium_track, "x")))


@pytest.mark.parametrize("content", ['{"format": "something-else/1"}', "{}", '{"columns": []}'])
def test_read_replay_refuses_other_json(tmp_path, content):
    path = tmp_path / "other.json"
    path.write_text(content)
    with pytest.raises(ValueError, match="not a vrl-replay/1 replay file"):
        read_replay(path)


def test_the_replay_says_which_way_the_track_was_driven(off_track_race, stadium_track):
    forward = replay_dict(off_track_race, stadium_track)
    backward = replay_dict(off_track_race, stadium_track.reversed())
    assert forward["track"]["reversed"] is False and backward["track"]["reversed"] is True
    # Whoever draws it from the track file (or from either direction) gets the right one.
    for track in (stadium_track, stadium_track.reversed()):
        assert track_as_raced(forward, track) is stadium_track
        assert track_as_raced(backward, track) is stadium_track.reversed()
    older = {k: v for k, v in forward.items() if k != "track"}  # replays before the key
    assert track_as_raced(older, stadium_track.reversed()) is stadium_track
