"""Quotas: how many submissions a racer has used in a race, per UTC day and in total,
and the racer's daily compute budget (CPU seconds of all their runs in every race).

One count serves both the rule (submission_create refuses past a quota) and the
pages that show what is left. Failed and error runs, and an organiser's re-races, do
not count against the submission quotas; the compute budget counts the CPU of failed
runs too (a model that runs to the CPU cap costs the league that much, whatever the
outcome), never that of the platform's faults or of re-races.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db.models import Sum

from league.models import Race, Racer

from .models import Submission


def utc_day_start(now: datetime) -> datetime:
    day = now.astimezone(dt_timezone.utc).date()
    return datetime.combine(day, time.min, tzinfo=dt_timezone.utc)


def quota_resets_at(now: datetime) -> datetime:
    """When the daily quotas and the compute budget start afresh: the next 00:00 UTC."""
    return utc_day_start(now) + timedelta(days=1)


@dataclass(frozen=True)
class QuotaUsage:
    today: int
    total: int
    daily_quota: int
    total_quota: int
    resets_at: datetime  # the next 00:00 UTC
    cpu_today_s: float = 0.0
    cpu_budget_s: float = 0.0  # 0: no compute budget

    @property
    def compute_spent(self) -> bool:
        return 0 < self.cpu_budget_s <= self.cpu_today_s

    @property
    def left_today(self) -> int:
        if self.compute_spent:
            return 0
        return max(0, min(self.daily_quota - self.today, self.total_quota - self.total))


def cpu_used_s(racer: Racer, since: datetime) -> float:
    """CPU seconds of the racer's runs that ended since `since`, in every race."""
    runs = Submission.objects.filter(racer=racer, finished_at__gte=since, rerace_of__isnull=True)
    return float(runs.aggregate(total=Sum("cpu_s"))["total"] or 0.0)


def quota_usage(racer: Racer, race: Race, now: datetime) -> QuotaUsage:
    counted = Submission.objects.filter(
        racer=racer, race=race, status__in=Submission.QUOTA_STATUSES, rerace_of__isnull=True
    )
    day_start = utc_day_start(now)
    return QuotaUsage(
        today=counted.filter(created_at__gte=day_start).count(),
        total=counted.count(),
        daily_quota=race.daily_quota,
        total_quota=race.total_quota,
        resets_at=quota_resets_at(now),
        cpu_today_s=cpu_used_s(racer, day_start),
        cpu_budget_s=float(settings.RACING["DAILY_CPU_S"] or 0.0),
    )


def _until(when: datetime, now: datetime) -> str:
    minutes = max(1, int((when - now).total_seconds() // 60))
    return f"{minutes // 60} h {minutes % 60:02d} min"


def quota_exceeded_message(racer: Racer, race: Race, now: datetime) -> str | None:
    """Why the racer may not submit to the race now, or None. Call under the racer's lock."""
    usage = quota_usage(racer, race, now)
    if usage.total >= usage.total_quota:
        return (
            f"You have used all {usage.total_quota} submissions of this race "
            "(failed runs do not count)."
        )
    if usage.today >= usage.daily_quota:
        return (
            f"You have used your {usage.daily_quota} submissions of today in this race; the "
            f"quota resets at 00:00 UTC (in {_until(usage.resets_at, now)})."
        )
    if usage.compute_spent:
        return (
            f"You have used your compute budget of today: {usage.cpu_budget_s / 60:g} minutes "
            "of CPU across all your runs, failed ones included. It resets at 00:00 UTC "
            f"(in {_until(usage.resets_at, now)})."
        )
    return None
