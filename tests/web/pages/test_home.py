"""The home page: what this is, how to enter, the open season's races with their
podiums, and your latest submissions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from league.models import Season
from tests import factories as F

from .conftest import failed_submission, run_result

pytestmark = pytest.mark.django_db


def test_newcomer_sees_what_this_is_and_how_to_enter(client, race):
    html = client.get(reverse("home")).content.decode()

    assert "Your self-driving model." in html and "Our race track." in html
    assert "How to enter" in html
    for step in ("Sign up", "Train at home", "Upload", "Race"):
        assert f"<b>{step}</b>" in html
    assert reverse("signup") in html and "Sign up and race" in html
    assert "Your latest submissions" not in html


def test_open_season_races_with_their_podium(client):
    season = F.season(tracks=[F.track("oval-loop"), F.track("paperclip")], slug="spring")
    oval, clip = season.races.order_by("order")
    drivers = [F.racer(a) for a in ("Gold Gary", "Silver Sue", "Bronze Bo", "Fourth Fay")]
    for i, driver in enumerate(drivers):
        run_result(driver, oval, lap_times=[20.0 + i, 20.0, 20.0])

    html = client.get(reverse("home")).content.decode()

    assert season.name in html and "season open" in html
    assert oval.track.name in html and clip.track.name in html
    assert reverse("race", args=[oval.pk]) in html and reverse("race", args=[clip.pk]) in html
    podium = html[html.index('aria-label="Top three"') :]
    podium = podium[: podium.index("</ol>")]
    assert [a in podium for a in ("Gold Gary", "Silver Sue", "Bronze Bo", "Fourth Fay")] == [True, True, True, False]
    assert "1:00.000" in podium and "1:01.000" in podium
    assert 'podium-item gold' in podium and 'podium-item bronze' in podium
    assert "No results yet" in html  # the paperclip race
    # The championship table (season points).
    assert 'id="home-standings"' in html and ">25<" in html


def test_without_any_season(client, db):
    html = client.get(reverse("home")).content.decode()
    assert "No season is running yet" in html
    assert "How to enter" in html


def test_closed_season_is_shown_when_none_is_open(client, db):
    season = F.season("closed", slug="old")
    Season.objects.filter(pk=season.pk).update(closed_at=season.created_at)

    html = client.get(reverse("home")).content.decode()

    assert season.name in html and "season closed" in html and "Closed" in html


def test_logged_in_racer_sees_their_latest_submissions(client, race, me, other):
    run_result(me, race, lap_times=[21.0, 21.0, 21.5])
    failed = failed_submission(me, race, "The policy output NaN at step 3.")
    run_result(other, race)

    html = client.get(reverse("home")).content.decode()

    assert "Your latest submissions" in html
    mine = html[html.index("Your latest submissions") : html.index('id="races-title"')]
    assert "1:03.500" in mine and "badge-finished" in mine and "badge-failed" in mine
    assert f'data-submission-id="{failed.pk}"' in mine
    assert reverse("submission", args=[failed.pk]) in mine
    assert "Open your garage" in html


def test_home_queries_are_bounded(client, django_assert_max_num_queries):
    season = F.season(tracks=[F.track(s) for s in ("oval-loop", "paperclip", "grand-prix")])
    for race in season.races.all():
        for i in range(4):
            run_result(F.racer(), race, lap_times=[20.0 + i] * 3)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("home")).status_code == 200
