"""Track files are downloaded through a view that applies the track's visibility; media
is never served straight from storage."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.test import Client

from tests import factories as f
from tests.simulator.builders import npy_bytes, stadium
from tracks.services import track_upload

pytestmark = pytest.mark.django_db


def test_a_shipped_track_file_downloads_as_it_was_loaded(client):
    track = f.track()
    response = client.get(f"/tracks/{track.slug}/track.npy")
    assert response.status_code == 200
    assert 'filename="oval-loop.npy"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert np.load(io.BytesIO(body), allow_pickle=False).shape[1] == 6
    with track.file.open("rb") as fh:
        assert body == fh.read()


def test_a_private_upload_is_its_owners_only():
    owner = f.facilitator("Fran")
    track = track_upload(user=owner.user, name="Office Loop", data=npy_bytes(stadium()))
    outsider, mine = Client(), Client()
    outsider.force_login(f.racer("Oscar").user)
    mine.force_login(owner.user)
    assert outsider.get(f"/tracks/{track.slug}/track.npy").status_code == 404
    assert mine.get(f"/tracks/{track.slug}/track.npy").status_code == 200


def test_media_files_are_not_served_directly(client):
    track = f.track()
    assert client.get("/media/" + track.file.name).status_code == 404
