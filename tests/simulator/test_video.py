"""Race videos: the MP4 decodes with PyAV with one frame per control step at 15 fps, the
overlays show off-track moments, and the command line / benchmark entry points work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulator import layout as L
from simulator.catalog import load_track
from simulator.drivers import CONTINUOUS_SPACE, state_driver
from simulator.params import RaceRules
from simulator.policy import load_policy
from simulator.race import run_time_trial
from simulator.replay import replay_dict
from simulator.video import (
    BAD,
    VideoLabels,
    VideoSpec,
    expected_frames,
    probe_video,
    render_video,
    unpack_replay,
    video_frames,
)

ROOT = Path(__file__).resolve().parents[2]
META = {"action_space": CONTINUOUS_SPACE, "sensor": ["STATE"], "action_space_type": "continuous",
        "neural_network": "TEST", "training_algorithm": "none", "version": "5"}


def race_replay(track, rules: RaceRules, lateral_accel_m_s2: float = 5.2) -> dict:
    policy = load_policy(state_driver(lateral_accel_m_s2=lateral_accel_m_s2).SerializeToString(), META)
    result = run_time_trial(policy, track, rules)
    # Through JSON, as the file is stored.
    return json.loads(json.dumps(replay_dict(result, track, track.name)))


@pytest.fixture(scope="module")
def oval():
    return load_track("oval-loop")


@pytest.fixture(scope="module")
def short_replay(oval):
    """A few seconds of a run: the time cap ends it (DNF)."""
    return race_replay(oval, RaceRules(laps=3, time_cap_s=4.0))


@pytest.fixture(scope="module")
def wild_replay(oval):
    """One lap with off-track resets."""
    replay = race_replay(oval, RaceRules(laps=1), lateral_accel_m_s2=20.0)
    assert replay["result"]["off_track_count"] > 0
    return replay


def test_video_decodes_with_one_frame_per_step(tmp_path, oval, short_replay):
    out = tmp_path / "run.mp4"
    info = render_video(oval, short_replay, out, VideoLabels(racer="Tester", title="Meadow Oval"))
    steps = len(short_replay["trajectory"])
    assert steps == short_replay["result"]["steps"] == expected_frames(short_replay) == 60
    assert info.frames == steps and info.fps == 15 and info.bytes == out.stat().st_size
    probe = probe_video(out)
    assert probe["codec"] == "h264" and probe["pix_fmt"] == "yuv420p"
    assert (probe["width"], probe["height"]) == (960, 540)
    assert probe["frames"] == steps
    assert probe["duration_s"] == pytest.approx(steps / 15, abs=1 / 15)
    assert probe["fps"] == pytest.approx(15)
    assert not list(tmp_path.glob("*.part"))


def test_video_size_is_configurable(tmp_path, oval, short_replay):
    replay = {**short_replay, "trajectory": short_replay["trajectory"][:10]}
    out = tmp_path / "small.mp4"
    render_video(oval, replay, out, spec=VideoSpec(width_px=640, height_px=480))
    probe = probe_video(out)
    assert (probe["width"], probe["height"], probe["frames"]) == (640, 480, 10)
    with pytest.raises(ValueError):
        VideoSpec(width_px=641)
    with pytest.raises(ValueError):
        render_video(oval, {**short_replay, "trajectory": []}, tmp_path / "empty.mp4")


def test_frames_are_made_lazily_and_follow_the_car(oval, short_replay):
    spec = VideoSpec()
    frames = video_frames(oval, short_replay, VideoLabels(racer="Tester"), spec)
    assert iter(frames) is frames  # a generator: nothing is held
    first = np.asarray(next(frames)).copy()
    for _ in range(40):
        later = next(frames)
    later = np.asarray(later)
    assert first.shape == (spec.height_px, spec.width_px, 3)
    # The ground moves under the car: the view changes, the car stays in its place.
    assert np.abs(first.astype(int) - later.astype(int)).mean() > 1.0
    cx, cy = int(spec.car_at[0] * spec.width_px), int(spec.car_at[1] * spec.height_px)
    px_per_m = spec.width_px / spec.view_width_m
    side = int(0.06 * px_per_m)  # beside the cockpit, on the body
    body = later[cy - 2:cy + 3, cx + side - 2:cx + side + 3].reshape(-1, 3).astype(int)
    assert ((body[:, 0] > 150) & (body[:, 1] < 100)).any()  # the red body


def _red_border(frame) -> bool:
    px = np.asarray(frame)[2, frame.width // 2]
    return bool(np.abs(px.astype(int) - np.array(BAD)).max() < 30)


def test_off_track_moments_are_visible(oval, wild_replay):
    run = unpack_replay(wild_replay)
    off_rows = sorted(run.penalty_rows)
    assert len(off_rows) == wild_replay["result"]["off_track_count"]
    first_off = off_rows[0]
    seen = {}
    for i, frame in enumerate(video_frames(oval, wild_replay)):
        if i in (first_off - 1, first_off, first_off + 3):
            seen[i] = _red_border(frame)
        if i > first_off + 3:
            break
    assert seen == {first_off - 1: False, first_off: True, first_off + 3: True}
    # The race clock jumps by the penalty between the two frames of the reset.
    t = run.t
    assert t[first_off + 1] - t[first_off] == pytest.approx(1 / 15 + 3.0, abs=1e-6)


def test_events_of_older_replays_still_find_their_rows(wild_replay):
    """Replays written before events named their own row (step = row + 1)."""
    old = json.loads(json.dumps(wild_replay))
    for e in old["events"]:
        if e["type"] in ("off_track", "reset"):
            e["step"] += 1
    assert unpack_replay(old).penalty_rows == unpack_replay(wild_replay).penalty_rows


def test_finish_frame_shows_the_official_time(oval):
    replay = race_replay(oval, RaceRules(laps=1))
    run = unpack_replay(replay)
    assert run.status == "finished" and len(run.lap_rows) == 1
    last_row = run.steps - 1
    assert last_row in run.lap_rows
    assert run.t[last_row] >= replay["result"]["total_time_s"]
    assert int(replay["trajectory"][-1][L.TRAJ_LAP]) == 1


def test_command_line_render(tmp_path, short_replay):
    replay_path = tmp_path / "replay.json"
    short = {**short_replay, "trajectory": short_replay["trajectory"][:15], "format": "vrl-replay/1"}
    replay_path.write_text(json.dumps(short))
    out = tmp_path / "cli.mp4"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "simulator.video", "render", str(replay_path), "--track", "oval-loop",
         "--out", str(out), "--racer", "CLI", "--json"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["frames"] == 15 and report["peak_rss_mb"] > 0 and out.is_file()


def test_bench_entry_point_runs(tmp_path):
    from simulator.video import bench_video

    report = bench_video(race_s=1.0, track_slug="oval-loop", log=lambda m: None)
    assert report["frames"] == 15 and report["race_s"] == 1.0
    for key in ("seconds", "cpu_seconds", "peak_rss_mb", "realtime_factor", "bytes"):
        assert report[key] > 0
