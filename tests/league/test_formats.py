"""Race formats in the league: a race's format and its settings chosen at creation (the
community service, open_season, the admin), checked with errors that name the fix,
fitted to the track, frozen once the race opens, and handed to the simulator as it takes
them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from league import community, rules
from league.models import Race, Season
from racing.failures import reproduce_command
from racing.runner import format_arguments
from simulator.formats import FixedObject, RaceFormat
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def errors_of(**settings) -> dict:
    with pytest.raises(ValidationError) as caught:
        f.community_race(**settings)
    return caught.value.message_dict


# --- Creating -----------------------------------------------------------------------------


def test_a_race_is_a_time_trial_unless_it_says_otherwise():
    race = f.community_race()
    assert race.format == "time_trial"
    assert race.off_track_penalty_s == 3.0
    assert rules.race_format(race) == RaceFormat()
    assert format_arguments(rules.race_format(race)) == []


def test_object_avoidance_draws_a_seed_once_and_takes_five_seconds_off_track():
    races = [f.community_race(format="object_avoidance") for _ in range(2)]
    for race in races:
        race.refresh_from_db()
        assert race.object_count == 6 and race.placement == "random"
        assert race.off_track_penalty_s == 5.0 and race.collision_penalty_s == 5.0
        assert rules.SEED_RANGE[0] <= race.seed <= rules.SEED_RANGE[1]
    # Drawn at random: two races almost surely differ (one in two billion they don't).
    assert races[0].seed != races[1].seed
    seed = races[0].seed
    community.community_race_update(races[0], name="Renamed", seed=None)  # no seed given: kept
    races[0].refresh_from_db()
    assert races[0].seed == seed


def test_an_organiser_sets_every_setting_and_the_simulator_gets_them():
    race = f.community_race(format="head_to_bot", bots=4, bot_speed_m_s=1.25, bot_lane_change=True,
                            collision_penalty_s=2.5, seed=77, off_track_penalty_s=1.0)
    assert rules.race_format(race) == RaceFormat(race_type="head_to_bot", bots=4, bot_speed_m_s=1.25,
                                                 bot_lane_change=True, collision_penalty_s=2.5, seed=77)
    assert race.off_track_penalty_s == 1.0  # given: the format's default does not apply
    command = reproduce_command(race)
    assert ("--race-type head_to_bot --bots 4 --bot-speed 1.25 --bot-lane-change --collision-penalty 2.5 --seed 77"
            in command)


def test_fixed_positions_are_stored_one_way_from_text_or_json():
    from_text = f.community_race(format="object_avoidance", placement="fixed", object_count=2,
                                 fixed_positions="inside:20, outside:45.5", seed=3)
    from_json = f.community_race(format="object_avoidance", placement="fixed", object_count=2, seed=3,
                                 fixed_positions=[{"lane": "inside", "progress_pct": 20},
                                                  {"lane": "outside", "progress_pct": 45.5}])
    expected = [{"lane": "inside", "progress_pct": 20.0}, {"lane": "outside", "progress_pct": 45.5}]
    assert from_text.fixed_positions == from_json.fixed_positions == expected
    fmt = rules.race_format(from_text)
    assert fmt.fixed_objects == (FixedObject("inside", 20.0), FixedObject("outside", 45.5))
    assert format_arguments(fmt)[:7] == [
        "--race-type", "object_avoidance", "--objects", "2", "--placement", "fixed", "--fixed-positions",
    ]
    assert format_arguments(fmt)[7] == "inside:20,outside:45.5"


def test_bad_format_settings_are_refused_field_by_field_with_the_fix():
    errors = errors_of(format="drag_race", object_count=0, bots=9, bot_speed_m_s=9.0, collision_penalty_s=-1,
                       seed=-5, bot_lane_change="yes")
    assert errors["format"] == ["format is one of time_trial, object_avoidance, head_to_bot, head_to_head."]
    assert errors["objects"] == ["objects must be between 1 and 12; got 0."]
    assert errors["bots"] == ["bots must be between 1 and 6; got 9."]
    assert errors["bot_speed"] == ["bot_speed must be between 0.2 and 4 m/s; got 9."]
    assert errors["collision_penalty_s"] == ["collision_penalty_s must be between 0 and 10 s; got -1."]
    assert "leave it out for a random one" in errors["seed"][0]
    assert errors["bot_lane_change"] == ["bot_lane_change is true or false."]
    assert not Race.objects.exists()


def test_fixed_placement_needs_one_good_position_per_box():
    missing = errors_of(format="object_avoidance", placement="fixed", object_count=2)
    assert "inside:20" in missing["fixed_positions"][0]
    counted = errors_of(format="object_avoidance", placement="fixed", object_count=3, fixed_positions="inside:20")
    assert counted["fixed_positions"] == ["Give one position per box: 1 given for 3 boxes (or set objects to 1)."]
    lane = errors_of(format="object_avoidance", placement="fixed", object_count=1, fixed_positions="middle:20")
    assert "lane 'middle' is not one of inside, outside" in lane["fixed_positions"][0]
    far = errors_of(format="object_avoidance", placement="fixed", object_count=1, fixed_positions="inside:100")
    assert "below 100" in far["fixed_positions"][0]


def test_boxes_must_fit_the_track_and_the_simulator_says_where():
    # The start line is kept clear: a box at 0.5 % of a ~22 m lap stands on it.
    errors = errors_of(format="object_avoidance", placement="fixed", object_count=1, fixed_positions="inside:0.5")
    assert "of the start line" in errors["fixed_positions"][0] and "place boxes between" in errors["fixed_positions"][0]
    assert not Race.objects.exists()


# --- Frozen once open ---------------------------------------------------------------------


def test_the_format_can_change_until_the_race_opens_and_not_after():
    soon = timezone.now() + timedelta(days=1)
    race = f.community_race(opens_at=soon, closes_at=soon + timedelta(days=2))
    community.community_race_update(race, format="head_to_bot", bots=2)
    race.refresh_from_db()
    assert (race.format, race.bots) == ("head_to_bot", 2)

    opened = f.community_race(format="object_avoidance", seed=5)
    with pytest.raises(ValidationError) as caught:
        community.community_race_update(opened, format="time_trial", object_count=3, seed=6)
    assert set(caught.value.message_dict) == {"format", "objects", "seed"}
    assert "The race has opened" in caught.value.message_dict["objects"][0]
    opened.refresh_from_db()
    assert (opened.format, opened.object_count, opened.seed) == ("object_avoidance", 6, 5)


# --- League races: open_season and the admin ----------------------------------------------


def test_open_season_creates_races_of_a_format_with_one_seed(capsys):
    f.track("oval-loop")
    call_command("open_season", "boxes-1", "--tracks", "oval-loop", "--format", "object_avoidance",
                 "--objects", "3", "--seed", "11", "--collision-penalty", "4")
    race = Season.objects.get(slug="boxes-1").races.get()
    assert (race.format, race.object_count, race.placement, race.seed) == ("object_avoidance", 3, "random", 11)
    assert race.collision_penalty_s == 4.0 and race.off_track_penalty_s == 5.0


def test_open_season_takes_fixed_positions_and_refuses_bad_settings():
    f.track("oval-loop")
    call_command("open_season", "boxes-2", "--tracks", "oval-loop", "--format", "object_avoidance",
                 "--placement", "fixed", "--fixed-positions", "inside:25,outside:60", "--penalty", "2")
    race = Season.objects.get(slug="boxes-2").races.get()
    assert race.object_count == 2 and race.off_track_penalty_s == 2.0
    assert race.fixed_positions == [{"lane": "inside", "progress_pct": 25.0}, {"lane": "outside", "progress_pct": 60.0}]
    with pytest.raises(CommandError, match=r"--bots: bots must be between 1 and 6"):
        call_command("open_season", "bots-1", "--tracks", "oval-loop", "--format", "head_to_bot", "--bots", "40")
    with pytest.raises(CommandError, match=r"track oval-loop: .*start line"):
        call_command("open_season", "boxes-3", "--tracks", "oval-loop", "--format", "object_avoidance",
                     "--placement", "fixed", "--fixed-positions", "inside:0")
    assert not Season.objects.filter(slug__in=["bots-1", "boxes-3"]).exists()


def test_the_admin_refuses_bad_settings_and_freezes_an_open_races_format(client):
    client.force_login(f.racer(staff=True).user)
    race = f.race()  # its season is open
    from tests.league.test_admin import _race_form

    url = reverse("admin:league_race_change", args=[race.pk])
    response = client.post(url, {**_race_form(race), "allowed_sensors": ["STATE"], "format": "head_to_bot"})
    assert response.status_code == 200
    assert "The race has opened: its format and settings are fixed." in response.content.decode()

    draft = f.race(status="draft")
    url = reverse("admin:league_race_change", args=[draft.pk])
    response = client.post(url, {**_race_form(draft), "allowed_sensors": ["STATE"], "format": "head_to_bot",
                                 "bots": "0"})
    assert response.status_code == 200 and "bots must be between 1 and 6; got 0." in response.content.decode()
    response = client.post(url, {**_race_form(draft), "allowed_sensors": ["STATE"], "format": "head_to_bot",
                                 "bots": "2"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.format, draft.bots) == ("head_to_bot", 2)
