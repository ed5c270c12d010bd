"""Your models in the API: rename (PATCH) and delete (DELETE) with the answers the schema
documents; an archived model is gone from the list and cannot be entered; an upload
refused with the field to fix."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from racing.models import PolicyModel
from racing.submissions import submission_create
from tests import factories as F
from tests.web.pages.conftest import run_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def me():
    return F.racer("Apex Hunter")


def test_rename(as_, me):
    model = F.policy_model(me, name="old")
    F.policy_model(me, name="taken")

    response = as_(me).patch(f"/api/models/{model.pk}/", {"name": "new"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "new"

    response = as_(me).patch(f"/api/models/{model.pk}/", {"name": "Taken"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["You already have a model called 'Taken'; choose another name."]}
    response = as_(me).patch(f"/api/models/{model.pk}/", {"name": ""}, format="json")
    assert response.status_code == 400 and "Give the model a name" in response.json()["name"][0]


def test_delete_a_model_never_entered(as_, me):
    model = F.policy_model(me)
    assert as_(me).delete(f"/api/models/{model.pk}/").status_code == 204
    assert not PolicyModel.objects.filter(pk=model.pk).exists()
    assert as_(me).get(f"/api/models/{model.pk}/").status_code == 404


def test_delete_a_model_that_raced_archives_it(as_, me):
    race = F.race()
    model = F.policy_model(me)
    result = run_result(me, race, model=model)

    assert as_(me).delete(f"/api/models/{model.pk}/").status_code == 204

    assert PolicyModel.objects.get(pk=model.pk).archived_at is not None
    assert as_(me).get("/api/models/").json()["count"] == 0
    assert as_(me).get(f"/api/models/{model.pk}/").status_code == 404
    assert as_(None).get(f"/api/results/{result.pk}/").status_code == 200  # the board keeps it
    response = as_(me).post("/api/submissions/", {"model": model.pk, "race": race.pk}, format="json")
    assert response.status_code == 400 and "You have no model with id" in response.json()["model"][0]


def test_a_model_racing_now_is_a_conflict(as_, me):
    model = F.policy_model(me, name="busy")
    submission_create(racer=me, model=model, race=F.race())
    response = as_(me).delete(f"/api/models/{model.pk}/")
    assert response.status_code == 409 and "queued or racing" in response.json()["detail"]


def test_someone_elses_model_is_a_404(as_, me):
    theirs = F.policy_model(F.racer())
    assert as_(me).patch(f"/api/models/{theirs.pk}/", {"name": "mine"}, format="json").status_code == 404
    assert as_(me).delete(f"/api/models/{theirs.pk}/").status_code == 404
    assert as_(None).delete(f"/api/models/{theirs.pk}/").status_code == 401
    assert PolicyModel.objects.filter(pk=theirs.pk, archived_at__isnull=True).exists()


def test_the_schema_documents_the_answers(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]["/api/models/{model_id}/"]
    assert {"200", "400", "401", "404"} <= set(paths["patch"]["responses"])
    assert {"204", "401", "404", "409"} <= set(paths["delete"]["responses"])
    assert "archived" in paths["delete"]["responses"]["204"]["description"]


def test_signup_keeps_the_email_address(as_, db):
    response = as_(None).post(
        "/api/auth/signup/",
        {"username": "mailer", "password": F.PASSWORD, "alias": "Mailer", "email": "mailer@example.org"},
        format="json",
    )
    assert response.status_code == 201
    assert get_user_model().objects.get(username="mailer").email == "mailer@example.org"
    bad = as_(None).post(
        "/api/auth/signup/", {"username": "x y", "password": "1", "alias": "House: X", "email": "nope"}, format="json"
    )
    assert bad.status_code == 400 and set(bad.json()) == {"username", "password", "alias", "email"}


def _upload(client, onnx_bytes: bytes, metadata: dict):
    files = {"name": "ppo", "onnx": SimpleUploadedFile("model.onnx", onnx_bytes),
             "metadata": SimpleUploadedFile("model_metadata.json", json.dumps(metadata).encode())}
    return client.post("/api/models/", files, format="multipart")


def test_a_model_that_fails_at_the_start_line_is_refused_at_upload(as_, me):
    # Fine on neutral inputs (speed 0.5), NaN for the car at rest where every race starts.
    response = _upload(as_(me), F.nan_when_stopped_onnx(), F.state_metadata())

    assert response.status_code == 400
    (message,) = response.json()["onnx"]
    assert message.startswith("Trial inference failed: the model returned NaN or infinity on the first "
                              "observation of a race (the start line of oval-loop, the car at rest)")
    assert not PolicyModel.objects.exists()


def test_a_metadata_sensor_the_model_does_not_take_is_the_metadatas_error(as_, me):
    response = _upload(as_(me), F.good_state_onnx(), F.state_metadata(sensor=["LIDAR"]))

    assert response.status_code == 400
    assert response.json() == {"metadata": [(
        'The metadata names LIDAR while the model takes STATE\'s 26 values: fix "sensor" in model_metadata.json '
        '(["STATE"]), or export the model for LIDAR: [1,64].')]}
