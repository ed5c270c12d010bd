"""The JSON messages of the live sockets (documented in docs/live.md).

One builder per stream, used both for the updates the publishers send and for the
snapshots a socket gets when it connects (so a reconnecting page catches up with the
same code that applies updates). Public streams carry public figures only: ranks,
aliases, times, counts, result ids. Submission messages (status, errors, progress) go
to the owner's sockets only.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from django.urls import NoReverseMatch, reverse

from racing import selectors
from racing.failures import failure_explained
from racing.models import RaceStanding, Result, SeasonStanding, Submission
from ladder import selectors as ladder_selectors
from simulator.formatting import format_gap, format_race_time

BOARD_ROWS = 50  # rows carried by a leaderboard update: the first page of the board
STANDINGS_ROWS = 100
MAX_SNAPSHOT_ROWS = 500


def plain(value):
    """JSON- and msgpack-safe copy: datetimes as ISO 8601, no NaN."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _url(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def replay_url(result_id: int | None) -> str | None:
    """The replay page of a result (a page URL: resolved by name, not imported)."""
    return _url("result-replay", result_id) if result_id else None


def _clamp(offset, limit, default: int) -> tuple[int, int]:
    try:
        offset = max(0, int(offset or 0))
    except (TypeError, ValueError):
        offset = 0
    try:
        limit = int(limit) if limit is not None else default
    except (TypeError, ValueError):
        limit = default
    return offset, max(1, min(MAX_SNAPSHOT_ROWS, limit))


# --- Race leaderboards --------------------------------------------------------------------


def leaderboard_row(row: dict) -> dict:
    finished = bool(row["finished"])
    return plain(
        {
            "rank": row["rank"],
            "racer": row["racer"],
            "finished": finished,
            "time_s": row["time_s"],
            "gap_s": row["gap_s"],
            "best_lap_s": row["best_lap_s"],
            "laps": row["laps"],
            "progress": row["progress"],
            "off_track_count": row["off_track_count"],
            "collision_count": row["collision_count"],
            "submissions": row["submissions"],
            "submitted_at": row["submitted_at"],
            "result_id": row["result_id"],
            "points": row["points"],
            # As the pages print them, so that a live row looks like a rendered one.
            "time": format_race_time(row["time_s"]) if finished else "DNF",
            # The leader's own row has no gap ("—"); a tie with the leader reads "+0.000".
            "gap": format_gap(row["gap_s"] if row["rank"] != 1 else None) if finished else "—",
            "best_lap": format_race_time(row["best_lap_s"]),
            "replay_url": replay_url(row["result_id"]),
        }
    )


def leaderboard(race, *, kind: str = "snapshot", offset: int = 0, limit: int | None = None,
                changed: list[dict] | None = None) -> dict:
    """`leaderboard.snapshot` or `leaderboard.update`: rows [offset, offset + limit)."""
    offset, limit = _clamp(offset, limit, BOARD_ROWS)
    leader = selectors.race_leader_time(race)
    rows = selectors.race_leaderboard_rows(race, offset=offset, limit=limit)
    message = {
        "type": f"leaderboard.{kind}",
        "race": race.pk,
        "count": RaceStanding.objects.filter(race=race).count(),
        "offset": offset,
        "limit": limit,
        "leader_time_s": leader,
        "rows": [leaderboard_row(r) for r in rows],
    }
    if changed is not None:
        message["changed"] = changed
    return plain(message)


def result_changed(result) -> dict:
    """What a landed result did to the board: the racer's row (public)."""
    standing = selectors.race_standing_of(result.race_id, result.racer_id)
    return plain(
        {
            "racer": result.racer.alias,
            "result_id": result.pk,
            "status": result.status,
            "official_time_s": result.official_time_s,
            "rank": standing["rank"] if standing else None,
            # False: the run did not beat the racer's best (only their count changed).
            "improved": bool(standing and standing["result_id"] == result.pk),
        }
    )


