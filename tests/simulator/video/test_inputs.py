"""A replay unpacked for filming: one frame per row, laps and resets found on their rows."""

from __future__ import annotations

import json

import pytest

from simulator import layout as L
from simulator.params import CarParams, RaceRules
from simulator.video.inputs import FPS, VideoSpec, expected_frames, unpack_replay


def test_one_frame_per_control_step(short_replay):
    assert FPS == VideoSpec().fps == CarParams().control_hz
    assert expected_frames(short_replay) == len(short_replay["trajectory"]) == short_replay["result"]["steps"]


def test_spec_is_checked():
    with pytest.raises(ValueError, match="even"):
        VideoSpec(width_px=641)
    with pytest.raises(ValueError, match="at least 320x240"):
        VideoSpec(width_px=200, height_px=100)


def test_events_of_older_replays_still_find_their_rows(wild_replay):
    """Replays written before events named their own row (step = row + 1)."""
    old = json.loads(json.dumps(wild_replay))
    for e in old["events"]:
        if e["type"] in ("off_track", "reset"):
            e["step"] += 1
    assert unpack_replay(old).penalty_rows == unpack_replay(wild_replay).penalty_rows


def test_finish_row_and_official_time(race_replay, oval):
    replay = race_replay(oval, RaceRules(laps=1))
    run = unpack_replay(replay)
    assert run.status == "finished" and len(run.lap_rows) == 1
    last_row = run.steps - 1
    assert last_row in run.lap_rows
    assert run.t[last_row] >= replay["result"]["total_time_s"]
    assert int(replay["trajectory"][-1][L.TRAJ_LAP]) == 1
