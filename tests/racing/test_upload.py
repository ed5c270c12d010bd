"""Uploads: a good package is stored with its figures; every kind of bad package is a
400 naming the field and the fix, and nothing is stored."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from racing.models import PolicyModel
from tests import factories as f
from tests.simulator import builders
from web.api.parsers import _HeaderScan

pytestmark = pytest.mark.django_db


def onnx_file(data: bytes, name: str = "model.onnx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def meta_file(meta, name: str = "model_metadata.json") -> SimpleUploadedFile:
    data = meta if isinstance(meta, bytes) else json.dumps(meta).encode()
    return SimpleUploadedFile(name, data, content_type="application/json")


@pytest.fixture
def racer_api(api):
    racer = f.racer()
    api.force_authenticate(racer.user)
    api.racer = racer
    return api


def upload(api, *, name="my model", onnx=None, meta=None):
    data = {"name": name}
    if onnx is not None:
        data["onnx"] = onnx_file(onnx) if isinstance(onnx, bytes) else onnx
    if meta is not None:
        data["metadata"] = meta_file(meta)
    return api.post("/api/models/", data, format="multipart")


def test_good_upload_is_stored_with_its_figures(racer_api):
    resp = upload(racer_api, onnx=f.good_state_onnx(), meta=f.state_metadata(extra_key="kept"))
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["name"] == "my model"
    assert body["sensors"] == ["STATE"]
    assert body["action_space_type"] == "continuous"
    assert len(body["sha256"]) == 64
    model = PolicyModel.objects.get(pk=body["id"])
    assert model.owner == racer_api.racer
    assert model.metadata["extra_key"] == "kept"
    assert model.onnx.read() == f.good_state_onnx()

    listed = racer_api.get("/api/models/").json()
    assert [m["id"] for m in listed["results"]] == [body["id"]]


BAD_UPLOADS = {
    "missing onnx": (dict(onnx=None, meta=f.state_metadata()), "onnx", "Attach"),
    "missing metadata": (dict(onnx=f.good_state_onnx(), meta=None), "metadata", "Attach"),
    "empty onnx": (dict(onnx=b"", meta=f.state_metadata()), "onnx", "empty"),
    "garbage bytes": (dict(onnx=b"\x00\x01garbage" * 50, meta=f.state_metadata()), "onnx", "not an ONNX model"),
    "metadata not JSON": (dict(onnx=f.good_state_onnx(), meta=b"{action_space: oops"), "metadata", "not valid JSON"),
    "no action space": (
        dict(onnx=f.good_state_onnx(), meta={"sensor": ["STATE"], "action_space_type": "continuous"}),
        "metadata",
        "action_space",
    ),
    "unknown sensor": (
        dict(onnx=f.good_state_onnx(), meta=f.state_metadata(sensor=["SONAR"])),
        "metadata",
        "supported sensors: FRONT_FACING_CAMERA, STEREO_CAMERAS, LIDAR, STATE",
    ),
    "steering beyond 30": (
        dict(
            onnx=f.linear_onnx(out_size=2),
            meta={**f.discrete_metadata(2), "action_space": [
                {"steering_angle": 45, "speed": 1}, {"steering_angle": 0, "speed": 1}]},
        ),
        "metadata",
        "-30..30",
    ),
    "speed beyond 4": (
        dict(
            onnx=f.linear_onnx(out_size=2),
            meta={**f.discrete_metadata(2), "action_space": [
                {"steering_angle": 0, "speed": 9}, {"steering_angle": 0, "speed": 1}]},
        ),
        "metadata",
        "0.1..4",
    ),
    "output width != actions": (
        dict(onnx=f.linear_onnx(out_size=3), meta=f.discrete_metadata(5)), "onnx", "expected [1,5]"
    ),
    "input shape != sensor": (  # the model fits another sensor: the usual fix is the metadata's
        dict(onnx=f.linear_onnx(in_size=64), meta=f.state_metadata()), "metadata",
        "The metadata names STATE while the model takes LIDAR's 64 ranges: fix \"sensor\""
    ),
    "runtime refuses it": (  # a program's name keeps its lower case at the sentence's start
        dict(onnx=builders.type_error_model(), meta=builders.continuous_metadata()), "onnx",
        "onnxruntime cannot load the model"
    ),
    "custom operator domain": (
        dict(onnx=builders.custom_domain_model(), meta=f.state_metadata()), "onnx", "not allowed"
    ),
    "external data": (dict(onnx=builders.external_data_model(), meta=f.state_metadata()), "onnx", "external data"),
    "checker failure": (dict(onnx=builders.checker_error_model(), meta=f.state_metadata()), "onnx", "checker"),
    "NaN at trial inference": (dict(onnx=builders.nan_model(), meta=f.state_metadata()), "onnx", "NaN"),
    "no name": (dict(name="  ", onnx=f.good_state_onnx(), meta=f.state_metadata()), "name", "name"),
    # Valid for Python's json module, not for the stores and encoders downstream.
    "metadata nested too deeply": (
        dict(
            onnx=f.good_state_onnx(),
            meta=json.dumps(f.state_metadata())[:-1].encode()
            + b', "notes": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        ),
        "metadata",
        "nested",
    ),
    "NaN in metadata": (
        dict(onnx=f.good_state_onnx(), meta=json.dumps(f.state_metadata(lr=float("nan"))).encode()),
        "metadata",
        "NaN",
    ),
    "integer too long to read": (
        dict(onnx=f.good_state_onnx(), meta=json.dumps(f.state_metadata())[:-1].encode() + b', "seed": 1' + b"0" * 5000 + b"}"),
        "metadata",
        "not valid JSON",
    ),
    # Stored, it would make every answer that shows the model fail to encode.
    "lone surrogate in metadata": (
        dict(onnx=f.good_state_onnx(), meta=json.dumps(f.state_metadata())[:-1].encode() + b', "notes": "\\ud800"}'),
        "metadata",
        "text",
    ),
}


@pytest.mark.parametrize("case", BAD_UPLOADS, ids=list(BAD_UPLOADS))
def test_bad_upload_is_refused_with_its_message(racer_api, case):
    kwargs, field, message = BAD_UPLOADS[case]
    resp = upload(racer_api, **kwargs)
    assert resp.status_code == 400, resp.content
    errors = resp.json()
    assert field in errors, errors
    assert any(message in m for m in errors[field]), errors
    assert PolicyModel.objects.count() == 0


def test_duplicate_name_for_the_same_owner_is_refused(racer_api):
    assert upload(racer_api, onnx=f.good_state_onnx(), meta=f.state_metadata()).status_code == 201
    resp = upload(racer_api, name="My Model", onnx=f.good_state_onnx(), meta=f.state_metadata())
    assert resp.status_code == 400
    assert "already have a model" in resp.json()["name"][0]
    assert PolicyModel.objects.count() == 1


def test_same_name_for_another_owner_is_fine(racer_api, api):
    f.policy_model(f.racer(), name="my model")
    assert upload(racer_api, onnx=f.good_state_onnx(), meta=f.state_metadata()).status_code == 201


def test_file_over_the_size_cap_is_refused(racer_api, settings):
    settings.RACING = {**settings.RACING, "MAX_MODEL_BYTES": 1000}
    resp = upload(racer_api, onnx=f.good_state_onnx() + b"\0" * 2000, meta=f.state_metadata())
    assert resp.status_code == 400
    assert "limit" in resp.json()["onnx"][0]


def test_slow_model_is_refused_at_trial_inference(racer_api):
    resp = upload(racer_api, onnx=f.slow_onnx(), meta=f.state_metadata())
    assert resp.status_code == 400, resp.json()
    message = resp.json()["onnx"][0].lower()
    assert "trial inference" in message or "too long" in message


def test_model_over_the_memory_limit_is_refused(racer_api, settings):
    settings.RACING = {**settings.RACING, "SANDBOX_MEMORY_MB": 1024}
    resp = upload(racer_api, onnx=f.memory_hog_onnx(3), meta=f.state_metadata())
    assert resp.status_code == 400
    assert "memory" in resp.json()["onnx"][0]


def test_upload_needs_authentication(api):
    resp = upload(api, onnx=f.good_state_onnx(), meta=f.state_metadata())
    assert resp.status_code in (401, 403)


def test_body_far_over_the_cap_is_refused_before_parsing(racer_api, settings):
    settings.RACING = {**settings.RACING, "MAX_MODEL_BYTES": 1000, "MAX_METADATA_BYTES": 1000}
    resp = upload(racer_api, onnx=b"\0" * 200_000, meta=f.state_metadata())
    assert resp.status_code == 400
    assert "limit" in resp.json()["onnx"][0]


def test_uploads_are_rate_limited_but_reading_is_not(racer_api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "upload": "1/hour"},
    }
    assert upload(racer_api, onnx=b"not onnx", meta=f.state_metadata()).status_code == 400
    second = upload(racer_api, onnx=f.good_state_onnx(), meta=f.state_metadata())
    assert second.status_code == 429 and "throttled" in second.json()["detail"]
    assert racer_api.get("/api/models/").status_code == 200
    assert PolicyModel.objects.count() == 0


def raw_package(onnx_filename: bytes, boundary: bytes = b"PkgBoundary7") -> tuple[bytes, str]:
    """A multipart body as a script builds it, with the ONNX part's file name as given."""
    meta = json.dumps(f.state_metadata()).encode()
    part = lambda headers, content: b"--" + boundary + b"\r\n" + headers + b"\r\n\r\n" + content + b"\r\n"  # noqa: E731
    body = b"".join([
        part(b'Content-Disposition: form-data; name="name"', b"mine"),
        part(b'Content-Disposition: form-data; name="onnx"; filename="' + onnx_filename + b'"\r\n'
             b"Content-Type: application/octet-stream", f.good_state_onnx()),
        part(b'Content-Disposition: form-data; name="metadata"; filename="model_metadata.json"', meta),
        b"--" + boundary + b"--\r\n",
    ])  # fmt: skip
    return body, f"multipart/form-data; boundary={boundary.decode()}"


