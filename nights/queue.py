"""The queue of a live race: racers join with one of their models (checked at once); the
facilitator moves, removes and re-admits them. Every change is announced (night_changed).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.urls import reverse

from league import access
from league.community import entrant_join
from league.models import Race, Racer
from racing.models import PolicyModel

from . import signals
from .driving import driver_wake
from .models import LiveRace, QueueEntry


class QueueError(ValueError):
    """A queue change that cannot be made; the message says why and what to do."""


def live_race_of(race: Race) -> LiveRace:
    """The race's live settings, or QueueError if it is not a live race."""
    live = LiveRace.objects.filter(race=race, mode=LiveRace.Mode.LIVE).first()
    if live is None:
        raise QueueError("This race is not a live race: enter it with a submission instead.")
    return live


def submission_refusal(race: Race) -> str | None:
    """Why a race night takes no ordinary submission (racing's ENTERED_ELSEWHERE rule,
    added in nights/apps.py): its runs are its queue's, one racer after another. Its own
    runs' submissions are made by nights/runs.py, not through submission_create."""
    if not LiveRace.objects.filter(race=race, mode=LiveRace.Mode.LIVE).exists():
        return None
    return (f"This race is a race night: racers run one after another from its queue. Join the queue on the "
            f"race's live page, {reverse('race-live', args=[race.pk])}, or with POST /api/races/{race.pk}/queue/.")


def _locked(live: LiveRace) -> LiveRace:
    # Every queue change holds the live race's row: positions and the driver's start stay consistent.
    return LiveRace.objects.select_for_update().get(pk=live.pk)


def _next_position(live: LiveRace) -> int:
    return (live.entries.aggregate(m=Max("position"))["m"] or 0) + 1


def model_check(race: Race, racer: Racer, model: PolicyModel) -> dict:
    """What a joining model must satisfy, checked at once: the racer's own, not archived,
    sensors the race allows. Returns what was checked; raises QueueError."""
    if model.owner_id != racer.pk:
        raise QueueError("That model is not one of yours: pick a model from your garage.")
    if model.archived_at is not None:
        raise QueueError(f"The model {model.name!r} is archived: restore it or pick another.")
    not_allowed = [s for s in model.sensors if s not in race.allowed_sensors]
    if not_allowed:
        raise QueueError(f"This race does not allow the {', '.join(not_allowed)} sensor; "
                         f"allowed: {', '.join(race.allowed_sensors)}. Pick a model with those sensors.")
    return {"model_sha256": model.sha256, "sensors": list(model.sensors), "action_space": model.action_space_type}


REMOVED_FROM_RACE = "The facilitator removed you from this race: you cannot join its queue."


def queue_join(*, race: Race, racer: Racer, model: PolicyModel) -> QueueEntry:
    """Join the night's queue; the racer becomes the race's entrant, as a submission
    makes them (the organiser sees them and may remove them: racing/entrants.py)."""
    live = live_race_of(race)
    checked = model_check(race, racer, model)
    with transaction.atomic():
        live = _locked(live)
        if live.state == LiveRace.State.ENDED:
            raise QueueError("This race night has ended.")
        if access.is_removed(race, racer):
            raise QueueError(REMOVED_FROM_RACE)
        entry = live.entries.filter(racer=racer).first()
        if entry is not None:
            if entry.status in QueueEntry.ACTIVE:
                raise QueueError(f"You are already in the queue ({place_said(entry)}).")
            if entry.status == QueueEntry.Status.REMOVED:
                raise QueueError("The facilitator took you out of this queue; ask them to re-admit you.")
            raise QueueError("You have had your run tonight; the facilitator may give you another.")
        if race.is_community:
            try:
                entrant_join(race, racer)
            except ValidationError:  # removed at this very moment
                raise QueueError(REMOVED_FROM_RACE) from None
        entry = QueueEntry.objects.create(live_race=live, racer=racer, model=model, checked=checked,
                                          position=_next_position(live))
        driver_wake(live)
        signals.night_changed.send(sender=LiveRace, live_race=live)
    return entry


