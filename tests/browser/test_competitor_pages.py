"""What a competitor looks at after a week of racing, in a real headless Chromium on a
desktop (1280x800) and a phone (390x844): the page of a failed run (where it failed on
the map, the replay up to the failure, the command to reproduce it, the usual causes) and
the chart of a racer's times on their profile. Screenshots go to $COMPETITOR_SHOTS_DIR
(default /tmp/shots) for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from racing import worker
from racing.failures import reproduce_command
from racing.submissions import submission_create
from simulator.failures import FAILURE_KINDS
from tests import factories as F
from tests.browser.test_pages import log_in
from tests.web.pages.conftest import run_result

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("COMPETITOR_SHOTS_DIR", "/tmp/shots"))
VIEWPORTS = ["page", "phone_page"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def shot_and_fit(tab, name: str, viewport: str) -> None:
    """A full-page screenshot for the record, and no sideways scrolling."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}-{'desktop' if viewport == 'page' else 'phone'}.png"), full_page=True)
    scroll_width = tab.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= tab.viewport_size["width"], f"{name} overflows sideways on {viewport}"


@pytest.fixture
def failed_run():
    """A run raced by the worker in the sandbox that returns NaN past 60% of its first lap."""
    race = F.race(tracks=[F.track("oval-loop")])
    racer = F.racer("Apex Hunter", username="apex")
    model = F.policy_model(racer, name="ppo-state-v7", onnx_bytes=F.nan_mid_lap_onnx(0.6))
    submission = submission_create(racer=racer, model=model, race=race)
    assert worker.submission_race(submission.pk) == "failed"
    submission.refresh_from_db()
    return submission


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_failure_page(request, live_server, failed_run, viewport):
    tab = request.getfixturevalue(viewport)
    log_in(tab, live_server, failed_run.racer)
    tab.goto(f"{live_server.url}/submissions/{failed_run.pk}/")

    panel = tab.locator("#failure")
    assert panel.get_by_role("heading", name="Where it failed").is_visible()
    assert panel.locator("[data-role=failure-lap]").inner_text() == "1/3"
    assert panel.locator("[data-role=failure-step]").inner_text() == str(failed_run.failure["step"])
    # The point of failure is drawn inside the track's picture.
    point = panel.locator("[data-role=failure-point]").bounding_box()
    picture = panel.locator(".failure-map svg").bounding_box()
    assert point["width"] > 3 and picture["width"] > 200
    assert picture["x"] <= point["x"] <= picture["x"] + picture["width"]
    assert picture["y"] <= point["y"] <= picture["y"] + picture["height"]
    assert panel.locator("#failure-reproduce").inner_text().strip() == reproduce_command(failed_run.race)
    assert FAILURE_KINDS["nan"].causes[0] in panel.inner_text()
    shot_and_fit(tab, "failure-page", viewport)

    copy = panel.locator("button[data-copy='#failure-reproduce']")
    assert copy.inner_text() == "Copy"
    copy.click()
    tab.wait_for_function("b => b.textContent !== 'Copy'", arg=copy.element_handle())
    assert copy.inner_text() in ("Copied ✓", "Press Ctrl+C")  # without clipboard rights: select it

    # The replay up to the failure opens in the interactive viewer and ends where it failed.
    panel.get_by_role("link", name="Replay up to the failure").click()
    tab.wait_for_selector("#rp-stage[data-ready='1']")
    steps = tab.evaluate("window.replayPlayer.state.run.n")
    assert steps == failed_run.failure["step"]
    assert tab.locator("#rp-play").is_enabled()
    shot_and_fit(tab, "failure-replay", viewport)


@pytest.fixture
def profile():
    """A racer with runs in two races: faster and slower runs and a DNF."""
    season = F.season(tracks=[F.track("oval-loop"), F.track("grand-prix")], slug="autumn-cup")
    oval, gp = season.races.order_by("order")
    racer = F.racer("Late Braker")
    for laps in ([22.4, 21.9, 22.0], [21.2, 21.0, 21.1], [20.9, 20.4, 20.6], [21.5, 20.9, 21.0], [20.1, 20.0, 20.2]):
        run_result(racer, oval, lap_times=laps)
    run_result(racer, oval, finished=False, laps_done=2, progress=0.3, off_track=7)
    run_result(racer, oval, lap_times=[19.9, 19.8, 20.0])
    run_result(racer, gp, lap_times=[52.0, 50.5, 50.1])
    run_result(racer, gp, finished=False, laps_done=0, progress=0.8)
    run_result(racer, gp, lap_times=[49.0, 48.7, 48.9])
    run_result(F.racer("Pole Sitter"), oval, lap_times=[19.0, 19.0, 19.0])
    return racer


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_profile_chart(request, live_server, profile, viewport):
    tab = request.getfixturevalue(viewport)
    tab.goto(f"{live_server.url}/racers/{profile.alias}/")

    cards = tab.locator(".runs-card")
    assert cards.count() == 2
    oval = cards.filter(has_text="Meadow Oval")
    chart = oval.locator("svg.times-chart")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 140
    assert oval.locator(".tc-point").count() == 6 and oval.locator(".tc-dnf").count() == 1
    assert oval.locator(".tc-best").count() == 1
    assert oval.locator("tbody tr").count() == 7
    # The labels stay readable on a phone too: the axis text is drawn at least 10 px high.
    label_px = tab.evaluate("t => t.getBoundingClientRect().height", oval.locator(".tc-y").first.element_handle())
    assert label_px >= 10, label_px
    # Every best result, for both races.
    assert tab.locator(".best-card").count() == 2
    chart.scroll_into_view_if_needed()
    shot_and_fit(tab, "profile-chart", viewport)
