"""Warm race hosts: the same result as a cold race, bit for bit; a fresh host after
anything but a result; limits still hold; a broken host costs nobody their race."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from racing import warm
from racing.runner import race_model
from racing.workdirs import work_dir
from tests.factories import (
    state_metadata,
    good_state_onnx,
    memory_hog_onnx,
    nan_mid_lap_onnx,
    slow_onnx,
)
from tests.simulator.builders import endless_model

TRACK = Path(__file__).resolve().parents[2] / "tracks" / "data" / "oval-loop.npy"


@pytest.fixture(autouse=True)
def _one_host_per_test(settings):
    settings.RACING = {**settings.RACING, "WARM_RUNNER": True}
    warm.retire()
    yield
    warm.retire()


def _race(onnx_bytes: bytes, *, laps: int = 1, **overrides):
    with work_dir("race") as workdir:
        run = race_model(
            workdir=workdir, onnx_bytes=onnx_bytes,
            metadata_bytes=json.dumps(state_metadata()).encode(),
            track_bytes=TRACK.read_bytes(), laps=laps, timing_method="TOTAL_TIME",
            off_track_penalty_s=5.0, time_cap_s=overrides.pop("time_cap_s", 300.0), **overrides,
        )  # fmt: skip
        replay = run.replay_path.read_bytes() if run.replay_path else None
    return run, replay


def _host_pid() -> int | None:
    return warm._host.proc.pid if warm._host is not None else None


def test_a_warm_race_equals_a_cold_one_bit_for_bit(settings):
    warm_run, warm_replay = _race(good_state_onnx(), laps=2)
    first_host = _host_pid()
    again, again_replay = _race(good_state_onnx(), laps=2)
    settings.RACING = {**settings.RACING, "WARM_RUNNER": False}
    cold_run, cold_replay = _race(good_state_onnx(), laps=2)

    assert warm_run.kind == again.kind == cold_run.kind == "result"
    assert warm_run.result == again.result == cold_run.result  # every key, the hash too
    assert warm_replay == again_replay == cold_replay
    assert first_host is not None  # the host stayed for the second race


def test_the_host_is_reused_after_a_result_and_replaced_after_a_failure():
    _race(good_state_onnx())
    host = _host_pid()
    _race(good_state_onnx())
    assert _host_pid() == host

    failed, _ = _race(nan_mid_lap_onnx(0.3))
    assert failed.kind == "failed"
    assert _host_pid() is None  # thrown away; the next race starts a new one
    ok, _ = _race(good_state_onnx())
    assert ok.kind == "result" and _host_pid() not in (None, host)


def test_limits_hold_in_a_warm_race(settings):
    settings.RACING = {**settings.RACING, "RACE_CPU_S": 1.0}
    slow, replay = _race(slow_onnx())
    # The simulator stops itself at the soft CPU limit (SIGXCPU): where it was, replay so far.
    assert slow.kind == "failed" and slow.failure["kind"] == "cpu_time" and slow.outcome.returncode == 0
    assert slow.failure["step"] == len(json.loads(replay)["trajectory"]) > 0
    assert _host_pid() is None

    settings.RACING = {**settings.RACING, "RACE_CPU_S": 300.0, "SANDBOX_MEMORY_MB": 768}
    hog, _ = _race(memory_hog_onnx(3))
    assert hog.kind == "failed" and _host_pid() is None  # the memory cap holds in the fork

    settings.RACING = {**settings.RACING, "SANDBOX_MEMORY_MB": 2048, "RACE_WALL_S": 1.0}
    late, replay = _race(slow_onnx())  # stops itself a little before the wall clock
    assert late.kind == "failed" and late.failure["kind"] == "wall_clock"
    assert late.failure["step"] == len(json.loads(replay)["trajectory"]) > 0
    stuck, _ = _race(endless_model())  # stuck inside one inference: the sandbox's own kill
    assert stuck.outcome.limit == "wall" and stuck.failure["kind"] == "wall_clock" and _host_pid() is None


def test_a_broken_host_means_a_cold_race_not_a_lost_one():
    warm.prestart()
    host = _host_pid()
    os.killpg(host, signal.SIGKILL)  # the host dies between two races
    warm._host.proc.wait()
    run, replay = _race(good_state_onnx())
    assert run.kind == "result" and replay
    assert _host_pid() != host


def test_progress_and_ticks_reach_the_caller_from_a_warm_race():
    events, ticks = [], []
    run, _ = _race(good_state_onnx(), laps=2, on_progress=events.append, on_tick=lambda: ticks.append(1),
                   tick_s=0.01)  # fmt: skip
    assert run.kind == "result"
    assert [e["lap"] for e in events][-1] == 2
