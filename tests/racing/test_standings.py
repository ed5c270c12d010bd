"""Ranking by the design's rules, stored standings, season points."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from racing.models import RaceStanding, Result, SeasonStanding, Submission
from racing.selectors import race_leaderboard_rows
from racing.standings import (
    POINTS_BY_RANK,
    STANDING_ORDER,
    race_standing_apply,
    season_standings_rebuild,
    standing_sort_key,
    standings_rebuild,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

T0 = timezone.now() - timedelta(hours=1)


def add_result(race, racer, *, time_s=None, laps=3, progress=0.0, minutes=0, best_lap_s=None):
    model = racer.models.first() or f.policy_model(racer)
    sub = Submission.objects.create(
        racer=racer, model=model, race=race, status="finished", created_at=T0 + timedelta(minutes=minutes)
    )
    result = Result.objects.create(
        submission=sub, race=race, racer=racer,
        status="finished" if time_s is not None else "dnf",
        timing_method=race.timing_method, official_time_s=time_s, laps_completed=laps,
        lap_times_s=[], total_time_s=time_s, best_lap_s=best_lap_s, progress=progress,
        off_track_count=0, steps=10, trajectory_sha256="x", simulator_version="1",
        onnxruntime_version="1", numpy_version="1", model_sha256="x",
    )  # fmt: skip
    race_standing_apply(result)
    season_standings_rebuild(race.season)
    return result


def board(race):
    return [(r["rank"], r["racer"]) for r in race_leaderboard_rows(race)]


def test_finishers_by_time_then_dnf_by_laps_and_progress_ties_to_earlier():
    race = f.race()
    a, b, c, d, e = (f.racer(alias) for alias in ("Ann", "Bob", "Cat", "Dan", "Eve"))
    add_result(race, a, time_s=20.0, minutes=1)
    add_result(race, b, time_s=19.5, minutes=2)
    add_result(race, c, laps=2, progress=0.1, minutes=3)  # DNF
    add_result(race, d, laps=2, progress=0.7, minutes=4)  # DNF, further
    add_result(race, e, time_s=20.0, minutes=0)  # ties Ann, submitted earlier
    assert board(race) == [(1, "Bob"), (2, "Eve"), (3, "Ann"), (4, "Dan"), (5, "Cat")]
    rows = race_leaderboard_rows(race)
    assert rows[0]["gap_s"] == 0 and rows[1]["gap_s"] == 0.5 and rows[3]["gap_s"] is None


def test_one_row_per_racer_with_their_best_result_and_submission_count():
    race = f.race()
    ann = f.racer("Ann")
    add_result(race, ann, time_s=30.0)
    best = add_result(race, ann, time_s=25.0, minutes=1)
    add_result(race, ann, time_s=27.0, minutes=2)
    row = RaceStanding.objects.get(race=race, racer=ann)
    assert row.result == best and row.time_s == 25.0 and row.submissions == 3 and row.rank == 1


def test_season_points_follow_the_table_and_only_finishers_score():
    season = f.season(tracks=[f.track("oval-loop"), f.track("paperclip")])
    r1, r2 = season.races.order_by("order")
    ann, bob, cat = f.racer("Ann"), f.racer("Bob"), f.racer("Cat")
    add_result(r1, ann, time_s=10.0)
    add_result(r1, bob, time_s=11.0)
    add_result(r2, bob, time_s=10.0)
    add_result(r2, cat, laps=1, progress=0.5)
    rows = {s.racer.alias: s for s in SeasonStanding.objects.filter(season=season)}
    assert rows["Bob"].points == POINTS_BY_RANK[1] + POINTS_BY_RANK[0]
    assert rows["Ann"].points == POINTS_BY_RANK[0]
    assert rows["Cat"].points == 0
    assert [s.racer.alias for s in SeasonStanding.objects.filter(season=season).order_by("rank")] == [
        "Bob", "Ann", "Cat"
    ]
    assert rows["Bob"].wins == 1 and rows["Bob"].races == 2


def test_a_racer_moving_up_shifts_every_season_row_between_as_a_fresh_rebuild_would():
    season = f.season(tracks=[f.track("oval-loop"), f.track("paperclip")])
    r1, r2 = season.races.order_by("order")
    racers = [f.racer(f"Racer {k:02d}") for k in range(12)]
    for k, racer in enumerate(racers):
        add_result(r1, racer, time_s=10.0 + k, minutes=k)
    last = racers[-1]
    add_result(r2, last, time_s=5.0, minutes=30)  # 25 more points: from 12th to the top
    add_result(r1, last, time_s=9.0, minutes=31)  # and the race win: every rank shifts again

    def season_rows():
        return list(SeasonStanding.objects.filter(season=season).order_by("rank")
                    .values_list("racer__alias", "rank", "points", "races", "wins", "best_rank"))  # fmt: skip

    updated = season_rows()
    assert updated[0][0] == "Racer 11" and [row[1] for row in updated] == list(range(1, 13))
    SeasonStanding.objects.all().delete()
    season_standings_rebuild(season)
    assert season_rows() == updated


def test_full_rebuild_gives_the_same_board():
    race = f.race()
    for k, alias in enumerate(["Ann", "Bob", "Cat"]):
        add_result(race, f.racer(alias), time_s=30.0 - k, minutes=k)
    before = board(race)
    RaceStanding.objects.all().delete()
    SeasonStanding.objects.all().delete()
    standings_rebuild(race)
    assert board(race) == before
    assert SeasonStanding.objects.filter(season=race.season).count() == 3


def test_best_lap_timing_ranks_by_official_time():
    race = f.race(timing_method="BEST_LAP_TIME")
    add_result(race, f.racer("Ann"), time_s=6.0, best_lap_s=6.0)
    add_result(race, f.racer("Bob"), time_s=5.5, best_lap_s=5.5)
    assert board(race)[0] == (1, "Bob")


@pytest.mark.parametrize("page", ["-1", "0", "abc", "1.5"])
def test_a_page_number_that_is_not_a_positive_whole_number_is_a_400(api, page):
    race = f.race()
    add_result(race, f.racer(), time_s=10.0)
    resp = api.get(f"/api/races/{race.pk}/leaderboard/?page={page}")
    assert resp.status_code == 400
    assert "whole number" in resp.json()["page"][0]


def test_a_page_past_the_last_says_which_is_the_last(api):
    race = f.race()
    add_result(race, f.racer(), time_s=10.0)
    resp = api.get(f"/api/races/{race.pk}/leaderboard/?page=7")
    assert resp.status_code == 404
    assert "last page is 1" in resp.json()["detail"]


def test_leaderboard_api_is_public_and_paginated(api):
    race = f.race()
    for k in range(7):
        add_result(race, f.racer(f"Racer{k}"), time_s=10.0 + k, minutes=k)
    page = api.get(f"/api/races/{race.pk}/leaderboard/?page=2&page_size=3").json()
    assert page["count"] == 7
    assert [r["rank"] for r in page["results"]] == [4, 5, 6]
    assert page["results"][0]["gap_s"] == 3.0
    keys = {"rank", "racer", "time_s", "gap_s", "best_lap_s", "laps", "off_track_count",
            "submissions", "submitted_at", "result_id"}
    assert keys <= set(page["results"][0])


def test_database_ordering_and_python_key_rank_alike():
    """The ranking has two encodings (a database ordering for the boards, a Python key for
    picking a racer's best run): they must agree, ties and DNFs included."""
    rng = random.Random(7)
    race = f.race()
    results = []
    for i in range(40):
        racer = f.racer(f"Rank {i}")
        finished = rng.random() < 0.6
        results.append(
            add_result(
                race, racer,
                time_s=rng.choice([30.0, 31.5, 31.5, 40.25]) if finished else None,
                laps=rng.choice([0, 1, 2]) if not finished else 3,
                progress=rng.choice([0.25, 0.5, 0.5]) if not finished else 1.0,
                minutes=rng.choice([0, 1, 2]),
            )
        )  # fmt: skip
    by_database = list(RaceStanding.objects.filter(race=race).order_by(*STANDING_ORDER).values_list("result_id", flat=True))
    by_python = [
        r.pk
        for r in sorted(
            results,
            key=lambda r: standing_sort_key(
                finished=r.is_finished, time_s=r.official_time_s, laps=r.laps_completed,
                progress=r.progress, submitted_at=r.submission.created_at, result_id=r.pk,
            ),  # fmt: skip
        )
    ]
    assert by_database == by_python
    assert [r["rank"] for r in race_leaderboard_rows(race, limit=100)] == list(range(1, 41))

