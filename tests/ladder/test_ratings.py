"""Ratings through OpenSkill (the library's Plackett-Luce model, not our own formula)."""

import pytest
from openskill.models import PlackettLuce

from ladder import ratings


def test_a_win_moves_both_ratings_as_openskill_does():
    a, b = ratings.newcomer(), ratings.Skill(27.0, 6.0)
    new_a, new_b = ratings.rate(a, b, "a")
    model = PlackettLuce()
    [[ra], [rb]] = model.rate([[model.create_rating([a.mu, a.sigma])], [model.create_rating([27.0, 6.0])]],
                              ranks=[1, 2])
    assert (new_a.mu, new_a.sigma, new_b.mu, new_b.sigma) == (ra.mu, ra.sigma, rb.mu, rb.sigma)
    assert new_a.mu > a.mu and new_b.mu < b.mu and new_a.sigma < a.sigma


def test_a_loss_and_a_draw():
    a, b = ratings.newcomer(), ratings.newcomer()
    lost, won = ratings.rate(a, b, "b")
    assert lost.mu < 25.0 < won.mu
    d1, d2 = ratings.rate(a, b, "draw")
    assert d1.mu == pytest.approx(25.0) and d2.mu == pytest.approx(25.0) and d1.sigma < a.sigma


def test_the_ladder_orders_by_a_conservative_score():
    sure = ratings.Skill(28.0, 1.0)
    lucky = ratings.Skill(35.0, 8.0)
    assert sure.score == 28.0 - 3.0 and lucky.score == 35.0 - 24.0
    assert sure.score > lucky.score


def test_a_new_submission_keeps_the_mean_and_raises_the_uncertainty():
    settled = ratings.Skill(31.0, 2.0)
    fresh = ratings.new_submission(settled)
    assert fresh.mu == 31.0 and fresh.sigma > 2.0
    assert ratings.new_submission(ratings.newcomer()).sigma == ratings.newcomer().sigma  # capped

