"""Replays of official runs: the replay JSON with track geometry, the runs to compare
with and the DeepRacer simtrace CSV. Views (web/api/replay_views.py, web/pages/replays.py)
call these; they hold no rules. Videos: racing/videos.py."""

from __future__ import annotations

import json
from pathlib import PurePath

from simulator.formats.params import BOT_RGB, BOX_RGB
from simulator.simtrace import simtrace_csv
from tracks.pictures import sim_track
from tracks.selectors import track_geometry

from .models import RaceStanding, Result


class ReplayMissing(LookupError):
    """The result has no readable replay file."""


# --- Replay data --------------------------------------------------------------------------


def replay_file_read(fieldfile, what: str) -> dict:
    """A stored replay file (the simulator's replay JSON); `what` names it in the errors."""
    if not fieldfile:
        raise ReplayMissing(f"{what} has no replay file")
    try:
        with fieldfile.open("rb") as fh:
            data = json.loads(fh.read())
    except (OSError, ValueError) as exc:
        raise ReplayMissing(f"the replay of {what} cannot be read: {exc}") from None
    if not isinstance(data, dict) or "trajectory" not in data:
        raise ReplayMissing(f"the replay of {what} is not a replay file")
    return data


def replay_read(result: Result) -> dict:
    """The stored replay file of a result."""
    return replay_file_read(result.replay, f"result {result.pk}")


def result_meta(result: Result) -> dict:
    race = result.race
    return {
        "result_id": result.pk,
        "racer": result.racer.alias,
        "race": {
            "id": race.pk,
            "name": race.display_name,
            "laps": race.laps,
            "timing_method": race.timing_method,
            "off_track_penalty_s": race.off_track_penalty_s,
            "time_cap_s": race.time_cap_s,
            "format": race.format,
            "collision_penalty_s": race.collision_penalty_s,
        },
        "status": result.status,
        "official_time_s": result.official_time_s,
        "video_status": result.video_status,
    }


def replay_payload(result: Result) -> dict:
    """The replay JSON as served: the stored replay (columns, trajectory, events, result)
    with the track's geometry merged into its `track` block and who/where in `meta`."""
    data = replay_read(result)
    track = dict(data.get("track") or {})
    # Replays raced before simulator/replay.py kept only the name held the worker's path.
    track["ref"] = PurePath(str(track.get("ref") or "")).name
    track.update(track_geometry(result.race.track, reverse=bool(track.get("reversed"))))
    data["track"] = track
    if isinstance(data.get("obstacles"), dict):
        # How boxes and bots look (the simulator's colours, which its videos draw too).
        data["obstacles"] = {**data["obstacles"], "box_rgb": list(BOX_RGB), "bot_rgb": list(BOT_RGB)}
    data["meta"] = result_meta(result)
    return data


def compare_candidates(result: Result, limit: int = 25) -> list[dict]:
    """Other runs of the same race a replay can be compared with: the race's board (best
    run per racer, rank order), the default ghost first (the leader, or second place
    when this run leads). Each has `result_id`, `racer`, `rank`, `time_s`, `finished`."""
    rows = (
        RaceStanding.objects.filter(race_id=result.race_id)
        .select_related("racer")
        .order_by("rank")[:limit]
    )
    out = [
        {
            "result_id": row.result_id,
            "racer": row.racer.alias,
            "rank": row.rank,
            "time_s": row.time_s,
            "finished": row.finished,
            "laps": row.laps,
        }
        for row in rows
        if row.result_id != result.pk
    ]
    return out


def result_simtrace(result: Result) -> str:
    return simtrace_csv(replay_read(result), sim_track(result.race.track))
