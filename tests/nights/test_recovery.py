"""A worker that dies mid-run: the classic reclaim never races the live run unpaced; the
run ends as a platform error the facilitator may re-run, the racer caught counting down
goes first again, and a new driver takes the night on; the same with a real worker
process killed mid-run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from nights import control, worker
from nights.models import LiveRace, LiveRun, QueueEntry
from nights.queue import queue_join
from nights.runs import run_start
from racing.models import Submission
from racing.worker import submissions_reclaim
from tests import factories as f
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def night_with(n: int):
    race = f.community_race(laps=1, time_cap_s=60)
    control.live_settings_set(race, mode="live", countdown_s=0)
    racers = [f.racer() for _ in range(n)]
    for racer in racers:
        queue_join(race=race, racer=racer, model=f.policy_model(racer))
    control.night_start(race.live)
    return race, racers


def driven_until_up(race) -> QueueEntry:
    """What a driver does before a run, as far as a worker that then dies got."""
    live, token = worker._take(race.pk)
    return worker._next_entry(live, token)


def tasks(name: str):
    return DBTaskResult.objects.filter(task_path__endswith=name)


def after_the_lease():
    return timezone.now() + timedelta(seconds=float(settings.RACING["LEASE_S"]) + 1)


def test_a_run_whose_worker_died_is_a_platform_error_and_the_night_goes_on():
    race, (first, second) = night_with(2)
    entry = driven_until_up(race)
    QueueEntry.objects.filter(pk=entry.pk).update(status=QueueEntry.Status.RUNNING)
    run, claim = run_start(entry)  # the worker dies here, mid-run
    races_before, drivers_before = tasks("race_submission").count(), tasks("drive_night").count()

    assert submissions_reclaim(now=timezone.now()) == 0  # its lease still runs
    assert submissions_reclaim(now=after_the_lease()) == 1

    submission = Submission.objects.get(pk=claim.submission.pk)
    assert submission.status == Submission.Status.ERROR and "re-run" in submission.error
    assert tasks("race_submission").count() == races_before  # never raced unpaced
    run.refresh_from_db()
    assert run.status == LiveRun.Status.ERROR and "worker" in run.error
    entry.refresh_from_db()
    assert entry.status == QueueEntry.Status.ERROR and "re-run you" in entry.message
    assert tasks("drive_night").count() == drivers_before + 1  # the next racer will be driven
    assert submissions_reclaim(now=after_the_lease()) == 0  # once

    # The facilitator's re-run puts the racer first; a driver runs them for real.
    control.entry_rerun(entry)
    assert worker.night_drive(race.pk) == "2 runs; the queue waits"
    assert list(QueueEntry.objects.filter(racer__in=[first, second]).values_list("status", flat=True)) == [
        "done", "done"]
    assert Submission.objects.filter(race=race, status=Submission.Status.FINISHED).count() == 2


def test_a_racer_caught_in_the_countdown_goes_first_again():
    race, (first, _) = night_with(2)
    entry = driven_until_up(race)  # the worker dies during the countdown
    assert entry.racer == first
    later = timezone.now() + timedelta(seconds=worker.DRIVER_ALIVE_S + 1)
    drivers_before = tasks("drive_night").count()

    assert submissions_reclaim(now=later) == 0  # no run to reclaim, but the night is picked up

    entry.refresh_from_db()
    assert entry.status == QueueEntry.Status.WAITING
    assert race.live.entries.filter(status="waiting").order_by("position").first() == entry
    assert tasks("drive_night").count() == drivers_before + 1
    assert LiveRace.objects.get(pk=race.live.pk).state == LiveRace.State.RUNNING


def test_a_run_skipped_before_its_worker_died_ends_unrecorded():
    race, _ = night_with(1)
    entry = driven_until_up(race)
    QueueEntry.objects.filter(pk=entry.pk).update(status=QueueEntry.Status.RUNNING)
    run, claim = run_start(entry)
    control.night_end(race.live)

    submissions_reclaim(now=after_the_lease())

    run.refresh_from_db()
    assert run.status == LiveRun.Status.SKIPPED
    assert Submission.objects.get(pk=claim.submission.pk).status == Submission.Status.ERROR
    assert not tasks("race_submission").exists()


def test_a_driver_that_died_between_runs_is_replaced():
    race, _ = night_with(2)
    worker._take(race.pk)  # a driver took the night, then died before calling anyone up
    drivers_before = tasks("drive_night").count()
    assert submissions_reclaim(now=timezone.now()) == 0 and tasks("drive_night").count() == drivers_before
    later = timezone.now() + timedelta(seconds=worker.DRIVER_ALIVE_S + 1)
    submissions_reclaim(now=later)
    assert tasks("drive_night").count() == drivers_before + 1


def test_a_lease_shorter_than_the_driver_s_beat_still_resumes_the_night(settings):
    # The run's lease proves its driver gone, however recently the driver was seen.
    settings.RACING = {**settings.RACING, "LEASE_S": 3.0}
    race, _ = night_with(2)
    entry = driven_until_up(race)
    QueueEntry.objects.filter(pk=entry.pk).update(status=QueueEntry.Status.RUNNING)
    run_start(entry)
    drivers_before = tasks("drive_night").count()
    assert submissions_reclaim(now=timezone.now() + timedelta(seconds=4)) == 1
    assert tasks("drive_night").count() == drivers_before + 1


@pytest.mark.slow
def test_a_worker_killed_mid_run_is_replaced_and_the_night_goes_on(start_worker):
    race, (first, second) = night_with(2)
    fast = {"RACING_LEASE_S": "3", "RACING_RECLAIM_INTERVAL_S": "0.5"}
    dying = start_worker("default", **fast)
    wait_for(lambda: LiveRun.objects.filter(entry__racer=first).exclude(last_frame={}).exists(),
             what="the first racer's run to be on track")  # fmt: skip
    dying.kill()  # mid-run: its sandboxed race dies with it

    start_worker("default", **fast)
    wait_for(lambda: QueueEntry.objects.filter(racer=second, status=QueueEntry.Status.DONE).exists(),
             what="the next racer to be run by the new worker")  # fmt: skip
    run = LiveRun.objects.get(entry__racer=first)
    assert run.status == LiveRun.Status.ERROR and "worker" in run.error
    assert QueueEntry.objects.get(racer=first).status == QueueEntry.Status.ERROR  # the facilitator may re-run
    assert Submission.objects.filter(race=race, status=Submission.Status.FINISHED).count() == 1
    assert not tasks("race_submission").exists()  # never raced unpaced by the classic worker
