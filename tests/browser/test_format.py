"""The pages' scripts print figures as the server does: web/static/web/js/format.js
against simulator/formatting.py and the template filters, and web/static/web/js/palette.js
against simulator/render.py, run in the browser on the same values."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest

from simulator.formatting import format_gap, format_race_time
from simulator.params import CarParams
from simulator.render import speed_colour
from web.templatetags import league_web

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMES = [
    None, math.nan, math.inf, -math.inf, 0, 0.0, -0.0, 7.3, 67.3421, 3725, 3725.0, 59.9996, 59.9995, 59.9994,
    0.0005, 0.0015, 0.0025, 1.0005, 2.675, 0.518, -0.518, -1.5, -67.3421, -0.0004, 1e-9, 3599.9995, 3599.9996,
    86399.9999, 123.4565, 1e6, "1.5", "abc", "", -0.008, -61.5, "-0.0004",
]  # fmt: skip
FRACTIONS = [None, 0, 0.62, 0.625, 0.125, 0.005, 0.015, 0.335, 0.1225, 0.995, 0.9995, 1, 1.5, -0.25, math.nan, "0.5", "x"]
SPEEDS = [0, 0.5, 1.4, 1.4000001, 2.0, 2.8, 3.3, 3.999, 4.0, 5.0, -1.0, math.nan]

FORMAT = "(args) => import(args.url).then((f) => args.values.map((v) => f[args.name](...[v].concat(args.extra || []))))"


@pytest.fixture
def tab(page, live_server):
    page.goto(live_server.url + "/")
    return page


def run_js(tab, live_server, name, values, extra=None):
    url = f"{live_server.url}/static/web/js/format.js"
    return tab.evaluate(FORMAT, {"url": url, "name": name, "values": values, "extra": extra})


def test_race_times_and_gaps_read_as_in_python(tab, live_server):
    assert run_js(tab, live_server, "formatRaceTime", TIMES) == [format_race_time(v) for v in TIMES]
    assert run_js(tab, live_server, "formatGap", TIMES) == [format_gap(v) for v in TIMES]
    assert run_js(tab, live_server, "formatRaceTime", [None])[0] == "—"  # the one placeholder


def test_percentages_read_as_the_template_filters(tab, live_server):
    assert run_js(tab, live_server, "formatPercent", FRACTIONS) == [league_web.percent(v) for v in FRACTIONS]
    assert run_js(tab, live_server, "percentWidth", FRACTIONS) == [league_web.percent_num(v) for v in FRACTIONS]


def test_relative_times_read_as_the_ago_filter(tab, live_server, monkeypatch):
    now = datetime(2026, 11, 25, 17, 40, 12, tzinfo=dt_timezone.utc)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    ages = [-3600, 0, 44, 45, 89, 90, 150, 3599, 3600, 86399, 86400, 6 * 86400, 7 * 86400, 40 * 86400, 400 * 86400]
    whens = [now - timedelta(seconds=s) for s in ages]
    stamps = [w.isoformat() for w in whens]
    now_ms = now.timestamp() * 1000
    assert run_js(tab, live_server, "formatAgo", stamps, [now_ms]) == [league_web.ago(w) for w in whens]
    from django.template.defaultfilters import date

    assert run_js(tab, live_server, "formatDateTime", stamps) == [date(w, "d M Y H:i") + " UTC" for w in whens]


def test_the_speed_palette_comes_from_python(tab, live_server):
    tab.evaluate("html => document.body.insertAdjacentHTML('beforeend', html)", str(league_web.speed_palette()))
    colours = tab.evaluate(
        "(args) => import(args.url).then((p) => args.speeds.map((v) => p.speedColour(v)))",
        {"url": f"{live_server.url}/static/web/js/palette.js", "speeds": SPEEDS},
    )
    v_max = CarParams().max_speed_m_s
    assert colours == [list(speed_colour(v, v_max)) for v in SPEEDS]
    # The legends' gradient has the same stops.
    gradient = league_web.speed_gradient()
    assert gradient.startswith("linear-gradient(90deg, rgb(64, 120, 255) 0%") and gradient.endswith("rgb(255, 59, 48) 100%)")


COUNTDOWNS = [None, "", "x", math.nan, math.inf, -math.inf, -5, 0, 0.2, 1, 59, 59.5, 60, 61, 599.01, 3599, 3600,
              3661, 86399, 86400, 90061, 9 * 86400 + 7200, True, "125"]  # fmt: skip
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham"]


def test_countdowns_read_as_the_countdown_filter(tab, live_server):
    assert run_js(tab, live_server, "formatCountdown", COUNTDOWNS) == [league_web.countdown_text(v) for v in COUNTDOWNS]


@pytest.mark.parametrize("zone", ZONES)
def test_times_in_a_time_zone_read_as_the_zoned_filter(tab, live_server, zone):
    base = datetime(2026, 3, 29, 0, 30, tzinfo=dt_timezone.utc)  # across a DST change in Europe
    whens = [base + timedelta(minutes=37 * i) for i in range(0, 200, 7)] + [datetime(2026, 12, 31, 23, 59, 59, tzinfo=dt_timezone.utc)]
    stamps = [w.isoformat() for w in whens]
    assert run_js(tab, live_server, "formatZoned", stamps, [zone]) == [league_web.zoned(w, zone) for w in whens]
