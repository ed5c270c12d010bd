"""Loading tracks: the shipped catalogue and DeepRacer files brought by an organiser."""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path

import numpy as np
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.text import slugify

from simulator import catalog
from simulator.track import Track as SimTrack
from simulator.track import TrackError, load_track_file

from .images import track_png
from .models import Track


def _sim_track_from_bytes(data: bytes, name: str) -> SimTrack:
    """Validate track bytes with the simulator's own loader (never unpickles)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name or 'track'}.npy"
        path.write_bytes(data)
        return load_track_file(path)


def _figures(sim: SimTrack) -> dict:
    return {
        "length_m": round(float(sim.length_m), 3),
        "min_width_m": round(float(np.min(sim.width_m)), 3),
        "max_width_m": round(float(np.max(sim.width_m)), 3),
        "waypoints": int(sim.n),
        "clockwise": bool(sim.clockwise),
    }


@transaction.atomic
def track_import(
    *,
    data: bytes,
    name: str,
    slug: str = "",
    description: str = "",
    difficulty: str = "",
    is_shipped: bool = False,
) -> tuple[Track, bool]:
    """Create or update the track `slug` from DeepRacer `.npy` bytes.

    Returns (track, changed). Raises TrackError with the reason for a bad file. Loading
    the same bytes again changes nothing (idempotent).
    """
    slug = slug or slugify(name)
    if not slug:
        raise TrackError("the track needs a name made of letters or digits")
    sim = _sim_track_from_bytes(data, slug)
    sha = hashlib.sha256(data).hexdigest()
    track = Track.objects.filter(slug=slug).first()
    if track is not None and track.sha256 == sha and track.name == name:
        changed = track.description != description or track.difficulty != difficulty
        if changed:
            track.description, track.difficulty = description, difficulty
            track.save(update_fields=["description", "difficulty"])
        return track, changed
    track = track or Track(slug=slug)
    track.name = name
    track.description = description
    track.difficulty = difficulty
    track.is_shipped = is_shipped
    track.sha256 = sha
    for key, value in _figures(sim).items():
        setattr(track, key, value)
    track.file.save(f"{slug}.npy", ContentFile(data), save=False)
    track.image.save(f"{slug}.png", ContentFile(track_png(sim)), save=False)
    track.save()
    return track, True


def tracks_load_shipped() -> list[tuple[Track, bool]]:
    """Load (or refresh) every track of `tracks/data/catalog.json`."""
    loaded = []
    for info in catalog.list_tracks():
        loaded.append(
            track_import(
                data=Path(info.path).read_bytes(),
                name=info.name,
                slug=info.slug,
                description=info.description,
                difficulty=info.difficulty,
                is_shipped=True,
            )
        )
    return loaded


def track_file_bytes(track: Track) -> bytes:
    with track.file.open("rb") as fh:
        return fh.read()


def track_array(track: Track) -> np.ndarray:
    """The waypoint array (for drawing or replays); never unpickles."""
    return np.load(io.BytesIO(track_file_bytes(track)), allow_pickle=False)


__all__ = ["TrackError", "track_import", "tracks_load_shipped", "track_file_bytes", "track_array"]


MAX_TRACK_BYTES = 5 * 1024 * 1024  # a DeepRacer track is tens of kilobytes


def track_upload(*, user, name: str, data: bytes | None) -> Track:
    """A facilitator's (or admin's) own DeepRacer `.npy` track, validated as the simulator
    validates tracks. Theirs to race on; an admin's upload (or promotion) is everyone's.
    Raises ValidationError({field: [messages]})."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Give the track a name."]
    elif len(name) > 120:
        errors["name"] = ["Use at most 120 characters for the name."]
    elif not slugify(name):
        errors["name"] = ["Use letters or digits in the name."]
    if not data:
        errors["npy"] = ["Attach the track as the `npy` file: a DeepRacer waypoint array (N x 6)."]
    elif len(data) > MAX_TRACK_BYTES:
        errors["npy"] = [f"The track file is larger than {MAX_TRACK_BYTES // (1024 * 1024)} MiB; a track has a few hundred waypoints."]
    if errors:
        raise ValidationError(errors)
    base = slugify(name)[:50]
    slug, n = base, 1
    while Track.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    try:
        track, _ = track_import(data=data, name=name, slug=slug)
    except TrackError as exc:
        raise ValidationError({"npy": [f"This is not a usable track: {exc}."]}) from None
    track.uploaded_by = user
    track.is_public = bool(user.is_staff)
    track.save(update_fields=["uploaded_by", "is_public"])
    return track


def track_promote(track: Track) -> Track:
    """An admin puts an uploaded track on everyone's list."""
    if not track.is_public:
        track.is_public = True
        track.save(update_fields=["is_public"])
    return track
