"""Whole deployments of the league in subprocesses, started the way docs/organisers.md and
compose.yaml run them: uvicorn web processes, `manage.py db_worker` race workers and a
video worker, on SQLite (the embedded default, as `make serve`) or on PostgreSQL, Redis
and S3 storage (the scale-out), each with its own environment.

The throw-away PostgreSQL cluster and S3 server come from web/throwaway.py (the
benchmarks use them too), Redis from tests/live_support.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

try:
    import requests  # installed with moto[server] (requirements-dev.txt)
except ImportError:  # reported by require_integration
    requests = None

from tests.conftest import ROOT
from tests.live_support import WsClient, WsClosed, free_port, stop_process, wait_port
from web.throwaway import postgres_missing_reason, s3_missing_reason

# Settings every process of a test deployment shares (config/settings.py reads them).
BASE_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "PYTHONPATH": str(ROOT),
    "PYTHONUNBUFFERED": "1",
    "DEBUG": "0",
    "SECRET_KEY": "integration-test-secret-key-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_COOKIES": "0",  # plain HTTP on the loopback
    # Videos only where the test asks for them (scenario.videos): a render per result
    # would take more CPU than the races.
    "RACING_VIDEOS": "0",
    # A killed worker's race is raced again within seconds, not a minute.
    "RACING_LEASE_S": "10",
    "RACING_RECLAIM_INTERVAL_S": "1",
    "RACING_RETRY_BACKOFF_S": "0.2",
}
# What a deployment must not inherit from the shell that runs the tests.
OUTSIDE_ENV = (
    "DATABASE_URL", "REDIS_URL", "STORAGE_URL", "MEDIA_ROOT", "MEDIA_URL", "LIVE_TRANSPORT",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL",
    "RACING_WORK_ROOT", "DJANGO_ALLOW_ASYNC_UNSAFE", "TEST_DATABASE_NAME",
)  # fmt: skip

# The commands of compose.yaml and the Makefile, nothing added.
WEB_ARGV = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
            "--lifespan", "off", "--no-proxy-headers"]  # fmt: skip
RACE_WORKER_ARGV = [sys.executable, "manage.py", "db_worker"]
VIDEO_WORKER_ARGV = [sys.executable, "manage.py", "db_worker", "--queue-name", "videos", "--no-reclaim"]


def stage(message: str) -> None:
    """Progress on the terminal (pytest -s), with the time since the test started."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def integration_missing() -> list[str]:
    reasons = [r for r in (postgres_missing_reason(), s3_missing_reason()) if r]
    if shutil.which("redis-server") is None:
        reasons.append("redis-server is not installed (apt-get install redis-server)")
    if requests is None:
        reasons.append("requests is not installed (pip install -r requirements-dev.txt)")
    if shutil.which("bwrap") is None:
        reasons.append("bubblewrap is not installed (apt-get install bubblewrap): workers refuse to start")
    return reasons


@pytest.fixture
def require_integration() -> None:
    """Skip with the reason when a piece is missing, fail instead under
    REQUIRE_INTEGRATION=1 (.ci/run sets it: in CI the test must run)."""
    reasons = integration_missing()
    if reasons:
        message = "integration test needs: " + "; ".join(reasons)
        if os.environ.get("REQUIRE_INTEGRATION"):
            pytest.fail(message)
        pytest.skip(message)


