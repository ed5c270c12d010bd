"""Live pages in a real headless Chromium, served by uvicorn (as `make serve` runs it) in a
subprocess, with a real `db_worker` racing the submissions.
No Redis: the worker's messages reach the web process through the database event log.
"""

from __future__ import annotations


import pytest

from simulator.formatting import format_gap, format_race_time
from tests import factories as f
from tests.live_support import WebServer, WsClient, record_result, submit

pytestmark = pytest.mark.django_db(transaction=True)

RACE_TIMEOUT_MS = 90_000  # a generous deadline, not a timing assertion


@pytest.fixture(scope="module")
def web(django_db_setup, tmp_path_factory):
    media = tmp_path_factory.getbasetemp() / "media"  # the same folder as tests/conftest.py
    media.mkdir(exist_ok=True)
    server = WebServer(str(media), kind="uvicorn").start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def session_cookie(user) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def log_in(page, web, user) -> None:
    from django.conf import settings

    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session_cookie(user), "url": web.url}]
    )


RECORDER = """() => {
  window.__live = {messages: [], added: [], loadedAt: performance.timeOrigin};
  document.addEventListener("live:message", (e) => window.__live.messages.push(e.detail));
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) {
      if (n.nodeType === 1 && n.matches("tr[data-racer]")) window.__live.added.push([n.dataset.racer, n.className]);
    }
  }).observe(document.body, {subtree: true, childList: true});
}"""


