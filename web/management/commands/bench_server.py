"""Benchmark the server: leaderboard API latency at 10,000 racers / 100,000 results and
submit-to-leaderboard latency with a real worker.

By default it runs on a scratch SQLite database and media folder in a temporary
directory (the embedded default), so it never touches your league. `--in-place` runs on
the configured database (e.g. PostgreSQL via DATABASE_URL) and opens a season `bench`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from web import bench


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")
        parser.add_argument("--in-place", action="store_true", help="use the configured database")
        parser.add_argument("--racers", type=int, default=10_000)
        parser.add_argument("--results", type=int, default=100_000)
        parser.add_argument("--requests", type=int, default=1000)
        parser.add_argument("--submissions", type=int, default=20)
        parser.add_argument("--skip-leaderboard", action="store_true")
        parser.add_argument("--skip-submit", action="store_true")

    def handle(self, *args, **opts):
        if not opts["in_place"]:
            return self._scratch(opts)
        log = (lambda m: self.stderr.write(m)) if opts["json"] else self.stdout.write
        report = {}
        season = bench.bench_season()
        races = list(season.races.select_related("track", "season").order_by("order"))
        if not opts["skip_leaderboard"]:
            board_race = races[-1]
            if board_race.standings.count() < opts["racers"]:
                log(f"seeding {opts['racers']} racers / {opts['results']} results in race {board_race.pk}")
                bench.seed_leaderboard(board_race, racers=opts["racers"], results=opts["results"], log=log)
            report["leaderboard"] = bench.bench_leaderboard(board_race, requests=opts["requests"])
            log(f"leaderboard: {report['leaderboard']}")
        if not opts["skip_submit"]:
            race = next((r for r in races if r.track.slug == "oval-loop"), races[0])
            log(f"submit-to-leaderboard on {race.track.slug}, {opts['submissions']} submissions")
            report["submit_to_leaderboard"] = bench.bench_submit(race, submissions=opts["submissions"], log=log)
            log(f"submit-to-leaderboard: {report['submit_to_leaderboard']}")
        report["database"] = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        if opts["json"]:
            self.stdout.write(json.dumps(report, indent=2))

    def _scratch(self, opts) -> None:
        with tempfile.TemporaryDirectory(prefix="league-bench-") as tmp:
            env = bench.default_scratch_env(Path(tmp))
            manage = [sys.executable, "manage.py"]
            subprocess.run([*manage, "migrate", "-v", "0"], cwd=settings.BASE_DIR, env=env, check=True)
            argv = [*manage, "bench_server", "--in-place"]
            for key in ("racers", "results", "requests", "submissions"):
                argv += [f"--{key}", str(opts[key])]
            for flag in ("json", "skip_leaderboard", "skip_submit"):
                if opts[flag]:
                    argv.append("--" + flag.replace("_", "-"))
            proc = subprocess.run(argv, cwd=settings.BASE_DIR, env=env)
            if proc.returncode:
                raise CommandError(f"benchmark failed (exit {proc.returncode})")
