"""Reads for the API and the pages: leaderboards, standings, profiles, home.

Everything reads the stored standings (rebuilt when a result lands), with indexed
queries, so pages stay fast with thousands of racers.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from .models import Race, Racer, RaceStanding, Season, SeasonStanding


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


def race_leaderboard(race: Race) -> QuerySet[RaceStanding]:
    """The board rows in rank order (paginate it; `.rank` is stored)."""
    return (
        RaceStanding.objects.filter(race=race)
        .select_related("racer")
        .order_by("rank")
    )


def race_leader_time(race: Race) -> float | None:
    row = (
        RaceStanding.objects.filter(race=race, rank=1, finished=True)
        .values_list("time_s", flat=True)
        .first()
    )
    return row


def leaderboard_row(row: RaceStanding, leader_time_s: float | None) -> dict:
    gap = None
    if row.finished and leader_time_s is not None and row.time_s is not None:
        gap = round(row.time_s - leader_time_s, 3)
    return {
        "rank": row.rank,
        "racer": row.racer.alias,
        "finished": row.finished,
        "time_s": row.time_s,
        "gap_s": gap,
        "best_lap_s": row.best_lap_s,
        "laps": row.laps,
        "progress": row.progress,
        "off_track_count": row.off_track_count,
        "submissions": row.submissions,
        "submitted_at": row.submitted_at,
        "result_id": row.result_id,
        "points": row.points,
    }


def race_leaderboard_rows(race: Race, *, offset: int = 0, limit: int = 50) -> list[dict]:
    """Rows as dicts (rank, racer alias, time_s, gap_s, best lap, ...), for pages."""
    leader = race_leader_time(race)
    return [leaderboard_row(r, leader) for r in race_leaderboard(race)[offset : offset + limit]]


def race_top(race: Race, n: int = 3) -> list[dict]:
    return race_leaderboard_rows(race, limit=n)


def season_standings(season: Season) -> QuerySet[SeasonStanding]:
    return SeasonStanding.objects.filter(season=season).select_related("racer").order_by("rank")


def season_standing_rows(season: Season, *, offset: int = 0, limit: int = 100) -> list[dict]:
    return [
        {
            "rank": s.rank,
            "racer": s.racer.alias,
            "points": s.points,
            "races": s.races,
            "wins": s.wins,
            "best_rank": s.best_rank,
        }
        for s in season_standings(season)[offset : offset + limit]
    ]


def home_data(*, user=None, latest: int = 10) -> dict:
    """The open (or last) season, its races each with their top three, and the signed-in
    racer's latest submissions."""
    from racing.selectors import submissions_of

    season = season_current()
    races = []
    if season is not None:
        for race in season.races.select_related("track", "season").order_by("order", "id"):
            races.append({"race": race, "top": race_top(race, 3), "accepting": race.accepting_submissions()})
    racer = getattr(user, "racer", None) if user is not None and user.is_authenticated else None
    return {
        "season": season,
        "races": races,
        "standings": season_standing_rows(season, limit=10) if season else [],
        "my_submissions": list(submissions_of(racer)[:latest]) if racer else [],
        "now": timezone.now(),
    }


def racer_get(alias: str) -> Racer:
    return Racer.objects.select_related("user").get(alias__iexact=alias)


def racer_profile(racer: Racer) -> dict:
    """Public figures of a racer: their row on every board and in every season."""
    from racing.models import Result

    race_rows = (
        RaceStanding.objects.filter(racer=racer)
        .select_related("race__season", "race__track", "result")
        .order_by("-race__season__created_at", "race__order")
    )
    return {
        "racer": racer,
        "races": list(race_rows),
        "seasons": list(
            SeasonStanding.objects.filter(racer=racer)
            .select_related("season")
            .order_by("-season__created_at")
        ),
        "results": Result.objects.filter(racer=racer).count(),
        "wins": sum(1 for r in race_rows if r.rank == 1 and r.finished),
    }
