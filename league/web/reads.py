"""Small reads the pages need that the backend selectors do not offer (yet).

Each is one indexed query over the stored standings; candidates to move into
league/selectors.py.
"""

from __future__ import annotations

from functools import lru_cache

from django.db import transaction
from django.urls import NoReverseMatch, get_urlconf, reverse
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


def api_token_rotate(user) -> Token:
    """A new API token; the old one stops working at once."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


# The replay page belongs to the replay work (racing/replay_urls.py); its URL name is
# looked up once among the likely ones so that the pages link to it when it exists.
REPLAY_URL_NAMES = ("result-replay", "replay", "race-replay", "result_replay")


@lru_cache(maxsize=8)
def _replay_route(urlconf) -> tuple[str, str | None] | None:
    for name in REPLAY_URL_NAMES:
        for kwarg in (None, "result_id", "pk"):
            try:
                if kwarg is None:
                    reverse(name, args=[1], urlconf=urlconf)
                else:
                    reverse(name, kwargs={kwarg: 1}, urlconf=urlconf)
            except NoReverseMatch:
                continue
            return name, kwarg
    return None


def replay_url(result_id: int | None) -> str | None:
    if not result_id:
        return None
    route = _replay_route(get_urlconf())
    if route is None:
        return None
    name, kwarg = route
    if kwarg is None:
        return reverse(name, args=[result_id])
    return reverse(name, kwargs={kwarg: result_id})


def track_map_url(track) -> str | None:
    """The track's picture: the `track-map` page if it exists, else the stored image."""
    try:
        return reverse("track-map", args=[track.slug])
    except NoReverseMatch:
        try:
            return reverse("track-map", kwargs={"slug": track.slug})
        except NoReverseMatch:
            pass
    if track.image:
        return track.image.url
    return None
