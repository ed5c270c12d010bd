"""Submissions: a racer enters one of their models in a race, within the race's window,
sensors and quotas; the race is queued in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from league import access
from league.community import entrant_join
from league.models import Race, Racer
from league.services import lock_rows

from .models import PolicyModel, Submission
from .quotas import quota_exceeded_message
from .worker import submission_enqueue

# A race that a layer above runs its own way (a race night, nights/apps.py) takes no
# ordinary submission: each rule here returns why, naming where to enter instead, or None.
ENTERED_ELSEWHERE: list[Callable[[Race], str | None]] = []


def entered_elsewhere(race: Race) -> str | None:
    """Why `race` takes no ordinary submission (a race night's queue, say), or None."""
    return next((why for rule in ENTERED_ELSEWHERE if (why := rule(race))), None)


class SubmissionRejected(ValueError):
    """A submission refused before it was queued; `errors` maps fields to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


class QuotaExceeded(SubmissionRejected):
    pass


def submission_create(*, racer: Racer, model: PolicyModel, race: Race) -> Submission:
    """Enter a model in a race: checks, quotas under a lock, then queue the race.

    Raises SubmissionRejected (400) or QuotaExceeded (429) with {field: [messages]}.
    """
    if model.owner_id != racer.pk:
        # Another racer's model looks exactly like one that does not exist.
        raise SubmissionRejected({"model": [f"You have no model with id {model.pk}."]})
    if model.archived_at is not None:
        raise SubmissionRejected(
            {"model": [f"Your model “{model.name}” was deleted (archived); upload it again to race it."]}
        )
    with transaction.atomic():
        # The lock: on PostgreSQL the racer's row; SQLite's IMMEDIATE transactions hold
        # the database's write lock from here to the commit. Concurrent submissions of
        # one racer therefore count and insert one after the other.
        lock_rows(Racer.objects.filter(pk=racer.pk))
        race = Race.objects.select_related("season", "track").get(pk=race.pk)
        if not access.race_visible_to(race, racer.user):
            # A private race looks exactly like one that does not exist.
            raise SubmissionRejected({"race": [f"There is no race with id {race.pk}."]})
        if access.is_removed(race, racer):
            raise SubmissionRejected({"race": ["The facilitator removed you from this race."]})
        now = timezone.now()
        if not race.accepting_submissions(now):
            raise SubmissionRejected({"race": [_closed_message(race, now)]})
        if elsewhere := entered_elsewhere(race):
            raise SubmissionRejected({"race": [elsewhere]})
        not_allowed = [s for s in model.sensors if s not in race.allowed_sensors]
        if not_allowed:
            raise SubmissionRejected(
                {
                    "model": [
                        f"This race allows the sensors {', '.join(race.allowed_sensors)}; the "
                        f"model uses {', '.join(not_allowed)}. Enter a model with allowed sensors."
                    ]
                }
            )
        if problem := quota_exceeded_message(racer, race, now):
            raise QuotaExceeded({"race": [problem]})
        if race.is_community:
            entrant_join(race, racer)  # entering a community race makes a participant
        submission = Submission.objects.create(racer=racer, model=model, race=race, created_at=now)
        submission_enqueue(submission)
    return submission


def _closed_message(race: Race, now: datetime) -> str:
    season = race.season
    if season is None:
        if race.opens_at and now < race.opens_at:
            return f"This race opens at {race.opens_at:%Y-%m-%d %H:%M} UTC."
        return f"This race closed at {race.closes_at:%Y-%m-%d %H:%M} UTC."
    if season.status == season.Status.CLOSED:
        return f"The season {season.name!r} is closed; its races take no more submissions."
    if season.status == season.Status.DRAFT:
        return f"The season {season.name!r} has not opened yet."
    if race.opens_at and now < race.opens_at:
        return f"This race opens at {race.opens_at:%Y-%m-%d %H:%M} UTC."
    return f"This race closed at {race.closes_at:%Y-%m-%d %H:%M} UTC."
