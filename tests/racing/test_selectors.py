"""The reads the pages use: home, garage, profile."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from league import selectors as league_selectors
from racing import selectors as racing_selectors
from racing import submissions, worker
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_home_garage_and_profile():
    race = f.race(daily_quota=5, total_quota=9)
    racer = f.racer("Ann")
    model = f.policy_model(racer)
    submission = submissions.submission_create(racer=racer, model=model, race=race)
    assert worker.submission_race(submission.pk) == "finished"

    home = racing_selectors.home_data(user=racer.user)
    assert home["season"] == race.season
    assert home["races"][0]["top"][0]["racer"] == "Ann"
    assert home["standings"][0]["points"] == 25
    assert [s.pk for s in home["my_submissions"]] == [submission.pk]

    garage = racing_selectors.garage(racer)
    assert [m.pk for m in garage["models"]] == [model.pk]
    quota = garage["races"][0]["quota"]
    assert {k: quota[k] for k in ("today", "daily_quota", "left_today", "total", "total_quota")} == {
        "today": 1, "daily_quota": 5, "left_today": 4, "total": 1, "total_quota": 9,
    }
    assert quota["resets_at"].hour == 0 and quota["resets_at"] > garage["submissions"][0].created_at

    profile = racing_selectors.racer_profile(league_selectors.racer_get("ann"), AnonymousUser())  # a stranger
    assert profile["wins"] == 1 and profile["results"] == 1
    assert profile["races"][0].rank == 1 and profile["seasons"][0].points == 25


def test_a_board_page_is_a_range_of_ranks_with_the_same_rows_as_an_offset():
    """The paginator reads the whole board (and the season's standings) by rank ranges;
    the pages are the rows an OFFSET gives, before and after a racer leaves the board (the
    ranks close up)."""
    from django.core.paginator import Paginator

    from racing.entrants import entrant_remove
    from tests.live_support import record_result

    race = f.race()
    racers = [f.racer(f"Ranked {k:02d}") for k in range(12)]
    for k, racer in enumerate(racers):
        record_result(racer, race, 40.0 - k)

    def pages(rows) -> list[list[tuple[int, int]]]:
        p = Paginator(rows, 5)
        return [[(r.rank, r.racer_id) for r in p.page(n).object_list] for n in p.page_range]

    window = racing_selectors.race_board_pages(race)
    assert window.count() == len(window) == 12
    assert pages(window) == pages(racing_selectors.race_leaderboard(race))
    assert [r.rank for r in window[0:None]] == list(range(1, 13))
    entrant_remove(race, racers[5])
    assert window.count() == 11 and pages(window) == pages(racing_selectors.race_leaderboard(race))
    assert racing_selectors.race_leaderboard_rows(race, offset=10, limit=5)[0]["rank"] == 11
    # The season's standings are read the same way.
    season = race.season
    season_window = racing_selectors.season_standing_pages(season)
    assert season_window.count() == racing_selectors.season_standings(season).count() > 5
    assert pages(season_window) == pages(racing_selectors.season_standings(season))
    assert [row["rank"] for row in racing_selectors.season_standing_rows(season, offset=5, limit=3)] == [6, 7, 8]
