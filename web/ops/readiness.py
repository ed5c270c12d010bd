"""Is this web process ready for traffic? Each check reaches the real thing (the database,
the task queue's table, the media storage, the workers' signs of life) and says, when it
fails, what is wrong and how to fix it, for /readyz (web/ops/views.py)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django_tasks_db.models import DBTaskResult

from racing.beats import ALIVE_WITHIN_S, workers_alive

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def as_dict(self) -> dict:
        out = {"ok": self.ok, "detail": self.detail}
        if self.fix:
            out["fix"] = self.fix
        return out


def _failed(name: str, exc: Exception, fix: str) -> Check:
    # The full error goes to the log; the answer names the kind only (it may be public).
    logger.warning("readiness: %s unreachable: %s", name, exc)
    return Check(name, False, f"unreachable ({type(exc).__name__})", fix)


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return _failed("database", exc, "Start the database or correct DATABASE_URL.")
    return Check("database", True, connection.vendor)


def check_queue() -> Check:
    try:
        DBTaskResult.objects.exists()
    except Exception as exc:
        return _failed("queue", exc, "Create the queue's tables: python manage.py migrate.")
    return Check("queue", True, "database queue")


def check_storage() -> Check:
    bucket = getattr(default_storage, "bucket_name", None)
    try:
        if bucket:  # object storage: the bucket must answer to our credentials
            default_storage.connection.meta.client.head_bucket(Bucket=bucket)
            return Check("storage", True, "object storage")
        root = Path(settings.MEDIA_ROOT)
        root.mkdir(parents=True, exist_ok=True)
        if not os.access(root, os.W_OK | os.X_OK):
            return Check("storage", False, "media folder not writable",
                         f"Let this server's user write to MEDIA_ROOT ({root}).")  # fmt: skip
    except Exception as exc:
        fix = (
            "Create the bucket, and check STORAGE_URL (or AWS_STORAGE_BUCKET_NAME and "
            "AWS_S3_ENDPOINT_URL) and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY."
            if bucket
            else "Let this server's user create and write MEDIA_ROOT."
        )
        return _failed("storage", exc, fix)
    return Check("storage", True, "local folder")


_WORKER_COMMANDS = {
    "default": "python manage.py db_worker",
    "videos": "python manage.py db_worker --queue-name videos --no-reclaim",
}


def check_workers() -> list[Check]:
    """A live worker for the races, and one for the videos when videos are rendered."""
    try:
        alive = workers_alive()
    except Exception as exc:
        return [_failed("workers", exc, "Apply the migrations: python manage.py migrate.")]
    wanted = {"default": "race_workers"}
    if settings.RACING["VIDEOS"]:
        wanted["videos"] = "video_workers"
    checks = []
    for queue, name in wanted.items():
        count = alive.get(queue, 0)
        if count:
            checks.append(Check(name, True, f"{count} alive"))
        else:
            checks.append(Check(
                name, False, f"no worker of the {queue!r} queue seen in the last {ALIVE_WITHIN_S:.0f} s",
                f"Start one ({_WORKER_COMMANDS[queue]}, or `--queue-name '*'` for both queues).",
            ))  # fmt: skip
    return checks


def readiness() -> list[Check]:
    database = check_database()
    if not database.ok:  # everything else reads the database
        return [database]
    return [database, check_queue(), check_storage(), *check_workers()]
