"""`python -m simulator.duel_bench`: head-to-head matches per core-minute (issue 17).

A match is two duels of two cars (`duel.run_match`). For the STATE and the camera house
drivers, each against a copy of itself on the benchmark track, the match's CPU time (this
process's, so other processes' load counts against nothing) gives how many matches one
core races a minute: what a ladder's match budget per hour can ask of a worker. The
league's sandbox and process start add a fixed cost per match on top (not measured here).
"""

from __future__ import annotations

import argparse
import json
import sys
from time import process_time

from .catalog import list_tracks, load_track
from .drivers import house_drivers
from .duel import DuelSettings, match_dict, run_match
from .params import RaceRules
from .policy import load_policy

BENCH_DRIVERS = ("state-pursuit", "camera-centreline")


def bench_matches(quick: bool = False, track_slug: str | None = None, log=lambda m: None) -> dict:
    track = load_track(track_slug or list_tracks()[0].slug)
    rules = RaceRules(laps=1 if quick else 3)
    runs = 1 if quick else 3
    out = {"track": track.name, "laps": rules.laps, "drivers": []}
    drivers = {d.name: d for d in house_drivers()}
    for name in BENCH_DRIVERS:
        driver = drivers[name]
        data = driver.model.SerializeToString()
        best = None
        steps = 0
        for seed in range(1, runs + 1):
            pair = [load_policy(data, driver.metadata) for _ in range(2)]
            t0 = process_time()
            outcome = match_dict(run_match(*pair, track, rules, settings=DuelSettings(start="staggered", seed=seed)))
            cpu = process_time() - t0
            if best is None or cpu < best:
                best = cpu
                steps = sum(d[side]["steps"] for d in outcome["duels"] for side in ("a", "b"))
        entry = {"name": name, "match_cpu_s": round(best, 3), "matches_per_core_minute": round(60.0 / best, 1),
                 "car_steps_per_match": steps}
        log(f"{name}: {entry['matches_per_core_minute']} matches per core-minute ({best:.2f} s CPU a match)")
        out["drivers"].append(entry)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulator.duel_bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="one-lap duels, one run each")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    report = bench_matches(args.quick, log=lambda m: print(m, file=sys.stderr, flush=True))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for d in report["drivers"]:
            print(f"{d['name']:<18} {d['matches_per_core_minute']:8.1f} matches per core-minute"
                  f"  ({d['match_cpu_s']:.2f} s CPU, {d['car_steps_per_match']} car steps a match)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