def queue_place(entry: QueueEntry) -> int | None:
    """The racer's place among those still waiting, 1 = next up; None when not waiting.
    The one number the pages, the desk, the API and the messages show."""
    if entry.status != QueueEntry.Status.WAITING:
        return None
    return entry.live_race.entries.filter(
        Q(position__lt=entry.position) | Q(position=entry.position, pk__lte=entry.pk),
        status=QueueEntry.Status.WAITING).count()


def place_said(entry: QueueEntry) -> str:
    """Where an active racer is, in words."""
    if entry.status == QueueEntry.Status.RUNNING:
        return "your run is under way"
    if entry.status == QueueEntry.Status.UP:
        return "you are up next, counting down"
    return f"position {queue_place(entry)}"


def queue_move(entry: QueueEntry, place: int) -> QueueEntry:
    """Put a waiting racer at `place` (1 = next) among those waiting."""
    if entry.status != QueueEntry.Status.WAITING:
        raise QueueError(f"Only a waiting racer can be moved; this one is {entry.get_status_display().lower()}.")
    with transaction.atomic():
        live = _locked(entry.live_race)
        waiting = [e for e in live.entries.filter(status=QueueEntry.Status.WAITING) if e.pk != entry.pk]
        place = max(1, min(int(place), len(waiting) + 1))
        waiting.insert(place - 1, entry)
        base = min([e.position for e in waiting] + [entry.position])
        for offset, e in enumerate(waiting):
            QueueEntry.objects.filter(pk=e.pk).update(position=base + offset)
        entry.refresh_from_db()
        signals.night_changed.send(sender=LiveRace, live_race=live)
    return entry


def queue_remove(entry: QueueEntry, reason: str = "") -> QueueEntry:
    """Take a waiting racer out of the queue (re-admitting puts them back at the end)."""
    if entry.status not in (QueueEntry.Status.WAITING, QueueEntry.Status.UP):
        raise QueueError("Only a waiting racer can be removed; skip the running one instead.")
    return _set(entry, QueueEntry.Status.REMOVED, reason or "Removed by the facilitator.")


def queue_readmit(entry: QueueEntry, *, first: bool = False) -> QueueEntry:
    """Back in the queue, at the end (or next, for a re-run after a platform error)."""
    if entry.status in QueueEntry.ACTIVE:
        raise QueueError("This racer is already in the queue.")
    if access.is_removed(entry.live_race.race, entry.racer):
        raise QueueError("The racer was removed from this race; they cannot race in it again.")
    with transaction.atomic():
        live = _locked(entry.live_race)
        if live.state == LiveRace.State.ENDED:
            raise QueueError("This race night has ended.")
        if first:
            lowest = live.entries.filter(status=QueueEntry.Status.WAITING).order_by("position").first()
            position = (lowest.position - 1) if lowest is not None and lowest.position > 0 else 0
            if lowest is not None and lowest.position == 0:
                live.entries.filter(status=QueueEntry.Status.WAITING).update(position=F("position") + 1)
        else:
            position = _next_position(live)
        QueueEntry.objects.filter(pk=entry.pk).update(status=QueueEntry.Status.WAITING, position=position, message="")
        entry.refresh_from_db()
        driver_wake(live)
        signals.night_changed.send(sender=LiveRace, live_race=live)
    return entry


def entrant_removed(race: Race, racer: Racer) -> None:
    """The facilitator removed `racer` from the race (racing's ALSO_ON_REMOVAL, added in
    nights/apps.py): out of the night's queue, a run under way stops unrecorded."""
    live = LiveRace.objects.filter(race=race).first()
    if live is None:
        return
    live = _locked(live)
    if live.entries.filter(racer=racer, status__in=QueueEntry.ACTIVE).update(
            status=QueueEntry.Status.REMOVED, message="Removed from the race by the facilitator."):
        signals.night_changed.send(sender=LiveRace, live_race=live)


def _set(entry: QueueEntry, status: str, message: str = "") -> QueueEntry:
    with transaction.atomic():
        live = _locked(entry.live_race)
        QueueEntry.objects.filter(pk=entry.pk).update(status=status, message=message)
        entry.refresh_from_db()
        signals.night_changed.send(sender=LiveRace, live_race=live)
    return entry
