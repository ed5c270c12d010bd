"""A race night chosen on the new-race form: it is made live with its countdown, speed
control and self-start; a head-to-head race refuses it and nothing is created; the
manage page leads to the control desk."""

from __future__ import annotations

from datetime import datetime, timezone as dt_timezone

import pytest
from django.urls import reverse

from league.models import Race
from nights.models import LiveRace
from nights.selectors import live_race_get
from tests import factories as F

from .conftest import community_race
from .test_organise import form_data

pytestmark = pytest.mark.django_db


def test_the_new_race_form_offers_a_race_night(client, fran):
    F.track("oval-loop")
    client.force_login(fran.user)
    html = client.get(reverse("organise-new")).content.decode()
    assert 'name="mode" value="classic"' in html and 'checked' in html.split('name="mode" value="classic"')[1][:40]
    for name in ("countdown_s", "speed_control", "self_start"):
        assert f'name="{name}"' in html, name
    assert 'name="countdown_s" value="10"' in html


def test_a_race_night_is_made_with_the_race(client, fran):
    client.force_login(fran.user)
    response = client.post(reverse("organise-new"), form_data(
        F.track(), name="Thursday Night", mode="live", countdown_s="5", speed_control="on", self_start="on",
        opens_at="2030-03-05T19:00", time_zone="Europe/London",
    ))  # fmt: skip

    race = Race.objects.get(name="Thursday Night")
    assert response.status_code == 302 and response["Location"] == reverse("organise-race", args=[race.pk])
    live = live_race_get(race)
    assert live is not None and live.state == LiveRace.State.WAITING
    assert (live.countdown_s, live.speed_control, live.self_start) == (5, True, True)
    assert live.starts_at == race.opens_at == datetime(2030, 3, 5, 19, 0, tzinfo=dt_timezone.utc)
    page = client.get(response["Location"]).content.decode()
    assert "Run the night from its control desk" in page
    assert reverse("organise-race-control", args=[race.pk]) in page and ">Control desk<" in page


def test_open_entries_make_no_race_night(client, fran):
    client.force_login(fran.user)
    client.post(reverse("organise-new"), form_data(F.track(), name="Classic", mode="classic", countdown_s="5"))
    race = Race.objects.get(name="Classic")
    assert live_race_get(race) is None and not LiveRace.objects.filter(race=race).exists()
    page = client.get(reverse("organise-race", args=[race.pk])).content.decode()
    assert "Make it a race night" in page


def test_a_night_that_does_not_fit_says_why_and_creates_nothing(client, fran):
    client.force_login(fran.user)
    ladder_night = client.post(reverse("organise-new"), form_data(
        F.track(), name="Duel Night", format="head_to_head", mode="live"))  # fmt: skip
    assert ladder_night.status_code == 400
    assert "raced on its ladder" in ladder_night.content.decode()
    long_countdown = client.post(reverse("organise-new"), form_data(
        F.track(), name="Slow Night", mode="live", countdown_s="600"))  # fmt: skip
    assert long_countdown.status_code == 400 and "countdown" in long_countdown.content.decode().lower()
    assert not Race.objects.filter(name__in=["Duel Night", "Slow Night"]).exists()
    assert not LiveRace.objects.exists()


def test_a_head_to_head_race_has_no_race_night_card(client, fran):
    race = community_race(fran, format="head_to_head")
    client.force_login(fran.user)
    page = client.get(reverse("organise-race", args=[race.pk])).content.decode()
    assert "Make it a race night" not in page and 'name="mode"' not in page


def test_the_console_lists_each_race_s_format_ladder_and_night(client, fran):
    from ladder.settings import ladder_settings_set
    from nights.control import live_settings_set

    duel = community_race(fran, name="Duel Cup", format="head_to_head")
    ladder_settings_set(duel, duel_start="staggered", matches_per_hour=12, finals_size=4, creating=True)
    live_settings_set(community_race(fran, name="Night Trial"), mode=LiveRace.Mode.LIVE)
    community_race(fran, name="Plain Trial")
    client.force_login(fran.user)

    html = client.get(reverse("organise")).content.decode()
    rows = {name: html.split(name, 1)[1].split("</li>", 1)[0] for name in ("Duel Cup", "Night Trial", "Plain Trial")}
    assert "Head-to-head" in rows["Duel Cup"] and "staggered grid · 12 matches an hour · top 4 finals" in rows["Duel Cup"]
    assert "Race night" in rows["Night Trial"] and "Race night" not in rows["Plain Trial"]
    assert "console-race-format" not in rows["Plain Trial"]
