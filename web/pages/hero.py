"""What the home page's hero shows beside its picture: real figures only. The latest
finished runs on the races the home page lists to the viewer (the season's, and the
community races listed to them that have not closed: never an unlisted or private race of
someone else's), and the last season's champion once it has closed (so a new season opens
with last season's winner on show)."""

from __future__ import annotations

from league.models import Race, Season
from racing.models import Result, SeasonStanding

LATEST_RESULTS = 3


def hero_data(races: list[Race]) -> dict:
    """{"latest_results": [Result, ...], "champion": SeasonStanding | None}."""
    latest = (
        Result.objects.filter(
            status=Result.Status.FINISHED,
            superseded_at__isnull=True,
            race_id__in=[race.pk for race in races],
        )
        .select_related("racer", "race__track", "race__season")
        # Ids grow with time and walk the primary key backwards: no sort of every result.
        .order_by("-pk")[:LATEST_RESULTS]
    )
    return {"latest_results": list(latest), "champion": last_champion()}


def last_champion() -> SeasonStanding | None:
    """The winner of the season that closed last; None before any season has closed or
    when nobody scored in it."""
    closed = Season.objects.filter(status=Season.Status.CLOSED).order_by("-closed_at", "-pk").first()
    if closed is None:
        return None
    return (
        SeasonStanding.objects.filter(season=closed, rank=1, points__gt=0)
        .select_related("racer", "season")
        .order_by("pk")
        .first()
    )
