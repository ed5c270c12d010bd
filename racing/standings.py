"""Standings: each racer's best result per race, ranked, with season points (league races
only); stored and rebuilt in one transaction when a result lands, so every board is one
indexed read. Racers removed from a community race stay on record, off the board."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.db.models import Count, Min, Q, Sum

from league.models import Race, RaceEntrant, Season
from league.services import lock_rows

from .models import RaceStanding, Result, SeasonStanding

# Season points by rank in a race, as in Formula 1 (2010 onwards). Only runs that
# finished score; a DNF ranks below every finisher and scores nothing.
POINTS_BY_RANK = (25, 18, 15, 12, 10, 8, 6, 4, 2, 1)

# The ranking order as a database ordering of RaceStanding; standing_sort_key is the
# same order in Python.
STANDING_ORDER = ("-finished", "time_s", "-laps", "-progress", "submitted_at", "result_id")


def points_for(rank: int, finished: bool) -> int:
    if not finished or rank < 1 or rank > len(POINTS_BY_RANK):
        return 0
    return POINTS_BY_RANK[rank - 1]


def standing_sort_key(*, finished: bool, time_s, laps: int, progress: float, submitted_at, result_id: int):
    """The ranking of the design: finishers by official time, then DNF by laps and
    progress, ties to the earlier submission. STANDING_ORDER is the same order for the
    database (tests/racing/test_standings.py proves they agree)."""
    if finished:
        return (0, float(time_s), 0, 0.0, submitted_at, result_id)
    return (1, 0.0, -int(laps), -float(progress), submitted_at, result_id)


def _result_key(result) -> tuple:
    return standing_sort_key(
        finished=result.is_finished,
        time_s=result.official_time_s,
        laps=result.laps_completed,
        progress=result.progress,
        submitted_at=result.submission.created_at,
        result_id=result.pk,
    )


def _standing_key(row: RaceStanding) -> tuple:
    return standing_sort_key(
        finished=row.finished,
        time_s=row.time_s,
        laps=row.laps,
        progress=row.progress,
        submitted_at=row.submitted_at,
        result_id=row.result_id,
    )


def _fill_standing(row: RaceStanding, result) -> None:
    row.result = result
    row.finished = result.is_finished
    row.time_s = result.official_time_s if row.finished else None
    row.best_lap_s = result.best_lap_s
    row.laps = result.laps_completed
    row.progress = result.progress
    row.off_track_count = result.off_track_count
    row.collision_count = result.collision_count
    row.submitted_at = result.submission.created_at
    row.simulator_version = result.simulator_version


def _removed_racer_ids(race: Race) -> set[int]:
    return set(RaceEntrant.objects.filter(race=race, removed_at__isnull=False).values_list("racer_id", flat=True))


def _race_rerank(race: Race) -> None:
    """Give every row of the race its rank and points by the standing order; write only
    the rows that changed."""
    rows = RaceStanding.objects.filter(race=race).order_by(*STANDING_ORDER)
    changed = []
    for rank, (pk, old_rank, old_points, finished) in enumerate(
        rows.values_list("pk", "rank", "points", "finished"), start=1
    ):
        # Community races rank without season points.
        points = points_for(rank, finished) if race.season_id else 0
        if old_rank != rank or old_points != points:
            changed.append(RaceStanding(pk=pk, rank=rank, points=points))
    if changed:
        RaceStanding.objects.bulk_update(changed, ["rank", "points"], batch_size=500)


def race_standing_apply(result) -> None:
    """A new result of a racer: update their row if it is their best, then re-rank.
    Call inside the transaction that stores the result."""
    race = result.race
    # One board update at a time per race (workers record results concurrently).
    lock_rows(Race.objects.filter(pk=race.pk))
    if _removed_racer_ids(race) & {result.racer_id}:
        return  # kept on record, off the board
    submissions = Result.objects.filter(race=race, racer_id=result.racer_id, superseded_at__isnull=True).count()
    row = RaceStanding.objects.select_for_update(of=("self",)).filter(race=race, racer_id=result.racer_id).first()
    if row is None:
        row = RaceStanding(race=race, racer_id=result.racer_id, rank=0, points=0)
        _fill_standing(row, result)
        row.submissions = submissions
        row.save()
    else:
        row.submissions = submissions
        if _result_key(result) < _standing_key(row):
            _fill_standing(row, result)
        row.save()
    _race_rerank(race)


def standings_rebuild(race: Race) -> None:
    """Rebuild the race's board from all its results, then the season's standings."""
    with transaction.atomic():
        lock_rows(Race.objects.filter(pk=race.pk))
        best: dict[int, Result] = {}
        counts: dict[int, int] = {}
        results = Result.objects.filter(race=race, superseded_at__isnull=True).exclude(
            racer_id__in=_removed_racer_ids(race)
        )
        for result in results.select_related("submission"):
            counts[result.racer_id] = counts.get(result.racer_id, 0) + 1
            current = best.get(result.racer_id)
            if current is None or _result_key(result) < _result_key(current):
                best[result.racer_id] = result
        existing = {row.racer_id: row for row in RaceStanding.objects.filter(race=race)}
        new_rows, updated = [], []
        for racer_id, result in best.items():
            row = existing.pop(racer_id, None)
            if row is None:
                row = RaceStanding(race=race, racer_id=racer_id, rank=0, points=0)
                new_rows.append(row)
            else:
                updated.append(row)
            _fill_standing(row, result)
            row.submissions = counts[racer_id]
        if existing:
            RaceStanding.objects.filter(pk__in=[r.pk for r in existing.values()]).delete()
        RaceStanding.objects.bulk_create(new_rows, batch_size=500)
        fields = [
            "result", "finished", "time_s", "best_lap_s", "laps", "progress",
            "off_track_count", "collision_count", "submitted_at", "submissions", "simulator_version",
        ]  # fmt: skip
        RaceStanding.objects.bulk_update(updated, fields, batch_size=500)
        _race_rerank(race)
        if race.season_id:
            season_standings_rebuild(race.season)


def season_standings_rebuild(season: Season) -> None:
    """Sum the points of every race of the season per racer and rank them: points, then
    wins, then best rank, then races entered, then alias."""
    with transaction.atomic():
        lock_rows(Season.objects.filter(pk=season.pk))
        totals = (
            RaceStanding.objects.filter(race__season=season)
            .values("racer_id", "racer__alias")
            .annotate(
                total=Sum("points"),
                races=Count("id"),
                wins=Count("id", filter=Q(rank=1, finished=True)),
                best=Min("rank"),
            )
        )
        ordered = sorted(
            totals,
            key=lambda t: (-t["total"], -t["wins"], t["best"], -t["races"], t["racer__alias"].lower()),
        )
        existing = {row.racer_id: row for row in SeasonStanding.objects.filter(season=season)}
        new_rows, changed = [], []
        for rank, t in enumerate(ordered, start=1):
            values = {
                "rank": rank,
                "points": t["total"],
                "races": t["races"],
                "wins": t["wins"],
                "best_rank": t["best"],
            }
            row = existing.pop(t["racer_id"], None)
            if row is None:
                new_rows.append(SeasonStanding(season=season, racer_id=t["racer_id"], **values))
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                changed.append(row)
        if existing:
            SeasonStanding.objects.filter(pk__in=[r.pk for r in existing.values()]).delete()
        SeasonStanding.objects.bulk_create(new_rows, batch_size=500)
        SeasonStanding.objects.bulk_update(
            changed, ["rank", "points", "races", "wins", "best_rank"], batch_size=500
        )


def supersede_older_versions(result: Result) -> None:
    """A re-race landed: the racer's results of other versions in the race leave the
    board. Call inside the transaction that stores `result`."""
    Result.objects.filter(race_id=result.race_id, racer_id=result.racer_id, superseded_at__isnull=True).exclude(
        simulator_version=result.simulator_version
    ).update(superseded_at=timezone.now())
    standings_rebuild(result.race)
