"""The API's Swagger UI and Redoc pages work in a real Chromium under their
Content-Security-Policy (the `page` fixture fails on anything the policy refuses)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import refused_by_policy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_lists_the_operations(page, live_server):
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/models/" in p for p in paths) and any("/api/auth/token/" in p for p in paths)


def test_redoc_renders_the_schema(browser, live_server):
    context = browser.new_context()
    tab = context.new_page()
    refused = refused_by_policy(tab)
    try:
        tab.goto(f"{live_server.url}/api/docs/redoc/")
        tab.wait_for_selector("h1:has-text('Racing league API')")
        assert tab.locator("text=/api/auth/token/").count() > 0
    finally:
        context.close()
    # Redoc's "API docs by Redocly" logo comes from its CDN: refused, as everything from the
    # internet is (Redoc then hides it). Nothing else.
    assert all("https://cdn.redoc.ly/redoc/logo-mini.svg" in r for r in refused), refused
