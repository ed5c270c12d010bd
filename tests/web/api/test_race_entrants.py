"""Racers in community races over the API: joining by invite (token or whole link),
resetting the link, the facilitator's list of racers, removing a racer, ranking by the
race's method without season points, quotas at their edge."""

from __future__ import annotations

import pytest

from league.community import entrant_join
from league.models import Race
from racing.models import RaceStanding, Result, SeasonStanding
from racing.worker import submission_race
from tests import factories as f
from tests.live_support import record_laps, record_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def fran():
    return f.facilitator("Fran")


@pytest.fixture
def private(fran):
    return f.community_race(fran, name="Team Cup", visibility="private")


def join(client, invite: str):
    return client.post("/api/races/join/", {"invite": invite}, format="json")


# --- Joining ------------------------------------------------------------------------------


def test_join_by_token_or_by_the_whole_link(as_, private):
    ann, bob = f.racer("Ann"), f.racer("Bob")
    assert as_(ann).get(f"/api/races/{private.pk}/").status_code == 404
    resp = join(as_(ann), private.invite_token)
    assert resp.status_code == 200 and resp.json()["id"] == private.pk and resp.json()["name"] == "Team Cup"
    assert as_(ann).get(f"/api/races/{private.pk}/").status_code == 200
    link = f"https://league.example/races/join/{private.invite_token}/"
    assert join(as_(bob), link).json()["id"] == private.pk
    assert join(as_(bob), f" {link.rstrip('/')} ").status_code == 200  # again: nothing changes
    assert private.entrants.count() == 2


def test_a_bad_invite_is_404_with_what_to_do(as_, private):
    for invite in ("not-a-token", "https://league.example/races/join/nope/"):
        resp = join(as_(f.racer()), invite)
        assert resp.status_code == 404 and "ask the facilitator" in resp.json()["detail"]
    assert join(as_(f.racer()), "").status_code == 400
    assert join(as_(None), private.invite_token).status_code == 401


def test_reset_retires_the_old_link_at_once(as_, fran, private):
    ann = f.racer("Ann")
    join(as_(ann), private.invite_token)
    old = private.invite_token
    resp = as_(fran).post(f"/api/races/{private.pk}/invite/reset/")
    assert resp.status_code == 200
    private.refresh_from_db()
    assert private.invite_token != old
    assert resp.json() == {"invite_url": f"http://testserver/races/join/{private.invite_token}/"}
    assert join(as_(f.racer("Late")), old).status_code == 404
    assert join(as_(f.racer("Later")), resp.json()["invite_url"]).status_code == 200
    assert as_(ann).get(f"/api/races/{private.pk}/").status_code == 200  # who joined stays in


def test_a_public_race_has_no_invite_to_reset(as_, fran):
    race = f.community_race(fran)
    resp = as_(fran).post(f"/api/races/{race.pk}/invite/reset/")
    assert resp.status_code == 400 and "visibility" in resp.json()


# --- The facilitator's racers ---------------------------------------------------------------


def test_the_facilitator_lists_the_racers_and_removes_one(as_, fran, private):
    ann, bob = f.racer("Ann"), f.racer("Bob")
    for racer in (ann, bob):
        join(as_(racer), private.invite_token)
    record_result(ann, private, 40.0)
    record_result(bob, private, 35.0)
    record_result(bob, private, 36.0)
    rows = as_(fran).get(f"/api/races/{private.pk}/racers/").json()["results"]
    assert [(r["racer"], r["submissions"], r["rank"], r["removed_at"]) for r in rows] == [
        ("Ann", 1, 2, None), ("Bob", 2, 1, None),
    ]  # fmt: skip
    assert all(r["joined_at"] and r["result_id"] for r in rows)

    resp = as_(fran).post(f"/api/races/{private.pk}/racers/bob/remove/")  # aliases ignore case
    assert resp.status_code == 200
    assert resp.json()["racer"] == "Bob" and resp.json()["removed_at"] and resp.json()["rank"] is None
    # off the board, Ann first now; Bob's results kept for the record
    board = as_(fran).get(f"/api/races/{private.pk}/leaderboard/").json()["results"]
    assert [(r["rank"], r["racer"]) for r in board] == [(1, "Ann")]
    assert Result.objects.filter(race=private, racer=bob).count() == 2
    rows = as_(fran).get(f"/api/races/{private.pk}/racers/").json()["results"]
    assert [(r["racer"], r["removed_at"] is not None) for r in rows] == [("Ann", False), ("Bob", True)]
    # the race is gone for Bob, and the link does not bring him back
    assert as_(bob).get(f"/api/races/{private.pk}/").status_code == 404
    rejoin = join(as_(bob), private.invite_token)
    assert rejoin.status_code == 403 and "removed you" in rejoin.json()["detail"]
    model = f.policy_model(bob)
    assert as_(bob).post("/api/submissions/", {"model": model.pk, "race": private.pk},
                         format="json").status_code == 404  # fmt: skip
    # removing again changes nothing
    again = as_(fran).post(f"/api/races/{private.pk}/racers/Bob/remove/")
    assert again.status_code == 200 and again.json()["removed_at"] == resp.json()["removed_at"]


def test_removing_someone_not_in_the_race_is_404(as_, fran, private):
    f.racer("Stranger")
    for alias in ("Stranger", "nobody-at-all"):
        resp = as_(fran).post(f"/api/races/{private.pk}/racers/{alias}/remove/")
        assert resp.status_code == 404 and alias in resp.json()["detail"]


