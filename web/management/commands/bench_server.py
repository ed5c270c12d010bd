"""Benchmark the server: leaderboard API latency at 10,000 racers / 100,000 results,
submit-to-leaderboard latency with a real worker, and queue throughput (races per minute
with 1, 2 and 3 race workers).

By default it runs on scratch databases in a temporary directory, so it never touches your
league: the embedded default (SQLite file, local media: leaderboard and submit-to-leaderboard),
then a throw-away PostgreSQL cluster made by `initdb` (web/throwaway.py: leaderboard and
queue throughput), skipped with the reason when PostgreSQL is not installed. `--in-place`
runs on the configured database (e.g. PostgreSQL via DATABASE_URL) and opens a season `bench`.
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
from web.throwaway import PostgresCluster, ServerUnavailable, postgres_missing_reason


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
        parser.add_argument("--queue", action="store_true", help="with --in-place: measure queue throughput")
        parser.add_argument("--queue-workers", default="1,2,3", help="race worker counts to measure (1,2,3)")
        parser.add_argument("--queue-submissions", type=int, default=30, help="races per worker count")
        parser.add_argument("--skip-postgres", action="store_true", help="the embedded SQLite figures only")

    def handle(self, *args, **opts):
        if not opts["in_place"]:
            return self._scratch(opts)
        log = (lambda m: self.stderr.write(m)) if opts["json"] else self.stdout.write
        report = {}
        season = bench.bench_season()
        races = list(season.races.select_related("track", "season").order_by("order"))
        oval = next((r for r in races if r.track.slug == "oval-loop"), races[0])
        if not opts["skip_leaderboard"]:
            board_race = races[-1]
            if board_race.standings.count() < opts["racers"]:
                log(f"seeding {opts['racers']} racers / {opts['results']} results in race {board_race.pk}")
                bench.seed_leaderboard(board_race, racers=opts["racers"], results=opts["results"], log=log)
            report["leaderboard"] = bench.bench_leaderboard(board_race, requests=opts["requests"])
            log(f"leaderboard: {report['leaderboard']}")
        if not opts["skip_submit"]:
            log(f"submit-to-leaderboard on {oval.track.slug}, {opts['submissions']} submissions")
            report["submit_to_leaderboard"] = bench.bench_submit(oval, submissions=opts["submissions"], log=log)
            log(f"submit-to-leaderboard: {report['submit_to_leaderboard']}")
            log(f"{opts['submissions']} submissions at once on {oval.track.slug}, one warm worker")
            report["burst"] = bench.bench_burst(oval, submissions=opts["submissions"], log=log)
            log(f"burst: {report['burst']}")
        if opts["queue"]:
            workers = tuple(int(n) for n in opts["queue_workers"].split(",") if n.strip())
            log(f"queue throughput on {oval.track.slug}: {opts['queue_submissions']} races with {workers} workers")
            report["queue"] = bench.bench_queue(
                oval, workers=workers, submissions=opts["queue_submissions"], log=log
            )
        report["database"] = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        if opts["json"]:
            self.stdout.write(json.dumps(report, indent=2))

    def _scratch(self, opts) -> None:
        reports = {}
        with tempfile.TemporaryDirectory(prefix="league-bench-") as tmp:
            self._say(opts, "== embedded default: SQLite, local media")
            sqlite_argv = self._argv(opts, skip_submit=opts["skip_submit"])
            reports["sqlite"] = self._run(bench.default_scratch_env(Path(tmp) / "sqlite"), sqlite_argv)
            if opts["skip_postgres"]:
                pass
            elif reason := postgres_missing_reason():
                self._say(opts, f"== PostgreSQL figures skipped: {reason}")
                reports["postgresql"] = {"skipped": reason}
            else:
                self._say(opts, "== PostgreSQL (a throw-away cluster from initdb, fsync on)")
                try:
                    with PostgresCluster() as pg:
                        env = {**bench.default_scratch_env(Path(tmp) / "postgresql"), "DATABASE_URL": pg.url()}
                        reports["postgresql"] = self._run(env, [*self._argv(opts, skip_submit=True), "--queue"])
                except ServerUnavailable as exc:
                    raise CommandError(f"the PostgreSQL cluster did not start: {exc}") from None
        if opts["json"]:
            self.stdout.write(json.dumps(reports, indent=2))
            return
        for name, report in reports.items():
            for key, figures in report.items():
                if key == "queue":
                    for run in figures["runs"]:
                        self.stdout.write(f"{name} queue, {run['workers']} worker(s) on {figures['cores']} cores: {run}")
                elif key != "database":
                    self.stdout.write(f"{name} {key}: {figures}")

    def _say(self, opts, message: str) -> None:
        (self.stderr if opts["json"] else self.stdout).write(message)

    @staticmethod
    def _argv(opts, *, skip_submit: bool) -> list[str]:
        argv = [sys.executable, "manage.py", "bench_server", "--in-place", "--json"]
        for key in ("racers", "results", "requests", "submissions", "queue_workers", "queue_submissions"):
            argv += [f"--{key.replace('_', '-')}", str(opts[key])]
        if opts["skip_leaderboard"]:
            argv.append("--skip-leaderboard")
        if skip_submit:
            argv.append("--skip-submit")
        return argv

    @staticmethod
    def _run(env: dict, argv: list[str]) -> dict:
        """Migrate the scratch database, then the benchmark in a process of its own (its
        settings come from `env`); its progress goes to stderr, its figures come back."""
        Path(env["MEDIA_ROOT"]).mkdir(parents=True, exist_ok=True)
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v", "0"], cwd=settings.BASE_DIR, env=env, check=True)
        proc = subprocess.run(argv, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True, check=False)
        if proc.returncode:
            raise CommandError(f"benchmark failed (exit {proc.returncode})")
        return json.loads(proc.stdout)
