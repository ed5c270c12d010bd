"""The league's pages in a real headless Chromium (desktop 1280 px and a 390 px phone):
visible content and no sideways scrolling on the phone. Screenshots go to
$PAGE_SHOTS_DIR (default /tmp/league-page-shots) for a human to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import factories as F
from tests.web.pages.conftest import failed_submission, run_result

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("PAGE_SHOTS_DIR", "/tmp/league-page-shots"))
VIEWPORTS = ["page", "phone_page"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def league():
    """An open season with two races, a dozen racers (one DNF) and a logged-in racer
    with models and submissions in every state."""
    season = F.season(tracks=[F.track("oval-loop"), F.track("grand-prix")], slug="spring-cup")
    oval, gp = season.races.order_by("order")
    names = ["DriftKing", "Lidar Lisa", "Max Q", "Torque.io", "Neon Nova", "Chicane Charlie",
             "Gradient Descent", "Late Braker", "Silverline", "Racer With A Rather Long Alias 0042"]  # fmt: skip
    for i, name in enumerate(names):
        racer = F.racer(name)
        run_result(racer, oval, lap_times=[20.0 + i * 0.37, 19.8 + i * 0.2, 20.1], off_track=i % 3)
        if i % 2 == 0:
            run_result(racer, gp, lap_times=[50.0 + i, 49.0, 49.5])
    run_result(F.racer("Crash Test"), oval, finished=False, laps_done=1, progress=0.62, off_track=9)
    me = F.racer("Apex Hunter", username="apex")
    model = F.policy_model(me, name="ppo-state-v1")
    F.policy_model(me, name="lidar-ppo-v4", metadata=F.discrete_metadata(5, "LIDAR"))
    finished = run_result(me, oval, model=model, lap_times=[20.5, 20.2, 20.4])
    failed = failed_submission(me, gp, "The policy output NaN at step 212 (lap 1): check the last layer.")
    from racing.submissions import submission_create

    queued = submission_create(racer=me, model=model, race=gp)
    return {"season": season, "oval": oval, "gp": gp, "me": me, "finished": finished, "failed": failed,
            "queued": queued}  # fmt: skip


def log_in(tab, live_server, racer):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(racer.user)
    tab.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
          "url": live_server.url}]  # fmt: skip
    )


def check_fits(tab, name: str, viewport: str) -> None:
    """No sideways scrolling; a full-page screenshot for the record."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{viewport}-{name}.png"), full_page=True)
    # The viewport's own width: a phone widens its layout viewport (and innerWidth) to fit
    # a page that overflows, so innerWidth alone would hide the overflow.
    scroll_width = tab.evaluate("document.documentElement.scrollWidth")
    width = tab.viewport_size["width"]
    assert scroll_width <= width, f"{name} overflows sideways on {viewport}: {scroll_width} > {width}"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_home(request, live_server, league, viewport):
    tab = request.getfixturevalue(viewport)

    tab.goto(live_server.url + "/")

    assert tab.get_by_role("heading", level=1).inner_text().lower().startswith("your self-driving model")
    assert tab.get_by_role("link", name="Sign up and race").is_visible()
    assert tab.get_by_role("heading", name="How to enter").is_visible()
    card = tab.locator(".race-card").filter(has_text="Meadow Oval")
    assert card.locator(".podium-item").count() == 3
    assert card.locator(".podium-item.gold").inner_text().startswith("1")
    assert "DriftKing" in card.locator(".podium-item.gold").inner_text()
    assert tab.locator(".race-card").filter(has_text="Harbour Grand Prix").is_visible()
    check_fits(tab, "home", viewport)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_leaderboard(request, live_server, league, viewport):
    tab = request.getfixturevalue(viewport)
    oval = league["oval"]

    tab.goto(f"{live_server.url}/races/{oval.pk}/")

    board = tab.locator(f'table#leaderboard[data-race-id="{oval.pk}"]')
    rows = board.locator("tbody tr[data-racer]")
    assert rows.count() == 12
    first = rows.first
    assert first.get_attribute("data-racer") == "DriftKing"
    assert first.locator(".c-time").inner_text() == "59.900"
    assert first.locator(".c-racer").is_visible() and first.locator(".c-time").is_visible()
    second = rows.nth(1)
    assert second.locator(".c-gap").inner_text().startswith("+")
    dnf = rows.last
    assert dnf.get_attribute("data-racer") == "Crash Test"
    assert "DNF" in dnf.inner_text() and "1/3 + 62%" in dnf.inner_text()
    if viewport == "phone_page":
        # One compact card per racer: name and time on the first line.
        name_box = first.locator(".c-racer").bounding_box()
        time_box = first.locator(".c-time").bounding_box()
        assert abs(name_box["y"] - time_box["y"]) < 12
        assert time_box["x"] > name_box["x"]
    assert tab.get_by_role("heading", name="Rules").is_visible()
    assert "Log in" in tab.locator("#enter").inner_text()
    if viewport == "page":
        # The board stays in its column, clear of the side panel.
        board_box = board.bounding_box()
        side_box = tab.locator(".race-side").bounding_box()
        assert board_box["x"] + board_box["width"] <= side_box["x"]
    check_fits(tab, "leaderboard", viewport)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_garage(request, live_server, league, viewport):
    tab = request.getfixturevalue(viewport)
    log_in(tab, live_server, league["me"])

    tab.goto(live_server.url + "/garage/")

    assert tab.get_by_role("heading", name="My garage").is_visible()
    models = tab.locator("#models-table tbody tr")
    assert models.count() == 2 and "lidar-ppo-v4" in models.first.inner_text()
    subs = tab.locator("#submissions-table tbody tr[data-submission-id]")
    assert subs.count() == 3
    assert tab.locator(f'[data-submission-id="{league["failed"].pk}"]').first.is_visible()
    assert "NaN at step 212" in tab.locator(f'tr[data-submission-id="{league["failed"].pk}"]').inner_text()
    assert tab.locator(f'tr[data-submission-id="{league["queued"].pk}"] .badge-queued').is_visible()
    check_fits(tab, "garage", viewport)

    # An upload without files: the errors appear next to the fields.
    tab.fill("#id_name", "empty-upload")
    tab.get_by_role("button", name="Upload and check").click()
    tab.wait_for_load_state()
    assert tab.locator(".field.has-error").count() == 2
    assert tab.get_by_text("Choose the exported policy file (model.onnx), or a console export below.").is_visible()
    check_fits(tab, "garage-upload-errors", viewport)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_submit_a_model_from_the_leaderboard(request, live_server, league, viewport):
    tab = request.getfixturevalue(viewport)
    log_in(tab, live_server, league["me"])
    oval = league["oval"]

    tab.goto(f"{live_server.url}/races/{oval.pk}/")
    assert tab.locator("tr.me").get_attribute("data-racer") == "Apex Hunter"
    tab.select_option("#id_model", label="lidar-ppo-v4 · Lidar")
    tab.get_by_role("button", name="Submit to this race").click()
    tab.wait_for_url("**/submissions/*/")

    status = tab.locator("#submission-status")
    assert status.get_attribute("data-status") == "queued"
    assert "is queued" in tab.locator(".flash").inner_text()
    check_fits(tab, "submission-queued", viewport)


def test_every_page_fits_a_phone(phone_page, live_server, league):
    me = league["me"]
    log_in(phone_page, live_server, me)
    pages = {
        "season": "/seasons/spring-cup/",
        "seasons": "/seasons/",
        "tracks": "/tracks/",
        "track": "/tracks/grand-prix/",
        "racer-me": "/racers/Apex%20Hunter/",
        "racer-long-alias": "/racers/Racer%20With%20A%20Rather%20Long%20Alias%200042/",
        "submission-finished": f"/submissions/{league['finished'].submission_id}/",
        "submission-failed": f"/submissions/{league['failed'].pk}/",
        "leaderboard-gp": f"/races/{league['gp'].pk}/",
    }
    for name, path in pages.items():
        response = phone_page.goto(live_server.url + path)
        assert response.status == 200, path
        check_fits(phone_page, name, "phone_page")
    phone_page.context.clear_cookies()
    for name, path in {"signup": "/accounts/signup/", "login": "/accounts/login/"}.items():
        phone_page.goto(live_server.url + path)
        check_fits(phone_page, name, "phone_page")