def open_live(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html[data-live=connected]")
    page.evaluate(RECORDER)
    # The socket's first message (its snapshot) may have come before the recorder: ask
    # for nothing more, the relay delivers everything after the connection anyway.


def board(page) -> list[tuple[str, str, str, str]]:
    return [tuple(row) for row in page.eval_on_selector_all(
        "#leaderboard tbody tr[data-racer]",
        """rows => rows.map(r => [r.querySelector('.rank-badge').textContent.trim(), r.dataset.racer,
                                  r.querySelector('.c-time').textContent.trim(),
                                  r.querySelector('.c-gap').textContent.trim()])""",
    )]


def rendered_rows(page, table: str = "#leaderboard") -> list:
    """Each row's classes, attributes and cells (classes, text, links), the time of day
    of the "When" column left out."""
    return page.eval_on_selector_all(
        f"{table} tbody tr",
        """rows => rows.map(r => ({
             cls: [...r.classList].filter(c => !c.startsWith('live-')).sort().join(' '),
             id: r.id, racer: r.dataset.racer, rank: r.dataset.rank, result: r.dataset.resultId,
             cells: [...r.cells].map(td => [td.className, td.classList.contains('c-when') ? '' : td.textContent.replace(/\\s+/g, ' ').trim(),
                                            [...td.querySelectorAll('a')].map(a => a.getAttribute('href')).join(' ')])
           }))""",
    )


def test_new_result_appears_on_open_leaderboard_without_reload(page, browser, web, start_worker):
    race = f.race(tracks=[f.track("oval-loop")])
    slow = f.racer("Slow Poke")
    record_result(slow, race, 99.0)  # the leader, until the house driver races
    record_result(f.racer("Half Way"), race, 50.0, status="dnf")
    standings = browser.new_page()

    log_in(page, web, slow.user)  # the viewer's own row is marked
    open_live(page, f"{web.url}/races/{race.pk}/")
    assert board(page) == [("1", "Slow Poke", "1:39.000", "—"), ("2", "Half Way", "DNF", "2/3 + 50%")]
    open_live(standings, f"{web.url}/seasons/{race.season.slug}/")
    loaded_at = page.evaluate("window.__live.loadedAt")

    fast = f.racer("Fast Lane")
    submission = submit(fast, race)  # the STATE house driver: finishes in about 20 s
    start_worker()

    page.wait_for_selector('#leaderboard tr[data-racer="Fast Lane"]', timeout=RACE_TIMEOUT_MS)
    rows = board(page)
    assert [(rank, racer) for rank, racer, _, _ in rows] == [
        ("1", "Fast Lane"), ("2", "Slow Poke"), ("3", "Half Way")
    ]  # fmt: skip
    assert page.locator('#leaderboard tr.me[data-racer="Slow Poke"] .you').count() == 1
    assert page.locator("[data-live-my-rank]").text_content().startswith("You are P2")
    result = submission.__class__.objects.get(pk=submission.pk).result
    assert rows[0][2] == format_race_time(result.official_time_s)  # as the server prints it
    assert rows[0][3] == "—" and rows[1][3].startswith("+")  # gaps re-computed
    assert rows[1][3] == format_gap(round(99.0 - result.official_time_s, 3))
    # The row appeared highlighted, and the page was never reloaded.
    added = page.evaluate("window.__live.added")
    assert any(racer == "Fast Lane" and "live-changed" in classes for racer, classes in added), added
    assert page.evaluate("window.__live.loadedAt") == loaded_at
    assert page.locator('#leaderboard tr[data-racer="Fast Lane"] .replay-link').count() == 1

    # The rows drawn by the page's script (clones of the <template> rows) look like the
    # rows the server renders.
    page.wait_for_timeout(3000)  # let the highlight fade (its classes are not compared)
    live_rows = rendered_rows(page)
    page.reload()
    page.wait_for_selector("html[data-live=connected]")
    assert live_rows == rendered_rows(page)

    standings.wait_for_selector('#standings tr[data-racer="Fast Lane"][data-rank="1"]', timeout=RACE_TIMEOUT_MS)
    assert standings.locator('#standings tr[data-racer="Fast Lane"] .points').inner_text() == "25"
    assert standings.locator('#standings tr[data-racer="Slow Poke"]').get_attribute("data-rank") == "2"
    standings.wait_for_timeout(3000)
    live_standings = rendered_rows(standings, "#standings")
    standings.reload()
    standings.wait_for_selector("html[data-live=connected]")
    assert live_standings == rendered_rows(standings, "#standings")
    standings.close()


def test_first_result_fills_an_empty_board(page, web, start_worker):
    race = f.race(tracks=[f.track("oval-loop")])
    open_live(page, f"{web.url}/races/{race.pk}/")
    assert page.locator("#leaderboard").count() == 0
    submit(f.racer("Pole Sitter"), race)
    start_worker()
    page.wait_for_selector('#leaderboard tr[data-racer="Pole Sitter"][data-rank="1"]', timeout=RACE_TIMEOUT_MS)
    assert page.locator(".empty-board").count() == 0


def test_submission_page_and_garage_follow_the_race(page, browser, web, start_worker):
    race = f.race(tracks=[f.track("oval-loop")])
    owner = f.racer("Garage Owner")
    submission = submit(owner, race)
    log_in(page, web, owner.user)
    open_live(page, f"{web.url}/submissions/{submission.pk}/")
    assert page.locator("#submission-status").get_attribute("data-status") == "queued"
    garage = page.context.new_page()
    open_live(garage, f"{web.url}/garage/")

    start_worker()
    page.wait_for_selector("#result-title", timeout=RACE_TIMEOUT_MS)  # the result section
    assert page.locator("#submission-status .badge").text_content().strip() == "Finished"
    kinds = page.evaluate("window.__live.messages.map(m => [m.type, m.status, m.lap || 0])")
    assert ["submission.status", "running", 0] in kinds
    laps = [lap for kind, _, lap in kinds if kind == "submission.progress"]
    assert laps == [1, 2, 3], kinds
    assert kinds[-1][:2] == ["submission.status", "finished"]

    row = f'#submissions-table tr[data-submission-id="{submission.pk}"]'
    garage.wait_for_selector(f'{row}[data-status="finished"]', timeout=RACE_TIMEOUT_MS)
    assert garage.locator(f"{row} .badge").text_content().strip() == "Finished"
    time_text = garage.locator(f'{row} td[data-label="Result"]').inner_text().strip()
    assert time_text and time_text[0].isdigit(), time_text
    garage.close()


def test_another_racer_cannot_follow_a_submission(page, web):
    race = f.race()
    submission = submit(f.racer(), race)
    intruder = f.racer()
    log_in(page, web, intruder.user)
    page.goto(f"{web.url}/races/{race.pk}/")
    code = page.evaluate(
        """id => new Promise((resolve) => {
             const ws = new WebSocket(`ws://${location.host}/ws/submissions/${id}/`);
             ws.onclose = (e) => resolve(e.code);
           })""",
        submission.pk,
    )
    assert code == 4404


def test_worker_result_reaches_a_socket_without_redis(web, start_worker):
    """The embedded default without a browser: runserver + db_worker, no Redis."""
    race = f.race(tracks=[f.track("oval-loop")])
    client = WsClient(f"ws://127.0.0.1:{web.port}/ws/races/{race.pk}/")
    try:
        assert client.receive_json()["type"] == "leaderboard.snapshot"
        submit(f.racer("Socket Only"), race)
        start_worker()
        update = client.receive_until(
            lambda m: m["type"] == "leaderboard.update" and m["count"] == 1, timeout_s=90
        )
        assert update["rows"][0]["racer"] == "Socket Only" and update["rows"][0]["rank"] == 1
        assert update["changed"][0]["racer"] == "Socket Only"
    finally:
        client.close()
