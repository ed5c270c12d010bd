"""A failed run explained: the worker keeps where and when it failed and the replay up to
the failure, the reproduce command fails the same way at home, and the sandbox's limits and
the platform's own faults are told apart."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from league.models import Race
from racing import worker
from racing.failures import failure_explained, partial_replay_read, reproduce_command
from racing.models import Result, Submission
from racing.runner import interpret_race
from racing.sandbox import Limits, Outcome
from racing.submissions import submission_create
from simulator import layout as L
from simulator.failures import FAILURE_KINDS, failure_kind, kind_of_message
from tests import factories as f
from tests.conftest import ROOT
from tests.simulator.builders import slow_step_model

pytestmark = pytest.mark.django_db


def race_with(track: str = "oval-loop", **settings):
    """A league race on `track` with these settings (any of the race's fields)."""
    race = f.race(tracks=[f.track(track)])
    Race.objects.filter(pk=race.pk).update(**settings)
    return Race.objects.select_related("track").get(pk=race.pk)


def failed_run(**race_settings) -> Submission:
    race = race_with(**race_settings)
    racer = f.racer()
    model = f.policy_model(racer, onnx_bytes=f.nan_mid_lap_onnx(0.6))
    submission = submission_create(racer=racer, model=model, race=race)
    assert worker.submission_race(submission.pk) == "failed"
    return Submission.objects.select_related("race__track", "racer").get(pk=submission.pk)


def test_a_failed_run_keeps_where_and_when_it_failed_and_its_replay_so_far():
    submission = failed_run()
    failure = submission.failure
    assert failure["kind"] == "nan" and "NaN" in failure["message"]
    assert failure["step"] > 15 and failure["lap"] == 1 and failure["laps_completed"] == 0
    assert 0.6 < failure["progress"] < 0.7  # where the model starts returning NaN
    assert failure["clock_s"] == pytest.approx(failure["step"] / 15, abs=1e-3)
    assert not Result.objects.filter(submission=submission).exists()

    replay = partial_replay_read(submission)
    rows = replay["trajectory"]
    assert len(rows) == failure["step"]  # every step raced, up to the one that failed
    assert replay["result"]["status"] == "failed" and replay["result"]["failure"] == failure
    last = rows[-1]
    # The car stood at the end of the recorded path when the model failed.
    assert last[L.TRAJ_X_M] == pytest.approx(failure["x_m"], abs=1e-3)
    assert last[L.TRAJ_Y_M] == pytest.approx(failure["y_m"], abs=1e-3)

    explained = failure_explained(submission)
    assert explained["located"] and explained["has_partial_replay"]
    assert explained["title"] == FAILURE_KINDS["nan"].title
    assert explained["causes"] == list(FAILURE_KINDS["nan"].causes)


def test_a_run_out_of_its_wall_clock_is_located_with_its_replay_so_far(settings):
    # The child stops itself under the sandbox's deadline (simulator/stops.py); a cold race.
    settings.RACING = {**settings.RACING, "RACE_WALL_S": 3.0, "WARM_RUNNER": False}
    race = race_with(time_cap_s=600.0, laps=10)
    racer = f.racer()
    model = f.policy_model(racer, onnx_bytes=slow_step_model())
    submission = submission_create(racer=racer, model=model, race=race)
    assert worker.submission_race(submission.pk) == "failed"
    submission.refresh_from_db()
    assert submission.failure["kind"] == "wall_clock" and "ran out of time" in submission.error
    rows = partial_replay_read(submission)["trajectory"]
    assert len(rows) == submission.failure["step"] > 0

    explained = failure_explained(submission)
    assert explained["located"] and explained["has_partial_replay"]
    assert not explained["local"]  # no sandbox at home: the command does not stop there


def test_the_reproduce_command_fails_the_same_way_at_home(tmp_path):
    submission = failed_run(laps=2, off_track_penalty_s=2.0, time_cap_s=90.0, off_track_limit=7,
                            allowed_sensors=["STATE", "LIDAR"])
    command = reproduce_command(submission.race)
    assert "--off-track-limit 7" in command and "--time-cap 90" in command and "--laps 2" in command
    assert "--sensors STATE,LIDAR" in command
    with submission.model.onnx.open("rb") as fh:
        (tmp_path / "model.onnx").write_bytes(fh.read())
    (tmp_path / "model_metadata.json").write_text(json.dumps(submission.model.metadata))
    args = shlex.split(command)
    assert args[:3] == ["python", "-m", "simulator"]
    proc = subprocess.run([sys.executable, *args[1:]], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    at_home = json.loads(proc.stdout)
    assert at_home["status"] == "failed"
    assert at_home["failure"] == submission.failure
    assert json.loads(Path(tmp_path / "replay.json").read_text())["trajectory"] == partial_replay_read(submission)["trajectory"]


def test_a_race_off_the_shipped_tracks_is_reproduced_with_its_file():
    race = race_with("home-made-oval")
    assert not race.track.is_shipped
    assert "--track home-made-oval.npy" in reproduce_command(race)
    reversed_race = race_with(direction=Race.Direction.CLOCKWISE)
    assert "--reverse" in reproduce_command(reversed_race) and "--track oval-loop " in reproduce_command(reversed_race)
    assert "--sensors" not in reproduce_command(reversed_race)  # every sensor allowed: the default


@pytest.mark.parametrize(
    "limit, kind", [("memory", "memory"), ("cpu", "cpu_time"), ("wall", "wall_clock")]
)
def test_the_sandbox_limits_are_failures_of_their_own_kind_without_a_place(tmp_path, limit, kind):
    outcome = Outcome(returncode=-9, stdout=b"", stderr="", limit=limit)
    run = interpret_race(outcome, Limits(memory_bytes=1 << 30, cpu_s=60, wall_s=90, processes=8),
                         tmp_path / "replay.json")  # fmt: skip
    assert run.kind == "failed" and run.replay_path is None
    assert run.failure["kind"] == kind and run.failure["message"] == run.message
    assert failure_kind(kind).key == kind


def test_a_runtime_crash_is_the_signal_kind(tmp_path):
    run = interpret_race(Outcome(returncode=-11, stdout=b"", stderr=""),
                         Limits(memory_bytes=1 << 30, cpu_s=60, wall_s=90, processes=8), tmp_path / "r.json")
    assert run.kind == "failed" and run.failure["kind"] == "signal" and "SIGSEGV" in run.message


def test_a_sandbox_failure_is_explained_without_a_place():
    race = f.race(tracks=[f.track("oval-loop")])
    racer = f.racer()
    submission = submission_create(racer=racer, model=f.policy_model(racer), race=race)
    claim = worker.submission_claim(submission.pk)
    worker.submission_fail(claim, "The model ran out of memory during the race.",
                           failure={"kind": "memory", "message": "The model ran out of memory during the race."})
    submission.refresh_from_db()
    explained = failure_explained(submission)
    assert explained["kind"] == "memory" and not explained["located"] and explained["step"] is None
    assert not explained["has_partial_replay"]


def test_a_platform_error_is_never_blamed_on_the_model(settings):
    settings.RACING = {**settings.RACING, "MAX_ATTEMPTS": 1}
    race = f.race(tracks=[f.track("oval-loop")])
    racer = f.racer()
    submission = submission_create(racer=racer, model=f.policy_model(racer), race=race)
    worker.submission_platform_fault(worker.submission_claim(submission.pk), "storage is down")
    submission.refresh_from_db()
    assert submission.status == "error" and submission.failure is None
    assert failure_explained(submission) is None


@pytest.mark.parametrize("message, kind", [
    ("the model returned NaN or infinity", "nan"),
    ("the model returned shape [1, 3]; expected [1, 2]", "shape"),
    ("the model is too slow: one step took 1200 ms (limit 1000 ms)", "too_slow"),
    ("the model crashed during inference: bad reshape", "crash"),
    ("something new", "crash"),
])  # fmt: skip
def test_each_policy_message_has_its_kind(message, kind):
    assert kind_of_message(message) == kind
