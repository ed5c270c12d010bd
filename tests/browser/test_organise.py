"""Community races in a real Chromium: an organiser creates a private race in the console,
copies the invite link, a racer joins through it, an outsider gets the 404 page; the
countdowns tick and show the viewer's own clock. Screenshots of the console, the form,
the management page, a race page with its countdown and a final podium, desktop and
phone, go to $PAGE_SHOTS_DIR (see test_pages.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from league.community import race_close_now
from league.models import Race, RaceEntrant, Racer
from racing.entrants import entrant_remove
from tests import factories as F
from tests.web.pages.conftest import community_race, facilitator, run_result

from tests.browser.test_pages import VIEWPORTS, check_fits, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def new_tab(browser, *, phone: bool = False, zone: str = "Europe/Paris", clipboard: bool = False):
    options = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
               "has_touch": True} if phone else {"viewport": {"width": 1280, "height": 800}}  # fmt: skip
    context = browser.new_context(timezone_id=zone, **options)
    if clipboard:
        context.grant_permissions(["clipboard-read", "clipboard-write"])
    tab = context.new_page()
    tab.set_default_timeout(15000)
    tab.on("dialog", lambda dialog: dialog.accept())  # the confirm() of data-confirm forms
    return tab


def test_an_organiser_creates_a_private_race_and_a_racer_joins_by_the_link(browser, live_server):
    F.track("oval-loop")
    F.track("grand-prix")
    organiser = facilitator("Fran Facilitator")
    racer = F.racer("Joiner Jo")
    outsider = F.racer("Nosy Parker")
    tab = new_tab(browser, clipboard=True)
    log_in(tab, live_server, organiser)

    tab.goto(live_server.url + "/")
    tab.get_by_role("link", name="Organise").click()
    tab.get_by_role("link", name="New race").click()
    tab.wait_for_url("**/organise/new/")
    tab.wait_for_load_state()
    assert tab.locator("#id_time_zone").input_value() == "Europe/Paris"  # the organiser's own zone
    tab.fill("#id_name", "Team Time Trial")
    tab.fill("#id_description", "Three laps <b>flat out</b>.\nPizza after.")
    tab.locator(".track-option").filter(has_text="Harbour Grand Prix").click()
    tab.fill("#id_laps", "5")
    tab.get_by_label("Private (invite link only)").check()
    tab.get_by_role("button", name="Create the race").click()
    tab.wait_for_url("**/organise/races/*/")

    race = Race.objects.get(name="Team Time Trial")
    assert race.visibility == "private" and race.laps == 5 and race.track.slug == "grand-prix"
    assert race.time_zone == "Europe/Paris" and race.owner == organiser
    assert "Share the invite link" in tab.locator(".flash").inner_text()
    tab.get_by_role("button", name="Copy").click()
    tab.get_by_role("button", name="Copied ✓").wait_for()
    invite = tab.evaluate("navigator.clipboard.readText()")
    assert invite == f"{live_server.url}/races/join/{race.invite_token}/"

    # A racer opens the link in their own browser, joins and sees the race.
    joiner = new_tab(browser, zone="America/New_York")
    log_in(joiner, live_server, racer)
    joiner.goto(invite)
    assert joiner.get_by_role("heading", name="Team Time Trial").is_visible()
    joiner.get_by_role("button", name="Join this race").click()
    joiner.wait_for_url(f"**/races/{race.pk}/")
    assert joiner.get_by_role("heading", level=1).inner_text().startswith("Team Time Trial")
    assert "flat out" in joiner.locator(".race-description").inner_text()
    assert joiner.locator(".race-description b").count() == 0  # the description is text, not markup
    assert RaceEntrant.objects.filter(race=race, racer=racer).exists()

    # An outsider who is not invited finds nothing there.
    nosy = new_tab(browser)
    log_in(nosy, live_server, outsider)
    response = nosy.goto(f"{live_server.url}/races/{race.pk}/")
    assert response.status == 404 and nosy.get_by_role("heading", name="Nothing here").is_visible()

    # The organiser resets the link: the old one stops working at once.
    tab.reload()
    tab.get_by_role("button", name="Reset the link").click()
    tab.wait_for_load_state()
    assert "no longer works" in tab.locator(".flash").inner_text()
    response = nosy.goto(invite)
    assert response.status == 404
    assert nosy.get_by_role("heading", name="This invite link no longer works").is_visible()
    # The racer who joined is still in, and the organiser sees them on the racers' list.
    assert joiner.goto(f"{live_server.url}/races/{race.pk}/").status == 200
    assert tab.locator('.racers-table tr[data-racer="Joiner Jo"]').is_visible()
    for context_tab in (tab, joiner, nosy):
        context_tab.context.close()


def test_removing_a_racer_asks_first(browser, live_server):
    organiser = facilitator()
    race = community_race(organiser, visibility="private")
    RaceEntrant.objects.create(race=race, racer=F.racer("Leaving Lee"))
    tab = new_tab(browser)
    questions = []
    tab.on("dialog", lambda dialog: questions.append(dialog.message))
    log_in(tab, live_server, organiser)

    tab.goto(f"{live_server.url}/organise/races/{race.pk}/")
    tab.locator('tr[data-racer="Leaving Lee"]').get_by_role("button", name="Remove").click()
    tab.wait_for_load_state()

    assert questions and questions[0].startswith("Remove Leaving Lee from this race?")
    assert tab.locator('tr[data-racer="Leaving Lee"] .pill').inner_text().lower() == "removed"
    tab.context.close()


def test_countdowns_tick_and_show_the_viewers_own_clock(browser, live_server):
    race = community_race(facilitator(), name="Tick Tock", time_zone="Asia/Tokyo",
                          closes_at=timezone.now() + timedelta(minutes=5))  # fmt: skip
    tab = new_tab(browser, zone="America/New_York")

    tab.goto(f"{live_server.url}/races/{race.pk}/")

    left = tab.locator(".race-head [data-countdown-left]")
    first = left.inner_text()
    assert first.startswith("4 min") or first.startswith("5 min")
    tab.wait_for_function(f"() => document.querySelector('.race-head [data-countdown-left]').textContent !== {first!r}")
    local = tab.locator(".rules [data-local-time]").last
    assert local.is_visible() and "(America/New York)" in local.inner_text()
    assert "Asia/Tokyo" in tab.locator(".rules").inner_text()
    tab.context.close()


@pytest.fixture
def showcase():
    """A facilitator's console with races in every phase, racers and a closed race."""
    F.track("oval-loop")
    F.track("grand-prix")
    organiser = facilitator("Fran Facilitator")
    now = timezone.now()
    live = community_race(organiser, name="Thursday Lunch League", visibility="private", time_zone="Europe/Berlin",
                          description="Fastest three laps by Friday noon win the trophy.\nHouse rules apply.",
                          closes_at=now + timedelta(days=2, hours=5), track=F.track("grand-prix"))  # fmt: skip
    names = ["DriftKing", "Lidar Lisa", "Max Q", "Torque.io", "Racer With A Rather Long Alias 0042"]
    for i, name in enumerate(names):
        driver = F.racer(name)
        RaceEntrant.objects.create(race=live, racer=driver)
        run_result(driver, live, lap_times=[50.0 + i, 49.0, 49.5])
    entrant_remove(live, Racer.objects.get(alias="Max Q"))
    community_race(organiser, name="Spring Invitational", opens_at=now + timedelta(days=3, hours=4),
                   closes_at=now + timedelta(days=10), visibility="unlisted")  # fmt: skip
    final = community_race(organiser, name="Winter Sprint", direction="clockwise", laps=1)
    for i, name in enumerate(["Podium Pia", "Second Sam", "Third Theo", "Fourth Fred"]):
        run_result(F.racer(name), final, lap_times=[20.0 + i * 0.731])
    race_close_now(final)
    return {"organiser": organiser, "live": live, "final": final}


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_console_pages_look_right(browser, live_server, showcase, viewport):
    tab = new_tab(browser, phone=viewport == "phone_page")
    log_in(tab, live_server, showcase["organiser"])
    live, final = showcase["live"], showcase["final"]

    tab.goto(live_server.url + "/organise/")
    assert tab.locator(".console-race").count() == 3
    check_fits(tab, "organise-console", viewport)

    tab.goto(live_server.url + "/organise/new/")
    assert tab.locator(".track-option").count() == 2
    check_fits(tab, "organise-new", viewport)
    tab.fill("#id_laps", "40")
    tab.fill("#id_time_cap_s", "5")
    tab.get_by_role("button", name="Create the race").click()
    tab.wait_for_load_state()
    assert tab.locator(".field.has-error").count() >= 3
    check_fits(tab, "organise-new-errors", viewport)

    tab.goto(f"{live_server.url}/organise/races/{live.pk}/")
    assert tab.locator(".racers-table tbody tr").count() == 5
    check_fits(tab, "organise-manage", viewport)
    tab.locator(".edit-settings summary").click()
    check_fits(tab, "organise-manage-edit", viewport)

    tab.goto(f"{live_server.url}/races/{live.pk}/")
    assert tab.locator(".race-head .countdown").is_visible()
    check_fits(tab, "community-race", viewport)

    tab.goto(f"{live_server.url}/races/{final.pk}/")
    steps = tab.locator(".podium-step")
    assert steps.count() == 3 and "Podium Pia" in tab.locator(".podium-step.gold").inner_text()
    check_fits(tab, "community-podium", viewport)

    tab.goto(live_server.url + "/races/")
    check_fits(tab, "community-races", viewport)
    tab.goto(live_server.url + "/")
    assert tab.locator(".race-card-community").count() >= 1
    check_fits(tab, "home-community", viewport)
    tab.goto(f"{live_server.url}/races/join/{live.invite_token}/")
    check_fits(tab, "join", viewport)
    tab.context.close()
