"""`python -m simulator.video bench`: what the video of a race costs on one core."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

from ..catalog import load_track
from ..drivers import house_drivers
from ..params import RaceRules
from ..policy import load_policy
from ..race import run_time_trial
from ..replay import write_replay
from .inputs import VideoSpec

BENCH_RACE_S = 60.0
BENCH_TRACK = "grand-prix"
# The video of a 60 s race on one core (issue 18): faster than this, in less memory.
TARGET_WALL_S = 6.0
TARGET_PEAK_MB = 200.0


def bench_video(race_s: float = BENCH_RACE_S, track_slug: str = BENCH_TRACK, spec: VideoSpec = VideoSpec(),
                log: Callable[[str], None] = print) -> dict:
    """Render and encode the video of a `race_s` race in a child process pinned to one
    core; report its wall and CPU seconds and its peak memory (ru_maxrss)."""
    driver = house_drivers()[0]
    policy = load_policy(driver.model.SerializeToString(), driver.metadata)
    track = load_track(track_slug)
    # Laps enough never to finish: the race runs to the time cap, exactly race_s long.
    result = run_time_trial(policy, track, RaceRules(laps=99, time_cap_s=race_s))
    with tempfile.TemporaryDirectory(prefix="video-bench-") as tmp:
        replay_path = Path(tmp) / "replay.json"
        write_replay(replay_path, result, track, track_slug)
        out = Path(tmp) / "race.mp4"
        cmd = [sys.executable, "-m", "simulator.video", "render", str(replay_path), "--track", track_slug,
               "--out", str(out), "--racer", driver.alias, "--title", f"Benchmark: {track_slug}",
               "--width", str(spec.width_px), "--height", str(spec.height_px), "--preset", spec.preset,
               "--crf", str(spec.crf), "--json", "--one-core"]
        root = Path(__file__).resolve().parents[2]
        env = {**os.environ, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        log(f"bench: video of a {race_s:.0f} s race on {track_slug} ({result.steps} steps), one core ...")
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=root, env=env, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"video render failed: {done.stderr.strip()[-2000:]}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
    report.update(race_s=race_s, track=track_slug, realtime_factor=round(race_s / report["seconds"], 2),
                  realtime_factor_cpu=round(race_s / max(report["cpu_seconds"], 1e-9), 2),
                  target_wall_s=TARGET_WALL_S * race_s / BENCH_RACE_S, target_peak_mb=TARGET_PEAK_MB)
    # Wall time equals CPU time on an idle core; on a busy machine the CPU time is the
    # cost of the work itself.
    log(f"bench: video {report['width_px']}x{report['height_px']} {report['frames']} frames "
        f"({report['preset']}, crf {report['crf']}): {report['seconds']:.2f} s wall, "
        f"{report['cpu_seconds']:.2f} s CPU on one core ({report['realtime_factor_cpu']:.1f}x real time), "
        f"peak memory {report['peak_rss_mb']:.0f} MB, {report['bytes'] / 1e6:.1f} MB file "
        f"(target < {report['target_wall_s']:g} s, < {TARGET_PEAK_MB:g} MB)")
    return report
