"""The queue's worker (django-tasks-db's `db_worker`) with what races and videos need:

- it refuses to start when this host cannot build the sandbox that every untrusted child
  runs in (racing/isolation.py), with a message that names the fix, unless the organiser
  chose RACING_SANDBOX=weak;
- submissions and videos abandoned by a worker that died (their lease expired) are
  queued again at start and then every RACING["RECLAIM_INTERVAL_S"] seconds, from a side
  thread (`--no-reclaim`: not by this worker);
- the work root is swept of what dead workers left, at start and every
  RACING["SWEEP_INTERVAL_S"] seconds (always: it only removes what nobody uses);
- it shows it is alive (racing/beats.py) at start and every few seconds, for /readyz and
  the metrics, and removes its sign of life when it stops cleanly;
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

from racing import beats, warm
from racing.isolation import SandboxUnavailable
from racing.runner import longest_run_s
from racing.sandbox import SandboxStartError, sandbox_check
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


def beat_once(queue: str) -> None:
    _once("worker heartbeat", lambda: beats.worker_beat(queue))


def _housekeeping(stop: threading.Event, reclaim: bool, queue: str) -> None:
    sweep_once()
    if reclaim:
        reclaim_once()
        # Videos that never got a render (a lost task, an earlier failure): once per start.
        _once("queued missing videos again", videos_requeue_missing)
    # Each job at its own pace; the thread wakes for whichever is due first.
    jobs = [
        (beats.BEAT_INTERVAL_S, lambda: beat_once(queue)),
        (float(settings.RACING["SWEEP_INTERVAL_S"]), sweep_once),
    ]
    if reclaim:
        jobs.append((float(settings.RACING["RECLAIM_INTERVAL_S"]), reclaim_once))
    due = [time.monotonic() + every for every, _ in jobs]
    while not stop.wait(max(0.0, min(due) - time.monotonic())):
        now = time.monotonic()
        for i, (every, job) in enumerate(jobs):
            if now >= due[i]:
                job()
                due[i] = now + every


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
        queue = options.get("queue_name") or "default"
        if queue in ("default", "*"):
            # The warm race host (racing/warm.py) starts now, not at the first race.
            try:
                warm.prestart()
            except SandboxStartError as exc:
                logger.warning("no warm race host (%s): races start cold", exc)
        beat_once(queue)  # alive from the first moment, not a beat later
        stop = threading.Event()
        housekeeping = threading.Thread(
            target=_housekeeping, args=(stop, not no_reclaim, queue),
            name="housekeeping", daemon=True,
        )  # fmt: skip
        housekeeping.start()
        try:
            super().handle(*args, **options)
        finally:
            # Stopped (Ctrl-C, SIGTERM, --batch, --max-tasks): no longer a worker. The
            # thread finishes a beat it is writing first, or that beat would bring it back.
            stop.set()
            housekeeping.join(timeout=5)
            _once("removing the worker heartbeat", beats.worker_beat_remove)
            warm.retire()
