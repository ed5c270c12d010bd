"""Reads of tracks for the API and the pages."""

from __future__ import annotations

import numpy as np
from django.db.models import Count, QuerySet

from .models import Track
from .pictures import sim_track


def track_list() -> QuerySet[Track]:
    return Track.objects.annotate(race_count=Count("races")).order_by("name")


def track_get(slug: str) -> Track:
    """The track (raises Track.DoesNotExist), with its races newest first on `.race_list`."""
    track = Track.objects.get(slug=slug)
    track.race_list = list(
        track.races.select_related("season").order_by("-season__created_at", "order")
    )
    return track


def _points(arr: np.ndarray) -> list[list[float]]:
    return np.round(np.asarray(arr, dtype=np.float64), 4).tolist()


def track_geometry(track) -> dict:
    """What a page needs to draw the track to scale: borders in driving order (metres)."""
    sim = sim_track(track)
    return {
        "slug": track.slug,
        "name": track.name,
        "length_m": round(sim.length_m, 4),
        "clockwise": bool(sim.clockwise),
        "bounds": [round(v, 4) for v in sim.bounds],
        "center": _points(sim.center),
        "left": _points(sim.left),
        "right": _points(sim.right),
        # Arc length of every waypoint, to place markers by lap distance.
        "cum_s_m": np.round(sim.cum_s_m[:-1], 4).tolist(),
    }
