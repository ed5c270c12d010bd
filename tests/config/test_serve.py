"""The production stack as `make serve` runs it (uvicorn, DEBUG off, static files collected
and served by WhiteNoise) over plain HTTP on 127.0.0.1: pages link content-hashed,
compressed static files cached for a year, a racer logs in through the form (session and
CSRF cookies work without HTTPS on a loopback-only league), and the probes answer."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests import factories as f
from tests.conftest import ROOT
from tests.live_support import WebServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def production(settings, tmp_path):
    static = tmp_path / "static"
    env = {"STATIC_COLLECTED": "1", "STATIC_ROOT": str(static), "DEBUG": "0"}
    collect = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                             cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)  # fmt: skip
    assert collect.returncode == 0, collect.stderr
    server = WebServer(str(settings.MEDIA_ROOT), kind="uvicorn", **env).start()
    yield server
    server.stop()


def opener():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def get(open_, url: str, **headers):
    try:
        return open_.open(urllib.request.Request(url, headers=headers), timeout=30)
    except urllib.error.HTTPError as exc:
        return exc


def test_the_production_stack_serves_the_league_over_plain_http(production):
    open_, jar = opener()
    home = get(open_, production.url + "/")
    assert home.status == 200
    page = home.read().decode()
    assert "Traceback" not in page
    # Static files under content-hashed names, served by the web process itself.
    css = re.search(r'href="(/static/web/css/league\.[0-9a-f]{12}\.css)"', page)
    js = re.search(r'src="(/static/web/js/[\w/]+\.[0-9a-f]{12}\.js)"', page)
    assert css and js, page[:2000]
    resp = get(open_, production.url + css.group(1), **{"Accept-Encoding": "gzip"})
    assert resp.status == 200 and resp.headers["Content-Encoding"] == "gzip"
    assert "immutable" in resp.headers["Cache-Control"] and "max-age=315360000" in resp.headers["Cache-Control"]
    module = get(open_, production.url + js.group(1)).read().decode()
    imports = re.findall(r'from "([^"]+)"', module)
    assert all(re.search(r"\.[0-9a-f]{12}\.js$", name) for name in imports), imports  # hashed too
    missing = get(open_, production.url + "/static/web/css/nothing.css")
    assert missing.status == 404 and "Traceback" not in missing.read().decode()  # no debug page

    # Log in through the form: the CSRF and session cookies travel over plain HTTP here.
    racer = f.racer(username="plainhttp")
    login = get(open_, production.url + "/accounts/login/")
    assert login.status == 200
    cookies = {c.name: c for c in jar}
    assert not cookies["csrftoken"].secure
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.read().decode()).group(1)
    body = urllib.parse.urlencode({"username": "plainhttp", "password": f.PASSWORD,
                                   "csrfmiddlewaretoken": token}).encode()  # fmt: skip
    request = urllib.request.Request(production.url + "/accounts/login/", data=body,
                                     headers={"Referer": production.url + "/accounts/login/"})  # fmt: skip
    after = open_.open(request, timeout=30)
    assert after.status == 200 and "sessionid" in {c.name for c in jar}
    assert racer.alias in after.read().decode()

    assert get(open_, production.url + "/healthz").status == 200
    assert get(open_, production.url + "/readyz").status == 503  # no workers in this test
    assert get(open_, production.url + "/metrics").status == 200  # from loopback
    assert get(open_, production.url + "/", Host="league.example").status == 400  # not our name
    assert "ALLOWED_HOSTS" in production.output()  # and the organiser is told why
