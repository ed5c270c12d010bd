"""Helpers of the live-update tests: results recorded through the real services, a
private Redis server, a web server subprocess (runserver or Daphne) and a tiny
websocket client for tests that need no browser."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

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
    from racing.services import submission_create

    return submission_create(racer=racer, model=f.policy_model(racer, **model_kwargs), race=race)


def record_result(racer, race, time_s: float, **kwargs):
    """A submission of `racer` raced to `time_s` through the services (no simulator)."""
    from racing.services import result_record, submission_claim

    submission = submit(racer, race)
    claim = submission_claim(submission.pk)
    return result_record(claim=claim, data=result_data(time_s, **kwargs), replay_path=None)


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
    database: `runserver` (Daphne's, what `make serve` runs) or the `daphne` command."""

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
            "DJANGO_SETTINGS_MODULE": "league.settings",
            "DATABASE_URL": database_url(),
            "MEDIA_ROOT": self.media_root,
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the server must respect async safety
        if self.kind == "daphne":
            argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
                    "league.asgi:application"]  # fmt: skip
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


# --- A minimal websocket client (RFC 6455, text frames) -----------------------------------


class WsClosed(Exception):
    def __init__(self, code: int | None):
        super().__init__(f"closed ({code})")
        self.code = code


class WsClient:
    def __init__(self, url: str, *, origin: str | None = None, cookie: str | None = None,
                 timeout_s: float = 10.0):
        assert url.startswith("ws://")
        hostport, _, path = url[5:].partition("/")
        host, _, port = hostport.partition(":")
        self.sock = socket.create_connection((host, int(port or 80)), timeout=timeout_s)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET /{path} HTTP/1.1",
            f"Host: {hostport}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            f"Origin: {origin or 'http://' + hostport}",
        ]
        if cookie:
            lines.append(f"Cookie: {cookie}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise WsClosed(None)
            head += chunk
        head, _, self._buf = head.partition(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise ConnectionRefusedError(status.decode(errors="replace"))

    def _read(self, n: int) -> bytes:
        while len(self._buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise WsClosed(None)
            self._buf += chunk
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_json(self, message: dict) -> None:
        self._send_frame(0x1, json.dumps(message).encode())

    def receive_json(self, timeout_s: float = 10.0) -> dict:
        self.sock.settimeout(timeout_s)
        message = b""
        while True:
            b1, b2 = self._read(2)
            opcode, n = b1 & 0x0F, b2 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            if opcode == 0x8:
                raise WsClosed(struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None)
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x1, 0x0):
                message += payload
                if b1 & 0x80:
                    return json.loads(message)

    def receive_until(self, predicate, timeout_s: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no matching websocket message")
            try:
                message = self.receive_json(timeout_s=left)
            except socket.timeout:
                raise AssertionError("no matching websocket message") from None
            if predicate(message):
                return message

    def close(self) -> None:
        try:
            self._send_frame(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()
