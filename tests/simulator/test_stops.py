"""The sandbox's limits as the clean end of a race (simulator/stops.py): a race past its
wall clock (`--stop-after`) or its CPU time (SIGXCPU at the soft limit) fails where it is,
located, with the replay so far, which is exactly the start of the uninterrupted run; a
race that ends in time is untouched.

The waits are bounds on a broken stop, never timing checks: where a stop lands depends on
the machine, so the tests only ask that it lands somewhere inside the race."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading

import pytest

from simulator import stops
from simulator.failures import failure_kind

from . import builders as B
from .conftest import ROOT

pytestmark = pytest.mark.slow

LONG_CAP = ["--time-cap", "600", "--laps", "10"]  # hours of model time: only a stop ends it soon


def _race(model_package, track, *args, tmp_path, preexec_fn=None, name="pkg"):
    model, meta = model_package(B.slow_step_model(), name=name)
    replay = tmp_path / f"{name}.json"
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "race", str(model), "--metadata", str(meta), "--track", track,
         "--json", "--replay", str(replay), *args],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=120, preexec_fn=preexec_fn,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), json.loads(replay.read_text())


def _stopped_where_it_was(result: dict, replay: dict, kind: str, full_rows: list) -> None:
    failure = result["failure"]
    assert result["status"] == "failed" and failure["kind"] == kind and failure_kind(kind).key == kind
    assert result["error"] == failure["message"]
    steps = failure["step"]
    assert 0 < steps == result["steps"] == len(replay["trajectory"]) < len(full_rows)
    assert replay["trajectory"] == full_rows[:steps]  # what was raced is the official run's start
    assert replay["result"]["failure"] == failure


@pytest.fixture(scope="module")
def full_rows(tmp_path_factory, shipped_track_ref):
    """The same race uninterrupted: the same model with one trip of its Loop, which gives
    the same actions at no cost (a Loop's trips change how long a step takes, not what
    the car does)."""
    folder = tmp_path_factory.mktemp("full")
    model, meta = folder / "model.onnx", folder / "model_metadata.json"
    model.write_bytes(B.slow_step_model(trips=1))
    meta.write_text(json.dumps(B.continuous_metadata()))
    replay = folder / "replay.json"
    subprocess.run([sys.executable, "-m", "simulator", "race", str(model), "--metadata", str(meta),
                    "--track", shipped_track_ref, *LONG_CAP, "--replay", str(replay)],
                   cwd=folder, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True, capture_output=True,
                   timeout=300)  # fmt: skip
    return json.loads(replay.read_text())["trajectory"]


def test_a_race_past_its_wall_clock_stops_where_it_is(model_package, shipped_track_ref, tmp_path, full_rows):
    result, replay = _race(model_package, shipped_track_ref, *LONG_CAP, "--stop-after", "1.2", tmp_path=tmp_path)
    _stopped_where_it_was(result, replay, "wall_clock", full_rows)
    assert "ran out of time (1.2 s of wall clock)" in result["error"]


def test_a_race_out_of_cpu_time_stops_the_same_way(model_package, shipped_track_ref, tmp_path, full_rows):
    def cpu_limit():  # as the league's sandbox sets it: SIGXCPU first, the kill 2 s later
        resource.setrlimit(resource.RLIMIT_CPU, (1, 3))

    result, replay = _race(model_package, shipped_track_ref, *LONG_CAP, tmp_path=tmp_path, preexec_fn=cpu_limit)
    _stopped_where_it_was(result, replay, "cpu_time", full_rows)
    assert "used up its CPU time (1 s)" in result["error"]


def test_a_race_that_ends_in_time_is_untouched(cli_subprocess, model_package, shipped_track_ref):
    model, meta = model_package(B.pursuit_model(1.5))
    plain = cli_subprocess("race", model, "--metadata", meta, "--track", shipped_track_ref, "--laps", "1", "--json")
    timed = cli_subprocess("race", model, "--metadata", meta, "--track", shipped_track_ref, "--laps", "1", "--json",
                           "--stop-after", "100")  # fmt: skip
    first, second = (json.loads(done.stdout.strip().splitlines()[-1]) for done in (plain, timed))
    assert first["status"] == "finished" and first == second


def test_a_stop_of_zero_seconds_is_refused_and_one_already_past_races_nothing(cli_subprocess, model_package, shipped_track_ref):
    model, meta = model_package(B.pursuit_model(1.5))
    done = cli_subprocess("race", model, "--metadata", meta, "--track", shipped_track_ref, "--stop-after", "0")
    assert done.returncode == 2 and "--stop-after is a number of seconds above 0" in done.stderr
    # Past already when the race would begin (the model took longer to load): nothing raced.
    late = cli_subprocess("race", model, "--metadata", meta, "--track", shipped_track_ref, "--stop-after", "0.001")
    assert late.returncode == 2 and "stopped before the race could give a result: the race ran out of time" in late.stderr


def test_after_the_race_a_late_signal_is_only_noted():
    import signal

    try:
        with stops.stopping(30.0):
            assert signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None)
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # the alarm is off
        os.kill(os.getpid(), signal.SIGXCPU)  # the default would end the test process
        assert signal.getsignal(signal.SIGXCPU) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGXCPU, signal.SIG_DFL)


def test_a_race_outside_the_main_thread_has_no_stop():
    seen = []

    def run():
        with stops.stopping(0.001):
            seen.append("ran")

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    assert seen == ["ran"]
