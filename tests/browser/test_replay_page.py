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


def splits_cut_off(tab) -> dict:
    """The split cells that stick out of the table's box (cut off or scrolled away), and
    how far the table scrolls sideways."""
    return tab.evaluate(
        "() => { const wrap = document.querySelector('.rp-table-wrap'), box = wrap.getBoundingClientRect();"
        " const cut = [...document.querySelectorAll('#rp-splits th, #rp-splits td')].filter((c) => {"
        "   const r = c.getBoundingClientRect(); return r.width > 0 && (r.right > box.right + 1 || r.left < box.left - 1); });"
        " const shown = [...document.querySelectorAll('#rp-splits thead th')]"
        "   .filter((c) => c.getBoundingClientRect().width > 0).map((c) => c.textContent.trim());"
        " return {cut: cut.map((c) => c.textContent.trim()), scroll: wrap.scrollWidth - wrap.clientWidth, shown}; }"
    )


def hud_over_map(tab) -> list[str]:
    """The HUD boxes that cover part of the track map."""
    return tab.evaluate(
        "() => { const m = document.getElementById('rp-track').getBoundingClientRect();"
        " return [...document.querySelectorAll('.rp-hud-box, .rp-legend')].filter((b) => {"
        "   const r = b.getBoundingClientRect(); return r.width > 0 && r.left < m.right && r.right > m.left"
        "   && r.top < m.bottom && r.bottom > m.top; }).map((b) => b.textContent.trim()); }"
    )


def penalty_column(tab) -> tuple[list[int], list[float]]:
    offs = tab.locator("#rp-splits tbody tr[data-lap] td.rp-col-off").all_inner_texts()
    pens = tab.locator("#rp-splits tbody tr[data-lap] td.rp-col-pen").all_inner_texts()
    return [int(t) for t in offs], [float(t.strip("+ s")) for t in pens]


def open_replay(tab, live_server, runs):
    """The replay page of the first run, drawn, with the leader as its ghost."""
    mine, leader = runs
    tab.goto(f"{live_server.url}/results/{mine.pk}/replay/")
    tab.wait_for_selector("#rp-stage[data-ready='1']")
    tab.wait_for_function(f"() => document.getElementById('rp-stage').dataset.ghost === '{leader.pk}'")
    return mine


def test_replay_splits_slider_and_hud_for_keyboards_and_screens(page, live_server, runs):
    mine = open_replay(page, live_server, runs)

    # Every column of the splits in view, off tracks and penalty seconds among them.
    fit = splits_cut_off(page)
    assert fit["cut"] == [] and fit["scroll"] <= 1, fit
    assert fit["shown"] == ["Lap", "S1", "S2", "S3", "Time", "Off", "Pen.", "Δ ghost"]
    offs, pens = penalty_column(page)
    assert sum(offs) == mine.off_track_count > 0
    assert sum(pens) == pytest.approx(mine.penalty_s) and mine.penalty_s > 0
    # Why the video is shorter than the race time.
    assert "penalties are added to the clock, not driven" in page.text_content("#rp-video-note")

    # The HUD sits beside the map, not on it; a tie with the ghost is never "-0.00".
    assert hud_over_map(page) == []
    gaps = page.evaluate(
        "() => { const out = new Set(), n = window.replayPlayer.state.run.n;"
        " for (let i = 0; i < n; i++) { window.replayPlayer.seek(i);"
        "   out.add(document.getElementById('rp-hud-gap').textContent); } return [...out]; }"
    )
    negative_zero = [g for g in gaps if g[0] in "-−" and not any(d in g for d in "123456789")]
    assert not negative_zero and any(g[0] in "-−" for g in gaps), gaps  # ahead of the ghost, just

    # The slider follows playback while it has the focus, and reads out the race clock.
    page.evaluate("() => window.replayPlayer.seek(0)")
    page.focus("#rp-scrub")
    page.keyboard.press("Space")  # play
    page.wait_for_function("() => Number(document.getElementById('rp-stage').dataset.step) >= 10")
    page.keyboard.press("Space")  # pause
    step = stage(page)["step"]
    assert page.evaluate("document.activeElement.id") == "rp-scrub"
    assert page.input_value("#rp-scrub") == str(step)
    assert page.get_attribute("#rp-scrub", "aria-valuetext") == page.text_content("#rp-hud-clock") != "0:00.000"

    # A lap is a button: reached by Tab, Enter jumps to its start, and the slider follows.
    page.focus("#rp-laps-shown")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Jump to lap 1"
    assert page.get_by_role("button", name="Jump to lap 1").is_visible()
    page.keyboard.press("Enter")
    assert stage(page)["step"] == 0
    assert page.input_value("#rp-scrub") == "0"
    assert page.get_attribute("#rp-scrub", "aria-valuetext") == page.text_content("#rp-hud-clock")


def test_replay_splits_and_hud_fit_a_phone(phone_page, live_server, runs):
    mine = open_replay(phone_page, live_server, runs)
    # Fewer columns on a phone (no sectors), none of them cut off.
    fit = splits_cut_off(phone_page)
    assert fit["cut"] == [] and fit["scroll"] <= 1, fit
    assert fit["shown"] == ["Lap", "Time", "Off", "Pen.", "Δ ghost"]
    assert sum(penalty_column(phone_page)[0]) == mine.off_track_count
    assert hud_over_map(phone_page) == []
    overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
