"""A race night in a real headless Chromium, served by uvicorn with a real `db_worker`
driving the night (no Redis: frames travel through the database event log): the
facilitator starts it from the control desk, the watch page moves the car and shows the
result, the broadcast overlay (1920x1080, transparent, nothing to scroll) and the kiosk
board (large type, a QR code drawn locally) follow it. Every page under the strict CSP."""

from __future__ import annotations

import pytest

from nights import control
from nights.queue import queue_join, queue_remove
from simulator.formatting import format_race_time
from tests import factories as f
from tests.browser.test_live import log_in
from tests.live_support import WebServer, record_result

pytestmark = pytest.mark.django_db(transaction=True)

RUN_TIMEOUT_MS = 120_000  # a generous deadline, not a timing assertion


@pytest.fixture(scope="module")
def web(django_db_setup, tmp_path_factory):
    media = tmp_path_factory.getbasetemp() / "media"
    media.mkdir(exist_ok=True)
    server = WebServer(str(media), kind="uvicorn", LIVE_POLL_INTERVAL_S="0.05").start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def a_night(before=(("Early Bird", 99.0),)):
    owner = f.facilitator("Night Host")
    race = f.community_race(owner, on=f.track("oval-loop"), laps=1, time_cap_s=60)
    for alias, time_s in before:  # on the board before the race became a night (such results stay)
        record_result(f.racer(alias), race, time_s)
    control.live_settings_set(race, mode="live", countdown_s=2)
    racer = f.racer("Night Owl")
    queue_join(race=race, racer=racer, model=f.policy_model(racer))
    return race, owner, racer


def test_a_night_from_the_control_desk_to_the_overlay_and_kiosk(browser, page, web, start_worker):
    race, owner, racer = a_night()
    start_worker()
    log_in(page, web, owner.user)
    page.goto(f"{web.url}/organise/races/{race.pk}/control/")
    assert page.locator(".cd-table tbody tr").first.inner_text().count("Night Owl") == 1

    viewer = browser.new_page()
    viewer.goto(f"{web.url}/races/{race.pk}/live/")
    viewer.wait_for_selector("html[data-live=connected]")
    overlay = browser.new_page(viewport={"width": 1920, "height": 1080})
    overlay.goto(f"{web.url}/races/{race.pk}/overlay/")
    kiosk = browser.new_page(viewport={"width": 1280, "height": 720})
    kiosk.goto(f"{web.url}/races/{race.pk}/kiosk/")

    page.get_by_role("button", name="Start").click()
    # The car moves on the watch page: the clock runs while the run is under way.
    viewer.wait_for_selector('#ln-racer:text-is("Night Owl")', timeout=RUN_TIMEOUT_MS)
    viewer.wait_for_selector('#ln-clock:not(:text-is("—"))', timeout=RUN_TIMEOUT_MS)
    overlay.wait_for_selector('#ov-racer:text-is("Night Owl")')
    viewer.wait_for_selector('#ln-status:text-matches("^Finished")', timeout=RUN_TIMEOUT_MS)
    result = racer.results.get()
    assert viewer.locator("#ln-status").inner_text() == f"Finished: {format_race_time(result.official_time_s)}"
    # The figures at the finish are the official ones: every lap done, the clock at the line.
    assert race.timing_method == "TOTAL_TIME"
    assert viewer.locator("#ln-lap").inner_text() == "1/1 laps done"
    assert viewer.locator("#ln-clock").inner_text() == format_race_time(result.official_time_s)
    viewer.wait_for_selector("#ln-board tr:nth-child(2)")
    assert viewer.locator("#ln-board tr").first.inner_text().split("\t")[:3] == [
        "1", "Night Owl", format_race_time(result.official_time_s)]
    assert viewer.locator("#ln-laps li").count() == 1

    # The overlay: the top five and the run, on a transparent page with nothing to scroll.
    overlay.wait_for_selector("#ov-top tr:nth-child(2)")
    assert overlay.locator("#ov-top tr").first.inner_text().split("\t")[1] == "Night Owl"
    assert overlay.locator("#ov-best").inner_text() == format_race_time(result.lap_times_s[0])
    shape = overlay.evaluate("""() => ({
        bg: getComputedStyle(document.body).backgroundColor,
        htmlBg: getComputedStyle(document.documentElement).backgroundColor,
        scrollW: document.documentElement.scrollWidth, scrollH: document.documentElement.scrollHeight,
        nav: document.querySelectorAll('nav, header.site-header').length})""")
    assert shape == {"bg": "rgba(0, 0, 0, 0)", "htmlBg": "rgba(0, 0, 0, 0)", "scrollW": 1920, "scrollH": 1080,
                     "nav": 0}

    # The kiosk: the board in large type and a QR code served by the league itself.
    kiosk.wait_for_selector("#ks-board tr:nth-child(2)")
    assert kiosk.evaluate("parseFloat(getComputedStyle(document.querySelector('#ks-board td')).fontSize)") >= 36
    assert kiosk.evaluate("document.querySelector('.ks-qr img').naturalWidth") > 0
    qr = kiosk.request.get(f"{web.url}/races/{race.pk}/kiosk/qr.svg")
    assert qr.ok and qr.headers["content-type"] == "image/svg+xml" and b"<svg" in qr.body()

    page.reload()
    assert "Raced" in page.locator(".cd-table tbody tr").first.inner_text()