# --- Season standings ---------------------------------------------------------------------


def standings(season, *, kind: str = "snapshot", offset: int = 0, limit: int | None = None,
              changed: list[dict] | None = None) -> dict:
    """`standings.snapshot` or `standings.update`: rows [offset, offset + limit), each
    with its per-race cells ({race id: {rank, finished, points}})."""
    offset, limit = _clamp(offset, limit, STANDINGS_ROWS)
    message = {
        "type": f"standings.{kind}",
        "season": season.slug,
        "count": SeasonStanding.objects.filter(season=season).count(),
        "offset": offset,
        "limit": limit,
        "rows": selectors.season_standing_rows(season, offset=offset, limit=limit, cells=True),
    }
    if changed is not None:
        message["changed"] = changed
    return plain(message)


# --- Submissions (owner only) -------------------------------------------------------------


def submission_result(submission) -> dict | None:
    result = Result.objects.filter(submission_id=submission.pk).first()
    if result is None:
        return None
    standing = selectors.race_standing_of(result.race_id, result.racer_id)
    finished = result.is_finished
    return plain(
        {
            "id": result.pk,
            "status": result.status,
            "official_time_s": result.official_time_s,
            "time": format_race_time(result.official_time_s) if finished else "DNF",
            "total_time_s": result.total_time_s,
            "best_lap_s": result.best_lap_s,
            "best_lap": format_race_time(result.best_lap_s),
            "laps_completed": result.laps_completed,
            "progress": result.progress,
            "off_track_count": result.off_track_count,
            "collision_count": result.collision_count,
            "is_best": bool(standing and standing["result_id"] == result.pk),
            "board_rank": standing["rank"] if standing else None,
            "replay_url": replay_url(result.pk),
            # Through the API, which applies the race's replay rules (never a media URL).
            "replay_file_url": _url("api-result-replay", result.pk) if result.replay else None,
            "video_url": _url("api-result-video", result.pk) if result.video else None,
            "video_status": result.video_status,
            "result_url": _url("api-result", result.pk),
            "leaderboard_url": _url("api-race-leaderboard", result.race_id),
        }
    )


def submission_status(submission) -> dict:
    status = str(submission.status)
    return plain(
        {
            "type": "submission.status",
            "submission": submission.pk,
            "race": submission.race_id,
            "status": status,
            "final": status in Submission.FINAL_STATUSES,
            "error": submission.error or "",
            "attempts": submission.attempts,
            "started_at": submission.started_at,
            "finished_at": submission.finished_at,
            "result": submission_result(submission) if status == Submission.Status.FINISHED else None,
            # Where, when and why a failed run failed (null for any other status).
            "failure": failure_explained(submission),
            # Where a running race is, for a page that connects mid-race.
            "lap": submission.progress_lap if status == "running" else None,
            "laps": submission.race.laps if status == "running" else None,
        }
    )


def submission_progress(submission, *, lap, laps, time_s) -> dict:
    return plain(
        {
            "type": "submission.progress",
            "submission": submission.pk,
            "race": submission.race_id,
            "status": "running",
            "lap": int(lap),
            "laps": int(laps),
            "time_s": None if time_s is None else float(time_s),
        }
    )


# --- Head-to-head (ladder/) -------------------------------------------------------------------


def ladder_update(race_id: int) -> dict:
    """`ladder.update`: the race's ladder, first BOARD_ROWS rows (public, like its board)."""
    rows = []
    for rank, r in enumerate(ladder_selectors.ladder_ratings(race_id)[:BOARD_ROWS], 1):
        rows.append({"rank": rank, "racer": r.racer.alias, **ladder_selectors.ladder_fields((rank, r))})
    return plain({"type": "ladder.update", "race": race_id, "rows": rows})


def match_changed(match) -> dict:
    """`match.changed`: a match of the race was queued, started, finished or failed."""
    return plain({"type": "match.changed", "race": match.race_id, "match": ladder_selectors.match_row(match)})
