"""Reads of racers, seasons and races. Boards, standings and profiles are racing's
(racing/selectors.py)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from . import access
from .models import Race, Racer, Season


def season_list() -> QuerySet[Season]:
    return Season.objects.prefetch_related(
        Prefetch("races", queryset=Race.objects.select_related("track", "season").order_by("order", "id"))
    ).order_by("-created_at", "-id")


def season_current() -> Season | None:
    """The open season, or else the one that closed last."""
    season = Season.objects.filter(status=Season.Status.OPEN).first()
    if season is None:
        season = Season.objects.filter(status=Season.Status.CLOSED).order_by("-closed_at").first()
    return season


def season_get(slug: str) -> Season:
    return season_list().get(slug=slug)


def race_get(race_id: int) -> Race:
    return Race.objects.select_related("season", "track").get(pk=race_id)


def racer_get(alias: str) -> Racer:
    """A racer by alias (any case); a deleted account's racer is no one's to look up."""
    return Racer.objects.select_related("user").get(alias__iexact=alias, deleted_at__isnull=True)


def community_races_run_by(user) -> QuerySet[Race]:
    """The community races `user` runs (admins: every community race), newest first."""
    races = Race.objects.filter(season__isnull=True)
    if not user.is_staff:
        races = races.filter(owner__user=user)
    return races.select_related("track", "owner").order_by("-created_at", "-id")


def track_races_for(track, user) -> QuerySet[Race]:
    """The races on `track` to list for `user`: the league's, and the community races
    listed for them (public, or theirs); unlisted and others' private races stay off."""
    listed = Q(season__isnull=False) | Q(pk__in=access.listed_races(user).values("pk"))
    return (
        Race.objects.filter(track=track).filter(listed)
        .select_related("season").order_by("-season__created_at", "order", "-created_at")
    )
