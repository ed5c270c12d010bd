"""The home page's hero shows real figures: the latest finished runs (real times, on races
the viewer may see) and, once a season has closed, its champion. Never made-up times."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from league.community import race_close_now, race_join
from league.services import season_open
from tests import factories as F

from .conftest import run_result

pytestmark = pytest.mark.django_db


def _hero(html: str) -> str:
    return html[html.index('class="hero"') : html.index("</section>", html.index('class="hero-art"'))]


def test_the_hero_picture_carries_no_made_up_figures():
    svg = Path(finders.find("web/icons/hero-track.svg")).read_text()
    assert "<text" not in svg


def test_without_results_the_hero_shows_no_figures(client, race):
    hero = _hero(client.get(reverse("home")).content.decode())
    assert "Latest results" not in hero and "champion" not in hero
    assert not re.search(r"\d:\d\d\.\d{3}", hero)


def test_the_latest_finished_runs_with_their_real_times(client, race, racer, other):
    third = F.racer("Third Gear")
    run_result(racer, race, lap_times=[20.0, 20.5, 21.0])  # 1:01.500
    run_result(other, race, finished=False, laps_done=1, progress=0.4)  # a DNF: not news
    run_result(other, race, lap_times=[19.0, 19.0, 19.25])  # 57.250
    run_result(third, race, lap_times=[22.0, 22.0, 22.0])  # 1:06.000
    run_result(racer, race, lap_times=[19.5, 19.5, 19.5])  # 58.500

    hero = _hero(client.get(reverse("home")).content.decode())

    rows = re.findall(r'<span class="hero-who">([^<]+)</span>\s*<span class="hero-time mono">([^<]+)</span>', hero)
    assert rows == [("Apex Hunter", "58.500"), ("Third Gear", "1:06.000"), ("Slipstream", "57.250")]
    assert f'href="{reverse("race", args=[race.pk])}"' in hero and race.track.name in hero


@pytest.mark.parametrize("visibility", ["private", "unlisted"])
def test_runs_of_races_not_listed_stay_off_strangers_home(client, racer, visibility):
    hidden = F.community_race(visibility=visibility)
    race_join(racer=racer, invite=hidden.invite_token)
    run_result(racer, hidden, lap_times=[30.0, 30.0, 30.0])

    assert "Latest results" not in _hero(client.get(reverse("home")).content.decode())
    client.force_login(racer.user)  # their own race is listed to them
    assert "1:30.000" in _hero(client.get(reverse("home")).content.decode())


def test_runs_of_a_closed_community_race_are_not_news(client, racer):
    race = F.community_race()
    run_result(racer, race, lap_times=[30.0, 30.0, 30.0])
    race_close_now(race)
    assert "Latest results" not in _hero(client.get(reverse("home")).content.decode())


def test_a_new_season_opens_with_the_last_champion_on_show(client, racer, other):
    old = F.season(slug="spring", tracks=[F.track("oval-loop")])
    race = old.races.get()
    run_result(other, race, lap_times=[25.0, 25.0, 25.0])
    run_result(racer, race, lap_times=[20.0, 20.0, 20.0])
    new = F.season("draft", slug="summer", tracks=[F.track("paperclip")])
    assert "champion" not in _hero(client.get(reverse("home")).content.decode())  # spring runs

    season_open(new)  # spring closes

    hero = _hero(client.get(reverse("home")).content.decode())
    champion = hero[hero.index("data-hero-champion") : hero.index("</a>", hero.index("data-hero-champion"))]
    assert f"{old.name} champion" in champion and "Apex Hunter" in champion and "Slipstream" not in champion
    assert "25 pts · 1 win" in champion
    assert f'href="{reverse("racer", args=["Apex Hunter"])}"' in hero

