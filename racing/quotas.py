"""Quotas: how many submissions a racer has used in a race, per UTC day and in total.

One count serves both the rule (submission_create refuses past a quota) and the
pages that show what is left. Failed and error runs, and an organiser's re-races, do
not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from datetime import timezone as dt_timezone

from league.models import Race, Racer

from .models import Submission


def utc_day_start(now: datetime) -> datetime:
    day = now.astimezone(dt_timezone.utc).date()
    return datetime.combine(day, time.min, tzinfo=dt_timezone.utc)


@dataclass(frozen=True)
class QuotaUsage:
    today: int
    total: int
    daily_quota: int
    total_quota: int
    resets_at: datetime  # the next 00:00 UTC

    @property
    def left_today(self) -> int:
        return max(0, min(self.daily_quota - self.today, self.total_quota - self.total))


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
        resets_at=day_start + timedelta(days=1),
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
    return None
