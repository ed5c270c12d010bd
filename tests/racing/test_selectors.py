"""The reads the pages use: home, garage, profile."""

from __future__ import annotations

import pytest

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

    profile = racing_selectors.racer_profile(league_selectors.racer_get("ann"))
    assert profile["wins"] == 1 and profile["results"] == 1
    assert profile["races"][0].rank == 1 and profile["seasons"][0].points == 25
