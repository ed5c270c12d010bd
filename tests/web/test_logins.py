"""Brute force against every log-in path and sign-up path: django-axes locks out by account
and by address with a growing cool-off, the client's address comes only from trusted
proxies, and sign-ups are limited per address on the page and the API alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

from tests import factories as f

pytestmark = pytest.mark.django_db

LIMIT = 3
ADDRESS_LIMIT = 6
COOLOFF_S = 60


@pytest.fixture(autouse=True)
def _login_limits(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = ADDRESS_LIMIT
    settings.LOGIN_COOLOFF_S = COOLOFF_S
    settings.LOGIN_COOLOFF_MAX_S = 3600


def spoofed(i: int) -> str:
    return f"198.51.100.{i % 250 + 1}"


def token_attempt(api, username: str, password: str, **headers):
    return api.post("/api/auth/token/", {"username": username, "password": password}, format="json", **headers)


def cool_off_passes(cool_off_s: float = COOLOFF_S) -> None:
    """The clock moves past a cool-off (every remembered failure made that much older)."""
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(seconds=cool_off_s + 1)
        attempt.save(update_fields=["attempt_time"])


def test_api_brute_force_through_rotating_forwarded_for_is_still_locked_out(api):
    f.racer(username="ann")
    codes = [
        token_attempt(api, "ann", f"guess-{i}", HTTP_X_FORWARDED_FOR=spoofed(i)).status_code for i in range(LIMIT + 3)
    ]
    assert codes == [400] * (LIMIT - 1) + [429] * 4
    right = token_attempt(api, "ann", f.PASSWORD, HTTP_X_FORWARDED_FOR=spoofed(99))
    assert right.status_code == 429 and "token" not in right.json()
    assert "Too many failed log-ins" in right.json()["detail"]
    assert 0 < int(right["Retry-After"]) <= COOLOFF_S
    # Guesses during the lockout were refused unchecked and did not lengthen it.
    assert int(right["Retry-After"]) > COOLOFF_S - 5


def test_an_address_guessing_at_many_accounts_is_locked_out(api):
    """A few typos of a classroom behind one address are fine; a guesser is not."""
    f.racer(username="bob")
    codes = [
        token_attempt(api, f"user{i}", "guess", HTTP_X_FORWARDED_FOR=spoofed(i)).status_code
        for i in range(ADDRESS_LIMIT + 1)
    ]
    assert codes == [400] * (ADDRESS_LIMIT - 1) + [429, 429]
    # Every account from that (real) address now waits, bob's right password too.
    assert token_attempt(api, "bob", f.PASSWORD, HTTP_X_FORWARDED_FOR=spoofed(99)).status_code == 429


def test_html_form_locks_out_and_then_refuses_the_right_password_until_the_cool_off(client):
    f.racer(username="ann")
    url = reverse("login")
    for i in range(LIMIT - 1):
        response = client.post(url, {"username": "ann", "password": f"guess-{i}"})
        assert response.status_code == 200 and "correct username and password" in response.content.decode()
    locked = client.post(url, {"username": "ann", "password": "guess-last"})
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    page = locked.content.decode()
    assert "Log-in paused" in page and "Too many failed log-ins" in page

    right = client.post(url, {"username": "ann", "password": f.PASSWORD})
    assert right.status_code == 429 and "_auth_user_id" not in client.session

    cool_off_passes()
    right = client.post(url, {"username": "ann", "password": f.PASSWORD})
    assert right.status_code == 302 and "_auth_user_id" in client.session


def test_the_cool_off_doubles_with_each_failure_past_the_limit(api):
    f.racer(username="ann")
    for i in range(LIMIT):
        token_attempt(api, "ann", f"guess-{i}")
    wait_s = COOLOFF_S
    for doubled in (2, 4, 8):
        cool_off_passes(wait_s)  # the last lockout is over...
        answer = token_attempt(api, "ann", "one-more-guess")  # ...and one more guess fails
        assert answer.status_code == 429
        wait_s = int(answer["Retry-After"])
        assert doubled * COOLOFF_S - 2 <= wait_s <= doubled * COOLOFF_S
    # Up to the longest cool-off, and no further; a day of quiet forgets it all.
    for _ in range(5):
        cool_off_passes(wait_s)
        wait_s = int(token_attempt(api, "ann", "one-more-guess")["Retry-After"])
    assert 3600 - 2 <= wait_s <= 3600
    cool_off_passes(24 * 3600)
    assert token_attempt(api, "ann", f.PASSWORD).status_code == 200


def test_per_account_lockout_holds_across_addresses(settings):
    settings.TRUSTED_PROXIES = 1  # each request now really comes from another address
    f.racer(username="ann")
    f.racer(username="bob")
    api = APIClient()
    for i in range(LIMIT):
        token_attempt(api, "ann", f"guess-{i}", HTTP_X_FORWARDED_FOR=spoofed(i))
    assert AccessAttempt.objects.values("ip_address").distinct().count() == LIMIT
    fresh = token_attempt(api, "ann", f.PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert fresh.status_code == 429
    # Another account from another address is untouched.
    assert token_attempt(api, "bob", f.PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.10").status_code == 200


def test_signup_is_limited_per_address_on_the_page_and_the_api_together(client, api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "signup": "3/hour"},
    }

    def page_signup(i: int):
        data = {"username": f"page{i}", "alias": f"Page Racer {i}", "password": f.PASSWORD, "password2": f.PASSWORD}
        return client.post(reverse("signup"), data, HTTP_X_FORWARDED_FOR=spoofed(i))

    def api_signup(i: int):
        data = {"username": f"api{i}", "alias": f"Api Racer {i}", "password": f.PASSWORD}
        return api.post("/api/auth/signup/", data, format="json", HTTP_X_FORWARDED_FOR=spoofed(i))

    assert page_signup(1).status_code == 302
    client.logout()
    assert api_signup(2).status_code == 201
    assert page_signup(3).status_code == 302
    client.logout()

    refused = page_signup(4)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many sign-ups from your address" in refused.content.decode()
    refused = api_signup(5)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    made = get_user_model().objects.filter(username__in=["page1", "api2", "page3", "page4", "api5"])
    assert sorted(made.values_list("username", flat=True)) == ["api2", "page1", "page3"]


def test_behind_one_trusted_proxy_the_last_hop_is_the_client(settings, api):
    settings.TRUSTED_PROXIES = 1
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "NUM_PROXIES": 1,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "signup": "1/hour"},
    }

    def signup(i: int, forwarded: str):
        data = {"username": f"u{i}", "alias": f"Racer {i}", "password": f.PASSWORD}
        return api.post("/api/auth/signup/", data, format="json", HTTP_X_FORWARDED_FOR=forwarded)

    # The client writes what it likes on the left; the proxy appends the address it saw.
    assert signup(1, "10.0.0.1, 203.0.113.5").status_code == 201
    assert signup(2, "10.0.0.2, 203.0.113.5").status_code == 429  # same client, new lie
    assert signup(3, "10.0.0.1, 203.0.113.6").status_code == 201  # another client
