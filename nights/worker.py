"""The driver of a race night: one worker task per live race takes the queue's racers in
order, counts down, runs each paced (nights/runs.py) and goes on to the next, until the
queue is empty, the facilitator pauses after a run or ends the night.

One driver at a time: it holds the live race by a token it renews (driver_seen_at); a
second task for the same race finds it alive and leaves.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from . import signals
from .models import LiveRace, QueueEntry
from .runs import run_entry

logger = logging.getLogger(__name__)

DRIVER_ALIVE_S = 30.0  # a driver not seen for this long is presumed dead
COUNTDOWN_STEP_S = 0.25  # how often a countdown looks for a skip or the end


class Lost(Exception):
    """Another driver took the night over, or it ended."""


def _take(race_id: int) -> tuple[LiveRace, str] | None:
    """Become the night's driver; None if it is not running or another driver is alive."""
    with transaction.atomic():
        live = LiveRace.objects.select_for_update().filter(race_id=race_id, mode=LiveRace.Mode.LIVE).first()
        if live is None:
            return None
        now = timezone.now()
        if live.state == LiveRace.State.WAITING and live.self_start and live.starts_at and live.starts_at <= now:
            live.state = LiveRace.State.RUNNING  # the night starts by itself
        if live.state != LiveRace.State.RUNNING:
            return None
        if live.driver_token and live.driver_seen_at and live.driver_seen_at > now - timedelta(seconds=DRIVER_ALIVE_S):
            return None
        token = uuid.uuid4().hex
        live.driver_token, live.driver_seen_at = token, now
        live.save(update_fields=["state", "driver_token", "driver_seen_at"])
        signals.night_changed.send(sender=LiveRace, live_race=live)
    return live, token


def _beat(live: LiveRace, token: str) -> None:
    if not LiveRace.objects.filter(pk=live.pk, driver_token=token).update(driver_seen_at=timezone.now()):
        raise Lost()


def _next_entry(live: LiveRace, token: str) -> QueueEntry | None:
    """The next racer, marked up; None (and the driver leaves) when the night pauses,
    ends or the queue is empty."""
    with transaction.atomic():
        fresh = LiveRace.objects.select_for_update().get(pk=live.pk)
        if fresh.driver_token != token:
            raise Lost()
        entry = None
        if fresh.state == LiveRace.State.RUNNING and fresh.pause_after_run:
            fresh.state, fresh.pause_after_run = LiveRace.State.PAUSED, False
        elif fresh.state == LiveRace.State.RUNNING:
            entry = fresh.entries.filter(status=QueueEntry.Status.WAITING).order_by("position", "pk").first()
        if entry is None:
            fresh.driver_token, fresh.driver_seen_at = "", None  # a join or a start enqueues a new driver
        else:
            QueueEntry.objects.filter(pk=entry.pk).update(status=QueueEntry.Status.UP)
            entry.status = QueueEntry.Status.UP
        fresh.save(update_fields=["state", "pause_after_run", "driver_token", "driver_seen_at"])
        signals.night_changed.send(sender=LiveRace, live_race=fresh)
    return entry


def _countdown(live: LiveRace, entry: QueueEntry, token: str) -> bool:
    """The seconds before a run, announced each second; False if the racer was skipped
    or the night ended meanwhile."""
    seconds = int(live.countdown_s)
    ends = time.monotonic() + seconds
    announced = None
    while True:
        left = ends - time.monotonic()
        whole = max(0, int(left + 0.999))
        if whole != announced:
            announced = whole
            _beat(live, token)
            signals.night_streamed.send(sender=LiveRace, race_id=live.race_id, message={
                "type": "run_countdown", "entry": entry.pk, "racer": entry.racer.alias,
                "seconds": whole})  # fmt: skip
        status = QueueEntry.objects.filter(pk=entry.pk).values_list("status", "live_race__state").first()
        if status != (QueueEntry.Status.UP, LiveRace.State.RUNNING):
            return False
        if left <= 0:
            return True
        time.sleep(min(COUNTDOWN_STEP_S, left))


def night_drive(race_id: int) -> str:
    """Drive the night until there is nothing to run; returns how it stopped."""
    taken = _take(race_id)
    if taken is None:
        return "not running or already driven"
    live, token = taken
    runs = 0
    try:
        while True:
            entry = _next_entry(live, token)
            if entry is None:
                return f"{runs} runs; the queue waits"
            live.refresh_from_db()
            if not _countdown(live, entry, token):
                continue
            with transaction.atomic():
                if not QueueEntry.objects.filter(pk=entry.pk, status=QueueEntry.Status.UP).update(
                        status=QueueEntry.Status.RUNNING):
                    continue
            run = run_entry(entry, on_tick=lambda: _beat(live, token))
            runs += 1
            logger.info("race %s: live run %s of %s: %s", race_id, run.pk, entry.racer.alias, run.status)
            live.refresh_from_db()
            signals.night_changed.send(sender=LiveRace, live_race=live)
    except Lost:
        return f"{runs} runs; another driver took over"
