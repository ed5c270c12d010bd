"""The account pages: sign-up with every error at once and an optional email address,
the account page (alias, email), password change, password reset by email, and deleting
the account."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from league.models import Racer
from racing.models import PolicyModel
from tests import factories as F

from .conftest import run_result

pytestmark = pytest.mark.django_db

GOOD = {"username": "newbie", "alias": "Rookie Racer", "email": "rookie@example.org",
        "password": "tarmac-and-tyres-42", "password2": "tarmac-and-tyres-42"}  # fmt: skip


def field_errors(html: str, field: str) -> str:
    chunk = html[html.index(f'id="id_{field}"') :]
    return unescape(chunk[: chunk.index("</div>")])


def test_signup_keeps_the_email_address(client):
    assert client.post(reverse("signup"), GOOD).status_code == 302
    assert get_user_model().objects.get(username="newbie").email == "rookie@example.org"


def test_signup_without_an_email_address_is_fine(client):
    assert client.post(reverse("signup"), {**GOOD, "email": ""}).status_code == 302
    assert get_user_model().objects.get(username="newbie").email == ""


def test_signup_shows_every_error_at_once(client):
    F.racer("Taken Name", username="taken")
    response = client.post(
        reverse("signup"),
        {"username": "taken", "alias": "House: Me", "email": "not-an-address", "password": "12345678",
         "password2": "12345679"},
    )  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert "is taken" in field_errors(html, "username")
    assert "House" in field_errors(html, "alias")
    assert "not an email address" in field_errors(html, "email")
    assert "too common" in field_errors(html, "password")
    assert "The two passwords differ" in field_errors(html, "password2")


def test_an_empty_field_does_not_hide_the_others(client):
    F.racer("Taken Name", username="taken")
    html = client.post(reverse("signup"), {**GOOD, "username": "", "alias": "taken-name"}).content.decode()
    assert "This field is required." in field_errors(html, "username")
    assert "reads the same as 'Taken Name'" in field_errors(html, "alias")


def test_account_page_changes_alias_and_email(client, me):
    page = client.get(reverse("account")).content.decode()
    assert 'value="Apex Hunter"' in page and "Without an email address" in page

    response = client.post(reverse("account"), {"alias": "Apex  Hunter II", "email": "apex@example.org"})
    assert response.status_code == 302
    me.refresh_from_db()
    me.user.refresh_from_db()
    assert me.alias == "Apex Hunter II" and me.user.email == "apex@example.org"


def test_account_page_refuses_a_reserved_or_taken_alias(client, me, other):
    html = client.post(reverse("account"), {"alias": "slip-stream", "email": ""}).content.decode()
    assert "reads the same as 'Slipstream'" in field_errors(html, "alias")
    html = client.post(reverse("account"), {"alias": "house：apex", "email": ""}).content.decode()
    assert "House" in field_errors(html, "alias")
    me.refresh_from_db()
    assert me.alias == "Apex Hunter"


def test_account_pages_need_a_login(client, db):
    for name in ("account", "account-delete", "password_change"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_password_change(client, me):
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and "site-header" in page.content.decode()
    response = client.post(
        reverse("password_change"),
        {"old_password": F.PASSWORD, "new_password1": "pit-stop-strategy-7", "new_password2": "pit-stop-strategy-7"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    me.user.refresh_from_db()
    assert me.user.check_password("pit-stop-strategy-7")
    assert client.get(reverse("account")).status_code == 200  # still signed in


def test_password_reset_by_email(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    racer = F.racer("Forgetful", username="forgetful")
    racer.user.email = "forgetful@example.org"
    racer.user.save()

    assert "Forgot your password?" in client.get(reverse("login")).content.decode()
    response = client.post(reverse("password_reset"), {"email": "FORGETFUL@example.org"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["forgetful@example.org"] and "Forgetful" in message.body
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", message.body).group(1)

    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    new = {"new_password1": "back-on-track-99", "new_password2": "back-on-track-99"}
    done = client.post(form.redirect_chain[-1][0], new)
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    racer.user.refresh_from_db()
    assert racer.user.check_password("back-on-track-99")
    # The link works once.
    assert "no longer works" in client.get(link, follow=True).content.decode()


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, settings, db):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_delete_account_asks_for_the_password(client, me):
    page = client.get(reverse("account-delete")).content.decode()
    assert "Remove my results too" in page
    html = client.post(reverse("account-delete"), {"password": "wrong"}).content.decode()
    assert "not your password" in field_errors(html, "password")
    assert Racer.objects.get(pk=me.pk).user_id is not None


def test_delete_account(client, me, race):
    model = F.policy_model(me)
    run_result(me, race, model=model)
    response = client.post(reverse("account-delete"), {"password": F.PASSWORD, "remove_results": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert not Racer.objects.filter(pk=me.pk).exists()
    assert not PolicyModel.objects.filter(pk=model.pk).exists()
    assert client.get(reverse("garage")).status_code == 302  # signed out
    assert "Your account is deleted" in client.get(reverse("home")).content.decode()


def test_reset_requests_share_the_signup_limit_per_address(client, settings, db):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "signup": "2/hour"},
    }
    codes = [client.post(reverse("password_reset"), {"email": "x@example.org"}).status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    response = client.post(reverse("password_reset"), {"email": "x@example.org"})
    assert "Too many requests from your address" in response.content.decode() and int(response["Retry-After"]) > 0
