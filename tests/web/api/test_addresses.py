"""The API's addresses answered the API's way (web/api/addresses.py): a path without its
trailing slash is redirected keeping the method (a POST stays a POST), an unknown API
address is a JSON 404 pointing to the docs, and a known one's own 404 is left alone."""

from __future__ import annotations

import pytest

from racing.models import Submission
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_post_without_the_slash_is_redirected_as_a_post(as_):
    racer = f.racer()
    race = f.race()
    model = f.policy_model(racer)
    client = as_(racer)
    answer = client.post("/api/submissions?x=1", {"model": model.pk, "race": race.pk})
    assert answer.status_code == 308 and answer["Location"] == "/api/submissions/?x=1"
    followed = client.post("/api/submissions", {"model": model.pk, "race": race.pk}, follow=True)
    assert followed.status_code == 202 and Submission.objects.filter(racer=racer).count() == 1


def test_an_unknown_api_address_is_a_json_404_naming_the_docs(as_):
    answer = as_(None).get("/api/no-such-thing/")
    assert answer.status_code == 404 and answer["Content-Type"].startswith("application/json")
    assert "There is no API address /api/no-such-thing/" in answer.json()["detail"]
    assert "/api/docs/" in answer.json()["detail"]


def test_a_known_address_keeps_its_own_404(as_):
    answer = as_(None).get("/api/races/999999/")
    assert answer.status_code == 404 and "no API address" not in answer.json()["detail"]


def test_pages_keep_their_html_404(client):
    assert "text/html" in client.get("/no-such-page/")["Content-Type"]
