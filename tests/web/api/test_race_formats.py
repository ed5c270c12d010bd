"""The race format in the races API: chosen with POST /api/races/ (or PATCH before the
race opens), answered in every race, refused with a 400 that names the field and the fix,
documented in the OpenAPI schema; collisions in the board's rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from league.models import Race
from racing.models import RaceStanding
from tests import factories as f
from tests.live_support import record_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def fran():
    return f.facilitator("Fran Facilitator")


def create(client, **settings):
    return client.post("/api/races/", {"name": "Box Night", "track": "oval-loop", **settings}, format="json")


def test_a_race_answers_its_format_and_settings(as_, fran):
    f.track()
    resp = create(as_(fran), format="object_avoidance", objects=2, placement="fixed",
                  fixed_positions=[{"lane": "inside", "progress_pct": 30}, {"lane": "outside", "progress_pct": 70}],
                  collision_penalty_s=2, seed=42)
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert {k: body[k] for k in ("format", "objects", "placement", "fixed_positions", "collision_penalty_s", "seed",
                                 "off_track_penalty_s")} == {
        "format": "object_avoidance", "objects": 2, "placement": "fixed",
        "fixed_positions": [{"lane": "inside", "progress_pct": 30.0}, {"lane": "outside", "progress_pct": 70.0}],
        "collision_penalty_s": 2.0, "seed": 42, "off_track_penalty_s": 5.0,
    }  # fmt: skip
    # Every race says its format, a time trial too.
    plain = create(as_(fran), name="Laps").json()
    assert plain["format"] == "time_trial" and plain["off_track_penalty_s"] == 3.0
    assert isinstance(plain["seed"], int)


def test_head_to_bot_takes_the_apis_names(as_, fran):
    f.track()
    body = create(as_(fran), format="head_to_bot", bots=5, bot_speed=1.5, bot_lane_change=True).json()
    race = Race.objects.get(pk=body["id"])
    assert (race.bots, race.bot_speed_m_s, race.bot_lane_change) == (5, 1.5, True)
    assert (body["bots"], body["bot_speed"], body["bot_lane_change"]) == (5, 1.5, True)


def test_bad_settings_are_a_400_naming_each_field(as_, fran):
    f.track()
    resp = create(as_(fran), format="object_avoidance", objects=40, placement="scattered", seed="seven")
    assert resp.status_code == 400
    errors = resp.json()
    assert errors["placement"] == ["placement is one of random, fixed; got 'scattered'."]
    assert errors["seed"] == ["A valid integer is required."]
    resp = create(as_(fran), format="object_avoidance", objects=40, bot_speed=0.1)
    assert resp.json() == {
        "objects": ["objects must be between 1 and 12; got 40."],
        "bot_speed": ["bot_speed must be between 0.2 and 4 m/s; got 0.1."],
    }
    resp = create(as_(fran), format="object_avoidance", placement="fixed", objects=1,
                  fixed_positions=[{"lane": "inside"}])
    assert resp.status_code == 400 and "progress_pct" in resp.json()["fixed_positions"][0]
    assert not Race.objects.exists()


def test_the_format_changes_until_the_race_opens(as_, fran):
    f.track()
    opens = timezone.now() + timedelta(days=1)
    race_id = create(as_(fran), opens_at=opens.isoformat()).json()["id"]
    resp = as_(fran).patch(f"/api/races/{race_id}/", {"format": "head_to_bot", "bots": 2, "seed": 9}, format="json")
    assert resp.status_code == 200, resp.json()
    assert (resp.json()["format"], resp.json()["bots"], resp.json()["seed"]) == ("head_to_bot", 2, 9)

    Race.objects.filter(pk=race_id).update(opens_at=timezone.now() - timedelta(minutes=1))
    resp = as_(fran).patch(f"/api/races/{race_id}/", {"format": "time_trial"}, format="json")
    assert resp.status_code == 400
    assert "The race has opened" in resp.json()["format"][0]


def test_board_rows_carry_collisions(as_, fran):
    race = f.community_race(fran, format="head_to_bot")
    result = record_result(f.racer("Hit Hank"), race, 40.0)
    RaceStanding.objects.filter(race=race).update(collision_count=3)
    row = as_(None).get(f"/api/races/{race.pk}/leaderboard/").json()["results"][0]
    assert row["collision_count"] == 3 and row["result_id"] == result.pk


def test_the_schema_documents_the_format_settings(as_):
    schema = as_(None).get("/api/schema/?format=json").json()
    created = schema["paths"]["/api/races/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    settings_ = schema["components"]["schemas"][created["$ref"].rpartition("/")[2]]["properties"]
    for name in ("format", "objects", "placement", "fixed_positions", "bots", "bot_speed", "bot_lane_change",
                 "collision_penalty_s", "seed"):
        assert name in settings_, name
    enum = settings_["format"]["$ref"].rpartition("/")[2]
    assert schema["components"]["schemas"][enum]["enum"] == ["time_trial", "object_avoidance", "head_to_bot", "head_to_head"]
    assert settings_["fixed_positions"]["type"] == "array"
    race = schema["components"]["schemas"]["RaceOutput"]["properties"]
    assert {"format", "objects", "fixed_positions", "bot_speed", "seed"} <= set(race)
    assert "collision_count" in schema["components"]["schemas"]["LeaderboardRowOutput"]["properties"]
    result = schema["components"]["schemas"]["ResultOutput"]["properties"]
    assert {"collision_count", "race_type", "seed"} <= set(result)
