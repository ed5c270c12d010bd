"""Shared fixtures: a file test database (worker subprocesses must see it), a media
folder per test session, and a real `db_worker` process for flow tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory):
    """A fresh SQLite file per test session (never the shared one, never in memory)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request):
    """Rate-limit counters live in the cache, a database table without Redis (which a
    transactional test's flush leaves alone): each test that may use them starts with none
    used. A test without the database has none to use."""
    if "simulator" in request.node.path.parts:
        return
    for name in ("transactional_db", "db"):
        if name in request.fixturenames:
            request.getfixturevalue(name)  # before the clear: it opens the database
            break
    else:
        if request.node.get_closest_marker("django_db") is None:
            return
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _media_root(request, tmp_path_factory):
    """Uploaded files of the server tests go to a temporary folder (the simulator's
    tests do not touch Django)."""
    if "simulator" in request.node.path.parts:
        return None
    settings = request.getfixturevalue("settings")
    media = tmp_path_factory.getbasetemp() / "media"
    media.mkdir(exist_ok=True)
    settings.MEDIA_ROOT = str(media)
    return media


def database_url() -> str:
    """The URL of the test database as the worker subprocess must see it."""
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{s['NAME']}"
    if "postgresql" in s["ENGINE"]:
        from urllib.parse import quote

        auth = quote(s.get("USER") or "")
        if s.get("PASSWORD"):
            auth += ":" + quote(s["PASSWORD"])
        host = s.get("HOST") or "localhost"
        port = f":{s['PORT']}" if s.get("PORT") else ""
        return f"postgres://{auth}@{host}{port}/{s['NAME']}"
    raise RuntimeError(f"no worker support for {s['ENGINE']}")


class WorkerProcess:
    """`python manage.py db_worker` against the test database, started and stopped by
    the test."""

    def __init__(self, media_root: str, queues: str = "default,videos", **env: str):
        self.media_root = media_root
        self.queues = queues
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.log = Path(media_root).parent / f"worker-{time.monotonic_ns()}.log"

    def start(self) -> "WorkerProcess":
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(),
            "MEDIA_ROOT": self.media_root,
            "PYTHONPATH": str(ROOT),
            "RACING_RETRY_BACKOFF_S": "0.2",
            **self.env,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--interval", "0.05",
             "--queue-name", self.queues, "-v", "1"],
            cwd=ROOT,
            env=env,
            stdout=open(self.log, "wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        """SIGKILL the worker (its race child dies with it)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def start_worker(settings):
    workers: list[WorkerProcess] = []

    def start(queues: str = "default,videos", **env: str) -> WorkerProcess:
        worker = WorkerProcess(str(settings.MEDIA_ROOT), queues, **env).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_for(predicate, timeout_s: float = 60.0, interval_s: float = 0.05, what: str = "condition"):
    """Poll until predicate() is truthy; returns its value (a deadline, not a timing
    assertion: it only bounds how long a broken test hangs)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()
