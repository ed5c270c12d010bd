from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from league.services import racer_signup
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_signup_creates_a_racer_with_a_token(api):
    resp = api.post("/api/auth/signup/", {"username": "zoe", "password": f.PASSWORD, "alias": "Zoe Z"}, format="json")
    assert resp.status_code == 201
    token = resp.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/auth/me/").json()
    assert me == {"username": "zoe", "alias": "Zoe Z", "token": token, "is_staff": False, "is_facilitator": False}


def test_me_says_who_may_run_races(as_):
    assert as_(f.facilitator()).get("/api/auth/me/").json()["is_facilitator"] is True
    admin = as_(f.racer(staff=True)).get("/api/auth/me/").json()
    assert admin["is_staff"] is True and admin["is_facilitator"] is True


@pytest.mark.parametrize(
    "data, field",
    [
        ({"username": "", "password": f.PASSWORD, "alias": "Ok Alias"}, "username"),
        ({"username": "bob", "password": "123", "alias": "Ok Alias"}, "password"),
        ({"username": "bob", "password": f.PASSWORD, "alias": "!"}, "alias"),
    ],
)
def test_signup_errors_name_the_field(api, data, field):
    resp = api.post("/api/auth/signup/", data, format="json")
    assert resp.status_code == 400 and field in resp.json()


def test_alias_and_username_are_unique_ignoring_case():
    racer_signup(username="ann", password=f.PASSWORD, alias="Ann Racer")
    with pytest.raises(ValidationError) as exc:
        racer_signup(username="ANN", password=f.PASSWORD, alias="ann racer")
    assert set(exc.value.message_dict) == {"username", "alias"}


def test_token_with_a_wrong_password(api):
    f.racer(username="ann")
    resp = api.post("/api/auth/token/", {"username": "ann", "password": "nope"}, format="json")
    assert resp.status_code == 400


def test_token_rotation_retires_the_old_token(api):
    resp = api.post("/api/auth/signup/", {"username": "zoe", "password": f.PASSWORD, "alias": "Zoe Z"}, format="json")
    old = resp.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    new = api.post("/api/auth/token/rotate/").json()["token"]
    assert new != old
    assert api.get("/api/auth/me/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert api.get("/api/auth/me/").json()["token"] == new


def test_token_rotation_needs_a_login(api):
    resp = api.post("/api/auth/token/rotate/")
    assert resp.status_code == 401 and "credentials" in resp.json()["detail"]


def test_password_guessing_is_rate_limited(api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "3/min"},
    }
    f.racer(username="ann")
    codes = [api.post("/api/auth/token/", {"username": "ann", "password": "nope"}, format="json").status_code
             for _ in range(4)]
    assert codes == [400, 400, 400, 429]
    resp = api.post("/api/auth/token/", {"username": "ann", "password": f.PASSWORD}, format="json")
    assert resp.status_code == 429 and "Expected available in" in resp.json()["detail"]
