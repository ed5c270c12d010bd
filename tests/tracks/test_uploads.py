"""Facilitators' own tracks: a DeepRacer .npy uploaded over the API, checked as the
simulator checks tracks, theirs to race on until an admin promotes it; who sees which
track."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests import factories as f
from tests.simulator.builders import INVALID_TRACKS, npy_bytes, pickle_marker, stadium, stadium_length
from tracks.models import Track
from tracks.services import MAX_TRACK_BYTES, track_promote

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def fran():
    return f.facilitator("Fran")


def upload(client: APIClient, data: bytes | None, name: str = "Office Loop"):
    body = {"name": name}
    if data is not None:
        body["npy"] = SimpleUploadedFile("office.npy", data, content_type="application/octet-stream")
    return client.post("/api/tracks/", body, format="multipart")


def test_a_good_file_becomes_the_facilitators_track_with_its_figures(fran):
    resp = upload(f.api_client(fran), npy_bytes(stadium()))
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["slug"] == "office-loop" and body["name"] == "Office Loop" and body["is_public"] is False
    assert body["waypoints"] == len(stadium()) - 1  # the repeated first row is not a waypoint
    assert body["length_m"] == pytest.approx(stadium_length(), rel=0.01)
    assert body["min_width_m"] == pytest.approx(1.0, abs=0.01) and body["image_url"].endswith(".png")
    track = Track.objects.get(slug="office-loop")
    assert track.uploaded_by == fran.user and not track.is_shipped
    # the same name again gets its own slug
    assert upload(f.api_client(fran), npy_bytes(stadium())).json()["slug"] == "office-loop-2"


def test_an_admins_upload_is_everyones_at_once():
    body = upload(f.api_client(f.racer("Ada", staff=True)), npy_bytes(stadium())).json()
    assert body["is_public"] is True
    assert [t["slug"] for t in APIClient().get("/api/tracks/").json()] == ["office-loop"]


@pytest.mark.parametrize("case", ["pickled-objects", "nan", "shape-4-columns", "zero-width", "text-file", "npz-archive"])
def test_a_bad_file_is_400_saying_what_is_wrong(fran, tmp_path, case):
    write, reason = INVALID_TRACKS[case]
    path = tmp_path / "bad.npy"
    write(path)
    resp = upload(f.api_client(fran), path.read_bytes())
    assert resp.status_code == 400
    assert list(resp.json()) == ["npy"] and reason in resp.json()["npy"][0], resp.json()
    assert not pickle_marker(path).exists()  # never unpickled
    assert not Track.objects.exists()


def test_random_numbers_are_400_naming_the_waypoint_and_the_fix(fran):
    # The QA report's upload: a (10, 6) float array that is a star of crossing borders.
    resp = upload(f.api_client(fran), npy_bytes(np.random.default_rng(0).random((10, 6))), name="Bad Open")
    assert resp.status_code == 400
    assert resp.json()["npy"] == [(
        "This is not a usable track: waypoint 0: the outer border is on the inner side of the centre line: "
        "the columns are centre x,y, inner x,y, outer x,y, each border on its own side all the way round."
    )]  # fmt: skip
    assert list(resp.json()) == ["npy"]
    assert not Track.objects.exists()


def test_a_track_that_overlaps_itself_is_400(fran):
    resp = upload(f.api_client(fran), npy_bytes(stadium(radius_m=0.3, width_m=0.9)))
    assert resp.status_code == 400 and "the road overlaps itself" in resp.json()["npy"][0]
    assert not Track.objects.exists()


def test_name_and_file_are_required(fran):
    missing = upload(f.api_client(fran), None, name="")
    assert missing.status_code == 400 and set(missing.json()) == {"name", "npy"}
    assert "name" in upload(f.api_client(fran), npy_bytes(stadium()), name="!!!").json()


def test_a_file_over_the_cap_is_refused(fran):
    big = upload(f.api_client(fran), b"\0" * (MAX_TRACK_BYTES + 1))
    assert big.status_code == 400 and "larger than" in big.json()["npy"][0]
    huge = upload(f.api_client(fran), b"\0" * (MAX_TRACK_BYTES + 100_000))  # refused before it is parsed
    assert huge.status_code == 400 and "larger than" in huge.json()["npy"][0]


def test_racers_and_anonymous_callers_may_not_upload():
    racer = upload(f.api_client(f.racer()), npy_bytes(stadium()))
    assert racer.status_code == 403 and "facilitator role" in racer.json()["detail"]
    assert upload(APIClient(), npy_bytes(stadium())).status_code == 401
    assert not Track.objects.exists()


def test_mine_lists_a_facilitators_uploads(fran):
    f.track("oval-loop")
    upload(f.api_client(fran), npy_bytes(stadium()), name="Fran Loop")
    upload(f.api_client(f.facilitator("Olga")), npy_bytes(stadium()), name="Olga Loop")
    assert [t["slug"] for t in f.api_client(fran).get("/api/tracks/?mine=1").json()] == ["fran-loop"]
    assert [t["slug"] for t in APIClient().get("/api/tracks/").json()] == ["oval-loop"]
    assert f.api_client(f.racer()).get("/api/tracks/?mine=1").status_code == 403
    assert APIClient().get("/api/tracks/?mine=1").status_code == 401


def test_a_private_upload_is_seen_by_its_facilitator_admins_and_its_races_racers(fran):
    upload(f.api_client(fran), npy_bytes(stadium()), name="Secret Loop")
    track = Track.objects.get(slug="secret-loop")
    ann, outsider = f.racer("Ann"), f.racer("Outsider")
    for path in ("/api/tracks/secret-loop/", "/api/tracks/secret-loop/geometry/"):
        assert APIClient().get(path).status_code == 404
        assert f.api_client(outsider).get(path).status_code == 404
        assert f.api_client(f.facilitator()).get(path).status_code == 404
        assert f.api_client(fran).get(path).status_code == 200
        assert f.api_client(f.racer(staff=True)).get(path).status_code == 200
    race = f.community_race(fran, on=track, visibility="private")
    f.api_client(ann).post("/api/races/join/", {"invite": race.invite_token}, format="json")
    geometry = f.api_client(ann).get("/api/tracks/secret-loop/geometry/")
    assert geometry.status_code == 200 and geometry["Cache-Control"].startswith("private")
    assert f.api_client(outsider).get("/api/tracks/secret-loop/geometry/").status_code == 404
    detail = f.api_client(ann).get("/api/tracks/secret-loop/").json()
    assert [(r["id"], r["season"]) for r in detail["races"]] == [(race.pk, None)]
    # promoted: everyone's
    track_promote(track)
    assert APIClient().get("/api/tracks/secret-loop/").status_code == 200
    assert "secret-loop" in [t["slug"] for t in APIClient().get("/api/tracks/").json()]


def test_a_tracks_page_lists_only_the_races_the_caller_may_list():
    track = f.track("oval-loop")
    league = f.race(tracks=[track])
    fran = f.facilitator("Fran")
    public = f.community_race(fran, on=track, name="Open to all")
    f.community_race(fran, on=track, name="Hidden", visibility="private")
    f.community_race(fran, on=track, name="By link", visibility="unlisted")
    listed = {r["id"] for r in APIClient().get("/api/tracks/oval-loop/").json()["races"]}
    assert listed == {league.pk, public.pk}
    assert len(f.api_client(fran).get("/api/tracks/oval-loop/").json()["races"]) == 4
