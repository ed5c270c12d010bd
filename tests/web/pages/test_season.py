"""Seasons list and season standings (points table with the rank in every race)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests import factories as F

from .conftest import run_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def season():
    return F.season(tracks=[F.track("oval-loop"), F.track("paperclip")], slug="spring-cup")


def test_standings_add_up_points_and_show_each_race(client, season):
    oval, clip = season.races.order_by("order")
    ana, ben, cyd = F.racer("Ana"), F.racer("Ben"), F.racer("Cyd")
    run_result(ana, oval, lap_times=[20.0] * 3)  # P1: 25
    run_result(ben, oval, lap_times=[21.0] * 3)  # P2: 18
    run_result(ben, clip, lap_times=[30.0] * 3)  # P1: 25 -> Ben 43
    run_result(cyd, clip, finished=False, laps_done=1, progress=0.2)  # DNF: 0

    response = client.get(reverse("season", args=[season.slug]))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<table class="table standings" id="standings" data-season="{season.slug}"' in html
    order = re.findall(r'<tr class="[^"]*" data-racer="([^"]+)" data-rank="(\d+)"', html)
    assert order == [("Ben", "1"), ("Ana", "2"), ("Cyd", "3")]
    ben_row = html[html.index('data-racer="Ben"') : html.index("</tr>", html.index('data-racer="Ben"'))]
    assert ">43<" in ben_row and "P1" in ben_row and "P2" in ben_row
    cy_row = html[html.index('data-racer="Cyd"') : html.index("</tr>", html.index('data-racer="Cyd"'))]
    assert "DNF" in cy_row and "not entered" in cy_row
    assert reverse("race", args=[oval.pk]) in html and reverse("race", args=[clip.pk]) in html
    assert "Leader: <b>Ana</b>" in html


def test_empty_standings(client, season):
    html = client.get(reverse("season", args=[season.slug])).content.decode()
    assert "No points yet" in html


def test_unknown_season_is_404(client, db):
    assert client.get(reverse("season", args=["nope"])).status_code == 404


def test_seasons_list(client, season):
    old = F.season("closed", slug="winter")
    html = client.get(reverse("seasons")).content.decode()
    assert season.name in html and old.name in html
    assert reverse("season", args=["winter"]) in html
    assert "Meadow Oval" in html


def test_standings_queries_are_bounded(client, season, django_assert_max_num_queries):
    for race in season.races.all():
        for i in range(6):
            run_result(F.racer(), race, lap_times=[20.0 + i] * 3)
    with django_assert_max_num_queries(6):
        assert client.get(reverse("season", args=[season.slug])).status_code == 200