class Process:
    """One server process of a deployment, in its own session (so kill -9 takes its
    sandboxed children with it), its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path):
        self.name, self.argv, self.env = name, argv, env
        self.log = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> Process:
        self.starts += 1
        with open(self.log, "ab") as log:
            log.write(f"--- start {self.starts}: {' '.join(self.argv)}\n".encode())
            self.proc = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        stop_process(self.proc)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class Deployment:
    """A league of its own: an environment (database, Redis or not, storage) and the
    processes that serve it. `own_disks`: every process gets its own media and work
    folders, as on separate machines, so that anything written to a local disk instead
    of the shared storage would be missing for the others (and is found by the test)."""

    def __init__(self, name: str, root: Path, env: dict[str, str], *, own_disks: bool):
        self.name = name
        self.root = root
        self.own_disks = own_disks
        root.mkdir(parents=True, exist_ok=True)
        base = {k: v for k, v in os.environ.items() if k not in OUTSIDE_ENV}
        self.env = {**base, **BASE_ENV, "MEDIA_ROOT": str(root / "media"), **env}
        self.web: list[Process] = []
        self.race_workers: list[Process] = []
        self.video_workers: list[Process] = []
        self.ports: dict[str, int] = {}

    # --- processes ------------------------------------------------------------------------

    def disks(self, name: str) -> dict[str, str]:
        home = self.root / "machines" / name if self.own_disks else self.root
        return {"MEDIA_ROOT": str(home / "media"), "RACING_WORK_ROOT": str(home / "work" / name)}

    def _process(self, name: str, argv: list[str]) -> Process:
        return Process(f"{self.name}-{name}", argv, {**self.env, **self.disks(name)}, self.root)

    def run(self, *argv: str, timeout_s: float = 300.0) -> str:
        """A one-off command (migrate, the scenario) with the deployment's environment."""
        proc = subprocess.run(
            argv, cwd=ROOT, env={**self.env, **self.disks("admin")}, capture_output=True, text=True,
            timeout=timeout_s, check=False,
        )  # fmt: skip
        if proc.returncode:
            raise AssertionError(f"{self.name}: {' '.join(argv[1:])} failed:\n{proc.stderr[-4000:]}")
        return proc.stdout

    def manage(self, *args: str) -> str:
        return self.run(sys.executable, "manage.py", *args)

    def scenario(self, *args: str) -> dict:
        return json.loads(self.run(sys.executable, "-m", "tests.integration.scenario", *args))

    def start(self, *, web: int, race_workers: int, video_workers: int = 1) -> None:
        for i in range(web):
            port = free_port()
            self.web.append(self._process(f"web{i}", [*WEB_ARGV, "--port", str(port)]).start())
            self.ports[f"web{i}"] = port
        for i in range(race_workers):
            self.race_workers.append(self._process(f"race{i}", RACE_WORKER_ARGV).start())
        for i in range(video_workers):
            self.video_workers.append(self._process(f"video{i}", VIDEO_WORKER_ARGV).start())
        for i, proc in enumerate(self.web):
            wait_port(self.ports[f"web{i}"], proc.proc, proc.log, timeout_s=60)

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[f'web{i % len(self.web)}']}"

    def ws_url(self, i: int, path: str) -> str:
        return self.url(i).replace("http://", "ws://") + path

    def racing_now(self, worker: Process) -> int | None:
        """The submission this race worker races right now (its work folder for it exists
        from the claim to the record: racing/workdirs.py), or None."""
        root = Path(worker.env["RACING_WORK_ROOT"])
        for folder in root.glob(f"*-{worker.pid}/race-*"):
            return int(folder.name.split("-")[1])
        return None

    def stop(self) -> None:
        for proc in [*self.web, *self.race_workers, *self.video_workers]:
            proc.stop()

    def faults(self) -> list[str]:
        """What went wrong in the workers so far: a platform fault is never expected here, so
        the waits stop at the first one instead of running into their deadline."""
        lines = []
        for proc in [*self.race_workers, *self.video_workers]:
            lines += [line for line in proc.output().splitlines() if "platform fault" in line or "Error:" in line]
        return lines

    def logs(self) -> str:
        return "\n".join(
            f"===== {p.name}\n{p.output()[-3000:]}" for p in [*self.web, *self.race_workers, *self.video_workers]
        )

    # --- the API, as a racer's client uses it ---------------------------------------------

    def api(self, method: str, i: int, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Token {token}"} if token else {}
        return requests.request(method, self.url(i) + path, headers=headers, timeout=60, **kwargs)


class BoardListener:
    """A board socket (`ws/races/<id>/`) read by a thread: the result ids of every
    `leaderboard.update` it hears (docs/live.md)."""

    def __init__(self, url: str):
        self.url = url
        self.heard: set[int] = set()
        self.messages = 0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._client = WsClient(url)
        first = self._client.receive_json(timeout_s=30)
        assert first["type"] == "leaderboard.snapshot", first
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    message = self._client.receive_json(timeout_s=0.5)
                except TimeoutError:
                    continue
                self.messages += 1
                if message.get("type") == "leaderboard.update":
                    self.heard.update(c["result_id"] for c in message.get("changed", []) if c.get("result_id"))
        except WsClosed as exc:
            if not self._stop.is_set():
                self.error = exc
        except Exception as exc:  # noqa: BLE001  (reported by the test, not lost in a thread)
            self.error = exc

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._client.close()
