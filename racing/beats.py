"""Signs of life of the queue workers (`WorkerBeat`), for readiness and metrics.

Each `db_worker` renews its row every BEAT_INTERVAL_S from its housekeeping thread and
removes it when it stops cleanly; one killed outright leaves a row that stops being renewed,
and counts as dead once ALIVE_WITHIN_S has passed. The database is the one place every
machine shares, so any web process can tell which queues have a live worker.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from racing.models import WorkerBeat

BEAT_INTERVAL_S = 5.0
# A worker seen this recently is alive (several beats missed means it is gone or stuck).
ALIVE_WITHIN_S = 60.0
# Rows of workers that died without removing theirs are forgotten after this long.
FORGET_AFTER_S = 3600.0


def beat_name() -> str:
    """This process as a worker: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_beat(queue: str) -> None:
    """This worker, serving `queue` (as given to `db_worker --queue-name`), is alive now."""
    now = timezone.now()
    name = beat_name()
    renewed = WorkerBeat.objects.filter(name=name).update(queue=queue[:100], seen_at=now)
    if not renewed:
        WorkerBeat.objects.update_or_create(
            name=name,
            defaults={"queue": queue[:100], "host": socket.gethostname()[:150], "pid": os.getpid(),
                      "seen_at": now},
            create_defaults={"queue": queue[:100], "host": socket.gethostname()[:150],
                             "pid": os.getpid(), "started_at": now, "seen_at": now},
        )  # fmt: skip
        WorkerBeat.objects.filter(seen_at__lt=now - timedelta(seconds=FORGET_AFTER_S)).delete()


def worker_beat_remove() -> None:
    """This worker stops: it serves nothing any more."""
    WorkerBeat.objects.filter(name=beat_name()).delete()


def queues_served(queue: str) -> set[str]:
    """The configured queues a worker started with `--queue-name queue` takes tasks from."""
    configured = set(settings.TASKS["default"].get("QUEUES") or ["default"])
    names = {name.strip() for name in queue.split(",") if name.strip()}
    return configured if "*" in names else names & configured


def workers_alive() -> dict[str, int]:
    """How many workers seen in the last ALIVE_WITHIN_S serve each configured queue (a
    worker of several queues counts for each)."""
    since = timezone.now() - timedelta(seconds=ALIVE_WITHIN_S)
    counts = dict.fromkeys(settings.TASKS["default"].get("QUEUES") or ["default"], 0)
    for queue in WorkerBeat.objects.filter(seen_at__gte=since).values_list("queue", flat=True):
        for name in queues_served(queue):
            counts[name] += 1
    return counts