def test_only_the_facilitator_removes(as_, fran):
    race = f.community_race(fran)
    ann, bob = f.racer("Ann"), f.racer("Bob")
    record_result(ann, race, 30.0)
    record_result(bob, race, 31.0)
    assert as_(bob).post(f"/api/races/{race.pk}/racers/Ann/remove/").status_code == 403
    assert as_(None).post(f"/api/races/{race.pk}/racers/Ann/remove/").status_code == 401
    assert as_(f.racer("Ada", staff=True)).post(f"/api/races/{race.pk}/racers/Ann/remove/").status_code == 200


# --- Ranking ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ranking, order, leader_time",
    [("total_time", ["Steady", "Flash"], 30.0), ("best_lap", ["Flash", "Steady"], 8.0),
     ("average_lap", ["Steady", "Flash"], 10.0)],
)  # fmt: skip
def test_the_board_ranks_by_the_races_method_without_points(as_, fran, ranking, order, leader_time):
    f.track()
    resp = as_(fran).post("/api/races/", {"name": "Methods", "track": "oval-loop", "ranking": ranking},
                          format="json")  # fmt: skip
    race = Race.objects.get(pk=resp.json()["id"])
    record_laps(f.racer("Steady"), race, [10.0, 10.0, 10.0])  # total 30, best 10
    record_laps(f.racer("Flash"), race, [8.0, 13.0, 12.0])  # total 33, best 8
    board = as_(None).get(f"/api/races/{race.pk}/leaderboard/").json()["results"]
    assert [r["racer"] for r in board] == order
    assert board[0]["time_s"] == leader_time
    assert [r["points"] for r in board] == [0, 0]
    assert not SeasonStanding.objects.exists()


def test_ties_go_to_the_earlier_submission(as_, fran):
    race = f.community_race(fran, timing_method="BEST_LAP_TIME")
    record_laps(f.racer("First"), race, [9.0, 11.0, 11.0])
    record_laps(f.racer("Second"), race, [10.0, 9.0, 10.0])
    assert [r.racer.alias for r in RaceStanding.objects.filter(race=race).order_by("rank")] == ["First", "Second"]


# --- Quotas -------------------------------------------------------------------------------


def test_the_quotas_of_a_community_race_at_their_edge(as_, fran):
    race = f.community_race(fran, total_quota=3, daily_quota=2)
    ann = f.racer("Ann")
    model = f.policy_model(ann)
    post = lambda: as_(ann).post("/api/submissions/", {"model": model.pk, "race": race.pk}, format="json")  # noqa: E731
    assert [post().status_code for _ in range(2)] == [202, 202]
    today = post()
    assert today.status_code == 429 and "2 submissions of today" in today.json()["race"][0]
    race.daily_quota = 5
    race.save()
    assert post().status_code == 202
    total = post()
    assert total.status_code == 429 and "all 3 submissions" in total.json()["race"][0]


def test_the_default_quotas_are_fifty_and_ten(fran):
    race = f.community_race(fran)
    assert (race.total_quota, race.daily_quota) == (50, 10)


def test_entering_a_public_community_race_joins_it(as_, fran):
    race = f.community_race(fran)
    ann = f.racer("Ann")
    model = f.policy_model(ann)
    assert as_(ann).post("/api/submissions/", {"model": model.pk, "race": race.pk}, format="json").status_code == 202
    rows = as_(fran).get(f"/api/races/{race.pk}/racers/").json()["results"]
    assert [(r["racer"], r["submissions"]) for r in rows] == [("Ann", 1)]
    entrant_join(race, ann)  # joining again changes nothing
    assert race.entrants.count() == 1


def test_a_raced_run_is_ranked_by_the_ranking_chosen_over_the_api(as_, fran):
    """End to end: the worker races the submission under the race's settings (the
    simulator in its sandbox) and the board shows the chosen figure."""
    f.track()
    created = as_(fran).post("/api/races/", {"name": "Best lap", "track": "oval-loop", "ranking": "best_lap",
                                             "laps": 2, "direction": "clockwise"}, format="json")  # fmt: skip
    race_id = created.json()["id"]
    ann = f.racer("Ann")
    model = f.policy_model(ann)
    submission = as_(ann).post("/api/submissions/", {"model": model.pk, "race": race_id}, format="json").json()
    assert submission_race(submission["id"]) == "finished"
    result = Result.objects.get(submission_id=submission["id"])
    assert result.timing_method == "BEST_LAP_TIME" and result.extra["track_reversed"] is True
    assert result.official_time_s == result.best_lap_s < result.total_time_s
    row = as_(None).get(f"/api/races/{race_id}/leaderboard/").json()["results"][0]
    assert (row["racer"], row["time_s"], row["points"]) == ("Ann", result.best_lap_s, 0)


def test_invite_guessing_is_rate_limited_and_reading_is_not(as_, settings, private):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "races": "3/min"},
    }
    guesser = as_(f.racer("Guesser"))
    codes = [join(guesser, f"guess-{i}").status_code for i in range(4)]
    assert codes == [404, 404, 404, 429]
    assert join(guesser, private.invite_token).status_code == 429
    assert all(guesser.get("/api/races/").status_code == 200 for _ in range(5))
