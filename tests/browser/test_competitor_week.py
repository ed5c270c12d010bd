"""The competitor's week in a real Chromium: race times and the quota reset on the
viewer's own clock (a browser in Tokyo), a password reset by email (Django's locmem
backend), and the garage's upload keeping its files when two were swapped."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from racing.models import PolicyModel
from racing.quotas import quota_resets_at
from tests import factories as F
from tests.browser.conftest import refused_by_policy
from tests.browser.test_pages import check_fits, log_in
from web.templatetags.league_web import zoned

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZONE = "Asia/Tokyo"  # UTC+9 all year: the viewer's clock differs from the race's (UTC)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tokyo_tab(browser):
    context = browser.new_context(timezone_id=ZONE, viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    tab.set_default_timeout(15000)
    tab.on("dialog", lambda dialog: dialog.accept())
    refused = refused_by_policy(tab)
    yield tab
    context.close()
    assert refused == [], refused


def test_race_times_and_the_quota_reset_on_the_viewers_clock(tokyo_tab, live_server):
    tab = tokyo_tab
    race = F.race()
    closes = (timezone.now() + timedelta(days=2)).replace(minute=30, second=0, microsecond=0)
    race.closes_at = closes
    race.save()
    me = F.racer("Night Owl")
    F.policy_model(me)
    log_in(tab, live_server, me)
    local_close = f"{zoned(closes, ZONE)} your time ({ZONE.replace('_', ' ')})"

    tab.goto(f"{live_server.url}/races/{race.pk}/")
    header = tab.locator(".race-head")
    countdown = header.locator("[data-countdown]")
    assert re.fullmatch(r"Closes in\s+\d d \d\d h", countdown.inner_text())
    assert countdown.get_attribute("data-seen") == "1"  # the script counts it down
    assert header.locator("[data-local-clock]").inner_text() == local_close
    reset = tab.locator(".quota-reset [data-local-clock]")
    assert reset.inner_text() == f"{zoned(quota_resets_at(timezone.now()), ZONE)} your time ({ZONE})"
    assert reset.inner_text().split(", ")[1].startswith("09:00")  # 00:00 UTC in Tokyo
    check_fits(tab, "race-in-tokyo", "page")

    tab.goto(live_server.url + "/")
    card = tab.locator(f'.race-card[data-race-id="{race.pk}"]')
    assert card.locator("[data-countdown]").text_content().startswith("Closes in")
    assert card.locator("[data-local-clock]").inner_text() == local_close

    tab.goto(live_server.url + "/garage/")
    assert tab.locator(".quota-reset [data-local-clock]").inner_text().split(", ")[1].startswith("09:00")


def test_the_account_pages_on_a_phone(phone_page, live_server):
    me = F.racer("Pocket Racer")
    log_in(phone_page, live_server, me)
    phone_page.goto(live_server.url + "/garage/")
    phone_page.get_by_role("link", name="Account").click()
    assert phone_page.get_by_role("heading", name="Your account", exact=True).is_visible()
    check_fits(phone_page, "account", "phone_page")
    phone_page.get_by_role("link", name="Delete my account…").click()
    assert phone_page.get_by_label("Remove my results too").is_visible()
    check_fits(phone_page, "account-delete", "phone_page")


def test_password_reset_by_email(page, live_server, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    racer = F.racer("Forgetful Fred", username="fred")
    racer.user.email = "fred@example.org"
    racer.user.save()

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.fill("#id_email", "fred@example.org")
    page.get_by_role("button", name="Send the link").click()
    assert page.get_by_role("heading", name="Check your mail").is_visible()
    check_fits(page, "password-reset-sent", "page")

    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["fred@example.org"]
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    page.fill("#id_new_password1", "fresh-tyres-and-fuel-7")
    page.fill("#id_new_password2", "fresh-tyres-and-fuel-7")
    page.get_by_role("button", name="Set the new password").click()
    assert page.get_by_role("heading", name="Your new password is set").is_visible()

    page.get_by_role("link", name="Log in").last.click()
    page.fill("#id_username", "fred")
    page.fill("#id_password", "fresh-tyres-and-fuel-7")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + "/")
    assert page.locator(".account-alias").inner_text() == "Forgetful Fred"


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_the_upload_keeps_its_files_and_spots_a_swap(request, live_server, viewport, tmp_path):
    tab = request.getfixturevalue(viewport)
    me = F.racer("Swapper")
    F.race()
    log_in(tab, live_server, me)
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(F.good_state_onnx())
    meta = tmp_path / "model_metadata.json"
    meta.write_text(json.dumps(F.state_metadata()))

    tab.goto(live_server.url + "/garage/")
    tab.fill("#id_name", "swapped-v1")
    tab.set_input_files("#id_onnx", str(meta))
    tab.set_input_files("#id_metadata", str(onnx))
    note = tab.locator("[data-swap-note]")
    assert "look swapped" in note.inner_text()

    # Sent as it is: the server says so too, and the files stay chosen.
    tab.get_by_role("button", name="Upload and check").click()
    tab.locator(".field.has-error").first.wait_for()
    assert "The two files look swapped" in tab.locator(".upload-form").inner_text()
    assert tab.locator("#id_onnx").evaluate("el => el.files[0].name") == "model_metadata.json"
    assert tab.locator("#id_metadata").evaluate("el => el.files[0].name") == "model.onnx"
    check_fits(tab, "garage-swapped", viewport)

    tab.get_by_role("button", name="Swap them").click()
    assert tab.locator("[data-swap-note]").count() == 0
    tab.get_by_role("button", name="Upload and check").click()
    tab.wait_for_url("**/garage/?uploaded=*#models")
    assert "passed every check" in tab.locator(".flash").inner_text()
    model = PolicyModel.objects.get(owner=me)
    assert model.name == "swapped-v1"

    # The row: where it raced (nowhere yet), and a race to enter it in.
    row = tab.locator(f"#model-{model.pk}")
    assert "Not raced yet" in row.inner_text()
    row.get_by_role("button", name="Enter").click()
    tab.wait_for_url("**/submissions/*/")
    check_fits(tab, "garage-entered", viewport)
    tab.goto(live_server.url + "/garage/")
    check_fits(tab, "garage-models", viewport)
