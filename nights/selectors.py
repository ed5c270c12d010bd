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


def queue_rows(live: LiveRace) -> list[dict]:
    """The public queue: who is up, who waits (in order), who raced; aliases and states."""
    rows, place = [], 0
    for entry in queue_entries(live):
        waiting = entry.status == QueueEntry.Status.WAITING
        place += waiting
        rows.append({"id": entry.pk, "racer": entry.racer.alias, "status": entry.status,
                     "status_label": entry.get_status_display(), "place": place if waiting else None,
                     "message": entry.message if entry.status in (QueueEntry.Status.FAILED,
                                                                  QueueEntry.Status.ERROR) else ""})
    active = {QueueEntry.Status.RUNNING: 0, QueueEntry.Status.UP: 1, QueueEntry.Status.WAITING: 2}
    return sorted(rows, key=lambda r: (active.get(r["status"], 3), r["place"] or 0))


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
