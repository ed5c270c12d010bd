"""The pairing rounds in the database: ratings follow the racers' latest valid
submissions (a new one keeps the mean and raises the uncertainty), the budget per hour
holds, racers in a match sit out, a match between old submissions does not rate, and
only a match that ended in error can be re-run."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.utils import timezone

from ladder.matches import match_claim, match_record, match_rerun
from ladder.models import LadderRules, Match, Rating
from ladder.ratings import NEW_SUBMISSION_SIGMA_BUMP, newcomer
from ladder.rounds import pair_round, ratings_sync
from racing.models import Submission
from tests import factories as f

pytestmark = pytest.mark.django_db


def _race(**rules):
    return f.head_to_head_race(**rules)


_qualified = f.qualified_submission


def test_ratings_follow_the_latest_valid_submission():
    race = _race()
    ann, bo = f.racer("Ann"), f.racer("Bob")
    first = _qualified(race, ann)
    _qualified(race, bo)
    Submission.objects.create(racer=ann, model=f.policy_model(ann), race=race, status="failed")  # not valid
    assert ratings_sync(race, timezone.now()) == 2
    rating = Rating.objects.get(race=race, racer=ann)
    assert rating.submission == first and (rating.mu, rating.sigma) == (newcomer().mu, newcomer().sigma)
    Rating.objects.filter(pk=rating.pk).update(mu=31.0, sigma=2.0, score=25.0)
    newer = _qualified(race, ann)
    assert ratings_sync(race, timezone.now()) == 1
    rating.refresh_from_db()
    assert rating.submission == newer and rating.mu == 31.0
    assert rating.sigma == pytest.approx(2.0 + NEW_SUBMISSION_SIGMA_BUMP) and rating.score == pytest.approx(
        31.0 - 3 * rating.sigma)
    assert ratings_sync(race, timezone.now()) == 0


@override_settings(LADDER_ROUND_S=60.0)
def test_the_budget_per_hour_and_busy_racers():
    race = _race(matches_per_hour=2)
    for k in range(6):
        _qualified(race, f.racer(f"Racer {k}"))
    now = timezone.now()
    ratings_sync(race, now)
    assert pair_round(race, now) == 1  # 2 an hour over 60 rounds: one a round
    assert pair_round(race, now) == 1
    first, second = Match.objects.filter(race=race).order_by("id")
    assert not {first.racer_a_id, first.racer_b_id} & {second.racer_a_id, second.racer_b_id}
    assert pair_round(race, now) == 0  # the hour's budget is spent
    LadderRules.objects.filter(race=race).update(matches_per_hour=3600)
    assert pair_round(race, now) == 1  # two free racers left


def test_a_match_between_old_submissions_does_not_rate():
    race = _race()
    ann, bo = f.racer("Ann"), f.racer("Bob")
    _qualified(race, ann), _qualified(race, bo)
    ratings_sync(race, timezone.now())
    pair_round(race, timezone.now())
    match = Match.objects.get(race=race)
    _qualified(race, ann)
    ratings_sync(race, timezone.now())
    recorded = match_record(match_claim(match.pk), {"winner": "a", "duels": []}, [b"{}", None])
    assert recorded.status == "finished" and not recorded.rated and recorded.replay_1 and not recorded.replay_2
    assert all(r.matches == 0 for r in Rating.objects.filter(race=race))


def test_a_rated_match_moves_both_ratings():
    race = _race()
    _qualified(race, f.racer("Ann")), _qualified(race, f.racer("Bob"))
    ratings_sync(race, timezone.now())
    pair_round(race, timezone.now())
    match = Match.objects.get(race=race)
    recorded = match_record(match_claim(match.pk), {"winner": "b", "duels": []}, [None, None])
    a = Rating.objects.get(race=race, racer_id=match.racer_a_id)
    b = Rating.objects.get(race=race, racer_id=match.racer_b_id)
    assert recorded.rated and b.mu > a.mu and (a.matches, b.matches, a.wins, b.wins) == (1, 1, 0, 1)
    assert recorded.rating_change["b"]["mu"] == [newcomer().mu, b.mu]


def test_only_a_match_that_ended_in_error_is_re_run():
    race = _race()
    _qualified(race, f.racer("Ann")), _qualified(race, f.racer("Bob"))
    ratings_sync(race, timezone.now())
    pair_round(race, timezone.now())
    match = Match.objects.get(race=race)
    with pytest.raises(ValueError, match="only a match that ended in error"):
        match_rerun(match)
    Match.objects.filter(pk=match.pk).update(status="error", error="the sandbox could not start")
    match.refresh_from_db()
    again = match_rerun(match)
    assert again.status == "queued" and again.seed == match.seed and again.rerun_of == match
