"""Reads of models, submissions, results, boards and standings. A racer sees only their
own models and submission details; results and boards are public.

Boards and standings read the stored standings (rebuilt when a result lands) with
indexed queries, so pages stay fast with thousands of racers.
"""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from league import access
from league import selectors as league_selectors
from league.models import Race, RaceEntrant, Racer, Season
from simulator import SIMULATOR_VERSION

from .garage import model_races
from .models import PolicyModel, RaceStanding, Result, SeasonStanding, Submission
from .quotas import quota_resets_at, quota_usage
from .submissions import entered_elsewhere


def models_of(racer: Racer) -> QuerySet[PolicyModel]:
    """The racer's garage: archived models (deleted after they raced) are not in it."""
    return PolicyModel.objects.filter(owner=racer, archived_at__isnull=True).order_by("-created_at", "-id")


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
    usage = quota_usage(racer, race, now or timezone.now())
    return {
        "today": usage.today,
        "daily_quota": usage.daily_quota,
        "left_today": usage.left_today,
        "total": usage.total,
        "total_quota": usage.total_quota,
        "resets_at": usage.resets_at,
    }


def garage_races(racer: Racer, now=None) -> list[Race]:
    """The races the garage lists: the open season's (those not taking entries now too, the
    page marks them), then the community races `racer` may enter now: public or joined
    (league/access.py, as for every list of community races), open, and not removed from."""
    now = now or timezone.now()
    season = Race.objects.filter(season__status=Season.Status.OPEN).order_by("season", "order", "id")
    community = (
        access.listed_races(racer.user)
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        .order_by("closes_at", "id")
    )
    return list(season.select_related("track", "season")) + [
        race for race in community.select_related("track", "season")
        if race.accepting_submissions(now) and not access.is_removed(race, racer)
    ]  # fmt: skip


def garage(racer: Racer) -> dict:
    """"My garage": the racer's models, latest submissions and quotas in the races it
    lists (`garage_races`)."""
    races = [
        {"race": race, "quota": quota_status(racer, race), "accepting": race.accepting_submissions(),
         "elsewhere": entered_elsewhere(race)}  # a race night: its queue, not a submission
        for race in garage_races(racer)
    ]
    models = list(models_of(racer))
    where = model_races(racer, models)
    accepting = [item["race"] for item in races if item["accepting"] and not item["elsewhere"]]
    for model in models:
        model.raced = where.get(model.pk, [])
        # The races this model may enter now: open, and allowing its sensors.
        model.enterable = [r for r in accepting if set(model.sensors) <= set(r.allowed_sensors or [])]
    return {
        "racer": racer,
        "models": models,
        "submissions": list(submissions_of(racer)[:50]),
        "races": races,
        "quota_resets_at": quota_resets_at(timezone.now()),
    }


# --- Boards and standings -----------------------------------------------------------------


def race_leaderboard(race: Race, *, racer: str = "", search: str = "") -> QuerySet[RaceStanding]:
    """The board rows in rank order (paginate it; `.rank` is stored, so a filtered board
    keeps every row's place): `racer` one alias (any case), `search` part of one."""
    rows = RaceStanding.objects.filter(race=race)
    if racer:
        rows = rows.filter(racer__alias__iexact=racer.strip())
    if search:
        rows = rows.filter(racer__alias__icontains=search.strip())
    return rows.select_related("racer").order_by("rank")


class RankWindow:
    """A whole board's rows (a race's or a season's standings) as a paginator reads them:
    a page is a range of ranks, read through the (race or season, rank) index. The ranks
    are stored 1..N without gaps (racing/standings.py ranks every row in the transaction
    that adds or removes one), so the rows before a page need not be counted off one by
    one, as an OFFSET would, and the row count is the last rank."""

    def __init__(self, rows: QuerySet):
        self._rows = rows

    def count(self) -> int:
        return self._rows.aggregate(last=Max("rank"))["last"] or 0

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list:
        if not isinstance(window, slice) or window.step not in (None, 1):
            raise TypeError("a RankWindow is read by slices of ranks")
        start = window.start or 0
        rows = self._rows.filter(rank__gt=start)
        return list(rows if window.stop is None else rows.filter(rank__lte=window.stop))


def race_board_pages(race: Race) -> RankWindow:
    """The whole board (no search) for a paginator: `RankWindow`."""
    return RankWindow(race_leaderboard(race))


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
        "collision_count": row.collision_count,
        "submissions": row.submissions,
        "submitted_at": row.submitted_at,
        "result_id": row.result_id,
        "points": row.points,
        "simulator_version": row.simulator_version,
        # Raced on another simulator version than the one racing now (docs/organisers.md).
        "other_version": bool(row.simulator_version) and row.simulator_version != SIMULATOR_VERSION,
    }


def race_leaderboard_rows(race: Race, *, offset: int = 0, limit: int = 50) -> list[dict]:
    """Rows as dicts (rank, racer alias, time_s, gap_s, best lap, ...), for pages."""
    leader = race_leader_time(race)
    return [leaderboard_row(r, leader) for r in race_board_pages(race)[offset : offset + limit]]


def race_top(race: Race, n: int = 3) -> list[dict]:
    return race_leaderboard_rows(race, limit=n)


