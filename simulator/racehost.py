"""A warm race host: one process that has imported the simulator, numpy and onnxruntime
once and then races on request, each race in a forked child of its own.

A race in a fresh interpreter spends most of its time starting (the interpreter, the
imports); a worker keeps one host running inside its sandbox (racing/warm.py) and hands it
races one at a time:

    stdin   {"id": 7, "dir": "race-7", "argv": ["race", "model.onnx", ...], "cpu_s": 300}
    stdout  {"ready": true}                              once, after the imports
            {"id": 7, "status": 0, "cpu_s": 0.21, "max_rss_kb": 81234}   per race

The forked child works in `dir` (relative to the host's folder), writes the race's JSON
(its stdout) to `dir/stdout.json`, shares the host's stderr (the race's progress lines),
and gets the race's own CPU-time limit; `status` is its wait status. The child never sees
the host's pipes. When the child ends, everything it may have left behind ends too: inside
the sandbox the host is the PID namespace's first process and kills every other one, and
empties the private /tmp; the next race finds nothing of the last one. The host itself
never loads a model.

The race is `simulator.cli.main(argv)` exactly as `python -m simulator race ...` runs it,
so a warm race gives the same bit-identical result as a cold one (the tests compare them).
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import signal
import sys
import traceback

import numpy  # noqa: F401  (imported once here, for every race)
import onnxruntime  # noqa: F401

from . import camera, race, sensors  # noqa: F401  (the heavy parts of a race, warmed)
from .cli import main as cli_main

PR_SET_PDEATHSIG = 1


def _write(fd: int, message: dict) -> None:
    os.write(fd, (json.dumps(message) + "\n").encode())


def _child(request: dict, protocol_fd: int) -> int:
    """The forked race: runs in the request's folder; returns its exit code."""
    os.close(protocol_fd)
    os.setpgid(0, 0)
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.chdir(str(request["dir"]))
    out = os.open("stdout.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(out, 1)
    os.close(out)
    cpu_s = int(request["cpu_s"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 2))
    try:
        return int(cli_main([str(a) for a in request["argv"]]) or 0)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
        return 1


def _clear_leftovers(pgid: int) -> None:
    """End whatever the race started and wipe its temporary files."""
    if os.getpid() == 1:
        # The sandbox's PID namespace: every other process in it is the last race's.
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for name in os.listdir("/tmp"):
            path = os.path.join("/tmp", name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass
    else:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    while True:  # reap them all (the host is their init inside the sandbox)
        try:
            pid, _ = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if pid == 0:
            break


def serve(stdin=None) -> int:
    stdin = stdin or sys.stdin.buffer
    # Our own copy of the protocol pipe; fd 1 becomes each race's stdout file.
    protocol_fd = os.dup(1)
    _write(protocol_fd, {"ready": True})
    for line in iter(stdin.readline, b""):
        try:
            request = json.loads(line)
            race_id = int(request["id"])
        except (ValueError, KeyError, TypeError):
            print(f"racehost: bad request {line[:200]!r}", file=sys.stderr)
            return 2
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _child(request, protocol_fd)
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code & 0xFF)
        while True:
            try:
                _, status, usage = os.wait4(pid, 0)
                break
            except InterruptedError:  # pragma: no cover
                continue
        _clear_leftovers(pid)
        _write(protocol_fd, {
            "id": race_id,
            "status": status,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "max_rss_kb": usage.ru_maxrss,
        })  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(serve())
