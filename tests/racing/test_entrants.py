"""Removing a racer from a community race: their rows leave the board at once (the others
move up), their results stay on record, later results of theirs stay off the board, and
they cannot enter again."""

from __future__ import annotations

import pytest

from league.models import RaceEntrant
from racing import selectors
from racing.entrants import entrant_remove
from racing.models import RaceStanding, Result
from racing.submissions import SubmissionRejected
from racing.worker import result_record, submission_claim
from tests import factories as f
from tests.live_support import record_result, result_data, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def board(race) -> list[tuple[int, str]]:
    return [(r.rank, r.racer.alias) for r in RaceStanding.objects.filter(race=race).order_by("rank")]


def test_removed_rows_leave_the_board_and_the_results_stay():
    race = f.community_race(f.facilitator())
    ann, bob, cyd = f.racer("Ann"), f.racer("Bob"), f.racer("Cyd")
    for racer, time_s in ((ann, 30.0), (bob, 31.0), (cyd, 32.0)):
        record_result(racer, race, time_s)
    entrant = entrant_remove(race, ann)
    assert entrant.removed_at is not None
    assert board(race) == [(1, "Bob"), (2, "Cyd")]
    assert Result.objects.filter(race=race, racer=ann).count() == 1
    again = entrant_remove(race, ann)  # twice: nothing changes
    assert again.removed_at == entrant.removed_at and RaceEntrant.objects.filter(race=race, racer=ann).count() == 1


def test_a_removed_racer_cannot_enter_and_a_run_already_queued_stays_off_the_board():
    race = f.community_race(f.facilitator())
    ann, bob = f.racer("Ann"), f.racer("Bob")
    record_result(bob, race, 40.0)
    queued = submit(ann, race)  # entered before the removal, raced after it
    entrant_remove(race, ann)
    with pytest.raises(SubmissionRejected, match="removed you"):
        submit(ann, race)
    result_record(claim=submission_claim(queued.pk), data=result_data(20.0), replay_path=None)
    assert board(race) == [(1, "Bob")]
    assert Result.objects.filter(race=race, racer=ann).exists()


def test_the_facilitators_list_keeps_removed_racers_marked():
    race = f.community_race(f.facilitator())
    ann, bob = f.racer("Ann"), f.racer("Bob")
    record_result(ann, race, 30.0)
    record_result(bob, race, 31.0)
    entrant_remove(race, ann)
    rows = selectors.race_entrant_rows(race)
    assert [(r["racer"], r["removed_at"] is not None, r["submissions"], r["rank"]) for r in rows] == [
        ("Ann", True, 1, None), ("Bob", False, 1, 1),
    ]  # fmt: skip
    assert selectors.race_entrant_rows(race, racer=bob)[0]["result_id"] is not None


def test_removing_from_a_league_race_takes_the_season_points_away():
    race = f.race()
    ann, bob = f.racer("Ann"), f.racer("Bob")
    record_result(ann, race, 30.0)
    record_result(bob, race, 31.0)
    entrant_remove(race, ann)
    assert board(race) == [(1, "Bob")]
    standings = [(s.racer.alias, s.points) for s in selectors.season_standings(race.season)]
    assert standings == [("Bob", 25)]