def test_the_watch_page_fits_a_phone(phone_page, web):
    race, _, _ = a_night()
    phone_page.goto(f"{web.url}/races/{race.pk}/live/")
    phone_page.wait_for_selector("html[data-live=connected]")
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert phone_page.locator("#ln-queue li").first.inner_text() == "1. Night Owl"


def test_on_a_phone_the_desk_fits_and_the_board_lines_up(phone_page, web):
    race, owner, _ = a_night(before=(("Early Bird", 99.0), ("Second Place", 120.0)))
    log_in(phone_page, web, owner.user)
    phone_page.goto(f"{web.url}/organise/races/{race.pk}/control/")
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    remove = phone_page.get_by_role("button", name="Remove")
    box, card = remove.bounding_box(), phone_page.locator("#cd-racers-card").bounding_box()
    assert box["x"] + box["width"] <= card["x"] + card["width"]  # the actions are on the card, not cut off

    phone_page.goto(f"{web.url}/races/{race.pk}/live/")
    phone_page.wait_for_selector("#ln-board tr:nth-child(2)")
    # Name then time on the first line, the gap under the name (as on the race page's board).
    cells = phone_page.evaluate("""() => [...document.querySelectorAll('#ln-board tr:nth-child(2) td')]
        .map((td) => ({cls: td.className, box: td.getBoundingClientRect().toJSON()}))""")
    where = {c["cls"]: c["box"] for c in cells}
    assert where["c-racer"]["x"] < where["c-time"]["x"] and where["c-gap"]["top"] >= where["c-racer"]["bottom"] - 1


def test_the_racer_s_own_line_follows_the_queue(page, web):
    race, _, ahead = a_night()
    me = f.racer("Second Owl")
    queue_join(race=race, racer=me, model=f.policy_model(me))
    log_in(page, web, me.user)
    page.goto(f"{web.url}/races/{race.pk}/live/")
    page.wait_for_selector("html[data-live=connected]")
    assert page.locator("#ln-me").inner_text() == "You are in: position 2 (1 = next)"
    queue_remove(ahead.night_entries.get())  # the facilitator takes the racer ahead out
    page.wait_for_selector('#ln-me:text-is("You are in: position 1 (1 = next)")')
    control.night_end(race.live)  # the page stops saying LIVE
    page.wait_for_selector("#ln-badge", state="detached")
    page.wait_for_selector('#ln-me:text-is("You are in: Skipped — The race night ended.")')
    assert page.locator("#ln-state").inner_text() == "Ended"


def test_a_private_night_is_404_to_outsiders(page, web):
    owner = f.facilitator()
    race = f.community_race(owner, visibility="private")
    control.live_settings_set(race, mode="live")
    for path in ("live/", "overlay/", "kiosk/", "kiosk/qr.svg"):
        assert page.request.get(f"{web.url}/races/{race.pk}/{path}").status == 404
    log_in(page, web, f.facilitator().user)
    assert page.request.get(f"{web.url}/organise/races/{race.pk}/control/").status == 404
