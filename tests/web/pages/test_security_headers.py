"""Every page carries a strict Content-Security-Policy and has nothing inline it would
refuse; the API's documentation pages relax only what Swagger UI and Redoc need; HSTS
on HTTPS answers only (the settings by environment: tests/config/test_settings.py)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from .conftest import run_result

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, set[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: set(d.split()[1:]) for d in header.split(";") if d.strip()}


def inline_problems(html: str) -> list[str]:
    """What a strict policy refuses in markup: style attributes, <style> elements, inline
    scripts (a JSON data block is not run, so it is allowed), inline event handlers."""
    problems = re.findall(r"<[^>]*\sstyle=\"[^>]*>", html)
    problems += re.findall(r"<style[\s>]", html)
    problems += re.findall(r"<[^>]*\son[a-z]+=\"[^>]*>", html)
    for attrs in re.findall(r"<script([^>]*)>", html):
        if "src=" not in attrs and 'type="application/json"' not in attrs:
            problems.append(f"<script{attrs}>")
    return problems


def test_pages_carry_a_strict_policy_and_nothing_inline(client, me, race, other):
    run_result(me, race, lap_times=[20.0, 21.5, 19.8])
    result = run_result(other, race, finished=False, laps_done=1, progress=0.4)
    submission = me.submissions.first()
    pages = [
        reverse("home"), reverse("race", args=[race.pk]), reverse("garage"),
        reverse("submission", args=[submission.pk]), reverse("result-replay", args=[result.pk]),
        reverse("racer", args=[me.alias]), reverse("tracks"), reverse("seasons"),
    ]  # fmt: skip
    for url in [*pages, "logout", reverse("signup"), reverse("login")]:
        if url == "logout":
            client.logout()
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        directives = policy(response)
        assert directives["default-src"] == directives["script-src"] == directives["style-src"] == {"'self'"}, url
        assert directives["frame-ancestors"] == {"'none'"} and directives["base-uri"] == {"'self'"}
        assert directives["form-action"] == {"'self'"} and directives["object-src"] == {"'none'"}
        assert directives["connect-src"] >= {"'self'"} and "'unsafe-eval'" not in response["Content-Security-Policy"]
        assert inline_problems(response.content.decode()) == [], url
    # The bars keep their widths, set from a data attribute by site.js.
    html = client.get(reverse("race", args=[race.pk])).content.decode()
    assert 'class="progress-bar" data-width-pct="40' in html


def test_the_api_docs_relax_only_styles_and_workers(client):
    for url in ("/api/docs/", "/api/docs/redoc/"):
        directives = policy(client.get(url))
        assert directives["script-src"] == {"'self'"}, url
        assert directives["style-src"] == {"'self'", "'unsafe-inline'"}, url
        assert directives["worker-src"] == {"'self'", "blob:"}, url
    assert "unsafe-inline" not in client.get("/api/schema/")["Content-Security-Policy"]


def test_hsts_is_sent_over_https_only(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    assert "Strict-Transport-Security" not in client.get("/")
    assert client.get("/", secure=True)["Strict-Transport-Security"] == "max-age=31536000"
