"""The facilitator's controls of a race night: settings, start, pause after this run,
skip, re-run after a platform error, end. Who may use them is league/access.py's
`can_manage` (the views ask it); the rules of each are here.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from league.models import Race
from simulator.live import MultiplierError, checked_multiplier

from . import signals
from .driving import driver_alive, driver_enqueue
from .models import COUNTDOWN_RANGE_S, LiveRace, LiveRun, QueueEntry
from .queue import QueueError, queue_readmit


class ControlError(QueueError):
    """A control that does not apply now; the message says why."""


def live_settings_set(race: Race, *, mode: str | None = None, countdown_s: int | None = None,
                      speed_control: bool | None = None, starts_at: datetime | None = None,
                      self_start: bool | None = None) -> LiveRace:
    """Create or change a race's live settings (mode live or classic)."""
    already_live = LiveRace.objects.filter(race=race, mode=LiveRace.Mode.LIVE).exists()
    if mode == LiveRace.Mode.LIVE and not already_live and race.window_closed():
        raise ControlError("This race has closed: a closed race cannot become a race night. Reopen it first "
                           "(extend its close time on its manage page).")
    live, _ = LiveRace.objects.get_or_create(race=race)
    if live.state in (LiveRace.State.RUNNING, LiveRace.State.PAUSED) and mode == LiveRace.Mode.CLASSIC:
        raise ControlError("The race night is under way: end it before making the race classic.")
    if mode is not None:
        if mode not in LiveRace.Mode.values:
            raise ControlError(f"mode is one of {', '.join(LiveRace.Mode.values)}.")
        if mode == LiveRace.Mode.LIVE and race.format == "head_to_head":
            raise ControlError("A head-to-head race is raced on its ladder, not one racer after another: "
                               "choose another format for a race night.")
        live.mode = mode
    if countdown_s is not None:
        low, high = COUNTDOWN_RANGE_S
        if not low <= int(countdown_s) <= high:
            raise ControlError(f"countdown_s is from {low} to {high} seconds.")
        live.countdown_s = int(countdown_s)
    if speed_control is not None:
        live.speed_control = bool(speed_control)
    if starts_at is not None:
        live.starts_at = starts_at
    if self_start is not None:
        if self_start and live.starts_at is None:
            raise ControlError("A race that starts by itself needs starts_at.")
        live.self_start = bool(self_start)
    live.updated_at = timezone.now()
    live.save()
    if live.self_start and live.state == LiveRace.State.WAITING and live.starts_at is not None:
        driver_enqueue(live, at=live.starts_at)
    signals.night_changed.send(sender=LiveRace, live_race=live)
    return live


def _locked(live: LiveRace) -> LiveRace:
    return LiveRace.objects.select_for_update().get(pk=live.pk)


def controls_available(live: LiveRace) -> dict[str, bool]:
    """Which of start, pause, skip and end apply now (the desk offers only these; each
    control below says why when it does not)."""
    ended = live.state == LiveRace.State.ENDED
    running = live.state == LiveRace.State.RUNNING
    someone_up = live.entries.filter(status__in=(QueueEntry.Status.UP, QueueEntry.Status.RUNNING)).exists()
    return {
        "start": live.is_live and not ended and not (running and not live.pause_after_run and driver_alive(live)),
        "pause": running and not live.pause_after_run,
        "skip": not ended and someone_up,
        "end": not ended,
        "reopen": ended and not live.race.window_closed(),
    }


def night_start(live: LiveRace) -> LiveRace:
    with transaction.atomic():
        live = _locked(live)
        if not live.is_live:
            raise ControlError("This race is classic: make it live first.")
        if live.state == LiveRace.State.ENDED:
            raise ControlError("This race night has ended.")
        if live.state == LiveRace.State.RUNNING and not live.pause_after_run and driver_alive(live):
            raise ControlError("The race night is already running.")
        live.state = LiveRace.State.RUNNING
        live.pause_after_run = False
        live.updated_at = timezone.now()
        live.save(update_fields=["state", "pause_after_run", "updated_at"])
        if not driver_alive(live):
            driver_enqueue(live)
        signals.night_changed.send(sender=LiveRace, live_race=live)
    return live


