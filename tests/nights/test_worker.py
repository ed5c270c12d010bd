"""A race night end to end: racers queue, the driver counts down and races each paced in
the real sandbox, frames stream as they come, the result is the race's ordinary result
(the same trajectory hash as a classic race of the same model), a failing model shows why
and the queue goes on."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from league.rules import race_format
from nights import control, signals
from nights.models import LiveRace, LiveRun, QueueEntry
from nights.queue import queue_join
from nights.worker import night_drive
from racing.models import Result, Submission
from racing.runner import race_model
from racing.uploads import model_metadata_bytes
from racing.workdirs import work_dir
from tests import factories as f
from tracks.services import track_file_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def streamed():
    """Every message the night sends to the live layer, with when it was sent."""
    seen = []

    def receive(sender, *, race_id, message, **kwargs):
        seen.append((time.monotonic(), message))

    signals.night_streamed.connect(receive, dispatch_uid="test.streamed")
    yield seen
    signals.night_streamed.disconnect(dispatch_uid="test.streamed")


def live_race(**settings):
    race = f.community_race(laps=1, time_cap_s=60)
    control.live_settings_set(race, mode="live", countdown_s=settings.pop("countdown_s", 1), **settings)
    return race


def classic_hash(race, model) -> str:
    with model.onnx.open("rb") as fh:
        onnx_bytes = fh.read()
    with work_dir("race", 0) as workdir:
        run = race_model(workdir=workdir, onnx_bytes=onnx_bytes, metadata_bytes=model_metadata_bytes(model),
                         track_bytes=track_file_bytes(race.track), laps=race.laps, timing_method=race.timing_method,
                         off_track_penalty_s=race.off_track_penalty_s, time_cap_s=race.time_cap_s,
                         off_track_limit=race.off_track_limit, reverse=race.reversed,
                         allowed_sensors=race.allowed_sensors, race_format=race_format(race))
    assert run.kind == "result", run.message
    return run.result["trajectory_sha256"]


def test_a_night_races_the_queue_in_order_paced_and_officially(streamed):
    race = live_race()
    failing, good = f.racer(), f.racer()
    bad_model = f.policy_model(failing, onnx_bytes=f.nan_mid_lap_onnx(0.3))
    good_model = f.policy_model(good)
    queue_join(race=race, racer=failing, model=bad_model)
    queue_join(race=race, racer=good, model=good_model)
    live = control.night_start(race.live)

    assert night_drive(race.pk) == "2 runs; the queue waits"

    failed = QueueEntry.objects.get(racer=failing)
    assert failed.status == QueueEntry.Status.FAILED and failed.message  # why, for the pages
    done = QueueEntry.objects.get(racer=good)
    assert done.status == QueueEntry.Status.DONE
    run = LiveRun.objects.get(entry=done)
    result = Result.objects.get(submission=run.submission)
    assert run.result == result and run.submission.status == Submission.Status.FINISHED
    assert result.trajectory_sha256 == classic_hash(race, good_model)
    assert race.standings.get().racer == good  # on the board like any result

    kinds = [m["type"] for _, m in streamed]
    assert kinds.count("run_countdown") >= 2 and kinds.count("run_started") == 2
    assert kinds.count("run_finished") == 2
    finished = [m for _, m in streamed if m["type"] == "run_finished"]
    assert finished[0]["status"] == "failed" and finished[0]["error"]
    assert finished[1]["result"]["trajectory_sha256"] == result.trajectory_sha256
    frames = [(t, m) for t, m in streamed if m["type"] == "frame" and m["run"] == run.pk]
    assert len(frames) == result.steps
    assert {"clock", "x", "y", "heading", "speed", "steering", "lap", "progress", "off_track"} <= set(frames[0][1])
    # Paced: near 15 frames a second (a loose band; it measures the pacing, not the machine).
    rate = (len(frames) - 1) / (frames[-1][0] - frames[0][0])
    assert 10.0 < rate < 20.0, rate
    assert [m["type"] for _, m in streamed].count("lap") == 1
    live.refresh_from_db()
    assert live.state == LiveRace.State.RUNNING and not live.driver_token  # waits for more racers


def test_pause_after_this_run_stops_the_night_after_it(streamed):
    race = live_race(countdown_s=0)
    racers = [f.racer() for _ in range(2)]
    for racer in racers:
        queue_join(race=race, racer=racer, model=f.policy_model(racer))
    control.night_start(race.live)

    def press(sender, *, race_id, message, **kwargs):
        if message["type"] == "frame" and message["step"] == 10:
            control.night_pause(race.live)  # pressed during the first run

    signals.night_streamed.connect(press, dispatch_uid="test.pause")
    try:
        night_drive(race.pk)
    finally:
        signals.night_streamed.disconnect(dispatch_uid="test.pause")

    race.live.refresh_from_db()
    assert race.live.state == LiveRace.State.PAUSED
    assert list(QueueEntry.objects.order_by("position").values_list("status", flat=True)) == ["done", "waiting"]


def test_skip_stops_the_run_unrecorded_and_end_leaves_nobody_waiting(streamed):
    race = live_race(countdown_s=0)
    racers = [f.racer() for _ in range(3)]
    for racer in racers:
        queue_join(race=race, racer=racer, model=f.policy_model(racer))
    control.night_start(race.live)

    def press(sender, *, race_id, message, **kwargs):
        if message["type"] == "frame" and message["step"] == 20:
            run = LiveRun.objects.get(pk=message["run"])
            if run.entry.racer == racers[0]:
                control.night_skip(race.live)
            else:
                control.night_end(race.live)

    signals.night_streamed.connect(press, dispatch_uid="test.press")
    try:
        night_drive(race.pk)
    finally:
        signals.night_streamed.disconnect(dispatch_uid="test.press")
    statuses = list(QueueEntry.objects.order_by("position").values_list("status", flat=True))
    assert statuses == ["skipped", "skipped", "skipped"]
    assert not Result.objects.filter(race=race).exists()
    assert set(LiveRun.objects.values_list("status", flat=True)) == {"skipped"}
    assert not Submission.objects.filter(race=race, status__in=["queued", "running"]).exists()
    # Their submissions end `error` (a fixed status), in words that blame nobody's code.
    skipped, ended = (Submission.objects.get(race=race, racer=racer) for racer in racers[:2])
    assert skipped.status == ended.status == "error"
    assert skipped.error.startswith("The facilitator skipped your run")
    assert ended.error.startswith("The facilitator ended the race night during your run")
    assert "Not a fault of your model, nor of the platform" in skipped.error


def test_a_night_that_starts_by_itself_waits_for_starts_at_then_races(streamed):
    race = f.community_race(laps=1, time_cap_s=60)
    starts_at = timezone.now() + timedelta(seconds=2)
    control.live_settings_set(race, mode="live", countdown_s=0, starts_at=starts_at, self_start=True)
    racer = f.racer()
    queue_join(race=race, racer=racer, model=f.policy_model(racer))

    # The night's driver is queued for starts_at, not before.
    task = DBTaskResult.objects.get(task_path="nights.tasks.drive_night")
    assert task.run_after == starts_at and task.args_kwargs["args"] == [race.pk]
    assert night_drive(race.pk) == "not running or already driven"  # a driver run early leaves
    race.live.refresh_from_db()
    assert race.live.state == LiveRace.State.WAITING

    time.sleep(max(0.0, (starts_at - timezone.now()).total_seconds()) + 0.05)
    assert night_drive(race.pk) == "1 runs; the queue waits"
    race.live.refresh_from_db()
    assert race.live.state == LiveRace.State.RUNNING  # started by itself, nobody pressed Start
    assert QueueEntry.objects.get(racer=racer).status == QueueEntry.Status.DONE
    assert [m["type"] for _, m in streamed].count("run_finished") == 1


def test_a_night_races_the_race_format_as_the_classic_race_does(streamed):
    race = f.community_race(laps=1, time_cap_s=60, format="object_avoidance", object_count=2, placement="random",
                            seed=7)
    control.live_settings_set(race, mode="live", countdown_s=0)
    racer = f.racer()
    model = f.policy_model(racer)
    queue_join(race=race, racer=racer, model=model)
    control.night_start(race.live)

    assert night_drive(race.pk) == "1 runs; the queue waits"
    result = Result.objects.get(submission__race=race)
    assert result.trajectory_sha256 == classic_hash(race, model)
    with result.replay.open("rb") as fh:
        obstacles = json.load(fh)["obstacles"]  # the boxes were on the track
    assert len(obstacles["boxes"]) == 2