def season_standing_pages(season: Season) -> RankWindow:
    """The season's standings for a paginator: `RankWindow`."""
    return RankWindow(season_standings(season))


def season_standings(season: Season) -> QuerySet[SeasonStanding]:
    return SeasonStanding.objects.filter(season=season).select_related("racer").order_by("rank")


def season_standing_rows(season: Season, *, offset: int = 0, limit: int = 100, cells: bool = False) -> list[dict]:
    """Rows of the standings; with `cells`, each racer's result per race
    ({race id: {rank, finished, points}})."""
    page = season_standing_pages(season)[offset : offset + limit]
    by_racer = season_race_cells(season, [s.racer_id for s in page]) if cells else {}
    rows = []
    for s in page:
        row = {
            "rank": s.rank,
            "racer": s.racer.alias,
            "points": s.points,
            "races": s.races,
            "wins": s.wins,
            "best_rank": s.best_rank,
        }
        if cells:
            row["cells"] = by_racer.get(s.racer_id, {})
        rows.append(row)
    return rows


def community_races(user, *, now=None) -> list[dict]:
    """Community races to show `user`: the public ones and their own, not yet closed,
    the soonest to close first, each with its top three."""
    now = now or timezone.now()
    races = (
        access.listed_races(user)
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        .select_related("track", "owner")
        .order_by("closes_at", "id")[:20]
    )
    return [{"race": race, "top": race_top(race, 3), "accepting": race.accepting_submissions(now)} for race in races]


def home_data(*, user=None, latest: int = 10) -> dict:
    """The open (or last) season, its races each with their top three, and the signed-in
    racer's latest submissions."""
    season = league_selectors.season_current()
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
        "community_races": community_races(user),
        "now": timezone.now(),
    }


def race_entrant_rows(race: Race, *, racer: Racer | None = None) -> list[dict]:
    """Everyone who joined a community race (or only `racer`), in the order they
    joined: when, whether the facilitator removed them, how many submissions they made
    (any status) and their board row (rank and result; none once removed)."""
    of_racer = {"racer": racer} if racer is not None else {}
    counts = dict(
        Submission.objects.filter(race=race, **of_racer)
        .values("racer_id").annotate(n=Count("id")).values_list("racer_id", "n")
    )  # fmt: skip
    board = {
        row["racer_id"]: row
        for row in RaceStanding.objects.filter(race=race, **of_racer).values("racer_id", "rank", "result_id")
    }
    entrants = RaceEntrant.objects.filter(race=race, **of_racer).select_related("racer").order_by("joined_at", "id")
    return [
        {
            "racer": e.racer.alias,
            "joined_at": e.joined_at,
            "removed_at": e.removed_at,
            "submissions": counts.get(e.racer_id, 0),
            "rank": board.get(e.racer_id, {}).get("rank"),
            "result_id": board.get(e.racer_id, {}).get("result_id"),
        }
        for e in entrants
    ]


def race_racer(race: Race, alias: str) -> Racer | None:
    """The racer of that alias (any case) if they joined or entered the race."""
    racer = Racer.objects.filter(alias__iexact=alias).first()
    if racer is None:
        return None
    joined = RaceEntrant.objects.filter(race=race, racer=racer).exists()
    return racer if joined or Submission.objects.filter(race=race, racer=racer).exists() else None


def race_rank_of(race: Race, racer: Racer | None) -> int | None:
    """The racer's rank on a race's board, or None (one indexed query)."""
    if racer is None:
        return None
    return (
        RaceStanding.objects.filter(race=race, racer=racer).values_list("rank", flat=True).first()
    )


def race_standing_of(race: Race | int, racer: Racer | int | None) -> dict | None:
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


def racer_runs(racer: Racer, race_ids) -> dict[int, list[Result]]:
    """Every raced run of a racer in these races, by race id, in the order they were
    submitted (one query)."""
    runs: dict[int, list[Result]] = {}
    rows = (
        Result.objects.filter(racer=racer, race_id__in=list(race_ids))
        .select_related("submission__model")
        .order_by("submission__created_at", "id")
    )
    for result in rows:
        runs.setdefault(result.race_id, []).append(result)
    return runs


def racer_profile(racer: Racer, viewer) -> dict:
    """A racer's figures as `viewer` (a user, maybe anonymous) may see them: their row on
    every board the viewer may see, and in every season. A private race the viewer may
    not see stays out of sight, and out of the counts of wins and runs too."""
    race_rows = list(
        RaceStanding.objects.filter(racer=racer)
        .select_related("race__season", "race__track", "result")
        .order_by("-race__season__created_at", "race__order")
    )
    visible = set(
        access.visible_races(viewer).filter(pk__in={row.race_id for row in race_rows}).values_list("pk", flat=True)
    )
    race_rows = [row for row in race_rows if row.race_id in visible]
    return {
        "racer": racer,
        "races": race_rows,
        "visible_race_ids": visible,
        "seasons": list(
            SeasonStanding.objects.filter(racer=racer)
            .select_related("season")
            .order_by("-season__created_at")
        ),
        "results": Result.objects.filter(racer=racer, race_id__in=visible).count(),
        "wins": sum(1 for r in race_rows if r.rank == 1 and r.finished),
    }
