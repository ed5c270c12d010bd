"""The one place where the server runs untrusted work: a child process in a sandbox.

Upload checks, races and video renders all run `python ...` through `run_sandboxed`. The
child runs inside bubblewrap (racing/isolation.py: its own user, no network, its own
PIDs, a read-only view of only what it needs, one writable work folder) and under an
address-space limit (RLIMIT_AS), a CPU-time limit (RLIMIT_CPU), a process limit
(RLIMIT_NPROC), a cap on the size of files it writes, no core dumps, a scrubbed
environment, its own process group and a parent-death signal; the parent enforces a
wall-clock limit. Whatever the model does, the worker that started it carries on.

`RACING["SANDBOX"] = "weak"` keeps the limits without bubblewrap, for hosts that cannot
provide it; every run then logs a warning. `sandbox_check` proves at worker start that
the host can build the sandbox, or says how to fix it.

`Outcome.limit` says which limit ended the child ("memory", "cpu", "wall") so the caller
can tell the competitor; `SandboxStartError` is the platform's fault (cannot spawn).
"""

from __future__ import annotations

import collections
import logging
import math
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from .isolation import (
    FIX,
    INSTALL,
    SANDBOX_UID,
    SandboxUnavailable,
    bwrap_executable,
    popen_jailed,
    sandbox_mode,
)
from .syscalls import SeccompUnavailable, filter_bpf
from .workdirs import is_work_dir, work_dir

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MAX_STDOUT_BYTES = 16 * 1024 * 1024
MAX_STDERR_KEEP_BYTES = 64 * 1024
MAX_STDERR_LINE_BYTES = 64 * 1024  # a longer "line" arrives in pieces of this size
MAX_FILE_BYTES = 512 * 1024 * 1024
# Processes and threads of one child (RLIMIT_NPROC): a single-threaded race needs a
# handful; the cap stops a fork bomb.
DEFAULT_PROCESSES = 32
WEAK_WARNING = (
    "RACING_SANDBOX=weak: this run has resource limits but no sandbox; a hostile model "
    f"may read the server's files and reach its network. {INSTALL}."
)

# Messages of an allocation that failed under RLIMIT_AS, from Python, C and C++ code.
MEMORY_MARKERS = (
    "MemoryError",
    "bad_alloc",
    "Cannot allocate memory",
    "Failed to allocate",
    "out of memory",
    "Out of memory",
    "std::bad_alloc",
    "unable to allocate",
    "Unable to allocate",
    "failed to map segment",
)


class SandboxStartError(RuntimeError):
    """The child could not be started: the platform's fault, never the model's."""


@dataclass(frozen=True)
class Limits:
    memory_bytes: int
    cpu_s: float
    wall_s: float
    file_bytes: int = MAX_FILE_BYTES
    processes: int = DEFAULT_PROCESSES

    def describe(self, limit: str) -> str:
        if limit == "memory":
            return f"memory limit ({self.memory_bytes // (1024 * 1024)} MB)"
        if limit == "cpu":
            return f"CPU-time limit ({self.cpu_s:g} s)"
        if limit == "wall":
            return f"wall-clock limit ({self.wall_s:g} s)"
        return limit


@dataclass
class Outcome:
    returncode: int  # negative: killed by that signal
    stdout: bytes
    stderr: str  # the tail, at most MAX_STDERR_KEEP_BYTES
    limit: str | None = None  # "memory" | "cpu" | "wall": the limit that ended the child
    cpu_s: float = 0.0
    max_rss_bytes: int = 0
    wall_s: float = 0.0
    stderr_lines: list[str] = field(default_factory=list, repr=False)

    @property
    def signal(self) -> int | None:
        return -self.returncode if self.returncode < 0 else None

    @property
    def signal_name(self) -> str:
        sig = self.signal
        if sig is None:
            return ""
        try:
            return signal.Signals(sig).name
        except ValueError:
            return f"signal {sig}"


