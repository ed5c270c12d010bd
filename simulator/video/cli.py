"""`python -m simulator.video`: render a replay file to MP4, or time the video of a race."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

from ..catalog import load_track
from ..replay import read_replay
from .bench import BENCH_RACE_S, BENCH_TRACK, bench_video
from .encode import render_video
from .inputs import VideoLabels, VideoSpec


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cmd_render(args) -> int:
    if args.one_core and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    replay = read_replay(args.replay)
    track = load_track(args.track or (replay.get("track") or {}).get("ref", ""))
    spec = VideoSpec(width_px=args.width, height_px=args.height, preset=args.preset, crf=args.crf)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    info = render_video(track, replay, args.out, VideoLabels(racer=args.racer, title=args.title), spec)
    report = {**info.__dict__, "preset": spec.preset, "crf": spec.crf, "seconds": round(time.perf_counter() - t0, 3),
              "cpu_seconds": round(time.process_time() - cpu0, 3), "peak_rss_mb": round(_peak_rss_mb(), 1)}
    print(json.dumps(report) if args.json else
          f"{info.path}: {info.frames} frames, {info.duration_s:.2f} s, {info.bytes / 1e6:.1f} MB, "
          f"rendered in {report['seconds']:.2f} s, peak memory {report['peak_rss_mb']:.0f} MB")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulator.video", description="Race videos (MP4, H.264).")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("render", help="render a replay file to MP4")
    r.add_argument("replay", help="replay JSON (python -m simulator race --replay)")
    r.add_argument("--track", help="shipped track slug or .npy file, as the file runs: a replay of a reversed "
                                   "race turns it round (default: the replay's track)")
    r.add_argument("--out", required=True, help="MP4 file to write")
    r.add_argument("--racer", default="", help="racer alias shown in the video")
    r.add_argument("--title", default="", help="race or track name shown in the video")
    r.add_argument("--width", type=int, default=VideoSpec.width_px)
    r.add_argument("--height", type=int, default=VideoSpec.height_px)
    r.add_argument("--preset", default=VideoSpec.preset)
    r.add_argument("--crf", type=int, default=VideoSpec.crf)
    r.add_argument("--json", action="store_true", help="print one JSON object")
    r.add_argument("--one-core", action="store_true", help="pin the process to one CPU")
    b = sub.add_parser("bench", help=f"time the video of a {BENCH_RACE_S:g} s race on one core")
    b.add_argument("--seconds", type=float, default=BENCH_RACE_S)
    b.add_argument("--track", default=BENCH_TRACK)
    b.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if args.command == "render":
        return _cmd_render(args)
    report = bench_video(args.seconds, args.track, log=lambda m: print(m, file=sys.stderr, flush=True))
    if args.json:
        print(json.dumps(report, indent=2))
    return 0
