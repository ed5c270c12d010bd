"""The racer's speed slider end to end: a change sent through the API during their run
reaches the sandboxed paced child (the worker writes it to the child's stdin), is recorded
with the run, and `python -m simulator race --speed-multipliers` of that recording races
the same run again: the same trajectory hash."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from league.rules import race_format
from nights import control, signals
from nights.models import LiveRun
from nights.queue import queue_join
from nights.worker import night_drive
from racing.models import Result
from racing.runner import race_args
from racing.uploads import model_metadata_bytes
from tests import factories as f
from tests.conftest import ROOT
from tracks.services import track_file_bytes

pytestmark = pytest.mark.django_db(transaction=True)

SLIDER_AT_STEP = 20


def at_home(race, model, workdir, recording: dict) -> dict:
    """The race again as a racer runs it at home: the race's own command line (no --live)
    with the recorded multipliers."""
    with model.onnx.open("rb") as fh:
        onnx_bytes = fh.read()
    args = race_args(workdir=workdir, onnx_bytes=onnx_bytes, metadata_bytes=model_metadata_bytes(model),
                     track_bytes=track_file_bytes(race.track), laps=race.laps, timing_method=race.timing_method,
                     off_track_penalty_s=race.off_track_penalty_s, time_cap_s=race.time_cap_s,
                     off_track_limit=race.off_track_limit, reverse=race.reversed,
                     allowed_sensors=race.allowed_sensors, race_format=race_format(race))
    (workdir / "recorded.json").write_text(json.dumps(recording))
    done = subprocess.run([sys.executable, *args, "--speed-multipliers", "recorded.json"], cwd=workdir,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_slider_reaches_the_running_race_is_recorded_and_reproduces(tmp_path):
    race = f.community_race(laps=1, time_cap_s=60)
    control.live_settings_set(race, mode="live", countdown_s=0, speed_control=True)
    racer = f.racer()
    model = f.policy_model(racer)
    queue_join(race=race, racer=racer, model=model)
    control.night_start(race.live)
    answers = []

    def slide(sender, *, race_id, message, **kwargs):
        if message["type"] == "frame" and message["step"] == SLIDER_AT_STEP:
            answers.append(f.api_client(racer).post(f"/api/races/{race.pk}/live/speed/", {"multiplier": 1.3},
                                                    format="json"))
            # Someone else's slider does nothing to this run.
            answers.append(f.api_client(f.racer()).post(f"/api/races/{race.pk}/live/speed/",
                                                        {"multiplier": 0.5}, format="json"))

    signals.night_streamed.connect(slide, dispatch_uid="test.slide")
    try:
        assert night_drive(race.pk) == "1 runs; the queue waits"
    finally:
        signals.night_streamed.disconnect(dispatch_uid="test.slide")

    mine, theirs = answers
    assert mine.status_code == 200 and mine.json()["multiplier"] == 1.3
    assert theirs.status_code == 403
    run = LiveRun.objects.get(entry__racer=racer)
    assert run.status == LiveRun.Status.FINISHED
    # The change landed a few steps after the request (the worker looks every TICK_S).
    (step, multiplier), = [change for change in run.speed_multipliers if change[1] != 1.0]
    assert multiplier == 1.3 and step > SLIDER_AT_STEP
    result = Result.objects.get(submission=run.submission)
    with result.replay.open("rb") as fh:
        replay = json.load(fh)
    assert replay["speed_multipliers"] == run.speed_multipliers  # in the replay a racer downloads

    again = at_home(race, model, tmp_path, replay)
    assert again["trajectory_sha256"] == result.trajectory_sha256
    assert again["speed_multipliers"] == run.speed_multipliers
    # The slider mattered: without it, another race.
    assert at_home(race, model, tmp_path, {"speed_multipliers": []})["trajectory_sha256"] != result.trajectory_sha256