# The limits are applied by a tiny bootstrap in the child itself, which then execs the
# real command: no `preexec_fn`, which is unsafe in a threaded parent (the web server
# runs upload checks from its thread pool). In the sandbox of a root worker the bootstrap
# first becomes the sandbox's user (racing/isolation.py); changing user clears the
# capabilities bubblewrap left for that, and the parent-death signal, so that is set
# last. PR_SET_PDEATHSIG survives the exec: the child dies with the process that
# started it. RLIMIT_NPROC only in the sandbox: outside it, it would count every process
# of the worker's user.
_BOOTSTRAP = """
import ctypes, os, resource, signal, sys
memory, cpu, file_bytes, processes, uid = (int(v) for v in sys.argv[1:6])
if uid >= 0 and os.getuid() == 0:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid:
        sys.exit("sandbox: could not switch to the sandbox user")
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
if processes > 0:
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
try:
    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)
except Exception:
    pass
os.execv(sys.argv[6], sys.argv[6:])
"""


def limited_argv(
    argv: Sequence[str], limits: Limits, *, python: str | None = None, uid: int = -1,
    processes: int = 0,
) -> list[str]:
    """`argv` prefixed with the bootstrap that applies `limits` (and becomes `uid` if it
    starts as root; limits the processes if `processes`) before exec."""
    cpu = max(1, int(math.ceil(limits.cpu_s)))
    return [
        python or sys.executable, "-S", "-c", _BOOTSTRAP,
        str(int(limits.memory_bytes)), str(cpu), str(int(limits.file_bytes)),
        str(int(processes)), str(int(uid)),
        *argv,
    ]  # fmt: skip


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A minimal environment: nothing of the server's secrets reaches the child."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "PYTHONPATH": str(PROJECT_ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONUNBUFFERED": "1",
        "LANG": "C.UTF-8",
        # One thread per race: results do not hinge on the machine, and workers do not
        # fight over cores.
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    if extra:
        env.update(extra)
    return env


def python_executable() -> str:
    return settings.RACING.get("PYTHON") or sys.executable


def kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def spawn(
    args: Sequence[str], limits: Limits, scratch: Path, env: dict[str, str],
    ro_paths: Sequence[str], stdin: int = subprocess.DEVNULL,
) -> tuple[subprocess.Popen, bool]:
    """Start the child: (the process, whether it runs in bubblewrap)."""
    python = python_executable()
    if not os.access(python, os.X_OK):  # the bootstrap's exec would fail inside the child
        raise SandboxStartError(f"could not start the simulator: {python} is not an executable")
    if not is_work_dir(scratch):
        # The child's one writable folder is bound read-write: never anything else.
        raise SandboxStartError(f"{scratch} is not a work folder (racing.workdirs.work_dir)")
    popen = dict(cwd=str(scratch), stdin=stdin, stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, start_new_session=True, close_fds=True)  # fmt: skip
    try:
        mode = sandbox_mode()
        bwrap = bwrap_executable() if mode == "bwrap" else ""
    except SandboxUnavailable as exc:
        raise SandboxStartError(f"could not start the sandbox: {exc}") from None
    if mode == "weak":
        logger.warning(WEAK_WARNING)
        argv = limited_argv([python, *args], limits, python=python)
        try:
            return subprocess.Popen(argv, env=env, **popen), False
        except (OSError, subprocess.SubprocessError) as exc:
            raise SandboxStartError(f"could not start the simulator: {exc}") from exc
    try:
        proc = popen_jailed(
            lambda uid: limited_argv([python, *args], limits, python=python, uid=uid,
                                     processes=limits.processes),
            bwrap=bwrap, scratch=scratch, python=python, env=env, ro_paths=ro_paths, **popen,
        )  # fmt: skip
    except (SandboxUnavailable, OSError, subprocess.SubprocessError) as exc:
        raise SandboxStartError(f"could not start the sandbox: {exc}") from None
    return proc, True


