"""Ratings with OpenSkill (Weng-Lin's Bayesian rating, the Plackett-Luce model): a racer's
skill is a normal distribution (mu, sigma); the ladder orders racers by the conservative
score mu - K_SIGMA * sigma, so a racer with few matches does not top it by luck."""

from __future__ import annotations

from dataclasses import dataclass

from openskill.models import PlackettLuce

MODEL = PlackettLuce()  # mu 25, sigma 25/3: OpenSkill's defaults
K_SIGMA = 3.0
# A new submission keeps the racer's mu; its sigma rises by this much (up to a newcomer's):
# the new model may be better or worse, so its first matches move the rating more.
NEW_SUBMISSION_SIGMA_BUMP = MODEL.sigma / 3.0


@dataclass(frozen=True)
class Skill:
    mu: float
    sigma: float

    @property
    def score(self) -> float:
        return conservative_score(self.mu, self.sigma)


def conservative_score(mu: float, sigma: float) -> float:
    return mu - K_SIGMA * sigma


def newcomer() -> Skill:
    return Skill(MODEL.mu, MODEL.sigma)


def new_submission(skill: Skill) -> Skill:
    """The rating a racer's new submission starts from."""
    return Skill(skill.mu, min(skill.sigma + NEW_SUBMISSION_SIGMA_BUMP, MODEL.sigma))


def rate(a: Skill, b: Skill, winner: str) -> tuple[Skill, Skill]:
    """Both skills after a match that `winner` ('a', 'b' or 'draw') won."""
    ranks = {"a": [1, 2], "b": [2, 1], "draw": [1, 1]}[winner]
    [[ra], [rb]] = MODEL.rate([[MODEL.create_rating([a.mu, a.sigma])], [MODEL.create_rating([b.mu, b.sigma])]],
                              ranks=ranks)
    return Skill(ra.mu, ra.sigma), Skill(rb.mu, rb.sigma)

