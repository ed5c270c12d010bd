"""Upload checks are bounded: at most RACING["CHECKS_AT_ONCE"] sandboxed checks at a time in
a web process and one per racer; the rest are told to retry (503 with Retry-After, or the
page's form error), and reads are answered meanwhile."""

from __future__ import annotations

import json
import threading

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.test import APIClient

from racing import uploads
from racing.checkslots import _racer_key
from tests import factories as f
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

PARALLEL = 6


@pytest.fixture
def counted_checks(monkeypatch):
    """The real sandboxed check, with a count of how many run at once."""
    real = uploads.check_upload
    state = {"now": 0, "most": 0, "ran": 0}
    lock = threading.Lock()

    def check(*args, **kwargs):
        with lock:
            state["now"] += 1
            state["ran"] += 1
            state["most"] = max(state["most"], state["now"])
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                state["now"] -= 1

    monkeypatch.setattr(uploads, "check_upload", check)
    return state


def package(name: str, onnx: bytes) -> dict:
    return {
        "name": name,
        "onnx": SimpleUploadedFile("model.onnx", onnx),
        "metadata": SimpleUploadedFile("model_metadata.json", json.dumps(f.state_metadata()).encode()),
    }


def upload_as(racer, onnx: bytes, name: str):
    api = APIClient()
    api.force_authenticate(racer.user)
    try:
        return api.post("/api/models/", package(name, onnx), format="multipart")
    finally:
        connection.close()  # this thread's own connection


def test_parallel_uploads_run_at_most_two_checks_and_reads_are_answered(settings, counted_checks):
    settings.RACING = {**settings.RACING, "CHECKS_AT_ONCE": 2}
    race = f.race()
    racers = [f.racer() for _ in range(PARALLEL)]
    slow = f.slow_onnx(3072)  # about a second per inference: each check holds its slot that long
    answers: list = [None] * PARALLEL
    start = threading.Barrier(PARALLEL)

    def one(i: int) -> None:
        start.wait()
        answers[i] = upload_as(racers[i], slow, f"slow {i}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(PARALLEL)]
    for thread in threads:
        thread.start()
    reader = APIClient()
    reads = []
    wait_for(lambda: counted_checks["now"] > 0, timeout_s=30, what="a check to start")
    while counted_checks["now"] > 0:  # the board while checks run
        reads.append(reader.get(f"/api/races/{race.pk}/leaderboard/").status_code)
    for thread in threads:
        thread.join(60)

    assert reads and set(reads) == {200}
    assert counted_checks["most"] == 2
    busy = [a for a in answers if a.status_code == 503]
    checked = [a for a in answers if a.status_code != 503]
    assert len(checked) == counted_checks["ran"] == 2 and len(busy) == PARALLEL - 2
    for answer in busy:
        assert int(answer["Retry-After"]) > 0
        assert "checking other uploads" in answer.json()["detail"]
    for answer in checked:  # the model's own verdict: too slow
        assert answer.status_code == 400 and "too slow" in answer.json()["onnx"][0]


def test_one_check_per_racer_at_a_time(counted_checks):
    racer = f.racer()
    cache.add(_racer_key(racer.pk), "another upload's check", timeout=60)
    answer = upload_as(racer, f.good_state_onnx(), "second")
    assert answer.status_code == 503 and int(answer["Retry-After"]) > 0
    assert "previous upload is still being checked" in answer.json()["detail"]
    assert counted_checks["ran"] == 0

    cache.delete(_racer_key(racer.pk))  # the first check is done
    assert upload_as(racer, f.good_state_onnx(), "second").status_code == 201
    assert cache.get(_racer_key(racer.pk)) is None  # released after the check


def test_the_page_asks_to_try_again(client, counted_checks):
    racer = f.racer()
    client.force_login(racer.user)
    cache.add(_racer_key(racer.pk), "another upload's check", timeout=60)
    page = client.post("/garage/", package("busy", f.good_state_onnx()))
    assert page.status_code == 503 and int(page["Retry-After"]) > 0
    assert "previous upload is still being checked" in page.content.decode()
