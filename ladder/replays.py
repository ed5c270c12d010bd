"""A match's replays as served: each duel's replay file (simulator/replay.py
`duel_replay_dict`: car a as a time trial's replay, car b under `duel.opponent`) with the
track's geometry, both cars' names and colours, and who raced where."""

from __future__ import annotations

import json

from tracks.selectors import track_geometry

from .models import Match

# Car a and car b as the pages and videos draw them (orange and teal: apart for most
# colour vision).
CAR_RGB = {"a": (242, 142, 43), "b": (43, 170, 160)}


class MatchReplayMissing(LookupError):
    pass


def match_replay_payload(match: Match, duel: int) -> dict:
    field = getattr(match, f"replay_{duel}", None) if duel in (1, 2) else None
    if not field:
        raise MatchReplayMissing(f"match {match.pk} has no replay of duel {duel}")
    try:
        with field.open("rb") as fh:
            data = json.loads(fh.read())
    except (OSError, ValueError) as exc:
        raise MatchReplayMissing(f"the replay of match {match.pk} cannot be read: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("duel"), dict):
        raise MatchReplayMissing(f"the replay of match {match.pk} is not a duel replay")
    track = dict(data.get("track") or {})
    track.update(track_geometry(match.race.track, reverse=bool(track.get("reversed"))))
    data["track"] = track
    data["duel"]["names"] = {"a": match.racer_a.alias, "b": match.racer_b.alias}
    data["duel"]["car_rgb"] = {k: list(v) for k, v in CAR_RGB.items()}
    data["meta"] = {"match_id": match.pk, "duel": duel, "race_id": match.race_id, "race": match.race.display_name,
                    "racer": match.racer_a.alias, "opponent": match.racer_b.alias}
    return data
