"""Reads of models, submissions and results. A racer sees only their own models and
submission details; results and boards are public."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from league.models import Race, Racer

from .models import PolicyModel, Result, Submission


def models_of(racer: Racer) -> QuerySet[PolicyModel]:
    return PolicyModel.objects.filter(owner=racer).order_by("-created_at", "-id")


def model_get_for(racer: Racer, model_id: int) -> PolicyModel:
    """Raises PolicyModel.DoesNotExist for someone else's model too."""
    return models_of(racer).get(pk=model_id)


def submissions_of(racer: Racer) -> QuerySet[Submission]:
    return (
        Submission.objects.filter(racer=racer)
        .select_related("model", "race__track", "race__season", "result")
        .order_by("-created_at", "-id")
    )


def submission_get_for(racer: Racer, submission_id: int) -> Submission:
    """Raises Submission.DoesNotExist for someone else's submission too."""
    return submissions_of(racer).get(pk=submission_id)


def result_get(result_id: int) -> Result:
    return Result.objects.select_related("racer", "race__track", "race__season", "submission").get(
        pk=result_id
    )


def quota_status(racer: Racer, race: Race, now=None) -> dict:
    """Submissions used and left in a race (today, UTC, and in total)."""
    from .services import utc_day_start

    now = now or timezone.now()
    counted = Submission.objects.filter(racer=racer, race=race, status__in=Submission.QUOTA_STATUSES)
    total = counted.count()
    today = counted.filter(created_at__gte=utc_day_start(now)).count()
    return {
        "today": today,
        "daily_quota": race.daily_quota,
        "left_today": max(0, min(race.daily_quota - today, race.total_quota - total)),
        "total": total,
        "total_quota": race.total_quota,
    }


def garage(racer: Racer) -> dict:
    """"My garage": the racer's models, latest submissions and quotas in open races."""
    open_races = Race.objects.filter(season__status="open").select_related("track", "season")
    return {
        "racer": racer,
        "models": list(models_of(racer)),
        "submissions": list(submissions_of(racer)[:50]),
        "races": [
            {"race": race, "quota": quota_status(racer, race), "accepting": race.accepting_submissions()}
            for race in open_races
        ],
    }
