"""My garage: your models and submissions only, and the upload form with the upload
service's errors next to the fields."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from racing.models import PolicyModel
from tests import factories as F

from .conftest import failed_submission, run_result

pytestmark = pytest.mark.django_db


def upload(name="ppo-v1", onnx_bytes=None, metadata=None):
    data = {"name": name}
    if onnx_bytes is not False:
        data["onnx"] = SimpleUploadedFile("model.onnx", onnx_bytes if onnx_bytes is not None else F.good_state_onnx())
    if metadata is not False:
        raw = metadata if isinstance(metadata, bytes) else json.dumps(metadata or F.state_metadata()).encode()
        data["metadata"] = SimpleUploadedFile("model_metadata.json", raw, content_type="application/json")
    return data


def field_errors(html: str, field: str) -> str:
    """The error list right after a field's input."""
    start = html.index(f'id="id_{field}"')
    end = html.index('<div class="field', start) if '<div class="field' in html[start:] else len(html)
    chunk = html[start:end]
    return chunk[chunk.index('class="field-errors"') :] if 'class="field-errors"' in chunk else ""


def test_garage_needs_a_login(client, db):
    response = client.get(reverse("garage"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_garage_lists_your_models_and_submissions_only(client, race, me, other):
    model = F.policy_model(me, name="lidar-ppo", metadata=F.discrete_metadata(5, "LIDAR"))
    F.policy_model(other, name="their-model")
    result = run_result(me, race, model=model, lap_times=[20.0, 20.0, 21.25])
    failed = failed_submission(me, race, "The policy output NaN at step 212 (lap 1).")
    theirs = run_result(other, race)

    html = client.get(reverse("garage")).content.decode()

    assert "lidar-ppo" in html and "their-model" not in html
    assert ">Lidar<" in html and "Discrete · 5 actions" in html
    assert model.sha256[:12] in html and model.sha256 in html  # short, full in the title
    assert f'data-submission-id="{result.submission_id}" data-status="finished"' in html
    assert "1:01.250" in html
    assert f'data-submission-id="{failed.pk}" data-status="failed"' in html
    assert "The policy output NaN at step 212" in html
    assert f'data-submission-id="{theirs.submission_id}"' not in html
    assert reverse("submission", args=[result.submission_id]) in html
    assert race.track.name in html and "left today" in html


def test_upload_a_good_model(client, me):
    response = client.post(reverse("garage"), upload("ppo-state"))

    assert response.status_code == 302 and response["Location"].endswith("#models")
    model = PolicyModel.objects.get(owner=me)
    assert model.name == "ppo-state" and model.sensors == ["STATE"]
    assert "passed every check" in client.get(response["Location"]).content.decode()


def test_missing_files_are_errors_next_to_their_fields(client, me):
    response = client.post(reverse("garage"), upload(name="", onnx_bytes=False, metadata=False))

    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in field_errors(html, "name")
    assert "Choose the exported policy file (model.onnx), or a console export below." in field_errors(html, "onnx")
    assert "Choose the model_metadata.json file." in field_errors(html, "metadata")
    assert not PolicyModel.objects.exists()


def test_bad_metadata_error_is_shown_next_to_the_metadata_field(client, me):
    response = client.post(reverse("garage"), upload(metadata=F.state_metadata(sensor=["SONAR"])))

    assert response.status_code == 400
    errors = field_errors(response.content.decode(), "metadata")
    assert "SONAR" in errors and "STATE" in errors  # names the supported sensors
    assert not PolicyModel.objects.exists()


def test_bad_onnx_error_is_shown_next_to_the_onnx_field(client, me):
    response = client.post(reverse("garage"), upload(onnx_bytes=b"this is not onnx"))

    assert response.status_code == 400
    html = response.content.decode()
    assert field_errors(html, "onnx")
    assert not field_errors(html, "metadata")
    assert not PolicyModel.objects.exists()


def test_duplicate_name_is_a_name_error(client, me):
    F.policy_model(me, name="ppo-v1")

    response = client.post(reverse("garage"), upload("PPO-v1"))

    assert response.status_code == 400
    assert "already have a model called" in field_errors(response.content.decode(), "name")
    assert PolicyModel.objects.filter(owner=me).count() == 1


def test_platform_fault_during_the_check_is_a_try_again_message(client, me, settings):
    # The check cannot run at all: the configured interpreter does not exist.
    settings.RACING = {**settings.RACING, "PYTHON": "/nonexistent/python3"}
    response = client.post(reverse("garage"), upload())

    assert response.status_code == 400
    assert "try again" in response.content.decode()
    assert not PolicyModel.objects.exists()


def test_upload_far_over_the_cap_is_refused_before_the_body_is_parsed(me, settings, monkeypatch):
    # CSRF checks on, as in a browser: CsrfViewMiddleware reads a form POST before the
    # view, so the size check must come before it or the whole file is spooled to disk.
    from django.http.multipartparser import MultiPartParser
    from django.test import Client

    settings.RACING = {**settings.RACING, "MAX_MODEL_BYTES": 1000, "MAX_METADATA_BYTES": 1000, "MAX_ARCHIVE_BYTES": 1000}
    parsed = []
    original = MultiPartParser.parse
    monkeypatch.setattr(MultiPartParser, "parse", lambda self: parsed.append(1) or original(self))
    client = Client(enforce_csrf_checks=True)
    client.force_login(me.user)

    response = client.post(reverse("garage"), upload(onnx_bytes=b"\0" * 200_000))

    assert response.status_code == 413
    assert "limit" in response.content.decode()
    assert parsed == []
    assert not PolicyModel.objects.exists()


def test_swapped_files_get_one_message(client, me):
    swapped = upload(onnx_bytes=json.dumps(F.state_metadata()).encode(), metadata=F.good_state_onnx())

    response = client.post(reverse("garage"), swapped)

    assert response.status_code == 400
    html = response.content.decode()
    assert html.count("look swapped") == 1 and "swap the two files" not in html
    assert "The two files look swapped" in field_errors(html, "onnx")
    assert not field_errors(html, "metadata") and 'class="form-errors"' not in html
    assert not PolicyModel.objects.exists()


@pytest.mark.parametrize("onnx_bytes, metadata, field, phrases", [
    (b"this is not onnx", None, "onnx",
     ["The file is not an ONNX model (DecodeError). Expected the policy exported to ONNX (torch.onnx.export",
      "`python -m simulator import`", "`python -m simulator check model.onnx`"]),
    (None, F.state_metadata(sensor=["LIDAR"]), "metadata",
     [("The metadata names LIDAR while the model takes STATE&#x27;s 26 values: fix &quot;sensor&quot; in "
       "model_metadata.json ([&quot;STATE&quot;]), or export the model for LIDAR: [1,64]")]),
    (None, F.state_metadata(action_space={"steering_angle": {"low": -45, "high": 30}, "speed": {"low": 0.5, "high": 4}}),
     "metadata", ["The steering_angle low is -45 deg; steering must be within -30..30 degrees"]),
])  # fmt: skip
def test_upload_errors_say_how_to_fix_next_to_the_field_to_fix(client, me, onnx_bytes, metadata, field, phrases):
    response = client.post(reverse("garage"), upload(onnx_bytes=onnx_bytes, metadata=metadata))

    assert response.status_code == 400
    html = response.content.decode()
    for phrase in phrases:
        assert phrase in field_errors(html, field)
    assert not field_errors(html, "metadata" if field == "onnx" else "onnx")