def run_sandboxed(
    args: Sequence[str],
    limits: Limits,
    *,
    cwd: str | Path,
    env: dict[str, str] | None = None,
    on_stderr_line: Callable[[str], None] | None = None,
    on_tick: Callable[[], None] | None = None,
    tick_s: float = 1.0,
    ro_paths: Sequence[str] = (),
    stdin: int = subprocess.DEVNULL,
) -> Outcome:
    """Run `python ARGS...` in a sandboxed child working in `cwd` (a work folder from
    `racing.workdirs.work_dir`, the child's only writable one: pass it files by their
    names relative to it), under `limits`; `ro_paths` are more host paths it may read.

    `stdin` is the child's (a pipe's reading end for a live race's input; none by default).
    `on_stderr_line` gets each stderr line as it comes and `on_tick` is called about every
    `tick_s` seconds, both in the calling thread (so they may use the database); an
    exception from either kills the child and propagates.
    """
    started = time.monotonic()
    proc, jailed = spawn(args, limits, Path(cwd), child_env(env), ro_paths, stdin=stdin)
    events: queue.Queue = queue.Queue()
    stdout_chunks: list[bytes] = []
    tail = StderrTail(on_stderr_line)

    def read_stdout() -> None:
        size = 0
        for chunk in iter(lambda: proc.stdout.read(65536), b""):
            if size < MAX_STDOUT_BYTES:
                stdout_chunks.append(chunk[: MAX_STDOUT_BYTES - size])
                size += len(chunk)

    def wait_child() -> None:
        while True:
            try:
                _, status, usage = os.wait4(proc.pid, 0)
                break
            except InterruptedError:  # pragma: no cover
                continue
        events.put(("done", (status, usage)))

    readers = [
        threading.Thread(target=read_stdout, daemon=True),
        threading.Thread(target=read_lines, args=(proc.stderr, events, "line"), daemon=True),
    ]
    waiter = threading.Thread(target=wait_child, daemon=True)
    for thread in (*readers, waiter):
        thread.start()

    limit: list[str] = []

    def wall_hit() -> None:
        limit.append("wall")
        kill_group(proc.pid)

    try:
        exit_info = pump(events, deadline=started + limits.wall_s, on_line=tail.add,
                         on_tick=on_tick, tick_s=tick_s, on_deadline=wall_hit)  # fmt: skip
    except BaseException:
        kill_group(proc.pid)
        waiter.join(5)
        raise
    finally:
        # Grandchildren could keep the pipes open: end the whole group, then drain.
        kill_group(proc.pid)
        for thread in readers:
            thread.join(5)
    drain(events, tail.add)  # lines that arrived between the exit and the end of the stream

    status, usage = exit_info
    returncode = os.waitstatus_to_exitcode(status)
    proc.returncode = returncode  # reaped by wait4: keep Popen from waiting again
    if jailed and returncode > 128:
        returncode = 128 - returncode  # bubblewrap says "killed by signal N" as 128 + N
    for stream in (proc.stdout, proc.stderr):
        stream.close()
    return outcome_of(
        returncode, b"".join(stdout_chunks), tail, limits,
        limit=limit[0] if limit else None,
        cpu_s=usage.ru_utime + usage.ru_stime,
        max_rss_bytes=usage.ru_maxrss * 1024,
        wall_s=time.monotonic() - started,
    )  # fmt: skip


def outcome_of(
    returncode: int, stdout: bytes, tail: "StderrTail", limits: Limits, *, limit: str | None,
    cpu_s: float, max_rss_bytes: int, wall_s: float,
) -> Outcome:
    """The Outcome of a child that ended with `returncode`, naming the limit it hit."""
    stderr_text = tail.text()
    if limit is None:
        limit = _limit_hit(returncode, cpu_s, limits, stderr_text)
    return Outcome(
        returncode=returncode,
        stdout=stdout,
        stderr=stderr_text,
        limit=limit,
        cpu_s=cpu_s,
        max_rss_bytes=max_rss_bytes,
        wall_s=wall_s,
        stderr_lines=list(tail.lines),
    )


