"""Re-racing a race's entries on the current simulator version.

A result keeps the simulator version it was raced with. When the simulator changes
official results (a new SIMULATOR_VERSION), an organiser re-races the board's entries:
each racer's best run is raced again with the same model, not counted against their
quota, and once it lands every older-version result of that racer in that race leaves
the board (kept on record, marked superseded).
"""

from __future__ import annotations

from django.db import transaction

from league.models import Race
from simulator import SIMULATOR_VERSION

from .models import RaceStanding, Submission
from .worker import submission_enqueue


def rerace_pending(race: Race) -> int:
    return Submission.objects.filter(
        race=race, rerace_of__isnull=False,
        status__in=(Submission.Status.QUEUED, Submission.Status.RUNNING),
    ).count()  # fmt: skip


def race_rerace(race: Race, *, version: str = SIMULATOR_VERSION) -> int:
    """Queue a re-race of every board entry raced on another version than `version`.
    Returns how many were queued (entries already being re-raced are skipped)."""
    rows = (
        RaceStanding.objects.filter(race=race)
        .exclude(result__simulator_version=version)
        .select_related("result__submission")
    )
    queued = 0
    for row in rows:
        result = row.result
        busy = Submission.objects.filter(
            rerace_of__race=race, rerace_of__racer_id=result.racer_id,
            status__in=(Submission.Status.QUEUED, Submission.Status.RUNNING),
        ).exists()  # fmt: skip
        if busy:
            continue
        with transaction.atomic():
            submission = Submission.objects.create(
                racer_id=result.racer_id, model_id=result.submission.model_id, race=race, rerace_of=result
            )
            submission_enqueue(submission)
        queued += 1
    return queued
