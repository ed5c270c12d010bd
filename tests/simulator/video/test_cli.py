"""`python -m simulator.video render|bench` in a fresh process, and the benchmark."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from simulator.video.bench import bench_video

ROOT = Path(__file__).resolve().parents[3]


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


def test_help_in_a_fresh_process(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "simulator.video", "--help"], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=60)
    assert done.returncode == 0 and "render" in done.stdout and "bench" in done.stdout


def test_bench_entry_point_runs():
    report = bench_video(race_s=1.0, track_slug="oval-loop", log=lambda m: None)
    assert report["frames"] == 15 and report["race_s"] == 1.0
    for key in ("seconds", "cpu_seconds", "peak_rss_mb", "realtime_factor", "bytes"):
        assert report[key] > 0