class StderrTail:
    """The last MAX_STDERR_KEEP_BYTES of a child's stderr, line by line (a child that floods
    stderr must not fill the caller's memory), each line also handed to `on_line`."""

    def __init__(self, on_line: Callable[[str], None] | None = None):
        self.lines: collections.deque[str] = collections.deque()
        self._kept = 0
        self._on_line = on_line

    def add(self, line: str) -> None:
        self.lines.append(line)
        self._kept += len(line) + 1
        while self._kept > MAX_STDERR_KEEP_BYTES and len(self.lines) > 1:
            self._kept -= len(self.lines.popleft()) + 1
        if self._on_line is not None:
            self._on_line(line)

    def text(self) -> str:
        return "\n".join(self.lines)[-MAX_STDERR_KEEP_BYTES:]


def read_lines(stream, events: queue.Queue, kind: str) -> None:
    """Put each line of `stream` on `events` as (kind, text) until it ends, then (kind, None)."""
    for raw in iter(lambda: stream.readline(MAX_STDERR_LINE_BYTES), b""):
        events.put((kind, raw.decode("utf-8", "replace").rstrip("\n")))
    events.put((kind, None))


def pump(
    events: queue.Queue, *, deadline: float, on_line: Callable[[str], None],
    on_tick: Callable[[], None] | None, tick_s: float, on_deadline: Callable[[], None],
) -> object:
    """Hand each ("line", text) event to `on_line` until a ("done", payload) event, and
    return the payload. `on_tick` runs about every `tick_s` s and `on_deadline` once when
    the monotonic `deadline` passes, all in the calling thread (so they may use the
    database); other events are ignored."""
    next_tick = time.monotonic() + tick_s
    while True:
        now = time.monotonic()
        if now >= deadline:
            on_deadline()
            deadline = float("inf")
        if on_tick is not None and now >= next_tick:
            next_tick = now + tick_s
            on_tick()
        timeout = max(0.0, min(deadline, next_tick) - time.monotonic())
        try:
            kind, payload = events.get(timeout=timeout)
        except queue.Empty:
            continue
        if kind == "done":
            return payload
        if kind == "line" and payload is not None:
            on_line(payload)


def drain(events: queue.Queue, on_line: Callable[[str], None]) -> None:
    """The lines still queued, handed to `on_line`."""
    while True:
        try:
            kind, payload = events.get_nowait()
        except queue.Empty:
            return
        if kind == "line" and payload is not None:
            on_line(payload)


def _limit_hit(returncode: int, cpu_s: float, limits: Limits, stderr: str) -> str | None:
    if returncode == -signal.SIGXCPU:
        return "cpu"
    if returncode == -signal.SIGKILL and cpu_s >= math.ceil(limits.cpu_s) - 0.05:
        return "cpu"
    if returncode != 0 and any(marker in stderr for marker in MEMORY_MARKERS):
        return "memory"
    if returncode == -signal.SIGKILL:
        # Nobody else sends SIGKILL to a race but the kernel's OOM killer.
        return "memory"
    return None


PROBE = "import os, numpy, onnxruntime, simulator; print('ok', os.getuid())"


def sandbox_check() -> str:
    """The sandbox mode, once this host has shown it can run a child in it (a worker calls
    this before it takes any task). Raises SandboxUnavailable naming the fix."""
    mode = sandbox_mode()
    if mode == "weak":
        logger.warning(WEAK_WARNING)
        return mode
    try:
        filter_bpf()
    except SeccompUnavailable as exc:
        logger.warning("the sandbox runs without its seccomp filter: %s", exc)
    limits = Limits(memory_bytes=int(settings.RACING["SANDBOX_MEMORY_MB"]) << 20, cpu_s=60, wall_s=120)
    with work_dir("probe") as scratch:
        try:
            out = run_sandboxed(["-c", PROBE], limits, cwd=scratch)
        except SandboxStartError as exc:
            raise SandboxUnavailable(str(exc) if FIX in str(exc) else f"{exc}. {FIX}") from None
    if out.returncode != 0 or out.stdout.split() != [b"ok", str(SANDBOX_UID).encode()]:
        lines = [line for line in out.stderr.splitlines() if line.strip()]
        why = lines[-1] if lines else f"exit code {out.returncode}"
        raise SandboxUnavailable(f"the sandbox does not work on this host ({why}). {FIX}")
    return mode
