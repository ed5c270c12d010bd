"""The queue's worker (django-tasks-db's `db_worker`) with two additions for races:

- submissions abandoned by a worker that died (their lease expired) are queued again at
  start and then every RACING["RECLAIM_INTERVAL_S"] seconds, from a side thread;
- the default polling interval is 0.1 s (a race starts within a tenth of a second of
  its submission) and code reloading is off by default (it would cut races short).
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import connection
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from racing.videos import videos_requeue_missing
from racing.worker import submissions_reclaim

logger = logging.getLogger("racing")


def reclaim_once() -> int:
    try:
        count = submissions_reclaim()
        if count:
            logger.info("queued %d abandoned submission(s) again", count)
        return count
    except Exception:
        logger.exception("reclaim of abandoned submissions failed")
        return 0
    finally:
        connection.close()


def _videos_requeue_once() -> None:
    """Videos whose render never finished (a worker died) are queued again at start."""
    try:
        count = videos_requeue_missing()
        if count:
            logger.info("queued %d missing video(s) again", count)
    except Exception:
        logger.exception("re-queueing missing videos failed")
    finally:
        connection.close()


def _reclaim_loop(stop: threading.Event, interval_s: float) -> None:
    while not stop.wait(interval_s):
        reclaim_once()


class Command(DbWorkerCommand):
    help = DbWorkerCommand.help + " (races: also re-queues races of dead workers)"

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(interval=0.1, reload=False)
        parser.add_argument(
            "--no-reclaim",
            action="store_true",
            help="do not re-queue submissions abandoned by dead workers",
        )

    def handle(self, *args, no_reclaim: bool = False, **options) -> None:
        if not no_reclaim:
            thread_starter = threading.Thread(
                target=self._start_reclaim, name="reclaim-start", daemon=True
            )
            thread_starter.start()
        super().handle(*args, **options)

    def _start_reclaim(self) -> None:
        reclaim_once()
        _videos_requeue_once()
        _reclaim_loop(threading.Event(), float(settings.RACING["RECLAIM_INTERVAL_S"]))
