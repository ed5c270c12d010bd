"""Race-night load test: VIEWERS websockets on one web process follow a live run; the
frames' delay from the worker to the viewers, p50/p99 (web/night_bench.py).

By default on a scratch SQLite database and media folder (never your league);
`--in-place` uses the configured database.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from web import bench, night_bench


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--viewers", type=int, default=500)
        parser.add_argument("--laps", type=int, default=1)
        parser.add_argument("--poll-interval", type=float, default=0.25,
                            help="LIVE_POLL_INTERVAL_S of the web process (database transport)")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--in-place", action="store_true", help="use the configured database")

    def handle(self, *args, **opts):
        if not opts["in_place"]:
            with tempfile.TemporaryDirectory(prefix="night-bench-") as tmp:
                env = bench.default_scratch_env(Path(tmp))
                manage = [sys.executable, "manage.py"]
                subprocess.run([*manage, "migrate", "-v", "0"], cwd=settings.BASE_DIR, env=env, check=True)
                argv = [*manage, "bench_night", "--in-place", "--viewers", str(opts["viewers"]),
                        "--laps", str(opts["laps"]), "--poll-interval", str(opts["poll_interval"])]
                if opts["json"]:
                    argv.append("--json")
                if subprocess.run(argv, cwd=settings.BASE_DIR, env=env).returncode:
                    raise CommandError("the race-night benchmark failed")
            return
        log = (lambda m: self.stderr.write(m)) if opts["json"] else self.stdout.write
        report = night_bench.bench_night(viewers=opts["viewers"], laps=opts["laps"],
                                         poll_interval_s=opts["poll_interval"], log=log)
        if opts["json"]:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            for key, value in report.items():
                self.stdout.write(f"{key}: {value}")
