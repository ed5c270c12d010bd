"""A race night whose worker died: its run is never raced again by the classic worker
(that would race it unpaced, with nobody watching); the run ends as a platform error the
facilitator may re-run, a racer caught in the countdown goes back to the head of the
queue, and a new driver takes the night on.

The classic reclaim (racing/worker.py `submissions_reclaim`) leaves these submissions to
us (`RECLAIMED_ELSEWHERE`, added in nights/apps.py) and sends `reclaim_due` each pass.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from racing.models import Submission
from racing.worker import Claim

from . import signals
from .driving import driver_alive, driver_enqueue
from .models import LiveRace, LiveRun, QueueEntry
from .runs import run_message, run_platform_error, run_stopped
from .worker import DRIVER_ALIVE_S

logger = logging.getLogger(__name__)

WORKER_LOST = "the worker running the race night stopped"

# A live run's submission: what the classic reclaim must leave alone.
LIVE_SUBMISSIONS = Q(live_run__isnull=False)


def _abandoned(now: datetime) -> Q:
    """A run whose worker stopped renewing its lease (or died before claiming it)."""
    cutoff = now - timedelta(seconds=float(settings.RACING["LEASE_S"]))
    return Q(submission__status=Submission.Status.RUNNING, submission__lease_expires_at__lt=now) | Q(
        submission__status=Submission.Status.QUEUED, submission__created_at__lt=cutoff)


def _run_reclaim(run_id: int, now: datetime) -> LiveRun | None:
    with transaction.atomic():
        run = LiveRun.objects.select_related("entry__live_race", "entry__racer").filter(
            Q(pk=run_id, status=LiveRun.Status.RUNNING) & _abandoned(now)).first()
        if run is None:
            return None
        submission = Submission.objects.select_for_update().get(pk=run.submission_id)
        claim = Claim(submission, submission.run_token)
        if run.entry.status == QueueEntry.Status.RUNNING:
            run_platform_error(run, claim, WORKER_LOST)
        else:  # skipped or the night ended while it ran: it stops, unrecorded
            run_stopped(run, claim)
        run.refresh_from_db()
        race_id = run.entry.live_race.race_id
        transaction.on_commit(lambda: signals.night_streamed.send(
            sender=LiveRun, race_id=race_id, message=run_message("run_finished", run)))
    return run


def _night_resume(live_id: int, now: datetime, *, driver_lost: bool = False) -> None:
    """A running night nobody drives: the racer caught counting down goes first again,
    and a new driver goes on with the queue. `driver_lost`: the driver's own run was
    abandoned (the driver renews that run's lease, so it is gone however recently it
    was seen)."""
    with transaction.atomic():
        live = LiveRace.objects.select_for_update().get(pk=live_id)
        if live.state != LiveRace.State.RUNNING or (not driver_lost and driver_alive(live, now)):
            return
        live.entries.filter(status=QueueEntry.Status.UP).update(status=QueueEntry.Status.WAITING)
        # The dead driver's hold goes, so the new one takes the night at once (one that was
        # only slow finds its token gone at its next beat and leaves).
        live.driver_token, live.driver_seen_at = "", None
        live.save(update_fields=["driver_token", "driver_seen_at"])
        driver_enqueue(live)
        signals.night_changed.send(sender=LiveRace, live_race=live)


def nights_reclaim(sender=None, *, now: datetime | None = None, **kwargs) -> int:
    """Every live run whose worker died, ended; their nights driven again. Returns how
    many runs were reclaimed (the receiver of racing's `reclaim_due`)."""
    now = now or timezone.now()
    runs = [run for pk in LiveRun.objects.filter(Q(status=LiveRun.Status.RUNNING) & _abandoned(now))
            .values_list("pk", flat=True)[:100] if (run := _run_reclaim(pk, now)) is not None]
    for run in runs:
        logger.warning("live run %s of race %s: %s", run.pk, run.entry.live_race.race_id, WORKER_LOST)
    lost = {run.entry.live_race_id for run in runs}
    # A night whose driver died between runs or in a countdown: racers wait, nobody drives.
    orphaned = LiveRace.objects.filter(
        state=LiveRace.State.RUNNING, entries__status__in=(QueueEntry.Status.UP, QueueEntry.Status.WAITING),
    ).exclude(driver_seen_at__gt=now - timedelta(seconds=DRIVER_ALIVE_S)).exclude(pk__in=lost)
    for live_id in lost:
        _night_resume(live_id, now, driver_lost=True)
    for live_id in set(orphaned.values_list("pk", flat=True)):
        _night_resume(live_id, now)
    return len(runs)
