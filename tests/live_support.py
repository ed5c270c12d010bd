"""Helpers of the live-update tests: results recorded through the real services, a
private Redis server, a web server subprocess (runserver or uvicorn) and a websocket
client for tests that need no browser."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from racing.submissions import submission_create
from racing.worker import result_record, submission_claim
from tests import factories as f
from tests.conftest import ROOT, database_url, wait_for


# --- Data ---------------------------------------------------------------------------------


def result_data(time_s: float, *, laps: int = 3, status: str = "finished") -> dict:
    finished = status == "finished"
    return {
        "status": status,
        "laps_completed": laps if finished else max(0, laps - 1),
        "lap_times_s": [round(time_s / laps, 3)] * laps,
        "total_time_s": time_s if finished else None,
        "best_lap_s": round(time_s / laps, 3),
        "avg_lap_s": round(time_s / laps, 3),
        "progress": 0.0 if finished else 0.5,
        "off_track_count": 0,
        "penalty_s": 0.0,
        "steps": int(time_s * 15),
        "trajectory_sha256": "0" * 64,
        "simulator_version": "test",
        "onnxruntime_version": "test",
        "numpy_version": "test",
        "model_sha256": "0" * 64,
        "error": None,
        "timing_method": "TOTAL_TIME",
        "official_time_s": time_s if finished else None,
    }


def submit(racer, race, **model_kwargs):
    return submission_create(racer=racer, model=f.policy_model(racer, **model_kwargs), race=race)


def record_result(racer, race, time_s: float, **kwargs):
    """A submission of `racer` raced to `time_s` through the services (no simulator)."""
    submission = submit(racer, race)
    claim = submission_claim(submission.pk)
    return result_record(claim=claim, data=result_data(time_s, **kwargs), replay_path=None)


def record_laps(racer, race, lap_times: list[float]):
    """A finished run of these laps, its official time by the race's timing method as
    the simulator computes it (no simulator)."""
    submission = submit(racer, race)
    total = round(sum(lap_times), 3)
    figures = {"TOTAL_TIME": total, "BEST_LAP_TIME": min(lap_times), "AVG_LAP_TIME": round(total / len(lap_times), 3)}
    data = {
        **result_data(total, laps=len(lap_times)), "lap_times_s": list(lap_times), "best_lap_s": min(lap_times),
        "avg_lap_s": figures["AVG_LAP_TIME"], "timing_method": race.timing_method,
        "official_time_s": figures[race.timing_method],
    }  # fmt: skip
    return result_record(claim=submission_claim(submission.pk), data=data, replay_path=None)


# --- Processes ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, log: Path, timeout_s: float = 30.0) -> None:
    def up():
        if proc.poll() is not None:
            raise AssertionError(f"process exited ({proc.returncode}):\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    wait_for(up, timeout_s=timeout_s, what=f"port {port}")


def stop_process(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    except ProcessLookupError:
        pass


class RedisServer:
    """A private redis-server on a free port, no persistence."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log = workdir / f"redis-{self.port}.log"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=open(self.log, "wb"), stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        wait_port(self.port, self.proc, self.log)
        return self

    def stop(self) -> None:
        stop_process(self.proc)


def require_redis() -> None:
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail(message)
        pytest.skip(message)


class WebServer:
    """The league served over HTTP and websockets by a subprocess against the test
    database: `runserver` (Daphne's, for development) or `uvicorn`, as `make serve` and
    the documented production command run it (Makefile)."""

    def __init__(self, media_root: str, *, kind: str = "runserver", **env: str):
        self.media_root = media_root
        self.kind = kind
        self.env = env
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log = Path(media_root).parent / f"web-{kind}-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "WebServer":
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(),
            "MEDIA_ROOT": self.media_root,
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the server must respect async safety
        if self.kind == "uvicorn":
            argv = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
                    "--port", str(self.port), "--lifespan", "off", "--no-proxy-headers"]  # fmt: skip
        else:
            argv = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"]
        self.proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=open(self.log, "wb"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        wait_port(self.port, self.proc, self.log)
        return self

    def stop(self) -> None:
        stop_process(self.proc)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


# --- A websocket client (the `websockets` package's sync client) ---------------------------


class WsClosed(Exception):
    def __init__(self, code: int | None):
        super().__init__(f"closed ({code})")
        self.code = code


class WsClient:
    """JSON messages over one socket, with the close code as WsClosed."""

    def __init__(self, url: str, *, cookie: str | None = None, timeout_s: float = 10.0):
        host = url.split("/")[2]
        headers = {"Cookie": cookie} if cookie else None
        self._stack = contextlib.ExitStack()
        self.ws = self._stack.enter_context(
            connect(url, origin=f"http://{host}", additional_headers=headers, open_timeout=timeout_s)
        )

    def send_json(self, message: dict) -> None:
        self.ws.send(json.dumps(message))

    def receive_json(self, timeout_s: float = 10.0) -> dict:
        try:
            return json.loads(self.ws.recv(timeout=timeout_s))
        except ConnectionClosed as exc:
            raise WsClosed(exc.rcvd.code if exc.rcvd else None) from None

    def receive_until(self, predicate, timeout_s: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no matching websocket message")
            try:
                message = self.receive_json(timeout_s=left)
            except TimeoutError:
                raise AssertionError("no matching websocket message") from None
            if predicate(message):
                return message

    def close(self) -> None:
        self._stack.close()
