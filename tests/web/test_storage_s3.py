"""Media in S3-compatible object storage, through django-storages' real S3 backend (boto3)
against moto's S3 server on a free port: results store their replays there, objects stay
private, and replays, videos and track files are handed out as short-lived signed links
only after the visibility check (an outsider gets the 404 of a missing result, and no
link)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from email.message import Message
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from config.settings import media_storage
from racing import beats
from tests import factories as f
from tests.live_support import free_port, stop_process, wait_port

pytestmark = pytest.mark.django_db

BUCKET = "league-media"
MP4 = b"\0\0\0\x18ftypisom" + bytes(range(256)) * 4


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    """moto's S3 server on a free port, for this module's tests."""
    # The one installed with this interpreter's moto (requirements-dev.txt), else the PATH's.
    beside = os.path.join(os.path.dirname(sys.executable), "moto_server")
    binary = beside if os.path.exists(beside) else shutil.which("moto_server")
    if binary is None:
        message = "moto's server is not installed (pip install 'moto[server]', requirements-dev.txt)"
        if os.environ.get("REQUIRE_S3"):
            pytest.fail(message)
        pytest.skip(message)
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    proc = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)], stdout=open(log, "wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        wait_port(port, proc, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


@pytest.fixture
def s3(s3_server, settings, monkeypatch):
    """The league's media in a fresh bucket of the emulator, configured as a deployment
    does it (STORAGE_URL, credentials in the environment)."""
    import boto3  # the test's own client, to make the bucket and look inside it

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "league-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "league-test-secret")
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1",
                          aws_access_key_id="league-test", aws_secret_access_key="league-test-secret")  # fmt: skip
    for bucket in client.list_buckets().get("Buckets", []):
        for item in client.list_objects_v2(Bucket=bucket["Name"]).get("Contents", []):
            client.delete_object(Bucket=bucket["Name"], Key=item["Key"])
        client.delete_bucket(Bucket=bucket["Name"])
    client.create_bucket(Bucket=BUCKET)
    backend, _ = media_storage({"STORAGE_URL": f"s3://{BUCKET}/league?endpoint_url={s3_server}"
                                               "&region_name=us-east-1&signed_url_s=120"})  # fmt: skip
    settings.STORAGES = {**settings.STORAGES, "default": backend}
    assert default_storage.bucket_name == BUCKET
    return client


def fetch(url: str, **headers) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_stored_media_lands_in_the_bucket_and_stays_private(s3, s3_server):
    name = default_storage.save("models/7/model.onnx", ContentFile(b"onnx bytes"))
    assert name == "models/7/model.onnx"
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == ["league/models/7/model.onnx"]  # under the URL's prefix
    with default_storage.open(name, "rb") as fh:
        assert fh.read() == b"onnx bytes"
    # Never overwritten: a second file of that name gets a name of its own.
    assert default_storage.save("models/7/model.onnx", ContentFile(b"other")) != name
    status, _, _ = fetch(f"{s3_server}/{BUCKET}/league/models/7/model.onnx")  # no signature
    assert status == 403


@pytest.fixture
def world(s3):
    from tests.web.api.test_visibility import World  # a private race with a real run and its video

    return World()


def test_members_get_a_signed_link_to_the_video_from_the_bucket(world, s3):
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert f"league/{world.result.replay.name}" in keys and f"league/{world.result.video.name}" in keys
    resp = f.api_client(world.ann).get(f"/api/results/{world.result.pk}/video/")
    assert resp.status_code == 302 and resp["Cache-Control"] == "private, no-store"
    link = resp["Location"]
    query = parse_qs(urlsplit(link).query)
    assert query["X-Amz-Expires"] == ["120"] and "X-Amz-Signature" in query
    status, headers, body = fetch(link)
    assert status == 200 and headers["Content-Type"] == "video/mp4"
    assert headers["Content-Disposition"] == f'inline; filename="result-{world.result.pk}.mp4"'
    with world.result.video.open("rb") as fh:
        assert body == fh.read()
    status, headers, part = fetch(link, Range="bytes=4-11")  # players seek with ranges
    assert status == 206 and part == body[4:12]

    download = f.api_client(world.ann).get(f"/api/results/{world.result.pk}/video/?download=1")
    assert fetch(download["Location"])[1]["Content-Disposition"].startswith("attachment;")


def test_outsiders_get_the_404_and_no_link_while_members_read_the_replay(world, client):
    for outsider in (None, world.oscar, world.cyd):  # anonymous, not joined, removed
        api = f.api_client(outsider)
        for path in (f"/api/results/{world.result.pk}/video/", f"/api/results/{world.result.pk}/replay/"):
            resp = api.get(path)
            assert resp.status_code == 404 and "Location" not in resp, (outsider, path)
            assert "X-Amz" not in resp.content.decode()
    # The replay is assembled from the stored file (with the track's geometry) by the view.
    resp = f.api_client(world.bob).get(f"/api/results/{world.result.pk}/replay/")
    assert resp.status_code == 200 and resp.json()["trajectory"]
    client.force_login(world.bob.user)
    assert client.get(f"/results/{world.result.pk}/replay/").status_code == 200


def test_track_files_and_pictures_are_handed_out_signed(s3, client):
    track = f.track("oval-loop")
    for url, content_type in ((reverse("track-file", args=[track.slug]), "application/octet-stream"),
                              (reverse("track-map", args=[track.slug]) + "?w=480", "image/png")):  # fmt: skip
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Cache-Control"] == "private, no-store", url
        status, headers, body = fetch(resp["Location"])
        assert status == 200 and headers["Content-Type"] == content_type and body, url


def test_readiness_reaches_the_bucket(s3, client):
    beats.worker_beat("*")
    assert client.get("/readyz").json()["checks"]["storage"] == {"ok": True, "detail": "object storage"}
    s3.delete_bucket(Bucket=BUCKET)
    body = client.get("/readyz").json()
    assert body["not_ready"] == ["storage"] and "Create the bucket" in body["checks"]["storage"]["fix"]
