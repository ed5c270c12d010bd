"""A DeepRacer console export uploaded as it is: converted and checked in the sandboxed
child, stored like any model with the original archive's sha256; hostile archives are a
400 and nothing is stored."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from racing.models import PolicyModel
from tests import factories as f
from tests.simulator.deepracer import builders as B

pytestmark = pytest.mark.django_db


def _archive() -> bytes:
    return B.console_archive(B.deepracer_graph(), B.console_metadata())


def test_a_console_export_uploads_converted_with_its_archive_sha():
    racer = f.racer("Dee Racer")
    archive = _archive()
    response = f.api_client(racer).post(
        "/api/models/", {"name": "console-ppo", "archive": SimpleUploadedFile("export.tar.gz", archive)},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    model = PolicyModel.objects.get(owner=racer)
    assert model.sensors == ["FRONT_FACING_CAMERA"] and model.action_space_type == "discrete"
    assert model.info["import"]["archive_sha256"] == hashlib.sha256(archive).hexdigest()
    with model.onnx.open("rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == model.sha256
    assert model.metadata["neural_network"] == "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW"


@pytest.mark.parametrize(
    "archive, phrase",
    [
        (B.tar_bytes([("../model_metadata.json", b"{}"), ("agent/model.pb", b"x")]), ".."),
        (B.console_archive(B.deepracer_graph(), None), "model_metadata.json"),
        (b"not a tar at all", "archive"),
    ],
    ids=["path traversal", "no metadata", "not an archive"],
)
def test_hostile_or_broken_archives_are_a_400_and_store_nothing(archive, phrase):
    racer = f.racer("Dee Racer")
    response = f.api_client(racer).post(
        "/api/models/", {"name": "bad", "archive": SimpleUploadedFile("export.tar.gz", archive)}, format="multipart"
    )
    assert response.status_code == 400, response.content
    assert phrase in " ".join(response.json()["archive"])
    assert not PolicyModel.objects.exists()


def test_archive_and_files_together_are_refused():
    racer = f.racer("Dee Racer")
    response = f.api_client(racer).post(
        "/api/models/",
        {"name": "both", "archive": SimpleUploadedFile("e.tar.gz", _archive()),
         "onnx": SimpleUploadedFile("model.onnx", f.good_state_onnx())},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 400 and "not both" in " ".join(response.json()["archive"])


def test_the_garage_form_takes_a_console_export(client):
    racer = f.racer("Dee Racer")
    client.force_login(racer.user)
    response = client.post(
        reverse("garage"), {"name": "from-console", "archive": SimpleUploadedFile("export.tar.gz", _archive())}
    )
    assert response.status_code in (200, 302), response.content[:500]
    assert PolicyModel.objects.filter(owner=racer, name="from-console").exists()
