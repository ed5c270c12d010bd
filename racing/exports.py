"""Results export: a race's board and a season's standings as rows for CSV and JSON, in
board order, with the figures organisers put in their own spreadsheets."""

from __future__ import annotations

import csv
import io

from league.models import Race, Season
from league.rules import RANKING_OF_TIMING

from .models import RaceStanding, SeasonStanding

RACE_COLUMNS = (
    "rank", "racer", "ranking", "ranking_time_s", "total_time_s", "best_lap_s", "avg_lap_s",
    "laps", "off_track_count", "collision_count", "submissions", "submitted_at", "result_id", "model_sha256",
)  # fmt: skip
SEASON_COLUMNS = ("rank", "racer", "points", "races", "wins", "best_rank")


def race_result_rows(race: Race) -> list[dict]:
    """One row per racer on the board: their best result, in rank order."""
    rows = (
        RaceStanding.objects.filter(race=race)
        .select_related("racer", "result__submission__model")
        .order_by("rank")
    )
    ranking = RANKING_OF_TIMING.get(race.timing_method, race.timing_method)
    return [
        {
            "rank": row.rank,
            "racer": row.racer.alias,
            "ranking": ranking,
            "ranking_time_s": row.time_s,
            "total_time_s": row.result.total_time_s,
            "best_lap_s": row.result.best_lap_s,
            "avg_lap_s": row.result.avg_lap_s,
            "laps": row.laps,
            "off_track_count": row.off_track_count,
            "collision_count": row.collision_count,
            "submissions": row.submissions,
            "submitted_at": row.submitted_at.isoformat(),
            "result_id": row.result_id,
            "model_sha256": row.result.model_sha256,
        }
        for row in rows
    ]


def season_standing_export_rows(season: Season) -> list[dict]:
    rows = SeasonStanding.objects.filter(season=season).select_related("racer").order_by("rank")
    return [
        {"rank": s.rank, "racer": s.racer.alias, "points": s.points, "races": s.races, "wins": s.wins,
         "best_rank": s.best_rank}
        for s in rows
    ]  # fmt: skip


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    # A spreadsheet runs a cell that starts like a formula; aliases are racers' own text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_csv(rows: list[dict], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in columns])
    return out.getvalue()
