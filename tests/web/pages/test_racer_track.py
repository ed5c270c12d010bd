"""Racer profiles (public; your API token only for you) and track pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests import factories as F

from .conftest import run_result

pytestmark = pytest.mark.django_db


def test_profile_shows_seasons_and_best_results(client, race, racer, other):
    run_result(racer, race, lap_times=[20.0, 20.5, 21.0])
    run_result(other, race, lap_times=[22.0, 22.0, 22.0])

    response = client.get(reverse("racer", args=["Apex Hunter"]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Apex Hunter" in html
    assert "Best results" in html and "P1" in html and "1:01.500" in html
    assert race.season.name in html and reverse("season", args=[race.season.slug]) in html
    assert "API token" not in html  # not logged in


def test_alias_lookup_ignores_case_and_unknown_is_404(client, racer):
    assert client.get(reverse("racer", args=["apex hunter"])).status_code == 200
    assert client.get(reverse("racer", args=["Nobody Here"])).status_code == 404


def test_your_own_profile_shows_your_api_token_with_a_copy_button(client, me):
    html = client.get(reverse("racer", args=[me.alias])).content.decode()

    token = Token.objects.get(user=me.user)
    assert "Your API token" in html
    assert f'value="{token.key}"' in html
    assert 'data-copy="#token-value"' in html


def test_someone_elses_profile_never_shows_a_token(client, me, other):
    html = client.get(reverse("racer", args=[other.alias])).content.decode()
    assert "Your API token" not in html
    assert not Token.objects.filter(user=other.user).exists()


def test_making_a_new_token(client, me):
    old = Token.objects.create(user=me.user).key

    response = client.post(reverse("token-rotate"))

    new = Token.objects.get(user=me.user).key
    assert new != old
    assert response.status_code == 302 and response["Location"].endswith("#api-token")
    assert client.get(reverse("token-rotate")).status_code == 405


def test_token_rotation_needs_a_login(client, db):
    response = client.post(reverse("token-rotate"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_track_page(client, race, racer):
    run_result(racer, race)
    track = race.track

    html = client.get(reverse("track", args=[track.slug])).content.decode()

    assert track.name in html and track.description[:40] in html
    assert f"{track.length_m:.2f} m" in html
    assert f"{track.min_width_m:.2f}" in html
    assert str(track.waypoints) in html
    assert reverse("race", args=[race.pk]) in html
    assert "Apex Hunter" in html and "1:00.000" in html  # the race's leader
    assert '<img class="track-map track-map-lg"' in html


def test_track_list_and_unknown_track(client, db):
    F.track("oval-loop")
    F.track("paperclip")
    html = client.get(reverse("tracks")).content.decode()
    assert "Meadow Oval" in html and "Paperclip Pass" in html
    assert client.get(reverse("track", args=["nowhere"])).status_code == 404
