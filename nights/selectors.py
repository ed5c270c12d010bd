"""Every read of a race night's data (pages, API, the live stream)."""

from __future__ import annotations

from django.db.models import QuerySet

from league.models import Race

from .models import LiveRace, LiveRun, QueueEntry


def live_race_get(race: Race) -> LiveRace | None:
    """The race's live settings in live mode; None for a classic race."""
    return LiveRace.objects.filter(race=race, mode=LiveRace.Mode.LIVE).first()


def queue_entries(live: LiveRace) -> QuerySet[QueueEntry]:
    """Every entry of the night, the queue's order first (the control desk's list)."""
    return live.entries.select_related("racer", "model").order_by("position", "pk")


# Rows in the order a night is followed: on track, counting down, waiting (in order), the rest.
_ACTIVE_ORDER = {QueueEntry.Status.RUNNING: 0, QueueEntry.Status.UP: 1, QueueEntry.Status.WAITING: 2}
# The statuses whose message is shown to everyone (why a run ended early or not at all).
_SAID = (QueueEntry.Status.FAILED, QueueEntry.Status.ERROR, QueueEntry.Status.SKIPPED, QueueEntry.Status.REMOVED)


def queue_with_places(live: LiveRace) -> list[QueueEntry]:
    """Every entry, the night's order first, each with `place`: among those still waiting,
    1 = next up (None for the others): nights/queue.py `queue_place`, for a whole queue."""
    entries, place = list(queue_entries(live)), 0
    for entry in entries:
        waiting = entry.status == QueueEntry.Status.WAITING
        place += waiting
        entry.place = place if waiting else None
    return sorted(entries, key=lambda e: (_ACTIVE_ORDER.get(e.status, 3), e.place or 0))


def queue_rows(live: LiveRace) -> list[dict]:
    """The public queue: who is up, who waits (in order), who raced; aliases and states."""
    return [{"id": entry.pk, "racer": entry.racer.alias, "status": entry.status,
             "status_label": entry.get_status_display(), "place": entry.place,
             "message": entry.message if entry.status in _SAID else ""}
            for entry in queue_with_places(live)]


def queue_is_empty(live: LiveRace) -> bool:
    """Nobody on track, counting down or waiting: a running night waits for racers."""
    return not live.entries.filter(status__in=QueueEntry.ACTIVE).exists()


def current_run(live: LiveRace) -> LiveRun | None:
    """The run under way, if any."""
    return (LiveRun.objects.filter(entry__live_race=live, status=LiveRun.Status.RUNNING)
            .select_related("entry__racer").order_by("-started_at").first())


def own_run(live: LiveRace, racer) -> LiveRun | None:
    """`racer`'s run under way (for their speed slider)."""
    run = current_run(live)
    return run if run is not None and racer is not None and run.entry.racer_id == racer.pk else None


def own_entry(live: LiveRace, racer) -> QueueEntry | None:
    return None if racer is None else live.entries.filter(racer=racer).first()
