"""Whether a worker drives a night, and asking for one (the queue and the controls both
do: a racer joining a running night whose queue had emptied wakes it up)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .models import LiveRace
from .tasks import drive_night
from .worker import DRIVER_ALIVE_S


def driver_alive(live: LiveRace, now=None) -> bool:
    """A worker drives the night (it renews driver_seen_at every few seconds)."""
    now = now or timezone.now()
    return bool(live.driver_token) and live.driver_seen_at is not None and \
        live.driver_seen_at > now - timedelta(seconds=DRIVER_ALIVE_S)


def driver_enqueue(live: LiveRace, at: datetime | None = None) -> None:
    """The night's task, once the current transaction commits (a second one finds the
    first alive and leaves)."""
    task = drive_night if at is None else drive_night.using(run_after=at)
    transaction.on_commit(lambda: task.enqueue(live.race_id))


def driver_wake(live: LiveRace) -> None:
    """A running night without a driver (its queue had emptied) gets one."""
    if live.state == LiveRace.State.RUNNING and not driver_alive(live):
        driver_enqueue(live)
