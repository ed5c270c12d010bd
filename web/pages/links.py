"""Links the pages and templates build: a result's replay page, a track's picture."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse


def replay_url(result_id: int | None) -> str | None:
    """The replay page of a result, or None without one."""
    if not result_id:
        return None
    try:
        return reverse("result-replay", kwargs={"result_id": result_id})
    except NoReverseMatch:
        return None


def track_map_url(track, width: int | None = None) -> str | None:
    """The track's picture: the `track-map` PNG (`?w=` its width) if that URL exists,
    else the image stored at import."""
    try:
        url = reverse("track-map", kwargs={"slug": track.slug})
    except NoReverseMatch:
        return track.image.url if track.image else None
    return f"{url}?w={int(width)}" if width else url


def results_export_urls(race) -> dict[str, str]:
    """A race's results downloads from the API: {"csv": "/api/races/7/results.csv",
    "json": ".../results.json"} (by path, beside the race's own API URL)."""
    try:
        base = reverse("api-race", kwargs={"race_id": race.pk})
    except NoReverseMatch:
        base = f"/api/races/{race.pk}/"
    return {kind: f"{base}results.{kind}" for kind in ("csv", "json")}
