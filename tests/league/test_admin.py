"""Organisers in the Django admin: a race's sensors as checkboxes, and opening a season
that would close the running one asks first."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from league.models import Season
from simulator.params import SENSORS
from tests import factories as F

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/league/season/"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_client(client):
    client.force_login(F.racer(staff=True).user)
    return client


def _race_form(race) -> dict:
    """The race's change form as the admin posts it, sensors left out."""
    return {
        "season": race.season_id or "", "track": race.track_id, "name": race.name, "description": "",
        "order": race.order, "direction": race.direction, "laps": race.laps,
        "timing_method": race.timing_method, "off_track_penalty_s": race.off_track_penalty_s,
        "off_track_limit": race.off_track_limit, "time_cap_s": race.time_cap_s,
        "time_zone": race.time_zone, "daily_quota": race.daily_quota, "total_quota": race.total_quota,
        "visibility": race.visibility, "replay_visibility": race.replay_visibility,
        "invite_token": race.invite_token, "created_at_0": "2026-01-01", "created_at_1": "00:00:00",
        "format": race.format, "object_count": race.object_count, "placement": race.placement,
        "fixed_positions": json.dumps(race.fixed_positions), "bots": race.bots, "bot_speed_m_s": race.bot_speed_m_s,
        "collision_penalty_s": race.collision_penalty_s, "seed": race.seed,
        **({"bot_lane_change": "on"} if race.bot_lane_change else {}),
    }  # fmt: skip


# --- Sensors ------------------------------------------------------------------------------


def test_race_form_shows_one_checkbox_per_simulator_sensor(admin_client):
    race = F.race(allowed_sensors=["LIDAR", "STATE"])

    html = admin_client.get(reverse("admin:league_race_change", args=[race.pk])).content.decode()

    boxes = re.findall(r'<input type="checkbox" name="allowed_sensors" value="([A-Z_]+)"[^>]*>', html)
    assert boxes == list(SENSORS)
    ticked = re.findall(r'<input type="checkbox" name="allowed_sensors" value="([A-Z_]+)"[^>]*checked', html)
    assert ticked == ["LIDAR", "STATE"]
    assert '<textarea name="allowed_sensors"' not in html  # no raw JSON


def test_ticked_sensors_are_stored_in_the_simulators_order(admin_client):
    race = F.race()
    data = {**_race_form(race), "allowed_sensors": ["STATE", "FRONT_FACING_CAMERA"]}

    response = admin_client.post(reverse("admin:league_race_change", args=[race.pk]), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    race.refresh_from_db()
    assert race.allowed_sensors == ["FRONT_FACING_CAMERA", "STATE"]


@pytest.mark.parametrize(
    "sensors, message",
    [([], "Tick at least one sensor: a race without one takes no model."),
     (["SONAR"], "Select a valid choice. SONAR is not one of the available choices.")],
)  # fmt: skip
def test_no_sensor_or_an_unknown_one_is_refused_with_the_fix(admin_client, sensors, message):
    race = F.race(allowed_sensors=["STATE"])
    data = {**_race_form(race), "allowed_sensors": sensors}

    response = admin_client.post(reverse("admin:league_race_change", args=[race.pk]), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    race.refresh_from_db()
    assert race.allowed_sensors == ["STATE"]


def test_season_page_edits_its_races_sensors_as_checkboxes(admin_client):
    season = F.season("draft", tracks=[F.track("oval-loop")])

    html = admin_client.get(reverse("admin:league_season_change", args=[season.pk])).content.decode()

    for sensor in SENSORS:
        assert re.search(rf'<input type="checkbox" name="races-0-allowed_sensors" value="{sensor}"', html), sensor


# --- Opening a season ---------------------------------------------------------------------


def test_opening_a_season_while_another_runs_asks_first(admin_client):
    running = F.season("open", slug="spring")
    draft = F.season("draft", slug="summer")

    response = admin_client.post(CHANGELIST, {"action": "open_season", "_selected_action": [draft.pk]})

    assert response.status_code == 200
    html = response.content.decode()
    assert f"Opening <strong>{draft.name}</strong> closes <strong>{running.name}</strong>" in html
    assert "boards and standings freeze" in html and "cannot be opened again" in html
    assert 'name="confirm" value="yes"' in html and f'name="_selected_action" value="{draft.pk}"' in html
    assert f'href="{CHANGELIST}"' in html  # the way back
    running.refresh_from_db()
    draft.refresh_from_db()
    assert (running.status, draft.status) == ("open", "draft")  # nothing changed yet


def test_confirming_opens_the_season_and_closes_the_running_one(admin_client):
    running = F.season("open", slug="spring")
    draft = F.season("draft", slug="summer")

    response = admin_client.post(
        CHANGELIST, {"action": "open_season", "_selected_action": [draft.pk], "confirm": "yes"}, follow=True
    )

    assert response.status_code == 200
    assert f"{draft.name} is open; {running.name} is closed, its boards frozen." in response.content.decode()
    running.refresh_from_db()
    draft.refresh_from_db()
    assert (running.status, draft.status) == ("closed", "open")


def test_with_no_season_running_it_opens_at_once(admin_client):
    draft = F.season("draft")

    response = admin_client.post(CHANGELIST, {"action": "open_season", "_selected_action": [draft.pk]}, follow=True)

    assert f"{draft.name} is open." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Season.Status.OPEN


def test_a_closed_season_is_not_offered_for_confirmation(admin_client):
    F.season("open")
    closed = F.season("closed")

    response = admin_client.post(CHANGELIST, {"action": "open_season", "_selected_action": [closed.pk]}, follow=True)

    html = response.content.decode()
    assert 'name="confirm"' not in html and "only a draft season can be opened" in html
    closed.refresh_from_db()
    assert closed.status == Season.Status.CLOSED
