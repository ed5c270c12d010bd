"""The submission page follows the live stream to the very end, in a real Chromium against
uvicorn and a real `db_worker` (races and videos): the "queued" notice and banner go when the
run starts, the result figures come in when it lands, the video player when the video is
rendered, and a failed run's explanation when it fails. Never a reload."""

from __future__ import annotations

import pytest

from tests import factories as F
from tests.browser.test_live import RACE_TIMEOUT_MS, fast_passwords, log_in, open_live, web  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

VIDEO_TIMEOUT_MS = 240_000  # a generous deadline for the render, not a timing assertion


def enter(page, web, race, model) -> None:
    """The race page's form, as a racer enters: it lands on the submission's page."""
    page.goto(f"{web.url}/races/{race.pk}/")
    page.select_option("#id_model", str(model.pk))
    page.get_by_role("button", name="Submit to this race").click()
    page.wait_for_url("**/submissions/*/")
    page.wait_for_selector("html[data-live=connected]")
    page.evaluate("window.__loadedAt = performance.timeOrigin")


def test_the_page_follows_the_run_and_its_video(page, web, start_worker):
    race = F.race(tracks=[F.track("oval-loop")])
    racer = F.racer("Video Watcher")
    model = F.policy_model(racer, name="house-state")
    log_in(page, web, racer.user)
    enter(page, web, race, model)
    assert page.locator(".messages").inner_text().find("is queued") >= 0
    assert page.locator("#submission-status").get_attribute("data-status") == "queued"
    loaded_at = page.evaluate("window.__loadedAt")

    start_worker()
    page.wait_for_selector("#result-title", timeout=RACE_TIMEOUT_MS)
    assert page.locator("#submission-status .badge").inner_text().strip().lower() == "finished"
    assert page.locator(".messages").count() == 0  # the "queued" notice went with the queue
    assert "Waiting for a free worker" not in page.locator("main").inner_text()

    page.wait_for_selector("video.result-video", timeout=VIDEO_TIMEOUT_MS)
    assert "Video rendering" not in page.locator("main").inner_text()
    assert page.get_by_role("link", name="Download video (MP4)").is_visible()
    assert page.evaluate("window.__loadedAt") == loaded_at  # never reloaded


def test_a_failure_is_explained_as_it_lands(page, web, start_worker):
    race = F.race(tracks=[F.track("oval-loop")])
    racer = F.racer("Nan Again")
    model = F.policy_model(racer, name="nan-at-60", onnx_bytes=F.nan_mid_lap_onnx(0.6))
    log_in(page, web, racer.user)
    enter(page, web, race, model)

    start_worker()
    page.wait_for_selector("#failure-title", timeout=RACE_TIMEOUT_MS)
    assert page.locator("#submission-status").get_attribute("data-status") == "failed"
    assert page.locator("[data-role=failure-lap]").inner_text() == "1/3"
    assert page.locator("[data-role=failure-point]").count() == 1
    assert page.get_by_role("link", name="Replay up to the failure").is_visible()
    assert page.locator(".messages").count() == 0
