"""The replay page in a real headless Chromium: it loads the replay, plays it (the car
moves), shows the leader as a ghost with the gap, and its video element loads the MP4."""

from __future__ import annotations


import pytest

from racing import videos
from tests import factories as f
from tests.racing.test_replays import raced_result

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def runs():
    """Two one-lap runs of the same race: a clean leader and a wilder run (off-track
    resets) whose video is rendered."""
    race = f.race(tracks=[f.track("oval-loop")], laps=1)
    leader = raced_result(race, f.racer("Leader Lou"))
    mine = raced_result(race, f.racer("Wild Willy"), lateral_accel_m_s2=20.0)
    assert mine.off_track_count > 0
    assert videos.result_video_render(mine.pk) == "ready"
    mine.refresh_from_db()
    return mine, leader


def stage(page) -> dict:
    return page.evaluate(
        "() => { const s = document.getElementById('rp-stage').dataset;"
        " return {step: Number(s.step), x: Number(s.carX), y: Number(s.carY), ghost: s.ghost || ''}; }"
    )


def test_replay_page_plays_the_run_and_loads_the_video(page, live_server, runs):
    mine, leader = runs
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server.url}/results/{mine.pk}/replay/")
    page.wait_for_selector("#rp-stage[data-ready='1']")
    assert "Wild Willy" in page.title()

    # The leader is the ghost by default, with the gap on screen.
    page.wait_for_function(f"() => document.getElementById('rp-stage').dataset.ghost === '{leader.pk}'")
    assert page.is_visible("#rp-hud-gap-box")
    assert page.text_content("#rp-hud-gap").strip() not in ("", "–")

    before = stage(page)
    assert before["step"] == 0
    page.select_option("#rp-rate", "4")
    page.click("#rp-play")
    page.wait_for_function("() => Number(document.getElementById('rp-stage').dataset.step) >= 30")
    page.click("#rp-play")  # pause
    after = stage(page)
    assert page.get_attribute("#rp-stage", "data-playing") == "0"
    assert (after["x"], after["y"]) != (before["x"], before["y"])
    moved = ((after["x"] - before["x"]) ** 2 + (after["y"] - before["y"]) ** 2) ** 0.5
    assert moved > 0.5  # metres

    # Scrubbing moves the car to that step.
    page.eval_on_selector("#rp-scrub", "(el) => { el.value = '5'; el.dispatchEvent(new Event('input')); }")
    assert stage(page)["step"] == 5

    # Lap splits, off-track markers on the timeline, the speed trace legend.
    assert page.locator("#rp-splits tbody tr[data-lap]").count() == 1
    assert page.locator("#rp-marks .rp-mark-off").count() == mine.off_track_count
    assert page.locator("#rp-trace-legend .rp-trace-key").count() >= 2

    # The video element loads the MP4 (served with byte ranges).
    page.wait_for_function(
        "() => { const v = document.getElementById('rp-video');"
        " return v && v.readyState >= 1 && v.videoWidth > 0; }"
    )
    video = page.evaluate(
        "() => { const v = document.getElementById('rp-video');"
        " return {w: v.videoWidth, h: v.videoHeight, d: v.duration, err: v.error && v.error.code}; }"
    )
    assert video["err"] is None
    assert (video["w"], video["h"]) == (960, 540)
    assert video["d"] == pytest.approx(mine.steps / 15, abs=0.2)
    assert not errors, errors


def test_replay_page_on_a_phone(phone_page, live_server, runs):
    mine, _ = runs
    phone_page.goto(f"{live_server.url}/results/{mine.pk}/replay/?ghost=")
    phone_page.wait_for_selector("#rp-stage[data-ready='1']")
    assert stage(phone_page)["ghost"] == ""
    # Nothing wider than the screen; the map fills the width.
    overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    width = phone_page.evaluate("document.getElementById('rp-track').getBoundingClientRect().width")
    assert width > 300
    phone_page.tap("#rp-play")
    phone_page.wait_for_function("() => Number(document.getElementById('rp-stage').dataset.step) >= 5")
