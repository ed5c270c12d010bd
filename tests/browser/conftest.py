"""A real headless Chromium (Debian's, driven by Playwright) for page tests.

Tests get `page`, a fresh browser tab, and use pytest-django's `live_server`. Where no
Chromium is installed the tests skip, except in CI (REQUIRE_BROWSER=1) where that is
a failure: .ci/run installs it.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--autoplay-policy=no-user-gesture-required",
]


def _chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module", autouse=True)
def sync_django_beside_playwright():
    """Playwright's sync API keeps an event loop running in the main thread, beside which
    Django refuses synchronous database calls (the tests' own, and the flush after each)."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if before is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="session")
def browser(django_db_setup):
    """Chromium, started after the test database exists (see above)."""
    path = _chromium_path()
    if path is None:
        message = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def refused_by_policy(tab) -> list[str]:
    """What the page's Content-Security-Policy refused, as Chromium reports it on the
    console, over every page the tab opens: the pages must work under the strict policy."""
    refused: list[str] = []
    tab.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
    return refused


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    tab.set_default_timeout(15000)
    refused = refused_by_policy(tab)
    yield tab
    context.close()
    assert refused == [], refused


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    tab = context.new_page()
    tab.set_default_timeout(15000)
    refused = refused_by_policy(tab)
    yield tab
    context.close()
    assert refused == [], refused


def pytest_collection_modifyitems(session, config, items):
    """Browser tests last: Playwright's sync API keeps an event loop running in the main
    thread from the first browser test to the end of the session, which breaks the
    asyncio (pytest-asyncio, Channels) and synchronous database code of any test after."""
    browser_dir = __file__.rsplit("/", 1)[0] + "/"
    items.sort(key=lambda item: str(item.path).startswith(browser_dir))
