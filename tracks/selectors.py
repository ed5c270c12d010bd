"""Reads of tracks for the API and the pages."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from .models import Track


def track_list() -> QuerySet[Track]:
    return Track.objects.annotate(race_count=Count("races")).order_by("name")


def track_get(slug: str) -> Track:
    """The track (raises Track.DoesNotExist), with its races newest first on `.race_list`."""
    track = Track.objects.get(slug=slug)
    track.race_list = list(
        track.races.select_related("season").order_by("-season__created_at", "order")
    )
    return track
