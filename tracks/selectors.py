"""Reads of tracks for the API and the pages."""

from __future__ import annotations

import numpy as np
from django.db.models import Count, Q, QuerySet

from .models import Track
from .pictures import sim_track


def track_list() -> QuerySet[Track]:
    """Everyone's tracks: shipped, admins', and uploads an admin promoted."""
    return Track.objects.filter(is_public=True).annotate(race_count=Count("races")).order_by("name")


def track_cli_argument(track: Track) -> str:
    """What `--track` takes to race on `track` at home: a shipped track's slug, or the
    track's file (downloaded from its page) for any other."""
    return track.slug if track.is_shipped else f"{track.slug}.npy"


def tracks_for(user) -> QuerySet[Track]:
    """The tracks `user` may race on: everyone's, plus their own uploads (admins: all)."""
    tracks = Track.objects.all()
    if user is None or not user.is_authenticated:
        return tracks.filter(is_public=True)
    if not user.is_staff:
        tracks = tracks.filter(Q(is_public=True) | Q(uploaded_by=user))
    return tracks.annotate(race_count=Count("races")).order_by("name")


def tracks_uploaded_by(user) -> QuerySet[Track]:
    """The tracks `user` uploaded, newest first."""
    return Track.objects.filter(uploaded_by=user).annotate(race_count=Count("races")).order_by("-created_at", "-id")


def track_get(slug: str) -> Track:
    """The track (raises Track.DoesNotExist), with its races newest first on `.race_list`."""
    track = Track.objects.get(slug=slug)
    track.race_list = list(
        track.races.select_related("season").order_by("-season__created_at", "order")
    )
    return track


def _points(arr: np.ndarray) -> list[list[float]]:
    return np.round(np.asarray(arr, dtype=np.float64), 4).tolist()


def track_geometry(track, *, reverse: bool = False) -> dict:
    """What a page needs to draw the track to scale: borders in driving order (metres),
    the track driven the other way round with `reverse`."""
    sim = sim_track(track).reversed() if reverse else sim_track(track)
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
