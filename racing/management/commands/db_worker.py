"""The queue's worker (django-tasks-db's `db_worker`) with what races and videos need:

- it refuses to start when this host cannot build the sandbox that every untrusted child
  runs in (racing/isolation.py), with a message that names the fix, unless the organiser
  chose RACING_SANDBOX=weak;
- submissions and videos abandoned by a worker that died (their lease expired) are
  queued again at start and then every RACING["RECLAIM_INTERVAL_S"] seconds, from a side
  thread (`--no-reclaim`: not by this worker);
- the work root is swept of what dead workers left, at start and every
  RACING["SWEEP_INTERVAL_S"] seconds (always: it only removes what nobody uses);
- the default polling interval is 0.1 s (a race starts within a tenth of a second of
  its submission) and code reloading is off by default (it would cut races short).
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from racing.isolation import SandboxUnavailable
from racing.runner import longest_run_s
from racing.sandbox import sandbox_check
from racing.videos import videos_reclaim, videos_requeue_missing
from racing.workdirs import sweep
from racing.worker import submissions_reclaim

logger = logging.getLogger("racing")


def _once(what: str, job) -> int:
    try:
        count = job()
        if count:
            logger.info("%s: %d", what, count)
        return count
    except Exception:
        logger.exception("%s failed", what)
        return 0
    finally:
        connection.close()


def reclaim_once() -> int:
    """Queue again the races and videos of workers that died."""
    return _once("queued abandoned submissions again", submissions_reclaim) + _once(
        "queued abandoned videos again", videos_reclaim
    )


def sweep_once() -> int:
    return _once("swept leftover work folders", lambda: sweep(longest_run_s()))


def _housekeeping(stop: threading.Event, reclaim: bool) -> None:
    sweep_once()
    if reclaim:
        reclaim_once()
        # Videos that never got a render (a lost task, an earlier failure): once per start.
        _once("queued missing videos again", videos_requeue_missing)
    reclaim_s = float(settings.RACING["RECLAIM_INTERVAL_S"])
    sweep_s = float(settings.RACING["SWEEP_INTERVAL_S"])
    next_sweep = time.monotonic() + sweep_s
    while not stop.wait(reclaim_s if reclaim else min(reclaim_s, sweep_s)):
        if reclaim:
            reclaim_once()
        if time.monotonic() >= next_sweep:
            next_sweep = time.monotonic() + sweep_s
            sweep_once()


class Command(DbWorkerCommand):
    help = DbWorkerCommand.help + " (races and videos: sandbox check, reclaim, sweeps)"

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(interval=0.1, reload=False)
        parser.add_argument(
            "--no-reclaim",
            action="store_true",
            help="do not re-queue submissions and videos abandoned by dead workers",
        )

    def handle(self, *args, no_reclaim: bool = False, **options) -> None:
        try:
            sandbox_check()  # in weak mode, it says so
        except SandboxUnavailable as exc:
            raise CommandError(f"The worker cannot sandbox the models it runs: {exc}") from None
        finally:
            connection.close()
        threading.Thread(
            target=_housekeeping, args=(threading.Event(), not no_reclaim),
            name="housekeeping", daemon=True,
        ).start()  # fmt: skip
        super().handle(*args, **options)
