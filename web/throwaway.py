"""Throw-away servers for the benchmarks (`make bench`) and the integration test
(tests/integration): a PostgreSQL cluster made by `initdb` in a temporary folder and an
S3-compatible store (moto's server mode), each on a free local port, gone when stopped.

Nothing here is used by a running league; it lives in `web` so that `manage.py
bench_server` and the tests import one starter (tests import from the tree, never the
other way round). Redis has its starter in tests/live_support.py, which the live tests
already share.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Self


class ServerUnavailable(RuntimeError):
    """A throw-away server cannot be started on this machine; the message says how to fix it."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen | None, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServerUnavailable(f"exited ({proc.returncode}):\n{log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise ServerUnavailable(f"nothing listens on port {port} after {timeout_s:.0f} s; see {log}")


# --- PostgreSQL ---------------------------------------------------------------------------


def postgres_bin_dir() -> Path | None:
    """Where `initdb` and `pg_ctl` are: on the PATH, or Debian's versioned folder
    (/usr/lib/postgresql/<version>/bin, which the `postgresql` package does not put on the
    PATH), the newest version first."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: [int(x) for x in Path(p).parent.parent.name.split(".") if x.isdigit()],
    )
    return Path(versions[-1]).parent if versions else None


def postgres_missing_reason() -> str | None:
    """Why a throw-away cluster cannot be made here (None: it can)."""
    if postgres_bin_dir() is None:
        return "PostgreSQL is not installed (apt-get install postgresql): no initdb found"
    if os.geteuid() == 0 and _unprivileged_user() is None:
        return "running as root and there is no 'postgres' or 'nobody' user for initdb"
    return None


def _unprivileged_user() -> pwd.struct_passwd | None:
    # initdb and postgres refuse to run as root: as root, the cluster runs as the account
    # Debian's package creates (or nobody).
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    return None


class PostgresCluster:
    """A PostgreSQL cluster of its own: `initdb` in a temporary folder, trust log-ins for
    the local user `league`, listening on 127.0.0.1 and a free port, removed by stop().

    `durable=False` turns fsync and synchronous commits off: a test's data need not
    survive a power cut, and the benchmarks keep them on (figures as in production).
    """

    USER = "league"

    def __init__(self, *, durable: bool = True, max_connections: int = 200):
        self.durable = durable
        self.max_connections = max_connections
        self.port = free_port()
        self.dir: Path | None = None
        self.log: Path | None = None
        self._as: dict = {}

    @property
    def data(self) -> Path:
        assert self.dir is not None
        return self.dir / "data"

    def url(self, database: str = "league") -> str:
        return f"postgres://{self.USER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *argv: str, timeout_s: float = 120.0) -> None:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout_s, cwd=self.dir, check=False, **self._as
        )
        if proc.returncode:
            raise ServerUnavailable(
                f"{Path(argv[0]).name} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}"
            )

    def start(self) -> Self:
        reason = postgres_missing_reason()
        if reason:
            raise ServerUnavailable(reason)
        bin_dir = postgres_bin_dir()
        self.dir = Path(tempfile.mkdtemp(prefix="league-pg-"))
        self.log = self.dir / "postgres.log"
        if os.geteuid() == 0:
            user = _unprivileged_user()
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        self._run(
            str(bin_dir / "initdb"), "-D", str(self.data), "-U", self.USER, "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        options = [
            f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-k {self.dir}",
            f"-c max_connections={self.max_connections}",
        ]  # fmt: skip
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._run(
            str(bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
            "-o", " ".join(options), "start",
        )  # fmt: skip
        self.createdb("league")
        return self

    def createdb(self, name: str) -> str:
        """A new empty database of this cluster; returns its URL."""
        self._run(
            str(postgres_bin_dir() / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
            "-U", self.USER, name,
        )  # fmt: skip
        return self.url(name)

    def stop(self) -> None:
        if self.dir is None:
            return
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(postgres_bin_dir() / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                          "-w", "stop", timeout_s=60)  # fmt: skip
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- S3 (moto's server mode) --------------------------------------------------------------


def s3_missing_reason() -> str | None:
    try:
        import boto3  # noqa: F401  (only to see whether it is installed)
        import moto.server  # noqa: F401
    except ImportError as exc:
        return f"moto's S3 server is not installed (pip install 'moto[server]' boto3): {exc}"
    return None


class S3Server:
    """moto's S3 emulator on a free port (no cloud is reachable from here): the league
    talks to it through django-storages' real S3 backend. Any key pair is accepted."""

    ACCESS_KEY = "league-test-key"
    SECRET_KEY = "league-test-secret"
    REGION = "us-east-1"

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log = self.workdir / f"s3-{self.port}.log"

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def storage_url(self, bucket: str, prefix: str = "") -> str:
        """The league's STORAGE_URL for a bucket of this server (docs/organisers.md)."""
        path = f"{bucket}/{prefix}".rstrip("/")
        return f"s3://{path}?endpoint_url={self.endpoint_url}&region_name={self.REGION}&addressing_style=path"

    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": self.SECRET_KEY}

    def start(self) -> S3Server:
        reason = s3_missing_reason()
        if reason:
            raise ServerUnavailable(reason)
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        _wait_port(self.port, self.proc, self.log, timeout_s=60)
        return self

    def client(self):
        import boto3  # optional: only the tests and benchmarks need it

        return boto3.client(
            "s3", endpoint_url=self.endpoint_url, region_name=self.REGION,
            aws_access_key_id=self.ACCESS_KEY, aws_secret_access_key=self.SECRET_KEY,
        )  # fmt: skip

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        except ProcessLookupError:
            pass
