"""The sandbox: each limit ends the child and is named; the caller carries on."""

from __future__ import annotations

import pytest

from racing.runner import interpret_race
from racing.sandbox import Limits, SandboxStartError, run_sandboxed
from racing.workdirs import work_dir

# Generous wall clock: a busy 2-core machine may take seconds to start a child. The
# tests of the wall-clock limit set their own.
LIMITS = Limits(memory_bytes=512 * 1024 * 1024, cpu_s=1, wall_s=30)


def run(code: str, limits: Limits = LIMITS, **kwargs):
    with work_dir("test") as scratch:
        return run_sandboxed(["-c", code], limits, cwd=scratch, **kwargs)


def test_a_well_behaved_child():
    lines = []
    out = run("import sys; print('out'); print('a', file=sys.stderr); print('b', file=sys.stderr)",
              on_stderr_line=lines.append)
    assert out.returncode == 0 and out.limit is None
    assert out.stdout == b"out\n" and lines == ["a", "b"]


def test_memory_limit():
    out = run("x = bytearray(1024 * 1024 * 1024)")
    assert out.returncode != 0 and out.limit == "memory"


def test_cpu_limit():
    out = run("while True: pass", Limits(memory_bytes=LIMITS.memory_bytes, cpu_s=1, wall_s=20))
    assert out.limit == "cpu"


def test_wall_clock_limit():
    out = run("import time; time.sleep(30)", Limits(memory_bytes=LIMITS.memory_bytes, cpu_s=5, wall_s=0.5))
    assert out.limit == "wall" and out.returncode < 0


def test_secrets_do_not_reach_the_child(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "hush")
    monkeypatch.setenv("DATABASE_URL", "postgres://secret")
    out = run("import os; print(os.environ.get('SECRET_KEY'), os.environ.get('DATABASE_URL'))")
    assert out.stdout.strip() == b"None None"


def test_a_flood_on_stderr_does_not_fill_the_callers_memory():
    # 64 MB in one line without a newline, then 200 000 short lines: the caller keeps a
    # bounded tail, whatever the child writes.
    from racing.sandbox import MAX_STDERR_KEEP_BYTES

    code = ("import sys; w = sys.stderr.buffer.write; w(b'x' * (64 << 20)); w(b'\\n');"
            "[w(b'line\\n') for _ in range(200_000)]; sys.stderr.flush()")
    out = run(code, Limits(memory_bytes=LIMITS.memory_bytes, cpu_s=20, wall_s=30))
    assert out.returncode == 0 and out.limit is None
    assert sum(len(line) + 1 for line in out.stderr_lines) <= 2 * MAX_STDERR_KEEP_BYTES
    assert out.stderr.endswith("line") and len(out.stderr) <= MAX_STDERR_KEEP_BYTES


def test_a_child_that_cannot_start_is_a_platform_error(settings):
    settings.RACING = {**settings.RACING, "PYTHON": "/nonexistent/python"}
    with pytest.raises(SandboxStartError):
        run("pass")


def test_ticks_run_in_the_caller_and_may_stop_the_child():
    class Stop(Exception):
        pass

    ticks = []

    def tick():
        ticks.append(1)
        if len(ticks) == 2:
            raise Stop

    with pytest.raises(Stop):
        run("import time; time.sleep(30)", Limits(LIMITS.memory_bytes, 5, 30), on_tick=tick, tick_s=0.05)


def test_race_outcomes_are_sorted_into_model_and_platform_faults(tmp_path):
    replay = tmp_path / "replay.json"
    crashed = run("import os; os.abort()")
    assert interpret_race(crashed, LIMITS, replay).kind == "failed"
    traceback = run("raise RuntimeError('bug of ours')")
    assert interpret_race(traceback, LIMITS, replay).kind == "platform"
    failed = run("import json; print(json.dumps({'status': 'failed', 'error': 'the policy returned NaN'}))")
    outcome = interpret_race(failed, LIMITS, replay)
    assert outcome.kind == "failed" and "NaN" in outcome.message
    model_error = run("import sys; print('onnx: the model file is empty', file=sys.stderr); sys.exit(2)")
    assert interpret_race(model_error, LIMITS, replay).kind == "failed"
    track_error = run("import sys; print('track: bad file', file=sys.stderr); sys.exit(2)")
    assert interpret_race(track_error, LIMITS, replay).kind == "platform"
    slow = run("import time; time.sleep(30)", Limits(LIMITS.memory_bytes, 5, 0.3))
    outcome = interpret_race(slow, Limits(LIMITS.memory_bytes, 5, 0.3), replay)
    assert outcome.kind == "failed" and "wall-clock" in outcome.message
