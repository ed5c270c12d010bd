"""Warm race hosts: a race worker keeps one sandboxed child that has already started
Python and imported the simulator (simulator/racehost.py), and races each submission in a
fork of it. A cold race pays for a new interpreter and its imports (most of a short race);
a warm one costs the race itself.

The sandbox is the same as a cold child's (racing/sandbox.py: bubblewrap, seccomp, the
limits), and every race is a fresh process inside it with its own CPU-time limit; the
host kills whatever a race left and empties the sandbox's /tmp before the next one. The
host is thrown away, and the next race gets a new one, after any race that did not end
in a result (a failure, a limit, a crash), after MAX_RACES races, when it sat idle for
MAX_IDLE_S, and whenever it misbehaves; a race the host could not run is raced cold
instead, so a broken host never costs a competitor their run.

`RACING["WARM_RUNNER"] = False` (RACING_WARM_RUNNER=0) races every submission cold.
"""

from __future__ import annotations

import json
import logging
import math
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

from django.conf import settings

from .isolation import SANDBOX_GID, SANDBOX_UID, as_root
from .sandbox import (
    MAX_STDOUT_BYTES,
    Limits,
    Outcome,
    SandboxStartError,
    StderrTail,
    child_env,
    drain,
    kill_group,
    outcome_of,
    pump,
    python_executable,
    read_lines,
    spawn,
)
from .workdirs import work_dir

logger = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0
MAX_RACES = 500
# Below the work-folder sweep's age limit (racing/workdirs.py), so the sweep never takes
# the folder of a host that is still in use.
MAX_IDLE_S = 300.0
# The host's own CPU time (its imports, then a fork per race): the races' CPU time is
# theirs, each with the race limit.
HOST_CPU_S = 3600.0


class HostBroken(RuntimeError):
    """The warm host could not run the race (it died, spoke nonsense, would not start)."""


