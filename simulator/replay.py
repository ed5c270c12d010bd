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


def duel_replay_dict(outcome, track: Track, track_ref: str = "", names: tuple[str, str] = ("a", "b")) -> dict:
    """A duel (`duel.DuelOutcome`) as a replay: car a's race exactly as a time trial's
    replay (readers of those draw it unchanged), plus `duel`: the settings, the winner,
    both cars' names and grid positions, the contacts between them, and car b's result,
    trajectory and events (`opponent`). Both trajectories have a row per control step
    from the same start, so row k of each is the same moment (a car that finished or
    failed has fewer rows: it has left the track)."""
    a, b = outcome.results
    out = replay_dict(a, track, track_ref)
    d = outcome.to_dict()
    out["duel"] = {
        "settings": outcome.settings.to_dict(),
        "winner": d["winner"],
        "names": {"a": names[0], "b": names[1]},
        "positions": d["positions"],
        "collisions": outcome.collisions,
        "trajectory_sha256": d["trajectory_sha256"],
        "opponent": {
            "result": b.to_dict(),
            "trajectory": [[round(v, 6) for v in row] for row in b.trajectory.tolist()],
            "events": b.events,
        },
    }
    return out


def write_duel_replay(path: str | Path, outcome, track: Track, track_ref: str = "",
                      names: tuple[str, str] = ("a", "b")) -> None:
    Path(path).write_text(json.dumps(duel_replay_dict(outcome, track, track_ref, names), separators=(",", ":")))


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
