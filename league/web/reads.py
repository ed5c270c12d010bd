"""Small reads the pages need that the backend selectors do not offer (yet).

Each is one indexed query over the stored standings; candidates to move into
league/selectors.py.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from rest_framework.authtoken.models import Token

from league.models import Race, Racer, RaceStanding, Season


def race_rank_of(race: Race, racer: Racer | None) -> int | None:
    """The racer's rank on a race's board, or None (one indexed query)."""
    if racer is None:
        return None
    return (
        RaceStanding.objects.filter(race=race, racer=racer).values_list("rank", flat=True).first()
    )


def race_standing_of(race: Race, racer: Racer | None) -> dict | None:
    """The racer's row on a race's board as {rank, result_id, finished}, or None."""
    if racer is None:
        return None
    return (
        RaceStanding.objects.filter(race=race, racer=racer)
        .values("rank", "result_id", "finished")
        .first()
    )


def season_race_cells(season: Season, racer_ids: list[int]) -> dict[int, dict[int, dict]]:
    """{racer_id: {race_id: {rank, finished, points}}} for one page of the standings."""
    cells: dict[int, dict[int, dict]] = {}
    if not racer_ids:
        return cells
    rows = RaceStanding.objects.filter(race__season=season, racer_id__in=racer_ids).values_list(
        "racer_id", "race_id", "rank", "finished", "points"
    )
    for racer_id, race_id, rank, finished, points in rows:
        cells.setdefault(racer_id, {})[race_id] = {
            "rank": rank,
            "finished": finished,
            "points": points,
        }
    return cells


def race_leaders(races) -> dict[int, RaceStanding]:
    """The rank-1 row of each race, by race id (one query)."""
    ids = [r.pk for r in races]
    if not ids:
        return {}
    rows = RaceStanding.objects.filter(race_id__in=ids, rank=1).select_related("racer")
    return {row.race_id: row for row in rows}


def api_token_for(user) -> Token:
    token, _ = Token.objects.get_or_create(user=user)
    return token


def replay_url(result_id: int | None) -> str | None:
    """The replay page of a result (racing/replay_urls.py), or None without one."""
    if not result_id:
        return None
    try:
        return reverse("result-replay", kwargs={"result_id": result_id})
    except NoReverseMatch:
        return None


def track_map_url(track, width: int | None = None) -> str | None:
    """The track's picture: the `track-map` PNG (`?w=` its width) if that URL exists,
    else the image stored at import."""
    try:
        url = reverse("track-map", kwargs={"slug": track.slug})
    except NoReverseMatch:
        return track.image.url if track.image else None
    return f"{url}?w={int(width)}" if width else url