class WarmHost:
    """One sandboxed race host and its folder; races one at a time."""

    def __init__(self, key: tuple[str, int, int]):
        _, memory_bytes, processes = key
        self.key = key
        self._stack = ExitStack()
        self.scratch = self._stack.enter_context(work_dir("warm"))
        self.races = 0
        self.last_used = time.monotonic()
        self.events: queue.Queue = queue.Queue()
        limits = Limits(memory_bytes=memory_bytes, cpu_s=HOST_CPU_S, wall_s=float("inf"),
                        processes=processes)  # fmt: skip
        try:
            self.proc, self.jailed = spawn(
                ["-m", "simulator.racehost"], limits, self.scratch, child_env(), (),
                stdin=subprocess.PIPE,
            )  # fmt: skip
        except BaseException:
            self._stack.close()
            raise
        for stream, kind in ((self.proc.stdout, "reply"), (self.proc.stderr, "line")):
            threading.Thread(target=read_lines, args=(stream, self.events, kind), daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT_S
        tail = StderrTail()
        while True:
            try:
                reply = self._reply(deadline, tail.add)
            except HostBroken as exc:
                self.close()
                raise SandboxStartError(f"could not start the warm race host: {exc}: {tail.text()[-500:]}") from None
            if reply.get("ready"):
                break

    def _reply(self, deadline: float, on_line: Callable[[str], None]) -> dict:
        """The host's next protocol message, handing its stderr lines to `on_line`."""
        while True:
            left = None if deadline == float("inf") else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise HostBroken("no answer in time")
            try:
                kind, payload = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if kind == "line":
                if payload is not None:
                    on_line(payload)
                continue
            if payload is None:
                raise HostBroken("the host stopped")
            try:
                return json.loads(payload)
            except ValueError:
                raise HostBroken(f"the host said {payload[:200]!r}") from None

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        kill_group(self.proc.pid)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                stream.close()
            except OSError:
                pass
        self._stack.close()

    def run(
        self, args: Sequence[str], limits: Limits, workdir: Path, *,
        on_stderr_line: Callable[[str], None] | None, on_tick: Callable[[], None] | None,
        tick_s: float,
    ) -> Outcome:
        """Race `python -m simulator ARGS` on the files of `workdir` (copied in), and move
        what the race wrote back into `workdir`. Raises HostBroken if the host failed."""
        self.races += 1
        self.last_used = time.monotonic()
        name = f"race-{self.races}"
        folder = self.scratch / name
        inputs = set(os.listdir(workdir))
        shutil.copytree(workdir, folder)
        if as_root():
            os.chown(folder, SANDBOX_UID, SANDBOX_GID)
        started = time.monotonic()
        tail = StderrTail(on_stderr_line)
        if list(args[:2]) != ["-m", "simulator"]:
            raise ValueError("a warm host runs `-m simulator ...` only")
        request = {"id": self.races, "dir": name, "argv": list(args[2:]),
                   "cpu_s": max(1, math.ceil(limits.cpu_s))}  # fmt: skip
        try:
            self.proc.stdin.write((json.dumps(request) + "\n").encode())
            self.proc.stdin.flush()
        except OSError as exc:
            raise HostBroken(f"cannot reach the host: {exc}") from None
        wall: list[str] = []

        def wall_hit() -> None:
            wall.append("wall")
            kill_group(self.proc.pid)

        # The reply comes as a "reply" line; pump() returns on "done".
        relay: queue.Queue = queue.Queue()

        def forward() -> None:
            try:
                relay.put(("done", self._reply(float("inf"), lambda line: relay.put(("line", line)))))
            except HostBroken as exc:
                relay.put(("done", exc))

        threading.Thread(target=forward, daemon=True).start()
        reply = pump(relay, deadline=started + limits.wall_s, on_line=tail.add, on_tick=on_tick,
                     tick_s=tick_s, on_deadline=wall_hit)  # fmt: skip
        drain(relay, tail.add)
        try:
            if wall:
                return outcome_of(-9, b"", tail, limits, limit="wall", cpu_s=0.0, max_rss_bytes=0,
                                  wall_s=time.monotonic() - started)  # fmt: skip
            if isinstance(reply, HostBroken):
                raise reply
            if reply.get("id") != self.races or not isinstance(reply.get("status"), int):
                raise HostBroken(f"the host answered {reply!r}")
            stdout = folder / "stdout.json"
            data = stdout.read_bytes()[:MAX_STDOUT_BYTES] if stdout.is_file() else b""
            for entry in os.listdir(folder):
                if entry not in inputs and entry != "stdout.json":
                    shutil.move(folder / entry, workdir / entry)
            return outcome_of(
                os.waitstatus_to_exitcode(reply["status"]), data, tail, limits, limit=None,
                cpu_s=float(reply.get("cpu_s") or 0.0),
                max_rss_bytes=int(reply.get("max_rss_kb") or 0) * 1024,
                wall_s=time.monotonic() - started,
            )  # fmt: skip
        finally:
            shutil.rmtree(folder, ignore_errors=True)


_lock = threading.RLock()  # retire() may run inside run_race()
_host: WarmHost | None = None


def enabled() -> bool:
    return bool(settings.RACING.get("WARM_RUNNER", True))


def _host_key() -> tuple[str, int, int]:
    """What a host is started with: a host started otherwise is replaced."""
    cfg = settings.RACING
    return python_executable(), int(cfg["SANDBOX_MEMORY_MB"]) << 20, int(cfg["SANDBOX_PROCESSES"])


def _get_host() -> WarmHost:
    global _host
    if _host is not None and (
        not _host.alive
        or _host.races >= MAX_RACES
        or time.monotonic() - _host.last_used > MAX_IDLE_S
        or _host.key != _host_key()
    ):
        retire()
    if _host is None:
        _host = WarmHost(_host_key())
    return _host


def retire() -> None:
    """Throw the current host away (the next race starts a new one)."""
    global _host
    with _lock:
        host, _host = _host, None
    if host is not None:
        host.close()


def prestart() -> None:
    """Start the host now, so that the first race does not wait for it."""
    if not enabled():
        return
    with _lock:
        _get_host()


def run_race(
    args: Sequence[str], limits: Limits, workdir: Path, *,
    on_stderr_line: Callable[[str], None] | None, on_tick: Callable[[], None] | None,
    tick_s: float,
) -> Outcome | None:
    """The race run in the warm host, or None when it could not be (warm runners off, or
    the host broke: the caller then races cold). Raises SandboxStartError as a cold start
    would."""
    if not enabled():
        return None
    with _lock:
        host = _get_host()
        try:
            outcome = host.run(args, limits, workdir, on_stderr_line=on_stderr_line,
                               on_tick=on_tick, tick_s=tick_s)  # fmt: skip
        except HostBroken as exc:
            logger.warning("warm race host failed (%s); racing cold instead", exc)
            retire()
            return None
        except BaseException:
            retire()
            raise
        if outcome.returncode != 0 or outcome.limit is not None:
            retire()
        return outcome
