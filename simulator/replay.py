"""Replay files: a race's trajectory and events as JSON, readable without the simulator."""

from __future__ import annotations

import json
from pathlib import Path, PurePath

from . import layout as L
from .race import RaceResult
from .track import Track

REPLAY_FORMAT = "vrl-replay/1"


def replay_dict(result: RaceResult, track: Track, track_ref: str = "") -> dict:
    """Columns are listed once; each trajectory row follows `layout.TRAJ_COLUMNS`.

    Object avoidance and head-to-bot replays add `obstacles`: the race format, the boxes
    and each bot's pose at every trajectory row (`formats.Obstacles.replay_dict`); each
    collision is a `collision` event.

    `track_ref` names the track as it was given: a shipped track's slug or a file, of
    which only the name is kept. Replays are published, and the folder of the file can
    be a server's temporary one.
    """
    obstacles = result.obstacles_dict()
    return {
        "format": REPLAY_FORMAT,
        "track": {
            "ref": PurePath(track_ref).name if track_ref else track.name,
            "length_m": round(track.length_m, 4),
            "waypoints": len(track.center),
            # The track file is stored once, forwards: whoever draws this replay from it
            # turns it round first (`track_as_raced`).
            "reversed": track.is_reversed,
        },
        "result": result.to_dict(),
        "columns": list(L.TRAJ_COLUMNS),
        "trajectory": [[round(v, 6) for v in row] for row in result.trajectory.tolist()],
        "events": result.events,
        **({"obstacles": obstacles} if obstacles is not None else {}),
    }


def track_as_raced(replay: dict, track: Track) -> Track:
    """`track` (as loaded from its file, or already turned round) in the direction the
    replay's race drove it. Replays without the `reversed` key ran the file's order."""
    reversed_ = bool((replay.get("track") or {}).get("reversed", False))
    return track.reversed() if reversed_ != track.is_reversed else track


def write_replay(path: str | Path, result: RaceResult, track: Track, track_ref: str = "",
                 speed_multipliers: list | None = None) -> None:
    """A live run's replay adds the racer's `speed_multipliers` (simulator/live.py), the
    input that reproduces it."""
    data = replay_dict(result, track, track_ref)
    if speed_multipliers is not None:
        data["speed_multipliers"] = speed_multipliers
    Path(path).write_text(json.dumps(data, separators=(",", ":")))


def read_replay(path: str | Path) -> dict:
    data = json.loads(Path(path).read_text())
    if data.get("format") != REPLAY_FORMAT:
        raise ValueError(f"{path} is not a {REPLAY_FORMAT} replay file")
    return data