def test_a_file_name_that_is_not_utf8_gets_the_real_reason(racer_api):
    body, content_type = raw_package("modèle.onnx".encode("latin-1"))
    resp = racer_api.generic("POST", "/api/models/", body, content_type=content_type)
    assert resp.status_code == 400
    message = resp.json()["onnx"][0]
    assert "not UTF-8" in message and "filename=model.onnx" in message and "Attach" not in message
    # The same package with a UTF-8 name is fine.
    body, content_type = raw_package("modèle.onnx".encode())
    assert racer_api.generic("POST", "/api/models/", body, content_type=content_type).status_code == 201


def test_a_chunked_upload_gets_the_real_reason(racer_api):
    body, content_type = raw_package(b"model.onnx")
    resp = racer_api.generic(
        "POST", "/api/models/", body, content_type=content_type, HTTP_TRANSFER_ENCODING="chunked", CONTENT_LENGTH=""
    )
    assert resp.status_code == 400
    message = resp.json()["onnx"][0]
    assert "Transfer-Encoding: chunked" in message and "Content-Length" in message
    assert PolicyModel.objects.count() == 0


@pytest.mark.parametrize("read_size", [5, 64, 4096, 1 << 20])
def test_unreadable_part_headers_are_found_whatever_the_reads(read_size):
    body, _ = raw_package("modèle.onnx".encode("latin-1"))
    scan = _HeaderScan(io.BytesIO(body), b"PkgBoundary7")
    assert b"".join(iter(lambda: scan.read(read_size), b"")) == body
    assert scan.unreadable == ["onnx"]
