"""The head-to-head API: the board's ladder columns and order, the match list (all and per
racer), a match's duel replays (both cars), the bracket, and the organiser's actions;
private races and replays answer 404 to outsiders."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from ladder.matches import finals_begin, match_claim, match_record
from ladder.models import Match
from ladder.rounds import pair_round, ratings_sync
from tests import factories as f

pytestmark = pytest.mark.django_db


def _duel_replay(a_rows: int, b_rows: int) -> bytes:
    row = [0.0, 1.0, 2.0, 0.0, 1.0, 0.0, 0.1, 0.0, -1.0, 1.0]
    return json.dumps({
        "format": "vrl-replay/1", "track": {"ref": "oval-loop", "reversed": False}, "result": {"status": "finished"},
        "columns": [], "trajectory": [row] * a_rows, "events": [],
        "duel": {"settings": {"seed": 5}, "winner": "a", "names": {"a": "x", "b": "y"},
                 "positions": {"a": 1, "b": 2}, "collisions": [],
                 "opponent": {"result": {"status": "dnf"}, "trajectory": [row] * b_rows, "events": []}},
    }).encode()


def _world(race=None, **rules):
    race = f.head_to_head_race(race, **rules)
    racers = [f.racer(name) for name in ("Ann Arbor", "Bob Bell", "Cy Crane")]
    for k, r in enumerate(racers):
        f.qualified_submission(race, r, 30.0 + k)
    ratings_sync(race, timezone.now())
    pair_round(race, timezone.now())
    match = Match.objects.get(race=race)
    match = match_record(match_claim(match.pk), {"winner": "a", "duels": [
        {"winner": "a", "positions": {"a": 1, "b": 2}, "a": {"status": "finished", "total_time_s": 20.0},
         "b": {"status": "dnf", "total_time_s": 180.0}, "car_collisions": 1}] * 2},
        [_duel_replay(5, 3), _duel_replay(4, 4)])
    return race, racers, match


def test_the_board_of_a_head_to_head_race_is_the_ladder(as_):
    race, racers, match = _world()
    body = as_(None).get(f"/api/races/{race.pk}/leaderboard/").json()
    rows = body["results"]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert rows[0]["racer"] == match.racer_a.alias and rows[0]["matches"] == 1 and rows[0]["wins"] == 1
    assert rows[0]["rating"] == pytest.approx(rows[0]["mu"] - 3 * rows[0]["sigma"], abs=1e-3)
    assert rows[0]["rating"] > rows[-1]["rating"] or rows[-1]["matches"] == 0
    assert {r["racer"] for r in rows} == {r.alias for r in racers}


def test_a_time_trial_board_has_no_ratings(as_):
    race = f.race()
    f.qualified_submission(race, f.racer("Tim Trial"))
    row = as_(None).get(f"/api/races/{race.pk}/leaderboard/").json()["results"][0]
    assert (row["rating"], row["mu"], row["sigma"], row["matches"], row["wins"]) == (None, None, None, 0, 0)
    assert as_(None).get(f"/api/races/{race.pk}/matches/").status_code == 404


def test_the_match_list_and_one_racer_s_matches(as_):
    race, racers, match = _world()
    body = as_(None).get(f"/api/races/{race.pk}/matches/").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["id"] == match.pk and row["winner"] == "a" and row["winner_racer"] == match.racer_a.alias
    assert row["seed"] == match.seed and row["replays"] == [1, 2] and row["finals"] is None and row["rated"]
    assert row["videos"] == [] and row["video_status"] == ["pending", "pending"]  # queued with the match
    assert row["duels"][0]["a_time_s"] == 20.0 and row["duels"][0]["car_collisions"] == 1
    mine = as_(None).get(f"/api/races/{race.pk}/matches/", {"racer": match.racer_b.alias.upper()}).json()
    assert mine["count"] == 1
    idle = next(r for r in racers if r.pk not in (match.racer_a_id, match.racer_b_id))
    assert as_(None).get(f"/api/races/{race.pk}/matches/", {"racer": idle.alias}).json()["count"] == 0
    assert as_(None).get(f"/api/races/{race.pk}/matches/", {"racer": "nobody"}).json()["count"] == 0


def test_a_duel_replay_carries_both_cars_with_names_colours_and_the_track(as_):
    race, racers, match = _world()
    replay = as_(None).get(f"/api/matches/{match.pk}/replay/2/").json()
    assert len(replay["trajectory"]) == 4 and len(replay["duel"]["opponent"]["trajectory"]) == 4
    assert replay["duel"]["names"] == {"a": match.racer_a.alias, "b": match.racer_b.alias}
    assert set(replay["duel"]["car_rgb"]) == {"a", "b"} and replay["track"]["center"]
    assert as_(None).get(f"/api/matches/{match.pk}/replay/3/").status_code == 404
    assert as_(None).get(f"/api/matches/{match.pk + 999}/replay/1/").status_code == 404


def test_a_private_race_s_matches_are_404_to_outsiders(as_):
    fran = f.facilitator("Fran Fac")
    private = f.community_race(fran, visibility="private")
    race, racers, match = _world(private)
    stranger = f.racer("Stan Ger")
    for url in (f"/api/races/{race.pk}/matches/", f"/api/matches/{match.pk}/", f"/api/matches/{match.pk}/replay/1/",
                f"/api/races/{race.pk}/bracket/"):
        assert as_(stranger).get(url).status_code == 404, url
        assert as_(None).get(url).status_code == 404, url
    assert as_(fran).get(f"/api/matches/{match.pk}/replay/1/").status_code == 200


def test_the_organiser_starts_the_finals_and_everyone_sees_the_bracket(as_):
    fran = f.facilitator("Fran Fac")
    race, racers, match = _world(f.community_race(fran, visibility="public"), finals_size=4)
    assert as_(None).get(f"/api/races/{race.pk}/bracket/").status_code == 404
    assert as_(racers[0]).post(f"/api/races/{race.pk}/bracket/").status_code == 403
    assert as_(None).post(f"/api/races/{race.pk}/bracket/").status_code == 401
    resp = as_(fran).post(f"/api/races/{race.pk}/bracket/")
    assert resp.status_code == 201, resp.json()
    bracket = resp.json()
    assert bracket["size"] == 2 and bracket["status"] == "running" and bracket["champion"] is None
    first = next(p for p in bracket["places"] if (p["stage"], p["round"]) == ("W", 1))
    assert first["a"]["seed"] == 1 and first["b"]["seed"] == 2 and first["match_status"] == "queued"
    again = as_(fran).post(f"/api/races/{race.pk}/bracket/")
    assert again.status_code == 400 and "already started" in again.json()["detail"]
    assert as_(None).get(f"/api/races/{race.pk}/bracket/").json()["seeds"] == bracket["seeds"]
    finals = as_(None).get(f"/api/races/{race.pk}/matches/").json()["results"][0]
    assert finals["finals"] == "W1.1" and not finals["rated"]


def test_only_a_match_in_error_is_re_run_by_its_organiser(as_):
    fran = f.facilitator("Fran Fac")
    race, racers, match = _world(f.community_race(fran, visibility="public"))
    assert as_(fran).post(f"/api/matches/{match.pk}/rerun/").status_code == 400
    Match.objects.filter(pk=match.pk).update(status="error", error="the sandbox could not start")
    assert as_(racers[0]).post(f"/api/matches/{match.pk}/rerun/").status_code == 403
    resp = as_(fran).post(f"/api/matches/{match.pk}/rerun/")
    assert resp.status_code == 201 and resp.json()["status"] == "queued" and resp.json()["seed"] == match.seed


def test_finals_need_two_rated_racers(as_):
    fran = f.facilitator("Fran Fac")
    race = f.head_to_head_race(f.community_race(fran, visibility="public"))
    resp = as_(fran).post(f"/api/races/{race.pk}/bracket/")
    assert resp.status_code == 400 and "at least two" in resp.json()["detail"]
    with pytest.raises(Exception, match="at least two"):
        finals_begin(race)


def test_a_facilitator_creates_a_head_to_head_race(as_):
    f.track("oval-loop")
    fran = f.facilitator("Fran Fac")
    resp = as_(fran).post("/api/races/", {"name": "Duels", "track": "oval-loop", "format": "head_to_head",
                                           "collision_penalty_s": 4.0}, format="json")
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["format"] == "head_to_head" and body["collision_penalty_s"] == 4.0
    assert as_(None).get(f"/api/races/{body['id']}/matches/").json()["count"] == 0
    assert body["ladder"] == {"duel_start": "side_by_side", "matches_per_hour": 60, "finals_size": 8}


def test_the_ladder_s_settings_are_set_with_the_race_and_changed_until_it_opens(as_):
    f.track("oval-loop")
    fran = f.facilitator("Fran Fac")
    # Set with the race even when it opens at once; changed until it opens.
    resp = as_(fran).post("/api/races/", {
        "name": "Now", "track": "oval-loop", "format": "head_to_head", "ladder": {"finals_size": 4}}, format="json")
    assert resp.status_code == 201 and resp.json()["ladder"]["finals_size"] == 4, resp.json()
    opens = (timezone.now() + timezone.timedelta(days=1)).isoformat()
    resp = as_(fran).post("/api/races/", {
        "name": "Duels", "track": "oval-loop", "format": "head_to_head", "opens_at": opens,
        "ladder": {"duel_start": "staggered", "matches_per_hour": 120, "finals_size": 4},
    }, format="json")  # fmt: skip
    assert resp.status_code == 201, resp.json()
    race_id = resp.json()["id"]
    assert resp.json()["ladder"] == {"duel_start": "staggered", "matches_per_hour": 120, "finals_size": 4}
    resp = as_(fran).patch(f"/api/races/{race_id}/", {"ladder": {"finals_size": 16}}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["ladder"] == {"duel_start": "staggered", "matches_per_hour": 120, "finals_size": 16}
    assert as_(None).get(f"/api/races/{race_id}/").json()["ladder"]["finals_size"] == 16
    # A time trial has no ladder.
    plain = as_(fran).post("/api/races/", {"name": "Laps", "track": "oval-loop"}, format="json").json()
    assert plain["ladder"] is None


def test_once_the_race_opens_only_the_match_budget_changes(as_):
    f.track("oval-loop")
    fran = f.facilitator("Fran Fac")
    race = as_(fran).post("/api/races/", {"name": "Duels", "track": "oval-loop", "format": "head_to_head"},
                          format="json").json()  # open from now
    url = f"/api/races/{race['id']}/"
    resp = as_(fran).patch(url, {"ladder": {"matches_per_hour": 10}}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["ladder"]["matches_per_hour"] == 10
    resp = as_(fran).patch(url, {"ladder": {"finals_size": 4, "duel_start": "staggered"}}, format="json")
    assert resp.status_code == 400
    refused = resp.json()["ladder"]
    assert set(refused) == {"finals_size", "duel_start"} and "matches_per_hour" in refused["finals_size"][0]
    assert as_(None).get(url).json()["ladder"] == {"duel_start": "side_by_side", "matches_per_hour": 10,
                                                    "finals_size": 8}


@pytest.mark.parametrize("extra, ladder, field, phrase", [
    ({}, {"finals_size": 4}, "format", "head_to_head"),
    ({"format": "head_to_head"}, {"finals_size": 5}, "finals_size", "4"),
    ({"format": "head_to_head"}, {"matches_per_hour": 0}, "matches_per_hour", "between 1 and 3600"),
    ({"format": "head_to_head"}, {"duel_start": "rolling"}, "duel_start", "side_by_side"),
    ({"format": "head_to_head"}, {"laps": 3}, "laps", "duel_start, matches_per_hour, finals_size"),
])  # fmt: skip
def test_bad_ladder_settings_are_a_400_under_ladder_and_create_nothing(as_, extra, ladder, field, phrase):
    f.track("oval-loop")
    fran = f.facilitator("Fran Fac")
    resp = as_(fran).post("/api/races/", {"name": "Duels", "track": "oval-loop", **extra, "ladder": ladder},
                          format="json")
    assert resp.status_code == 400
    assert phrase in " ".join(resp.json()["ladder"][field])
    assert as_(fran).get("/api/races/?mine=1").json()["count"] == 0
