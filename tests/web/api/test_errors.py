"""The API's error answers say how to fix them (web/api/errors.py): every 401 tells how to
send the token; the answers the schema documents for any call (a wrong token on a public
read, a body of a type the call does not read) are the ones the server gives."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests import factories as f

pytestmark = pytest.mark.django_db

HINT = "Send your API token as the header `Authorization: Token <key>`"


def test_a_wrong_token_on_a_public_read_is_a_401_saying_how_to_send_one():
    race = f.race()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    answer = client.get(f"/api/races/{race.pk}/")
    assert answer.status_code == 401 and HINT in answer.json()["detail"]


def test_a_token_sent_as_bearer_is_told_the_scheme():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer whatever")
    answer = client.post("/api/models/", {})
    assert answer.status_code == 401
    assert "credentials were not provided" in answer.json()["detail"] and HINT in answer.json()["detail"]


def test_a_body_of_another_type_is_a_415_as_documented(client):
    racer = f.racer()
    api = APIClient()
    api.force_authenticate(racer.user)
    answer = api.post("/api/races/join/", "token=abc", content_type="text/plain")
    assert answer.status_code == 415
    documented = client.get("/api/schema/?format=json").json()["paths"]["/api/races/join/"]["post"]["responses"]
    assert "415" in documented


@pytest.mark.parametrize("path, method, says", [
    ("/api/models/999999/", "get", "You have no model with this id."),
    ("/api/submissions/999999/", "get", "You have no submission with this id."),
    ("/api/seasons/no-such-season/standings/", "get", "No such season."),
    ("/api/seasons/no-such-season/standings.csv", "get", "No such season."),
])  # fmt: skip
def test_a_404_says_what_is_missing_in_words(path, method, says):
    api = APIClient()
    api.force_authenticate(f.racer().user)
    answer = getattr(api, method)(path)
    assert answer.status_code == 404 and answer.json()["detail"] == says, answer.content


def test_a_racer_opening_a_season_is_told_only_admins_may():
    api = APIClient()
    api.force_authenticate(f.racer().user)
    answer = api.post(f"/api/seasons/{f.season('draft').slug}/open/")
    assert answer.status_code == 403 and "Only the league's admins" in answer.json()["detail"]
