from __future__ import annotations

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests import factories as f
from tracks.models import Track

pytestmark = pytest.mark.django_db


def test_load_tracks_loads_the_shipped_catalogue_idempotently():
    call_command("load_tracks")
    count = Track.objects.count()
    assert count >= 1
    first = {t.slug: (t.sha256, t.file.name) for t in Track.objects.all()}
    call_command("load_tracks")
    assert {t.slug: (t.sha256, t.file.name) for t in Track.objects.all()} == first
    track = Track.objects.first()
    assert track.is_shipped and track.length_m > 0 and track.image.name.endswith(".png")


def test_load_tracks_imports_a_deepracer_file(tmp_path):
    path = tmp_path / "my_circle.npy"
    np.save(path, f.oval_waypoints())
    call_command("load_tracks", str(path), "--name", "My Circle")
    track = Track.objects.get(slug="my-circle")
    assert track.waypoints == 60 and abs(track.length_m - 2 * np.pi * 3.0) < 0.1


@pytest.mark.parametrize(
    "content, reason",
    [
        (lambda p: np.save(p, np.zeros((10, 4))), "shape"),
        (lambda p: p.write_bytes(b"not numpy at all"), "not a numpy"),
        (lambda p: np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True), "pickled"),
    ],
)
def test_bad_track_files_are_refused_with_the_reason(tmp_path, capsys, content, reason):
    path = tmp_path / "bad.npy"
    content(path)
    with pytest.raises(CommandError):
        call_command("load_tracks", str(path))
    assert reason in capsys.readouterr().err
    assert not Track.objects.exists()


def test_tracks_api(api):
    track = f.track("oval-loop")
    listed = api.get("/api/tracks/").json()
    assert [t["slug"] for t in listed] == ["oval-loop"]
    race = f.race(tracks=[track])
    detail = api.get("/api/tracks/oval-loop/").json()
    assert detail["length_m"] == track.length_m and detail["image_url"]
    assert detail["races"][0]["id"] == race.pk
    assert api.get("/api/tracks/nowhere/").status_code == 404