def night_pause(live: LiveRace) -> LiveRace:
    """Pause after the run under way (at once if none is)."""
    with transaction.atomic():
        live = _locked(live)
        if live.state != LiveRace.State.RUNNING:
            raise ControlError("Only a running race night can be paused.")
        running = live.entries.filter(status__in=(QueueEntry.Status.UP, QueueEntry.Status.RUNNING)).exists()
        live.pause_after_run = running
        if not running:
            live.state = LiveRace.State.PAUSED
        live.updated_at = timezone.now()
        live.save(update_fields=["state", "pause_after_run", "updated_at"])
        signals.night_changed.send(sender=LiveRace, live_race=live)
    return live


def night_skip(live: LiveRace) -> QueueEntry:
    """Skip the racer up now (counting down or running): their run stops, unrecorded."""
    with transaction.atomic():
        live = _locked(live)
        entry = live.entries.filter(status__in=(QueueEntry.Status.UP, QueueEntry.Status.RUNNING)).first()
        if entry is None:
            raise ControlError("Nobody is up: remove a waiting racer from the queue instead.")
        QueueEntry.objects.filter(pk=entry.pk).update(status=QueueEntry.Status.SKIPPED,
                                                      message="Skipped by the facilitator.")
        entry.refresh_from_db()
        signals.night_changed.send(sender=LiveRace, live_race=live)
    return entry


def night_end(live: LiveRace) -> LiveRace:
    """End the night: the run under way stops unrecorded, nobody else races."""
    with transaction.atomic():
        live = _locked(live)
        if live.state == LiveRace.State.ENDED:
            raise ControlError("This race night has already ended.")
        live.state = LiveRace.State.ENDED
        live.pause_after_run = False
        live.updated_at = timezone.now()
        live.save(update_fields=["state", "pause_after_run", "updated_at"])
        live.entries.filter(status__in=QueueEntry.ACTIVE).update(
            status=QueueEntry.Status.SKIPPED, message=ENDED_MESSAGE)
        signals.night_changed.send(sender=LiveRace, live_race=live)
    return live


ENDED_MESSAGE = "The race night ended."


def night_reopen(live: LiveRace) -> LiveRace:
    """A night ended too soon (End pressed by mistake, one more round): back to not started,
    the racers the end caught (waiting, up or running) back in the queue in their order.
    Results stay; the facilitator presses Start."""
    with transaction.atomic():
        live = _locked(live)
        if live.state != LiveRace.State.ENDED:
            raise ControlError("This race night has not ended: there is nothing to reopen.")
        if live.race.window_closed():
            raise ControlError("This race has closed: extend its close time on its manage page, then reopen the night.")
        live.state = LiveRace.State.WAITING
        live.updated_at = timezone.now()
        live.save(update_fields=["state", "updated_at"])
        live.entries.filter(status=QueueEntry.Status.SKIPPED, message=ENDED_MESSAGE).update(
            status=QueueEntry.Status.WAITING, message="")
        signals.night_changed.send(sender=LiveRace, live_race=live)
    return live


def entry_rerun(entry: QueueEntry) -> QueueEntry:
    """After a platform error, the racer races again next (their failed run is not theirs)."""
    if entry.status != QueueEntry.Status.ERROR:
        raise ControlError("Only a run that ended in a platform error can be re-run; "
                           "re-admit the racer to give them another run.")
    return queue_readmit(entry, first=True)  # wakes the driver if the queue had emptied


def speed_request(run: LiveRun, multiplier: float) -> LiveRun:
    """The racer's slider: the worker passes the multiplier to the run within a moment."""
    try:
        value = checked_multiplier(multiplier)
    except MultiplierError as exc:
        raise ControlError(str(exc)) from None
    if not run.entry.live_race.speed_control:
        raise ControlError("This race does not let racers change their speed.")
    if run.status != LiveRun.Status.RUNNING:
        raise ControlError("Your run is not under way.")
    LiveRun.objects.filter(pk=run.pk).update(speed_request=value)
    run.speed_request = value
    return run
