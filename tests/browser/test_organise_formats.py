"""The new-race form's format section in a real Chromium, desktop and phone: only the
chosen format's settings show (a stylesheet, no script), a race night's settings once it
is chosen, and a head-to-bot race made through it has the settings typed in."""

from __future__ import annotations

import pytest

from league.models import Race
from tests import factories as F
from tests.browser.test_pages import check_fits, log_in
from tests.web.pages.conftest import facilitator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_the_format_section_shows_the_chosen_formats_settings(request, viewport, live_server):
    tab = request.getfixturevalue(viewport)
    F.track("oval-loop")
    organiser = facilitator("Fran Formats")
    log_in(tab, live_server, organiser)
    tab.goto(live_server.url + "/organise/new/")

    def shown() -> dict:
        return {name: tab.is_visible(f"[name='{name}']")
                for name in ("objects", "fixed_positions", "bots", "seed", "matches_per_hour")}

    none = {"objects": False, "fixed_positions": False, "bots": False, "seed": False, "matches_per_hour": False}
    assert shown() == none  # a time trial
    # How it runs: a race night's settings only once it is chosen.
    assert tab.is_visible("[name='mode'][value='live']") and not tab.is_visible("[name='countdown_s']")
    tab.check("input[name='mode'][value='live']")
    assert tab.is_visible("[name='countdown_s']") and tab.is_visible("[name='self_start']")
    check_fits(tab, "night-form", viewport)
    assert not tab.is_visible(".format-blind-note")  # a time trial has nothing to see
    tab.check("input[name='format'][value='object_avoidance']")
    assert shown() == {**none, "objects": True, "seed": True}
    assert tab.is_visible(".format-blind-note")  # STATE is blind to the boxes
    tab.check("input[name='placement'][value='fixed']")
    assert shown()["fixed_positions"]
    tab.check("input[name='format'][value='head_to_head']")  # the ladder's settings, no boxes or bots
    assert shown() == {**none, "matches_per_hour": True}  # each match draws its own seed
    assert tab.is_visible("[name='duel_start'][value='staggered']") and tab.is_visible("[name='finals_size']")
    assert not tab.is_visible("[name='mode'][value='live']")  # a ladder is never a race night
    check_fits(tab, "ladder-form", viewport)
    tab.check("input[name='format'][value='head_to_bot']")
    assert shown() == {**none, "bots": True, "seed": True}
    check_fits(tab, "formats-form", viewport)

    tab.check("input[name='mode'][value='classic']")
    tab.fill("[name='name']", "Bot Night")
    tab.fill("[name='bots']", "2")
    tab.fill("[name='bot_speed']", "1.1")
    tab.check("[name='bot_lane_change']")
    tab.fill("[name='seed']", "314")
    tab.click("button:has-text('Create the race')")
    tab.wait_for_url("**/organise/races/**")
    race = Race.objects.get(name="Bot Night")
    assert (race.format, race.bots, race.bot_speed_m_s, race.bot_lane_change, race.seed) == (
        "head_to_bot", 2, 1.1, True, 314)
    assert race.off_track_penalty_s == 5.0
